#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "t.h"

void t_buf_add(struct t_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap - b->len < n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void t_buf_frame(struct t_buf *b, uint8_t type, uint8_t flags, uint16_t stream, uint32_t id,
		 const void *payload, size_t len)
{
	uint8_t hdr[CL_FRAME_HEADER];
	struct cl_frame f = { .type = type, .flags = flags, .stream = stream, .id = id, .len = (uint32_t)len,
			      .payload = payload };

	cl_frame_header(hdr, &f);
	t_buf_add(b, hdr, sizeof hdr);
	t_buf_add(b, payload, len);
}

void t_buf_message(struct t_buf *b, uint8_t type, uint32_t id, const void *payload, size_t len)
{
	const uint8_t *p = payload;
	size_t off = 0;

	do {
		size_t n = len - off < CL_MAX_FRAME_PAYLOAD ? len - off : CL_MAX_FRAME_PAYLOAD;

		t_buf_frame(b, type, off + n < len ? CL_FLAG_MORE : 0, 0, id, p + off, n);
		off += n;
	} while (off < len);
}

void t_buf_free(struct t_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

uint32_t t_rand_u32(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 0x2545F4914F6CDD1Dull) >> 32);
}

void t_rand(uint64_t *seed, void *p, size_t n)
{
	uint8_t *q = p;

	for (size_t i = 0; i < n; i++)
		q[i] = (uint8_t)t_rand_u32(seed);
}

void t_drain(int fd, struct t_buf *b)
{
	uint8_t tmp[65536];

	for (;;) {
		ssize_t n = read(fd, tmp, sizeof tmp);

		if (n > 0)
			t_buf_add(b, tmp, (size_t)n);
		else if (n < 0 && errno == EINTR)
			continue;
		else
			return;
	}
}
