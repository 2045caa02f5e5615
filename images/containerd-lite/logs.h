/* A container's log: the last CL_LOG_MAX bytes of output, kept in memory as
 * stream-tagged records ([stream u8][len u32 LE][bytes]), oldest dropped
 * first, so `logs` can replay stdout and stderr separately. The daemon's
 * memory is not the container's (it is OOM-immune): all logs together keep
 * at most CL_LOG_BUDGET bytes, each container an equal share. Pure. */
#ifndef CL_LOGS_H
#define CL_LOGS_H

#include <stddef.h>
#include <stdint.h>

#define CL_LOG_MAX (1u << 20)
#define CL_LOG_MIN (4u << 10)
#define CL_LOG_BUDGET (8u << 20)
#define CL_LOG_REC_HDR 5

struct cl_logring {
	uint8_t *buf;
	size_t start, end, cap; /* live records are buf[start..end) */
	size_t max;             /* bound on end - start; 0 means CL_LOG_MAX */
};

/* Each of n logs' share of CL_LOG_BUDGET, within [CL_LOG_MIN, CL_LOG_MAX]. */
size_t cl_log_share(size_t n);

/* Sets r's bound: if lower, the oldest records go at once and the memory
 * beyond what the bound needs is given back. */
void cl_logring_bound(struct cl_logring *r, size_t max);

/* Appends one record; a chunk larger than the bound keeps its last bytes.
 * -ENOMEM on allocation failure (the ring is unchanged). */
int cl_logring_append(struct cl_logring *r, uint8_t stream, const void *p, size_t n);

/* Iteration from *pos = 0 (or a position from cl_logring_tail): 1 and the
 * record, 0 at the end. */
int cl_logring_next(const struct cl_logring *r, size_t *pos, uint8_t *stream, const uint8_t **data, size_t *n);

/* Where replay starts to show only the last `lines` lines (a final line
 * without '\n' counts): the record position and the bytes to skip in it. */
void cl_logring_tail(const struct cl_logring *r, uint64_t lines, size_t *pos, size_t *skip);

void cl_logring_free(struct cl_logring *r);

#endif
