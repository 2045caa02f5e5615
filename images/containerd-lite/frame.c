#include "frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"

static const uint8_t magic[4] = { 0x44, 0x59, 0x4b, 0x31 }; /* "DYK1" */

void cl_frame_header(uint8_t *hdr, const struct cl_frame *f)
{
	memcpy(hdr, magic, sizeof magic);
	hdr[4] = f->type;
	hdr[5] = f->flags;
	hdr[6] = (uint8_t)f->stream;
	hdr[7] = (uint8_t)(f->stream >> 8);
	cl_put_u32(hdr + 8, f->id);
	cl_put_u32(hdr + 12, f->len);
	cl_put_u32(hdr + 16, cl_crc32(0, f->payload, f->len));
	cl_put_u32(hdr + 20, cl_crc32(0, hdr, 20));
}

size_t cl_frame_encode(uint8_t *out, const struct cl_frame *f)
{
	cl_frame_header(out, f);
	if (f->len)
		memcpy(out + CL_FRAME_HEADER, f->payload, f->len);
	return CL_FRAME_HEADER + (size_t)f->len;
}

int cl_decoder_init(struct cl_decoder *d)
{
	memset(d, 0, sizeof *d);
	d->cap = 2 * (CL_FRAME_HEADER + CL_MAX_FRAME_PAYLOAD);
	d->buf = malloc(d->cap);
	return d->buf ? 0 : -ENOMEM;
}

void cl_decoder_free(struct cl_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
}

size_t cl_decoder_pending(const struct cl_decoder *d)
{
	return d->end - d->start;
}

size_t cl_decoder_feed(struct cl_decoder *d, const void *data, size_t n)
{
	size_t room;

	if (d->start == d->end)
		d->start = d->end = 0;
	if (d->cap - d->end < n && d->start > 0) {
		memmove(d->buf, d->buf + d->start, d->end - d->start);
		d->end -= d->start;
		d->start = 0;
	}
	room = d->cap - d->end;
	if (n > room)
		n = room;
	if (n) {
		memcpy(d->buf + d->end, data, n);
		d->end += n;
	}
	return n;
}

static void skip(struct cl_decoder *d, size_t n)
{
	d->start += n;
	d->skipped += n;
}

/* Offset of the first full magic in p[0..n), or of a tail of p that is a
 * prefix of the magic (it may complete with the next feed); n if neither. */
static size_t find_magic(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *q = memchr(p + i, magic[0], n - i);
		size_t rem;

		if (!q)
			return n;
		i = (size_t)(q - p);
		rem = n - i;
		if (memcmp(q, magic, rem < sizeof magic ? rem : sizeof magic) == 0)
			return i;
		i++;
	}
	return n;
}

int cl_decoder_next(struct cl_decoder *d, struct cl_frame *out)
{
	for (;;) {
		const uint8_t *p = d->buf + d->start;
		size_t avail = d->end - d->start;
		size_t off = find_magic(p, avail);
		uint32_t len;

		if (off) {
			skip(d, off);
			p += off;
			avail -= off;
		}
		if (avail < CL_FRAME_HEADER)
			return 0;
		/* A bad header is rejected at once, without waiting for a payload
		 * whose length field cannot be trusted. */
		len = cl_get_u32(p + 12);
		if (len > CL_MAX_FRAME_PAYLOAD || cl_get_u32(p + 20) != cl_crc32(0, p, 20)) {
			d->bad_headers++;
			skip(d, 1);
			continue;
		}
		if (avail < CL_FRAME_HEADER + (size_t)len)
			return 0;
		if (cl_get_u32(p + 16) != cl_crc32(0, p + CL_FRAME_HEADER, len)) {
			/* A good frame may start inside this one's bytes. */
			d->bad_payloads++;
			skip(d, 1);
			continue;
		}
		out->type = p[4];
		out->flags = p[5];
		out->stream = (uint16_t)(p[6] | p[7] << 8);
		out->id = cl_get_u32(p + 8);
		out->len = len;
		out->payload = p + CL_FRAME_HEADER;
		d->start += CL_FRAME_HEADER + (size_t)len;
		d->frames++;
		return 1;
	}
}
