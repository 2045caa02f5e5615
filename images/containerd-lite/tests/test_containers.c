/* Containers and tasks without a VM: the container record (loaded from a
 * state dir written here, its started/exited bookkeeping, the state file,
 * followers answered at exit, auto-remove) and the task ops' answers for a
 * container that has no running task. The state root is a temporary dir;
 * answers go to cl_host, a channel on a socketpair read back here. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "attrs.h"
#include "channel.h"
#include "cleanup.h"
#include "containers.h"
#include "fsutil.h"
#include "tasks.h"
#include "t.h"

void suite_containers(void);

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char root[64];
static int peer = -1;
static struct cl_channel host;
static struct cl_decoder dec;

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0) {
		if (write(fd, p, n) != (ssize_t)n)
			t_failures++;
		close(fd);
	} else
		t_failures++;
}

/* containers/<id>/spec (and state, when exit_code >= 0) as a previous
 * daemon left them. */
static void put_container(const char *id, const char *name, bool auto_remove, const char *volume, int exit_code)
{
	cleanup_attrbuf struct cl_attrbuf spec = { 0 }, state = { 0 }, m = { 0 };
	char dir[256], path[300];

	snprintf(dir, sizeof dir, "%s/containers/%s", root, id);
	mkdir(dir, 0700);
	cl_attrbuf_add_str(&spec, "id", id);
	cl_attrbuf_add_str(&spec, "name", name);
	cl_attrbuf_add_str(&spec, "image", "alpine:latest");
	if (auto_remove)
		cl_attrbuf_add_u64(&spec, "auto_remove", 1);
	if (volume) {
		cl_attrbuf_add_str(&m, "type", "volume");
		cl_attrbuf_add_str(&m, "source", volume);
		cl_attrbuf_add_str(&m, "target", "/data");
		cl_attrbuf_add(&spec, "mount", m.data, m.len);
	}
	snprintf(path, sizeof path, "%s/spec", dir);
	write_file(path, spec.data, spec.len);
	if (exit_code >= 0) {
		cl_attrbuf_add_u64(&state, "exit_code", (uint64_t)exit_code);
		cl_attrbuf_add_u64(&state, "oom", 1);
		cl_attrbuf_add_u64(&state, "started", 1000);
		cl_attrbuf_add_u64(&state, "finished", 2000);
		snprintf(path, sizeof path, "%s/state", dir);
		write_file(path, state.data, state.len);
	}
}

static void forget_all(void)
{
	struct cl_error e;

	while (cl_containers)
		cl_container_destroy(cl_containers, &e);
}

/* A fresh state root with two containers, and cl_host on a socketpair. */
static bool setup(void)
{
	char dir[128];
	struct cl_error e;
	int sv[2];

	snprintf(root, sizeof root, "/tmp/cl-containers-XXXXXX");
	if (!mkdtemp(root))
		return false;
	cl_state_root = root;
	snprintf(dir, sizeof dir, "%s/containers", root);
	mkdir(dir, 0700);
	put_container(ID_A, "web", false, "data", 3);
	put_container(ID_B, "tmp", true, NULL, -1);
	cl_containers_load();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || cl_channel_init(&host, sv[0], &e) < 0 ||
	    cl_decoder_init(&dec) < 0)
		return false;
	peer = sv[1];
	cl_host = &host;
	return true;
}

static void teardown(void)
{
	struct cl_error e;

	forget_all();
	cl_host = NULL;
	close(host.fd);
	cl_channel_free(&host);
	close(peer);
	cl_decoder_free(&dec);
	cl_rm_rf(root, &e);
	cl_state_root = CL_STATE_ROOT;
}

/* The next frame the daemon side sent (1), or none within 1 s (0). */
static int next_frame(struct cl_frame *f)
{
	uint8_t buf[4096];

	while (cl_decoder_next(&dec, f) != 1) {
		struct pollfd p = { .fd = peer, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) != 1 || (n = read(peer, buf, sizeof buf)) <= 0)
			return 0;
		cl_decoder_feed(&dec, buf, (size_t)n);
	}
	return 1;
}

static bool file_exists(const char *id, const char *sub)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof path, "%s/containers/%s%s%s", root, id, sub ? "/" : "", sub ? sub : "");
	return stat(path, &st) == 0;
}

static void test_load_and_find(void)
{
	struct cl_container *a, *b;
	char users[256];

	REQUIRE(setup());
	a = cl_container_find(ID_A);
	b = cl_container_find("tmp");
	REQUIRE(a && b);
	CHECK(cl_container_find("web") == a);
	CHECK(cl_container_find("nope") == NULL);
	/* With a state file: the last exit; without: never started. */
	CHECK_EQ(a->status, CL_EXITED);
	CHECK_EQ(a->exit_code, 3);
	CHECK(a->oom);
	CHECK_EQ(a->started, 1000);
	CHECK_EQ(a->finished, 2000);
	CHECK(a->task == NULL);
	CHECK_EQ(b->status, CL_CREATED);
	CHECK(strcmp(b->name, "tmp") == 0);
	CHECK(cl_containers_using_volume("data", users, sizeof users));
	CHECK(strcmp(users, "[" ID_A "]") == 0);
	CHECK(!cl_containers_using_volume("other", users, sizeof users));
	CHECK(strcmp(users, "[]") == 0);
	teardown();
}

static void test_arg_names_the_container(void)
{
	cleanup_attrbuf struct cl_attrbuf b = { 0 };
	struct cl_request req = { 0 };
	struct cl_container *c = NULL;
	struct cl_error e = { 0 };

	REQUIRE(setup());
	cl_attrbuf_add_str(&b, "id", "ghost");
	REQUIRE(cl_attrs_parse(&req.attrs, b.data, b.len) == 0);
	CHECK(cl_container_arg(&req, "task.kill", &c, &e) < 0);
	CHECK_EQ(e.code, ENOENT);
	CHECK(strcmp(e.msg, "No such container: ghost") == 0);
	teardown();
}

/* started then exited: the record's fields, the state file a restarted
 * daemon reads, and a follower answered with an empty RESPONSE. */
static void test_started_exited_records(void)
{
	struct cl_container *a;
	struct cl_follower *f;
	struct cl_frame fr;
	struct cl_error e;
	int fake_task;

	REQUIRE(setup());
	REQUIRE((a = cl_container_find(ID_A)) != NULL);
	cl_container_started(a, (struct cl_task *)&fake_task);
	CHECK_EQ(a->status, CL_RUNNING);
	CHECK(a->task == (struct cl_task *)&fake_task);
	CHECK_EQ(a->exit_code, 0);
	CHECK(!a->oom);
	CHECK(a->started > 2000);
	REQUIRE((f = calloc(1, sizeof *f)) != NULL);
	f->req = 77;
	a->followers = f;
	REQUIRE(cl_container_exited(a, 137, false, &e) == 0);
	CHECK_EQ(a->status, CL_EXITED);
	CHECK(a->task == NULL);
	CHECK_EQ(a->exit_code, 137);
	CHECK(a->finished >= a->started);
	CHECK(a->followers == NULL);
	REQUIRE(next_frame(&fr) == 1);
	CHECK_EQ(fr.type, CL_RESPONSE);
	CHECK_EQ(fr.id, 77);
	CHECK_EQ(fr.len, 0);
	teardown();
}

static void test_exit_state_survives_reload(void)
{
	struct cl_container *a;
	struct cl_error e;
	uint64_t started;

	REQUIRE(setup());
	REQUIRE((a = cl_container_find(ID_A)) != NULL);
	cl_container_started(a, (struct cl_task *)&e);
	started = a->started;
	REQUIRE(cl_container_exited(a, 42, true, &e) == 0);
	/* Reload over the same dir: a new record from spec and state. */
	while (cl_containers) {
		struct cl_container *c = cl_containers;

		cl_containers = c->next;
		c->next = NULL;
		/* Not destroy: that would remove the dir. */
		cl_logring_free(&c->log);
		free(c->spec);
		free(c);
	}
	cl_containers_load();
	REQUIRE((a = cl_container_find(ID_A)) != NULL);
	CHECK_EQ(a->status, CL_EXITED);
	CHECK_EQ(a->exit_code, 42);
	CHECK(a->oom);
	CHECK_EQ(a->started, started);
	teardown();
}

static void test_auto_remove(void)
{
	struct cl_container *a, *b;

	REQUIRE(setup());
	REQUIRE((a = cl_container_find(ID_A)) && (b = cl_container_find(ID_B)));
	/* Not created with auto_remove: stays. */
	CHECK(!cl_container_auto_remove(a));
	CHECK(cl_container_find(ID_A) == a);
	/* Being removed by container.remove already: left to it. */
	b->removing = true;
	CHECK(!cl_container_auto_remove(b));
	CHECK(file_exists(ID_B, "spec"));
	b->removing = false;
	CHECK(cl_container_auto_remove(b));
	CHECK(cl_container_find(ID_B) == NULL);
	CHECK(!file_exists(ID_B, NULL));
	CHECK(file_exists(ID_A, "spec"));
	teardown();
}

/* The task ops find no task on a container that is not running, and
 * task.stop answers the record's last exit code. */
static int call_task_op(const char *op, struct cl_attrbuf *req_attrs, struct cl_attrbuf *resp, struct cl_error *e)
{
	struct cl_request req = { .ch = &host, .id = 5 };

	if (cl_attrs_parse(&req.attrs, req_attrs->data, req_attrs->len) < 0)
		return -100;
	for (const struct cl_op *o = cl_task_ops; o->name; o++)
		if (strcmp(o->name, op) == 0)
			return o->fn(&req, resp, e);
	return -100;
}

static void test_task_ops_without_a_task(void)
{
	static const char *const ops[] = { "task.kill", "exec.run", "task.resize" };
	cleanup_attrbuf struct cl_attrbuf stop = { 0 }, resp = { 0 };
	struct cl_attrs ra;
	struct cl_error e = { 0 };
	uint64_t code = 0;

	REQUIRE(setup());
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
		cleanup_attrbuf struct cl_attrbuf b = { 0 }, r = { 0 };

		cl_attrbuf_add_str(&b, "id", "web");
		if (strcmp(ops[i], "exec.run") == 0)
			cl_attrbuf_add_str(&b, "arg", "/bin/true");
		memset(&e, 0, sizeof e);
		CHECK(call_task_op(ops[i], &b, &r, &e) < 0);
		CHECK_EQ(e.code, EINVAL);
		CHECK(strcmp(e.msg, "Container " ID_A " is not running") == 0);
	}
	cl_attrbuf_add_str(&stop, "id", ID_A);
	CHECK_EQ(call_task_op("task.stop", &stop, &resp, &e), 0);
	REQUIRE(cl_attrs_parse(&ra, resp.data, resp.len) == 0);
	REQUIRE(cl_arg_u64(&ra, "", "exit_code", 999, &code, &e) == 0);
	CHECK_EQ(code, 3);
	/* STREAM frames for an id no task has: dropped. */
	CHECK_EQ(cl_tasks_on_stream(12345, 0, (const uint8_t *)"x", 1, &e), 0);
	teardown();
}

static int call_op(const struct cl_op *table, const char *op, struct cl_attrbuf *req_attrs, struct cl_attrbuf *resp,
		   struct cl_error *e)
{
	struct cl_request req = { .ch = &host, .id = 6 };

	if (cl_attrs_parse(&req.attrs, req_attrs->data, req_attrs->len) < 0)
		return -100;
	for (const struct cl_op *o = table; o->name; o++)
		if (strcmp(o->name, op) == 0)
			return o->fn(&req, resp, e);
	return -100;
}

/* Sets the container's spec to `restart` policy (and restart_max). */
static void set_policy(struct cl_container *c, const char *policy, uint64_t max)
{
	cleanup_attrbuf struct cl_attrbuf b = { 0 };

	cl_attrbuf_add_str(&b, "id", c->id);
	cl_attrbuf_add_str(&b, "name", c->name);
	if (policy)
		cl_attrbuf_add_str(&b, "restart", policy);
	if (max)
		cl_attrbuf_add_u64(&b, "restart_max", max);
	free(c->spec);
	c->spec = malloc(b.len);
	memcpy(c->spec, b.data, b.len);
	c->spec_len = b.len;
	cl_attrs_parse(&c->attrs, c->spec, c->spec_len);
}

/* Docker's policies: which exits restart, on-failure's count, the manual
 * stop that silences them until the next start, and the backoff: 100 ms
 * doubling, reset by a run of 10 s. */
static void test_restart_policy(void)
{
	struct cl_container *a;

	REQUIRE(setup());
	REQUIRE((a = cl_container_find("web")));
	a->started = 1000, a->finished = 2000, a->exit_code = 0;
	set_policy(a, NULL, 0);
	CHECK(!cl_container_restart_due(a, 50));
	set_policy(a, "no", 0);
	CHECK(!cl_container_restart_due(a, 50));
	set_policy(a, "on-failure", 0);
	CHECK(!cl_container_restart_due(a, 50)); /* exit 0 */
	set_policy(a, "always", 0);
	CHECK(cl_container_restart_due(a, 50));
	CHECK_EQ(a->restart_at, 150);
	CHECK(cl_container_restart_due(a, 50));
	CHECK_EQ(a->restart_at, 250);
	CHECK(cl_container_restart_due(a, 50));
	CHECK_EQ(a->restart_at, 450);
	CHECK_EQ(a->restart_count, 3);
	a->finished = a->started + 10000; /* a long run resets the backoff */
	CHECK(cl_container_restart_due(a, 50));
	CHECK_EQ(a->restart_at, 150);
	cl_container_stopped_by_user(a);
	CHECK_EQ(a->restart_at, 0);
	CHECK(!cl_container_restart_due(a, 50));
	cl_container_started_by_user(a);
	CHECK_EQ(a->restart_count, 0);
	set_policy(a, "unless-stopped", 0);
	CHECK(cl_container_restart_due(a, 50));
	set_policy(a, "on-failure", 2);
	cl_container_started_by_user(a);
	a->exit_code = 1;
	CHECK(cl_container_restart_due(a, 0));
	CHECK(cl_container_restart_due(a, 0));
	CHECK(!cl_container_restart_due(a, 0)); /* at most 2 */
	CHECK_EQ(a->restart_count, 2);
	a->restart_at = 0;
	teardown();
}

/* container.rename: docker's refusals, then the new name found, listed and
 * kept in the spec a restarted daemon reads. */
static void test_rename(void)
{
	cleanup_attrbuf struct cl_attrbuf r = { 0 };
	struct cl_error e = { 0 };
	static const struct {
		const char *to;
		int code;
		const char *msg;
	} bad[] = {
		{ "tmp", EEXIST, "Conflict. The container name \"/tmp\" is already in use by container \"" ID_B "\". You have to remove (or rename) that container to be able to reuse that name." },
		{ "web", EINVAL, "Renaming a container with the same name as its current name" },
		{ "no/slash", EINVAL, "Invalid container name (no/slash), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed" },
	};

	REQUIRE(setup());
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cleanup_attrbuf struct cl_attrbuf b = { 0 }, resp = { 0 };

		cl_attrbuf_add_str(&b, "id", "web");
		cl_attrbuf_add_str(&b, "name", bad[i].to);
		memset(&e, 0, sizeof e);
		CHECK(call_op(cl_container_ops, "container.rename", &b, &resp, &e) < 0);
		CHECK_EQ(e.code, bad[i].code);
		CHECK(strcmp(e.msg, bad[i].msg) == 0);
	}
	{
		cleanup_attrbuf struct cl_attrbuf b = { 0 };

		cl_attrbuf_add_str(&b, "id", "web");
		cl_attrbuf_add_str(&b, "name", "api");
		CHECK_EQ(call_op(cl_container_ops, "container.rename", &b, &r, &e), 0);
	}
	CHECK(cl_container_find("web") == NULL);
	REQUIRE(cl_container_find("api") == cl_container_find(ID_A));
	{
		char path[300], name[64];
		cleanup_free char *spec = NULL;
		size_t len = 0;
		struct cl_attrs sa;

		snprintf(path, sizeof path, "%s/containers/%s/spec", root, ID_A);
		REQUIRE(cl_read_all(path, 1 << 20, &spec, &len, &e) == 0);
		REQUIRE(cl_attrs_parse(&sa, spec, len) == 0);
		CHECK(cl_arg_str(&sa, "", "name", NULL, name, sizeof name, &e) == 0 && strcmp(name, "api") == 0);
		CHECK(cl_arg_str(&sa, "", "image", NULL, name, sizeof name, &e) == 0 && strcmp(name, "alpine:latest") == 0);
	}
	CHECK(cl_containers_using_volume("data", (char[128]){ 0 }, 128)); /* the rest of the spec kept */
	teardown();
}

/* pause, resume, wait and top of a container with no task. */
static void test_new_ops_without_a_task(void)
{
	static const struct {
		const struct cl_op *table;
		const char *op;
		const char *msg;
	} cases[] = {
		{ cl_task_ops, "task.pause", "Container " ID_A " is not running" },
		{ cl_task_ops, "task.resume", "Container " ID_A " is not paused" },
		{ cl_container_ops, "container.top", "Container " ID_A " is not running" },
	};
	cleanup_attrbuf struct cl_attrbuf w = { 0 }, resp = { 0 };
	struct cl_attrs ra;
	struct cl_error e = { 0 };
	uint64_t code = 0;

	REQUIRE(setup());
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cleanup_attrbuf struct cl_attrbuf b = { 0 }, r = { 0 };

		cl_attrbuf_add_str(&b, "id", "web");
		memset(&e, 0, sizeof e);
		CHECK(call_op(cases[i].table, cases[i].op, &b, &r, &e) < 0);
		CHECK_EQ(e.code, EINVAL);
		CHECK(strcmp(e.msg, cases[i].msg) == 0);
	}
	cl_attrbuf_add_str(&w, "id", "web");
	CHECK_EQ(call_op(cl_task_ops, "task.wait", &w, &resp, &e), 0);
	REQUIRE(cl_attrs_parse(&ra, resp.data, resp.len) == 0);
	REQUIRE(cl_arg_u64(&ra, "", "exit_code", 999, &code, &e) == 0);
	CHECK_EQ(code, 3);
	teardown();
}

void suite_containers(void)
{
	RUN(test_load_and_find);
	RUN(test_arg_names_the_container);
	RUN(test_started_exited_records);
	RUN(test_exit_state_survives_reload);
	RUN(test_auto_remove);
	RUN(test_task_ops_without_a_task);
	RUN(test_restart_policy);
	RUN(test_rename);
	RUN(test_new_ops_without_a_task);
}
