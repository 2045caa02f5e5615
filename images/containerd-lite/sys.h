/* Ops on the VM itself rather than on containers: `sys.sync` (the host's
 * clock and fresh entropy, sent right after a VM is restored from a
 * snapshot), `sys.snapshot_prepare` (what the image build does just before
 * it saves the snapshot; PROTOCOL.md, "Snapshots") and `sys.exec` (a
 * program run in the VM itself, without namespaces or cgroup: the floor
 * `npm run bench` measures a container start against). */
#ifndef CL_SYS_H
#define CL_SYS_H

#include "ops.h"

extern const struct cl_op cl_sys_ops[];

#endif
