#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/utsname.h>

#include "containers.h"
#include "rwlayer.h"
#include "sys.h"
#include "sysinfo.h"
#include "tasks.h"
#include "volumes.h"
#include "network.h"
#include "ports.h"

struct cl_channel *cl_host;

/* `echo`: returns `data` unchanged; the channel's integrity test. */
static int op_echo(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct cl_attr data;
	int ret;

	if (!cl_attrs_get(&req->attrs, "data", &data))
		return cl_fail_plain(err, EINVAL, "echo: missing \"data\"");
	ret = cl_attrbuf_add(resp, "data", data.val, data.vlen);
	if (ret < 0)
		return cl_fail(err, -ret, "echo: build response");
	return 0;
}

static int op_info(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	struct utsname u;
	char os[256];
	uint64_t mem_kb, avail_kb = 0, uptime_ms;
	struct cl_error ignored;
	int ret;

	(void)req;
	if (uname(&u) < 0)
		return cl_fail(err, errno, "info: uname");
	ret = cl_sys_mem_total_kb(&mem_kb, err);
	if (ret < 0)
		return cl_error_wrap(err, "info");
	cl_sys_meminfo_kb("MemAvailable", &avail_kb, &ignored);
	ret = cl_sys_uptime_ms(&uptime_ms, err);
	if (ret < 0)
		return cl_error_wrap(err, "info");
	cl_sys_os_pretty_name(os, sizeof os);

	if ((ret = cl_attrbuf_add_str(resp, "kernel", u.release)) < 0 ||
	    (ret = cl_attrbuf_add_str(resp, "kernel_version", u.version)) < 0 ||
	    (ret = cl_attrbuf_add_str(resp, "machine", u.machine)) < 0 ||
	    (ret = cl_attrbuf_add_str(resp, "os", os)) < 0 ||
	    (ret = cl_attrbuf_add_u64(resp, "mem_kb", mem_kb)) < 0 ||
	    (ret = cl_attrbuf_add_u64(resp, "mem_available_kb", avail_kb)) < 0 ||
	    (ret = cl_attrbuf_add_u64(resp, "ncpu", (uint64_t)cl_sys_ncpu())) < 0 ||
	    (ret = cl_attrbuf_add_u64(resp, "uptime_ms", uptime_ms)) < 0)
		return cl_fail(err, -ret, "info: build response");
	return 0;
}

const struct cl_op cl_core_ops[] = {
	{ "echo", op_echo },
	{ "info", op_info },
	{ NULL, NULL },
};

static const struct cl_op *const op_tables[] = {
	cl_core_ops,
	cl_container_ops, cl_task_ops, cl_volume_ops, cl_rwlayer_ops,
	cl_sys_ops,
	cl_network_ops, cl_port_ops,
};

static const struct cl_op *find_op(const struct cl_attr *name)
{
	for (size_t t = 0; t < sizeof op_tables / sizeof *op_tables; t++)
		for (const struct cl_op *op = op_tables[t]; op->name; op++)
			if (strlen(op->name) == name->vlen && memcmp(op->name, name->val, name->vlen) == 0)
				return op;
	return NULL;
}

/* The op name as it may appear in a one-line message: printable ASCII only,
 * bounded. */
static void printable(const struct cl_attr *a, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < a->vlen && n + 1 < size; i++)
		out[n++] = a->val[i] >= 0x20 && a->val[i] < 0x7f ? (char)a->val[i] : '?';
	out[n] = '\0';
}

/* Runs the op named in the request; < 0 with e set when it must be answered
 * with an ERROR. */
static int run(struct cl_request *req, const struct cl_message *m, struct cl_attrbuf *resp,
	       struct cl_error *e)
{
	struct cl_attr name;
	const struct cl_op *op;
	char shown[80];
	int ret;

	if (cl_attrs_parse(&req->attrs, m->data, m->len) < 0)
		return cl_fail_plain(e, EINVAL, "invalid attrs: a field runs past the end of the payload");
	if (!cl_attrs_get(&req->attrs, "op", &name))
		return cl_fail_plain(e, EINVAL, "missing \"op\"");
	op = find_op(&name);
	if (!op) {
		printable(&name, shown, sizeof shown);
		return cl_fail_plain(e, 0, "unknown op \"%s\"", shown);
	}
	ret = op->fn(req, resp, e);
	if (ret < 0)
		return cl_error_ret(e);
	if (ret == CL_OP_DEFERRED)
		return ret;
	if (resp->len > CL_MAX_MESSAGE)
		return cl_fail_plain(e, EMSGSIZE, "%s: response of %zu bytes exceeds %u", op->name, resp->len,
				     CL_MAX_MESSAGE);
	return 0;
}

int cl_ops_handle_request(struct cl_channel *ch, const struct cl_message *m, struct cl_error *err)
{
	cleanup_attrbuf struct cl_attrbuf resp = { 0 };
	struct cl_request req = { .ch = ch, .id = m->id };
	struct cl_error e = { 0 };

	int ret = run(&req, m, &resp, &e);

	if (ret == CL_OP_DEFERRED)
		return 0;
	if (ret < 0) {
		/* Not a daemon failure: the host gets the reason for this id. */
		cl_log("request %" PRIu32 ": %s", m->id, e.msg);
		return cl_channel_send_error(ch, m->id, &e, err);
	}
	return cl_channel_send_message(ch, CL_RESPONSE, 0, m->id, resp.data, resp.len, err);
}
