#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "openat2.h"

/* The mount API of Linux 5.2 (open_tree, move_mount) and 5.12
 * (mount_setattr): a bind is cloned, made read-only while still detached,
 * then attached to the target's fd, so it is never writable for a moment
 * and the target is never looked up twice. musl 1.2.3 has no wrappers;
 * these syscall numbers are the same on i386 and x86_64. */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define CL_OPEN_TREE_CLONE 1
#define CL_AT_RECURSIVE 0x8000
#define CL_MOVE_MOUNT_F_EMPTY_PATH 0x04
#define CL_MOVE_MOUNT_T_EMPTY_PATH 0x40
#define CL_MOUNT_ATTR_RDONLY 0x1
#define CL_MOUNT_ATTR_NOSUID 0x2
#define CL_MOUNT_ATTR_NODEV 0x4

struct cl_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#define CL_PROC_SUPER_MAGIC 0x9fa0

/* The rootfs's own mount points (/proc, /dev, /sys) and the masked paths:
 * no symlink anywhere on the way. */
#define RESOLVE_STRICT (CL_RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)

const char *const cl_masked_paths[] = {
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	"/sys/devices/virtual/powercap", NULL,
};

const char *const cl_readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

int cl_loopback_up(struct cl_error *err)
{
	cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (s < 0)
		return cl_fail(err, errno, "socket for lo");
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return cl_fail(err, errno, "SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return cl_fail(err, errno, "SIOCSIFFLAGS lo");
	return 0;
}

bool cl_mount_target_valid(const char *t)
{
	if (t[0] != '/' || !t[1])
		return false;
	for (const char *s = t; *s;) {
		size_t n;

		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return false;
		s += n;
	}
	return true;
}

/* "/a//b/" -> "a/b": a container path relative to the root fd ("" for /). */
static int rel_path(const char *target, char *out, size_t size, struct cl_error *err)
{
	size_t n;

	while (*target == '/')
		target++;
	if (cl_path(out, size, err, "%s", target) < 0)
		return cl_error_ret(err);
	n = strlen(out);
	while (n && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

/* Opens directory rel (O_PATH) under root, making missing components (0755)
 * one at a time in their resolved parent: a symlink on the way is followed
 * only inside root, and a dangling one is an error, not a directory made
 * somewhere else. rel is modified temporarily. */
static int open_dir_in_root(int root, char *rel, uint64_t resolve, const char *shown, int *out,
			    struct cl_error *err)
{
	cleanup_close int cur = -1;
	int fd = cl_openat2(root, rel, O_PATH | O_DIRECTORY, resolve);

	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	if (errno != ENOENT)
		return cl_fail(err, errno, "mount target `%s`: open `/%s`", shown, rel);
	cur = cl_openat2(root, "", O_PATH | O_DIRECTORY, resolve);
	if (cur < 0)
		return cl_fail(err, errno, "mount target `%s`: open the rootfs", shown);
	for (char *s = rel;;) {
		char *slash = strchr(s, '/');
		int e = 0;

		if (slash)
			*slash = '\0';
		fd = cl_openat2(root, rel, O_PATH | O_DIRECTORY, resolve);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(cur, s, 0755) == 0 || errno == EEXIST)
				fd = cl_openat2(root, rel, O_PATH | O_DIRECTORY, resolve);
		}
		if (fd < 0)
			e = errno;
		if (e)
			cl_fail(err, e, "mount target `%s`: make `/%s`", shown, rel);
		if (slash)
			*slash = '/';
		if (e)
			return -e;
		close(cur);
		cur = fd;
		if (!slash)
			break;
		s = slash + 1;
	}
	*out = cl_steal_fd(&cur);
	return 0;
}

/* The mount point for target, opened O_PATH under root and made if missing:
 * a directory, or with file an empty file (a file bind needs a file to
 * cover). Inside /proc is refused: a volume there could shadow the masks. */
static int open_target(int root, const char *target, bool file, uint64_t resolve, int *out, struct cl_error *err)
{
	char rel[CL_PATH_MAX], *slash, *base = rel;
	cleanup_close int dir = -1, fd = -1;
	struct statfs sfs;
	int r;

	if (rel_path(target, rel, sizeof rel, err) < 0)
		return cl_error_ret(err);
	slash = strrchr(rel, '/');
	if (slash) {
		*slash = '\0';
		base = slash + 1;
		r = open_dir_in_root(root, rel, resolve, target, &dir, err);
		*slash = '/';
	} else {
		char top[1] = "";

		r = open_dir_in_root(root, top, resolve, target, &dir, err);
	}
	if (r < 0)
		return r;
	if (file) {
		int f = openat(dir, base, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);

		if (f < 0 && errno != EEXIST)
			return cl_fail(err, errno, "create mount point `%s`", target);
		if (f >= 0)
			close(f);
	} else if (mkdirat(dir, base, 0755) < 0 && errno != EEXIST) {
		return cl_fail(err, errno, "create mount point `%s`", target);
	}
	/* Looked up whole from the root: if base is a symlink, it is followed
	 * inside the rootfs only. */
	fd = cl_openat2(root, rel, O_PATH, resolve);
	if (fd < 0) {
		if (errno == ELOOP && (resolve & RESOLVE_NO_SYMLINKS))
			return cl_fail_plain(err, ELOOP, "mount target `%s` is a symlink in the image: it must be an ordinary directory",
					     target);
		return cl_fail(err, errno, "mount target `%s`", target);
	}
	if (fstatfs(fd, &sfs) < 0)
		return cl_fail(err, errno, "statfs mount target `%s`", target);
	if (sfs.f_type == CL_PROC_SUPER_MAGIC)
		return cl_fail_plain(err, EPERM, "mount target `%s` is inside /proc", target);
	*out = cl_steal_fd(&fd);
	return 0;
}

static void fd_path(int fd, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/* A new filesystem (proc, sysfs, tmpfs, devpts) on target. */
static int mount_new(int root, const char *target, uint64_t resolve, const char *type, const char *src,
		     unsigned long flags, const char *data, struct cl_error *err)
{
	cleanup_close int fd = -1;
	char p[32];

	if (open_target(root, target, false, resolve, &fd, err) < 0)
		return cl_error_ret(err);
	fd_path(fd, p);
	if (mount(src, p, type, flags, data) < 0)
		return cl_fail(err, errno, "mount %s on `%s`", type, target);
	return 0;
}

/* Attaches the detached mount tree onto the mount point tgt; first, all
 * recursively: read-only if ro, and nosuid,nodev if user (a volume or bind:
 * a setuid binary or a device node of the VM there is inert in the
 * container; not the masks, whose /dev/null must stay a device). */
static int attach(int tree, int tgt, bool ro, bool user, const char *what, const char *target, struct cl_error *err)
{
	struct cl_mount_attr a = { .attr_set = (user ? CL_MOUNT_ATTR_NOSUID | CL_MOUNT_ATTR_NODEV : 0) |
					       (ro ? CL_MOUNT_ATTR_RDONLY : 0) };

	if (a.attr_set && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | CL_AT_RECURSIVE, &a, sizeof a) < 0)
		return cl_fail(err, errno, "make %s on `%s` %s", what, target,
			       user ? (ro ? "nosuid,nodev,ro" : "nosuid,nodev") : "read-only");
	if (syscall(SYS_move_mount, tree, "", tgt, "", CL_MOVE_MOUNT_F_EMPTY_PATH | CL_MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cl_fail(err, errno, "mount %s on `%s`", what, target);
	return 0;
}

/* A recursive clone of dfd/path (path "" for dfd itself), detached. */
static int clone_tree(int dfd, const char *path, const char *what, struct cl_error *err)
{
	int fd = (int)syscall(SYS_open_tree, dfd, path,
			      CL_OPEN_TREE_CLONE | O_CLOEXEC | CL_AT_RECURSIVE | (*path ? 0 : AT_EMPTY_PATH));

	if (fd < 0)
		return cl_fail(err, errno, "clone the mount of `%s`", what);
	return fd;
}

static int mount_user(int root, const struct cl_mount *m, struct cl_error *err)
{
	cleanup_close int tgt = -1, tree = -1;
	struct stat st;

	if (m->type == CL_MOUNT_TMPFS) {
		char data[256];

		if (snprintf(data, sizeof data, "mode=1777%s", m->data ? m->data : "") >= (int)sizeof data)
			return cl_fail_plain(err, E2BIG, "tmpfs options of `%s` too long", m->target);
		return mount_new(root, m->target, CL_RESOLVE_IN_ROOT, "tmpfs", "tmpfs",
				 (m->suid ? 0 : MS_NOSUID) | (m->dev ? 0 : MS_NODEV) | (m->exec ? 0 : MS_NOEXEC) |
					 (m->ro ? MS_RDONLY : 0),
				 data, err);
	}
	/* The source is the VM's (a volume dir, or a path the user named). */
	if (stat(m->source, &st) < 0)
		return cl_fail(err, errno, "bind source `%s`", m->source);
	if (open_target(root, m->target, !S_ISDIR(st.st_mode), CL_RESOLVE_IN_ROOT, &tgt, err) < 0)
		return cl_error_ret(err);
	tree = clone_tree(AT_FDCWD, m->source, m->source, err);
	if (tree < 0)
		return tree;
	return attach(tree, tgt, m->ro, true, m->source, m->target, err);
}

static int make_dev(int root, struct cl_error *err)
{
	static const struct {
		const char *name;
		unsigned maj, min;
	} nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct {
		const char *name, *target;
	} links[] = {
		{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	cleanup_close int dev = -1;

	if (mount_new(root, "/dev", RESOLVE_STRICT, "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
		      "mode=755,size=65536k", err) < 0)
		return cl_error_ret(err);
	/* The tmpfs just mounted: nothing of the image is in it. */
	dev = cl_openat2(root, "dev", O_PATH | O_DIRECTORY, RESOLVE_STRICT);
	if (dev < 0)
		return cl_fail(err, errno, "open /dev");
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
		if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0)
			return cl_fail(err, errno, "mknod `/dev/%s`", nodes[i].name);
		/* mknod's mode went through the umask. */
		if (fchmodat(dev, nodes[i].name, 0666, 0) < 0)
			return cl_fail(err, errno, "chmod `/dev/%s`", nodes[i].name);
	}
	for (size_t i = 0; i < sizeof links / sizeof *links; i++)
		if (symlinkat(links[i].target, dev, links[i].name) < 0)
			return cl_fail(err, errno, "symlink `/dev/%s`", links[i].name);
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0)
		return cl_fail(err, errno, "mkdir in /dev");
	/* A devpts of its own: the container's ptys are numbered from 0 and
	 * invisible to the VM's. */
	if (mount_new(root, "/dev/pts", RESOLVE_STRICT, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
		      "newinstance,ptmxmode=0666,mode=0620,gid=5", err) < 0 ||
	    mount_new(root, "/dev/shm", RESOLVE_STRICT, "tmpfs", "shm", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		      "mode=1777,size=65536k", err) < 0)
		return cl_error_ret(err);
	return 0;
}

/* runc's maskPath: what the container must not read (kernel memory, keys,
 * timers of other processes, firmware tables). */
static int mask_paths(int root, struct cl_error *err)
{
	cleanup_close int null = cl_openat2(root, "dev/null", O_PATH | O_NOFOLLOW, RESOLVE_STRICT);

	if (null < 0)
		return cl_fail(err, errno, "open /dev/null to mask with");
	for (size_t i = 0; cl_masked_paths[i]; i++) {
		const char *path = cl_masked_paths[i];
		cleanup_close int fd = cl_openat2(root, path + 1, O_PATH | O_NOFOLLOW, RESOLVE_STRICT);
		cleanup_close int tree = -1;
		struct stat st;
		char p[32];

		if (fd < 0 && errno == ENOENT)
			continue; /* not in this kernel */
		if (fd < 0 || fstat(fd, &st) < 0)
			return cl_fail(err, errno, "mask `%s`", path);
		if (S_ISDIR(st.st_mode)) {
			fd_path(fd, p);
			if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555") < 0)
				return cl_fail(err, errno, "mask `%s` with an empty tmpfs", path);
			continue;
		}
		tree = clone_tree(null, "", "/dev/null", err);
		if (tree < 0)
			return cl_error_wrap(err, "mask `%s`", path);
		if (attach(tree, fd, false, false, "/dev/null", path, err) < 0)
			return cl_error_ret(err);
	}
	return 0;
}

/* runc's readonlyPath: kernel tunables the container may read, not write. */
static int readonly_paths(int root, struct cl_error *err)
{
	for (size_t i = 0; cl_readonly_paths[i]; i++) {
		const char *path = cl_readonly_paths[i];
		cleanup_close int fd = cl_openat2(root, path + 1, O_PATH | O_NOFOLLOW, RESOLVE_STRICT);
		cleanup_close int tree = -1;

		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return cl_fail(err, errno, "make `%s` read-only", path);
		tree = clone_tree(fd, "", path, err);
		if (tree < 0 || attach(tree, fd, true, false, path, path, err) < 0)
			return cl_error_ret(err);
	}
	return 0;
}

int cl_rootfs_populate(int root, const struct cl_rootfs *r, struct cl_error *err)
{
	if (mount_new(root, "/proc", RESOLVE_STRICT, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0 ||
	    make_dev(root, err) < 0 ||
	    mount_new(root, "/sys", RESOLVE_STRICT, "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
		      err) < 0)
		return cl_error_ret(err);
	for (size_t i = 0; i < r->nmounts; i++)
		if (mount_user(root, &r->mounts[i], err) < 0)
			return cl_error_ret(err);
	/* Last, as runc does: nothing mounted above can uncover them. */
	if (mask_paths(root, err) < 0 || readonly_paths(root, err) < 0)
		return cl_error_ret(err);
	return 0;
}

int cl_rootfs_setup(const struct cl_rootfs *r, struct cl_error *err)
{
	char opts[CL_PATH_MAX];
	cleanup_close int root = -1;

	/* Nothing mounted from here on may propagate back to the VM. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return cl_fail(err, errno, "make / private");
	/* nodev: a device node in an image layer stays inert. Without a device
	 * cgroup here, one made for the host channel (or the VM's memory)
	 * would otherwise open it. */
	if (cl_path(opts, sizeof opts, err, "lowerdir=%s,upperdir=%s,workdir=%s", r->lowerdir, r->upper, r->work) < 0)
		return cl_error_ret(err);
	if (mount("overlay", r->rootfs, "overlay", MS_NODEV, opts) < 0)
		return cl_fail(err, errno, "mount overlay on `%s`", r->rootfs);
	/* The overlay's root: every later path is resolved from it. */
	root = open(r->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return cl_fail(err, errno, "open `%s`", r->rootfs);
	if (cl_rootfs_populate(root, r, err) < 0)
		return cl_error_ret(err);

	/* pivot_root(".", ".") stacks the old root on the new one; detaching
	 * it leaves only the container's tree (runc's trick: no temp dir). */
	if (fchdir(root) < 0)
		return cl_fail(err, errno, "fchdir `%s`", r->rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return cl_fail(err, errno, "pivot_root `%s`", r->rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return cl_fail(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return cl_fail(err, errno, "chdir /");
	return 0;
}
