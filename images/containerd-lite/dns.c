#include "dns.h"

#include <string.h>

enum { HDR = 12, T_A = 1, T_ANY = 255, C_IN = 1 };
enum { RC_OK = 0, RC_FORMERR = 1, RC_NXDOMAIN = 3, RC_NOTIMP = 4 };

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* A header-only reply with rcode (the question left out). */
static size_t bare(const uint8_t *q, uint8_t *out, unsigned rcode)
{
	memset(out, 0, HDR);
	out[0] = q[0], out[1] = q[1];
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, the opcode and RD kept */
	out[3] = (uint8_t)(0x80 | rcode);         /* RA */
	return HDR;
}

/* The question's name at q[HDR..]: dotted and lower-cased into name; returns
 * the offset just past it, 0 if malformed (a compression pointer, a label
 * past the end, a name over 253 characters). */
static size_t read_name(const uint8_t *q, size_t qlen, char *name, size_t size)
{
	size_t off = HDR, n = 0;

	for (;;) {
		unsigned len;

		if (off >= qlen)
			return 0;
		len = q[off++];
		if (len == 0)
			break;
		if (len > 63 || off + len > qlen || n + len + 1 >= size)
			return 0;
		if (n)
			name[n++] = '.';
		for (unsigned i = 0; i < len; i++) {
			uint8_t c = q[off + i];

			name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c == 0 ? '?' : c);
		}
		off += len;
	}
	name[n] = '\0';
	return off;
}

size_t cl_dns_answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t size, cl_dns_lookup_fn lookup, void *ctx)
{
	char name[256];
	uint32_t ips[CL_DNS_MAX_ADDRS];
	size_t end, n, len;
	unsigned type, klass;

	if (qlen < HDR || size < 512 || (q[2] & 0x80))
		return 0;
	if (((q[2] >> 3) & 0xf) != 0)
		return bare(q, out, RC_NOTIMP);
	if (get16(q + 4) != 1)
		return bare(q, out, RC_FORMERR);
	end = read_name(q, qlen, name, 254);
	if (!end || end + 4 > qlen)
		return bare(q, out, RC_FORMERR);
	type = get16(q + end);
	klass = get16(q + end + 2);
	end += 4;
	/* Header and question copied, the counts set below. */
	if (end > size)
		return bare(q, out, RC_FORMERR);
	memcpy(out, q, end);
	bare(q, out, RC_OK);
	put16(out + 4, 1);
	n = klass == C_IN && name[0] ? lookup(ctx, name, ips) : 0;
	if (n > CL_DNS_MAX_ADDRS)
		n = CL_DNS_MAX_ADDRS;
	if (n == 0) {
		out[3] |= RC_NXDOMAIN;
		return end;
	}
	out[2] |= 0x04; /* AA: the names are the daemon's own */
	len = end;
	if (type != T_A && type != T_ANY)
		return len; /* a known name, no record of that type */
	for (size_t i = 0; i < n && len + 16 <= size; i++) {
		uint8_t *a = out + len;

		put16(a, 0xc000 | HDR); /* the question's name */
		put16(a + 2, T_A);
		put16(a + 4, C_IN);
		put16(a + 6, 0);
		put16(a + 8, CL_DNS_TTL);
		put16(a + 10, 4);
		memcpy(a + 12, &ips[i], 4);
		len += 16;
		put16(out + 6, (unsigned)(i + 1));
	}
	return len;
}
