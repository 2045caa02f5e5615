#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "frame.h"
#include "t.h"

struct got {
	struct cl_frame f;
	uint8_t *data; /* copy: the decoder's pointer is short-lived */
};

/* Feeds s in pieces of `piece` bytes (0: all at once), collecting frames. */
static size_t decode_all(struct cl_decoder *d, const uint8_t *s, size_t n, size_t piece, struct got *out,
			 size_t max)
{
	size_t nout = 0, off = 0;

	while (off < n) {
		size_t want = piece && piece < n - off ? piece : n - off;
		size_t k = cl_decoder_feed(d, s + off, want);
		struct cl_frame f;

		off += k;
		while (cl_decoder_next(d, &f) == 1) {
			if (nout < max) {
				out[nout].f = f;
				out[nout].data = malloc(f.len + 1);
				memcpy(out[nout].data, f.payload, f.len);
			}
			nout++;
		}
	}
	return nout;
}

static void free_got(struct got *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].data);
}

static void test_frame_encode_layout(void)
{
	uint8_t out[CL_FRAME_HEADER + 3];
	struct cl_frame f = { .type = CL_RESPONSE, .flags = CL_FLAG_MORE, .stream = 0x0102, .id = 0x0A0B0C0D,
			      .len = 3, .payload = (const uint8_t *)"abc" };

	CHECK_EQ(cl_frame_encode(out, &f), sizeof out);
	CHECK(memcmp(out, "DYK1", 4) == 0);
	CHECK_EQ(out[4], 4);
	CHECK_EQ(out[5], 1);
	CHECK_EQ(out[6], 0x02);
	CHECK_EQ(out[7], 0x01);
	CHECK_EQ(cl_get_u32(out + 8), 0x0A0B0C0D);
	CHECK_EQ(cl_get_u32(out + 12), 3);
	CHECK_EQ(cl_get_u32(out + 16), cl_crc32(0, "abc", 3));
	CHECK_EQ(cl_get_u32(out + 20), cl_crc32(0, out, 20));
	CHECK(memcmp(out + 24, "abc", 3) == 0);
}

static void test_frame_round_trip(void)
{
	static const size_t lens[] = { 0, 1, 4, 23, 24, 4096, 65535, 65536 };
	struct t_buf s = { 0 };
	struct got g[16];
	struct cl_decoder d;
	uint8_t *payload = malloc(65536);
	uint64_t seed = 1;
	size_t n;

	t_rand(&seed, payload, 65536);
	for (size_t i = 0; i < 8; i++)
		t_buf_frame(&s, (uint8_t)(1 + i), (uint8_t)(i & 1), (uint16_t)(i * 1000), 0xFFFFFFF0u + (uint32_t)i,
			    payload, lens[i]);
	REQUIRE(cl_decoder_init(&d) == 0);
	n = decode_all(&d, s.p, s.len, 0, g, 16);
	CHECK_EQ(n, 8);
	for (size_t i = 0; i < n && i < 8; i++) {
		CHECK_EQ(g[i].f.type, 1 + i);
		CHECK_EQ(g[i].f.flags, i & 1);
		CHECK_EQ(g[i].f.stream, i * 1000);
		CHECK_EQ(g[i].f.id, 0xFFFFFFF0u + i);
		CHECK_EQ(g[i].f.len, lens[i]);
		CHECK(memcmp(g[i].data, payload, lens[i]) == 0);
	}
	CHECK_EQ(d.skipped, 0);
	CHECK_EQ(d.frames, 8);
	CHECK_EQ(cl_decoder_pending(&d), 0);
	free_got(g, n < 16 ? n : 16);
	cl_decoder_free(&d);
	t_buf_free(&s);
	free(payload);
}

static void test_frame_garbage_is_skipped_and_counted(void)
{
	struct t_buf s = { 0 };
	struct got g[8];
	struct cl_decoder d;
	uint8_t junk[100];
	uint64_t seed = 7;
	size_t n, garbage = 0;

	t_rand(&seed, junk, sizeof junk);
	t_buf_add(&s, "hello", 5), garbage += 5;
	t_buf_frame(&s, CL_PING, 0, 0, 1, "one", 3);
	t_buf_add(&s, junk, sizeof junk), garbage += sizeof junk;
	t_buf_frame(&s, CL_PING, 0, 0, 2, "two", 3);
	/* Pieces of the magic are garbage too once they fail to complete. */
	t_buf_add(&s, "DDYDYKDYK0D", 11), garbage += 11;
	t_buf_frame(&s, CL_PING, 0, 0, 3, "three", 5);
	t_buf_add(&s, "DY", 2); /* could still become a magic: held, not counted */

	REQUIRE(cl_decoder_init(&d) == 0);
	n = decode_all(&d, s.p, s.len, 0, g, 8);
	CHECK_EQ(n, 3);
	for (size_t i = 0; i < n && i < 3; i++)
		CHECK_EQ(g[i].f.id, i + 1);
	CHECK_EQ(d.skipped, garbage);
	CHECK_EQ(cl_decoder_pending(&d), 2);
	free_got(g, n < 8 ? n : 8);
	cl_decoder_free(&d);
	t_buf_free(&s);
}

static void test_frame_one_byte_pieces(void)
{
	struct t_buf s = { 0 };
	struct cl_decoder d;
	size_t ends[3], delivered = 0;
	uint8_t payload[300];
	uint64_t seed = 3;

	t_rand(&seed, payload, sizeof payload);
	t_buf_add(&s, "xx", 2);
	t_buf_frame(&s, CL_REQUEST, CL_FLAG_MORE, 0, 10, payload, 300);
	ends[0] = s.len;
	t_buf_frame(&s, CL_REQUEST, 0, 0, 10, payload, 0);
	ends[1] = s.len;
	t_buf_add(&s, "D", 1);
	t_buf_frame(&s, CL_PING, 0, 0, 11, payload, 17);
	ends[2] = s.len;

	REQUIRE(cl_decoder_init(&d) == 0);
	for (size_t i = 0; i < s.len; i++) {
		struct cl_frame f;

		CHECK_EQ(cl_decoder_feed(&d, s.p + i, 1), 1);
		while (cl_decoder_next(&d, &f) == 1) {
			/* Each frame comes out exactly when its last byte goes in. */
			REQUIRE(delivered < 3);
			CHECK_EQ(i + 1, ends[delivered]);
			CHECK(memcmp(f.payload, payload, f.len) == 0);
			delivered++;
		}
	}
	CHECK_EQ(delivered, 3);
	CHECK_EQ(d.skipped, 3);
	cl_decoder_free(&d);
	t_buf_free(&s);
}

static void test_frame_bad_header_crc(void)
{
	struct t_buf s = { 0 };
	struct got g[4];
	struct cl_decoder d;
	size_t n, first;

	t_buf_frame(&s, CL_REQUEST, 0, 0, 5, "payload-of-the-damaged-frame", 28);
	first = s.len;
	s.p[9] ^= 0x40; /* the id: covered by hcrc only */
	t_buf_frame(&s, CL_REQUEST, 0, 0, 6, "ok", 2);

	REQUIRE(cl_decoder_init(&d) == 0);
	n = decode_all(&d, s.p, s.len, 0, g, 4);
	CHECK_EQ(n, 1);
	CHECK_EQ(g[0].f.id, 6);
	CHECK_EQ(d.bad_headers, 1);
	CHECK_EQ(d.bad_payloads, 0);
	CHECK_EQ(d.skipped, first);
	free_got(g, n < 4 ? n : 4);
	cl_decoder_free(&d);
	t_buf_free(&s);
}

static void test_frame_bad_payload_crc_with_frame_inside(void)
{
	struct t_buf inner = { 0 }, outer_payload = { 0 }, s = { 0 };
	struct got g[4];
	struct cl_decoder d;
	size_t n, inner_at;

	t_buf_frame(&inner, CL_PING, 0, 0, 77, "inner", 5);
	t_buf_add(&outer_payload, "0123456789", 10);
	inner_at = CL_FRAME_HEADER + outer_payload.len;
	t_buf_add(&outer_payload, inner.p, inner.len);
	t_buf_add(&outer_payload, "tail", 4);
	t_buf_frame(&s, CL_REQUEST, 0, 0, 76, outer_payload.p, outer_payload.len);
	s.p[CL_FRAME_HEADER + 3] ^= 1; /* damage the outer payload, not the inner frame */
	t_buf_frame(&s, CL_PING, 0, 0, 78, "after", 5);

	REQUIRE(cl_decoder_init(&d) == 0);
	n = decode_all(&d, s.p, s.len, 0, g, 4);
	CHECK_EQ(n, 2);
	CHECK_EQ(g[0].f.id, 77);
	CHECK(g[0].f.len == 5 && memcmp(g[0].data, "inner", 5) == 0);
	CHECK_EQ(g[1].f.id, 78);
	CHECK_EQ(d.bad_payloads, 1);
	CHECK_EQ(d.skipped, inner_at + 4);
	free_got(g, n < 4 ? n : 4);
	cl_decoder_free(&d);
	t_buf_free(&inner);
	t_buf_free(&outer_payload);
	t_buf_free(&s);
}

static void test_frame_oversized_len_rejected_at_once(void)
{
	uint8_t hdr[CL_FRAME_HEADER];
	struct cl_frame f = { .type = CL_REQUEST, .id = 9, .len = 0 };
	struct t_buf s = { 0 };
	struct got g[2];
	struct cl_decoder d;
	size_t n;

	cl_frame_header(hdr, &f);
	cl_put_u32(hdr + 12, CL_MAX_FRAME_PAYLOAD + 1);
	cl_put_u32(hdr + 20, cl_crc32(0, hdr, 20)); /* a "valid" header but for len */
	t_buf_add(&s, hdr, sizeof hdr);
	t_buf_frame(&s, CL_PING, 0, 0, 10, "next", 4);

	REQUIRE(cl_decoder_init(&d) == 0);
	/* Only 24 + 28 bytes: the next frame must come out without waiting for
	 * 65537 bytes of payload. */
	n = decode_all(&d, s.p, s.len, 0, g, 2);
	CHECK_EQ(n, 1);
	CHECK_EQ(g[0].f.id, 10);
	CHECK_EQ(d.bad_headers, 1);
	CHECK_EQ(d.skipped, CL_FRAME_HEADER);
	CHECK_EQ(cl_decoder_pending(&d), 0);
	free_got(g, n < 2 ? n : 2);
	cl_decoder_free(&d);
	t_buf_free(&s);
}

static void test_frame_truncated_frame_then_good_ones(void)
{
	/* What a truncated send leaves: a good header whose payload never
	 * fully arrives. The frames after it are found once enough bytes make
	 * the payload CRC fail. */
	struct t_buf full = { 0 }, s = { 0 };
	struct got g[8];
	struct cl_decoder d;
	uint8_t payload[100];
	uint64_t seed = 9;
	size_t n;

	t_rand(&seed, payload, sizeof payload);
	t_buf_frame(&full, CL_REQUEST, 0, 0, 1, payload, sizeof payload);
	t_buf_add(&s, full.p, CL_FRAME_HEADER + 10);
	for (uint32_t id = 2; id <= 5; id++)
		t_buf_frame(&s, CL_PING, 0, 0, id, payload, 40);

	REQUIRE(cl_decoder_init(&d) == 0);
	n = decode_all(&d, s.p, s.len, 1, g, 8);
	CHECK_EQ(n, 4);
	for (size_t i = 0; i < n && i < 4; i++)
		CHECK_EQ(g[i].f.id, i + 2);
	CHECK_EQ(d.skipped, CL_FRAME_HEADER + 10);
	free_got(g, n < 8 ? n : 8);
	cl_decoder_free(&d);
	t_buf_free(&full);
	t_buf_free(&s);
}

static void test_frame_feed_larger_than_buffer(void)
{
	struct t_buf s = { 0 };
	struct cl_decoder d;
	uint8_t *payload = calloc(1, 65536);
	size_t off = 0, frames = 0;

	for (uint32_t id = 0; id < 8; id++)
		t_buf_frame(&s, CL_STREAM, 0, 1, id, payload, 65536);
	REQUIRE(cl_decoder_init(&d) == 0);
	while (off < s.len) {
		struct cl_frame f;
		size_t k = cl_decoder_feed(&d, s.p + off, s.len - off);

		CHECK(k > 0);
		if (k == 0)
			break;
		off += k;
		while (cl_decoder_next(&d, &f) == 1)
			CHECK_EQ(f.id, frames++);
	}
	CHECK_EQ(frames, 8);
	cl_decoder_free(&d);
	t_buf_free(&s);
	free(payload);
}

void suite_frame(void)
{
	RUN(test_frame_encode_layout);
	RUN(test_frame_round_trip);
	RUN(test_frame_garbage_is_skipped_and_counted);
	RUN(test_frame_one_byte_pieces);
	RUN(test_frame_bad_header_crc);
	RUN(test_frame_bad_payload_crc_with_frame_inside);
	RUN(test_frame_oversized_len_rejected_at_once);
	RUN(test_frame_truncated_frame_then_good_ones);
	RUN(test_frame_feed_larger_than_buffer);
}
