#include <errno.h>
#include <string.h>

#include "attrs.h"
#include "frame.h"
#include "t.h"

static void test_attrs_round_trip(void)
{
	static const uint8_t bin[] = { 0, 1, 2, 0, 255 };
	struct cl_attrbuf b = { 0 };
	struct cl_attrs a;
	struct cl_attr at;
	size_t pos = 0;

	REQUIRE(cl_attrbuf_add_str(&b, "op", "echo") == 0);
	REQUIRE(cl_attrbuf_add(&b, "data", bin, sizeof bin) == 0);
	REQUIRE(cl_attrbuf_add(&b, "empty", NULL, 0) == 0);
	REQUIRE(cl_attrbuf_add_u64(&b, "n", 18446744073709551615ull) == 0);
	CHECK_EQ(b.len, (1 + 2 + 4 + 4) + (1 + 4 + 4 + 5) + (1 + 5 + 4) + (1 + 1 + 4 + 20));
	/* The wire layout: klen, key, vlen LE, value. */
	CHECK(b.len > 11 && b.data[0] == 2 && memcmp(b.data + 1, "op", 2) == 0 &&
	      cl_get_u32(b.data + 3) == 4 && memcmp(b.data + 7, "echo", 4) == 0);

	REQUIRE(cl_attrs_parse(&a, b.data, b.len) == 0);
	REQUIRE(cl_attrs_next(&a, &pos, &at) == 1);
	CHECK(cl_attr_is(&at, "op") && at.vlen == 4 && memcmp(at.val, "echo", 4) == 0);
	REQUIRE(cl_attrs_next(&a, &pos, &at) == 1);
	CHECK(cl_attr_is(&at, "data") && at.vlen == sizeof bin && memcmp(at.val, bin, sizeof bin) == 0);
	REQUIRE(cl_attrs_next(&a, &pos, &at) == 1);
	CHECK(cl_attr_is(&at, "empty") && at.vlen == 0);
	REQUIRE(cl_attrs_next(&a, &pos, &at) == 1);
	CHECK(cl_attr_is(&at, "n") && at.vlen == 20 && memcmp(at.val, "18446744073709551615", 20) == 0);
	CHECK_EQ(cl_attrs_next(&a, &pos, &at), 0);

	CHECK(cl_attrs_get(&a, "data", &at) && at.vlen == sizeof bin);
	CHECK(!cl_attrs_get(&a, "missing", &at));
	CHECK(!cl_attrs_get(&a, "dat", &at)); /* prefixes do not match */
	cl_attrbuf_free(&b);
}

static void test_attrs_empty_payload_is_valid(void)
{
	struct cl_attrs a;
	struct cl_attr at;
	size_t pos = 0;

	REQUIRE(cl_attrs_parse(&a, NULL, 0) == 0);
	CHECK_EQ(cl_attrs_next(&a, &pos, &at), 0);
	CHECK(!cl_attrs_get(&a, "op", &at));
}

static void test_attrs_repeated_keys(void)
{
	struct cl_attrbuf b = { 0 };
	struct cl_attrs a;
	struct cl_attr at;
	static const char *const argv[] = { "sh", "-c", "echo hi" };
	size_t pos = 0, i = 0;

	REQUIRE(cl_attrbuf_add_str(&b, "op", "run") == 0);
	for (size_t k = 0; k < 3; k++)
		REQUIRE(cl_attrbuf_add_str(&b, "arg", argv[k]) == 0);
	REQUIRE(cl_attrs_parse(&a, b.data, b.len) == 0);
	CHECK_EQ(cl_attrs_count(&a, "arg"), 3);
	CHECK_EQ(cl_attrs_count(&a, "op"), 1);
	CHECK(cl_attrs_get(&a, "arg", &at) && at.vlen == 2 && memcmp(at.val, "sh", 2) == 0); /* first */
	while (cl_attrs_next(&a, &pos, &at) == 1)
		if (cl_attr_is(&at, "arg")) {
			REQUIRE(i < 3);
			CHECK(at.vlen == strlen(argv[i]) && memcmp(at.val, argv[i], at.vlen) == 0); /* in order */
			i++;
		}
	CHECK_EQ(i, 3);
	cl_attrbuf_free(&b);
}

static void test_attrs_truncated_field_rejected(void)
{
	struct cl_attrbuf b = { 0 };
	struct cl_attrs a;
	size_t boundary[3];

	REQUIRE(cl_attrbuf_add_str(&b, "op", "echo") == 0);
	boundary[0] = b.len;
	REQUIRE(cl_attrbuf_add_str(&b, "data", "0123456789") == 0);
	boundary[1] = b.len;
	REQUIRE(cl_attrbuf_add_str(&b, "k", "") == 0);
	boundary[2] = b.len;
	/* Every cut that is not at a field boundary leaves a field running past
	 * the end: the whole payload is invalid. */
	for (size_t n = 1; n < b.len; n++) {
		int at_boundary = n == boundary[0] || n == boundary[1];

		CHECK_EQ(cl_attrs_parse(&a, b.data, n), at_boundary ? 0 : -EBADMSG);
	}
	CHECK_EQ(cl_attrs_parse(&a, b.data, boundary[2]), 0);
	/* vlen claiming more than there is */
	cl_put_u32(b.data + 1 + 2, 1000);
	CHECK_EQ(cl_attrs_parse(&a, b.data, b.len), -EBADMSG);
	cl_put_u32(b.data + 1 + 2, 0xFFFFFFFFu);
	CHECK_EQ(cl_attrs_parse(&a, b.data, b.len), -EBADMSG);
	/* an empty key */
	CHECK_EQ(cl_attrs_parse(&a, "\0\0\0\0\0", 5), -EBADMSG);
	cl_attrbuf_free(&b);
}

static void test_attrs_builder_rejects_bad_keys(void)
{
	struct cl_attrbuf b = { 0 };
	char key[257];

	memset(key, 'k', 256);
	key[256] = '\0';
	CHECK_EQ(cl_attrbuf_add_str(&b, "", "v"), -EINVAL);
	CHECK_EQ(cl_attrbuf_add_str(&b, key, "v"), -EINVAL);
	key[255] = '\0';
	CHECK_EQ(cl_attrbuf_add_str(&b, key, "v"), 0);
	CHECK_EQ(b.len, 1 + 255 + 4 + 1);
	cl_attrbuf_free(&b);
}

void suite_attrs(void)
{
	RUN(test_attrs_round_trip);
	RUN(test_attrs_empty_payload_is_valid);
	RUN(test_attrs_repeated_keys);
	RUN(test_attrs_truncated_field_rejected);
	RUN(test_attrs_builder_rejects_bad_keys);
}
