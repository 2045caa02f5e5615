#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "openat2.h"

const char *cl_state_root = CL_STATE_ROOT;

int cl_state_init(struct cl_error *err)
{
	static bool done;
	static const char *const dirs[] = { "containers", "volumes" };
	char p[CL_PATH_MAX];

	if (done)
		return 0;
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		if (cl_path(p, sizeof p, err, "%s/%s", cl_state_root, dirs[i]) < 0 ||
		    cl_mkdir_p(p, 0711, err) < 0)
			return cl_error_ret(err);
	}
	done = true;
	return 0;
}

bool cl_is_mounted(const char *path, const char *parent)
{
	struct stat a, b;

	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

int cl_path(char *buf, size_t size, struct cl_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return cl_fail(err, ENAMETOOLONG, "path `%.64s...`", buf);
	return 0;
}

int cl_mkdir_p(const char *path, mode_t mode, struct cl_error *err)
{
	char p[CL_PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof p)
		return cl_fail(err, ENAMETOOLONG, "mkdir `%.64s...`", path);
	memcpy(p, path, n + 1);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return cl_fail(err, errno, "mkdir `%s`", p);
		*s = c;
		if (!c)
			break;
	}
	return 0;
}

static int rm_at(int dfd, const char *name, struct cl_error *err)
{
	cleanup_close int fd = -1;
	DIR *d;
	struct dirent *e;
	int ret = 0;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return cl_fail(err, errno, "unlink `%s`", name);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cl_fail(err, errno, "open directory `%s`", name);
	d = fdopendir(fd);
	if (!d)
		return cl_fail(err, errno, "fdopendir `%s`", name);
	fd = -1; /* owned by d now */
	while (ret == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ret = rm_at(dirfd(d), e->d_name, err);
	}
	closedir(d);
	if (ret < 0)
		return ret;
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return cl_fail(err, errno, "rmdir `%s`", name);
	return 0;
}

int cl_rm_rf(const char *path, struct cl_error *err)
{
	int ret = rm_at(AT_FDCWD, path, err);

	if (ret < 0)
		return cl_error_wrap(err, "remove `%s`", path);
	return 0;
}

int cl_read_all(const char *path, size_t max, char **out, size_t *len, struct cl_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *buf = NULL;
	size_t got = 0, cap = 0;

	if (fd < 0)
		return cl_fail(err, errno, "open `%s`", path);
	for (;;) {
		ssize_t n;

		if (got + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nb;

			if (cap > max + 1)
				return cl_fail(err, EFBIG, "read `%s`: over %zu bytes", path, max);
			nb = realloc(buf, ncap);
			if (!nb)
				return cl_fail(err, ENOMEM, "read `%s`", path);
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cl_fail(err, errno, "read `%s`", path);
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max)
			return cl_fail(err, EFBIG, "read `%s`: over %zu bytes", path, max);
	}
	buf[got] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = got;
	return 0;
}

static const char *file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a fifo" : S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a file";
}

int cl_read_in_root(int root, const char *path, size_t max, char **out, struct cl_error *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t got = 0;

	*out = NULL;
	fd = cl_openat2(root, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, CL_RESOLVE_IN_ROOT);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		if (errno == ELOOP || errno == EXDEV)
			return cl_fail_plain(err, errno,
					     "open %s: too many symbolic links, or a link through /proc (refused)", path);
		return cl_fail(err, errno, "open %s", path);
	}
	if (fstat(fd, &st) < 0)
		return cl_fail(err, errno, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return cl_fail_plain(err, EINVAL, "%s: not a regular file (%s)", path, file_kind(st.st_mode));
	if ((uint64_t)st.st_size > max)
		return cl_fail_plain(err, EFBIG, "%s: over %zu bytes", path, max);
	buf = malloc(max + 2);
	if (!buf)
		return cl_fail(err, ENOMEM, "read %s", path);
	/* One byte more than max: a file that grew meanwhile is noticed. */
	while (got <= max) {
		ssize_t n = read(fd, buf + got, max + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cl_fail(err, errno, "read %s", path);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max)
		return cl_fail_plain(err, EFBIG, "%s: over %zu bytes", path, max);
	buf[got] = '\0';
	*out = buf;
	buf = NULL;
	return 0;
}

int cl_write_atomic(const char *path, const void *data, size_t len, struct cl_error *err)
{
	char tmp[CL_PATH_MAX];
	cleanup_close int fd = -1;
	const char *p = data;

	if (cl_path(tmp, sizeof tmp, err, "%s.tmp", path) < 0)
		return cl_error_ret(err);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cl_fail(err, errno, "create `%s`", tmp);
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			unlink(tmp);
			return cl_fail(err, e, "write `%s`", tmp);
		}
		p += n;
		len -= (size_t)n;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return cl_fail(err, e, "rename `%s` to `%s`", tmp, path);
	}
	return 0;
}

static uint64_t du_at(int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	uint64_t sum = 0;

	if (!d) {
		close(dfd);
		return 0;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				sum += du_at(fd);
		} else if (S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	}
	closedir(d);
	return sum;
}

uint64_t cl_du(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? 0 : du_at(fd);
}

int cl_host_path_valid(const char *p)
{
	if (!*p || *p == '/')
		return 0;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");

		if ((n == 2 && s[0] == '.' && s[1] == '.') || n == 0)
			return 0;
		s += n;
		if (*s == '/')
			s++;
	}
	return 1;
}

uint64_t cl_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
