/* Published ports: the guest end of a host connection to a container's
 * port. The host accepts a TCP connection (a listener on the machine running
 * the CLI, or a page's request) and sends `port.connect`; the daemon
 * connects to the container's address (its first network's, from the VM's
 * own namespace, which has an address on every bridge) and relays bytes
 * both ways as the request's streams: host → container on stream 0 within
 * the same per-request window as a task's stdin (STREAM_CREDIT), container
 * → host on stream 1. The container closing its side ends the request (a
 * RESPONSE); the host's empty STREAM shuts the socket's write side; `cancel`
 * closes it. At most CL_PORTS_MAX at once: one more is refused (EAGAIN). */
#ifndef CL_PORTS_H
#define CL_PORTS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ops.h"

#define CL_PORTS_MAX 32

/* STREAM frames for a connection's request; false if id is not one. */
bool cl_ports_on_stream(uint32_t id, uint16_t stream, const uint8_t *p, size_t n, struct cl_error *err, int *ret);

/* `cancel` of a connection's request: closed and answered; false if id is not one. */
bool cl_ports_cancel(uint32_t id, struct cl_error *err, int *ret);

extern const struct cl_op cl_port_ops[];

#endif
