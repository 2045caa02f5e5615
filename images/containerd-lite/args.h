/* Typed access to a request's attrs: NUL-terminated strings, numbers and
 * string lists (argv, env), with one-line errors naming the op and key. */
#ifndef CL_ARGS_H
#define CL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "error.h"

/* Copies attr `key` into buf as a C string. Missing: -ENOENT ("OP: missing
 * "KEY""), unless def is non-NULL (then def is copied). Refuses embedded NULs
 * and values that do not fit. */
int cl_arg_str(const struct cl_attrs *a, const char *op, const char *key, const char *def, char *buf,
	       size_t size, struct cl_error *err);

/* Decimal u64; missing gives def. */
int cl_arg_u64(const struct cl_attrs *a, const char *op, const char *key, uint64_t def, uint64_t *out,
	       struct cl_error *err);

/* "1" → true, "0"/missing → false. */
bool cl_arg_bool(const struct cl_attrs *a, const char *key);

/* Every `key` field as a NULL-terminated vector of C strings in order, in
 * one allocation (free the vector only). *n gets the count. */
int cl_arg_strv(const struct cl_attrs *a, const char *op, const char *key, char ***out, size_t *n,
		struct cl_error *err);

/* Container names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 bytes. */
bool cl_name_valid(const char *s);
/* Container ids: 64 lowercase hex digits. */
bool cl_id_valid(const char *s);

/* File-name escaping for image names (which contain '/' and ':'): bytes
 * outside [A-Za-z0-9_.-] and a leading '.' become %XX. -ENAMETOOLONG if out
 * is too small. */
int cl_name_escape(const char *in, char *out, size_t size);
/* The inverse; -EINVAL for a malformed escape. */
int cl_name_unescape(const char *in, char *out, size_t size);

#endif
