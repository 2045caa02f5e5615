/* Small fd helpers shared by the channel and the ops. */
#ifndef CL_IO_H
#define CL_IO_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "error.h"

/* Writes every byte of iov[0..iovcnt) to fd: loops on short writes and
 * EINTR, and waits with poll() on EAGAIN, so it works on blocking and
 * non-blocking fds alike. iovcnt is at most CL_WRITE_IOV_MAX. */
#define CL_WRITE_IOV_MAX 8
int cl_write_all(int fd, const struct iovec *iov, int iovcnt, struct cl_error *err);

/* Reads a small (proc) file into buf, NUL-terminated; at most size - 1
 * bytes, the rest is ignored. *len (optional) gets the byte count. */
int cl_read_file(const char *path, char *buf, size_t size, size_t *len, struct cl_error *err);

/* One byte over a unix socket, carrying fd (none when fd < 0). */
int cl_send_fd(int sock, int fd, struct cl_error *err);
/* Receives what cl_send_fd sent: 1 (and *fd, O_CLOEXEC, or -1 when none came
 * with the byte), 0 at EOF, -1 with errno. */
ssize_t cl_recv_fd(int sock, int *fd);

int cl_set_cloexec(int fd, struct cl_error *err);
int cl_set_nonblock(int fd, struct cl_error *err);

#endif
