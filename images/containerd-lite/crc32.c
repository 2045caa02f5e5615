#include "crc32.h"

/* Slice-by-4: the guest CPU is emulated, and every byte of the channel is
 * checksummed, so a 4x faster inner loop is worth 4 KiB of .bss. The tables
 * are built on first use rather than stored, keeping them out of the binary. */
static uint32_t table[4][256];
static int table_ready;

static void build_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 4; k++)
			table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xff];
	table_ready = 1;
}

uint32_t cl_crc32(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	if (!table_ready)
		build_table();
	crc = ~crc;
	while (n >= 4) {
		crc ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		crc = table[3][crc & 0xff] ^ table[2][(crc >> 8) & 0xff] ^
		      table[1][(crc >> 16) & 0xff] ^ table[0][crc >> 24];
		p += 4;
		n -= 4;
	}
	while (n--)
		crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
