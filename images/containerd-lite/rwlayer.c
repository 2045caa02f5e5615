#include "rwlayer.h"

#include <errno.h>
#include <string.h>

#include "containers.h"
#include "fsutil.h"
#include "layertar.h"

/* The archive leaves in STREAM frames (stream 1) of the largest size. */
struct frames {
	uint32_t req;
	uint8_t buf[CL_MAX_FRAME_PAYLOAD];
	size_t len;
};

static int flush(struct frames *f, struct cl_error *err)
{
	if (f->len == 0)
		return 0;
	if (cl_channel_send_frame(cl_host, CL_STREAM, 0, 1, f->req, f->buf, f->len, err) < 0)
		return cl_error_ret(err);
	f->len = 0;
	return 0;
}

static int to_frames(void *ctx, const void *p, size_t n, struct cl_error *err)
{
	struct frames *f = ctx;
	const uint8_t *b = p;

	while (n > 0) {
		size_t k = sizeof f->buf - f->len < n ? sizeof f->buf - f->len : n;

		memcpy(f->buf + f->len, b, k);
		f->len += k;
		b += k;
		n -= k;
		if (f->len == sizeof f->buf && flush(f, err) < 0)
			return cl_error_ret(err);
	}
	return 0;
}

/* `container.diff`: the upper dir as an OCI layer, read where the daemon
 * mounted it (a running container's too: Docker's commit pauses it, here a
 * file written meanwhile is taken at the size its header gave). */
static int op_diff(const struct cl_request *req, struct cl_attrbuf *resp, struct cl_error *err)
{
	static struct frames f; /* 64 KiB: not on the stack */
	struct cl_container *c;
	char upper[CL_PATH_MAX], work[CL_PATH_MAX];
	uint64_t bytes = 0;

	if (cl_container_arg(req, "container.diff", &c, err) < 0 ||
	    cl_container_rw(c, upper, work, sizeof upper, err) < 0)
		return cl_error_ret(err);
	f.req = req->id;
	f.len = 0;
	if (cl_layertar_write(upper, to_frames, &f, &bytes, err) < 0 || flush(&f, err) < 0)
		return cl_error_wrap(err, "container.diff %.12s", c->id);
	if (cl_attrbuf_add_u64(resp, "size", bytes) < 0)
		return cl_fail(err, ENOMEM, "container.diff");
	return 0;
}

const struct cl_op cl_rwlayer_ops[] = {
	{ "container.diff", op_diff },
	{ NULL, NULL },
};
