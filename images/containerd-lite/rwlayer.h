/* Ops on a container's writable layer: `container.diff` streams it to the
 * host as an OCI layer tar (layertar.h), what `docker diff`, `docker
 * commit`, `docker cp` out of a container, `docker export` and each RUN step
 * of `docker build` are made from on the host. */
#ifndef CL_RWLAYER_H
#define CL_RWLAYER_H

#include "ops.h"

extern const struct cl_op cl_rwlayer_ops[];

#endif
