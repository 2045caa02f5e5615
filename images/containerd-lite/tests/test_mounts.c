/* The container's mount setup (mounts.c) against hostile rootfs trees:
 * symlinked mount targets stay inside the rootfs, /proc /dev /sys must be
 * ordinary directories, nothing mounts inside /proc, runc's masked and
 * read-only paths hold, and a device node in the image is inert (nodev).
 *
 * Each test runs in a child in a private mount namespace, on a tmpfs, so a
 * regression that mounts over the host's /etc is seen (st_dev of /etc
 * changes) but only inside that namespace, which dies with the child. Runs
 * as root; without mount namespaces (not root, seccomp) it is skipped. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mounts.h"
#include "t.h"

void suite_mounts(void);

static char base[64];

static bool put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok;
}

static bool has(const char *path, const char *want)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf);
	close(fd);
	return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

static char *at(const char *rel)
{
	static char buf[16][256];
	static int i;

	i = (i + 1) % 16;
	snprintf(buf[i], sizeof buf[i], "%s/%s", base, rel);
	return buf[i];
}

/* Runs fn in a child with its own mount namespace and a tmpfs on base
 * holding root/ (the rootfs), vol/ (a volume with "volfile") and file (a
 * file to bind). The child's failures become the parent's. */
static void in_ns(void (*fn)(int root))
{
	pid_t pid;
	int status;

	strcpy(base, "/tmp/cl-mnt-XXXXXX");
	REQUIRE(mkdtemp(base) != NULL);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int root;

		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			printf("    note: no mount namespace (%s): skipped\n", strerror(errno));
			_exit(0);
		}
		if (mount("tmpfs", base, "tmpfs", 0, "mode=0755") < 0 || mkdir(at("root"), 0755) < 0 ||
		    mkdir(at("vol"), 0755) < 0 || !put(at("vol/volfile"), "vol") || !put(at("file"), "file") ||
		    (root = open(at("root"), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			_exit(100);
		fn(root);
		fflush(stdout);
		fflush(stderr);
		_exit(t_failures > 99 ? 99 : t_failures);
	}
	REQUIRE(pid > 0);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	t_failures += WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	rmdir(base);
}

static int populate(int root, struct cl_mount *m, size_t n, struct cl_error *err)
{
	struct cl_rootfs r = { .mounts = m, .nmounts = n };

	return cl_rootfs_populate(root, &r, err);
}

static void symlinked_targets(int root)
{
	struct stat etc_before, etc_after, st;
	struct cl_mount m[3] = {
		{ .type = CL_MOUNT_VOLUME, .source = at("vol"), .target = "/data" },
		{ .type = CL_MOUNT_BIND, .source = at("file"), .target = "/hostname" },
		{ .type = CL_MOUNT_TMPFS, .target = "/up/scratch" },
	};
	struct cl_error err = { 0 };
	int r;

	/* The image: /data -> /etc, /hostname -> /conf/hostname, /up -> ../..;
	 * each resolves inside the rootfs, never at the host's. */
	REQUIRE(mkdir(at("root/etc"), 0755) == 0 && mkdir(at("root/conf"), 0755) == 0 &&
		put(at("root/conf/hostname"), "image"));
	REQUIRE(symlink("/etc", at("root/data")) == 0 && symlink("/conf/hostname", at("root/hostname")) == 0 &&
		symlink("../..", at("root/up")) == 0);
	REQUIRE(stat("/etc", &etc_before) == 0);
	r = populate(root, m, 3, &err);
	if (r < 0)
		fprintf(stderr, "    populate: %s\n", err.msg);
	CHECK(r == 0);
	REQUIRE(stat("/etc", &etc_after) == 0);
	CHECK(etc_before.st_dev == etc_after.st_dev && etc_before.st_ino == etc_after.st_ino);
	CHECK(access("/etc/volfile", F_OK) < 0);
	CHECK(has(at("root/etc/volfile"), "vol"));

	CHECK(has(at("root/conf/hostname"), "file"));
	CHECK(stat(at("root/scratch"), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 01777);
	CHECK(access(at("scratch"), F_OK) < 0);
}

static const char *strict_dir;

static void strict_rootfs_dir(int root)
{
	struct cl_error err = { 0 };
	char link[32], want[64];

	snprintf(link, sizeof link, "root/%s", strict_dir);
	REQUIRE(symlink("/", at(link)) == 0);
	CHECK(populate(root, NULL, 0, &err) < 0);
	snprintf(want, sizeof want, "`/%s` is a symlink", strict_dir);
	CHECK(strstr(err.msg, want) != NULL);
	if (!strstr(err.msg, want))
		fprintf(stderr, "    got: %s\n", err.msg);
}

static void nothing_inside_proc(int root)
{
	struct cl_mount direct = { .type = CL_MOUNT_VOLUME, .source = at("vol"), .target = "/proc/sys" };
	struct cl_error err = { 0 };

	CHECK(populate(root, &direct, 1, &err) < 0 && strstr(err.msg, "`/proc/sys` is inside /proc"));
}

static void nothing_inside_proc_via_link(int root)
{
	struct cl_mount via = { .type = CL_MOUNT_TMPFS, .target = "/pp" };
	struct cl_error err = { 0 };

	REQUIRE(symlink("/proc/sys", at("root/pp")) == 0);
	CHECK(populate(root, &via, 1, &err) < 0 && strstr(err.msg, "`/pp` is inside /proc"));
}

/* The whole setup, pivot_root included, then looked at from inside. */
static void full_setup(int root)
{
	struct cl_mount m[3] = {
		{ .type = CL_MOUNT_VOLUME, .source = at("vol"), .target = "/data", .ro = true },
		{ .type = CL_MOUNT_TMPFS, .target = "/tmpd" },
		{ .type = CL_MOUNT_TMPFS, .target = "/tmpx", .exec = true, .data = ",size=8k,mode=700" },
	};
	struct cl_rootfs r = { .rootfs = at("root"), .lowerdir = at("lower"), .upper = at("upper"), .work = at("work"),
			       .mounts = m, .nmounts = 3 };
	struct statvfs sv;
	struct cl_error err = { 0 };
	struct stat st;
	char buf[16];
	int fd, rc;

	(void)root;
	REQUIRE(mkdir(at("lower"), 0755) == 0 && mkdir(at("upper"), 0755) == 0 && mkdir(at("work"), 0755) == 0);
	/* A device node shipped in a layer: /dev/null's numbers, made inert by
	 * nodev. */
	REQUIRE(mknod(at("lower/nullnode"), S_IFCHR | 0666, makedev(1, 3)) == 0);
	/* ...and one in a volume (the VM's own: nosuid,nodev) */
	REQUIRE(mknod(at("vol/nullnode"), S_IFCHR | 0666, makedev(1, 3)) == 0);
	rc = cl_rootfs_setup(&r, &err);
	if (rc < 0)
		fprintf(stderr, "    setup: %s\n", err.msg);
	REQUIRE(rc == 0);
	fd = open("/nullnode", O_RDONLY | O_CLOEXEC);
	CHECK(fd < 0 && errno == EACCES);
	if (fd >= 0)
		close(fd);
	CHECK(has("/data/volfile", "vol"));
	fd = open("/data/nullnode", O_RDONLY | O_CLOEXEC);
	CHECK(fd < 0 && errno == EACCES);
	if (fd >= 0)
		close(fd);
	CHECK(statvfs("/data", &sv) == 0 && (sv.f_flag & (ST_NOSUID | ST_NODEV | ST_RDONLY)) == (ST_NOSUID | ST_NODEV | ST_RDONLY));
	/* tmpfs: Docker's noexec,nosuid,nodev and mode 1777 by default; the options */
	CHECK(statvfs("/tmpd", &sv) == 0 && (sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC)) == (ST_NOSUID | ST_NODEV | ST_NOEXEC));
	CHECK(stat("/tmpd", &st) == 0 && (st.st_mode & 07777) == 01777);
	CHECK(statvfs("/tmpx", &sv) == 0 && (sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC)) == (ST_NOSUID | ST_NODEV));
	CHECK(sv.f_blocks * sv.f_frsize == 8192);
	CHECK(stat("/tmpx", &st) == 0 && (st.st_mode & 07777) == 0700);
	fd = open("/data/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd < 0 && errno == EROFS);
	if (fd >= 0)
		close(fd);
	/* Masked: a file reads as /dev/null, a directory is empty. */
	if (stat("/proc/kcore", &st) == 0) {
		CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
		fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 0);
		if (fd >= 0)
			close(fd);
	}
	if (stat("/proc/timer_list", &st) == 0) {
		CHECK(S_ISCHR(st.st_mode));
		/* the mask's /dev/null still opens (the mask is not nodev) */
		fd = open("/proc/timer_list", O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 0);
		if (fd >= 0)
			close(fd);
	}
	if (stat("/sys/firmware", &st) == 0) {
		CHECK(S_ISDIR(st.st_mode));
		CHECK(mkdir("/sys/firmware/x", 0755) < 0 && errno == EROFS);
	}
	/* Read-only, still readable. */
	CHECK(has("/proc/sys/kernel/ostype", "Linux\n"));
	fd = open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
	CHECK(fd < 0 && errno == EROFS);
	if (fd >= 0)
		close(fd);
	if (access("/proc/sysrq-trigger", F_OK) == 0) {
		fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
		CHECK(fd < 0 && errno == EROFS);
		if (fd >= 0)
			close(fd);
	}
	/* The host's tree is gone (pivot_root, detached). */
	CHECK(access(base, F_OK) < 0);
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
}

static void test_mounts_symlinked_targets_stay_inside(void)
{
	in_ns(symlinked_targets);
}

static void test_mounts_proc_dev_sys_not_symlinks(void)
{
	static const char *const dirs[] = { "proc", "dev", "sys" };

	for (size_t i = 0; i < 3; i++) {
		strict_dir = dirs[i];
		in_ns(strict_rootfs_dir);
	}
}

static void test_mounts_nothing_inside_proc(void)
{
	in_ns(nothing_inside_proc);
	in_ns(nothing_inside_proc_via_link);
}

static void test_mounts_full_setup_masks_and_nodev(void)
{
	in_ns(full_setup);
}

void suite_mounts(void)
{
	RUN(test_mounts_symlinked_targets_stay_inside);
	RUN(test_mounts_proc_dev_sys_not_symlinks);
	RUN(test_mounts_nothing_inside_proc);
	RUN(test_mounts_full_setup_masks_and_nodev);
}
