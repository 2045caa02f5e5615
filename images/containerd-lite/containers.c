#include "containers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cgroups.h"
#include "cleanup.h"
#include "fsutil.h"
#include "mounts.h"
#include "network.h"
#include "ports.h"
#include "snapshots.h"
#include "sha256.h"
#include "sysinfo.h"
#include "tasks.h"

#define SPEC_MAX (4u << 20)

struct cl_container *cl_containers;

struct cl_container *cl_container_find(const char *ref)
{
	for (struct cl_container *c = cl_containers; c; c = c->next)
		if (strcmp(c->id, ref) == 0)
			return c;
	for (struct cl_container *c = cl_containers; c; c = c->next)
		if (strcmp(c->name, ref) == 0)
			return c;
	return NULL;
}

int cl_container_arg(const struct cl_request *req, const char *op, struct cl_container **c, struct cl_error *err)
{
	char ref[256];

	if (cl_arg_str(&req->attrs, op, "id", NULL, ref, sizeof ref, err) < 0)
		return cl_error_ret(err);
	*c = cl_container_find(ref);
	if (!*c)
		return cl_fail_plain(err, ENOENT, "No such container: %s", ref);
	return 0;
}

int cl_reply(uint32_t id, const struct cl_attrbuf *b, struct cl_error *err)
{
	return cl_channel_send_message(cl_host, CL_RESPONSE, 0, id, b ? b->data : NULL, b ? b->len : 0, err);
}

int cl_container_output(struct cl_container *c, uint8_t stream, const void *p, size_t n, struct cl_error *err)
{
	if (cl_logring_append(&c->log, stream, p, n) < 0)
		cl_log("container %.12s: log append failed: out of memory", c->id);
	for (struct cl_follower *f = c->followers; f; f = f->next)
		if (cl_channel_send_frame(cl_host, CL_STREAM, 0, stream, f->req, p, n, err) < 0)
			return cl_error_ret(err);
	return 0;
}

static int container_dir(const struct cl_container *c, const char *sub, char *out, size_t size,
			 struct cl_error *err)
{
	return cl_path(out, size, err, "%s/containers/%s%s%s", cl_state_root, c->id, sub ? "/" : "", sub ? sub : "");
}

/* The default writable-layer size: half of the VM's memory (the tmpfs is
 * memory, used only as files are written; a quarter could not hold a fresh
 * postgres cluster), at most CL_DISK_DEFAULT_MAX, at least CL_DISK_MIN. */
uint64_t cl_container_default_disk(void)
{
	struct cl_error e;
	uint64_t kb = 0, b;

	if (cl_sys_mem_total_kb(&kb, &e) < 0 || kb == 0)
		return CL_DISK_DEFAULT_MAX;
	b = kb * 1024 / 2 & ~((1ull << 20) - 1);
	return b > CL_DISK_DEFAULT_MAX ? CL_DISK_DEFAULT_MAX : b < CL_DISK_MIN ? CL_DISK_MIN : b;
}

static uint64_t container_disk(const struct cl_container *c)
{
	struct cl_error e;
	uint64_t disk = 0;

	if (cl_arg_u64(&c->attrs, "container", "disk", 0, &disk, &e) < 0 || disk == 0)
		return cl_container_default_disk();
	return disk;
}

int cl_container_rw(const struct cl_container *c, char *upper, char *work, size_t size, struct cl_error *err)
{
	char dir[CL_PATH_MAX], rw[CL_PATH_MAX], opts[64];

	if (container_dir(c, NULL, dir, sizeof dir, err) < 0 || container_dir(c, "rw", rw, sizeof rw, err) < 0 ||
	    cl_path(upper, size, err, "%s/upper", rw) < 0 || cl_path(work, size, err, "%s/work", rw) < 0)
		return cl_error_ret(err);
	if (!cl_is_mounted(rw, dir)) {
		if (cl_mkdir_p(rw, 0700, err) < 0)
			return cl_error_ret(err);
		/* In the daemon's (the VM's) mount namespace: the layer outlives
		 * the task, as a container's files do in Docker, and is freed at
		 * container.remove. */
		snprintf(opts, sizeof opts, "size=%llu,mode=0700", (unsigned long long)container_disk(c));
		if (mount("tmpfs", rw, "tmpfs", 0, opts) < 0)
			return cl_fail(err, errno, "mount the writable layer (tmpfs %s) on `%s`", opts, rw);
	}
	if (cl_mkdir_p(upper, 0755, err) < 0 || cl_mkdir_p(work, 0700, err) < 0)
		return cl_error_ret(err);
	return 0;
}

/* Unmounts the writable layer (if mounted) and removes the container's
 * directory. */
static int remove_dir(const struct cl_container *c, struct cl_error *err)
{
	char dir[CL_PATH_MAX], rw[CL_PATH_MAX];

	if (container_dir(c, NULL, dir, sizeof dir, err) < 0 || container_dir(c, "rw", rw, sizeof rw, err) < 0)
		return cl_error_ret(err);
	/* Detached: an exec that is still being reaped may hold it; its pages
	 * go when the last user does. */
	while (cl_is_mounted(rw, dir))
		if (umount2(rw, MNT_DETACH) < 0)
			return cl_fail(err, errno, "unmount the writable layer `%s`", rw);
	return cl_rm_rf(dir, err);
}

static void save_state(struct cl_container *c)
{
	cleanup_attrbuf struct cl_attrbuf b = { 0 };
	char path[CL_PATH_MAX];
	struct cl_error e;

	if (cl_attrbuf_add_u64(&b, "exit_code", (uint64_t)(uint32_t)c->exit_code) < 0 ||
	    cl_attrbuf_add_u64(&b, "oom", c->oom) < 0 || cl_attrbuf_add_u64(&b, "started", c->started) < 0 ||
	    cl_attrbuf_add_u64(&b, "finished", c->finished) < 0)
		return;
	if (container_dir(c, "state", path, sizeof path, &e) < 0 || cl_write_atomic(path, b.data, b.len, &e) < 0)
		cl_log("%s", e.msg);
}

void cl_container_started(struct cl_container *c, struct cl_task *t)
{
	c->task = t;
	c->status = CL_RUNNING;
	c->restart_at = 0;
	c->started = cl_unix_ms();
	c->exit_code = 0;
	c->oom = false;
}

static int answer_followers(struct cl_container *c, struct cl_error *err)
{
	while (c->followers) {
		struct cl_follower *f = c->followers;

		c->followers = f->next;
		if (cl_reply(f->req, NULL, err) < 0) {
			free(f);
			return cl_error_ret(err);
		}
		free(f);
	}
	return 0;
}

int cl_container_exited(struct cl_container *c, int code, bool oom, struct cl_error *err)
{
	c->task = NULL;
	c->status = CL_EXITED;
	c->paused = false;
	c->exit_code = code;
	c->oom = oom;
	c->finished = cl_unix_ms();
	save_state(c);
	return answer_followers(c, err);
}

/* Every log's bound: an equal share of the logs' budget (logs.h), so that
 * many containers cannot make the daemon hold more than it. After each
 * container added or removed. */
static void share_log_budget(void)
{
	size_t n = 0, share;

	for (struct cl_container *c = cl_containers; c; c = c->next)
		n++;
	share = cl_log_share(n);
	for (struct cl_container *c = cl_containers; c; c = c->next)
		cl_logring_bound(&c->log, share);
}

void cl_container_stopped_by_user(struct cl_container *c)
{
	c->manual_stop = true;
	c->restart_at = 0;
}

void cl_container_started_by_user(struct cl_container *c)
{
	c->manual_stop = false;
	c->restart_count = 0;
	c->restart_delay = 0;
	c->restart_at = 0;
}

#define RESTART_DELAY_MIN 100
#define RESTART_DELAY_MAX 60000
#define RESTART_RESET_RUN 10000

bool cl_container_restart_due(struct cl_container *c, uint64_t now)
{
	char policy[32];
	uint64_t max = 0;
	struct cl_error e;

	if (c->manual_stop || c->removing ||
	    cl_arg_str(&c->attrs, "container", "restart", "no", policy, sizeof policy, &e) < 0 ||
	    cl_arg_u64(&c->attrs, "container", "restart_max", 0, &max, &e) < 0)
		return false;
	if (strcmp(policy, "always") != 0 && strcmp(policy, "unless-stopped") != 0 &&
	    !(strcmp(policy, "on-failure") == 0 && c->exit_code != 0 && (max == 0 || c->restart_count < max)))
		return false;
	if (c->finished - c->started >= RESTART_RESET_RUN || c->restart_delay == 0)
		c->restart_delay = RESTART_DELAY_MIN;
	else if ((c->restart_delay *= 2) > RESTART_DELAY_MAX)
		c->restart_delay = RESTART_DELAY_MAX;
	c->restart_count++;
	c->restart_at = now + c->restart_delay;
	return true;
}

static void container_free(struct cl_container *c)
{
	while (c->followers) {
		struct cl_follower *f = c->followers;

		c->followers = f->next;
		free(f);
	}
	cl_logring_free(&c->log);
	free(c->spec);
	free(c);
}

int cl_container_destroy(struct cl_container *c, struct cl_error *err)
{

	for (struct cl_container **p = &cl_containers; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	cl_tasks_detach(c);
	cl_net_forget(c);
	cl_cgroup_remove(c->id);
	share_log_budget();
	/* Followers still get their answer. */
	if (answer_followers(c, err) < 0) {
		container_free(c);
		return cl_error_ret(err);
	}
	if (remove_dir(c, err) < 0) {
		container_free(c);
		return cl_error_ret(err);
	}
	container_free(c);
	return 0;
}

bool cl_container_auto_remove(struct cl_container *c)
{
	struct cl_error e;

	if (!cl_arg_bool(&c->attrs, "auto_remove") || c->removing)
		return false;
	if (cl_container_destroy(c, &e) < 0)
		cl_log("auto-remove: %s", e.msg);
	return true;
}

/* Calls fn for each `mount` record of a container spec. */
static int each_mount(const struct cl_attrs *spec, int (*fn)(const struct cl_attrs *m, void *ctx), void *ctx)
{
	struct cl_attr a;
	size_t pos = 0;
	int ret;

	while (cl_attrs_next(spec, &pos, &a) == 1) {
		struct cl_attrs m;

		if (!cl_attr_is(&a, "mount") || cl_attrs_parse(&m, a.val, a.vlen) < 0)
			continue;
		if ((ret = fn(&m, ctx)) != 0)
			return ret;
	}
	return 0;
}

struct vol_query {
	const char *name;
};

static int mounts_volume(const struct cl_attrs *m, void *ctx)
{
	const struct vol_query *q = ctx;
	struct cl_attr t, s;

	return cl_attrs_get(m, "type", &t) && t.vlen == 6 && memcmp(t.val, "volume", 6) == 0 &&
	       cl_attrs_get(m, "source", &s) && s.vlen == strlen(q->name) && memcmp(s.val, q->name, s.vlen) == 0;
}

bool cl_containers_using_volume(const char *name, char *out, size_t size)
{
	struct vol_query q = { name };
	size_t o = 0;
	bool any = false;

	snprintf(out, size, "[");
	o = strlen(out);
	for (struct cl_container *c = cl_containers; c; c = c->next)
		if (each_mount(&c->attrs, mounts_volume, &q)) {
			snprintf(out + o, size - o, "%s%s", any ? ", " : "", c->id);
			o = strlen(out);
			any = true;
		}
	snprintf(out + o, size - o, "]");
	return any;
}

static int check_mount(const struct cl_attrs *m, void *ctx)
{
	struct cl_error *err = ctx;
	char type[16], src[CL_PATH_MAX], tgt[CL_PATH_MAX];

	if (cl_arg_str(m, "container.create: mount", "type", NULL, type, sizeof type, err) < 0 ||
	    cl_arg_str(m, "container.create: mount", "source", "", src, sizeof src, err) < 0 ||
	    cl_arg_str(m, "container.create: mount", "target", NULL, tgt, sizeof tgt, err) < 0)
		return -1;
	if (!cl_mount_target_valid(tgt))
		return cl_fail_plain(err, EINVAL, "invalid mount target `%s`: must be an absolute path", tgt), -1;
	if (strcmp(type, "volume") == 0) {
		if (!cl_name_valid(src))
			return cl_fail_plain(err, EINVAL, "invalid volume name `%s`", src), -1;
	} else if (strcmp(type, "bind") == 0) {
		struct stat st;

		if (src[0] != '/')
			return cl_fail_plain(err, EINVAL, "invalid bind source `%s`: must be an absolute path", src), -1;
		if (stat(src, &st) < 0)
			return cl_fail_plain(err, ENOENT, "invalid mount config for type \"bind\": bind source path does not exist: %s", src), -1;
	} else if (strcmp(type, "tmpfs") != 0)
		return cl_fail_plain(err, EINVAL, "unknown mount type `%s`", type), -1;
	return 0;
}

static struct cl_container *container_new(const uint8_t *spec, size_t len, struct cl_error *err)
{
	struct cl_container *c = calloc(1, sizeof *c);

	if (!c || !(c->spec = malloc(len ? len : 1))) {
		free(c);
		cl_fail(err, ENOMEM, "container");
		return NULL;
	}
	memcpy(c->spec, spec, len);
	c->spec_len = len;
	if (cl_attrs_parse(&c->attrs, c->spec, len) < 0 ||
	    cl_arg_str(&c->attrs, "container", "id", NULL, c->id, sizeof c->id, err) < 0 ||
	    cl_arg_str(&c->attrs, "container", "name", "", c->name, sizeof c->name, err) < 0) {
		if (!err->msg[0])
			cl_fail_plain(err, EINVAL, "container: invalid spec");
		container_free(c);
		return NULL;
	}
	return c;
}

static int op_create(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	char id[65], name[129], snap[CL_DIGEST_STR_LEN + 1], path[CL_PATH_MAX];
	char upper[CL_PATH_MAX], work[CL_PATH_MAX];
	cleanup_free char *lower = malloc(CL_PATH_MAX);
	struct cl_container *c, *other;
	uint64_t disk;

	(void)resp;
	if (!lower)
		return cl_fail(err, ENOMEM, "container.create");
	if (cl_arg_str(&req->attrs, "container.create", "id", NULL, id, sizeof id, err) < 0 ||
	    cl_arg_str(&req->attrs, "container.create", "name", "", name, sizeof name, err) < 0 ||
	    cl_arg_str(&req->attrs, "container.create", "snapshot", NULL, snap, sizeof snap, err) < 0)
		return cl_error_ret(err);
	if (!cl_id_valid(id))
		return cl_fail_plain(err, EINVAL, "container.create: invalid id `%s`", id);
	if (name[0] && !cl_name_valid(name))
		return cl_fail_plain(err, EINVAL,
				     "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
	for (other = cl_containers; other; other = other->next) {
		if (strcmp(other->id, id) == 0)
			return cl_fail_plain(err, EEXIST, "Conflict. The container ID \"%s\" is already in use.", id);
		if (name[0] && strcmp(other->name, name) == 0)
			return cl_fail_plain(err, EEXIST,
					     "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
					     "You have to remove (or rename) that container to be able to reuse that name.",
					     name, other->id);
	}
	if (cl_state_init(err) < 0 || cl_snapshot_lowerdir(snap, lower, CL_PATH_MAX, err) < 0)
		return cl_error_wrap(err, "container.create");
	if (each_mount(&req->attrs, check_mount, err) != 0)
		return cl_error_ret(err);
	if (cl_arg_u64(&req->attrs, "container.create", "disk", 0, &disk, err) < 0)
		return cl_error_ret(err);
	if (disk && disk < CL_DISK_MIN)
		return cl_fail_plain(err, EINVAL, "container.create: disk size %llu is below the minimum of %llu bytes",
				     (unsigned long long)disk, (unsigned long long)CL_DISK_MIN);
	c = container_new(req->attrs.p, req->attrs.n, err);
	if (!c)
		return cl_error_ret(err);
	if (container_dir(c, "rootfs", path, sizeof path, err) < 0 || cl_mkdir_p(path, 0711, err) < 0 ||
	    cl_container_rw(c, upper, work, sizeof upper, err) < 0 ||
	    container_dir(c, "spec", path, sizeof path, err) < 0 ||
	    cl_write_atomic(path, c->spec, c->spec_len, err) < 0) {
		struct cl_error e2;

		/* Nothing half-made stays behind (the tmpfs included). */
		if (remove_dir(c, &e2) < 0)
			cl_log("container.create: %s", e2.msg);
		container_free(c);
		return cl_error_wrap(err, "container.create");
	}
	c->created = cl_unix_ms();
	c->next = cl_containers;
	cl_containers = c;
	share_log_budget();
	return 0;
}

static const char *status_name(enum cl_status s)
{
	return s == CL_RUNNING ? "running" : s == CL_EXITED ? "exited" : "created";
}

static int add_stats(struct cl_attrbuf *b, const struct cl_container *c)
{
	struct cl_cgroup_stats st;
	int ret;

	cl_cgroup_stats(c->id, &st);
	if ((ret = cl_attrbuf_add_u64(b, "memory", st.memory)) < 0 ||
	    (ret = cl_attrbuf_add_u64(b, "memory_max", st.memory_max)) < 0 ||
	    (ret = cl_attrbuf_add_u64(b, "cpu_usec", st.cpu_usec)) < 0 ||
	    (ret = cl_attrbuf_add_u64(b, "pids", st.pids)) < 0)
		return ret;
	return 0;
}

static int op_list(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	/* A file read per running container: only when asked (not for every
	 * lookup by name); `stats` reads four. */
	bool memory = cl_arg_bool(&req->attrs, "memory");
	bool stats = cl_arg_bool(&req->attrs, "stats");

	for (struct cl_container *c = cl_containers; c; c = c->next) {
		cleanup_attrbuf struct cl_attrbuf b = { 0 };
		struct cl_attr a;
		int ret;

		if ((ret = cl_attrbuf_add_str(&b, "id", c->id)) < 0 || (ret = cl_attrbuf_add_str(&b, "name", c->name)) < 0 ||
		    (cl_attrs_get(&c->attrs, "image", &a) && (ret = cl_attrbuf_add(&b, "image", a.val, a.vlen)) < 0) ||
		    (ret = cl_attrbuf_add_str(&b, "status", status_name(c->status))) < 0 ||
		    (ret = cl_attrbuf_add_u64(&b, "exit_code", (uint64_t)(uint32_t)c->exit_code)) < 0 ||
		    (ret = cl_attrbuf_add_u64(&b, "oom", c->oom)) < 0 ||
		    (ret = cl_attrbuf_add_u64(&b, "created", c->created)) < 0 ||
		    (ret = cl_attrbuf_add_u64(&b, "started", c->started)) < 0 ||
		    (ret = cl_attrbuf_add_u64(&b, "finished", c->finished)) < 0 ||
		    (ret = cl_attrbuf_add_u64(&b, "pid", (uint64_t)(c->task ? cl_task_pid(c->task) : 0))) < 0 ||
		    (memory && !stats && c->status == CL_RUNNING &&
		     (ret = cl_attrbuf_add_u64(&b, "memory", cl_cgroup_memory_current(c->id))) < 0) ||
		    (stats && c->status == CL_RUNNING && (ret = add_stats(&b, c)) < 0) ||
		    (ret = cl_attrbuf_add_u64(&b, "paused", c->paused)) < 0 ||
		    (ret = cl_attrbuf_add_u64(&b, "restarting", c->restart_at != 0)) < 0 ||
		    (ret = cl_attrbuf_add_u64(&b, "restart_count", c->restart_count)) < 0 ||
		    (cl_attrs_get(&c->attrs, "record", &a) && (ret = cl_attrbuf_add(&b, "record", a.val, a.vlen)) < 0) ||
		    (ret = cl_attrbuf_add(resp, "container", b.data, b.len)) < 0)
			return cl_fail(err, -ret, "container.list: build response");
	}
	return 0;
}

static int op_remove(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;

	(void)resp;
	if (cl_container_arg(req, "container.remove", &c, err) < 0)
		return cl_error_ret(err);
	if (c->status == CL_RUNNING || cl_task_starting(c)) {
		if (!cl_arg_bool(&req->attrs, "force"))
			return cl_fail_plain(err, EBUSY,
					     "You cannot remove a running container %s. Stop the container before "
					     "attempting removal or force remove",
					     c->id);
		c->removing = true;
		/* A frozen task cannot die: thawed first. */
		if (c->paused && cl_cgroup_freeze(c->id, false, err) < 0)
			cl_log("%s", err->msg);
		if (c->task)
			return cl_task_remove_when_dead(c, req->id, err);
		/* still starting: destroying it cancels the start */
	}
	return cl_container_destroy(c, err);
}

static int op_logs(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	uint64_t tail;
	size_t pos, skip;
	uint8_t stream;
	const uint8_t *data;
	size_t n;

	(void)resp;
	if (cl_container_arg(req, "container.logs", &c, err) < 0 ||
	    cl_arg_u64(&req->attrs, "container.logs", "tail", UINT64_MAX, &tail, err) < 0)
		return cl_error_ret(err);
	cl_logring_tail(&c->log, tail, &pos, &skip);
	while (cl_logring_next(&c->log, &pos, &stream, &data, &n) == 1) {
		if (cl_channel_send_frame(cl_host, CL_STREAM, 0, stream, req->id, data + skip, n - skip, err) < 0)
			return cl_error_ret(err);
		skip = 0;
	}
	if (cl_arg_bool(&req->attrs, "follow") && c->status == CL_RUNNING) {
		struct cl_follower *f = malloc(sizeof *f);

		if (!f)
			return cl_fail(err, ENOMEM, "container.logs");
		f->req = req->id;
		f->next = c->followers;
		c->followers = f;
		return CL_OP_DEFERRED;
	}
	return 0;
}

/* The spec with its `name` replaced: the create request is kept verbatim,
 * so a rename rewrites it (in memory and in containers/<id>/spec). */
static int respec_name(struct cl_container *c, const char *name, struct cl_error *err)
{
	cleanup_attrbuf struct cl_attrbuf b = { 0 };
	cleanup_free uint8_t *spec = NULL;
	char path[CL_PATH_MAX];
	struct cl_attrs attrs;
	struct cl_attr a;
	size_t pos = 0;
	int ret;

	while (cl_attrs_next(&c->attrs, &pos, &a) == 1) {
		char key[256];

		if (cl_attr_is(&a, "name"))
			continue;
		memcpy(key, a.key, a.klen);
		key[a.klen] = '\0';
		if ((ret = cl_attrbuf_add(&b, key, a.val, a.vlen)) < 0)
			return cl_fail(err, -ret, "container.rename");
	}
	if ((ret = cl_attrbuf_add_str(&b, "name", name)) < 0)
		return cl_fail(err, -ret, "container.rename");
	if (!(spec = malloc(b.len)))
		return cl_fail(err, ENOMEM, "container.rename");
	memcpy(spec, b.data, b.len);
	if (cl_attrs_parse(&attrs, spec, b.len) < 0)
		return cl_fail_plain(err, EINVAL, "container.rename: invalid spec");
	if (container_dir(c, "spec", path, sizeof path, err) < 0 || cl_write_atomic(path, spec, b.len, err) < 0)
		return cl_error_wrap(err, "container.rename");
	free(c->spec);
	c->spec = spec;
	spec = NULL;
	c->spec_len = b.len;
	c->attrs = attrs;
	snprintf(c->name, sizeof c->name, "%s", name);
	return 0;
}

static int op_rename(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	char name[129];

	(void)resp;
	if (cl_container_arg(req, "container.rename", &c, err) < 0 ||
	    cl_arg_str(&req->attrs, "container.rename", "name", NULL, name, sizeof name, err) < 0)
		return cl_error_ret(err);
	if (!cl_name_valid(name))
		return cl_fail_plain(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
				     name);
	if (strcmp(name, c->name) == 0)
		return cl_fail_plain(err, EINVAL, "Renaming a container with the same name as its current name");
	for (struct cl_container *o = cl_containers; o; o = o->next)
		if (strcmp(o->name, name) == 0)
			return cl_fail_plain(err, EEXIST,
					     "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
					     "You have to remove (or rename) that container to be able to reuse that name.",
					     name, o->id);
	return respec_name(c, name, err);
}

/* One process of `container.top`: from /proc/<pid>/stat (after the comm,
 * whose parentheses may hold anything), status (Uid) and cmdline. */
static int top_proc(struct cl_attrbuf *resp, pid_t pid, uint64_t boot_ms, long hz)
{
	cleanup_attrbuf struct cl_attrbuf b = { 0 };
	cleanup_free char *stat = NULL, *status = NULL, *cmd = NULL;
	char path[64], comm[64] = "";
	unsigned long long f[20] = { 0 };
	struct cl_error e;
	const char *p, *uid;
	size_t len = 0, clen = 0;
	int ret;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (cl_read_all(path, 4096, &stat, &len, &e) < 0 || !(p = strrchr(stat, ')')))
		return 0; /* gone meanwhile */
	{
		const char *open_ = strchr(stat, '(');

		if (open_ && p > open_)
			snprintf(comm, sizeof comm, "[%.*s]", (int)(p - open_ - 1), open_ + 1);
	}
	/* Field N (proc(5)'s numbering) into f[N - 3]: ppid 4, tty_nr 7,
	 * utime 14, stime 15, starttime 22; field 3 is the state letter. */
	p += 2;
	for (int i = 3; i <= 22 && *p; i++) {
		char *end;

		if (i == 3)
			p++;
		else {
			f[i - 3] = strtoull(p, &end, 10);
			p = end;
		}
		while (*p == ' ')
			p++;
	}
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (cl_read_all(path, 8192, &status, NULL, &e) < 0 || !(uid = strstr(status, "\nUid:")))
		return 0;
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	if (cl_read_all(path, 64 * 1024, &cmd, &clen, &e) < 0)
		clen = 0;
	while (clen > 0 && cmd[clen - 1] == '\0')
		clen--;
	for (size_t i = 0; i < clen; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	if ((ret = cl_attrbuf_add_u64(&b, "pid", (uint64_t)pid)) < 0 ||
	    (ret = cl_attrbuf_add_u64(&b, "ppid", f[1])) < 0 ||
	    (ret = cl_attrbuf_add_u64(&b, "uid", strtoull(uid + 5, NULL, 10))) < 0 ||
	    (ret = cl_attrbuf_add_u64(&b, "tty", f[4])) < 0 ||
	    (ret = cl_attrbuf_add_u64(&b, "cpu_ms", (f[11] + f[12]) * 1000 / (unsigned long long)hz)) < 0 ||
	    (ret = cl_attrbuf_add_u64(&b, "start_ms", boot_ms + f[19] * 1000 / (unsigned long long)hz)) < 0 ||
	    (ret = cl_attrbuf_add(&b, "cmd", clen ? cmd : comm, clen ? clen : strlen(comm))) < 0 ||
	    (ret = cl_attrbuf_add(resp, "proc", b.data, b.len)) < 0)
		return ret;
	return 0;
}

static int op_top(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_container *c;
	pid_t pids[CL_DEFAULT_PIDS_MAX * 4];
	struct timespec up;
	uint64_t boot_ms;
	long hz = sysconf(_SC_CLK_TCK);
	int n, ret;

	if (cl_container_arg(req, "container.top", &c, err) < 0)
		return cl_error_ret(err);
	if (c->status != CL_RUNNING)
		return cl_fail_plain(err, EINVAL, "Container %s is not running", c->id);
	if ((n = cl_cgroup_pids(c->id, pids, sizeof pids / sizeof *pids, err)) < 0)
		return cl_error_wrap(err, "container.top");
	clock_gettime(CLOCK_BOOTTIME, &up);
	boot_ms = cl_unix_ms() - ((uint64_t)up.tv_sec * 1000 + (uint64_t)up.tv_nsec / 1000000);
	if (hz <= 0)
		hz = 100;
	for (int i = 0; i < n; i++)
		if ((ret = top_proc(resp, pids[i], boot_ms, hz)) < 0)
			return cl_fail(err, -ret, "container.top: build response");
	return 0;
}

static int op_cancel(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	uint64_t id;

	(void)resp;
	if (cl_arg_u64(&req->attrs, "cancel", "req", 0, &id, err) < 0)
		return cl_error_ret(err);
	{
		int ret;

		if (cl_ports_cancel((uint32_t)id, err, &ret))
			return ret;
	}
	for (struct cl_container *c = cl_containers; c; c = c->next)
		for (struct cl_follower **p = &c->followers; *p; p = &(*p)->next)
			if ((*p)->req == id) {
				struct cl_follower *f = *p;

				*p = f->next;
				free(f);
				return cl_reply((uint32_t)id, NULL, err);
			}
	return 0;
}

void cl_containers_load(void)
{
	char dir[CL_PATH_MAX], path[CL_PATH_MAX];
	struct cl_error e;
	DIR *d;
	struct dirent *ent;

	if (cl_path(dir, sizeof dir, &e, "%s/containers", cl_state_root) < 0 || !(d = opendir(dir)))
		return;
	while ((ent = readdir(d))) {
		cleanup_free char *spec = NULL, *state = NULL;
		struct cl_container *c;
		struct cl_attrs st;
		size_t len;
		uint64_t v;

		if (!cl_id_valid(ent->d_name) || cl_path(path, sizeof path, &e, "%s/%s/spec", dir, ent->d_name) < 0 ||
		    cl_read_all(path, SPEC_MAX, &spec, &len, &e) < 0)
			continue;
		c = container_new((uint8_t *)spec, len, &e);
		if (!c) {
			cl_log("container %s: %s", ent->d_name, e.msg);
			continue;
		}
		if (cl_path(path, sizeof path, &e, "%s/%s/state", dir, ent->d_name) == 0 &&
		    cl_read_all(path, 4096, &state, &len, &e) == 0 && cl_attrs_parse(&st, state, len) == 0) {
			c->status = CL_EXITED;
			if (cl_arg_u64(&st, "", "exit_code", 0, &v, &e) == 0)
				c->exit_code = (int)(uint32_t)v;
			c->oom = cl_arg_bool(&st, "oom");
			cl_arg_u64(&st, "", "started", 0, &c->started, &e);
			cl_arg_u64(&st, "", "finished", 0, &c->finished, &e);
		}
		c->next = cl_containers;
		cl_containers = c;
	}
	closedir(d);
	share_log_budget();
}

const struct cl_op cl_container_ops[] = {
	{ "container.create", op_create },
	{ "container.list", op_list },
	{ "container.remove", op_remove },
	{ "container.logs", op_logs },
	{ "container.rename", op_rename },
	{ "container.top", op_top },
	{ "cancel", op_cancel },
	{ NULL, NULL },
};
