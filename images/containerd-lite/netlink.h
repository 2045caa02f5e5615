/* rtnetlink requests the network setup needs (what `ip link/addr/route` would
 * do, without forking busybox for each): a bridge, a veth pair with its peer
 * made straight into a container's network namespace, addresses, links up,
 * a default route. Each call opens a NETLINK_ROUTE socket in the calling
 * process's current network namespace, sends its requests in one datagram
 * and reads their acks. */
#ifndef CL_NETLINK_H
#define CL_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* Creates bridge `name` with MAC mac (EEXIST is not an error), gives it
 * ip/prefix (host byte order) unless it has an address already, and sets it
 * up. */
int cl_nl_bridge(const char *name, uint32_t ip, unsigned prefix, const uint8_t mac[6], struct cl_error *err);

/* A veth pair: `host` in the current namespace, up and enslaved to the
 * bridge of index `master`; its peer named `peer` (MAC mac, or the kernel's
 * random one if NULL), made in the namespace of netns_fd, down. */
int cl_nl_veth(const char *host, int master, const char *peer, const uint8_t mac[6], int netns_fd,
	       struct cl_error *err);

/* The index of link `name` in the current namespace. */
int cl_nl_index(const char *name, struct cl_error *err);

/* In the current namespace: link `index` up (with MAC mac unless NULL),
 * ip/prefix on it, and (gw != 0) a default route through gw; an address or
 * route already there is not an error. */
int cl_nl_configure(int index, const uint8_t mac[6], uint32_t ip, unsigned prefix, uint32_t gw, struct cl_error *err);

/* Undoes cl_nl_configure: ip/prefix off link `index` and the link down
 * (which takes its routes and neighbour entries along). */
int cl_nl_unconfigure(int index, uint32_t ip, unsigned prefix, struct cl_error *err);

/* In table `table`: a route to dst/prefix (0/0: the default route) of
 * `type` (RTN_UNICAST through gw out of ifname, or RTN_PROHIBIT: the sender
 * is told "administratively prohibited" at once), added (EEXIST is not an
 * error) or deleted. */
int cl_nl_route(uint32_t table, unsigned char type, uint32_t dst, unsigned prefix, uint32_t gw, const char *ifname,
		bool add, struct cl_error *err);

/* A policy rule at `priority`: packets that came in on `iif` (NULL: any;
 * "lo": made by this host) look up `table`. EEXIST is not an error. */
int cl_nl_rule(uint32_t priority, const char *iif, uint32_t table, struct cl_error *err);

/* Deletes link `ifname` of the current namespace (a veth takes its peer along). */
int cl_nl_delete(const char *ifname, struct cl_error *err);

#endif
