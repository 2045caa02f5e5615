/* libFuzzer target: the layer applier on arbitrary archives, with the check
 * that matters: nothing outside the snapshot root changes, whatever the
 * archive says. Layout (on a tmpfs):
 *
 *   base/jail/root     the snapshot root, made afresh for every input
 *   base/sentinel/file must never change (0700 dir, 0644 "keep")
 *
 * root is two levels below base so a naive "../.." lands where the check
 * sees it. Runs as root, like the daemon. As a net under the net, the
 * process first gets its own mount namespace in which every mount is
 * read-only but the tmpfs and CL_FUZZ_RW (libFuzzer's corpus and artifact
 * directory): an escape that got past the check could not damage the
 * machine. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tarapply.h"

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

struct mount_attr_ {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static char base[2048], root[2100], jail[2100], sentinel[2100], sfile[2200];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_tar: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void sandbox(void)
{
	struct mount_attr_ ro = { .attr_set = 1 /* MOUNT_ATTR_RDONLY */ };
	const char *rw = getenv("CL_FUZZ_RW");
	char cwd[2048];

	if (!getcwd(cwd, sizeof cwd))
		die("getcwd");

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "fuzz_tar: no private mount namespace (%s): running without the read-only net\n",
			strerror(errno));
		return;
	}
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof ro) < 0)
		die("make / read-only");
	if (rw && *rw) {
		/* A bind of its own, made writable again: only this one. */
		if (mount(rw, rw, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, rw, NULL, MS_REMOUNT | MS_BIND, NULL) < 0)
			die("bind CL_FUZZ_RW writable");
	}
	/* The old cwd is on the read-only mount under the new bind: libFuzzer
	 * writes its corpus and artifacts relative to it. */
	if (chdir(cwd) < 0)
		die("chdir");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *rw = getenv("CL_FUZZ_RW");

	(void)argc, (void)argv;
	/* Under CL_FUZZ_RW when given: the only place left writable. */
	if (rw && *rw && strlen(rw) < 1024) {
		snprintf(base, sizeof base, "%s/sandbox", rw);
		if (mkdir(base, 0755) < 0 && errno != EEXIST)
			die("mkdir sandbox");
	} else {
		strcpy(base, "/tmp/cl-fuzz-tar-XXXXXX");
		if (!mkdtemp(base))
			die("mkdtemp");
	}
	sandbox();
	if (mount("tmpfs", base, "tmpfs", 0, "mode=0755,size=64m") < 0)
		die("tmpfs");
	snprintf(jail, sizeof jail, "%s/jail", base);
	snprintf(root, sizeof root, "%s/root", jail);
	snprintf(sentinel, sizeof sentinel, "%s/sentinel", base);
	snprintf(sfile, sizeof sfile, "%s/file", sentinel);
	if (mkdir(jail, 0755) < 0 || mkdir(sentinel, 0700) < 0)
		die("mkdir");
	{
		int fd = open(sfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd < 0 || write(fd, "keep", 4) != 4 || fchmod(fd, 0644) < 0)
			die("sentinel");
		close(fd);
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static size_t entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return (size_t)-1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void check_outside(void)
{
	struct stat st;
	char buf[8];
	int fd;

	if (entries(base) != 2 || entries(jail) != 1 || entries(sentinel) != 1)
		abort(); /* something appeared or vanished outside root */
	if (lstat(sentinel, &st) < 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0700 || st.st_uid != 0)
		abort();
	if (lstat(sfile, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0644 || st.st_nlink != 1 ||
	    st.st_uid != 0 || st.st_size != 4)
		abort();
	fd = open(sfile, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof buf) != 4 || memcmp(buf, "keep", 4) != 0)
		abort();
	close(fd);
	if (lstat(jail, &st) < 0 || (st.st_mode & 07777) != 0755)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small limits: the interesting paths, not the tmpfs filling up. */
	struct cl_tar_limits lim = { .max_entry_size = 1 << 20, .max_header_size = 1 << 16,
				     .max_total_size = 4 << 20, .max_entries = 4096, .max_path = 4096 };
	struct cl_tar_stats st;
	struct cl_error err;
	int tar, rfd;

	if (mkdir(root, 0755) < 0)
		die("mkdir root");
	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	tar = memfd_create("layer", MFD_CLOEXEC);
	if (rfd < 0 || tar < 0)
		die("open");
	if (size && write(tar, data, size) != (ssize_t)size)
		die("write memfd");
	lseek(tar, 0, SEEK_SET);
	if (cl_tar_apply(tar, rfd, &lim, &st, &err) < 0 && (err.msg[0] == '\0' || strlen(err.msg) >= sizeof err.msg))
		abort(); /* an error must say what failed */
	close(tar);
	close(rfd);
	check_outside();
	if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		die("remove root");
	return 0;
}
