#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Replaces line breaks and other control bytes: an ERROR frame's message is
 * specified as one line, and the log must stay one line per event. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* Appends ": " and s to msg, which holds n bytes, truncating to fit:
 * messages are capped by design. */
static void append(char *msg, size_t size, int n, const char *s)
{
	size_t pos, len;

	if (n < 0 || (size_t)n + 3 > size)
		return;
	pos = (size_t)n;
	msg[pos++] = ':';
	msg[pos++] = ' ';
	len = strlen(s);
	if (len > size - 1 - pos)
		len = size - 1 - pos;
	memcpy(msg + pos, s, len);
	msg[pos + len] = '\0';
}

int cl_error_ret(const struct cl_error *err)
{
	return err->code ? -err->code : -EINVAL;
}

int cl_fail(struct cl_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	append(err->msg, sizeof err->msg, n, strerror(code));
	one_line(err->msg);
	err->code = code;
	return cl_error_ret(err);
}

int cl_fail_plain(struct cl_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	one_line(err->msg);
	err->code = code;
	return cl_error_ret(err);
}

int cl_error_wrap(struct cl_error *err, const char *fmt, ...)
{
	char prev[CL_ERROR_MSG_MAX];
	va_list ap;
	int n;

	memcpy(prev, err->msg, sizeof prev);
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	append(err->msg, sizeof err->msg, n, prev);
	one_line(err->msg);
	return cl_error_ret(err);
}

void cl_log(const char *fmt, ...)
{
	static const char prefix[] = "containerd-lite: ";
	char line[512];
	size_t len = sizeof prefix - 1;
	va_list ap;
	int n;

	memcpy(line, prefix, len);
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof line - len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len += (size_t)n < sizeof line - len - 1 ? (size_t)n : sizeof line - len - 2;
	line[len++] = '\n';
	/* Best effort: there is nowhere to report a failing stderr. */
	while (write(STDERR_FILENO, line, len) < 0 && errno == EINTR)
		;
}
