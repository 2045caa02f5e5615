/* End to end: the real daemon (host build) on a socketpair via --fd, driven
 * the way the host drives hvc1: sends of at most 4096 B, at most WINDOW of
 * them un-acknowledged by CREDIT. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attrs.h"
#include "frame.h"
#include "t.h"

#define SEND_SIZE 4096
#define WINDOW 8
#define TIMEOUT_MS 30000

struct rframe {
	uint8_t type, flags;
	uint16_t stream;
	uint32_t id;
	struct t_buf data;
};

static struct peer {
	int fd;
	pid_t pid;
	struct cl_decoder dec;
	uint64_t sent;   /* bytes written since HELLO */
	uint64_t acked;  /* from CREDIT */
	uint64_t inflight[WINDOW + 1];
	size_t ninflight;
	uint64_t credits;
	int bad_credit;
	struct rframe q[64];
	size_t qhead, qlen;
	uint64_t seed;
} P = { .fd = -1, .pid = -1 };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Takes one frame from the daemon's output: CREDIT is accounted here,
 * anything else is queued. */
static void take(const struct cl_frame *f)
{
	if (f->type == CL_CREDIT) {
		uint32_t v;

		if (f->len != 4) {
			P.bad_credit++;
			return;
		}
		v = cl_get_u32(f->payload);
		/* The test sends far less than 4 GiB: the value is the total. */
		if (v < (uint32_t)P.acked || v > P.sent)
			P.bad_credit++;
		P.acked = v;
		P.credits++;
		while (P.ninflight && P.inflight[0] <= P.acked)
			memmove(P.inflight, P.inflight + 1, --P.ninflight * sizeof *P.inflight);
		return;
	}
	if (P.qlen == 64)
		abort();
	{
		struct rframe *r = &P.q[(P.qhead + P.qlen++) % 64];

		r->type = f->type;
		r->flags = f->flags;
		r->stream = f->stream;
		r->id = f->id;
		memset(&r->data, 0, sizeof r->data);
		t_buf_add(&r->data, f->payload, f->len);
	}
}

/* One read from the daemon (waiting up to timeout); 0 on timeout or EOF. */
static int pump(int timeout_ms)
{
	struct pollfd p = { .fd = P.fd, .events = POLLIN };
	uint8_t buf[65536];
	struct cl_frame f;
	ssize_t n;
	size_t off = 0;

	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	n = read(P.fd, buf, sizeof buf);
	if (n <= 0)
		return 0;
	while (off < (size_t)n) {
		off += cl_decoder_feed(&P.dec, buf + off, (size_t)n - off);
		while (cl_decoder_next(&P.dec, &f) == 1)
			take(&f);
	}
	return 1;
}

/* Next non-CREDIT frame; the caller frees data. */
static int next_frame(struct rframe *out)
{
	uint64_t deadline = now_ms() + TIMEOUT_MS;

	while (P.qlen == 0) {
		if (now_ms() > deadline || !pump((int)(deadline - now_ms())))
			return 0;
	}
	*out = P.q[P.qhead];
	P.qhead = (P.qhead + 1) % 64;
	P.qlen--;
	return 1;
}

/* A whole message of (type, id): frames joined while MORE is set. Frames of
 * other messages in between are a test failure. */
static int next_message(uint8_t type, uint32_t id, struct t_buf *out, size_t *nframes)
{
	struct rframe r;

	*nframes = 0;
	while (next_frame(&r)) {
		int more = r.flags & CL_FLAG_MORE;

		if (r.type != type || r.id != id) {
			fprintf(stderr, "    unexpected frame type %u id %u (want type %u id %u)\n", r.type, r.id,
				type, id);
			t_buf_free(&r.data);
			return 0;
		}
		t_buf_add(out, r.data.p, r.data.len);
		t_buf_free(&r.data);
		(*nframes)++;
		if (!more)
			return 1;
	}
	fprintf(stderr, "    no message type %u id %u within %d ms\n", type, id, TIMEOUT_MS);
	return 0;
}

/* Writes like the host: sends of 1..4096 B, never more than WINDOW of them
 * un-acknowledged. */
static int host_send(const uint8_t *p, size_t n)
{
	size_t off = 0;
	uint64_t deadline = now_ms() + TIMEOUT_MS;

	while (off < n) {
		size_t chunk = 1 + t_rand_u32(&P.seed) % SEND_SIZE;

		while (P.ninflight >= WINDOW) {
			if (now_ms() > deadline) {
				fprintf(stderr, "    no CREDIT within %d ms\n", TIMEOUT_MS);
				return -1;
			}
			pump(100);
		}
		if (chunk > n - off)
			chunk = n - off;
		for (size_t w = 0; w < chunk;) {
			ssize_t k = write(P.fd, p + off + w, chunk - w);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return -1;
			w += (size_t)k;
		}
		off += chunk;
		P.sent += chunk;
		P.inflight[P.ninflight++] = P.sent;
	}
	return 0;
}

static int send_message(uint8_t type, uint32_t id, const void *payload, size_t len)
{
	struct t_buf b = { 0 };
	int ret;

	t_buf_message(&b, type, id, payload, len);
	ret = host_send(b.p, b.len);
	t_buf_free(&b);
	return ret;
}

static int send_request(uint32_t id, const struct cl_attrbuf *a)
{
	return send_message(CL_REQUEST, id, a->data, a->len);
}

static int attr_eq(const struct cl_attrs *a, const char *key, const char *want)
{
	struct cl_attr at;

	return cl_attrs_get(a, key, &at) && at.vlen == strlen(want) && memcmp(at.val, want, at.vlen) == 0;
}

static int attr_nonempty(const struct cl_attrs *a, const char *key)
{
	struct cl_attr at;

	return cl_attrs_get(a, key, &at) && at.vlen > 0;
}

static int attr_decimal(const struct cl_attrs *a, const char *key)
{
	struct cl_attr at;

	if (!cl_attrs_get(a, key, &at) || at.vlen == 0)
		return 0;
	for (size_t i = 0; i < at.vlen; i++)
		if (at.val[i] < '0' || at.val[i] > '9')
			return 0;
	return 1;
}

/* Starts the daemon on one end of a socketpair (as fd 3); returns our end. */
static int spawn_daemon(pid_t *pid, const char *marker)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0) {
		/* dup2 clears FD_CLOEXEC on fd 3, unless it already is fd 3 */
		if (sv[1] == 3)
			fcntl(3, F_SETFD, 0);
		else if (dup2(sv[1], 3) < 0)
			_exit(127);
		if (marker)
			execl(t_daemon, t_daemon, "--fd", "3", "--restart-marker", marker, (char *)NULL);
		else
			execl(t_daemon, t_daemon, "--fd", "3", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	return sv[0];
}

static void test_e2e_start_and_hello(void)
{
	struct t_buf hello = { 0 };
	struct cl_attrs a;
	size_t nframes;

	REQUIRE(t_daemon != NULL);
	P.fd = spawn_daemon(&P.pid, NULL);
	REQUIRE(P.fd >= 0);
	P.seed = 0x1234567;
	REQUIRE(cl_decoder_init(&P.dec) == 0);

	REQUIRE(next_message(CL_HELLO, 0, &hello, &nframes));
	REQUIRE(cl_attrs_parse(&a, hello.p, hello.len) == 0);
	CHECK(attr_nonempty(&a, "version"));
	CHECK(attr_nonempty(&a, "kernel"));
	CHECK(attr_nonempty(&a, "machine"));
	CHECK(attr_decimal(&a, "mem_kb"));
	CHECK_EQ(P.dec.skipped, 0); /* no restart padding on a fresh channel */
	t_buf_free(&hello);
}

static void test_e2e_echo_1mib_under_credit(void)
{
	size_t n = 1 << 20, nframes = 0;
	uint8_t *data = malloc(n);
	struct cl_attrbuf req = { 0 };
	struct t_buf resp = { 0 };
	struct cl_attrs a;
	struct cl_attr at;

	REQUIRE(P.fd >= 0);
	t_rand(&P.seed, data, n);
	REQUIRE(cl_attrbuf_add_str(&req, "op", "echo") == 0);
	REQUIRE(cl_attrbuf_add(&req, "data", data, n) == 0);
	REQUIRE(send_request(7, &req) == 0);
	REQUIRE(next_message(CL_RESPONSE, 7, &resp, &nframes));
	CHECK(nframes >= 16); /* 1 MiB cannot come in fewer 64 KiB frames */
	REQUIRE(cl_attrs_parse(&a, resp.p, resp.len) == 0);
	REQUIRE(cl_attrs_get(&a, "data", &at));
	CHECK(at.vlen == n && memcmp(at.val, data, n) == 0);
	/* Everything sent was read and credited, in order, never ahead. */
	CHECK_EQ(P.acked, P.sent);
	CHECK_EQ(P.bad_credit, 0);
	CHECK(P.credits >= 2);
	free(data);
	cl_attrbuf_free(&req);
	t_buf_free(&resp);
}

static void test_e2e_garbage_then_ping(void)
{
	uint8_t junk[3000];
	struct t_buf b = { 0 }, pong = { 0 };
	size_t nframes;
	uint8_t hdr[CL_FRAME_HEADER];
	struct cl_frame fake = { .type = CL_REQUEST, .id = 1, .len = 0 };

	REQUIRE(P.fd >= 0);
	t_rand(&P.seed, junk, sizeof junk);
	t_buf_add(&b, junk, sizeof junk);
	/* A header whose hcrc is wrong (len changed after the CRC; a daemon
	 * trusting it would wait for 60000 bytes), then a bare magic. */
	cl_frame_header(hdr, &fake);
	cl_put_u32(hdr + 12, 60000);
	t_buf_add(&b, hdr, sizeof hdr);
	t_buf_add(&b, "DYK1", 4);
	t_buf_frame(&b, CL_PING, 0, 0, 9, "are you there?", 14);
	REQUIRE(host_send(b.p, b.len) == 0);
	REQUIRE(next_message(CL_PONG, 9, &pong, &nframes));
	CHECK(pong.len == 14 && memcmp(pong.p, "are you there?", 14) == 0);
	t_buf_free(&b);
	t_buf_free(&pong);
}

static void test_e2e_interleaved_request_and_ping(void)
{
	struct cl_attrbuf req = { 0 };
	struct t_buf b = { 0 }, m = { 0 };
	size_t half, nframes;
	struct cl_attrs a;

	REQUIRE(P.fd >= 0);
	REQUIRE(cl_attrbuf_add_str(&req, "op", "echo") == 0);
	REQUIRE(cl_attrbuf_add_str(&req, "data", "split across two frames") == 0);
	half = req.len / 2;
	t_buf_frame(&b, CL_REQUEST, CL_FLAG_MORE, 0, 20, req.data, half);
	t_buf_frame(&b, CL_PING, 0, 0, 21, "mid", 3);
	t_buf_frame(&b, CL_REQUEST, 0, 0, 20, req.data + half, req.len - half);
	REQUIRE(host_send(b.p, b.len) == 0);
	REQUIRE(next_message(CL_PONG, 21, &m, &nframes));
	t_buf_free(&m);
	REQUIRE(next_message(CL_RESPONSE, 20, &m, &nframes));
	REQUIRE(cl_attrs_parse(&a, m.p, m.len) == 0);
	CHECK(attr_eq(&a, "data", "split across two frames"));
	cl_attrbuf_free(&req);
	t_buf_free(&b);
	t_buf_free(&m);
}

static void test_e2e_info(void)
{
	struct cl_attrbuf req = { 0 };
	struct t_buf m = { 0 };
	struct cl_attrs a;
	size_t nframes;

	REQUIRE(P.fd >= 0);
	REQUIRE(cl_attrbuf_add_str(&req, "op", "info") == 0);
	REQUIRE(send_request(11, &req) == 0);
	REQUIRE(next_message(CL_RESPONSE, 11, &m, &nframes));
	REQUIRE(cl_attrs_parse(&a, m.p, m.len) == 0);
	CHECK(attr_nonempty(&a, "kernel"));
	CHECK(attr_nonempty(&a, "kernel_version"));
	CHECK(attr_nonempty(&a, "machine"));
	CHECK(attr_nonempty(&a, "os"));
	CHECK(attr_decimal(&a, "mem_kb"));
	CHECK(attr_decimal(&a, "ncpu"));
	CHECK(attr_decimal(&a, "uptime_ms"));
	cl_attrbuf_free(&req);
	t_buf_free(&m);
}

static void test_e2e_errors(void)
{
	struct cl_attrbuf req = { 0 };
	struct t_buf m = { 0 };
	struct cl_attrs a;
	size_t nframes;

	REQUIRE(P.fd >= 0);
	REQUIRE(cl_attrbuf_add_str(&req, "op", "frobnicate") == 0);
	REQUIRE(send_request(12, &req) == 0);
	REQUIRE(next_message(CL_ERROR, 12, &m, &nframes));
	REQUIRE(cl_attrs_parse(&a, m.p, m.len) == 0);
	CHECK(attr_eq(&a, "message", "unknown op \"frobnicate\""));
	t_buf_free(&m);

	/* No op at all; and a payload that is not attrs. */
	REQUIRE(send_message(CL_REQUEST, 13, NULL, 0) == 0);
	REQUIRE(next_message(CL_ERROR, 13, &m, &nframes));
	REQUIRE(cl_attrs_parse(&a, m.p, m.len) == 0);
	CHECK(attr_nonempty(&a, "message"));
	t_buf_free(&m);
	REQUIRE(send_message(CL_REQUEST, 14, "\x02op\xff\xff", 5) == 0);
	REQUIRE(next_message(CL_ERROR, 14, &m, &nframes));
	REQUIRE(cl_attrs_parse(&a, m.p, m.len) == 0);
	CHECK(attr_nonempty(&a, "message"));
	t_buf_free(&m);

	/* echo without data */
	cl_attrbuf_free(&req);
	REQUIRE(cl_attrbuf_add_str(&req, "op", "echo") == 0);
	REQUIRE(send_request(15, &req) == 0);
	REQUIRE(next_message(CL_ERROR, 15, &m, &nframes));
	REQUIRE(cl_attrs_parse(&a, m.p, m.len) == 0);
	CHECK(attr_eq(&a, "errno", "22"));
	cl_attrbuf_free(&req);
	t_buf_free(&m);
}

static void test_e2e_eof_exits_0(void)
{
	uint64_t deadline = now_ms() + TIMEOUT_MS;
	int status = -1;
	pid_t r = 0;

	REQUIRE(P.pid > 0);
	CHECK_EQ(P.qlen, 0); /* nothing unexpected left over */
	close(P.fd);
	P.fd = -1;
	while (now_ms() < deadline && (r = waitpid(P.pid, &status, WNOHANG)) == 0)
		usleep(10000);
	if (r == 0) {
		kill(P.pid, SIGKILL);
		waitpid(P.pid, &status, 0);
	}
	CHECK(r == P.pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	P.pid = -1;
	cl_decoder_free(&P.dec);
}

/* Reads from fd until a HELLO frame; returns the garbage skipped before it,
 * or -1. */
static long long skipped_before_hello(int fd)
{
	struct cl_decoder d;
	uint8_t buf[65536];
	long long skipped = -1;
	uint64_t deadline = now_ms() + TIMEOUT_MS;

	if (cl_decoder_init(&d) < 0)
		return -1;
	while (skipped < 0 && now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct cl_frame f;
		ssize_t n;
		size_t off = 0;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		while (off < (size_t)n && skipped < 0) {
			off += cl_decoder_feed(&d, buf + off, (size_t)n - off);
			while (skipped < 0 && cl_decoder_next(&d, &f) == 1)
				if (f.type == CL_HELLO)
					skipped = (long long)d.skipped;
		}
	}
	cl_decoder_free(&d);
	return skipped;
}

static int close_and_wait(int fd, pid_t pid)
{
	int status = -1;

	close(fd);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_e2e_restart_padding(void)
{
	char marker[] = "/tmp/cl-test-marker-XXXXXX";
	int tmp = mkstemp(marker);
	pid_t pid;
	int fd;

	REQUIRE(tmp >= 0);
	close(tmp);
	unlink(marker);
	/* First daemon: creates the marker, no padding. */
	fd = spawn_daemon(&pid, marker);
	REQUIRE(fd >= 0);
	CHECK_EQ(skipped_before_hello(fd), 0);
	CHECK_EQ(close_and_wait(fd, pid), 0);
	CHECK(access(marker, F_OK) == 0);
	/* Restarted: a frame the previous one left half-written must not
	 * swallow HELLO, so zeros covering a maximal frame come first. */
	fd = spawn_daemon(&pid, marker);
	REQUIRE(fd >= 0);
	CHECK_EQ(skipped_before_hello(fd), CL_FRAME_HEADER + CL_MAX_FRAME_PAYLOAD);
	CHECK_EQ(close_and_wait(fd, pid), 0);
	unlink(marker);
}

static void test_e2e_host_decoder_cut_mid_frame_recovers(void)
{
	/* What the padding is for, seen from the host: a decoder holding the
	 * start of a 64 KiB frame, then padding and HELLO. */
	struct cl_decoder d;
	struct t_buf s = { 0 }, pad = { 0 };
	uint8_t *payload = calloc(1, CL_MAX_FRAME_PAYLOAD);
	struct cl_frame f;
	int hello = 0;

	REQUIRE(cl_decoder_init(&d) == 0);
	payload[0] = 1; /* not all zeros: padding must not complete it validly */
	t_buf_frame(&s, CL_RESPONSE, CL_FLAG_MORE, 0, 5, payload, CL_MAX_FRAME_PAYLOAD);
	s.len = CL_FRAME_HEADER + 1000; /* the old daemon died here */
	pad.len = 0;
	for (size_t i = 0; i < CL_FRAME_HEADER + CL_MAX_FRAME_PAYLOAD; i++)
		t_buf_add(&pad, "", 1);
	t_buf_add(&s, pad.p, pad.len);
	t_buf_frame(&s, CL_HELLO, 0, 0, 0, "", 0);
	for (size_t off = 0; off < s.len;) {
		off += cl_decoder_feed(&d, s.p + off, s.len - off);
		while (cl_decoder_next(&d, &f) == 1)
			hello += f.type == CL_HELLO;
	}
	CHECK_EQ(hello, 1);
	cl_decoder_free(&d);
	t_buf_free(&s);
	t_buf_free(&pad);
	free(payload);
}

void suite_e2e(void)
{
	RUN(test_e2e_start_and_hello);
	RUN(test_e2e_echo_1mib_under_credit);
	RUN(test_e2e_garbage_then_ping);
	RUN(test_e2e_interleaved_request_and_ping);
	RUN(test_e2e_info);
	RUN(test_e2e_errors);
	RUN(test_e2e_eof_exits_0);
	RUN(test_e2e_restart_padding);
	RUN(test_e2e_host_decoder_cut_mid_frame_recovers);
	if (P.pid > 0) { /* a test failed early: do not leave the daemon behind */
		kill(P.pid, SIGKILL);
		waitpid(P.pid, NULL, 0);
	}
}
