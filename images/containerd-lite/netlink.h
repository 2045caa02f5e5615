/* rtnetlink requests the network setup needs (what `ip link/addr/route` would
 * do, without forking busybox for each): a bridge, a veth pair with its peer
 * made straight into a container's network namespace, addresses, links up,
 * a default route. Each call opens a NETLINK_ROUTE socket in the calling
 * process's current network namespace, sends one request and reads its ack. */
#ifndef CL_NETLINK_H
#define CL_NETLINK_H

#include <stdint.h>

#include "error.h"

/* Creates bridge `name` (EEXIST is not an error), gives it ip/prefix (host
 * byte order) unless it has an address already, and sets it up. */
int cl_nl_bridge(const char *name, uint32_t ip, unsigned prefix, struct cl_error *err);

/* A veth pair: `host` in the current namespace, up and enslaved to bridge
 * `master`; its peer named `peer` with MAC `mac`, made in the namespace of
 * netns_fd. */
int cl_nl_veth(const char *host, const char *master, const char *peer, const uint8_t mac[6], int netns_fd,
	       struct cl_error *err);

/* In the current namespace: link `ifname` up with ip/prefix, and (gw != 0) a
 * default route through gw unless there is one already. */
int cl_nl_configure(const char *ifname, uint32_t ip, unsigned prefix, uint32_t gw, struct cl_error *err);

/* Deletes link `ifname` of the current namespace (a veth takes its peer along). */
int cl_nl_delete(const char *ifname, struct cl_error *err);

#endif
