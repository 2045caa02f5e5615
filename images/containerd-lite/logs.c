#include "logs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t rec_len(const uint8_t *h)
{
	return (size_t)h[1] | (size_t)h[2] << 8 | (size_t)h[3] << 16 | (size_t)h[4] << 24;
}

int cl_logring_append(struct cl_logring *r, uint8_t stream, const void *p, size_t n)
{
	size_t max = r->max ? r->max : CL_LOG_MAX;
	const uint8_t *src = p;
	uint8_t *h;

	if (n == 0)
		return 0;
	if (n > max - CL_LOG_REC_HDR) {
		src += n - (max - CL_LOG_REC_HDR);
		n = max - CL_LOG_REC_HDR;
	}
	/* Drop whole records from the front until this one fits the bound. */
	while (r->end - r->start + CL_LOG_REC_HDR + n > max)
		r->start += CL_LOG_REC_HDR + rec_len(r->buf + r->start);
	if (r->start == r->end)
		r->start = r->end = 0;
	if (r->end + CL_LOG_REC_HDR + n > r->cap) {
		/* Compact first; grow only when live data needs it. */
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->end + CL_LOG_REC_HDR + n > r->cap) {
			size_t cap = r->cap ? r->cap : 4096;
			uint8_t *nb;

			while (cap < r->end + CL_LOG_REC_HDR + n)
				cap *= 2;
			/* Room for half as much again as the bound: compaction
			 * (a memmove of up to `max` bytes) then happens once per
			 * `max / 2` bytes appended, not on every append once the
			 * log is full. */
			if (cap > max + max / 2)
				cap = max + max / 2;
			nb = realloc(r->buf, cap);
			if (!nb)
				return -ENOMEM;
			r->buf = nb;
			r->cap = cap;
		}
	}
	h = r->buf + r->end;
	h[0] = stream;
	h[1] = (uint8_t)n;
	h[2] = (uint8_t)(n >> 8);
	h[3] = (uint8_t)(n >> 16);
	h[4] = (uint8_t)(n >> 24);
	memcpy(h + CL_LOG_REC_HDR, src, n);
	r->end += CL_LOG_REC_HDR + n;
	return 0;
}

size_t cl_log_share(size_t n)
{
	size_t s = n ? CL_LOG_BUDGET / n : CL_LOG_MAX;

	return s > CL_LOG_MAX ? CL_LOG_MAX : s < CL_LOG_MIN ? CL_LOG_MIN : s;
}

void cl_logring_bound(struct cl_logring *r, size_t max)
{
	size_t want = max + max / 2;
	uint8_t *nb;

	r->max = max;
	while (r->end - r->start > max)
		r->start += CL_LOG_REC_HDR + rec_len(r->buf + r->start);
	if (r->cap <= want)
		return;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	/* A failed shrink keeps the larger buffer: still correct. */
	nb = realloc(r->buf, want);
	if (nb) {
		r->buf = nb;
		r->cap = want;
	}
}

int cl_logring_next(const struct cl_logring *r, size_t *pos, uint8_t *stream, const uint8_t **data, size_t *n)
{
	size_t at = r->start + *pos;

	if (at + CL_LOG_REC_HDR > r->end)
		return 0;
	*stream = r->buf[at];
	*n = rec_len(r->buf + at);
	*data = r->buf + at + CL_LOG_REC_HDR;
	*pos += CL_LOG_REC_HDR + *n;
	return 1;
}

void cl_logring_tail(const struct cl_logring *r, uint64_t lines, size_t *pos, size_t *skip)
{
	uint64_t total = 0, drop;
	size_t p = 0, at;
	uint8_t s;
	const uint8_t *d;
	size_t n;
	int last_nl = 1;

	while (cl_logring_next(r, &p, &s, &d, &n) == 1)
		for (size_t i = 0; i < n; i++) {
			total += d[i] == '\n';
			last_nl = d[i] == '\n';
		}
	if (!last_nl)
		total++; /* an unterminated last line */
	*pos = *skip = 0;
	if (total <= lines)
		return;
	drop = total - lines;
	p = 0;
	for (;;) {
		at = p;
		if (cl_logring_next(r, &p, &s, &d, &n) != 1)
			break;
		for (size_t i = 0; i < n; i++)
			if (d[i] == '\n' && --drop == 0) {
				/* Start right after this newline. */
				if (i + 1 < n) {
					*pos = at;
					*skip = i + 1;
				} else {
					*pos = p;
					*skip = 0;
				}
				return;
			}
	}
	*pos = p;
}

void cl_logring_free(struct cl_logring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->start = r->end = r->cap = 0;
}
