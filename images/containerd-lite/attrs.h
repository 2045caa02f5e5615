/* Attrs: the key/value payload of HELLO, REQUEST, RESPONSE and ERROR
 * (PROTOCOL.md): fields of klen u8, key, vlen u32 LE, value; keys repeat for
 * lists. Parsing borrows the payload; building owns a growing buffer. Pure. */
#ifndef CL_ATTRS_H
#define CL_ATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cl_attr {
	const char *key; /* not NUL-terminated */
	size_t klen;
	const uint8_t *val;
	size_t vlen;
};

/* A validated payload (borrowed). */
struct cl_attrs {
	const uint8_t *p;
	size_t n;
};

/* Validates the whole payload first so that lookups cannot fail later:
 * -EBADMSG if a field runs past the end or has an empty key. */
int cl_attrs_parse(struct cl_attrs *a, const void *payload, size_t n);

/* Iteration: start with *pos = 0; 1 and *out per field, 0 at the end. */
int cl_attrs_next(const struct cl_attrs *a, size_t *pos, struct cl_attr *out);

/* First field named key: true and *out if present. */
bool cl_attrs_get(const struct cl_attrs *a, const char *key, struct cl_attr *out);

/* Number of fields named key (lists). */
size_t cl_attrs_count(const struct cl_attrs *a, const char *key);

bool cl_attr_is(const struct cl_attr *at, const char *key);

/* Builder. Zero-initialise (struct cl_attrbuf b = {0}), free with
 * cl_attrbuf_free or the cleanup_attrbuf attribute. */
struct cl_attrbuf {
	uint8_t *data;
	size_t len, cap;
};

/* -EINVAL for a key outside 1..255 bytes, -EMSGSIZE past 2 GiB in all,
 * -ENOMEM; 0 on success. */
int cl_attrbuf_add(struct cl_attrbuf *b, const char *key, const void *val, size_t vlen);
int cl_attrbuf_add_str(struct cl_attrbuf *b, const char *key, const char *val);
int cl_attrbuf_add_u64(struct cl_attrbuf *b, const char *key, uint64_t val);
void cl_attrbuf_free(struct cl_attrbuf *b);

#define cleanup_attrbuf __attribute__((cleanup(cl_attrbuf_free)))

#endif
