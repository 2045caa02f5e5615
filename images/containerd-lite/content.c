#include "content.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cleanup.h"
#include "crc32.h"
#include "fsutil.h"
#include "sha256.h"

#define COPY_BUF 65536

/* The blob's path for a validated digest argument. */
static int blob_path(const struct cl_request *req, const char *op, char *digest, char *path, size_t size,
		     struct cl_error *err)
{
	if (cl_arg_str(&req->attrs, op, "digest", NULL, digest, CL_DIGEST_STR_LEN + 1, err) < 0)
		return cl_fail_plain(err, EINVAL, "%s: \"digest\" is not sha256:<64 hex>", op);
	if (!cl_digest_valid(digest))
		return cl_fail_plain(err, EINVAL, "%s: invalid digest `%s`", op, digest);
	if (cl_state_init(err) < 0)
		return cl_error_ret(err);
	return cl_path(path, size, err, "%s/content/sha256/%s", cl_state_root, digest + 7);
}

static int host_path(const struct cl_request *req, const char *op, char *path, size_t size,
		     struct cl_error *err)
{
	char rel[1024];

	if (cl_arg_str(&req->attrs, op, "path", NULL, rel, sizeof rel, err) < 0)
		return cl_error_ret(err);
	if (!cl_host_path_valid(rel))
		return cl_fail_plain(err, EINVAL, "%s: invalid path `%s`", op, rel);
	return cl_path(path, size, err, CL_HOST_DIR "/%s", rel);
}

/* Copies in to out (either may be -1 to skip writing), hashing if c, and
 * summing into crc if given. */
static int copy(int in, int out, struct cl_sha256 *c, uint32_t *crc, uint64_t *total, const char *what,
		struct cl_error *err)
{
	cleanup_free uint8_t *buf = malloc(COPY_BUF);

	if (!buf)
		return cl_fail(err, ENOMEM, "copy %s", what);
	*total = 0;
	for (;;) {
		ssize_t n = read(in, buf, COPY_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cl_fail(err, errno, "read %s", what);
		}
		if (n == 0)
			return 0;
		if (c)
			cl_sha256_update(c, buf, (size_t)n);
		if (crc)
			*crc = cl_crc32(*crc, buf, (size_t)n);
		for (ssize_t off = 0; out >= 0 && off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return cl_fail(err, errno, "write %s", what);
			}
			off += w;
		}
		*total += (uint64_t)n;
	}
}

static int op_ingest(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char digest[CL_DIGEST_STR_LEN + 1], dst[CL_PATH_MAX], tmp[CL_PATH_MAX], src[CL_PATH_MAX];
	char got[2 * CL_SHA256_LEN + 1];
	uint8_t md[CL_SHA256_LEN];
	cleanup_close int in = -1, out = -1;
	struct cl_sha256 c;
	uint64_t size, total, want_crc;
	uint32_t crc = 0;
	struct cl_attr a;
	/* The host has checked the blob against `digest` itself (PROTOCOL.md):
	 * then only the 9p copy is checked, by CRC-32, not hashed again. */
	bool by_crc = cl_attrs_get(&req->attrs, "crc32", &a);
	struct stat st;

	(void)resp;
	if (blob_path(req, "content.ingest", digest, dst, sizeof dst, err) < 0 ||
	    host_path(req, "content.ingest", src, sizeof src, err) < 0 ||
	    cl_arg_u64(&req->attrs, "content.ingest", "size", UINT64_MAX, &size, err) < 0 ||
	    cl_arg_u64(&req->attrs, "content.ingest", "crc32", 0, &want_crc, err) < 0)
		return cl_error_ret(err);
	if (want_crc > UINT32_MAX)
		return cl_fail_plain(err, EINVAL, "content.ingest: crc32 %llu is out of range", (unsigned long long)want_crc);
	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return cl_fail(err, errno, "content.ingest: open `%s`", src);
	if (stat(dst, &st) == 0) {
		/* Already have it: the copy on 9p is still consumed. */
		unlink(src);
		return 0;
	}
	if (cl_path(tmp, sizeof tmp, err, "%s.ingest", dst) < 0)
		return cl_error_ret(err);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return cl_fail(err, errno, "content.ingest: create `%s`", tmp);
	cl_sha256_init(&c);
	if (copy(in, out, by_crc ? NULL : &c, by_crc ? &crc : NULL, &total, src, err) < 0) {
		unlink(tmp);
		return cl_error_wrap(err, "content.ingest %s", digest);
	}
	if (size != UINT64_MAX && total != size) {
		unlink(tmp);
		return cl_fail_plain(err, EINVAL, "content.ingest %s: size mismatch: got %llu bytes, want %llu", digest,
				     (unsigned long long)total, (unsigned long long)size);
	}
	if (by_crc && crc != want_crc) {
		unlink(tmp);
		return cl_fail_plain(err, EIO, "content.ingest %s: the copy on 9p is damaged: crc32 %" PRIu32 ", want %llu",
				     digest, crc, (unsigned long long)want_crc);
	}
	if (!by_crc) {
		cl_sha256_final(&c, md);
		cl_sha256_hex(md, got);
		if (strcmp(got, digest + 7) != 0) {
			unlink(tmp);
			return cl_fail_plain(err, EINVAL, "content.ingest %s: digest mismatch: got sha256:%s", digest, got);
		}
	}
	if (rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return cl_fail(err, e, "content.ingest: rename `%s`", tmp);
	}
	unlink(src);
	return 0;
}

static int op_read(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char digest[CL_DIGEST_STR_LEN + 1], path[CL_PATH_MAX];
	cleanup_free char *data = NULL;
	size_t len;
	int ret;

	if (blob_path(req, "content.read", digest, path, sizeof path, err) < 0)
		return cl_error_ret(err);
	if (cl_read_all(path, CL_MAX_MESSAGE - 64, &data, &len, err) < 0) {
		if (err->code == ENOENT)
			return cl_fail_plain(err, ENOENT, "content %s: not found", digest);
		return cl_error_wrap(err, "content.read");
	}
	ret = cl_attrbuf_add(resp, "data", data, len);
	if (ret < 0)
		return cl_fail(err, -ret, "content.read: build response");
	return 0;
}

static int op_export(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char digest[CL_DIGEST_STR_LEN + 1], path[CL_PATH_MAX], dst[CL_PATH_MAX];
	cleanup_close int in = -1, out = -1;
	uint64_t total;

	(void)resp;
	if (blob_path(req, "content.export", digest, path, sizeof path, err) < 0 ||
	    host_path(req, "content.export", dst, sizeof dst, err) < 0)
		return cl_error_ret(err);
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		if (errno == ENOENT)
			return cl_fail_plain(err, ENOENT, "content %s: not found", digest);
		return cl_fail(err, errno, "content.export: open `%s`", path);
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0)
		return cl_fail(err, errno, "content.export: create `%s`", dst);
	if (copy(in, out, NULL, NULL, &total, dst, err) < 0)
		return cl_error_wrap(err, "content.export %s", digest);
	return 0;
}

static int op_remove(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char digest[CL_DIGEST_STR_LEN + 1], path[CL_PATH_MAX];

	(void)resp;
	if (blob_path(req, "content.remove", digest, path, sizeof path, err) < 0)
		return cl_error_ret(err);
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return cl_fail_plain(err, ENOENT, "content %s: not found", digest);
		return cl_fail(err, errno, "content.remove: unlink `%s`", path);
	}
	return 0;
}

const struct cl_op cl_content_ops[] = {
	{ "content.ingest", op_ingest },
	{ "content.read", op_read },
	{ "content.export", op_export },
	{ "content.remove", op_remove },
	{ NULL, NULL },
};
