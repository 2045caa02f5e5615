#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

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

static int do_mount(const char *src, const char *tgt, const char *type, unsigned long flags, const char *data,
		    struct cl_error *err)
{
	if (mount(src, tgt, type, flags, data) < 0)
		return cl_fail(err, errno, "mount %s on `%s`", type ? type : src, tgt);
	return 0;
}

/* Relative to the new root (cwd): paths inside the container without the
 * leading '/'. */
static int mkdir_in(const char *rel, struct cl_error *err)
{
	return cl_mkdir_p(rel, 0755, err);
}

static int mount_one(const struct cl_mount *m, struct cl_error *err)
{
	const char *rel = m->target + 1;
	struct stat st;

	while (*rel == '/')
		rel++;
	if (m->type == CL_MOUNT_TMPFS) {
		if (mkdir_in(rel, err) < 0 ||
		    do_mount("tmpfs", rel, "tmpfs", MS_NOSUID | MS_NODEV | (m->ro ? MS_RDONLY : 0), "mode=1777", err) < 0)
			return cl_error_ret(err);
		return 0;
	}
	if (stat(m->source, &st) < 0)
		return cl_fail(err, errno, "bind source `%s`", m->source);
	if (S_ISDIR(st.st_mode)) {
		if (mkdir_in(rel, err) < 0)
			return cl_error_ret(err);
	} else {
		/* A file bind needs a file to cover. */
		char parent[CL_PATH_MAX];
		char *slash;
		int fd;

		snprintf(parent, sizeof parent, "%s", rel);
		slash = strrchr(parent, '/');
		if (slash) {
			*slash = '\0';
			if (mkdir_in(parent, err) < 0)
				return cl_error_ret(err);
		}
		fd = open(rel, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0 && errno != EISDIR)
			return cl_fail(err, errno, "create mount point `%s`", m->target);
		if (fd >= 0)
			close(fd);
	}
	if (do_mount(m->source, rel, NULL, MS_BIND | MS_REC, NULL, err) < 0)
		return cl_error_ret(err);
	/* A bind mount ignores MS_RDONLY: read-only takes a remount. */
	if (m->ro && do_mount(NULL, rel, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, NULL, err) < 0)
		return cl_error_ret(err);
	return 0;
}

static int make_dev(struct cl_error *err)
{
	static const struct {
		const char *name;
		unsigned maj, min;
	} nodes[] = {
		{ "dev/null", 1, 3 }, { "dev/zero", 1, 5 }, { "dev/full", 1, 7 },
		{ "dev/random", 1, 8 }, { "dev/urandom", 1, 9 }, { "dev/tty", 5, 0 },
	};
	static const struct {
		const char *name, *target;
	} links[] = {
		{ "dev/ptmx", "pts/ptmx" }, { "dev/fd", "/proc/self/fd" }, { "dev/stdin", "/proc/self/fd/0" },
		{ "dev/stdout", "/proc/self/fd/1" }, { "dev/stderr", "/proc/self/fd/2" },
	};

	if (mkdir_in("dev", err) < 0 ||
	    do_mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err) < 0)
		return cl_error_ret(err);
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
		if (mknod(nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0)
			return cl_fail(err, errno, "mknod `/%s`", nodes[i].name);
		/* mknod's mode went through the umask. */
		if (chmod(nodes[i].name, 0666) < 0)
			return cl_fail(err, errno, "chmod `/%s`", nodes[i].name);
	}
	for (size_t i = 0; i < sizeof links / sizeof *links; i++)
		if (symlink(links[i].target, links[i].name) < 0)
			return cl_fail(err, errno, "symlink `/%s`", links[i].name);
	if (mkdir("dev/pts", 0755) < 0 || mkdir("dev/shm", 01777) < 0)
		return cl_fail(err, errno, "mkdir in /dev");
	/* A devpts of its own: the container's ptys are numbered from 0 and
	 * invisible to the VM's. */
	if (do_mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620,gid=5", err) < 0 ||
	    do_mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", err) < 0)
		return cl_error_ret(err);
	return 0;
}

int cl_rootfs_setup(const struct cl_rootfs *r, struct cl_error *err)
{
	char opts[CL_PATH_MAX];
	cleanup_close int root = -1;

	/* Nothing mounted from here on may propagate back to the VM. */
	if (do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, err) < 0)
		return cl_error_ret(err);
	if (cl_path(opts, sizeof opts, err, "lowerdir=%s,upperdir=%s,workdir=%s", r->lowerdir, r->upper, r->work) < 0 ||
	    do_mount("overlay", r->rootfs, "overlay", 0, opts, err) < 0)
		return cl_error_ret(err);
	/* From here paths are relative to the new root. */
	if (chdir(r->rootfs) < 0)
		return cl_fail(err, errno, "chdir `%s`", r->rootfs);
	if (mkdir_in("proc", err) < 0 ||
	    do_mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0 || make_dev(err) < 0 ||
	    mkdir_in("sys", err) < 0 ||
	    do_mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
		return cl_error_ret(err);
	for (size_t i = 0; i < r->nmounts; i++)
		if (mount_one(&r->mounts[i], err) < 0)
			return cl_error_wrap(err, "mount `%s`", r->mounts[i].target);

	/* pivot_root(".", ".") stacks the old root on the new one; detaching
	 * it leaves only the container's tree (runc's trick: no temp dir). */
	root = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return cl_fail(err, errno, "open `%s`", r->rootfs);
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
