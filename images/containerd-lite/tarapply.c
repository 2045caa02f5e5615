#include "tarapply.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "openat2.h"

#define BLOCK 512
#define READ_BUF (64 * 1024)
/* Directory names kept for the final mtime pass: bounds memory against an
 * archive of many deep directories; past it, mtimes are just not restored. */
#define DIR_TIMES_MAX (8u << 20)
/* Longest name shown in an error, so the reason after it still fits. */
#define SHOW_MAX 120

#define WH_PREFIX ".wh."
#define WH_META ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"

struct reader {
	int fd;
	uint8_t *buf;
	size_t pos, len;
	uint64_t off; /* stream offset of buf[pos] */
};

struct dir_time {
	char *name;
	struct timespec mtime;
};

struct ctx {
	int root;
	struct reader rd;
	struct cl_tar_limits lim;
	struct cl_tar_stats *st;
	struct cl_error *err;
	struct dir_time *dt;
	size_t ndt, dt_cap, dt_bytes;
};

/* What pax and GNU headers say about the next real entry. */
struct pending {
	bool any; /* a pax/GNU header was seen: an entry must follow */
	char *gnu_name, *gnu_link, *pax_path, *pax_link;
	bool has_size, has_uid, has_gid, has_mtime;
	uint64_t size;
	uint32_t uid, gid;
	struct timespec mtime;
};

struct entry {
	uint64_t off; /* of its (first) header */
	char type;
	const char *name; /* as in the archive, for messages */
	const char *link;
	char *norm;       /* name without leading "/" and "." components */
	uint64_t size;    /* data bytes that follow the header */
	uint32_t mode, uid, gid;
	unsigned major, minor;
	struct timespec mtime;
};

static void ctx_free(struct ctx *c)
{
	for (size_t i = 0; i < c->ndt; i++)
		free(c->dt[i].name);
	free(c->dt);
	free(c->rd.buf);
}

static void pending_free(struct pending *p)
{
	free(p->gnu_name);
	free(p->gnu_link);
	free(p->pax_path);
	free(p->pax_link);
	memset(p, 0, sizeof *p);
}

/* Long names are cut in the middle: the message is capped, and the reason
 * after the name matters more than the name's middle. */
static const char *show(const char *name, char buf[SHOW_MAX + 1])
{
	size_t n = strlen(name);

	if (n <= SHOW_MAX)
		return name;
	memcpy(buf, name, 40);
	memcpy(buf + 40, "...", 3);
	memcpy(buf + 43, name + n - (SHOW_MAX - 43), SHOW_MAX - 43);
	buf[SHOW_MAX] = '\0';
	return buf;
}

static int vfail(struct ctx *c, const struct entry *e, int code, bool with_errno, const char *fmt, va_list ap)
{
	char what[160], buf[SHOW_MAX + 1];
	const char *name = show(e->name, buf);

	vsnprintf(what, sizeof what, fmt, ap);
	if (with_errno)
		return cl_fail(c->err, code, "tar entry `%s` at offset %" PRIu64 ": %s", name, e->off, what);
	return cl_fail_plain(c->err, code, "tar entry `%s` at offset %" PRIu64 ": %s", name, e->off, what);
}

/* "tar entry `<name>` at offset <off>: <what>", for format errors and limits. */
__attribute__((format(printf, 4, 5)))
static int fail_bad(struct ctx *c, const struct entry *e, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(c, e, code, false, fmt, ap);
	va_end(ap);
	return r;
}

/* The same with ": <strerror(code)>" appended, for failed syscalls. */
__attribute__((format(printf, 4, 5)))
static int fail_sys(struct ctx *c, const struct entry *e, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(c, e, code, true, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- input ---------------------------------------------------------------- */

/* Points *p at up to max buffered bytes, reading more when none are left.
 * Returns the count, 0 at EOF, or -errno. */
static ssize_t rd_get(struct reader *r, const uint8_t **p, size_t max)
{
	size_t k;

	if (r->pos == r->len) {
		ssize_t n;

		do
			n = read(r->fd, r->buf, READ_BUF);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		r->pos = 0;
		r->len = (size_t)n;
		if (n == 0)
			return 0;
	}
	k = r->len - r->pos < max ? r->len - r->pos : max;
	*p = r->buf + r->pos;
	r->pos += k;
	r->off += k;
	return (ssize_t)k;
}

/* Reads up to n bytes into dst, stopping early only at EOF. Returns the
 * count or -errno. */
static ssize_t rd_upto(struct reader *r, void *dst, size_t n)
{
	size_t got = 0;

	while (got < n) {
		const uint8_t *p;
		ssize_t k = rd_get(r, &p, n - got);

		if (k < 0)
			return k;
		if (k == 0)
			break;
		memcpy((uint8_t *)dst + got, p, (size_t)k);
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static int fail_read(struct ctx *c, const struct entry *e, ssize_t k)
{
	if (k < 0)
		return fail_sys(c, e, (int)-k, "read the archive at offset %" PRIu64, c->rd.off);
	return fail_bad(c, e, EINVAL, "truncated archive: EOF at offset %" PRIu64 " inside the entry",
			c->rd.off);
}

/* Reads exactly n bytes of e's data; EOF is a truncated archive. */
static int rd_full(struct ctx *c, const struct entry *e, void *dst, size_t n)
{
	ssize_t k = rd_upto(&c->rd, dst, n);

	return k == (ssize_t)n ? 0 : fail_read(c, e, k);
}

static int rd_skip(struct ctx *c, const struct entry *e, uint64_t n)
{
	while (n) {
		const uint8_t *p;
		ssize_t k = rd_get(&c->rd, &p, n < READ_BUF ? (size_t)n : READ_BUF);

		if (k <= 0)
			return fail_read(c, e, k);
		n -= (uint64_t)k;
	}
	return 0;
}

static uint64_t padding(uint64_t size)
{
	return (BLOCK - size % BLOCK) % BLOCK;
}

/* ---- header fields --------------------------------------------------------- */

/* A numeric header field: octal digits after optional spaces, ended by
 * spaces or NULs (an empty field is 0), or GNU base-256 (first byte 0x80)
 * for values octal cannot hold. Negative base-256 is refused. */
static int parse_num(const uint8_t *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1;
		for (i = 1; i < n; i++) {
			if (v >> 56)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 61)
			return -1;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static int parse_dec(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* pax time: [-]seconds[.fraction]. */
static int parse_time(const char *s, size_t n, struct timespec *ts)
{
	bool neg = n > 0 && s[0] == '-';
	const char *dot;
	uint64_t sec, nsec = 0;
	size_t ip;

	if (neg)
		s++, n--;
	dot = memchr(s, '.', n);
	ip = dot ? (size_t)(dot - s) : n;
	if (parse_dec(s, ip, &sec) < 0 || sec > INT64_MAX - 1)
		return -1;
	if (dot) {
		size_t i;

		for (i = ip + 1; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			if (i - ip <= 9)
				nsec = nsec * 10 + (uint64_t)(s[i] - '0');
		}
		for (i = n - ip - 1; i < 9; i++)
			nsec *= 10;
	}
	if (neg && nsec) {
		ts->tv_sec = -(time_t)sec - 1;
		ts->tv_nsec = (long)(1000000000 - nsec);
	} else {
		ts->tv_sec = neg ? -(time_t)sec : (time_t)sec;
		ts->tv_nsec = (long)nsec;
	}
	return 0;
}

static int set_str(char **dst, const char *s, size_t n)
{
	char *p = NULL;

	if (n) {
		p = malloc(n + 1);
		if (!p)
			return -ENOMEM;
		memcpy(p, s, n);
		p[n] = '\0';
	}
	free(*dst);
	*dst = p; /* an empty value clears the override */
	return 0;
}

static bool key_is(const char *k, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(k, want, n) == 0;
}

/* pax records: "<len> <key>=<value>\n", len counting the whole record. */
static int parse_pax(struct ctx *c, const struct entry *e, const char *d, size_t n, struct pending *p)
{
	size_t pos = 0;

	while (pos < n) {
		const char *rec = d + pos, *key, *eq, *val;
		size_t i = 0, len = 0, klen, vlen;
		uint64_t v;

		if (rec[0] == '\0') {
			/* Some writers pad the data with NULs. */
			while (pos < n && d[pos] == '\0')
				pos++;
			if (pos < n)
				return fail_bad(c, e, EINVAL, "bad pax record at byte %zu", pos);
			break;
		}
		for (; pos + i < n && rec[i] >= '0' && rec[i] <= '9'; i++) {
			len = len * 10 + (size_t)(rec[i] - '0');
			if (len > n - pos)
				break;
		}
		if (i == 0 || len > n - pos || pos + i >= n || rec[i] != ' ' || len < i + 3 || rec[len - 1] != '\n')
			return fail_bad(c, e, EINVAL, "bad pax record at byte %zu", pos);
		key = rec + i + 1;
		eq = memchr(key, '=', (size_t)(rec + len - 1 - key));
		if (!eq || eq == key)
			return fail_bad(c, e, EINVAL, "bad pax record at byte %zu", pos);
		klen = (size_t)(eq - key);
		val = eq + 1;
		vlen = (size_t)(rec + len - 1 - val);
		pos += len;

		if (key_is(key, klen, "path") || key_is(key, klen, "linkpath")) {
			if (memchr(val, '\0', vlen))
				return fail_bad(c, e, EINVAL, "pax %.*s has a NUL byte", (int)klen, key);
			if (set_str(key[0] == 'p' ? &p->pax_path : &p->pax_link, val, vlen) < 0)
				return fail_sys(c, e, ENOMEM, "pax %.*s", (int)klen, key);
		} else if (key_is(key, klen, "size")) {
			if (parse_dec(val, vlen, &p->size) < 0)
				return fail_bad(c, e, EINVAL, "bad pax size `%.*s`", (int)vlen, val);
			p->has_size = true;
		} else if (key_is(key, klen, "uid") || key_is(key, klen, "gid")) {
			/* (uid_t)-1 would mean "leave unchanged" to chown. */
			if (parse_dec(val, vlen, &v) < 0 || v >= UINT32_MAX)
				return fail_bad(c, e, EINVAL, "bad pax %.*s `%.*s`", (int)klen, key, (int)vlen, val);
			if (key[0] == 'u')
				p->uid = (uint32_t)v, p->has_uid = true;
			else
				p->gid = (uint32_t)v, p->has_gid = true;
		} else if (key_is(key, klen, "mtime")) {
			if (parse_time(val, vlen, &p->mtime) < 0)
				return fail_bad(c, e, EINVAL, "bad pax mtime `%.*s`", (int)vlen, val);
			p->has_mtime = true;
		} else if (klen >= 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
			/* The data would be a sparse map, not the file. */
			return fail_bad(c, e, EINVAL, "sparse files are not supported");
		}
		/* Anything else (atime, uname, SCHILY.xattr.*, ...) is ignored. */
	}
	return 0;
}

/* Reads the data of a pax or GNU long name/link header (NUL-terminated). */
static int read_meta(struct ctx *c, const struct entry *e, char **out)
{
	cleanup_free char *d = NULL;
	int r;

	if (e->size > c->lim.max_header_size)
		return fail_bad(c, e, E2BIG, "%" PRIu64 "-byte '%c' header over the limit of %" PRIu64 " bytes",
				e->size, e->type, c->lim.max_header_size);
	d = malloc((size_t)e->size + 1);
	if (!d)
		return fail_sys(c, e, ENOMEM, "read '%c' header", e->type);
	r = rd_full(c, e, d, (size_t)e->size);
	if (r < 0)
		return r;
	r = rd_skip(c, e, padding(e->size));
	if (r < 0)
		return r;
	d[e->size] = '\0';
	*out = d;
	d = NULL;
	return 0;
}

/* ---- paths ------------------------------------------------------------------ */

/* Copies in to out (at least as large) without leading "/", empty and "."
 * components. -1 if a component is "..": refused even where openat2 would
 * keep it inside the root, as no sane layer has one. */
static int normalize(const char *in, char *out)
{
	char *o = out;

	while (*in) {
		const char *s;
		size_t n;

		while (*in == '/')
			in++;
		if (!*in)
			break;
		s = in;
		while (*in && *in != '/')
			in++;
		n = (size_t)(in - s);
		if (n == 1 && s[0] == '.')
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return -1;
		if (o != out)
			*o++ = '/';
		memcpy(o, s, n);
		o += n;
	}
	*o = '\0';
	return 0;
}

/* Splits a normalized path in place: *dir is "" for the root. */
static void split(char *path, char **dir, char **base)
{
	char *slash = strrchr(path, '/');

	if (slash) {
		*slash = '\0';
		*dir = path;
		*base = slash + 1;
	} else {
		*dir = path + strlen(path); /* "" */
		*base = path;
	}
}

/* Opens path (relative, "" for the root itself) with every symlink, ".."
 * and absolute link resolved as if root were "/": nothing can lead out. We
 * are the tree's only writer, so openat2's EAGAIN can only be transient. */
static int open_in_root(int root, const char *path, int flags)
{
	return cl_openat2(root, path, flags, CL_RESOLVE_IN_ROOT);
}

/* Opens directory dir (O_PATH) inside the root; with create, makes missing
 * components 0755 as containerd does. Each component is created in its
 * parent as resolved in the root, so a symlink on the way is followed only
 * within the root, and a dangling one is an error rather than a new
 * directory somewhere. dir is modified temporarily. */
static int open_dir(struct ctx *c, const struct entry *e, char *dir, bool create, int *out)
{
	cleanup_close int cur = -1;
	char *p = dir;
	int fd = open_in_root(c->root, dir, O_PATH | O_DIRECTORY);

	if (fd < 0 && errno == ENOSYS)
		/* No unconfined fallback: better no layer than an escaped one. */
		return fail_sys(c, e, ENOSYS, "openat2 with RESOLVE_IN_ROOT (Linux 5.6+)");
	if (fd >= 0 || errno != ENOENT || !create) {
		if (fd < 0)
			return fail_sys(c, e, errno, "open directory `%s`", *dir ? dir : ".");
		*out = fd;
		return 0;
	}
	cur = open_in_root(c->root, "", O_PATH | O_DIRECTORY);
	if (cur < 0)
		return fail_sys(c, e, errno, "open the root");
	for (;;) {
		char *slash = strchr(p, '/');
		int r = 0;

		if (slash)
			*slash = '\0';
		fd = open_in_root(c->root, dir, O_PATH | O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(cur, p, 0755) == 0) {
				cleanup_close int dfd = openat(cur, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

				/* Exactly 0755 whatever the umask. */
				if (dfd < 0 || fchmod(dfd, 0755) < 0)
					r = fail_sys(c, e, errno, "create directory `%s`", dir);
			} else if (errno != EEXIST) {
				r = fail_sys(c, e, errno, "create directory `%s`", dir);
			}
			if (r == 0)
				fd = open_in_root(c->root, dir, O_PATH | O_DIRECTORY);
		}
		if (r == 0 && fd < 0)
			r = fail_sys(c, e, errno, "open directory `%s`", dir);
		if (slash)
			*slash = '/';
		if (r < 0)
			return r;
		close(cur);
		cur = fd;
		if (!slash)
			break;
		p = slash + 1;
	}
	*out = cl_steal_fd(&cur);
	return 0;
}

/* Clears the way for a new entry at pfd/base without following a link
 * there: an old non-directory is unlinked, an old directory removed if empty.
 * Returns 1 when both are directories (merge: keep it), else 0 or error. */
static int make_room(struct ctx *c, const struct entry *e, int pfd, const char *base, bool new_dir)
{
	struct stat st;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail_sys(c, e, errno, "stat the existing entry");
	}
	if (S_ISDIR(st.st_mode)) {
		if (new_dir)
			return 1;
		if (unlinkat(pfd, base, AT_REMOVEDIR) < 0)
			return fail_sys(c, e, errno, "replace the existing directory");
		return 0;
	}
	if (unlinkat(pfd, base, 0) < 0)
		return fail_sys(c, e, errno, "replace the existing entry");
	return 0;
}

static int utimes_at(int dfd, const char *name, const struct timespec *mtime)
{
	struct timespec ts[2] = { *mtime, *mtime };

	return utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

/* ---- entry types -------------------------------------------------------- */

static int apply_file(struct ctx *c, struct entry *e, int pfd, const char *base)
{
	struct timespec ts[2] = { e->mtime, e->mtime };
	cleanup_close int fd = -1;
	uint64_t left = e->size;
	int r = make_room(c, e, pfd, base, false);

	if (r < 0)
		return r;
	/* O_EXCL: a link that appeared at base is never written through. */
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_sys(c, e, errno, "create file");
	while (left) {
		const uint8_t *p;
		ssize_t k = rd_get(&c->rd, &p, left < READ_BUF ? (size_t)left : READ_BUF);
		struct iovec iov;

		if (k <= 0)
			return fail_read(c, e, k);
		iov.iov_base = (void *)p;
		iov.iov_len = (size_t)k;
		if (cl_write_all(fd, &iov, 1, c->err) < 0) {
			char buf[SHOW_MAX + 1];

			return cl_error_wrap(c->err, "tar entry `%s` at offset %" PRIu64, show(e->name, buf), e->off);
		}
		left -= (uint64_t)k;
		c->st->bytes += (uint64_t)k;
	}
	e->size = 0; /* consumed */
	/* chown first: it clears set-id bits that chmod then restores. */
	if (fchown(fd, e->uid, e->gid) < 0)
		return fail_sys(c, e, errno, "chown to %" PRIu32 ":%" PRIu32, e->uid, e->gid);
	if (fchmod(fd, e->mode) < 0)
		return fail_sys(c, e, errno, "chmod to %04" PRIo32, e->mode);
	if (futimens(fd, ts) < 0)
		return fail_sys(c, e, errno, "set mtime");
	return 0;
}

static int record_dir_time(struct ctx *c, const struct entry *e)
{
	size_t len = strlen(e->norm) + 1;
	char *name;

	if (c->dt_bytes + len > DIR_TIMES_MAX)
		return 0;
	if (c->ndt == c->dt_cap) {
		size_t cap = c->dt_cap ? 2 * c->dt_cap : 64;
		struct dir_time *dt = realloc(c->dt, cap * sizeof *dt);

		if (!dt)
			return fail_sys(c, e, ENOMEM, "remember directory mtime");
		c->dt = dt;
		c->dt_cap = cap;
	}
	name = strdup(e->norm);
	if (!name)
		return fail_sys(c, e, ENOMEM, "remember directory mtime");
	c->dt[c->ndt].name = name;
	c->dt[c->ndt].mtime = e->mtime;
	c->ndt++;
	c->dt_bytes += len;
	return 0;
}

static int apply_dir(struct ctx *c, struct entry *e, int pfd, const char *base)
{
	cleanup_close int fd = -1;
	int r = make_room(c, e, pfd, base, true);

	if (r < 0)
		return r;
	if (r == 0 && mkdirat(pfd, base, 0700) < 0)
		return fail_sys(c, e, errno, "create directory");
	/* O_NOFOLLOW: owner and mode go to this directory, never a link's target. */
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_sys(c, e, errno, "open directory");
	if (fchown(fd, e->uid, e->gid) < 0)
		return fail_sys(c, e, errno, "chown to %" PRIu32 ":%" PRIu32, e->uid, e->gid);
	if (fchmod(fd, e->mode) < 0)
		return fail_sys(c, e, errno, "chmod to %04" PRIo32, e->mode);
	return record_dir_time(c, e);
}

static int apply_symlink(struct ctx *c, struct entry *e, int pfd, const char *base)
{
	int r;

	if (!*e->link)
		return fail_bad(c, e, EINVAL, "symlink with an empty target");
	r = make_room(c, e, pfd, base, false);
	if (r < 0)
		return r;
	/* The target is stored as is: it is only ever resolved inside the
	 * container's root, or here with RESOLVE_IN_ROOT. */
	if (symlinkat(e->link, pfd, base) < 0)
		return fail_sys(c, e, errno, "create symlink");
	if (fchownat(pfd, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(c, e, errno, "chown to %" PRIu32 ":%" PRIu32, e->uid, e->gid);
	if (utimes_at(pfd, base, &e->mtime) < 0)
		return fail_sys(c, e, errno, "set mtime");
	return 0;
}

static int apply_hardlink(struct ctx *c, struct entry *e, int pfd, const char *base)
{
	cleanup_free char *target = malloc(strlen(e->link) + 1);
	cleanup_close int tfd = -1;
	char *tdir, *tbase;
	struct stat st;
	int r;

	if (!target)
		return fail_sys(c, e, ENOMEM, "hard link");
	if (normalize(e->link, target) < 0)
		return fail_bad(c, e, EPERM, "hard link target `%s` has a `..` component", e->link);
	if (!*target)
		return fail_bad(c, e, EPERM, "hard link to the root");
	if (strcmp(target, e->norm) == 0)
		return 0; /* a link to itself: it is already there */
	split(target, &tdir, &tbase);
	r = open_dir(c, e, tdir, false, &tfd);
	if (r < 0)
		return r;
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(c, e, errno, "hard link target `%s`", e->link);
	if (S_ISDIR(st.st_mode))
		return fail_bad(c, e, EPERM, "hard link to directory `%s`", e->link);
	r = make_room(c, e, pfd, base, false);
	if (r < 0)
		return r;
	/* flags 0: a symlink target is linked itself, not followed. */
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		return fail_sys(c, e, errno, "hard link to `%s`", e->link);
	return 0;
}

static int apply_node(struct ctx *c, struct entry *e, int pfd, const char *base)
{
	mode_t type = e->type == '3' ? S_IFCHR : e->type == '4' ? S_IFBLK : S_IFIFO;
	dev_t dev = e->type == '6' ? 0 : makedev(e->major, e->minor);
	struct stat st;
	int r = make_room(c, e, pfd, base, false);

	if (r < 0)
		return r;
	if (mknodat(pfd, base, type | e->mode, dev) < 0)
		return fail_sys(c, e, errno, "mknod");
	if (fchownat(pfd, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(c, e, errno, "chown to %" PRIu32 ":%" PRIu32, e->uid, e->gid);
	/* A node cannot be opened without side effects, so no fchmod: only when
	 * the umask or chown changed the mode, chmod by name without following
	 * (musl does that through /proc). */
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(c, e, errno, "stat");
	if ((st.st_mode & 07777) != e->mode && fchmodat(pfd, base, e->mode, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys(c, e, errno, "chmod to %04" PRIo32, e->mode);
	if (utimes_at(pfd, base, &e->mtime) < 0)
		return fail_sys(c, e, errno, "set mtime");
	return 0;
}

/* "dir/.wh.name": overlayfs hides a lower "name" behind a 0/0 char device. */
static int apply_whiteout(struct ctx *c, struct entry *e, char *dir, const char *name)
{
	cleanup_close int pfd = -1;
	int r;

	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return fail_bad(c, e, EINVAL, "whiteout of `%s`", name);
	r = open_dir(c, e, dir, true, &pfd);
	if (r < 0)
		return r;
	r = make_room(c, e, pfd, name, false);
	if (r < 0)
		return r;
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return fail_sys(c, e, errno, "create whiteout device `%s`", name);
	return 0;
}

/* "dir/.wh..wh..opq": overlayfs hides all lower content of an opaque dir. */
static int apply_opaque(struct ctx *c, struct entry *e, char *dir)
{
	cleanup_close int pfd = -1;
	cleanup_close int fd = -1;
	int r = open_dir(c, e, dir, true, &pfd);

	if (r < 0)
		return r;
	/* An O_PATH fd takes no xattrs: reopen it for real. */
	fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_sys(c, e, errno, "open directory `%s`", *dir ? dir : ".");
	if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
		return fail_sys(c, e, errno, "set trusted.overlay.opaque on `%s`", *dir ? dir : ".");
	return 0;
}

static bool header_only(char type)
{
	return type >= '1' && type <= '6';
}

static bool known_type(char type)
{
	return type == '\0' || (type >= '0' && type <= '7');
}

/* A whiteout is a leaf: a directory component starting with ".wh." (the
 * opaque marker included) is a malformed or hostile layer. */
static bool whiteout_in_dir(const char *dir)
{
	const char *p = dir;

	while (*p) {
		if (strncmp(p, WH_PREFIX, strlen(WH_PREFIX)) == 0)
			return true;
		p += strcspn(p, "/");
		if (*p)
			p++;
	}
	return false;
}

static int apply_entry(struct ctx *c, struct entry *e)
{
	cleanup_close int pfd = -1;
	cleanup_free char *path = NULL;
	char *dir, *base;
	size_t len = strlen(e->name);
	int r;

	if (len > c->lim.max_path)
		return fail_bad(c, e, ENAMETOOLONG, "name of %zu bytes over the limit of %" PRIu64, len,
				c->lim.max_path);
	if (strlen(e->link) > c->lim.max_path)
		return fail_bad(c, e, ENAMETOOLONG, "link target of %zu bytes over the limit of %" PRIu64,
				strlen(e->link), c->lim.max_path);
	e->norm = malloc(len + 1);
	if (!e->norm)
		return fail_sys(c, e, ENOMEM, "normalize name");
	if (normalize(e->name, e->norm) < 0)
		return fail_bad(c, e, EPERM, "name has a `..` component");
	if (!*e->norm) {
		if (e->type == '5')
			return 0; /* the root's own entry: the snapshot dir stays as made */
		return fail_bad(c, e, EPERM, "entry resolves to the root");
	}
	/* split() cuts its argument: norm stays whole for messages and mtimes. */
	path = strdup(e->norm);
	if (!path)
		return fail_sys(c, e, ENOMEM, "normalize name");
	split(path, &dir, &base);
	if (whiteout_in_dir(dir))
		return fail_bad(c, e, EINVAL, "whiteout name used as a directory");
	if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0) {
		if (strcmp(base, WH_OPAQUE) == 0)
			return apply_opaque(c, e, dir);
		if (strncmp(base, WH_META, strlen(WH_META)) == 0)
			return 0; /* AUFS metadata (.wh..wh.plnk, ...): skipped as Docker does */
		return apply_whiteout(c, e, dir, base + strlen(WH_PREFIX));
	}
	r = open_dir(c, e, dir, true, &pfd);
	if (r < 0)
		return r;
	switch (e->type) {
	case '0': case '7':
		return apply_file(c, e, pfd, base);
	case '1':
		return apply_hardlink(c, e, pfd, base);
	case '2':
		return apply_symlink(c, e, pfd, base);
	case '3': case '4': case '6':
		return apply_node(c, e, pfd, base);
	case '5':
		return apply_dir(c, e, pfd, base);
	}
	return fail_bad(c, e, EINVAL, "unsupported entry type"); /* next() checked: unreachable */
}

/* ---- the archive ------------------------------------------------------------ */

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Checksum over the header with its checksum field as spaces; some old
 * writers summed signed chars, so that is accepted too. */
static bool checksum_ok(const uint8_t *h)
{
	uint64_t want, u = 0;
	int64_t s = 0;

	if (parse_num(h + 148, 8, &want) < 0)
		return false;
	for (int i = 0; i < BLOCK; i++) {
		uint8_t b = i >= 148 && i < 156 ? ' ' : h[i];

		u += b;
		s += (signed char)b;
	}
	return want == u || (int64_t)want == s;
}

static int parse_field(struct ctx *c, const struct entry *e, const uint8_t *h, size_t off, size_t n,
		       const char *what, uint64_t max, uint64_t *out)
{
	if (parse_num(h + off, n, out) < 0)
		return fail_bad(c, e, EINVAL, "%s field is not a number", what);
	if (*out > max)
		return fail_bad(c, e, EINVAL, "%s %" PRIu64 " out of range", what, *out);
	return 0;
}

static int apply_dir_times(struct ctx *c)
{
	for (size_t i = 0; i < c->ndt; i++) {
		struct timespec ts[2] = { c->dt[i].mtime, c->dt[i].mtime };
		/* O_NOFOLLOW: a later entry may have made this name a symlink. */
		cleanup_close int fd = open_in_root(c->root, c->dt[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

		if (fd < 0)
			continue; /* replaced or removed by a later entry */
		if (futimens(fd, ts) < 0)
			return cl_fail(c->err, errno, "set mtime of directory `%s`", c->dt[i].name);
	}
	return 0;
}

/* One header block and what follows it. 1 at the end of the archive. */
static int next(struct ctx *c, struct pending *pend)
{
	uint8_t h[BLOCK];
	char hname[256 + 1 + 1], hlink[100 + 1];
	struct entry e = { .off = c->rd.off, .name = "", .link = "" };
	bool posix;
	uint64_t v, hsize, dsize;
	ssize_t k = rd_upto(&c->rd, h, BLOCK);
	int r;

	if (k < 0)
		return cl_fail(c->err, (int)-k, "tar: read the archive at offset %" PRIu64, e.off);
	if (k == 0 && !pend->any)
		return 1;
	if (k < BLOCK)
		return cl_fail_plain(c->err, EINVAL, "tar: truncated archive: EOF inside the header at offset %" PRIu64,
				     e.off);
	if (all_zero(h, BLOCK)) {
		/* End marker: a second zero block, or EOF right after the first. */
		k = rd_upto(&c->rd, h, BLOCK);
		if (k < 0)
			return cl_fail(c->err, (int)-k, "tar: read the archive at offset %" PRIu64, e.off + BLOCK);
		if ((k != 0 && k != BLOCK) || !all_zero(h, (size_t)k))
			return cl_fail_plain(c->err, EINVAL, "tar: lone zero block at offset %" PRIu64, e.off);
		if (pend->any)
			return cl_fail_plain(c->err, EINVAL,
					     "tar: archive ends after a pax/GNU header, without its entry");
		return 1;
	}

	/* Names first, so every later error can say which entry it is. */
	posix = memcmp(h + 257, "ustar\0", 6) == 0;
	if (posix && h[345]) {
		size_t pn = strnlen((char *)h + 345, 155);

		memcpy(hname, h + 345, pn);
		hname[pn] = '/';
		memcpy(hname + pn + 1, h, strnlen((char *)h, 100));
		hname[pn + 1 + strnlen((char *)h, 100)] = '\0';
	} else {
		memcpy(hname, h, strnlen((char *)h, 100));
		hname[strnlen((char *)h, 100)] = '\0';
	}
	memcpy(hlink, h + 157, strnlen((char *)h + 157, 100));
	hlink[strnlen((char *)h + 157, 100)] = '\0';
	e.type = (char)h[156];
	e.name = pend->pax_path ? pend->pax_path : pend->gnu_name ? pend->gnu_name : hname;
	e.link = pend->pax_link ? pend->pax_link : pend->gnu_link ? pend->gnu_link : hlink;
	if (!checksum_ok(h))
		return fail_bad(c, &e, EINVAL, "bad header checksum");

	if ((r = parse_field(c, &e, h, 100, 8, "mode", UINT64_MAX, &v)) < 0)
		return r;
	e.mode = (uint32_t)(v & 07777);
	if ((r = parse_field(c, &e, h, 108, 8, "uid", UINT32_MAX - 1, &v)) < 0)
		return r;
	e.uid = pend->has_uid ? pend->uid : (uint32_t)v;
	if ((r = parse_field(c, &e, h, 116, 8, "gid", UINT32_MAX - 1, &v)) < 0)
		return r;
	e.gid = pend->has_gid ? pend->gid : (uint32_t)v;
	if ((r = parse_field(c, &e, h, 124, 12, "size", UINT64_MAX, &hsize)) < 0)
		return r;
	e.size = pend->has_size ? pend->size : hsize;
	if ((r = parse_field(c, &e, h, 136, 12, "mtime", INT64_MAX, &v)) < 0)
		return r;
	e.mtime.tv_sec = (time_t)v;
	if (pend->has_mtime)
		e.mtime = pend->mtime;
	if (e.type == '3' || e.type == '4') {
		if ((r = parse_field(c, &e, h, 329, 8, "devmajor", 0xfff, &v)) < 0)
			return r;
		e.major = (unsigned)v;
		if ((r = parse_field(c, &e, h, 337, 8, "devminor", 0xfffff, &v)) < 0)
			return r;
		e.minor = (unsigned)v;
	}
	/* As in Go's archive/tar: these types never carry data. */
	if (header_only(e.type))
		e.size = 0;

	switch (e.type) {
	case 'x':
	case 'L':
	case 'K': {
		cleanup_free char *d = NULL;

		e.size = hsize; /* a pax size applies to the next entry, not this one */
		r = read_meta(c, &e, &d);
		if (r < 0)
			return r;
		pend->any = true;
		if (e.type == 'x')
			return parse_pax(c, &e, d, (size_t)e.size, pend);
		if (set_str(e.type == 'L' ? &pend->gnu_name : &pend->gnu_link, d, strlen(d)) < 0)
			return fail_sys(c, &e, ENOMEM, "GNU long name");
		return 0;
	}
	case 'g':
		/* Global pax headers apply to nothing we use. */
		e.size = hsize;
		if (e.size > c->lim.max_header_size)
			return fail_bad(c, &e, E2BIG, "%" PRIu64 "-byte 'g' header over the limit of %" PRIu64 " bytes",
					e.size, c->lim.max_header_size);
		return rd_skip(c, &e, e.size + padding(e.size));
	}

	if (!known_type(e.type))
		return fail_bad(c, &e, EINVAL, "unsupported entry type '%c' (0x%02x)", e.type > ' ' ? e.type : '?',
				(unsigned)(uint8_t)e.type);
	/* A real entry: the overrides were for it alone. */
	if (++c->st->entries > c->lim.max_entries)
		return fail_bad(c, &e, E2BIG, "more than %" PRIu64 " entries", c->lim.max_entries);
	if (e.size > c->lim.max_entry_size)
		return fail_bad(c, &e, EFBIG, "%" PRIu64 " bytes over the entry limit of %" PRIu64, e.size,
				c->lim.max_entry_size);
	if (e.type == '\0' || e.type == '0' || e.type == '7') {
		size_t n = strlen(e.name);

		/* Pre-POSIX archives mark directories with a trailing slash. */
		e.type = n && e.name[n - 1] == '/' ? '5' : '0';
		if (e.type == '0' && e.size > c->lim.max_total_size - c->st->bytes)
			return fail_bad(c, &e, EFBIG, "layer over the limit of %" PRIu64 " bytes",
					c->lim.max_total_size);
	}
	dsize = e.size;
	r = apply_entry(c, &e);
	free(e.norm);
	if (r < 0)
		return r;
	/* e.size is now what the entry did not consume. */
	r = rd_skip(c, &e, e.size + padding(dsize));
	if (r < 0)
		return r;
	pending_free(pend);
	return 0;
}

int cl_tar_apply(int tar_fd, int root_fd, const struct cl_tar_limits *lim, struct cl_tar_stats *st,
		 struct cl_error *err)
{
	__attribute__((cleanup(ctx_free))) struct ctx c = {
		.root = root_fd, .rd = { .fd = tar_fd }, .err = err,
	};
	__attribute__((cleanup(pending_free))) struct pending pend = { 0 };
	struct cl_tar_stats dummy;
	int r;

	if (lim)
		c.lim = *lim;
	if (!c.lim.max_entry_size)
		c.lim.max_entry_size = CL_TAR_DEFAULT_MAX_ENTRY_SIZE;
	if (!c.lim.max_header_size)
		c.lim.max_header_size = CL_TAR_DEFAULT_MAX_HEADER_SIZE;
	if (!c.lim.max_total_size)
		c.lim.max_total_size = CL_TAR_DEFAULT_MAX_TOTAL_SIZE;
	if (!c.lim.max_entries)
		c.lim.max_entries = CL_TAR_DEFAULT_MAX_ENTRIES;
	if (!c.lim.max_path)
		c.lim.max_path = CL_TAR_DEFAULT_MAX_PATH;
	c.st = st ? st : &dummy;
	memset(c.st, 0, sizeof *c.st);
	c.rd.buf = malloc(READ_BUF);
	if (!c.rd.buf)
		return cl_fail(err, ENOMEM, "tar: allocate the read buffer");
	while ((r = next(&c, &pend)) == 0)
		;
	if (r < 0)
		return r;
	return apply_dir_times(&c);
}
