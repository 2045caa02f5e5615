#include "snapshots.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "args.h"
#include "cleanup.h"
#include "containers.h"
#include "fsutil.h"
#include "io.h"
#include "sha256.h"
#include "tarapply.h"

#define TMP_PREFIX ".apply-"

static int key_arg(const struct cl_request *req, const char *op, const char *name, char *key,
		   struct cl_error *err)
{
	if (cl_arg_str(&req->attrs, op, name, NULL, key, CL_DIGEST_STR_LEN + 1, err) < 0)
		return cl_fail_plain(err, EINVAL, "%s: \"%s\" is not sha256:<64 hex>", op, name);
	if (!cl_digest_valid(key))
		return cl_fail_plain(err, EINVAL, "%s: invalid %s `%s`", op, name, key);
	return cl_state_init(err);
}

static int snap_dir(const char *key, char *path, size_t size, struct cl_error *err)
{
	return cl_path(path, size, err, "%s/snapshots/%s", cl_state_root, key + 7);
}

/* The parent key of key into parent ("" for a base layer). */
static int read_parent(const char *key, char parent[CL_DIGEST_STR_LEN + 1])
{
	char path[CL_PATH_MAX];
	struct cl_error e;
	size_t len;

	parent[0] = '\0';
	if (cl_path(path, sizeof path, &e, "%s/snapshots/%s/parent", cl_state_root, key + 7) < 0)
		return -ENAMETOOLONG;
	if (cl_read_file(path, parent, CL_DIGEST_STR_LEN + 1, &len, &e) < 0) {
		parent[0] = '\0';
		return e.code == ENOENT ? 0 : -e.code;
	}
	if (!cl_digest_valid(parent))
		return -EBADMSG;
	return 0;
}

static bool snap_exists(const char *key)
{
	char path[CL_PATH_MAX];
	struct cl_error e;
	struct stat st;

	return cl_path(path, sizeof path, &e, "%s/snapshots/%s/fs", cl_state_root, key + 7) == 0 &&
	       stat(path, &st) == 0;
}

int cl_snapshot_lowerdir(const char *key, char *out, size_t size, struct cl_error *err)
{
	char cur[CL_DIGEST_STR_LEN + 1];
	size_t o = 0;

	if (!cl_digest_valid(key))
		return cl_fail_plain(err, EINVAL, "invalid snapshot key `%s`", key);
	snprintf(cur, sizeof cur, "%s", key);
	for (int depth = 0; cur[0]; depth++) {
		int n;

		if (depth >= CL_SNAPSHOT_MAX_DEPTH)
			return cl_fail_plain(err, ELOOP, "snapshot %s: chain deeper than %d", key, depth);
		if (!snap_exists(cur))
			return cl_fail_plain(err, ENOENT, "snapshot %s does not exist", cur);
		n = snprintf(out + o, size - o, "%s%s/snapshots/%s/fs", o ? ":" : "", cl_state_root, cur + 7);
		if (n < 0 || (size_t)n >= size - o)
			return cl_fail_plain(err, E2BIG, "snapshot %s: chain too long for an overlay mount", key);
		o += (size_t)n;
		if (read_parent(cur, cur) < 0)
			return cl_fail_plain(err, EBADMSG, "snapshot %s: unreadable parent file", cur);
	}
	return 0;
}

int cl_snapshot_chain_has(const char *top, const char *key)
{
	char cur[CL_DIGEST_STR_LEN + 1];

	snprintf(cur, sizeof cur, "%s", top);
	for (int depth = 0; cur[0] && depth < CL_SNAPSHOT_MAX_DEPTH; depth++) {
		if (strcmp(cur, key) == 0)
			return 1;
		if (read_parent(cur, cur) < 0)
			return 0;
	}
	return 0;
}

void cl_snapshots_cleanup(void)
{
	char dir[CL_PATH_MAX], path[CL_PATH_MAX];
	struct cl_error e;
	DIR *d;
	struct dirent *ent;

	if (cl_path(dir, sizeof dir, &e, "%s/snapshots", cl_state_root) < 0 || !(d = opendir(dir)))
		return;
	while ((ent = readdir(d)))
		if (strncmp(ent->d_name, TMP_PREFIX, sizeof TMP_PREFIX - 1) == 0 &&
		    cl_path(path, sizeof path, &e, "%s/%s", dir, ent->d_name) == 0 && cl_rm_rf(path, &e) < 0)
			cl_log("%s", e.msg);
	closedir(d);
}

/* The store is the VM's memory (tmpfs): a layer may use what is free less
 * CL_SNAPSHOT_RESERVE bytes and inodes, so that a decompression bomb is
 * refused (naming the entry that crossed the line) before the VM runs out
 * of room for everything else. */
static int store_limits(int root, struct cl_tar_limits *lim, struct cl_error *err)
{
	struct statvfs sv;
	uint64_t bytes, files;

	memset(lim, 0, sizeof *lim); /* zero: tarapply's defaults */
	if (fstatvfs(root, &sv) < 0)
		return cl_fail(err, errno, "statvfs the snapshot store");
	bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	files = (uint64_t)sv.f_favail;
	bytes = bytes > CL_SNAPSHOT_RESERVE ? bytes - CL_SNAPSHOT_RESERVE : 0;
	files = files > CL_SNAPSHOT_RESERVE_INODES ? files - CL_SNAPSHOT_RESERVE_INODES : 0;
	if (sv.f_blocks && bytes < CL_TAR_DEFAULT_MAX_TOTAL_SIZE)
		lim->max_total_size = bytes ? bytes : 1;
	if (sv.f_files && files < CL_TAR_DEFAULT_MAX_ENTRIES)
		lim->max_entries = files ? files : 1;
	return 0;
}

static int apply_into(const char *tmp, const char *src, const char *parent, uint64_t *bytes,
		      struct cl_error *err)
{
	char fs[CL_PATH_MAX], path[CL_PATH_MAX], num[24];
	cleanup_close int tar = -1, root = -1;
	struct cl_tar_stats st = { 0 };
	struct cl_tar_limits lim;

	if (cl_path(fs, sizeof fs, err, "%s/fs", tmp) < 0 || cl_mkdir_p(fs, 0755, err) < 0)
		return cl_error_ret(err);
	tar = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (tar < 0)
		return cl_fail(err, errno, "open `%s`", src);
	root = open(fs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return cl_fail(err, errno, "open `%s`", fs);
	if (store_limits(root, &lim, err) < 0 || cl_tar_apply(tar, root, &lim, &st, err) < 0)
		return cl_error_ret(err);
	*bytes = st.bytes;
	if (parent[0] && (cl_path(path, sizeof path, err, "%s/parent", tmp) < 0 ||
			  cl_write_atomic(path, parent, strlen(parent), err) < 0))
		return cl_error_ret(err);
	snprintf(num, sizeof num, "%" PRIu64, st.bytes);
	if (cl_path(path, sizeof path, err, "%s/size", tmp) < 0 || cl_write_atomic(path, num, strlen(num), err) < 0)
		return cl_error_ret(err);
	return 0;
}

static uint64_t snap_size(const char *key)
{
	char path[CL_PATH_MAX], buf[24];
	struct cl_error e;

	if (cl_path(path, sizeof path, &e, "%s/snapshots/%s/size", cl_state_root, key + 7) < 0 ||
	    cl_read_file(path, buf, sizeof buf, NULL, &e) < 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

static void unlink_path(const char **path)
{
	if (*path)
		unlink(*path);
}

static int op_apply(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char key[CL_DIGEST_STR_LEN + 1], parent[CL_DIGEST_STR_LEN + 1] = "";
	char rel[1024], src[CL_PATH_MAX], dir[CL_PATH_MAX], tmp[CL_PATH_MAX];
	__attribute__((cleanup(unlink_path))) const char *unlink_src = NULL;
	struct cl_attr a;
	uint64_t bytes = 0;
	int ret;

	if (key_arg(req, "snapshot.apply", "key", key, err) < 0)
		return cl_error_ret(err);
	if (cl_attrs_get(&req->attrs, "parent", &a) && a.vlen > 0) {
		if (key_arg(req, "snapshot.apply", "parent", parent, err) < 0)
			return cl_error_ret(err);
		if (!snap_exists(parent))
			return cl_fail_plain(err, ENOENT, "snapshot.apply %s: parent snapshot %s does not exist", key,
					     parent);
	}
	if (cl_arg_str(&req->attrs, "snapshot.apply", "path", NULL, rel, sizeof rel, err) < 0)
		return cl_error_ret(err);
	if (!cl_host_path_valid(rel))
		return cl_fail_plain(err, EINVAL, "snapshot.apply: invalid path `%s`", rel);
	if (cl_path(src, sizeof src, err, CL_HOST_DIR "/%s", rel) < 0)
		return cl_error_ret(err);
	/* The op consumes the file whatever happens: a refused layer must not
	 * stay behind in the host's memory. */
	unlink_src = src;
	if (snap_dir(key, dir, sizeof dir, err) < 0 ||
	    cl_path(tmp, sizeof tmp, err, "%s/snapshots/" TMP_PREFIX "%s", cl_state_root, key + 7) < 0)
		return cl_error_ret(err);
	if (snap_exists(key)) {
		bytes = snap_size(key);
	} else {
		struct cl_error e2;

		/* Unpack beside the final place, rename only on success: a
		 * snapshot either exists whole or not at all. */
		if (cl_rm_rf(tmp, err) < 0)
			return cl_error_wrap(err, "snapshot.apply %s", key);
		ret = apply_into(tmp, src, parent, &bytes, err);
		if (ret == 0 && rename(tmp, dir) < 0)
			ret = cl_fail(err, errno, "rename `%s` to `%s`", tmp, dir);
		if (ret < 0) {
			if (cl_rm_rf(tmp, &e2) < 0)
				cl_log("%s", e2.msg);
			return cl_error_wrap(err, "snapshot.apply %s", key);
		}
	}
	ret = cl_attrbuf_add_u64(resp, "size", bytes);
	if (ret < 0)
		return cl_fail(err, -ret, "snapshot.apply: build response");
	return 0;
}

static int op_list(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char dir[CL_PATH_MAX], key[CL_DIGEST_STR_LEN + 1];
	DIR *d;
	struct dirent *e;
	int ret = 0;

	(void)req;
	if (cl_state_init(err) < 0 || cl_path(dir, sizeof dir, err, "%s/snapshots", cl_state_root) < 0)
		return cl_error_ret(err);
	d = opendir(dir);
	if (!d)
		return cl_fail(err, errno, "snapshot.list: open `%s`", dir);
	while (ret == 0 && (e = readdir(d))) {
		if (strlen(e->d_name) != 64)
			continue;
		snprintf(key, sizeof key, "sha256:%.64s", e->d_name);
		if (!cl_digest_valid(key))
			continue;
		ret = cl_attrbuf_add_str(resp, "key", key);
		if (ret < 0)
			ret = cl_fail(err, -ret, "snapshot.list: build response");
	}
	closedir(d);
	return ret;
}

static int op_stat(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char key[CL_DIGEST_STR_LEN + 1], parent[CL_DIGEST_STR_LEN + 1];
	int ret;

	if (key_arg(req, "snapshot.stat", "key", key, err) < 0)
		return cl_error_ret(err);
	if (!snap_exists(key))
		return cl_fail_plain(err, ENOENT, "snapshot %s does not exist", key);
	read_parent(key, parent);
	if ((ret = cl_attrbuf_add_u64(resp, "size", snap_size(key))) < 0 ||
	    (parent[0] && (ret = cl_attrbuf_add_str(resp, "parent", parent)) < 0))
		return cl_fail(err, -ret, "snapshot.stat: build response");
	return 0;
}

/* A snapshot whose parent is key, into child ("" if none). */
static void find_child(const char *key, char child[CL_DIGEST_STR_LEN + 1])
{
	char dir[CL_PATH_MAX], k[CL_DIGEST_STR_LEN + 1], p[CL_DIGEST_STR_LEN + 1];
	struct cl_error e;
	DIR *d;
	struct dirent *ent;

	child[0] = '\0';
	if (cl_path(dir, sizeof dir, &e, "%s/snapshots", cl_state_root) < 0 || !(d = opendir(dir)))
		return;
	while ((ent = readdir(d))) {
		if (strlen(ent->d_name) != 64)
			continue;
		snprintf(k, sizeof k, "sha256:%.64s", ent->d_name);
		if (cl_digest_valid(k) && read_parent(k, p) == 0 && strcmp(p, key) == 0) {
			memcpy(child, k, sizeof k);
			break;
		}
	}
	closedir(d);
}

static int op_remove(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char key[CL_DIGEST_STR_LEN + 1], dir[CL_PATH_MAX], other[CL_DIGEST_STR_LEN + 1];
	const char *user;

	(void)resp;
	if (key_arg(req, "snapshot.remove", "key", key, err) < 0 || snap_dir(key, dir, sizeof dir, err) < 0)
		return cl_error_ret(err);
	if (!snap_exists(key))
		return cl_fail_plain(err, ENOENT, "snapshot %s does not exist", key);
	if ((user = cl_containers_using_snapshot(key)))
		return cl_fail_plain(err, EBUSY, "snapshot %s is in use by container %s", key, user);
	find_child(key, other);
	if (other[0])
		return cl_fail_plain(err, EBUSY, "snapshot %s is the parent of snapshot %s", key, other);
	if (cl_rm_rf(dir, err) < 0)
		return cl_error_wrap(err, "snapshot.remove");
	return 0;
}

const struct cl_op cl_snapshot_ops[] = {
	{ "snapshot.apply", op_apply },
	{ "snapshot.list", op_list },
	{ "snapshot.stat", op_stat },
	{ "snapshot.remove", op_remove },
	{ NULL, NULL },
};
