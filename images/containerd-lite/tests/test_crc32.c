#include <string.h>

#include "crc32.h"
#include "t.h"

/* Bit-at-a-time reference, to pin the sliced implementation. */
static uint32_t crc_ref(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
	}
	return ~c;
}

static void test_crc32_known_vectors(void)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";

	CHECK_EQ(cl_crc32(0, "123456789", 9), 0xCBF43926u);
	CHECK_EQ(cl_crc32(0, "", 0), 0);
	CHECK_EQ(cl_crc32(0, "a", 1), 0xE8B7BE43u);
	CHECK_EQ(cl_crc32(0, fox, strlen(fox)), 0x414FA339u);
}

static void test_crc32_incremental_and_unaligned(void)
{
	uint8_t buf[300];
	uint64_t seed = 42;

	t_rand(&seed, buf, sizeof buf);
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= sizeof buf; n += 7) {
			uint32_t whole = cl_crc32(0, buf + off, n);
			size_t cut = n / 3;

			CHECK_EQ(whole, crc_ref(buf + off, n));
			CHECK_EQ(cl_crc32(cl_crc32(0, buf + off, cut), buf + off + cut, n - cut), whole);
		}
}

void suite_crc32(void)
{
	RUN(test_crc32_known_vectors);
	RUN(test_crc32_incremental_and_unaligned);
}
