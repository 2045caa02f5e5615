/* cgroup v2 for containers: /sys/fs/cgroup/containers/<id>, with memory.max
 * and pids.max, and the OOM-kill count from memory.events; containers/ caps
 * the CPU weight and memory of all containers together. */
#ifndef CL_CGROUPS_H
#define CL_CGROUPS_H

#include <stdint.h>

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

/* rmdir; a missing cgroup is fine, EBUSY is logged. */
void cl_cgroup_remove(const char *id);

#endif
