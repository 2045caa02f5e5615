/* The event loop: a small registry of watched fds (the channel, task output,
 * stdin pipes, the SIGCHLD signalfd) and one deadline callback (stop
 * timeouts). Single-threaded; callbacks may add and remove watches. */
#ifndef CL_LOOP_H
#define CL_LOOP_H

#include "error.h"

#define CL_LOOP_MAX 384

/* A negative return stops the loop with err (the daemon exits). */
typedef int (*cl_watch_fn)(void *ctx, int fd, short revents, struct cl_error *err);

/* Watches fd for events (POLLIN/POLLOUT); replaces an existing watch of fd. */
int cl_loop_watch(int fd, short events, cl_watch_fn fn, void *ctx, struct cl_error *err);
void cl_loop_unwatch(int fd);
/* Watches in use (at most CL_LOOP_MAX). */
int cl_loop_count(void);

/* Ms until the next deadline (-1: none), and what to run when it passes
 * (after every poll; a negative return stops the loop with err). */
typedef int (*cl_deadline_fn)(void);
typedef int (*cl_tick_fn)(struct cl_error *err);
void cl_loop_set_timer(cl_deadline_fn next, cl_tick_fn tick);

/* Polls once and dispatches; < 0 when a callback failed. */
int cl_loop_once(struct cl_error *err);

#endif
