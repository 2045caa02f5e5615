/* Frames of the host <-> guest channel (PROTOCOL.md): encoder and an
 * incremental decoder that resynchronises after garbage. Pure: no I/O. */
#ifndef CL_FRAME_H
#define CL_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CL_FRAME_HEADER 24
#define CL_MAX_FRAME_PAYLOAD 65536u
#define CL_MAX_MESSAGE (16u * 1024 * 1024)
#define CL_FLAG_MORE 0x01

enum cl_frame_type {
	CL_HELLO = 1,
	CL_CREDIT = 2,
	CL_REQUEST = 3,
	CL_RESPONSE = 4,
	CL_ERROR = 5,
	CL_STREAM = 6,
	CL_PING = 7,
	CL_PONG = 8,
	CL_STREAM_CREDIT = 9,
};

struct cl_frame {
	uint8_t type;
	uint8_t flags;
	uint16_t stream;
	uint32_t id;
	uint32_t len;
	const uint8_t *payload; /* len bytes; may be NULL when len is 0 */
};

/* Fills hdr (CL_FRAME_HEADER bytes) for f, computing both CRCs.
 * f->len must be <= CL_MAX_FRAME_PAYLOAD. */
void cl_frame_header(uint8_t *hdr, const struct cl_frame *f);

/* Header + payload into out (CL_FRAME_HEADER + f->len bytes); returns the
 * number of bytes written. */
size_t cl_frame_encode(uint8_t *out, const struct cl_frame *f);

/* Incremental decoder. Feed it any chunking of the byte stream; it hands out
 * whole frames whose two CRCs check, skipping (and counting) everything
 * else per the reader rules of PROTOCOL.md. */
struct cl_decoder {
	uint8_t *buf;
	size_t cap, start, end;
	uint64_t skipped;     /* bytes not part of any delivered frame */
	uint64_t bad_headers; /* resyncs: header CRC wrong or len too big */
	uint64_t bad_payloads;/* resyncs: payload CRC wrong */
	uint64_t frames;      /* frames delivered */
};

/* -ENOMEM or 0. The buffer holds two maximal frames, enough that a feed
 * after cl_decoder_next() returned 0 always makes progress. */
int cl_decoder_init(struct cl_decoder *d);
void cl_decoder_free(struct cl_decoder *d);

/* Copies up to n bytes in and returns how many were taken (less than n only
 * when the buffer is full: drain with cl_decoder_next() and feed the rest). */
size_t cl_decoder_feed(struct cl_decoder *d, const void *data, size_t n);

/* 1 and *out when a frame is complete (out->payload points into the decoder
 * and stays valid until the next feed or next call), 0 when more bytes are
 * needed. */
int cl_decoder_next(struct cl_decoder *d, struct cl_frame *out);

/* Bytes held that are not yet part of a delivered frame or skipped. */
size_t cl_decoder_pending(const struct cl_decoder *d);

static inline void cl_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t cl_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
