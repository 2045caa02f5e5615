/* Images: name → opaque record (the host's JSON), one file per name under
 * images/<escaped name>. */
#ifndef CL_IMAGES_H
#define CL_IMAGES_H

#include "ops.h"

extern const struct cl_op cl_image_ops[];

#endif
