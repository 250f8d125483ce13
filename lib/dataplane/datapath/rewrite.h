/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header rewrites of the fast path, done in place with incremental
 * checksum updates (RFC 1624), so a rewrite costs a few adds whatever the
 * packet's size: source NAT towards the uplink, its reverse for replies,
 * TTL decrement, MSS clamping, and the in-place turnarounds that answer a
 * guest (TCP RST, ICMP echo reply).
 */
#ifndef SBGW_DATAPLANE_REWRITE_H
#define SBGW_DATAPLANE_REWRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

/* Fold a one's complement sum change of old → new into a stored checksum. */
uint16_t sbgw_csum_replace(uint16_t csum, const void *old, const void *new_, unsigned int len);

/*
 * Replace the source (which = 0) or destination (which = 1) address and
 * port of an IPv4 or IPv6 packet described by info. addr is 4 or 16
 * network-order bytes; port is host order (the echo identifier for ICMP).
 */
void sbgw_rewrite_endpoint(uint8_t *frame, const struct sbgw_pkt_info *info, unsigned int which,
			   const uint8_t *addr, uint16_t port);

/* Decrement TTL / hop limit. false when it would reach zero (drop the packet). */
bool sbgw_rewrite_ttl(uint8_t *frame, const struct sbgw_pkt_info *info);

/* Lower a SYN's MSS option to at most mss. */
void sbgw_rewrite_clamp_mss(uint8_t *frame, const struct sbgw_pkt_info *info, uint16_t mss);

/*
 * Turn a guest's TCP segment into the RST|ACK its peer would send
 * (addresses, ports and MACs swapped, no payload). Returns the new frame
 * length.
 */
uint32_t sbgw_rewrite_tcp_reset(uint8_t *frame, const struct sbgw_pkt_info *info);

/* Turn an ICMP / ICMPv6 echo request into its reply, in place. */
void sbgw_rewrite_echo_reply(uint8_t *frame, const struct sbgw_pkt_info *info);

/* Recompute the transport checksum from scratch (ports that hand partial ones). */
void sbgw_rewrite_l4_checksum(uint8_t *frame, const struct sbgw_pkt_info *info);

#endif
