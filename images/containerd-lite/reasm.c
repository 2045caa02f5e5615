#include "reasm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void release(struct cl_reasm_slot *s)
{
	free(s->buf);
	memset(s, 0, sizeof *s);
}

void cl_reasm_free(struct cl_reasm *r)
{
	for (size_t i = 0; i < CL_REASM_SLOTS; i++)
		release(&r->slot[i]);
	free(r->done);
	r->done = NULL;
}

size_t cl_reasm_active(const struct cl_reasm *r)
{
	size_t n = 0;

	for (size_t i = 0; i < CL_REASM_SLOTS; i++)
		n += r->slot[i].used;
	return n;
}

static struct cl_reasm_slot *find(struct cl_reasm *r, const struct cl_frame *f)
{
	for (size_t i = 0; i < CL_REASM_SLOTS; i++) {
		struct cl_reasm_slot *s = &r->slot[i];

		if (s->used && s->type == f->type && s->id == f->id && s->stream == f->stream)
			return s;
	}
	return NULL;
}

static struct cl_reasm_slot *claim(struct cl_reasm *r, const struct cl_frame *f)
{
	for (size_t i = 0; i < CL_REASM_SLOTS; i++) {
		struct cl_reasm_slot *s = &r->slot[i];

		if (!s->used) {
			s->used = true;
			s->type = f->type;
			s->id = f->id;
			s->stream = f->stream;
			return s;
		}
	}
	return NULL;
}

/* Frees the partial data but keeps the slot, so that the rest of the
 * message is recognised and swallowed instead of becoming a new message. */
static int drop(struct cl_reasm_slot *s, bool more, int code)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
	s->discarding = true;
	if (!more)
		release(s);
	return code;
}

int cl_reasm_push(struct cl_reasm *r, const struct cl_frame *f, struct cl_message *out)
{
	bool more = f->flags & CL_FLAG_MORE;
	struct cl_reasm_slot *s;

	free(r->done);
	r->done = NULL;

	s = find(r, f);
	if (!s) {
		if (!more) {
			/* The common case: a whole message in one frame, no copy. */
			out->type = f->type;
			out->stream = f->stream;
			out->id = f->id;
			out->data = f->payload;
			out->len = f->len;
			return 1;
		}
		s = claim(r, f);
		if (!s)
			return -ENOSPC;
	}
	if (s->discarding) {
		if (!more)
			release(s);
		return 0;
	}
	if (f->len > CL_MAX_MESSAGE - s->len)
		return drop(s, more, -EMSGSIZE);
	if (s->cap - s->len < f->len) {
		size_t cap = s->cap ? s->cap : 2 * CL_MAX_FRAME_PAYLOAD;
		uint8_t *p;

		while (cap - s->len < f->len)
			cap *= 2;
		if (cap > CL_MAX_MESSAGE)
			cap = CL_MAX_MESSAGE;
		p = realloc(s->buf, cap);
		if (!p)
			return drop(s, more, -ENOMEM);
		s->buf = p;
		s->cap = cap;
	}
	if (f->len)
		memcpy(s->buf + s->len, f->payload, f->len);
	s->len += f->len;
	if (more)
		return 0;

	out->type = s->type;
	out->stream = s->stream;
	out->id = s->id;
	out->data = s->buf;
	out->len = s->len;
	/* Ownership moves to r->done so the slot is free at once. */
	r->done = s->buf;
	s->buf = NULL;
	release(s);
	return 1;
}
