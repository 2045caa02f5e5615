/* cgroup v2 for containers: /sys/fs/cgroup/containers/<id>, with memory.max
 * and pids.max, and the OOM-kill count from memory.events; containers/ caps
 * the CPU weight and memory of all containers together. */
#ifndef CL_CGROUPS_H
#define CL_CGROUPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define CL_CGROUP_ROOT "/sys/fs/cgroup/containers"
/* A busybox shell costs ~100 KiB of kernel and private memory: 256 of them
 * fit a 128 MB VM with room to spare, 1024 would not (a fork bomb would
 * exhaust memory before pids.max). */
#define CL_DEFAULT_PIDS_MAX 256
/* Kept for the daemon, the kernel and the stores outside containers/. */
#define CL_CONTAINERS_RESERVE (24ull << 20)
/* cpu.weight of containers/ (the daemon counts 100). */
#define CL_CONTAINERS_CPU_WEIGHT "20"

/* Creates (or reuses) the container's cgroup, sets its limits (memory 0: no
 * limit; pids 0: CL_DEFAULT_PIDS_MAX) and opens its cgroup.procs for writing
 * (O_CLOEXEC): the child writes "0" there to move itself in before exec. */
int cl_cgroup_create(const char *id, uint64_t memory, uint64_t pids, int *procs_fd, struct cl_error *err);

/* Opens an existing cgroup's cgroup.procs (for execs). */
int cl_cgroup_open_procs(const char *id, int *procs_fd, struct cl_error *err);

/* oom_kill from memory.events; 0 when unreadable. */
uint64_t cl_cgroup_oom_kills(const char *id);

/* memory.current in bytes: what the container's processes, page cache and
 * tmpfs pages cost now; 0 when unreadable. */
uint64_t cl_cgroup_memory_current(const char *id);

/* cgroup v2's freezer: writes cgroup.freeze (1 freezes every process of the
 * container, 0 thaws them). */
int cl_cgroup_freeze(const char *id, bool frozen, struct cl_error *err);

/* What `docker stats` shows, from the cgroup's files; a file that cannot be
 * read (no such controller) reads as 0. memory_max 0: no limit of its own. */
struct cl_cgroup_stats {
	uint64_t cpu_usec;   /* cpu.stat usage_usec */
	uint64_t memory;     /* memory.current */
	uint64_t memory_max; /* memory.max */
	uint64_t pids;       /* pids.current */
};
void cl_cgroup_stats(const char *id, struct cl_cgroup_stats *s);

/* The pids in the cgroup (cgroup.procs), at most max of them into out; the
 * count, or < 0 with err set. */
int cl_cgroup_pids(const char *id, pid_t *out, size_t max, struct cl_error *err);

/* rmdir; a missing cgroup is fine, EBUSY is logged. */
void cl_cgroup_remove(const char *id);

#endif
