#include <string.h>

#include "sha256.h"
#include "t.h"

static void hex_of(const void *p, size_t n, char out[65])
{
	struct cl_sha256 c;
	uint8_t d[CL_SHA256_LEN];

	cl_sha256_init(&c);
	cl_sha256_update(&c, p, n);
	cl_sha256_final(&c, d);
	cl_sha256_hex(d, out);
}

static void test_sha256_fips_vectors(void)
{
	static const char v448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char v896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
				   "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char hex[65];

	hex_of("", 0, hex);
	CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
	hex_of("abc", 3, hex);
	CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
	hex_of(v448, strlen(v448), hex);
	CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
	hex_of(v896, strlen(v896), hex);
	CHECK(strcmp(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1") == 0);
}

static void test_sha256_million_a_odd_chunks(void)
{
	static const size_t chunks[] = { 1, 3, 7, 63, 64, 65, 127, 1000, 4093 };
	uint8_t a[4096], d[CL_SHA256_LEN];
	struct cl_sha256 c;
	size_t left = 1000000;
	char hex[65];

	memset(a, 'a', sizeof a);
	cl_sha256_init(&c);
	for (size_t i = 0; left; i++) {
		size_t n = chunks[i % (sizeof chunks / sizeof chunks[0])];

		if (n > left)
			n = left;
		cl_sha256_update(&c, a, n);
		left -= n;
	}
	cl_sha256_final(&c, d);
	cl_sha256_hex(d, hex);
	CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
}

/* Lengths around the padding boundary (55/56 bytes fit one final block or
 * not), checked against sha256sum. */
static void test_sha256_padding_boundaries(void)
{
	static const struct {
		size_t n;
		const char *hex;
	} v[] = {
		{ 55, "eb2c86e932179f4ba13fe8715a26124b77d6bad290b9b4c1cc140cf633300c19" },
		{ 56, "a5fc6e203a4c2b657d0d153885932414b2ffc6a93f0f8bf8b3183315e5a7212c" },
		{ 63, "94e419fabac7f930810f9636354042f8c1426d2f834d4ab65c93dc1e69326b13" },
		{ 64, "a0fab1377f49a759b57f63318262ebe89fabfc990e8e93ceac2984561482b9d4" },
		{ 65, "74b128f30cf83de43ddf4aafc40c7b50a7443d3c73a89a7cfca17e15e43d51ab" },
		{ 119, "68297a9eb141ce16bbc0847da1c0c48e2858704feaa13993bde29f87a198a6e1" },
		{ 120, "392add47fbaa8197a874ebe770a947a26dd6f2becce5f64688cc4d18c9da93bd" },
	};
	uint8_t b[120], d[CL_SHA256_LEN];
	struct cl_sha256 c;
	char hex[65], hex2[65];

	memset(b, 'b', sizeof b);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		hex_of(b, v[i].n, hex);
		CHECK(strcmp(hex, v[i].hex) == 0);
		/* Byte at a time must agree with one shot. */
		cl_sha256_init(&c);
		for (size_t k = 0; k < v[i].n; k++)
			cl_sha256_update(&c, b + k, 1);
		cl_sha256_final(&c, d);
		cl_sha256_hex(d, hex2);
		CHECK(strcmp(hex2, v[i].hex) == 0);
	}
}

static void test_digest_valid(void)
{
	static const char good[] = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	char s[sizeof good + 1];

	CHECK(cl_digest_valid(good));
	CHECK(!cl_digest_valid(NULL));
	CHECK(!cl_digest_valid(""));
	CHECK(!cl_digest_valid("sha256:"));
	CHECK(!cl_digest_valid(good + 7));                     /* no algorithm */
	CHECK(!cl_digest_valid("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	CHECK(!cl_digest_valid("SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	CHECK(!cl_digest_valid("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	CHECK(!cl_digest_valid("sha256:../../../../../../../../../../../../../../../../../../etc/passwd"));
	CHECK(!cl_digest_valid("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")); /* 63 */
	memcpy(s, good, sizeof good);
	s[sizeof good - 1] = '5'; /* 65 digits */
	s[sizeof good] = '\0';
	CHECK(!cl_digest_valid(s));
	memcpy(s, good, sizeof good);
	s[20] = 'g';
	CHECK(!cl_digest_valid(s));
	s[20] = '/';
	CHECK(!cl_digest_valid(s));
	memcpy(s, good, sizeof good);
	s[sizeof good - 2] = '\n';
	CHECK(!cl_digest_valid(s));
}

void suite_sha256(void)
{
	RUN(test_sha256_fips_vectors);
	RUN(test_sha256_million_a_odd_chunks);
	RUN(test_sha256_padding_boundaries);
	RUN(test_digest_valid);
}
