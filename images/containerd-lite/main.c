/* containerd-lite: the guest daemon of Dockyard. Serves the host's requests
 * over virtio console port 1 (PROTOCOL.md). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attrs.h"
#include "channel.h"
#include "cleanup.h"
#include "error.h"
#include "containers.h"
#include "io.h"
#include "loop.h"
#include "netns.h"
#include "network.h"
#include "ports.h"
#include "ops.h"
#include "sysinfo.h"
#include "tasks.h"

#define CL_VERSION "0.1.0"
#define DEFAULT_PORT "/dev/hvc1"
#define DEFAULT_MARKER "/run/containerd-lite.started"

/* Stale input is discarded until the port has been quiet this long... */
#define DRAIN_QUIET_MS 20
/* ...or for at most this long in all. */
#define DRAIN_MAX_MS 500

struct options {
	const char *port;
	int fd;             /* >= 0: use this inherited fd instead of opening port */
	const char *marker; /* restart marker, NULL for none */
	unsigned netns_pool; /* network namespaces kept ready (netns.h) */
};

static void usage(FILE *f)
{
	fputs("usage: containerd-lite [--port PATH | --fd N] [--restart-marker PATH] [--netns-pool N]\n"
	      "  --port PATH            console port to serve (default " DEFAULT_PORT ")\n"
	      "  --fd N                 serve an inherited fd instead (tests: a socketpair)\n"
	      "  --restart-marker PATH  created at start; if it already exists, a daemon ran\n"
	      "                         before and HELLO is preceded by padding (PROTOCOL.md)\n"
	      "                         (default " DEFAULT_MARKER ", none with --fd)\n"
	      "  --netns-pool N         keep N network namespaces made ahead of need (0-8,\n"
	      "                         default 0: each container start makes its own)\n",
	      f);
}

static int parse_fd(const char *s, int *fd, struct cl_error *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > 65535)
		return cl_fail_plain(err, EINVAL, "--fd: `%s` is not a file descriptor number", s);
	*fd = (int)v;
	return 0;
}

/* Returns 1 when the program should exit 0 (--help, --version). */
static int parse_args(int argc, char **argv, struct options *o, struct cl_error *err)
{
	static const char *const valued[] = { "--port", "--fd", "--restart-marker", "--netns-pool" };
	bool marker_set = false;

	o->port = DEFAULT_PORT;
	o->fd = -1;
	o->marker = NULL;
	o->netns_pool = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *opt = NULL, *val = NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 1;
		}
		if (strcmp(a, "--version") == 0) {
			puts("containerd-lite " CL_VERSION);
			return 1;
		}
		for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) {
			size_t n = strlen(valued[k]);

			if (strncmp(a, valued[k], n) == 0 && a[n] == '=') {
				opt = valued[k];
				val = a + n + 1;
			} else if (strcmp(a, valued[k]) == 0) {
				if (i + 1 >= argc)
					return cl_fail_plain(err, EINVAL, "%s needs a value", a);
				opt = valued[k];
				val = argv[++i];
			}
		}
		if (!opt)
			return cl_fail_plain(err, EINVAL, "unknown argument `%s` (see --help)", a);
		if (strcmp(opt, "--port") == 0) {
			o->port = val;
		} else if (strcmp(opt, "--fd") == 0) {
			if (parse_fd(val, &o->fd, err) < 0)
				return cl_error_ret(err);
		} else if (strcmp(opt, "--netns-pool") == 0) {
			if (!(val[0] >= '0' && val[0] <= '8' && !val[1]))
				return cl_fail_plain(err, EINVAL, "--netns-pool: `%s` is not a number from 0 to 8", val);
			o->netns_pool = (unsigned)(val[0] - '0');
		} else {
			o->marker = *val ? val : NULL;
			marker_set = true;
		}
	}
	/* A test's socketpair is fresh: no previous daemon wrote to it. */
	if (!marker_set && o->fd < 0)
		o->marker = DEFAULT_MARKER;
	return 0;
}

/* The hvc driver resets termios on every open, so the fd we keep must be put
 * in raw mode itself: no echo, no line discipline processing, 8-bit clean.
 * ENOTTY is fine: tests hand us a socketpair. */
static int make_raw(int fd, bool *is_tty, struct cl_error *err)
{
	struct termios t;

	*is_tty = false;
	if (tcgetattr(fd, &t) < 0) {
		if (errno == ENOTTY || errno == EINVAL)
			return 0;
		return cl_fail(err, errno, "tcgetattr on fd %d", fd);
	}
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return cl_fail(err, errno, "tcsetattr on fd %d", fd);
	*is_tty = true;
	return 0;
}

static int open_port(const struct options *o, int *fd_out, struct cl_error *err)
{
	int fd;

	if (o->fd >= 0) {
		if (fcntl(o->fd, F_GETFD) < 0)
			return cl_fail(err, errno, "--fd %d", o->fd);
		*fd_out = o->fd;
		/* Inherited fds must not leak into containers either. */
		return cl_set_cloexec(o->fd, err);
	}
	fd = open(o->port, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail(err, errno, "open `%s`", o->port);
	*fd_out = fd;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Bytes already waiting on a freshly opened port were sent to a previous
 * daemon (the host sends nothing before HELLO, but a port nobody has open
 * keeps up to 16 sends and delivers them on open). Counting them in CREDIT
 * would run ahead of the host's reset counters, so they are discarded before
 * HELLO (PROTOCOL.md, flow control). */
static void drain_stale(struct cl_channel *ch)
{
	uint64_t start = now_ms();
	size_t dropped = 0;

	tcflush(ch->fd, TCIFLUSH);
	while (now_ms() - start < DRAIN_MAX_MS) {
		struct pollfd p = { .fd = ch->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, DRAIN_QUIET_MS) <= 0)
			break;
		n = read(ch->fd, ch->rbuf, CL_READ_BUF);
		if (n <= 0)
			break;
		dropped += (size_t)n;
	}
	if (dropped)
		cl_log("discarded %zu stale bytes on the port", dropped);
}

/* True when a daemon already ran on this port since boot: the marker is
 * created by the first one. Unknown (no /run) counts as true: padding is
 * harmless, a stuck host is not. */
static bool restarted(const char *marker)
{
	int fd;

	if (!marker)
		return false;
	fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return true;
	close(fd);
	return false;
}

/* A previous daemon killed in the middle of writing a frame leaves the host's
 * decoder waiting for the rest of that frame's payload (up to 64 KiB); our
 * HELLO would vanish into it and the host would wait forever. Zero bytes
 * complete any such frame (its payload CRC then fails) and are skipped as
 * garbage after it (PROTOCOL.md, HELLO). */
static int send_restart_padding(struct cl_channel *ch, struct cl_error *err)
{
	static uint8_t zeros[4096]; /* not const: .bss costs no file size */
	size_t left = CL_FRAME_HEADER + CL_MAX_FRAME_PAYLOAD;

	while (left > 0) {
		struct iovec iov[CL_WRITE_IOV_MAX];
		int n = 0;

		for (; n < CL_WRITE_IOV_MAX && left > 0; n++) {
			iov[n].iov_base = (void *)zeros;
			iov[n].iov_len = left < sizeof zeros ? left : sizeof zeros;
			left -= iov[n].iov_len;
		}
		if (cl_write_all(ch->fd, iov, n, err) < 0)
			return cl_error_wrap(err, "send restart padding");
	}
	return 0;
}

static int send_hello(struct cl_channel *ch, struct cl_error *err)
{
	cleanup_attrbuf struct cl_attrbuf b = { 0 };
	struct cl_error e;
	struct utsname u;
	uint64_t mem_kb = 0;
	int ret;

	if (uname(&u) < 0)
		return cl_fail(err, errno, "uname");
	if (cl_sys_mem_total_kb(&mem_kb, &e) < 0)
		cl_log("HELLO without mem_kb: %s", e.msg); /* still say hello */
	if ((ret = cl_attrbuf_add_str(&b, "version", CL_VERSION)) < 0 ||
	    (ret = cl_attrbuf_add_str(&b, "kernel", u.release)) < 0 ||
	    (ret = cl_attrbuf_add_str(&b, "machine", u.machine)) < 0 ||
	    (mem_kb && (ret = cl_attrbuf_add_u64(&b, "mem_kb", mem_kb)) < 0))
		return cl_fail(err, -ret, "build HELLO");
	ret = cl_channel_send_message(ch, CL_HELLO, 0, 0, b.data, b.len, err);
	if (ret < 0)
		return cl_error_wrap(err, "send HELLO");
	return 0;
}

static int on_message(void *ctx, struct cl_channel *ch, const struct cl_message *m, struct cl_error *err)
{
	(void)ctx;
	switch (m->type) {
	case CL_REQUEST:
		return cl_ops_handle_request(ch, m, err);
	case CL_PING:
		return cl_channel_send_message(ch, CL_PONG, 0, m->id, m->data, m->len, err);
	case CL_STREAM: {
		int ret;

		if (cl_ports_on_stream(m->id, m->stream, m->data, m->len, err, &ret))
			return ret;
		return cl_tasks_on_stream(m->id, m->stream, m->data, m->len, err);
	}
	default:
		cl_log("frame type %u (id %" PRIu32 ") is not for the guest: ignored", m->type, m->id);
		return 0;
	}
}

/* The host went away: for a console port that cannot happen, for a test's
 * socket it is the normal end. */
static bool is_disconnect(const struct cl_error *err)
{
	return err->code == EPIPE || err->code == ECONNRESET;
}

static int on_channel(void *ctx, int fd, short revents, struct cl_error *err)
{
	struct cl_channel *ch = ctx;
	int ret;

	if (revents & POLLNVAL)
		return cl_fail_plain(err, EBADF, "poll: fd %d is not open", fd);
	ret = cl_channel_on_readable(ch, on_message, NULL, err);
	if (ret < 0)
		return ret;
	/* A hangup with nothing left to read would otherwise spin. */
	if ((revents & (POLLHUP | POLLERR)) && !(revents & POLLIN))
		ch->eof = true;
	return 0;
}

/* Containers must be killable before the daemon is: an OOM in a container
 * must never take the host channel down. */
static void protect_from_oom(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "-1000", 5) != 5)
		cl_log("oom_score_adj: %s", strerror(errno));
	close(fd);
}

static int serve(const struct options *o, struct cl_error *err)
{
	cleanup_close int owned = -1;
	cleanup_channel struct cl_channel ch = { 0 };
	bool is_tty;
	int fd = -1, ret;

	ret = open_port(o, &fd, err);
	if (ret < 0)
		return ret;
	if (o->fd < 0)
		owned = fd;
	ret = make_raw(fd, &is_tty, err);
	if (ret < 0)
		return ret;
	ret = cl_channel_init(&ch, fd, err);
	if (ret < 0)
		return ret;
	if (is_tty)
		drain_stale(&ch);
	if (restarted(o->marker)) {
		cl_log("a daemon ran before on this port: padding before HELLO");
		ret = send_restart_padding(&ch, err);
		if (ret < 0)
			return ret;
	}
	ret = send_hello(&ch, err);
	if (ret < 0)
		return ret;
	if (o->fd >= 0)
		cl_log("serving fd %d", fd);
	else
		cl_log("serving %s", o->port);

	cl_host = &ch;
	ret = cl_tasks_init(err);
	if (ret < 0)
		return ret;
	cl_netns_start(o->netns_pool);
	cl_networks_init();
	ret = cl_loop_watch(fd, POLLIN, on_channel, &ch, err);
	if (ret < 0)
		return ret;
	while (!ch.eof) {
		ret = cl_loop_once(err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct cl_error err = { 0 };
	int ret;

	ret = parse_args(argc, argv, &o, &err);
	if (ret > 0)
		return 0;
	if (ret < 0) {
		cl_log("%s", err.msg);
		usage(stderr);
		return 2;
	}
	/* A vanished peer must show up as EPIPE, not kill the daemon. (Ignored
	 * dispositions survive exec: reset SIGPIPE when spawning containers.) */
	signal(SIGPIPE, SIG_IGN);
	protect_from_oom();
	/* A previous daemon's containers (their tasks died with it). */
	cl_containers_load();

	ret = serve(&o, &err);
	if (ret < 0 && !is_disconnect(&err)) {
		cl_log("%s", err.msg);
		return 1;
	}
	cl_log("the host closed the channel: exiting");
	return 0;
}
