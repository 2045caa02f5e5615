/* A container's writable layer (its overlayfs upper dir) written as an OCI
 * image layer tar, the way Docker's overlay2 driver writes one for `docker
 * commit` and the classic builder: overlay whiteouts (char devices 0/0)
 * become empty regular files `.wh.NAME` (mode 0600), an opaque directory
 * (xattr trusted.overlay.opaque = y) is followed by `DIR/.wh..wh..opq`; hard
 * links within the tree stay hard links; modes (setuid/setgid/sticky too),
 * owners and mtimes (seconds) are kept. Entries come in name order,
 * directories before what they hold. Sockets are left out (as Docker does),
 * and so are the runtime's mount points (/dev, /proc, /sys, /etc/hosts,
 * /etc/hostname, /etc/resolv.conf: Docker keeps them in its init layer).
 * Names or link targets over 100 bytes get a pax header. */
#ifndef CL_LAYERTAR_H
#define CL_LAYERTAR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Takes the next bytes of the archive; < 0 with err set stops the walk. */
typedef int (*cl_tar_sink)(void *ctx, const void *p, size_t n, struct cl_error *err);

/* Writes the tree under `dir` (not `dir` itself) and the two end blocks.
 * A file that vanishes during the walk is left out; one that shrinks is
 * padded with zeros to the size it had when its header was written.
 * *bytes (if not NULL) gets the archive's length. */
int cl_layertar_write(const char *dir, cl_tar_sink sink, void *ctx, uint64_t *bytes, struct cl_error *err);

#endif
