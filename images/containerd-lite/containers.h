/* Containers: the record of a container, as containerd's Container is: a
 * spec (the container.create request, kept verbatim in containers/<id>/spec),
 * a rootfs overlay's upper/work dirs, an in-memory log, its times and its
 * last exit. The running process (pid, fds, stdio, stop waiters and
 * deadline) is its task's (tasks.h, containerd's Task): tasks.c starts it,
 * tells cl_container_started, and at its exit drives the whole exit path,
 * telling cl_container_exited then cl_container_auto_remove. */
#ifndef CL_CONTAINERS_H
#define CL_CONTAINERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attrs.h"
#include "logs.h"
#include "ops.h"

enum cl_status { CL_CREATED, CL_RUNNING, CL_EXITED };

struct cl_task;

/* A `container.logs` request with follow, answered when the container stops
 * or the host cancels it. */
struct cl_follower {
	uint32_t req;
	struct cl_follower *next;
};

struct cl_container {
	char id[65];
	char name[129];
	uint8_t *spec; /* the create request's attrs */
	size_t spec_len;
	struct cl_attrs attrs;
	enum cl_status status;
	int exit_code; /* the last exit's */
	bool oom;      /* the last exit's: the cgroup's OOM killer killed */
	uint64_t created, started, finished; /* unix ms */
	/* The running main task (tasks.c's), NULL unless status is running. */
	struct cl_task *task;
	struct cl_logring log;
	struct cl_follower *followers;
	bool removing; /* container.remove with force is killing the task */
	bool paused;   /* its cgroup is frozen (task.pause) */
	/* The restart policy's state (container.create `restart`): stopped by
	 * the user (task.stop, task.kill: no restart until the next start);
	 * restarts so far; when the next is due (monotonic ms, 0: none) and the
	 * backoff before it. */
	bool manual_stop;
	uint32_t restart_count;
	uint64_t restart_at, restart_delay;
	struct cl_container *next;
};

extern struct cl_container *cl_containers;

/* By full id, then by name. */
struct cl_container *cl_container_find(const char *ref);

/* The container named by the request's `id`; "No such container: X". */
int cl_container_arg(const struct cl_request *req, const char *op, struct cl_container **c, struct cl_error *err);

/* Output of the main task or an exec: into the log and to followers. */
int cl_container_output(struct cl_container *c, uint8_t stream, const void *p, size_t n, struct cl_error *err);

/* The main task t started: status running, the start time, no last exit. */
void cl_container_started(struct cl_container *c, struct cl_task *t);

/* The main task is gone (exit code, killed by the OOM killer): records the
 * exit (in memory and in containers/<id>/state) and answers followers. */
int cl_container_exited(struct cl_container *c, int code, bool oom, struct cl_error *err);

/* The user stopped or killed it: its restart policy rests until the next
 * start (as Docker's "manually stopped"); a pending restart is cancelled. */
void cl_container_stopped_by_user(struct cl_container *c);

/* The user started it: the restart policy applies again, from a count of 0. */
void cl_container_started_by_user(struct cl_container *c);

/* After an exit is recorded (and the container not auto-removed): whether
 * its restart policy (`restart` no|always|unless-stopped|on-failure, and
 * `restart_max` for on-failure) restarts it. If so, sets restart_at to now
 * (monotonic ms) plus Docker's backoff: 100 ms, doubled per restart up to
 * a minute, back to 100 ms after a run of 10 s or more. tasks.c starts it
 * when due. */
bool cl_container_restart_due(struct cl_container *c, uint64_t now);

/* After an exit is answered: removes the container if it was created with
 * auto_remove (`run --rm`) and is not being removed already; a failure is
 * logged. Returns whether c was freed. */
bool cl_container_auto_remove(struct cl_container *c);

/* Writable-layer size (container.create `disk`): 0 means the default, a
 * half of the VM's memory but at most CL_DISK_DEFAULT_MAX; below
 * CL_DISK_MIN is refused. */
#define CL_DISK_DEFAULT_MAX (64ull << 20)
#define CL_DISK_MIN (1ull << 20)
uint64_t cl_container_default_disk(void);

/* The container's writable layer: containers/<id>/rw, a tmpfs of `disk`
 * bytes holding the overlay's upper and work dirs (their paths into upper
 * and work, size bytes each), so a container that fills its disk gets
 * ENOSPC there and nowhere else. Mounted in the daemon's mount namespace if
 * it is not yet (container.create does it; a restarted daemon finds it). */
int cl_container_rw(const struct cl_container *c, char *upper, char *work, size_t size, struct cl_error *err);

/* Removes the container's directories and cgroup and frees it (the main task
 * must not be running). */
int cl_container_destroy(struct cl_container *c, struct cl_error *err);

/* Full ids of containers mounting volume name, as "[id1, id2]" into out;
 * false if none. */
bool cl_containers_using_volume(const char *name, char *out, size_t size);

/* Reloads containers from a previous daemon's state dir. */
void cl_containers_load(void);

/* Sends a RESPONSE (b may be NULL: empty) for a deferred request. */
int cl_reply(uint32_t id, const struct cl_attrbuf *b, struct cl_error *err);

extern const struct cl_op cl_container_ops[];

#endif
