#include "cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "io.h"
#include "sysinfo.h"

static int write_str(const char *path, const char *s, struct cl_error *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(s);

	if (fd < 0)
		return cl_fail(err, errno, "open `%s`", path);
	if (write(fd, s, n) != (ssize_t)n)
		return cl_fail(err, errno, "write `%s` to `%s`", s, path);
	return 0;
}

/* Limits on all containers together, so that no container, nor all of them,
 * can take the VM from the daemon (PROTOCOL.md, "Containers and tasks"):
 * - cpu.weight CL_CONTAINERS_CPU_WEIGHT against the daemon's 100 (a nice 0
 *   task in the root cgroup): a fork bomb gets the CPU the daemon leaves;
 * - memory.max: the VM's memory less CL_CONTAINERS_RESERVE (half the VM's
 *   memory if that is less), so a memory hog or fork bomb meets the OOM
 *   killer inside containers/ instead of starving the VM. Their tmpfs pages
 *   (writable layers, /dev/shm) are charged there too.
 * Best effort: a kernel without the controller still runs containers. */
static void limit_all(void)
{
	uint64_t kb = 0, mem, reserve = CL_CONTAINERS_RESERVE;
	struct cl_error e = { 0 };
	char num[24];

	if (write_str(CL_CGROUP_ROOT "/cpu.weight", CL_CONTAINERS_CPU_WEIGHT, &e) < 0)
		cl_log("%s", e.msg);
	if (cl_sys_mem_total_kb(&kb, &e) < 0 || kb == 0) {
		cl_log("no memory.max for all containers: %s", e.msg);
		return;
	}
	mem = kb * 1024;
	if (reserve > mem / 2)
		reserve = mem / 2;
	snprintf(num, sizeof num, "%" PRIu64, mem - reserve);
	if (write_str(CL_CGROUP_ROOT "/memory.max", num, &e) < 0)
		cl_log("%s", e.msg);
}

/* The parent of all container cgroups, with the controllers delegated on to
 * the children (cgroup v2 gives a child only what its parent enables). */
static int ensure_root(struct cl_error *err)
{
	static bool done;
	char ctl[256], want[64] = "";

	if (done)
		return 0;
	if (mkdir(CL_CGROUP_ROOT, 0755) < 0 && errno != EEXIST)
		return cl_fail(err, errno, "mkdir `%s`", CL_CGROUP_ROOT);
	if (cl_read_file(CL_CGROUP_ROOT "/cgroup.controllers", ctl, sizeof ctl, NULL, err) < 0)
		return cl_error_ret(err);
	for (const char *c = strtok(ctl, " \n"); c; c = strtok(NULL, " \n"))
		if (strcmp(c, "memory") == 0 || strcmp(c, "pids") == 0 || strcmp(c, "cpu") == 0) {
			strcat(want, " +");
			strcat(want, c);
		}
	if (want[0] && write_str(CL_CGROUP_ROOT "/cgroup.subtree_control", want + 1, err) < 0)
		return cl_error_ret(err);
	limit_all();
	done = true;
	return 0;
}

int cl_cgroup_create(const char *id, uint64_t memory, uint64_t pids, int *procs_fd, struct cl_error *err)
{
	char dir[CL_PATH_MAX], path[CL_PATH_MAX], num[24];

	if (ensure_root(err) < 0 || cl_path(dir, sizeof dir, err, CL_CGROUP_ROOT "/%s", id) < 0)
		return cl_error_wrap(err, "cgroup");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return cl_fail(err, errno, "cgroup: mkdir `%s`", dir);
	snprintf(num, sizeof num, "%" PRIu64, pids ? pids : CL_DEFAULT_PIDS_MAX);
	if (cl_path(path, sizeof path, err, "%s/pids.max", dir) < 0 || write_str(path, num, err) < 0)
		return cl_error_wrap(err, "cgroup");
	if (memory) {
		snprintf(num, sizeof num, "%" PRIu64, memory);
		if (cl_path(path, sizeof path, err, "%s/memory.max", dir) < 0 || write_str(path, num, err) < 0)
			return cl_error_wrap(err, "cgroup");
		/* docker run -m also caps swap; there is no swap here, so this
		 * only matters if one is added. */
		if (cl_path(path, sizeof path, err, "%s/memory.swap.max", dir) == 0)
			write_str(path, "0", err);
	}
	return cl_cgroup_open_procs(id, procs_fd, err);
}

int cl_cgroup_open_procs(const char *id, int *procs_fd, struct cl_error *err)
{
	char path[CL_PATH_MAX];

	if (cl_path(path, sizeof path, err, CL_CGROUP_ROOT "/%s/cgroup.procs", id) < 0)
		return cl_error_ret(err);
	*procs_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (*procs_fd < 0)
		return cl_fail(err, errno, "cgroup: open `%s`", path);
	return 0;
}

uint64_t cl_cgroup_oom_kills(const char *id)
{
	char path[CL_PATH_MAX], buf[512];
	struct cl_error e;
	const char *p;

	if (cl_path(path, sizeof path, &e, CL_CGROUP_ROOT "/%s/memory.events", id) < 0 ||
	    cl_read_file(path, buf, sizeof buf, NULL, &e) < 0)
		return 0;
	p = strstr(buf, "oom_kill ");
	return p ? strtoull(p + 9, NULL, 10) : 0;
}

uint64_t cl_cgroup_memory_current(const char *id)
{
	char path[CL_PATH_MAX], buf[32];
	struct cl_error e;

	if (cl_path(path, sizeof path, &e, CL_CGROUP_ROOT "/%s/memory.current", id) < 0 ||
	    cl_read_file(path, buf, sizeof buf, NULL, &e) < 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

int cl_cgroup_freeze(const char *id, bool frozen, struct cl_error *err)
{
	char path[CL_PATH_MAX];

	if (cl_path(path, sizeof path, err, CL_CGROUP_ROOT "/%s/cgroup.freeze", id) < 0 ||
	    write_str(path, frozen ? "1" : "0", err) < 0)
		return cl_error_wrap(err, "cgroup");
	return 0;
}

/* A number from a cgroup file: the value after `key ` when key is given,
 * else the file's first number ("max" reads as 0); 0 when unreadable. */
static uint64_t read_u64(const char *id, const char *file, const char *key)
{
	char path[CL_PATH_MAX], buf[1024];
	struct cl_error e;
	const char *p = buf;

	if (cl_path(path, sizeof path, &e, CL_CGROUP_ROOT "/%s/%s", id, file) < 0 ||
	    cl_read_file(path, buf, sizeof buf, NULL, &e) < 0)
		return 0;
	if (key) {
		size_t k = strlen(key);

		for (p = buf; p && !(strncmp(p, key, k) == 0 && p[k] == ' '); p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			;
		if (!p)
			return 0;
		p += k + 1;
	}
	return strtoull(p, NULL, 10);
}

void cl_cgroup_stats(const char *id, struct cl_cgroup_stats *s)
{
	s->cpu_usec = read_u64(id, "cpu.stat", "usage_usec");
	s->memory = read_u64(id, "memory.current", NULL);
	s->memory_max = read_u64(id, "memory.max", NULL);
	s->pids = read_u64(id, "pids.current", NULL);
}

int cl_cgroup_pids(const char *id, pid_t *out, size_t max, struct cl_error *err)
{
	char path[CL_PATH_MAX];
	cleanup_free char *buf = NULL;
	size_t len, n = 0;

	if (cl_path(path, sizeof path, err, CL_CGROUP_ROOT "/%s/cgroup.procs", id) < 0 ||
	    cl_read_all(path, 64 * 1024, &buf, &len, err) < 0)
		return cl_error_wrap(err, "cgroup");
	for (char *p = buf, *end; p < buf + len && n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		out[n++] = (pid_t)v;
		while (end < buf + len && *end == '\n')
			end++;
	}
	return (int)n;
}

void cl_cgroup_remove(const char *id)
{
	char dir[CL_PATH_MAX];
	struct cl_error e;

	if (cl_path(dir, sizeof dir, &e, CL_CGROUP_ROOT "/%s", id) < 0)
		return;
	if (rmdir(dir) < 0 && errno != ENOENT)
		cl_log("rmdir `%s`: %s", dir, strerror(errno));
}
