/* Snapshots: one unpacked layer each, keyed by chain id, under
 * snapshots/<chain hex>/{fs,parent,size}. `parent` holds the parent's chain
 * id (absent for a base layer), so a container's overlay can list the chain
 * from its top key alone. */
#ifndef CL_SNAPSHOTS_H
#define CL_SNAPSHOTS_H

#include <stddef.h>

#include "ops.h"

#define CL_SNAPSHOT_MAX_DEPTH 64
/* Free bytes and inodes of the store a layer may not take (snapshot.apply
 * refuses a layer that would). */
#define CL_SNAPSHOT_RESERVE (8ull << 20)
#define CL_SNAPSHOT_RESERVE_INODES 1024ull

extern const struct cl_op cl_snapshot_ops[];

/* The overlay lowerdir option value for the chain whose top is key
 * ("sha256:<hex>"): the fs dirs, top first, ':'-separated. */
int cl_snapshot_lowerdir(const char *key, char *out, size_t size, struct cl_error *err);

/* 1 if key is in the chain of top (top itself included). */
int cl_snapshot_chain_has(const char *top, const char *key);

/* Removes half-applied snapshots left by a daemon that died mid-apply. */
void cl_snapshots_cleanup(void);

#endif
