#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "loop.h"
#include "mounts.h"

#define NETNS_MAX 8

static int ready[NETNS_MAX];
static unsigned nready, asked, target;
static int sock = -1; /* the daemon's end of the socketpair to the helper */
static bool paused;
static void (*on_ready)(void);

/* Asked of the helper after a restore: rest a moment before the next
 * namespace. At SCHED_IDLE it only runs while the VM has nothing else to do,
 * but an unshare(CLONE_NEWNET) under way is ~1 M guest instructions of
 * kernel work the daemon cannot preempt (a voluntary-preemption kernel): a
 * refill begun just before the host's next request (the host pulling an
 * image, a one-shot `dockyard run`) would delay it by that much. */
#define REST 'r'
#define REST_NS 2000000000L

/* The helper: one new namespace per byte asked ('n'), sent back as an fd;
 * REST: a pause, nothing sent back. */
__attribute__((noreturn)) static void helper_main(int s)
{
	struct sched_param none = { 0 };
	char c;

	/* Nothing of the daemon's but the socket (and stderr, for the log):
	 * not the host channel, not the signalfd. */
	for (int fd = 0; fd < 1024; fd++)
		if (fd != s && fd != STDERR_FILENO)
			close(fd);
	/* Only when nothing else wants the CPU: a container start, or the
	 * daemon answering the host, always comes first. */
	sched_setscheduler(0, SCHED_IDLE, &none);
	while (read(s, &c, 1) == 1) {
		struct cl_error e = { 0 };
		int fd = -1;

		if (c == REST) {
			struct timespec rest = { .tv_sec = REST_NS / 1000000000L, .tv_nsec = REST_NS % 1000000000L };

			nanosleep(&rest, NULL);
			continue;
		}

		if (unshare(CLONE_NEWNET) < 0)
			cl_log("netns helper: unshare(CLONE_NEWNET): %s", strerror(errno));
		else if (cl_loopback_up(&e) < 0)
			cl_log("netns helper: %s", e.msg);
		else if ((fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
			cl_log("netns helper: open /proc/self/ns/net: %s", strerror(errno));
		/* Without an fd, the daemon stops asking. */
		if (cl_send_fd(s, fd, &e) < 0)
			_exit(1);
		if (fd >= 0)
			close(fd);
	}
	_exit(0); /* the daemon is gone */
}

static void stop(const char *why)
{
	cl_log("network namespaces are made per container from now on: %s", why);
	target = 0;
}

static void refill(void)
{
	while (!paused && sock >= 0 && nready + asked < target) {
		if (write(sock, "n", 1) != 1) {
			stop(strerror(errno));
			return;
		}
		asked++;
	}
}

/* One answer from the helper; false when it is gone. */
static bool receive(void)
{
	int fd;
	ssize_t n = cl_recv_fd(sock, &fd);

	if (n <= 0) {
		cl_loop_unwatch(sock);
		close(sock);
		sock = -1;
		asked = 0;
		stop(n < 0 ? strerror(errno) : "the helper exited");
		return false;
	}
	asked--;
	if (fd < 0)
		stop("the helper could not make one");
	else if (paused || nready == NETNS_MAX)
		close(fd);
	else
		ready[nready++] = fd;
	return true;
}

static int on_helper(void *ctx, int fd, short rev, struct cl_error *err)
{
	(void)ctx;
	(void)fd;
	(void)rev;
	(void)err;
	if (receive()) {
		refill();
		if (on_ready && nready)
			on_ready();
	}
	return 0;
}

void cl_netns_on_ready(void (*fn)(void))
{
	on_ready = fn;
}

void cl_netns_start(unsigned want)
{
	struct cl_error e = { 0 };
	int sv[2];
	pid_t pid;

	if (want == 0 || sock >= 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		cl_log("netns helper: socketpair: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		cl_log("netns helper: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		helper_main(sv[1]);
	}
	close(sv[1]);
	sock = sv[0];
	target = want < NETNS_MAX ? want : NETNS_MAX;
	if (cl_loop_watch(sock, POLLIN, on_helper, NULL, &e) < 0) {
		cl_log("netns helper: %s", e.msg);
		close(sock); /* the helper reads EOF and exits */
		sock = -1;
		target = 0;
		return;
	}
	refill();
}

int cl_netns_take(void)
{
	int fd = nready ? ready[--nready] : -1;

	paused = false;
	refill();
	return fd;
}

void cl_netns_resume(void)
{
	if (!paused)
		return;
	paused = false;
	if (sock >= 0 && write(sock, (char[]){ REST }, 1) != 1) {
		stop(strerror(errno));
		return;
	}
	refill();
}

void cl_netns_pause(void)
{
	paused = true;
	while (nready)
		close(ready[--nready]);
	/* What the helper is making now must not outlive the pause either. */
	while (asked && sock >= 0) {
		struct pollfd p = { .fd = sock, .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0) {
			stop("the helper did not answer");
			break;
		}
		receive();
	}
}
