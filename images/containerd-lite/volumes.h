/* Named volumes: directories under volumes/<name>, made on first use by a
 * container's `volume` mount and kept until volume.remove. In the guest all
 * of them live on a tmpfs of their own (/sbin/init2 mounts it), so that
 * filling volumes cannot fill the daemon's state. */
#ifndef CL_VOLUMES_H
#define CL_VOLUMES_H

#include "ops.h"

extern const struct cl_op cl_volume_ops[];

#endif
