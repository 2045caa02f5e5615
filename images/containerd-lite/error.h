/* Errors and logging.
 *
 * Functions that can fail return 0 or a negative errno and fill a
 * struct cl_error whose message names what failed, so the caller can log it
 * or send it to the host as an ERROR frame without guessing. */
#ifndef CL_ERROR_H
#define CL_ERROR_H

#define CL_ERROR_MSG_MAX 256

struct cl_error {
	int code;                   /* positive errno, or 0 for "no errno" */
	char msg[CL_ERROR_MSG_MAX]; /* one line, names what failed */
};

/* Sets err to "<fmt>: <strerror(code)>" and returns -code. */
int cl_fail(struct cl_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets err to "<fmt>" exactly (no strerror suffix). code may be 0: the
 * failure has no errno (e.g. a protocol-level error); returns -code, or
 * -EINVAL when code is 0, so callers can still test for < 0. */
int cl_fail_plain(struct cl_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends context: "<fmt>: <previous message>". Returns the same value the
 * original cl_fail returned. */
int cl_error_wrap(struct cl_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The negative return value matching err (see cl_fail_plain). */
int cl_error_ret(const struct cl_error *err);

/* One line on stderr, prefixed "containerd-lite: ", written with a single
 * write() so lines from several processes do not interleave. */
void cl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
