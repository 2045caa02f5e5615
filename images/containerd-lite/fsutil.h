/* File system helpers shared by the stores (containers, volumes): the state root, recursive mkdir/remove, whole-file
 * reads and atomic writes, copies. */
#ifndef CL_FSUTIL_H
#define CL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define CL_STATE_ROOT "/var/lib/containerd-lite"
#define CL_HOST_DIR "/mnt/host"
#define CL_PATH_MAX 4096

/* The state root (CL_STATE_ROOT unless --root said otherwise). */
extern const char *cl_state_root;

/* Creates the state root's top-level directories once (containers,
 * volumes). */
int cl_state_init(struct cl_error *err);

/* snprintf into buf; -ENAMETOOLONG (with err) when it does not fit. */
int cl_path(char *buf, size_t size, struct cl_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int cl_mkdir_p(const char *path, mode_t mode, struct cl_error *err);

/* Whether path is a mount point: on another device than its parent. */
bool cl_is_mounted(const char *path, const char *parent);

/* Removes path and everything below it; a missing path is fine. Does not
 * follow symlinks. */
int cl_rm_rf(const char *path, struct cl_error *err);

/* The whole file, NUL-terminated (the NUL not counted in *len); at most max
 * bytes, -EFBIG past that. *out is malloc'd. */
int cl_read_all(const char *path, size_t max, char **out, size_t *len, struct cl_error *err);

/* A file a container controls, read without trusting it: path (absolute,
 * inside the container) is opened under root (an fd of the container's /)
 * with openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS (a symlink is followed
 * only inside root; one into /proc/<pid>/fd, /proc/self/root... is refused),
 * O_NONBLOCK (a FIFO cannot stall the open) and O_NOCTTY; it must be a
 * regular file (fstat) of at most max bytes. *out is the text, malloc'd and
 * NUL-terminated; a path that does not exist (ENOENT, ENOTDIR) gives 0 and
 * *out NULL. Errors name the path as Go's do: "open /etc/passwd: ...",
 * "/etc/passwd: not a regular file (a fifo)", "/etc/passwd: over N bytes". */
int cl_read_in_root(int root, const char *path, size_t max, char **out, struct cl_error *err);

/* Writes data to path.tmp and renames it over path. */
int cl_write_atomic(const char *path, const void *data, size_t len, struct cl_error *err);

/* Bytes of regular files below path (st_size, each inode once is not
 * tracked: hard links count twice). */
uint64_t cl_du(const char *path);

/* A `path` argument naming a file the host put under /mnt/host: relative,
 * non-empty, no "..": 1 if acceptable. */
int cl_host_path_valid(const char *p);

/* Wall clock in unix ms, for created/started/finished. */
uint64_t cl_unix_ms(void);

#endif
