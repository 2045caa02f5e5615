/* A tiny test harness: CHECK records a failure and carries on, REQUIRE
 * also leaves the test. Each RUN is one test; main prints the totals. */
#ifndef T_H
#define T_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int t_failures;        /* in the running test */
extern const char *t_daemon;  /* path of the daemon built for the host */

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c)) {                                                         \
			t_failures++;                                               \
			fprintf(stderr, "    %s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); \
		}                                                                   \
	} while (0)

#define CHECK_EQ(a, b)                                                                       \
	do {                                                                                 \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (a_ != b_) {                                                              \
			t_failures++;                                                        \
			fprintf(stderr, "    %s:%d: CHECK_EQ(%s, %s): %llu != %llu\n", __FILE__, \
				__LINE__, #a, #b, a_, b_);                                   \
		}                                                                            \
	} while (0)

#define REQUIRE(c)                 \
	do {                       \
		int before_ = t_failures; \
		CHECK(c);          \
		if (t_failures != before_) \
			return;    \
	} while (0)

void t_run(const char *name, void (*fn)(void));
#define RUN(fn) t_run(#fn, fn)

/* Suites (one per file). */
void suite_crc32(void);
void suite_frame(void);
void suite_attrs(void);
void suite_reasm(void);
void suite_channel(void);
void suite_e2e(void);
void suite_dns(void);

/* Helpers (util.c). */
struct t_buf {
	uint8_t *p;
	size_t len, cap;
};
void t_buf_add(struct t_buf *b, const void *p, size_t n);
void t_buf_frame(struct t_buf *b, uint8_t type, uint8_t flags, uint16_t stream, uint32_t id,
		 const void *payload, size_t len);
/* Split into frames of at most 65536 with MORE, as the host does. */
void t_buf_message(struct t_buf *b, uint8_t type, uint32_t id, const void *payload, size_t len);
void t_buf_free(struct t_buf *b);
/* Deterministic pseudo-random bytes (xorshift64*). */
void t_rand(uint64_t *seed, void *p, size_t n);
uint32_t t_rand_u32(uint64_t *seed);
/* Reads everything available on a non-blocking fd into b. */
void t_drain(int fd, struct t_buf *b);

#endif
