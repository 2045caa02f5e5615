/* The VM's uplink to the host: eth0, v86's virtio NIC, whose frames the
 * host's TCP/IP relay answers (src/common/netstack). Containers' traffic to
 * anything outside their own network is routed out of it, unchanged (no NAT:
 * the relay answers any source address), so a container reaches the host
 * at 192.168.65.254 (`host.docker.internal`) and what the host can reach.
 * Policy rules keep networks isolated with forwarding on: what the VM
 * forwards for a container looks up CL_UPLINK_TABLE, where the uplink is the
 * only way out and every network's subnet is prohibited; the VM's own
 * traffic and the host's replies use the main table. */
#ifndef CL_UPLINK_H
#define CL_UPLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define CL_UPLINK_IFNAME "eth0"
#define CL_UPLINK_HOST 0xc0a841feu /* 192.168.65.254: the host (Docker Desktop's host.docker.internal) */
#define CL_UPLINK_SELF 0xc0a84103u /* 192.168.65.3: the VM */
#define CL_UPLINK_PREFIX 24
#define CL_UPLINK_TABLE 100u

/* Configures the uplink, the rules and forwarding, once the networks'
 * prohibit routes exist; true when it is up. Without the NIC (or on
 * failure, logged) the VM does not forward: containers reach only their
 * own network. */
bool cl_uplink_init(void);

/* Forwarded traffic to subnet/prefix is refused (add) or the refusal
 * removed: called for each network made or removed. */
int cl_uplink_isolate(uint32_t subnet, unsigned prefix, bool add, struct cl_error *err);

#endif
