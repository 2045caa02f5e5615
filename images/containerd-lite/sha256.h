/* SHA-256 (FIPS 180-4), streaming, and the "sha256:<hex>" digest strings
 * that name blobs and snapshots. */
#ifndef CL_SHA256_H
#define CL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CL_SHA256_LEN 32
/* "sha256:" + 64 hex digits, without the NUL. */
#define CL_DIGEST_STR_LEN (7 + 2 * CL_SHA256_LEN)

struct cl_sha256 {
	uint32_t h[8];
	uint64_t len;    /* bytes hashed so far */
	uint8_t buf[64]; /* partial block */
	size_t used;     /* bytes in buf */
};

void cl_sha256_init(struct cl_sha256 *c);
void cl_sha256_update(struct cl_sha256 *c, const void *p, size_t n);
/* Writes the digest; c must be re-initialised before it is used again. */
void cl_sha256_final(struct cl_sha256 *c, uint8_t digest[CL_SHA256_LEN]);

/* Lowercase hex, NUL-terminated. */
void cl_sha256_hex(const uint8_t digest[CL_SHA256_LEN], char out[2 * CL_SHA256_LEN + 1]);

/* 1 if s is exactly "sha256:" followed by 64 lowercase hex digits, else 0.
 * Digests become file names, so this is the only shape allowed through:
 * no other algorithm, no uppercase, no separators, nothing after. */
int cl_digest_valid(const char *s);

#endif
