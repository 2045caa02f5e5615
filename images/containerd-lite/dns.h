/* The embedded DNS server's answers (Docker's 127.0.0.11): one query in, one
 * reply out, names looked up through a callback. Pure, so the parser runs
 * natively under ASan/UBSan and libFuzzer (fuzz/fuzz_dns.c). Only what a
 * container's resolver asks is answered: A records of the names the callback
 * knows (NOERROR and no answer for another type of a known name, so that
 * an AAAA query beside the A one does not fail the lookup), NXDOMAIN for the
 * rest (which network.c then asks of the host, when the VM has its uplink). */
#ifndef CL_DNS_H
#define CL_DNS_H

#include <stddef.h>
#include <stdint.h>

#define CL_DNS_MAX_ADDRS 8
#define CL_DNS_TTL 600 /* Docker's for container names */

/* Fills ips (network byte order, at most CL_DNS_MAX_ADDRS) for name (lower
 * case, no trailing dot); returns how many, 0 when the name is unknown. */
typedef size_t (*cl_dns_lookup_fn)(void *ctx, const char *name, uint32_t *ips);

/* The reply to query q in out (size at least 512); returns its length, or 0
 * when q deserves no reply (shorter than a header, or itself a response). */
size_t cl_dns_answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t size, cl_dns_lookup_fn lookup, void *ctx);

#endif
