/* A container's mount namespace, built in the child between clone and exec:
 * the overlay rootfs (nodev), /proc, a minimal /dev with its own devpts,
 * /sys read-only, volumes/binds/tmpfs, runc's masked and read-only paths,
 * then an fd-based pivot_root.
 *
 * Every mount point is a path inside the container: it is resolved under
 * the rootfs with openat2 RESOLVE_IN_ROOT (a symlink in the image is
 * followed, but only inside the rootfs) and mounted onto through its fd, so
 * an image cannot aim a mount at the VM's own files. /proc, /dev and /sys
 * may not be symlinks at all (runc: "must be mounted on ordinary
 * directory"), and no volume, bind or tmpfs may land inside /proc.
 * Volumes and binds are mounted nosuid,nodev (recursively); a tmpfs
 * noexec,nosuid,nodev unless its options say otherwise (Docker's --tmpfs). */
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
	/* tmpfs only, Docker's defaults when false: noexec, nosuid, nodev.
	 * Volumes and binds are always nosuid and nodev. */
	bool exec, suid, dev;
	/* tmpfs only: what follows "mode=1777" in the mount data (",size=1k"),
	 * checked by the caller; NULL for none */
	const char *data;
};

struct cl_rootfs {
	const char *rootfs;   /* mount point: containers/<id>/rootfs */
	const char *lowerdir; /* cl_snapshot_lowerdir */
	const char *upper, *work;
	const struct cl_mount *mounts;
	size_t nmounts;
};

/* runc's defaults (libcontainer/specconv): bind /dev/null over a file, an
 * empty read-only tmpfs over a directory; paths this kernel lacks are
 * skipped. NULL-terminated. */
extern const char *const cl_masked_paths[];
/* Bound read-only onto themselves. NULL-terminated. */
extern const char *const cl_readonly_paths[];

/* In the child, in fresh mount and net namespaces: everything up to and
 * including pivot_root; cwd is the new / afterwards. */
int cl_rootfs_setup(const struct cl_rootfs *r, struct cl_error *err);

/* The steps of cl_rootfs_setup after the overlay, for tests: root is an
 * O_PATH fd of the new root's top directory (a mount point). */
int cl_rootfs_populate(int root, const struct cl_rootfs *r, struct cl_error *err);

/* Brings up "lo" in the current net namespace. */
int cl_loopback_up(struct cl_error *err);

/* A target acceptable for a mount: absolute, no "..", not "/". */
bool cl_mount_target_valid(const char *t);

#endif
