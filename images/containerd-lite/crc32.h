/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()). */
#ifndef CL_CRC32_H
#define CL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over n more bytes; start with crc = 0. */
uint32_t cl_crc32(uint32_t crc, const void *buf, size_t n);

#endif
