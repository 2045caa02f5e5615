#include "ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "channel.h"
#include "cleanup.h"
#include "containers.h"
#include "frame.h"
#include "loop.h"
#include "network.h"
#include "tasks.h"

#define CHUNK 16384

struct conn {
	uint32_t req;
	int fd;
	bool connected, in_eof, wr_shut;
	/* host → container bytes the socket did not take yet (≤ CL_STDIN_QUEUE) */
	uint8_t *q;
	size_t q_off, q_len, q_cap;
	uint32_t taken;
	bool credit_due;
	struct conn *next;
};

static struct conn *conns;
static int nconns;
static uint8_t buf[CHUNK];

static struct conn *find(uint32_t req)
{
	for (struct conn *k = conns; k; k = k->next)
		if (k->req == req)
			return k;
	return NULL;
}

static void take(struct conn *k, size_t n)
{
	if (n) {
		k->taken += (uint32_t)n;
		k->credit_due = true;
	}
}

static int credit(struct conn *k, struct cl_error *err)
{
	uint8_t b[4];

	if (!k->credit_due)
		return 0;
	k->credit_due = false;
	cl_put_u32(b, k->taken);
	return cl_channel_send_frame(cl_host, CL_STREAM_CREDIT, 0, 0, k->req, b, sizeof b, err);
}

/* Ends the connection: closes the socket, answers the request (ERROR when
 * fail is set), frees it. */
static int finish(struct conn *k, const struct cl_error *fail, struct cl_error *err)
{
	int ret;

	for (struct conn **p = &conns; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	nconns--;
	cl_loop_unwatch(k->fd);
	close(k->fd);
	take(k, k->q_len);
	ret = credit(k, err);
	if (ret == 0)
		ret = fail ? cl_channel_send_error(cl_host, k->req, fail, err) : cl_reply(k->req, NULL, err);
	free(k->q);
	free(k);
	return ret;
}

static int rewatch(struct conn *k, struct cl_error *err);

static int on_conn(void *ctx, int fd, short rev, struct cl_error *err)
{
	struct conn *k = ctx;

	if (!k->connected) {
		int soerr = 0;
		socklen_t l = sizeof soerr;

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l) < 0)
			soerr = errno;
		if (soerr) {
			struct cl_error f;

			cl_fail(&f, soerr, "connect");
			return finish(k, &f, err);
		}
		k->connected = true;
		return rewatch(k, err);
	}
	if ((rev & POLLOUT) && k->q_len) {
		ssize_t w = write(fd, k->q + k->q_off, k->q_len);

		if (w > 0) {
			k->q_off += (size_t)w;
			k->q_len -= (size_t)w;
			take(k, (size_t)w);
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			take(k, k->q_len); /* the peer is gone: dropped */
			k->q_len = 0;
		}
		if (!k->q_len)
			k->q_off = 0;
		if (credit(k, err) < 0)
			return cl_error_ret(err);
	}
	if (k->in_eof && !k->q_len && !k->wr_shut) {
		shutdown(fd, SHUT_WR);
		k->wr_shut = true;
	}
	if (rev & (POLLIN | POLLHUP | POLLERR)) {
		for (int i = 0; i < 4; i++) {
			ssize_t n = read(fd, buf, sizeof buf);

			if (n > 0) {
				if (cl_channel_send_frame(cl_host, CL_STREAM, 0, 1, k->req, buf, (size_t)n, err) < 0)
					return cl_error_ret(err);
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			/* EOF or a reset: the container is done with it */
			return finish(k, NULL, err);
		}
	}
	return rewatch(k, err);
}

static int rewatch(struct conn *k, struct cl_error *err)
{
	short ev = !k->connected ? POLLOUT : (short)(POLLIN | (k->q_len ? POLLOUT : 0));

	return cl_loop_watch(k->fd, ev, on_conn, k, err);
}

/* `port.connect`: `id` (container), `port`. */
static int op_connect(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	uint64_t port;
	uint32_t ip;
	struct sockaddr_in a = { .sin_family = AF_INET };
	cleanup_close int fd = -1;
	struct conn *k;
	int one = 1;

	(void)resp;
	if (cl_container_arg(req, "port.connect", &c, err) < 0 ||
	    cl_arg_u64(&req->attrs, "port.connect", "port", 0, &port, err) < 0)
		return cl_error_ret(err);
	if (port == 0 || port > 65535)
		return cl_fail_plain(err, EINVAL, "port.connect: port %" PRIu64 " out of range", port);
	if (c->status != CL_RUNNING)
		return cl_fail_plain(err, ECONNREFUSED, "Container %s is not running", c->id);
	ip = cl_net_address(c);
	if (!ip)
		return cl_fail_plain(err, ENETUNREACH, "container %.12s has no network address", c->id);
	if (nconns >= CL_PORTS_MAX)
		return cl_fail_plain(err, EAGAIN, "too many connections to published ports (%d at once)", CL_PORTS_MAX);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cl_fail(err, errno, "port.connect: socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(ip);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
		return cl_fail(err, errno, "connect");
	k = calloc(1, sizeof *k);
	if (!k)
		return cl_fail(err, ENOMEM, "port.connect");
	k->req = req->id;
	k->fd = fd;
	if (cl_loop_watch(fd, POLLOUT, on_conn, k, err) < 0) {
		free(k);
		return cl_error_ret(err);
	}
	cl_steal_fd(&fd);
	k->next = conns;
	conns = k;
	nconns++;
	return CL_OP_DEFERRED;
}

bool cl_ports_on_stream(uint32_t id, uint16_t stream, const uint8_t *p, size_t n, struct cl_error *err, int *ret)
{
	struct conn *k = find(id);

	*ret = 0;
	if (!k)
		return false;
	if (stream != 0)
		return true;
	if (n == 0) {
		k->in_eof = true;
		*ret = rewatch(k, err);
		if (*ret == 0 && k->connected && !k->q_len && !k->wr_shut) {
			shutdown(k->fd, SHUT_WR);
			k->wr_shut = true;
		}
		return true;
	}
	if (k->wr_shut || n > CL_STDIN_QUEUE - k->q_len) {
		take(k, n); /* over the window, or after EOF: dropped */
		*ret = credit(k, err);
		return true;
	}
	if (k->connected && !k->q_len) {
		ssize_t w = write(k->fd, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			take(k, (size_t)w);
		}
		if (!n) {
			*ret = credit(k, err);
			return true;
		}
	}
	if (k->q_off + k->q_len + n > k->q_cap) {
		size_t cap = k->q_cap ? k->q_cap : CHUNK;
		uint8_t *q;

		if (k->q_off) {
			memmove(k->q, k->q + k->q_off, k->q_len);
			k->q_off = 0;
		}
		while (cap < k->q_len + n)
			cap *= 2;
		if (cap > k->q_cap) {
			q = realloc(k->q, cap);
			if (!q) {
				take(k, n);
				*ret = credit(k, err);
				return true;
			}
			k->q = q;
			k->q_cap = cap;
		}
	}
	memcpy(k->q + k->q_off + k->q_len, p, n);
	k->q_len += n;
	*ret = rewatch(k, err);
	if (*ret == 0)
		*ret = credit(k, err);
	return true;
}

bool cl_ports_cancel(uint32_t id, struct cl_error *err, int *ret)
{
	struct conn *k = find(id);

	if (!k)
		return false;
	*ret = finish(k, NULL, err);
	return true;
}

const struct cl_op cl_port_ops[] = {
	{ "port.connect", op_connect },
	{ NULL, NULL },
};
