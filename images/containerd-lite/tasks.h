/* Tasks: the processes of containers, as containerd's Task is. A main task
 * per container (new pid, mount, uts, ipc and net namespaces) and execs
 * joining them; each a struct cl_task owned here: pid, output (pipes, or a
 * pty master passed back from inside the container), stdin from STREAM
 * frames, the request answered at exit, task.stop/kill waiters and the stop
 * deadline. Exit statuses come from a SIGCHLD signalfd, and the exit path
 * runs in one place (finish in tasks.c): drain the output, answer stop
 * waiters, record the exit in the container (cl_container_exited), answer
 * the run request, drop the mount namespace, auto-remove
 * (cl_container_auto_remove). The container's record is containers.h's. */
#ifndef CL_TASKS_H
#define CL_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "containers.h"
#include "error.h"
#include "loop.h"
#include "ops.h"
#include "ports.h"

/* Blocks SIGCHLD, watches a signalfd for it, sets the stop timer. Call
 * before anything forks. */
int cl_tasks_init(struct cl_error *err);

/* A task's stdin queue: the host keeps at most this many bytes of a
 * request's stdin un-credited (STREAM_CREDIT, PROTOCOL.md). */
#define CL_STDIN_QUEUE (256u * 1024)

/* Watches a task may hold (stdout, stderr, stdin, one master with a tty; a
 * main task on a network also its DNS socket, network.h),
 * and the loop's watches that are not tasks' (the channel, the SIGCHLD
 * signalfd, the netns helper, the DNS upstream socket, published-port connections): spawn() refuses a task the loop has no room
 * for, so that no watch of a running task can fail later. */
#define CL_TASK_WATCHES 4
#define CL_LOOP_OTHERS (4 + CL_PORTS_MAX)
#define CL_TASKS_MAX ((CL_LOOP_MAX - CL_LOOP_OTHERS) / CL_TASK_WATCHES)

/* STREAM frames from the host: stdin (stream 0) of the task run by request
 * id; an empty payload is EOF. Unknown ids are dropped. Each wake-up that
 * moved stdin bytes out of the queue answers a STREAM_CREDIT. */
int cl_tasks_on_stream(uint32_t id, uint16_t stream, const uint8_t *p, size_t n, struct cl_error *err);

/* The task's pid (in the daemon's pid namespace). */
pid_t cl_task_pid(const struct cl_task *t);

/* For container.remove with force of a running container: SIGKILL its main
 * task; request req is answered, and the container destroyed, when the exit
 * is reaped — the daemon does not wait for it meanwhile. CL_OP_DEFERRED. */
int cl_task_remove_when_dead(struct cl_container *c, uint32_t req, struct cl_error *err);

/* Whether the container's main task is between its fork and its exec. */
bool cl_task_starting(const struct cl_container *c);

/* The container is going away: its execs keep running until they exit but
 * no longer reference it; a start or exec still setting up is cancelled
 * (killed, its request answered with an error). */
void cl_tasks_detach(struct cl_container *c);

extern const struct cl_op cl_task_ops[];

#endif
