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
#include <string.h>

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

/*
 * The established-flow NAT rewrite of an IPv4 TCP or UDP packet with a
 * 20-byte header and a TTL above 1, in one pass: TTL decremented, the
 * source (which = 0) or destination (which = 1) address and port
 * replaced, and both checksums updated by precomputed deltas (one's
 * complement sums, 16-bit words in memory order: csum_ip of the address
 * change, csum_l4 of the address and port change). The result is the
 * same as sbgw_rewrite_ttl() then sbgw_rewrite_endpoint().
 */
static inline uint16_t sbgw_csum_add(uint16_t csum, uint32_t delta)
{
	uint32_t s = (uint16_t)~csum + delta;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void sbgw_rewrite_nat4(uint8_t *ip, uint8_t proto, unsigned int which,
				     const uint8_t addr[4], uint16_t port, uint16_t csum_ip,
				     uint16_t csum_l4)
{
	uint8_t *l4 = ip + 20;
	uint8_t *csum = l4 + (proto == 6 /* TCP */ ? 16 : 6);
	uint16_t c, nport = (uint16_t)(port >> 8 | port << 8);

	ip[8]--; /* TTL: its 16-bit word drops by one, the checksum sum by 0xfffe */
	memcpy(&c, ip + 10, 2);
	c = sbgw_csum_add(c, (uint32_t)csum_ip + 0xfffe);
	memcpy(ip + 10, &c, 2);
	memcpy(ip + (which == 0 ? 12 : 16), addr, 4);
	memcpy(l4 + (which == 0 ? 0 : 2), &nport, 2);
	memcpy(&c, csum, 2);
	if (proto != 6 && c == 0)
		return; /* UDP without a checksum stays without */
	c = sbgw_csum_add(c, csum_l4);
	if (proto != 6 && c == 0)
		c = 0xffff;
	memcpy(csum, &c, 2);
}

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
