/* Ops on the VM itself rather than on containers: `sys.sync` (the host's
 * clock and fresh entropy, sent right after a VM is restored from a
 * snapshot) and `sys.snapshot_prepare` (what the image build does just
 * before it saves the snapshot). PROTOCOL.md, "Snapshots". */
#ifndef CL_SYS_H
#define CL_SYS_H

#include "ops.h"

extern const struct cl_op cl_sys_ops[];

#endif
