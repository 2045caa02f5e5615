/* REQUEST handling: an op table maps the `op` attr to a handler. The
 * tables: cl_core_ops (echo, info; ops.c), cl_container_ops (containers.c),
 * cl_task_ops (tasks.c), cl_volume_ops (volumes.c), cl_rwlayer_ops
 * (rwlayer.c: container.diff), cl_sys_ops (sys.c), cl_network_ops
 * (network.c), cl_port_ops (ports.c). To
 * add an op, add it to its module's table (terminated by { NULL, NULL }) and
 * to PROTOCOL.md; a new module's table goes into op_tables in ops.c. */
#ifndef CL_OPS_H
#define CL_OPS_H

#include <stdint.h>

#include "attrs.h"
#include "channel.h"
#include "error.h"

struct cl_request {
	struct cl_channel *ch; /* for ops that stream (STREAM frames for id) */
	uint32_t id;
	struct cl_attrs attrs; /* validated; includes `op` */
};

/* Fills resp (sent as the RESPONSE) and returns 0, or returns < 0 with err
 * set (sent as the ERROR: err->msg, and err->code as `errno` if non-zero), or
 * returns CL_OP_DEFERRED: the request stays open and the op answers it later
 * itself (cl_reply), e.g. when a task exits. */
#define CL_OP_DEFERRED 1
typedef int (*cl_op_fn)(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err);

struct cl_op {
	const char *name;
	cl_op_fn fn;
};

extern const struct cl_op cl_core_ops[];

/* The channel to the host, for ops that answer later or stream. */
extern struct cl_channel *cl_host;

/* Answers one REQUEST message with a RESPONSE or an ERROR. Returns < 0 only
 * when the channel itself failed. */
int cl_ops_handle_request(struct cl_channel *ch, const struct cl_message *m, struct cl_error *err);

#endif
