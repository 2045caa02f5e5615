#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

int cl_write_all(int fd, const struct iovec *iov, int iovcnt, struct cl_error *err)
{
	struct iovec v[CL_WRITE_IOV_MAX];
	struct iovec *cur = v;

	if (iovcnt < 0 || iovcnt > CL_WRITE_IOV_MAX)
		return cl_fail(err, EINVAL, "write: %d iovecs", iovcnt);
	memcpy(v, iov, sizeof *iov * (size_t)iovcnt);
	while (iovcnt > 0) {
		ssize_t n;

		if (cur->iov_len == 0) {
			cur++;
			iovcnt--;
			continue;
		}
		n = writev(fd, cur, iovcnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				if (poll(&p, 1, -1) < 0 && errno != EINTR)
					return cl_fail(err, errno, "poll for writing on fd %d", fd);
				continue;
			}
			return cl_fail(err, errno, "write to fd %d", fd);
		}
		/* Short write: advance past what went out. */
		while (n > 0) {
			size_t k = (size_t)n < cur->iov_len ? (size_t)n : cur->iov_len;

			cur->iov_base = (char *)cur->iov_base + k;
			cur->iov_len -= k;
			n -= (ssize_t)k;
			if (cur->iov_len == 0) {
				cur++;
				iovcnt--;
			}
		}
	}
	return 0;
}

int cl_read_file(const char *path, char *buf, size_t size, size_t *len, struct cl_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t got = 0;

	if (size == 0)
		return cl_fail(err, EINVAL, "read `%s`: empty buffer", path);
	if (fd < 0)
		return cl_fail(err, errno, "open `%s`", path);
	/* proc files may come in several short reads. */
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cl_fail(err, errno, "read `%s`", path);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (len)
		*len = got;
	return 0;
}

int cl_set_cloexec(int fd, struct cl_error *err)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
		return cl_fail(err, errno, "set FD_CLOEXEC on fd %d", fd);
	return 0;
}

int cl_set_nonblock(int fd, struct cl_error *err)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return cl_fail(err, errno, "set O_NONBLOCK on fd %d", fd);
	return 0;
}

int cl_send_fd(int sock, int fd, struct cl_error *err)
{
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(&u, 0, sizeof u);
		m.msg_control = u.buf;
		m.msg_controllen = sizeof u.buf;
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return cl_fail(err, errno, "send an fd");
	return 0;
}

ssize_t cl_recv_fd(int sock, int *fd)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof *fd);
	return n;
}
