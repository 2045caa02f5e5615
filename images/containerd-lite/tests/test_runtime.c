/* The pure parts of the runtime: user resolution, the log ring, name
 * escaping, argv/env attrs. */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "attrs.h"
#include "logs.h"
#include "t.h"
#include "users.h"

void suite_runtime(void);

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# comment\n"
			     "broken line\n"
			     "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
			     "bob:x:1001:100::/home/bob:/bin/sh\n";
static const char group[] = "root:x:0:\n"
			    "users:x:100:\n"
			    "staff:x:50:alice,bob\n"
			    "wheel:x:10:bob\n";

static void test_user_root_default(void)
{
	struct cl_user u;
	struct cl_error e;

	REQUIRE(cl_user_resolve("", passwd, group, &u, &e) == 0);
	CHECK_EQ(u.uid, 0);
	CHECK_EQ(u.gid, 0);
	CHECK(strcmp(u.home, "/root") == 0);
	REQUIRE(cl_user_resolve("", NULL, NULL, &u, &e) == 0);
	CHECK_EQ(u.uid, 0);
	CHECK(strcmp(u.home, "/") == 0);
}

static void test_user_name_and_groups(void)
{
	struct cl_user u;
	struct cl_error e;

	REQUIRE(cl_user_resolve("bob", passwd, group, &u, &e) == 0);
	CHECK_EQ(u.uid, 1001);
	CHECK_EQ(u.gid, 100);
	CHECK(strcmp(u.home, "/home/bob") == 0);
	REQUIRE(u.ngroups == 2);
	CHECK_EQ(u.groups[0], 50);
	CHECK_EQ(u.groups[1], 10);
	REQUIRE(cl_user_resolve("alice:wheel", passwd, group, &u, &e) == 0);
	CHECK_EQ(u.uid, 1000);
	CHECK_EQ(u.gid, 10);
	REQUIRE(cl_user_resolve("alice:7", passwd, group, &u, &e) == 0);
	CHECK_EQ(u.gid, 7);
}

static void test_user_numeric(void)
{
	struct cl_user u;
	struct cl_error e;

	/* Numeric ids need no passwd entry... */
	REQUIRE(cl_user_resolve("4242", passwd, group, &u, &e) == 0);
	CHECK_EQ(u.uid, 4242);
	CHECK_EQ(u.gid, 0);
	REQUIRE(cl_user_resolve("4242:77", NULL, NULL, &u, &e) == 0);
	CHECK_EQ(u.gid, 77);
	/* ...but pick up the entry's group and home when there is one. */
	REQUIRE(cl_user_resolve("1000", passwd, group, &u, &e) == 0);
	CHECK_EQ(u.gid, 1000);
	CHECK(strcmp(u.home, "/home/alice") == 0);
}

static void test_user_unknown(void)
{
	struct cl_user u;
	struct cl_error e;

	CHECK(cl_user_resolve("carol", passwd, group, &u, &e) < 0);
	CHECK(strcmp(e.msg, "unable to find user carol: no matching entries in passwd file") == 0);
	CHECK(cl_user_resolve("carol", NULL, NULL, &u, &e) < 0);
	CHECK(cl_user_resolve("alice:nogroup", passwd, group, &u, &e) < 0);
	CHECK(strcmp(e.msg, "unable to find group nogroup: no matching entries in group file") == 0);
}

static void collect(const struct cl_logring *r, size_t pos, size_t skip, char *out1, char *out2)
{
	uint8_t s;
	const uint8_t *d;
	size_t n;

	*out1 = *out2 = '\0';
	while (cl_logring_next(r, &pos, &s, &d, &n) == 1) {
		strncat(s == 2 ? out2 : out1, (const char *)d + skip, n - skip);
		skip = 0;
	}
}

static void test_logring_streams_and_tail(void)
{
	struct cl_logring r = { 0 };
	char o[256], e[256];
	size_t pos, skip;

	CHECK(cl_logring_append(&r, 1, "a\nb\n", 4) == 0);
	CHECK(cl_logring_append(&r, 2, "err\n", 4) == 0);
	CHECK(cl_logring_append(&r, 1, "c\nd", 3) == 0);
	cl_logring_tail(&r, UINT64_MAX, &pos, &skip);
	collect(&r, pos, skip, o, e);
	CHECK(strcmp(o, "a\nb\nc\nd") == 0);
	CHECK(strcmp(e, "err\n") == 0);
	cl_logring_tail(&r, 2, &pos, &skip);
	collect(&r, pos, skip, o, e);
	CHECK(strcmp(o, "c\nd") == 0);
	CHECK(strcmp(e, "") == 0);
	cl_logring_tail(&r, 3, &pos, &skip);
	collect(&r, pos, skip, o, e);
	CHECK(strcmp(o, "c\nd") == 0);
	CHECK(strcmp(e, "err\n") == 0);
	cl_logring_tail(&r, 4, &pos, &skip);
	collect(&r, pos, skip, o, e);
	CHECK(strcmp(o, "b\nc\nd") == 0);
	cl_logring_tail(&r, 0, &pos, &skip);
	collect(&r, pos, skip, o, e);
	CHECK(strcmp(o, "") == 0 && strcmp(e, "") == 0);
	cl_logring_free(&r);
}

static void test_logring_bounded(void)
{
	struct cl_logring r = { .max = 100 };
	char chunk[30], o[256], e[256];
	size_t pos = 0, skip = 0;

	for (int i = 0; i < 50; i++) {
		memset(chunk, 'a' + i % 26, sizeof chunk);
		CHECK(cl_logring_append(&r, 1, chunk, sizeof chunk) == 0);
		CHECK(r.end - r.start <= 100);
	}
	collect(&r, pos, skip, o, e);
	/* Two 35-byte records fit in 100 (three would be 105): the last two. */
	CHECK_EQ(strlen(o), 60);
	CHECK(o[0] == 'a' + 48 % 26 && o[59] == 'a' + 49 % 26);
	/* A chunk over the bound keeps its tail. */
	{
		char big[300];

		memset(big, 'x', sizeof big);
		big[299] = 'Z';
		CHECK(cl_logring_append(&r, 2, big, sizeof big) == 0);
		collect(&r, 0, 0, o, e);
		CHECK_EQ(strlen(e), 95);
		CHECK(e[94] == 'Z');
		CHECK(strcmp(o, "") == 0);
	}
	cl_logring_free(&r);
}

static void test_logring_cap_stays_near_bound(void)
{
	struct cl_logring r = { .max = 1000 };
	char chunk[40];

	memset(chunk, 'q', sizeof chunk);
	for (int i = 0; i < 500; i++) {
		CHECK(cl_logring_append(&r, 1, chunk, sizeof chunk) == 0);
		CHECK(r.cap <= 1500);
	}
	cl_logring_free(&r);
}

static void test_log_share(void)
{
	CHECK_EQ(cl_log_share(0), CL_LOG_MAX);
	CHECK_EQ(cl_log_share(1), CL_LOG_MAX);
	CHECK_EQ(cl_log_share(8), CL_LOG_MAX);
	CHECK_EQ(cl_log_share(16), CL_LOG_BUDGET / 16);
	CHECK_EQ(cl_log_share(100000), CL_LOG_MIN);
	/* n logs at their share stay within the budget (above the floor) */
	for (size_t n = 1; n <= CL_LOG_BUDGET / CL_LOG_MIN; n *= 3)
		CHECK(n * cl_log_share(n) <= CL_LOG_BUDGET);
}

static void test_logring_bound_lowers_and_gives_back(void)
{
	struct cl_logring r = { 0 };
	char chunk[100], o[4096], e[4096];

	for (int i = 0; i < 100; i++) {
		memset(chunk, 'a' + i % 26, sizeof chunk);
		CHECK(cl_logring_append(&r, 1, chunk, sizeof chunk) == 0);
	}
	CHECK(r.cap >= 100 * 105);
	cl_logring_bound(&r, 1000);
	/* the newest nine 105-byte records fit in 1000; memory back to 1.5x */
	CHECK(r.end - r.start <= 1000);
	CHECK(r.cap <= 1500);
	CHECK_EQ(r.start, 0);
	collect(&r, 0, 0, o, e);
	CHECK_EQ(strlen(o), 900);
	CHECK(o[899] == 'a' + 99 % 26 && o[0] == 'a' + 91 % 26);
	/* appends keep to the new bound; raising it keeps what is there */
	CHECK(cl_logring_append(&r, 2, "late\n", 5) == 0);
	CHECK(r.end - r.start <= 1000);
	cl_logring_bound(&r, 1 << 20);
	collect(&r, 0, 0, o, e);
	CHECK(strcmp(e, "late\n") == 0);
	/* an empty ring: nothing to give back */
	{
		struct cl_logring z = { 0 };

		cl_logring_bound(&z, 10);
		CHECK(z.buf == NULL && z.max == 10);
	}
	cl_logring_free(&r);
}

static void test_name_escape(void)
{
	char esc[256], back[256];
	const char *names[] = { "docker.io/library/busybox:latest", "a@sha256:00ff", ".hidden", "..", "%41" };

	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		REQUIRE(cl_name_escape(names[i], esc, sizeof esc) == 0);
		CHECK(!strchr(esc, '/') && !strchr(esc, ':'));
		CHECK(esc[0] != '.');
		REQUIRE(cl_name_unescape(esc, back, sizeof back) == 0);
		CHECK(strcmp(back, names[i]) == 0);
	}
	CHECK(cl_name_escape("docker.io/x:1", esc, sizeof esc) == 0 && strcmp(esc, "docker.io%2Fx%3A1") == 0);
	CHECK(cl_name_escape("abcdef", esc, 4) < 0);
	CHECK(cl_name_unescape("%zz", back, sizeof back) < 0);
	CHECK(cl_name_unescape("%00", back, sizeof back) < 0);
}

static void test_names_and_ids(void)
{
	CHECK(cl_name_valid("web-1.a_b"));
	CHECK(!cl_name_valid("-x"));
	CHECK(!cl_name_valid("a/b"));
	CHECK(!cl_name_valid(""));
	CHECK(cl_id_valid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	CHECK(!cl_id_valid("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	CHECK(!cl_id_valid("abc"));
}

static void test_args_strv(void)
{
	struct cl_attrbuf b = { 0 };
	struct cl_attrs a;
	struct cl_error e;
	char **v;
	size_t n;
	char s[8];
	uint64_t u;

	cl_attrbuf_add_str(&b, "op", "x");
	cl_attrbuf_add_str(&b, "arg", "sh");
	cl_attrbuf_add_str(&b, "env", "A=1");
	cl_attrbuf_add_str(&b, "arg", "-c");
	cl_attrbuf_add(&b, "arg", "", 0);
	cl_attrbuf_add_str(&b, "num", "12x");
	cl_attrbuf_add(&b, "nul", "a\0b", 3);
	REQUIRE(cl_attrs_parse(&a, b.data, b.len) == 0);
	REQUIRE(cl_arg_strv(&a, "t", "arg", &v, &n, &e) == 0);
	CHECK_EQ(n, 3);
	CHECK(strcmp(v[0], "sh") == 0 && strcmp(v[1], "-c") == 0 && strcmp(v[2], "") == 0 && !v[3]);
	free(v);
	REQUIRE(cl_arg_strv(&a, "t", "none", &v, &n, &e) == 0);
	CHECK(n == 0 && !v[0]);
	free(v);
	CHECK(cl_arg_strv(&a, "t", "nul", &v, &n, &e) < 0);
	CHECK(cl_arg_str(&a, "t", "nul", NULL, s, sizeof s, &e) < 0);
	CHECK(cl_arg_str(&a, "t", "missing", NULL, s, sizeof s, &e) < 0);
	CHECK(cl_arg_str(&a, "t", "missing", "d", s, sizeof s, &e) == 0 && strcmp(s, "d") == 0);
	CHECK(cl_arg_u64(&a, "t", "num", 0, &u, &e) < 0);
	CHECK(cl_arg_u64(&a, "t", "missing", 9, &u, &e) == 0 && u == 9);
	cl_attrbuf_free(&b);
}

void suite_runtime(void)
{
	RUN(test_user_root_default);
	RUN(test_user_name_and_groups);
	RUN(test_user_numeric);
	RUN(test_user_unknown);
	RUN(test_logring_streams_and_tail);
	RUN(test_logring_bounded);
	RUN(test_logring_cap_stays_near_bound);
	RUN(test_log_share);
	RUN(test_logring_bound_lowers_and_gives_back);
	RUN(test_name_escape);
	RUN(test_names_and_ids);
	RUN(test_args_strv);
}
