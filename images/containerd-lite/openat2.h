/* openat2(2) for lookups confined to a directory tree, shared by the layer
 * applier and the container's mount setup. musl 1.2.3 has no wrapper and no
 * <linux/openat2.h>: the syscall number (437 on i386 and x86_64 alike) and
 * the ABI struct, under our own name so a libc that does define struct
 * open_how cannot clash. */
#ifndef CL_OPENAT2_H
#define CL_OPENAT2_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04
#endif
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_IN_ROOT 0x10
#endif

/* Every symlink, ".." and absolute link resolved as if dirfd were "/". */
#define CL_RESOLVE_IN_ROOT ((uint64_t)(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS))

struct cl_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

/* openat2(dirfd, path, flags | O_CLOEXEC) with resolve; "" is dirfd itself.
 * Returns the fd or -1 with errno (ENOSYS before Linux 5.6: callers have no
 * unconfined fallback, better nothing than an escape). */
static inline int cl_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct cl_open_how how = {
		.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
		.resolve = resolve,
	};
	int tries = 0;
	long r;

	/* EAGAIN: the kernel saw a rename or mount race during a confined
	 * lookup; retried a few times, then reported. */
	do
		r = syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof how);
	while (r < 0 && (errno == EINTR || (errno == EAGAIN && ++tries < 16)));
	return (int)r;
}

#endif
