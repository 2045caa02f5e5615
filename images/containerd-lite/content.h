/* Content: blobs by digest, under content/sha256/<hex>. */
#ifndef CL_CONTENT_H
#define CL_CONTENT_H

#include "ops.h"

extern const struct cl_op cl_content_ops[];

#endif
