/* Snapshots are the host's: it keeps every image layer and, before it asks
 * for a container, puts the image's whole tree (its layers applied in order)
 * into its 9p filesystem at /mnt/host/snapshots/<chain hex>. The daemon only
 * names that directory as the container's overlayfs lower dir. */
#ifndef CL_SNAPSHOTS_H
#define CL_SNAPSHOTS_H

#include <stddef.h>

#include "error.h"

/* The overlay lowerdir for the chain whose top is key ("sha256:<hex>"):
 * the host's tree of it, which must be a directory. */
int cl_snapshot_lowerdir(const char *key, char *out, size_t size, struct cl_error *err);

#endif
