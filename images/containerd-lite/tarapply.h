/* Applies one OCI image layer, given as an uncompressed tar stream, onto a
 * snapshot directory, leaving it ready to be an overlayfs lower directory.
 *
 * Formats: ustar (with its name prefix), pax extended headers ('x': path,
 * linkpath, size, uid, gid, mtime; 'g' is skipped), GNU long name/link
 * ('L'/'K'), old V7 headers. Entry types: regular file ('0', '\0', '7'),
 * hard link ('1'), symlink ('2'), char/block device ('3'/'4'), directory
 * ('5'), FIFO ('6'). Anything else (sparse, multi-volume, ...) is an error.
 * As in Go's archive/tar, types 1-6 carry no data whatever their size says.
 *
 * Confinement: every name is resolved inside the root with openat2
 * RESOLVE_IN_ROOT, so absolute symlinks and ".." in link targets end at the
 * root, never above it. Names with a ".." component are refused outright;
 * leading "/" and "." components are dropped. The last component is never
 * followed: it is replaced (unlink, or rmdir if an empty directory) unless
 * both the old and the new entry are directories, in which case only mode,
 * owner and mtime are updated (merge). Missing parent directories are created
 * (0755, root) as containerd does. Hard link targets are resolved the same
 * way and must not be directories. Entries naming the root itself are
 * skipped if directories and refused otherwise.
 *
 * OCI whiteouts become overlayfs ones: "d/.wh.n" removes "d/n" from this
 * layer (an empty directory at most: a non-empty one is an error) and puts a
 * 0/0 character device "d/n" there; "d/.wh..wh..opq" sets
 * trusted.overlay.opaque=y on "d" (creating it). Other ".wh..wh." names
 * (AUFS metadata) are skipped, as Docker does. Refused: ".wh." with an empty,
 * "." or ".." name, and any ".wh." directory component.
 *
 * Metadata: numeric uid/gid from the tar (uname/gname are ignored), mode &
 * 07777, mtime (also used as atime). Files, symlinks and nodes get their
 * mtime right after creation; directories get theirs after the whole archive,
 * since adding children changes it (past 8 MiB of directory names the rest
 * keep the current time). Hard links get nothing of their own: they share the
 * target's inode. pax SCHILY.xattr.* and other xattrs are ignored.
 * Device nodes get their mode with fchmodat(AT_SYMLINK_NOFOLLOW) only when
 * mknodat's umask-filtered mode differs; under musl that needs /proc.
 *
 * On error the function returns it and stops: the snapshot directory is left
 * half-written, and the CALLER must remove it. Not thread-safe against other
 * writers in root: it assumes it is the only one changing that tree. */
#ifndef CL_TARAPPLY_H
#define CL_TARAPPLY_H

#include <stdint.h>

#include "error.h"

#define CL_TAR_DEFAULT_MAX_ENTRY_SIZE (256ull << 20)
#define CL_TAR_DEFAULT_MAX_HEADER_SIZE (64ull << 10)
#define CL_TAR_DEFAULT_MAX_TOTAL_SIZE (512ull << 20)
#define CL_TAR_DEFAULT_MAX_ENTRIES 200000ull
#define CL_TAR_DEFAULT_MAX_PATH 4096ull

/* A zero field (or a NULL pointer) means the default. */
struct cl_tar_limits {
	uint64_t max_entry_size;  /* data of one entry */
	uint64_t max_header_size; /* data of one pax or GNU long name/link header */
	uint64_t max_total_size;  /* file data written, whole layer */
	uint64_t max_entries;     /* entries, not counting pax/GNU headers */
	uint64_t max_path;        /* bytes of a name or link target */
};

struct cl_tar_stats {
	uint64_t entries; /* entries applied, including whiteouts and skipped ones */
	uint64_t bytes;   /* regular file data written */
};

/* Reads the tar stream from tar_fd up to its end-of-archive marker (two zero
 * blocks, or EOF at a block boundary) and applies it under root_fd, an
 * O_PATH|O_DIRECTORY fd of the snapshot root. lim and st may be NULL; st is
 * filled as far as the archive got, also on error. Returns 0 or a negative
 * errno with err naming the entry (and its header offset) that failed. */
int cl_tar_apply(int tar_fd, int root_fd, const struct cl_tar_limits *lim, struct cl_tar_stats *st,
		 struct cl_error *err);

#endif
