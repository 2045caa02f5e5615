/* libFuzzer target: the channel's reading side, bytes to requests. The
 * frame decoder (resync after garbage, CRCs, length cap), reassembly of
 * MORE chains and the attrs parser, fed exactly as the daemon feeds them.
 *
 * Input byte 0 picks the mode: even, the rest is the raw byte stream; odd,
 * the rest is a list of frame specs that are encoded with valid CRCs (so
 * the fuzzer reaches reassembly and attrs, which random bytes almost never
 * do), some then corrupted or separated by garbage. The stream is fed in
 * chunks of pseudo-random size. Invariants checked (abort on violation):
 * every byte fed is delivered, skipped or pending; a delivered frame is
 * never over the cap and re-encodes to the same bytes; well-formed frames
 * with nothing corrupted are all delivered. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "frame.h"
#include "reasm.h"

#define MAX_STREAM (1u << 20)

struct out {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;

		while (cap < o->len + n)
			cap *= 2;
		o->p = realloc(o->p, cap);
		if (!o->p)
			abort();
		o->cap = cap;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

/* Spec: type flags stream id len16(2) payload[len]; flags bit 7 corrupts
 * one byte of the encoded frame, bit 6 puts garbage (the next byte's worth
 * of spec bytes) before it. Returns frames expected intact. */
static size_t build(const uint8_t *d, size_t n, struct out *o, int *corrupted)
{
	static uint8_t frame[CL_FRAME_HEADER + CL_MAX_FRAME_PAYLOAD];
	size_t pos = 0, intact = 0;

	*corrupted = 0;
	while (n - pos >= 6 && o->len < MAX_STREAM) {
		struct cl_frame f = { .type = (uint8_t)(d[pos] % 10), .flags = (uint8_t)(d[pos + 1] & 1),
				      .stream = (uint16_t)(d[pos + 2] & 3), .id = d[pos + 3] % 5u };
		uint8_t ctl = d[pos + 1];
		size_t len = (size_t)d[pos + 4] | (size_t)d[pos + 5] << 8, w;

		pos += 6;
		if (len > n - pos)
			len = n - pos;
		f.len = (uint32_t)len;
		f.payload = d + pos;
		if (ctl & 0x40) {
			size_t g = len < 32 ? len : 32;

			put(o, d + pos, g); /* garbage: may itself look like a frame */
			*corrupted = 1;
		}
		w = cl_frame_encode(frame, &f);
		if (ctl & 0x80) {
			frame[(ctl * 7u + len) % w] ^= (uint8_t)(ctl | 1);
			*corrupted = 1;
		} else {
			intact++;
		}
		put(o, frame, w);
		pos += len;
	}
	return intact;
}

static void check_attrs(const struct cl_message *m)
{
	struct cl_attrs a;
	struct cl_attr at;
	size_t pos = 0, count = 0;

	if (cl_attrs_parse(&a, m->data, m->len) < 0)
		return;
	while (cl_attrs_next(&a, &pos, &at) == 1) {
		if (at.klen == 0 || at.key < (const char *)m->data || at.val + at.vlen > m->data + m->len)
			abort();
		count++;
	}
	if (pos != m->len)
		abort();
	cl_attrs_get(&a, "op", &at);
	if (cl_attrs_count(&a, "arg") > count)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[CL_FRAME_HEADER + CL_MAX_FRAME_PAYLOAD];
	struct out s = { 0 };
	struct cl_decoder dec;
	struct cl_reasm r;
	struct cl_frame f;
	size_t off = 0, delivered = 0, intact = 0, bytes_out = 0;
	uint32_t seed;
	int corrupted = 1;

	if (size == 0)
		return 0;
	if (data[0] & 1)
		intact = build(data + 1, size - 1, &s, &corrupted);
	else
		put(&s, data + 1, size - 1);
	seed = data[0] * 2654435761u + (uint32_t)size;
	memset(&r, 0, sizeof r);
	if (cl_decoder_init(&dec) < 0)
		abort();
	while (off < s.len) {
		size_t chunk, took;

		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 8) % 9000;
		if (chunk > s.len - off)
			chunk = s.len - off;
		took = cl_decoder_feed(&dec, s.p + off, chunk);
		off += took;
		while (cl_decoder_next(&dec, &f) == 1) {
			struct cl_message m;
			int rr;

			if (f.len > CL_MAX_FRAME_PAYLOAD || cl_frame_encode(enc, &f) != CL_FRAME_HEADER + f.len)
				abort();
			delivered++;
			bytes_out += CL_FRAME_HEADER + f.len;
			rr = cl_reasm_push(&r, &f, &m);
			if (rr == 1)
				check_attrs(&m);
			if (rr > 1)
				abort();
		}
		if (took == 0 && cl_decoder_pending(&dec) == 0)
			abort(); /* no progress with an empty buffer */
	}
	if (bytes_out + dec.skipped + cl_decoder_pending(&dec) != s.len || dec.frames != delivered)
		abort();
	/* Nothing corrupted and nothing in between: every frame arrives (the
	 * decoder holds the last one until it is whole, and it is). */
	if (!corrupted && delivered != intact)
		abort();
	if (cl_reasm_active(&r) > CL_REASM_SLOTS)
		abort();
	cl_reasm_free(&r);
	cl_decoder_free(&dec);
	free(s.p);
	return 0;
}
