#include "sysinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

int cl_sys_meminfo_kb(const char *field, uint64_t *kb, struct cl_error *err)
{
	char buf[4096], key[64];
	const char *p;
	char *end;
	int ret;

	ret = cl_read_file("/proc/meminfo", buf, sizeof buf, NULL, err);
	if (ret < 0)
		return ret;
	snprintf(key, sizeof key, "\n%s:", field);
	/* the first line has no newline before it */
	if (strncmp(buf, key + 1, strlen(key + 1)) == 0)
		p = buf + strlen(key + 1);
	else if ((p = strstr(buf, key)))
		p += strlen(key);
	else
		return cl_fail_plain(err, ENOENT, "/proc/meminfo: no %s", field);
	errno = 0;
	*kb = strtoull(p, &end, 10);
	if (end == p || errno)
		return cl_fail_plain(err, EINVAL, "/proc/meminfo: bad %s", field);
	return 0;
}

int cl_sys_mem_total_kb(uint64_t *kb, struct cl_error *err)
{
	return cl_sys_meminfo_kb("MemTotal", kb, err);
}

/* Value of an os-release assignment: shell-like quoting with \ escapes
 * (os-release(5)); copies into out. */
static void unquote(const char *v, char *out, size_t size)
{
	char quote = 0;
	size_t n = 0;

	if (*v == '"' || *v == '\'')
		quote = *v++;
	for (; *v && *v != '\n' && n + 1 < size; v++) {
		if (quote && *v == quote)
			break;
		if (quote == '"' && *v == '\\' && v[1] && v[1] != '\n')
			v++;
		out[n++] = *v;
	}
	out[n] = '\0';
}

void cl_sys_os_pretty_name(char *buf, size_t size)
{
	static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };
	static const char key[] = "PRETTY_NAME=";
	char text[4096];
	struct cl_error ignored;

	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		const char *line = text;

		if (cl_read_file(paths[i], text, sizeof text, NULL, &ignored) < 0)
			continue;
		while (line && *line) {
			if (strncmp(line, key, sizeof key - 1) == 0) {
				unquote(line + sizeof key - 1, buf, size);
				if (*buf)
					return;
			}
			line = strchr(line, '\n');
			if (line)
				line++;
		}
		break; /* the first file that exists is authoritative */
	}
	snprintf(buf, size, "Linux");
}

int cl_sys_uptime_ms(uint64_t *ms, struct cl_error *err)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return cl_fail(err, errno, "clock_gettime(CLOCK_BOOTTIME)");
	*ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return 0;
}

long cl_sys_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}
