/* Network namespaces made ahead of need. In this kernel a new network
 * namespace is the dearest part of a container start: the per-namespace init
 * of every protocol, the loopback device and its sysctls take ~1.1 M of the
 * ~5.3 M guest instructions of `run --rm busybox true` (the other four
 * namespaces ~0.14 M together; measured with v86's counter). A helper
 * process at SCHED_IDLE makes them, with lo up, while the VM has nothing
 * else to do, and hands each over as an fd; a container's first process
 * joins one with setns(2). A namespace from here serves one container; on a
 * network, network.c may keep it for the next one (struct slot). */
#ifndef CL_NETNS_H
#define CL_NETNS_H

#include <stdbool.h>

#include "error.h"

/* Starts the helper and keeps up to `target` namespaces ready (0: none; every
 * container then gets CLONE_NEWNET). Failure is logged, not fatal. */
void cl_netns_start(unsigned target);

/* A ready namespace (an O_CLOEXEC fd the caller closes), or -1 when none is:
 * the caller then makes its own. Asks the helper for a replacement (and ends
 * a pause). */
int cl_netns_take(void);

/* Before a VM snapshot: closes the ready namespaces and makes no more until
 * cl_netns_resume or the next container start, so two VMs restored from one
 * snapshot never share one (nor the hash seeds drawn when it was made). */
void cl_netns_pause(void);

/* Ends a pause: called once the host has seeded the restored VM's random pool
 * (sys.sync), so the namespaces made from now on draw their seeds from it.
 * The helper rests 2 s first, then makes them while the VM idles (the
 * reader reading), not during the first container's start, which would
 * otherwise take its namespace from an empty pool and share the CPU with
 * the refill. */
void cl_netns_resume(void);

/* fn runs each time the helper has added a namespace to the pool (the VM
 * was idle: the helper runs at SCHED_IDLE). */
void cl_netns_on_ready(void (*fn)(void));

#endif
