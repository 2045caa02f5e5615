/* The guest end of the channel on an fd (the hvc1 port, or a socket in
 * tests): reads with CREDIT bookkeeping, frame decoding, message reassembly,
 * and sending frames and messages. */
#ifndef CL_CHANNEL_H
#define CL_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "frame.h"
#include "reasm.h"

#define CL_READ_BUF 65536

struct cl_channel {
	int fd;             /* not owned */
	uint32_t bytes_read;/* since HELLO, modulo 2^32: the CREDIT value */
	bool eof;
	struct cl_decoder dec;
	struct cl_reasm reasm;
	uint8_t *rbuf;
	uint64_t logged_skipped;
};

/* Called for every complete message. A negative return (channel I/O failed)
 * stops processing and is passed up; op failures are not channel failures
 * and must be answered with an ERROR frame instead. */
typedef int (*cl_message_fn)(void *ctx, struct cl_channel *ch, const struct cl_message *m,
			     struct cl_error *err);

/* Puts fd in non-blocking mode: a wake-up drains what is there without
 * blocking (writes wait with poll, see cl_write_all). */
int cl_channel_init(struct cl_channel *ch, int fd, struct cl_error *err);
void cl_channel_free(struct cl_channel *ch);

#define cleanup_channel __attribute__((cleanup(cl_channel_free)))

/* Handles one wake-up: reads everything available (up to CL_READ_BUF), sends
 * one CREDIT if anything was read, then decodes and dispatches. Sets ch->eof
 * when the peer closed. An over-long message is answered with an ERROR for
 * its id here. */
int cl_channel_on_readable(struct cl_channel *ch, cl_message_fn fn, void *ctx, struct cl_error *err);

/* Feeds bytes as if read (without CREDIT): the decode/dispatch half of
 * cl_channel_on_readable. */
int cl_channel_process(struct cl_channel *ch, const uint8_t *data, size_t n, cl_message_fn fn, void *ctx,
		       struct cl_error *err);

/* One frame; len <= CL_MAX_FRAME_PAYLOAD. */
int cl_channel_send_frame(struct cl_channel *ch, uint8_t type, uint8_t flags, uint16_t stream, uint32_t id,
			  const void *payload, size_t len, struct cl_error *err);

/* A message of up to CL_MAX_MESSAGE bytes, split into frames of at most
 * CL_MAX_FRAME_PAYLOAD with MORE set on all but the last. */
int cl_channel_send_message(struct cl_channel *ch, uint8_t type, uint16_t stream, uint32_t id,
			    const void *payload, size_t len, struct cl_error *err);

/* An ERROR for id: attrs `message` = e->msg, and `errno` when e->code != 0. */
int cl_channel_send_error(struct cl_channel *ch, uint32_t id, const struct cl_error *e, struct cl_error *err);

#endif
