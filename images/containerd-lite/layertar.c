#include "layertar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"

#define BLOCK 512
#define PATH_MAX_TAR 4096
#define MAX_DEPTH 256

struct link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct w {
	cl_tar_sink sink;
	void *ctx;
	uint64_t bytes;
	struct link *links;
	size_t nlinks, caplinks;
};

static int out(struct w *w, const void *p, size_t n, struct cl_error *err)
{
	w->bytes += n;
	return w->sink(w->ctx, p, n, err);
}

static int zeros(struct w *w, size_t n, struct cl_error *err)
{
	static const uint8_t z[BLOCK];

	while (n > 0) {
		size_t k = n < BLOCK ? n : BLOCK;

		if (out(w, z, k, err) < 0)
			return cl_error_ret(err);
		n -= k;
	}
	return 0;
}

static void octal(uint8_t *h, size_t off, size_t len, unsigned long long v)
{
	char tmp[24];

	snprintf(tmp, sizeof tmp, "%0*llo", (int)(len - 1), v);
	memcpy(h + off, tmp, len - 1);
	h[off + len - 1] = 0;
}

/* One pax record "LEN key=value\n" appended to buf (LEN counts itself). */
static size_t pax_record(char *buf, size_t at, size_t cap, const char *key, const char *val)
{
	size_t body = 1 + strlen(key) + 1 + strlen(val) + 1, len = body, digits;
	char tmp[24];

	for (;;) {
		digits = (size_t)snprintf(tmp, sizeof tmp, "%zu", len);
		if (body + digits == len)
			break;
		len = body + digits;
	}
	if (at + len > cap)
		return at;
	snprintf(buf + at, cap - at, "%zu %s=%s\n", len, key, val);
	return at + len;
}

/* The ustar header (and a pax header before it when a name, link target or
 * id does not fit): mode includes the setuid/setgid/sticky bits. */
static int header(struct w *w, const char *name, char type, mode_t mode, uid_t uid, gid_t gid, long long mtime,
		  uint64_t size, const char *link, unsigned maj, unsigned min, struct cl_error *err)
{
	uint8_t h[BLOCK];
	char pax[3 * PATH_MAX_TAR];
	size_t plen = 0;
	unsigned sum = 0;

	if (strlen(name) > 100)
		plen = pax_record(pax, plen, sizeof pax, "path", name);
	if (link && strlen(link) > 100)
		plen = pax_record(pax, plen, sizeof pax, "linkpath", link);
	if (uid > 07777777 || gid > 07777777) {
		char v[24];

		snprintf(v, sizeof v, "%u", (unsigned)uid);
		plen = pax_record(pax, plen, sizeof pax, "uid", v);
		snprintf(v, sizeof v, "%u", (unsigned)gid);
		plen = pax_record(pax, plen, sizeof pax, "gid", v);
	}
	if (plen > 0) {
		if (header(w, "././@PaxHeader", 'x', 0644, 0, 0, 0, plen, NULL, 0, 0, err) < 0 ||
		    out(w, pax, plen, err) < 0 || zeros(w, (BLOCK - plen % BLOCK) % BLOCK, err) < 0)
			return cl_error_ret(err);
	}
	memset(h, 0, sizeof h);
	memcpy(h, name, strnlen(name, 100));
	octal(h, 100, 8, mode & 07777);
	octal(h, 108, 8, uid > 07777777 ? 0 : uid);
	octal(h, 116, 8, gid > 07777777 ? 0 : gid);
	octal(h, 124, 12, size);
	octal(h, 136, 12, mtime < 0 ? 0 : (unsigned long long)mtime);
	h[156] = (uint8_t)type;
	if (link)
		memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, "ustar\0" "00", 8);
	if (type == '3' || type == '4') {
		octal(h, 329, 8, maj);
		octal(h, 337, 8, min);
	}
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return out(w, h, BLOCK, err);
}

/* A regular file's bytes: exactly `size` of them (zeros if it shrank). */
static int file_data(struct w *w, int dirfd, const char *name, const char *path, uint64_t size, struct cl_error *err)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	uint8_t buf[16384];
	uint64_t left = size;

	if (fd < 0 && errno != ENOENT)
		return cl_fail(err, errno, "open `%s`", path);
	while (fd >= 0 && left > 0) {
		ssize_t n = read(fd, buf, left < sizeof buf ? (size_t)left : sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cl_fail(err, errno, "read `%s`", path);
		if (n == 0)
			break;
		if (out(w, buf, (size_t)n, err) < 0)
			return cl_error_ret(err);
		left -= (uint64_t)n;
	}
	return zeros(w, (size_t)(left + (BLOCK - size % BLOCK) % BLOCK), err);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The names in a directory, sorted (. and .. left out). */
static int list_dir(int fd, const char *path, char ***names, size_t *count, struct cl_error *err)
{
	int dfd = dup(fd);
	DIR *d;
	struct dirent *ent;
	size_t n = 0, cap = 0;
	char **v = NULL;

	if (dfd < 0)
		return cl_fail(err, errno, "dup `%s`", path);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return cl_fail(err, errno, "opendir `%s`", path);
	}
	while ((ent = readdir(d))) {
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof *v);

			if (!nv)
				goto nomem;
			v = nv;
		}
		if (!(v[n] = strdup(ent->d_name)))
			goto nomem;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof *v, by_name);
	*names = v;
	*count = n;
	return 0;
nomem:
	closedir(d);
	free_names(v, n);
	return cl_fail(err, ENOMEM, "list `%s`", path);
}

/* The first path seen for a multiply-linked inode, or NULL (and remembers this one). */
static const char *link_target(struct w *w, const struct stat *st, const char *path, struct cl_error *err, int *ret)
{
	*ret = 0;
	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].path;
	if (w->nlinks == w->caplinks) {
		struct link *nl = realloc(w->links, (w->caplinks = w->caplinks ? 2 * w->caplinks : 16) * sizeof *nl);

		if (!nl) {
			*ret = cl_fail(err, ENOMEM, "hard links");
			return NULL;
		}
		w->links = nl;
	}
	w->links[w->nlinks].dev = st->st_dev;
	w->links[w->nlinks].ino = st->st_ino;
	if (!(w->links[w->nlinks].path = strdup(path))) {
		*ret = cl_fail(err, ENOMEM, "hard links");
		return NULL;
	}
	w->nlinks++;
	return NULL;
}

static int walk(struct w *w, int dirfd, char *path, size_t plen, int depth, struct cl_error *err);

/* What the runtime mounts over in every container (mounts.c, network.c): in
 * the upper dir these are only the empty mount points it made (writes go to
 * the mounts), never the container's own change — left out, as Docker's
 * init layer keeps them out of diff and commit. */
static bool runtime_mount(const char *path)
{
	static const char *const paths[] = { "dev", "proc", "sys", "etc/hosts", "etc/hostname", "etc/resolv.conf" };

	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
		if (strcmp(path, paths[i]) == 0)
			return true;
	return false;
}

/* A directory holding only runtime mount points (an `etc` made or copied
 * up for them): the container did not change it either. */
static bool only_runtime_mounts(int fd, char *path, size_t plen, struct cl_error *err)
{
	/* its own open file: list_dir's dup would share (and use up) the
	 * offset the walk reads the directory with next */
	cleanup_close int own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **names = NULL;
	size_t n = 0;
	bool only = true;

	if (own < 0 || list_dir(own, path, &names, &n, err) < 0)
		return false;
	for (size_t i = 0; i < n && only; i++) {
		char sub[PATH_MAX_TAR + 2];

		snprintf(sub, sizeof sub, "%.*s/%s", (int)plen, path, names[i]);
		only = runtime_mount(sub);
	}
	free_names(names, n);
	return only && n > 0;
}

static int entry(struct w *w, int dirfd, const char *name, char *path, size_t plen, int depth, struct cl_error *err)
{
	struct stat st;
	size_t nlen = strlen(name), at = plen;
	long long mt;

	if (plen + nlen + 2 >= PATH_MAX_TAR)
		return cl_fail_plain(err, ENAMETOOLONG, "`%s/%s`: name too long", path, name);
	if (plen > 0)
		path[at++] = '/';
	memcpy(path + at, name, nlen + 1);
	if (runtime_mount(path))
		goto done;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			goto done;
		return cl_fail(err, errno, "stat `%s`", path);
	}
	mt = (long long)st.st_mtim.tv_sec;
	if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
		/* an overlay whiteout: `.wh.NAME`, an empty regular file */
		char wh[PATH_MAX_TAR + 8];

		snprintf(wh, sizeof wh, "%.*s.wh.%s", (int)at, path, name);
		if (header(w, wh, '0', 0600, st.st_uid, st.st_gid, mt, 0, NULL, 0, 0, err) < 0)
			return cl_error_ret(err);
	} else if (S_ISDIR(st.st_mode)) {
		cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char dname[PATH_MAX_TAR + 2], v[4];
		ssize_t n;

		if (fd < 0 && errno == ENOENT)
			goto done;
		if (fd < 0)
			return cl_fail(err, errno, "open `%s`", path);
		n = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v);
		/* only etc can hold runtime mount points: no second listing of
		 * any other directory */
		if (strcmp(path, "etc") == 0 && !(n == 1 && v[0] == 'y') && only_runtime_mounts(fd, path, at + nlen, err))
			goto done;
		snprintf(dname, sizeof dname, "%s/", path);
		if (header(w, dname, '5', st.st_mode, st.st_uid, st.st_gid, mt, 0, NULL, 0, 0, err) < 0)
			return cl_error_ret(err);
		if (n == 1 && v[0] == 'y') {
			char opq[PATH_MAX_TAR + 16];

			snprintf(opq, sizeof opq, "%s/.wh..wh..opq", path);
			if (header(w, opq, '0', st.st_mode & 0777, st.st_uid, st.st_gid, 0, 0, NULL, 0, 0, err) < 0)
				return cl_error_ret(err);
		}
		if (depth + 1 > MAX_DEPTH)
			return cl_fail_plain(err, ELOOP, "`%s`: deeper than %d directories", path, MAX_DEPTH);
		if (walk(w, fd, path, at + nlen, depth + 1, err) < 0)
			return cl_error_ret(err);
	} else if (S_ISREG(st.st_mode)) {
		const char *first = NULL;
		int ret = 0;

		if (st.st_nlink > 1)
			first = link_target(w, &st, path, err, &ret);
		if (ret < 0)
			return ret;
		if (first) {
			if (header(w, path, '1', st.st_mode, st.st_uid, st.st_gid, mt, 0, first, 0, 0, err) < 0)
				return cl_error_ret(err);
		} else if (header(w, path, '0', st.st_mode, st.st_uid, st.st_gid, mt, (uint64_t)st.st_size, NULL, 0, 0,
				  err) < 0 ||
			   file_data(w, dirfd, name, path, (uint64_t)st.st_size, err) < 0) {
			return cl_error_ret(err);
		}
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX_TAR];
		ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);

		if (n < 0 && errno == ENOENT)
			goto done;
		if (n < 0)
			return cl_fail(err, errno, "readlink `%s`", path);
		target[n] = 0;
		if (header(w, path, '2', st.st_mode, st.st_uid, st.st_gid, mt, 0, target, 0, 0, err) < 0)
			return cl_error_ret(err);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
		char t = S_ISCHR(st.st_mode) ? '3' : S_ISBLK(st.st_mode) ? '4' : '6';

		if (header(w, path, t, st.st_mode, st.st_uid, st.st_gid, mt, 0, NULL, major(st.st_rdev),
			   minor(st.st_rdev), err) < 0)
			return cl_error_ret(err);
	}
	/* sockets: left out, as Docker leaves them out */
done:
	path[plen] = 0;
	return 0;
}

static int walk(struct w *w, int dirfd, char *path, size_t plen, int depth, struct cl_error *err)
{
	char **names = NULL;
	size_t n = 0;
	int ret = 0;

	if (list_dir(dirfd, plen ? path : ".", &names, &n, err) < 0)
		return cl_error_ret(err);
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = entry(w, dirfd, names[i], path, plen, depth, err);
	free_names(names, n);
	path[plen] = 0;
	return ret;
}

int cl_layertar_write(const char *dir, cl_tar_sink sink, void *ctx, uint64_t *bytes, struct cl_error *err)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct w w = { .sink = sink, .ctx = ctx };
	char path[PATH_MAX_TAR + 16] = "";
	int ret;

	if (fd < 0)
		return cl_fail(err, errno, "open `%s`", dir);
	ret = walk(&w, fd, path, 0, 0, err);
	if (ret == 0)
		ret = zeros(&w, 2 * BLOCK, err);
	for (size_t i = 0; i < w.nlinks; i++)
		free(w.links[i].path);
	free(w.links);
	if (ret == 0 && bytes)
		*bytes = w.bytes;
	return ret;
}
