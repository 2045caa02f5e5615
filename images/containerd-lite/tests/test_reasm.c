#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reasm.h"
#include "t.h"

static struct cl_frame fr(uint8_t type, uint32_t id, uint16_t stream, int more, const void *p, size_t len)
{
	struct cl_frame f = { .type = type, .flags = more ? CL_FLAG_MORE : 0, .stream = stream, .id = id,
			      .len = (uint32_t)len, .payload = p };
	return f;
}

static void test_reasm_single_frame_passes_through(void)
{
	struct cl_reasm r = { 0 };
	struct cl_message m;
	struct cl_frame f = fr(CL_PING, 3, 0, 0, "abc", 3);

	CHECK_EQ(cl_reasm_push(&r, &f, &m), 1);
	CHECK(m.type == CL_PING && m.id == 3 && m.len == 3 && m.data == f.payload);
	CHECK_EQ(cl_reasm_active(&r), 0);
	cl_reasm_free(&r);
}

static void test_reasm_more_frames_join(void)
{
	struct cl_reasm r = { 0 };
	struct cl_message m;
	struct cl_frame a = fr(CL_REQUEST, 1, 0, 1, "hel", 3), b = fr(CL_REQUEST, 1, 0, 1, "", 0),
			c = fr(CL_REQUEST, 1, 0, 0, "lo", 2);

	CHECK_EQ(cl_reasm_push(&r, &a, &m), 0);
	CHECK_EQ(cl_reasm_push(&r, &b, &m), 0);
	CHECK_EQ(cl_reasm_active(&r), 1);
	REQUIRE(cl_reasm_push(&r, &c, &m) == 1);
	CHECK(m.type == CL_REQUEST && m.id == 1 && m.len == 5 && memcmp(m.data, "hello", 5) == 0);
	CHECK_EQ(cl_reasm_active(&r), 0);
	cl_reasm_free(&r);
}

static void test_reasm_interleaved_ids_types_streams(void)
{
	struct cl_reasm r = { 0 };
	struct cl_message m;
	struct cl_frame f;

	f = fr(CL_REQUEST, 1, 0, 1, "a1", 2);
	CHECK_EQ(cl_reasm_push(&r, &f, &m), 0);
	f = fr(CL_REQUEST, 2, 0, 1, "b1", 2);
	CHECK_EQ(cl_reasm_push(&r, &f, &m), 0);
	f = fr(CL_STREAM, 1, 1, 1, "s1", 2); /* same id, other type: another message */
	CHECK_EQ(cl_reasm_push(&r, &f, &m), 0);
	f = fr(CL_STREAM, 1, 2, 1, "t1", 2); /* same id and type, other stream */
	CHECK_EQ(cl_reasm_push(&r, &f, &m), 0);
	f = fr(CL_PING, 9, 0, 0, "p", 1); /* a whole message in between */
	REQUIRE(cl_reasm_push(&r, &f, &m) == 1);
	CHECK(m.id == 9 && m.len == 1);
	CHECK_EQ(cl_reasm_active(&r), 4);

	f = fr(CL_REQUEST, 2, 0, 0, "b2", 2);
	REQUIRE(cl_reasm_push(&r, &f, &m) == 1);
	CHECK(m.type == CL_REQUEST && m.id == 2 && m.len == 4 && memcmp(m.data, "b1b2", 4) == 0);
	f = fr(CL_STREAM, 1, 2, 0, "t2", 2);
	REQUIRE(cl_reasm_push(&r, &f, &m) == 1);
	CHECK(m.type == CL_STREAM && m.stream == 2 && m.len == 4 && memcmp(m.data, "t1t2", 4) == 0);
	f = fr(CL_REQUEST, 1, 0, 0, "a2", 2);
	REQUIRE(cl_reasm_push(&r, &f, &m) == 1);
	CHECK(m.type == CL_REQUEST && m.id == 1 && m.len == 4 && memcmp(m.data, "a1a2", 4) == 0);
	f = fr(CL_STREAM, 1, 1, 0, "s2", 2);
	REQUIRE(cl_reasm_push(&r, &f, &m) == 1);
	CHECK(m.type == CL_STREAM && m.stream == 1 && m.len == 4 && memcmp(m.data, "s1s2", 4) == 0);
	CHECK_EQ(cl_reasm_active(&r), 0);
	cl_reasm_free(&r);
}

static void test_reasm_cap_exactly_16mib_is_fine(void)
{
	struct cl_reasm r = { 0 };
	struct cl_message m;
	uint8_t *chunk = malloc(CL_MAX_FRAME_PAYLOAD);
	size_t frames = CL_MAX_MESSAGE / CL_MAX_FRAME_PAYLOAD;
	int ret = 0;

	for (size_t i = 0; i < CL_MAX_FRAME_PAYLOAD; i++)
		chunk[i] = (uint8_t)i;
	for (size_t i = 0; i < frames; i++) {
		struct cl_frame f = fr(CL_REQUEST, 5, 0, i + 1 < frames, chunk, CL_MAX_FRAME_PAYLOAD);

		ret = cl_reasm_push(&r, &f, &m);
		if (i + 1 < frames)
			CHECK_EQ(ret, 0);
	}
	REQUIRE(ret == 1);
	CHECK_EQ(m.len, CL_MAX_MESSAGE);
	CHECK(memcmp(m.data + CL_MAX_MESSAGE - CL_MAX_FRAME_PAYLOAD, chunk, CL_MAX_FRAME_PAYLOAD) == 0);
	cl_reasm_free(&r);
	free(chunk);
}

static void test_reasm_over_cap_dropped_once_then_discarded(void)
{
	struct cl_reasm r = { 0 };
	struct cl_message m;
	uint8_t *chunk = calloc(1, CL_MAX_FRAME_PAYLOAD);
	size_t frames = CL_MAX_MESSAGE / CL_MAX_FRAME_PAYLOAD;
	struct cl_frame f;

	for (size_t i = 0; i < frames; i++) {
		f = fr(CL_REQUEST, 5, 0, 1, chunk, CL_MAX_FRAME_PAYLOAD);
		CHECK_EQ(cl_reasm_push(&r, &f, &m), 0);
	}
	f = fr(CL_REQUEST, 5, 0, 1, chunk, 1); /* one byte over */
	CHECK_EQ(cl_reasm_push(&r, &f, &m), -EMSGSIZE);
	f = fr(CL_REQUEST, 5, 0, 1, chunk, 100);
	CHECK_EQ(cl_reasm_push(&r, &f, &m), 0); /* discarded, not reported again */
	f = fr(CL_PING, 6, 0, 0, "x", 1); /* others unaffected */
	CHECK_EQ(cl_reasm_push(&r, &f, &m), 1);
	f = fr(CL_REQUEST, 5, 0, 0, chunk, 10); /* the last frame of the dropped one */
	CHECK_EQ(cl_reasm_push(&r, &f, &m), 0);
	CHECK_EQ(cl_reasm_active(&r), 0);
	/* The same id starts afresh afterwards. */
	f = fr(CL_REQUEST, 5, 0, 1, "ne", 2);
	CHECK_EQ(cl_reasm_push(&r, &f, &m), 0);
	f = fr(CL_REQUEST, 5, 0, 0, "w", 1);
	REQUIRE(cl_reasm_push(&r, &f, &m) == 1);
	CHECK(m.len == 3 && memcmp(m.data, "new", 3) == 0);
	cl_reasm_free(&r);
	free(chunk);
}

static void test_reasm_slots_exhausted(void)
{
	struct cl_reasm r = { 0 };
	struct cl_message m;
	struct cl_frame f;

	for (uint32_t id = 0; id < CL_REASM_SLOTS; id++) {
		f = fr(CL_REQUEST, id, 0, 1, "x", 1);
		CHECK_EQ(cl_reasm_push(&r, &f, &m), 0);
	}
	f = fr(CL_REQUEST, 1000, 0, 1, "x", 1);
	CHECK_EQ(cl_reasm_push(&r, &f, &m), -ENOSPC);
	f = fr(CL_PING, 1001, 0, 0, "x", 1); /* whole messages still pass */
	CHECK_EQ(cl_reasm_push(&r, &f, &m), 1);
	f = fr(CL_REQUEST, 0, 0, 0, "y", 1);
	REQUIRE(cl_reasm_push(&r, &f, &m) == 1);
	CHECK(m.len == 2 && memcmp(m.data, "xy", 2) == 0);
	cl_reasm_free(&r); /* frees the 63 partial messages left */
}

void suite_reasm(void)
{
	RUN(test_reasm_single_frame_passes_through);
	RUN(test_reasm_more_frames_join);
	RUN(test_reasm_interleaved_ids_types_streams);
	RUN(test_reasm_cap_exactly_16mib_is_fine);
	RUN(test_reasm_over_cap_dropped_once_then_discarded);
	RUN(test_reasm_slots_exhausted);
}
