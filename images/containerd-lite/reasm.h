/* Message reassembly (PROTOCOL.md "Frame"): the payloads of the frames of one
 * (type, id, stream) are concatenated while MORE is set; frames of other
 * messages may come in between. A message over CL_MAX_MESSAGE is dropped,
 * reported once, and its remaining frames are discarded. Pure: no I/O. */
#ifndef CL_REASM_H
#define CL_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* Messages being reassembled at once. The host has a handful of requests in
 * flight; this only bounds memory against a misbehaving peer. */
#define CL_REASM_SLOTS 64

struct cl_message {
	uint8_t type;
	uint16_t stream;
	uint32_t id;
	const uint8_t *data;
	size_t len;
};

struct cl_reasm_slot {
	bool used;
	bool discarding; /* dropped: swallow frames up to the last one */
	uint8_t type;
	uint16_t stream;
	uint32_t id;
	uint8_t *buf;
	size_t len, cap;
};

struct cl_reasm {
	struct cl_reasm_slot slot[CL_REASM_SLOTS];
	uint8_t *done; /* buffer of the last message handed out */
};

/* Zero-initialise before first use. */
void cl_reasm_free(struct cl_reasm *r);

/* Takes one frame. Returns
 *   1 and *out: a message is complete (out->data valid until the next call;
 *     for a single-frame message it points at the frame's payload),
 *   0: the frame was absorbed (or discarded as part of a dropped message),
 *   -EMSGSIZE: the message went over CL_MAX_MESSAGE and was dropped,
 *   -ENOMEM: no memory to grow it; the message was dropped,
 *   -ENOSPC: all slots busy; this frame was dropped.
 * The negative results are reported once per message; the caller tells the
 * host (an ERROR for f->id). */
int cl_reasm_push(struct cl_reasm *r, const struct cl_frame *f, struct cl_message *out);

/* Messages currently being reassembled (for tests and diagnostics). */
size_t cl_reasm_active(const struct cl_reasm *r);

#endif
