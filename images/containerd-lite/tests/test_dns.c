/* The embedded DNS server's answers (dns.c): real queries as a resolver
 * sends them, and malformed ones. */
#include <arpa/inet.h>
#include <string.h>

#include "../dns.h"
#include "t.h"

/* Knows "web" (two addresses) and "db". */
static size_t lookup(void *ctx, const char *name, uint32_t *ips)
{
	(void)ctx;
	if (strcmp(name, "web") == 0) {
		ips[0] = htonl(0xac120002);
		ips[1] = htonl(0xac120003);
		return 2;
	}
	if (strcmp(name, "db") == 0) {
		ips[0] = htonl(0xac120004);
		return 1;
	}
	return 0;
}

/* A query for name (dotted) of type, id 0x1234, RD set. */
static size_t query(uint8_t *q, const char *name, unsigned type)
{
	size_t n = 12;
	const char *p = name;

	memset(q, 0, 12);
	q[0] = 0x12, q[1] = 0x34, q[2] = 0x01, q[5] = 1;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		q[n++] = (uint8_t)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	q[n++] = 0;
	q[n++] = (uint8_t)(type >> 8), q[n++] = (uint8_t)type;
	q[n++] = 0, q[n++] = 1;
	return n;
}

static void test_dns_a_record(void)
{
	uint8_t q[300], r[512];
	size_t qn = query(q, "WEB", 1), n = cl_dns_answer(q, qn, r, sizeof r, lookup, NULL);

	REQUIRE(n == qn + 2 * 16);
	CHECK(r[0] == 0x12 && r[1] == 0x34);
	CHECK(r[2] & 0x80);            /* a response */
	CHECK(r[2] & 0x01);            /* RD kept */
	CHECK_EQ(r[3] & 0x0f, 0);      /* NOERROR */
	CHECK_EQ(r[7], 2);             /* two answers */
	CHECK(memcmp(r + 12, q + 12, qn - 12) == 0);
	CHECK(r[qn] == 0xc0 && r[qn + 1] == 12);
	CHECK(r[qn + 11] == 4);
	CHECK(r[qn + 12] == 172 && r[qn + 13] == 18 && r[qn + 15] == 2);
}

static void test_dns_unknown_is_nxdomain(void)
{
	uint8_t q[300], r[512];
	size_t qn = query(q, "nosuch.example", 1), n = cl_dns_answer(q, qn, r, sizeof r, lookup, NULL);

	REQUIRE(n == qn);
	CHECK_EQ(r[3] & 0x0f, 3);
	CHECK_EQ(r[7], 0);
}

static void test_dns_other_type_of_known_name(void)
{
	uint8_t q[300], r[512];
	size_t qn = query(q, "db", 28), n = cl_dns_answer(q, qn, r, sizeof r, lookup, NULL);

	REQUIRE(n == qn); /* AAAA: NOERROR, nothing */
	CHECK_EQ(r[3] & 0x0f, 0);
	CHECK_EQ(r[7], 0);
}

static void test_dns_malformed(void)
{
	uint8_t q[300], r[512];
	size_t qn = query(q, "web", 1);

	CHECK_EQ(cl_dns_answer(q, 11, r, sizeof r, lookup, NULL), 0); /* short */
	q[2] |= 0x80;
	CHECK_EQ(cl_dns_answer(q, qn, r, sizeof r, lookup, NULL), 0); /* a response */
	q[2] &= 0x7f;
	CHECK_EQ(cl_dns_answer(q, qn - 3, r, sizeof r, lookup, NULL), 12); /* type cut */
	CHECK_EQ(r[3] & 0x0f, 1);
	q[12] = 0xc0; /* a pointer in the question */
	CHECK_EQ(cl_dns_answer(q, qn, r, sizeof r, lookup, NULL), 12);
	CHECK_EQ(r[3] & 0x0f, 1);
	qn = query(q, "web", 1);
	q[2] = 0x10; /* opcode 2 */
	CHECK_EQ(cl_dns_answer(q, qn, r, sizeof r, lookup, NULL), 12);
	CHECK_EQ(r[3] & 0x0f, 4);
}

void suite_dns(void)
{
	RUN(test_dns_a_record);
	RUN(test_dns_unknown_is_nxdomain);
	RUN(test_dns_other_type_of_known_name);
	RUN(test_dns_malformed);
}
