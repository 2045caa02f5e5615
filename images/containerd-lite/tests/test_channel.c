/* The channel over an in-process socketpair: CREDIT, dispatch, splitting,
 * the 16 MiB cap and EOF. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attrs.h"
#include "channel.h"
#include "t.h"

struct sink {
	size_t n;
	struct {
		uint8_t type;
		uint16_t stream;
		uint32_t id;
		struct t_buf data;
	} m[16];
};

static int collect(void *ctx, struct cl_channel *ch, const struct cl_message *m, struct cl_error *err)
{
	struct sink *s = ctx;

	(void)ch;
	(void)err;
	if (s->n < 16) {
		s->m[s->n].type = m->type;
		s->m[s->n].stream = m->stream;
		s->m[s->n].id = m->id;
		memset(&s->m[s->n].data, 0, sizeof s->m[s->n].data);
		t_buf_add(&s->m[s->n].data, m->data, m->len);
	}
	s->n++;
	return 0;
}

static void sink_free(struct sink *s)
{
	for (size_t i = 0; i < s->n && i < 16; i++)
		t_buf_free(&s->m[i].data);
}

struct peer_frames {
	size_t n;
	struct cl_frame f[2048]; /* payloads are copies in copy[] */
	uint8_t *copy[2048];
	struct t_buf raw;
};

static void peer_frames_clear(struct peer_frames *pf)
{
	for (size_t i = 0; i < pf->n; i++)
		free(pf->copy[i]);
	pf->n = 0;
}

/* Decodes pf->raw into pf->f. */
static void decode_raw(struct peer_frames *pf)
{
	struct cl_decoder dec;
	size_t off = 0;

	peer_frames_clear(pf);
	if (cl_decoder_init(&dec) < 0)
		abort();
	while (off < pf->raw.len) {
		struct cl_frame f;

		off += cl_decoder_feed(&dec, pf->raw.p + off, pf->raw.len - off);
		while (cl_decoder_next(&dec, &f) == 1) {
			if (pf->n == 2048)
				abort();
			pf->copy[pf->n] = malloc(f.len + 1);
			memcpy(pf->copy[pf->n], f.payload, f.len);
			f.payload = pf->copy[pf->n];
			pf->f[pf->n++] = f;
		}
	}
	CHECK_EQ(cl_decoder_pending(&dec), 0);
	cl_decoder_free(&dec);
}

/* Everything the channel wrote since the last call, decoded. */
static void read_frames(int fd, struct peer_frames *pf)
{
	t_buf_free(&pf->raw);
	t_drain(fd, &pf->raw);
	decode_raw(pf);
}

/* Writes data at the peer end while the channel reads it, as host and guest
 * run concurrently; what the channel writes back is appended to out. */
static int pump(int peer, struct cl_channel *ch, struct sink *s, const uint8_t *p, size_t n, struct t_buf *out)
{
	uint32_t target = ch->bytes_read + (uint32_t)n;
	struct cl_error err;
	size_t off = 0;

	while (off < n || ch->bytes_read != target) {
		if (off < n) {
			ssize_t k = write(peer, p + off, n - off);

			if (k > 0)
				off += (size_t)k;
			else if (k < 0 && errno != EAGAIN && errno != EINTR)
				return -1;
		}
		if (cl_channel_on_readable(ch, collect, s, &err) < 0) {
			fprintf(stderr, "    %s\n", err.msg);
			return -1;
		}
		t_drain(peer, out);
	}
	return 0;
}

static void peer_frames_free(struct peer_frames *pf)
{
	peer_frames_clear(pf);
	t_buf_free(&pf->raw);
}

static int open_pair(int sv[2], struct cl_channel *ch)
{
	struct cl_error err;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	if (cl_channel_init(ch, sv[1], &err) < 0) {
		fprintf(stderr, "    %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void write_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n) {
		ssize_t k = write(fd, q, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			abort();
		q += k;
		n -= (size_t)k;
	}
}

static void test_channel_credit_and_dispatch(void)
{
	struct cl_channel ch;
	struct cl_error err;
	struct sink s = { 0 };
	struct peer_frames pf = { 0 };
	struct t_buf in = { 0 };
	int sv[2];

	REQUIRE(open_pair(sv, &ch) == 0);
	t_buf_add(&in, "noise", 5);
	t_buf_frame(&in, CL_PING, 0, 0, 1, "ping", 4);
	t_buf_frame(&in, CL_REQUEST, CL_FLAG_MORE, 0, 2, "ab", 2);
	t_buf_frame(&in, CL_REQUEST, CL_FLAG_MORE, 0, 2, "cd", 2);
	t_buf_add(&in, "DYK", 3); /* a partial magic split across reads */
	write_all(sv[0], in.p, in.len);
	CHECK_EQ(cl_channel_on_readable(&ch, collect, &s, &err), 0);
	CHECK_EQ(s.n, 1);
	CHECK(s.m[0].type == CL_PING && s.m[0].id == 1 && s.m[0].data.len == 4);
	read_frames(sv[0], &pf);
	REQUIRE(pf.n == 1);
	CHECK(pf.f[0].type == CL_CREDIT && pf.f[0].len == 4 && pf.f[0].id == 0);
	CHECK_EQ(cl_get_u32(pf.f[0].payload), in.len);

	/* The rest of the partial magic is garbage; then the last frame. */
	write_all(sv[0], "X", 1);
	t_buf_free(&in);
	t_buf_frame(&in, CL_REQUEST, 0, 0, 2, "ef", 2);
	write_all(sv[0], in.p, in.len);
	CHECK_EQ(cl_channel_on_readable(&ch, collect, &s, &err), 0);
	CHECK_EQ(s.n, 2);
	CHECK(s.m[1].type == CL_REQUEST && s.m[1].id == 2 && s.m[1].data.len == 6 &&
	      memcmp(s.m[1].data.p, "abcdef", 6) == 0);
	read_frames(sv[0], &pf);
	REQUIRE(pf.n == 1);
	CHECK_EQ(cl_get_u32(pf.f[0].payload), 5 + 28 + 26 + 26 + 3 + 1 + 26);
	CHECK_EQ(ch.dec.skipped, 5 + 3 + 1);

	/* Nothing read: no CREDIT. */
	CHECK_EQ(cl_channel_on_readable(&ch, collect, &s, &err), 0);
	read_frames(sv[0], &pf);
	CHECK_EQ(pf.n, 0);
	CHECK(!ch.eof);

	sink_free(&s);
	peer_frames_free(&pf);
	t_buf_free(&in);
	cl_channel_free(&ch);
	close(sv[0]);
	close(sv[1]);
}

static void test_channel_send_message_splits_with_more(void)
{
	struct cl_channel ch;
	struct cl_error err;
	struct peer_frames pf = { 0 };
	struct t_buf joined = { 0 };
	uint8_t *msg = malloc(200000);
	uint64_t seed = 5;
	int sv[2];

	t_rand(&seed, msg, 200000);
	REQUIRE(open_pair(sv, &ch) == 0);
	REQUIRE(cl_channel_send_message(&ch, CL_RESPONSE, 0, 42, msg, 200000, &err) == 0);
	REQUIRE(cl_channel_send_message(&ch, CL_RESPONSE, 0, 43, NULL, 0, &err) == 0);
	read_frames(sv[0], &pf);
	REQUIRE(pf.n == 5);
	for (size_t i = 0; i < 4; i++) {
		CHECK(pf.f[i].type == CL_RESPONSE && pf.f[i].id == 42);
		CHECK_EQ(pf.f[i].flags, i < 3 ? CL_FLAG_MORE : 0);
		CHECK_EQ(pf.f[i].len, i < 3 ? 65536 : 200000 - 3 * 65536);
		t_buf_add(&joined, pf.f[i].payload, pf.f[i].len);
	}
	CHECK(joined.len == 200000 && memcmp(joined.p, msg, 200000) == 0);
	CHECK(pf.f[4].id == 43 && pf.f[4].len == 0 && pf.f[4].flags == 0);
	CHECK(cl_channel_send_message(&ch, CL_RESPONSE, 0, 44, msg, CL_MAX_MESSAGE + 1, &err) == -EMSGSIZE);

	peer_frames_free(&pf);
	t_buf_free(&joined);
	free(msg);
	cl_channel_free(&ch);
	close(sv[0]);
	close(sv[1]);
}

static void test_channel_send_error_attrs(void)
{
	struct cl_channel ch;
	struct cl_error err, e;
	struct peer_frames pf = { 0 };
	struct cl_attrs a;
	struct cl_attr at;
	int sv[2];

	REQUIRE(open_pair(sv, &ch) == 0);
	cl_fail(&e, ENOENT, "open `%s`", "/nope");
	REQUIRE(cl_channel_send_error(&ch, 7, &e, &err) == 0);
	cl_fail_plain(&e, 0, "unknown op \"x\"");
	REQUIRE(cl_channel_send_error(&ch, 8, &e, &err) == 0);
	read_frames(sv[0], &pf);
	REQUIRE(pf.n == 2);
	CHECK(pf.f[0].type == CL_ERROR && pf.f[0].id == 7);
	REQUIRE(cl_attrs_parse(&a, pf.f[0].payload, pf.f[0].len) == 0);
	CHECK(cl_attrs_get(&a, "message", &at) && at.vlen == strlen("open `/nope`: No such file or directory") &&
	      memcmp(at.val, "open `/nope`: No such file or directory", at.vlen) == 0);
	CHECK(cl_attrs_get(&a, "errno", &at) && at.vlen == 1 && at.val[0] == '2');
	REQUIRE(cl_attrs_parse(&a, pf.f[1].payload, pf.f[1].len) == 0);
	CHECK(cl_attrs_get(&a, "message", &at) && at.vlen == 14 && memcmp(at.val, "unknown op \"x\"", 14) == 0);
	CHECK(!cl_attrs_get(&a, "errno", &at));

	peer_frames_free(&pf);
	cl_channel_free(&ch);
	close(sv[0]);
	close(sv[1]);
}

static void test_channel_oversized_message_reports_error(void)
{
	struct cl_channel ch;
	struct sink s = { 0 };
	struct peer_frames pf = { 0 };
	struct t_buf in = { 0 };
	uint8_t *chunk = calloc(1, CL_MAX_FRAME_PAYLOAD);
	size_t errors = 0, credits = 0, nframes = CL_MAX_MESSAGE / CL_MAX_FRAME_PAYLOAD + 3;
	struct cl_attrs a;
	struct cl_attr at;
	int sv[2];

	REQUIRE(open_pair(sv, &ch) == 0);
	/* 16 MiB + 2 frames: over the cap by the 257th. */
	for (size_t i = 0; i < nframes; i++) {
		int last = i + 1 == nframes;

		t_buf_free(&in);
		t_buf_frame(&in, CL_REQUEST, last ? 0 : CL_FLAG_MORE, 0, 99, chunk, CL_MAX_FRAME_PAYLOAD);
		if (last)
			t_buf_frame(&in, CL_PING, 0, 0, 100, "alive", 5);
		REQUIRE(pump(sv[0], &ch, &s, in.p, in.len, &pf.raw) == 0);
	}
	decode_raw(&pf);
	for (size_t k = 0; k < pf.n; k++) {
		if (pf.f[k].type == CL_CREDIT) {
			credits++;
			continue;
		}
		CHECK(pf.f[k].type == CL_ERROR && pf.f[k].id == 99);
		errors++;
		REQUIRE(cl_attrs_parse(&a, pf.f[k].payload, pf.f[k].len) == 0);
		CHECK(cl_attrs_get(&a, "errno", &at) && at.vlen == 2 && memcmp(at.val, "90", 2) == 0);
	}
	CHECK_EQ(errors, 1);
	CHECK(credits > 0);
	REQUIRE(s.n == 1);
	CHECK(s.m[0].type == CL_PING && s.m[0].id == 100);
	CHECK_EQ(cl_reasm_active(&ch.reasm), 0);
	CHECK_EQ(ch.bytes_read, (uint32_t)(nframes * (CL_FRAME_HEADER + CL_MAX_FRAME_PAYLOAD) + 29));

	sink_free(&s);
	peer_frames_free(&pf);
	t_buf_free(&in);
	free(chunk);
	cl_channel_free(&ch);
	close(sv[0]);
	close(sv[1]);
}

static void test_channel_eof(void)
{
	struct cl_channel ch;
	struct cl_error err;
	struct sink s = { 0 };
	struct t_buf in = { 0 };
	int sv[2];

	REQUIRE(open_pair(sv, &ch) == 0);
	t_buf_frame(&in, CL_PING, 0, 0, 1, "last", 4);
	write_all(sv[0], in.p, in.len);
	shutdown(sv[0], SHUT_WR);
	CHECK_EQ(cl_channel_on_readable(&ch, collect, &s, &err), 0);
	CHECK(ch.eof);
	CHECK_EQ(s.n, 1); /* what came before EOF is still handled */
	sink_free(&s);
	t_buf_free(&in);
	cl_channel_free(&ch);
	close(sv[0]);
	close(sv[1]);
}

void suite_channel(void)
{
	RUN(test_channel_credit_and_dispatch);
	RUN(test_channel_send_message_splits_with_more);
	RUN(test_channel_send_error_attrs);
	RUN(test_channel_oversized_message_reports_error);
	RUN(test_channel_eof);
}
