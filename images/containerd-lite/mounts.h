/* A container's mount namespace, built in the child between clone and exec:
 * the overlay rootfs, volumes/binds/tmpfs, /proc, a minimal /dev with its own
 * devpts, /sys read-only, then an fd-based pivot_root. */
#ifndef CL_MOUNTS_H
#define CL_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum cl_mount_type { CL_MOUNT_VOLUME, CL_MOUNT_BIND, CL_MOUNT_TMPFS };

struct cl_mount {
	enum cl_mount_type type;
	char *source; /* VM path for volume (resolved) and bind; unused for tmpfs */
	char *target; /* absolute, inside the container */
	bool ro;
};

struct cl_rootfs {
	const char *rootfs;   /* mount point: containers/<id>/rootfs */
	const char *lowerdir; /* cl_snapshot_lowerdir */
	const char *upper, *work;
	const struct cl_mount *mounts;
	size_t nmounts;
};

/* In the child, in fresh mount and net namespaces: everything up to and
 * including pivot_root; cwd is the new / afterwards. */
int cl_rootfs_setup(const struct cl_rootfs *r, struct cl_error *err);

/* Brings up "lo" in the current net namespace. */
int cl_loopback_up(struct cl_error *err);

/* A target acceptable for a mount: absolute, no "..", not "/". */
bool cl_mount_target_valid(const char *t);

#endif
