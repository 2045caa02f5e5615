/* Docker's network model in the guest: networks (a Linux bridge each, with
 * the gateway's address on it, in the VM's own namespace), a container's
 * attachments to them (a veth pair per attachment: `vethXXXXXXXX` on the
 * bridge, `ethN` in the container), each live attachment's address (the
 * lowest free one of the subnet, from the start of the task to its exit),
 * the embedded DNS server (a UDP socket per container at 127.0.0.11:53 in
 * the container's namespace: a socket keeps the namespace it was made in,
 * so the daemon answers from its own table without netfilter), and the
 * files Docker writes for a container (/etc/hosts, /etc/resolv.conf,
 * /etc/hostname). The default network `bridge` (docker0, 172.17.0.0/16) is
 * made at start; names resolve only on user-defined networks, as Docker's.
 * Different bridges are isolated: the VM forwards only to and from its
 * uplink (uplink.h), and never between bridges. */
#ifndef CL_NETWORK_H
#define CL_NETWORK_H

#include <stdbool.h>
#include <stddef.h>

#include "containers.h"
#include "mounts.h"
#include "ops.h"

/* Watches the network module holds beside tasks': none at rest, one DNS
 * socket per running container (counted among the task's). */

/* The default bridge, and the networks a previous daemon made. Failure is
 * logged: containers then get only `lo`. */
void cl_networks_init(void);

/* For a container's main task, before its child starts. By the container's
 * `network_mode`: `none` (nothing: the task gets its own namespace with only
 * lo), `host` (*host_net: the VM's namespace), `container:REF` (*netns_fd:
 * REF's), else each `network` attachment gets its address and veth in
 * *netns_fd (taken from the pool, or made). Writes the container's hosts,
 * resolv.conf and hostname files and appends their binds to mounts (room
 * for 3 more is the caller's). */
int cl_net_start(struct cl_container *c, const char *hostname, int *netns_fd, bool *host_net,
		 struct cl_mount *mounts, size_t *nmounts, struct cl_error *err);

/* The task is gone (or never started after cl_net_start): addresses freed,
 * the DNS socket closed, so the namespace and its veths go away, or are kept
 * for the next container on the same network when nothing of this one can
 * be left in them (network.c, struct slot). */
void cl_net_stop(struct cl_container *c);

/* Before a VM snapshot: the kept namespaces go (cl_netns_pause's reasons). */
void cl_net_pause(void);

/* The container is removed: its attachments are forgotten. */
void cl_net_forget(struct cl_container *c);

/* Where the port relay connects to: the container's address on its first
 * live attachment (host byte order), 0 if none. */
uint32_t cl_net_address(const struct cl_container *c);

extern const struct cl_op cl_network_ops[];

#endif
