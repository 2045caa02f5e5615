#include "attrs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int cl_attrs_parse(struct cl_attrs *a, const void *payload, size_t n)
{
	const uint8_t *p = payload;
	size_t pos = 0;

	while (pos < n) {
		size_t klen = p[pos++];
		uint32_t vlen;

		if (klen == 0 || n - pos < klen)
			return -EBADMSG;
		pos += klen;
		if (n - pos < 4)
			return -EBADMSG;
		vlen = cl_get_u32(p + pos);
		pos += 4;
		if (n - pos < vlen)
			return -EBADMSG;
		pos += vlen;
	}
	a->p = p;
	a->n = n;
	return 0;
}

int cl_attrs_next(const struct cl_attrs *a, size_t *pos, struct cl_attr *out)
{
	size_t i = *pos;

	if (i >= a->n)
		return 0;
	/* Bounds were checked by cl_attrs_parse. */
	out->klen = a->p[i++];
	out->key = (const char *)a->p + i;
	i += out->klen;
	out->vlen = cl_get_u32(a->p + i);
	i += 4;
	out->val = a->p + i;
	i += out->vlen;
	*pos = i;
	return 1;
}

bool cl_attr_is(const struct cl_attr *at, const char *key)
{
	size_t klen = strlen(key);

	return at->klen == klen && memcmp(at->key, key, klen) == 0;
}

bool cl_attrs_get(const struct cl_attrs *a, const char *key, struct cl_attr *out)
{
	size_t pos = 0;

	while (cl_attrs_next(a, &pos, out))
		if (cl_attr_is(out, key))
			return true;
	return false;
}

size_t cl_attrs_count(const struct cl_attrs *a, const char *key)
{
	struct cl_attr at;
	size_t pos = 0, n = 0;

	while (cl_attrs_next(a, &pos, &at))
		n += cl_attr_is(&at, key);
	return n;
}

int cl_attrbuf_add(struct cl_attrbuf *b, const char *key, const void *val, size_t vlen)
{
	size_t klen = strlen(key);
	size_t need;
	uint8_t *p;

	if (klen == 0 || klen > 255)
		return -EINVAL;
	/* A whole payload stays below 2 GiB, so neither need nor the doubled
	 * capacity can overflow a 32-bit size_t. */
	if (vlen > (size_t)INT32_MAX - 260 || b->len > (size_t)INT32_MAX - 260 - vlen)
		return -EMSGSIZE;
	need = 1 + klen + 4 + vlen;
	if (b->cap - b->len < need) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap - b->len < need)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	p = b->data + b->len;
	*p++ = (uint8_t)klen;
	memcpy(p, key, klen);
	p += klen;
	cl_put_u32(p, (uint32_t)vlen);
	p += 4;
	if (vlen)
		memcpy(p, val, vlen);
	b->len += need;
	return 0;
}

int cl_attrbuf_add_str(struct cl_attrbuf *b, const char *key, const char *val)
{
	return cl_attrbuf_add(b, key, val, strlen(val));
}

int cl_attrbuf_add_u64(struct cl_attrbuf *b, const char *key, uint64_t val)
{
	char s[24];
	int n = snprintf(s, sizeof s, "%" PRIu64, val);

	return cl_attrbuf_add(b, key, s, (size_t)n);
}

void cl_attrbuf_free(struct cl_attrbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
