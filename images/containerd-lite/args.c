#include "args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cl_arg_str(const struct cl_attrs *a, const char *op, const char *key, const char *def, char *buf,
	       size_t size, struct cl_error *err)
{
	struct cl_attr at;

	if (!cl_attrs_get(a, key, &at)) {
		if (!def)
			return cl_fail_plain(err, EINVAL, "%s: missing \"%s\"", op, key);
		at.val = (const uint8_t *)def;
		at.vlen = strlen(def);
	}
	if (at.vlen >= size)
		return cl_fail_plain(err, ENAMETOOLONG, "%s: \"%s\" is longer than %zu bytes", op, key, size - 1);
	if (memchr(at.val, 0, at.vlen))
		return cl_fail_plain(err, EINVAL, "%s: \"%s\" contains a NUL byte", op, key);
	memcpy(buf, at.val, at.vlen);
	buf[at.vlen] = '\0';
	return 0;
}

int cl_arg_u64(const struct cl_attrs *a, const char *op, const char *key, uint64_t def, uint64_t *out,
	       struct cl_error *err)
{
	char s[24], *end;
	int ret = cl_arg_str(a, op, key, "", s, sizeof s, err);

	if (ret < 0)
		return ret;
	if (!*s) {
		*out = def;
		return 0;
	}
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (*end || errno || *s == '-' || *s == '+' || *s == ' ')
		return cl_fail_plain(err, EINVAL, "%s: \"%s\" is not a number: `%s`", op, key, s);
	return 0;
}

bool cl_arg_bool(const struct cl_attrs *a, const char *key)
{
	struct cl_attr at;

	return cl_attrs_get(a, key, &at) && at.vlen == 1 && at.val[0] == '1';
}

int cl_arg_strv(const struct cl_attrs *a, const char *op, const char *key, char ***out, size_t *n,
		struct cl_error *err)
{
	struct cl_attr at;
	size_t pos = 0, count = 0, bytes = 0;
	char **v, *s;

	while (cl_attrs_next(a, &pos, &at) == 1) {
		if (!cl_attr_is(&at, key))
			continue;
		if (memchr(at.val, 0, at.vlen))
			return cl_fail_plain(err, EINVAL, "%s: \"%s\" #%zu contains a NUL byte", op, key, count);
		count++;
		bytes += at.vlen + 1;
	}
	v = malloc((count + 1) * sizeof *v + bytes);
	if (!v)
		return cl_fail(err, ENOMEM, "%s: \"%s\"", op, key);
	s = (char *)(v + count + 1);
	pos = 0;
	count = 0;
	while (cl_attrs_next(a, &pos, &at) == 1) {
		if (!cl_attr_is(&at, key))
			continue;
		v[count++] = s;
		memcpy(s, at.val, at.vlen);
		s[at.vlen] = '\0';
		s += at.vlen + 1;
	}
	v[count] = NULL;
	*out = v;
	if (n)
		*n = count;
	return 0;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

bool cl_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || !name_char(s[0]) || s[0] == '_' || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

bool cl_id_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

int cl_name_escape(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; in[i]; i++) {
		unsigned char c = (unsigned char)in[i];

		if (name_char((char)c) && !(i == 0 && c == '.')) {
			if (o + 1 >= size)
				return -ENAMETOOLONG;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= size)
				return -ENAMETOOLONG;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= size)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int cl_name_unescape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; in[i]; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			int h = unhex(in[i + 1]), l = h < 0 ? -1 : unhex(in[i + 2]);

			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return -EINVAL;
			c = h << 4 | l;
			i += 2;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}
