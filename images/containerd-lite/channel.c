#include "channel.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "attrs.h"
#include "io.h"

int cl_channel_init(struct cl_channel *ch, int fd, struct cl_error *err)
{
	int ret;

	memset(ch, 0, sizeof *ch);
	ch->fd = fd;
	ret = cl_set_nonblock(fd, err);
	if (ret < 0)
		return ret;
	ch->rbuf = malloc(CL_READ_BUF);
	if (!ch->rbuf || cl_decoder_init(&ch->dec) < 0) {
		cl_channel_free(ch);
		return cl_fail(err, ENOMEM, "allocate channel buffers");
	}
	return 0;
}

void cl_channel_free(struct cl_channel *ch)
{
	cl_decoder_free(&ch->dec);
	cl_reasm_free(&ch->reasm);
	free(ch->rbuf);
	ch->rbuf = NULL;
}

int cl_channel_send_frame(struct cl_channel *ch, uint8_t type, uint8_t flags, uint16_t stream, uint32_t id,
			  const void *payload, size_t len, struct cl_error *err)
{
	uint8_t hdr[CL_FRAME_HEADER];
	struct cl_frame f = {
		.type = type, .flags = flags, .stream = stream, .id = id,
		.len = (uint32_t)len, .payload = payload,
	};
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof hdr },
		{ .iov_base = (void *)payload, .iov_len = len },
	};

	if (len > CL_MAX_FRAME_PAYLOAD)
		return cl_fail(err, EMSGSIZE, "send frame of %zu bytes", len);
	cl_frame_header(hdr, &f);
	/* One writev per frame: header and payload leave together. */
	return cl_write_all(ch->fd, iov, 2, err);
}

int cl_channel_send_message(struct cl_channel *ch, uint8_t type, uint16_t stream, uint32_t id,
			    const void *payload, size_t len, struct cl_error *err)
{
	const uint8_t *p = payload;
	size_t off = 0;

	if (len > CL_MAX_MESSAGE)
		return cl_fail(err, EMSGSIZE, "send message of %zu bytes (max %u)", len, CL_MAX_MESSAGE);
	do {
		size_t n = len - off < CL_MAX_FRAME_PAYLOAD ? len - off : CL_MAX_FRAME_PAYLOAD;
		uint8_t flags = off + n < len ? CL_FLAG_MORE : 0;
		int ret = cl_channel_send_frame(ch, type, flags, stream, id, p ? p + off : NULL, n, err);

		if (ret < 0)
			return ret;
		off += n;
	} while (off < len);
	return 0;
}

int cl_channel_send_error(struct cl_channel *ch, uint32_t id, const struct cl_error *e, struct cl_error *err)
{
	cleanup_attrbuf struct cl_attrbuf b = { 0 };
	int ret;

	ret = cl_attrbuf_add_str(&b, "message", e->msg);
	if (ret == 0 && e->code)
		ret = cl_attrbuf_add_u64(&b, "errno", (uint64_t)e->code);
	if (ret < 0)
		return cl_fail(err, -ret, "build ERROR for id %" PRIu32, id);
	return cl_channel_send_message(ch, CL_ERROR, 0, id, b.data, b.len, err);
}

static int report_dropped(struct cl_channel *ch, const struct cl_frame *f, int code, struct cl_error *err)
{
	struct cl_error e;

	switch (code) {
	case -EMSGSIZE:
		cl_fail_plain(&e, EMSGSIZE, "message over %u bytes dropped", CL_MAX_MESSAGE);
		break;
	case -ENOSPC:
		cl_fail_plain(&e, ENOSPC, "more than %d messages being reassembled: frame dropped",
			      CL_REASM_SLOTS);
		break;
	default:
		cl_fail(&e, -code, "message dropped");
		break;
	}
	cl_log("frame type %u id %" PRIu32 ": %s", f->type, f->id, e.msg);
	return cl_channel_send_error(ch, f->id, &e, err);
}

int cl_channel_process(struct cl_channel *ch, const uint8_t *data, size_t n, cl_message_fn fn, void *ctx,
		       struct cl_error *err)
{
	while (n > 0) {
		struct cl_frame f;
		size_t k = cl_decoder_feed(&ch->dec, data, n);

		data += k;
		n -= k;
		while (cl_decoder_next(&ch->dec, &f) == 1) {
			struct cl_message m;
			int ret = cl_reasm_push(&ch->reasm, &f, &m);

			if (ret < 0)
				ret = report_dropped(ch, &f, ret, err);
			else if (ret == 1)
				ret = fn(ctx, ch, &m, err);
			if (ret < 0)
				return ret;
		}
	}
	if (ch->dec.skipped != ch->logged_skipped) {
		cl_log("resync: %" PRIu64 " bytes skipped in all (%" PRIu64 " bad headers, %" PRIu64
		       " bad payloads)",
		       ch->dec.skipped, ch->dec.bad_headers, ch->dec.bad_payloads);
		ch->logged_skipped = ch->dec.skipped;
	}
	return 0;
}

int cl_channel_on_readable(struct cl_channel *ch, cl_message_fn fn, void *ctx, struct cl_error *err)
{
	size_t got = 0;

	while (got < CL_READ_BUF) {
		ssize_t n = read(ch->fd, ch->rbuf + got, CL_READ_BUF - got);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0) {
			ch->eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		return cl_fail(err, errno, "read from fd %d", ch->fd);
	}
	if (got > 0) {
		uint8_t credit[4];
		int ret;

		/* Credit before decoding: the host may refill the guest's buffers
		 * while this wake-up's requests are being worked on. */
		ch->bytes_read += (uint32_t)got;
		cl_put_u32(credit, ch->bytes_read);
		ret = cl_channel_send_frame(ch, CL_CREDIT, 0, 0, 0, credit, sizeof credit, err);
		if (ret < 0)
			return ret;
	}
	return cl_channel_process(ch, ch->rbuf, got, fn, ctx, err);
}
