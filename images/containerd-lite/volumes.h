/* Named volumes: directories under volumes/<name>, made on first use by a
 * container's `volume` mount and kept until volume.remove. */
#ifndef CL_VOLUMES_H
#define CL_VOLUMES_H

#include "ops.h"

extern const struct cl_op cl_volume_ops[];

#endif
