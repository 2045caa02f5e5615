/* libFuzzer target: the embedded DNS server's query parser and reply
 * builder (dns.c), fed raw datagrams as the daemon feeds them. Invariants
 * (abort on violation): a reply fits its buffer, echoes the query's id, is
 * a response, and names at most CL_DNS_MAX_ADDRS answers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

static size_t lookup(void *ctx, const char *name, uint32_t *ips)
{
	size_t n = strlen(name);

	(void)ctx;
	if (n == 0 || name[0] == 'x')
		return 0;
	for (size_t i = 0; i < n % 9 && i < CL_DNS_MAX_ADDRS; i++)
		ips[i] = (uint32_t)(i * 0x01010101u);
	return n % 9 > CL_DNS_MAX_ADDRS ? CL_DNS_MAX_ADDRS : n % 9;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[512];
	size_t n = cl_dns_answer(data, size, out, sizeof out, lookup, NULL);

	if (n > sizeof out)
		abort();
	if (n) {
		if (n < 12 || out[0] != data[0] || out[1] != data[1] || !(out[2] & 0x80))
			abort();
		if (out[6] != 0 || out[7] > CL_DNS_MAX_ADDRS)
			abort();
	}
	return 0;
}
