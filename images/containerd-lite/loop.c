#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>

struct watch {
	int fd;
	short events;
	cl_watch_fn fn;
	void *ctx;
	unsigned gen; /* detects a slot reused during dispatch */
};

static struct watch watches[CL_LOOP_MAX];
static int nwatches;
static unsigned next_gen = 1;
static cl_deadline_fn deadline_fn;
static cl_tick_fn tick_fn;

int cl_loop_watch(int fd, short events, cl_watch_fn fn, void *ctx, struct cl_error *err)
{
	int i;

	for (i = 0; i < nwatches && watches[i].fd != fd; i++)
		;
	if (i == nwatches) {
		if (nwatches == CL_LOOP_MAX)
			return cl_fail(err, EMFILE, "watch fd %d: %d fds watched already", fd, CL_LOOP_MAX);
		nwatches++;
	}
	watches[i] = (struct watch){ .fd = fd, .events = events, .fn = fn, .ctx = ctx, .gen = next_gen++ };
	return 0;
}

void cl_loop_unwatch(int fd)
{
	for (int i = 0; i < nwatches; i++)
		if (watches[i].fd == fd) {
			watches[i] = watches[--nwatches];
			return;
		}
}

int cl_loop_count(void)
{
	return nwatches;
}

void cl_loop_set_timer(cl_deadline_fn next, cl_tick_fn tick)
{
	deadline_fn = next;
	tick_fn = tick;
}

int cl_loop_once(struct cl_error *err)
{
	struct pollfd p[CL_LOOP_MAX];
	struct watch snap[CL_LOOP_MAX];
	int n = nwatches, timeout = deadline_fn ? deadline_fn() : -1, r;

	memcpy(snap, watches, sizeof *snap * (size_t)n);
	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = snap[i].fd, .events = snap[i].events };
	r = poll(p, (nfds_t)n, timeout);
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		return cl_fail(err, errno, "poll");
	}
	for (int i = 0; i < n && r > 0; i++) {
		bool live = false;

		if (!p[i].revents)
			continue;
		/* Skip watches an earlier callback removed or replaced. */
		for (int j = 0; j < nwatches; j++)
			live |= watches[j].fd == snap[i].fd && watches[j].gen == snap[i].gen;
		if (!live)
			continue;
		if (snap[i].fn(snap[i].ctx, snap[i].fd, p[i].revents, err) < 0)
			return cl_error_ret(err);
	}
	if (tick_fn && tick_fn(err) < 0)
		return cl_error_ret(err);
	return 0;
}
