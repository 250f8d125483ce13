/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host port's kernel side: the interface the host kernel sees (a tap,
 * or virtio-user with vhost-net) gets a fixed link address and a route to
 * every guest subnet through the gateway's end of the link, so that the
 * host's own sockets (sbgw's slow path among them) reach the uplink
 * through the fast path, and later stages can reach guests. Configured
 * once at start, over rtnetlink, on the main lcore.
 */
#ifndef SBGW_DATAPLANE_HOSTIF_H
#define SBGW_DATAPLANE_HOSTIF_H

#include <stdint.h>

/* The host link (a /30 nobody routes elsewhere): kernel side .1, gateway side .2. */
#define SBGW_HOSTIF_NET "169.254.253.0"
#define SBGW_HOSTIF_KERNEL "169.254.253.1"
#define SBGW_HOSTIF_GATEWAY "169.254.253.2"
#define SBGW_HOSTIF_PREFIX 30
/* Its IPv6 side (a fixed ULA /64): what the relay's IPv6 guests are redirected to. */
#define SBGW_HOSTIF_KERNEL6 "fd6d:7367:7700::1"
#define SBGW_HOSTIF_GATEWAY6 "fd6d:7367:7700::2"
#define SBGW_HOSTIF_PREFIX6 64

/* Bring ifindex up with the kernel-side address. 0 or -errno. */
int sbgw_hostif_configure(int ifindex);

/* Route dst/len (IPv4, network order) via the gateway side of the host link. */
int sbgw_hostif_route(int ifindex, const uint8_t dst[4], uint8_t len);

/* The same for an IPv6 prefix (16 bytes, network order). */
int sbgw_hostif_route6(int ifindex, const uint8_t dst[16], uint8_t len);

#endif
