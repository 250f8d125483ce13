/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The link layer a guest expects from its router (semantics §7): ARP and
 * IPv6 neighbour discovery for the gateway's addresses, a DHCPv4 server
 * that hands the guest its /30, router, DNS server and MTU, and router
 * advertisements with the /64 prefix and the DNS server (RDNSS).
 *
 * Every function works on one frame of the worker's own: it answers in
 * place (the reply overwrites the request) or builds into a buffer the
 * caller owns, and returns the reply's length, or 0 when the frame is not
 * one to answer. No allocation, no logging, no state.
 */
#ifndef SBGW_DATAPLANE_LINK_H
#define SBGW_DATAPLANE_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

struct sbgw_link_params {
	uint8_t gw_mac[6], guest_mac[6];
	bool v4, v6;             /* families this guest has */
	uint8_t gw4[4], guest4[4]; /* network order */
	uint8_t prefix4;           /* 30 */
	uint8_t gw6[16], guest6[16];
	uint8_t gw6_ll[16];        /* fe80::/64 address derived from gw_mac (EUI-64) */
	uint8_t prefix6;           /* 64 */
	uint16_t mtu;              /* 1500 */
	uint32_t lease_seconds;    /* DHCP lease; default 86400 */
	uint32_t ra_lifetime;      /* router lifetime; default 1800 */
};

/* fe80::/64 EUI-64 address of a MAC (RFC 4291 appendix A). */
void sbgw_link_local_from_mac(const uint8_t mac[6], uint8_t out[16]);

/*
 * ARP request for one of our addresses (addr, 4 bytes network order) from
 * the frame's sender: rewrite it into the reply from my_mac. Returns the
 * reply length or 0.
 */
uint32_t sbgw_link_arp_reply(uint8_t *frame, uint32_t len, const struct sbgw_pkt_info *info,
			     const uint8_t my_mac[6], const uint8_t my_ip[4]);

/*
 * Build an ARP request for target from (my_mac, my_ip) into out (>= 60
 * bytes). Returns the frame length.
 */
uint32_t sbgw_link_arp_request(uint8_t *out, const uint8_t my_mac[6], const uint8_t my_ip[4],
			       const uint8_t target[4]);

/*
 * If frame is an ARP reply or request whose sender is ip, store the
 * sender's MAC in mac and return true.
 * There is no length: info must come from sbgw_parse_frame on this frame,
 * whose lengths bound every read (likewise for sbgw_link_nd_learn).
 */
bool sbgw_link_arp_learn(const uint8_t *frame, const struct sbgw_pkt_info *info,
			 const uint8_t ip[4], uint8_t mac[6]);

/*
 * Neighbour solicitation for one of addrs[0..n) (16 bytes each): rewrite
 * it in place into the solicited neighbour advertisement from my_mac
 * (router flag set when router is true). Returns the length or 0.
 * The NS must pass RFC 4861 §7.1.1 (hop limit 255, checksum, options). One
 * from :: (duplicate address detection) is answered to all-nodes without
 * the solicited flag. The reply is SBGW_LINK_NA_LEN bytes and the frame's
 * buffer must have that room even when len is shorter: an NS from :: has
 * no option and is 8 bytes short of its answer (an mbuf always has room).
 */
uint32_t sbgw_link_nd_reply(uint8_t *frame, uint32_t len, const struct sbgw_pkt_info *info,
			    const uint8_t my_mac[6], const uint8_t (*addrs)[16], unsigned int n,
			    bool router);

/* Build a neighbour solicitation for target from (my_mac, my_ip) into out (>= 86 bytes). */
uint32_t sbgw_link_nd_solicit(uint8_t *out, const uint8_t my_mac[6], const uint8_t my_ip[16],
			      const uint8_t target[16]);

/* If frame is a neighbour advertisement for target, store its MAC and return true. */
bool sbgw_link_nd_learn(const uint8_t *frame, const struct sbgw_pkt_info *info,
			const uint8_t target[16], uint8_t mac[6]);

/*
 * A router advertisement for the guest into out (>= 256 bytes): source
 * gw6_ll, to all-nodes (or to the soliciting guest), prefix /64 with
 * on-link and autonomous flags, MTU option, RDNSS = gw6, source link-layer
 * address. Returns the length, 0 when the guest has no IPv6 (p->v6).
 * The destination is always all-nodes, which RFC 4861 §6.2.6 allows for
 * the answer to a router solicitation too.
 */
uint32_t sbgw_link_build_ra(uint8_t *out, const struct sbgw_link_params *p);

/*
 * A DHCPv4 DISCOVER / REQUEST from the guest (UDP 68 → 67): build the
 * OFFER / ACK (or NAK for a request of another address) into out (>= 590
 * bytes) with the guest's address, /30 mask, router and DNS = gw4, MTU,
 * lease time, server identifier = gw4. Returns the length or 0 for a
 * message that gets no answer (RELEASE, DECLINE, INFORM, malformed).
 */
uint32_t sbgw_link_dhcp_reply(const uint8_t *frame, uint32_t len, const struct sbgw_pkt_info *info,
			      const struct sbgw_link_params *p, uint8_t *out);

/* Sizes for the buffers above. */
#define SBGW_LINK_ARP_LEN 60    /* sbgw_link_arp_request's frame */
#define SBGW_LINK_NS_LEN 86     /* sbgw_link_nd_solicit's frame */
#define SBGW_LINK_NA_LEN 86     /* sbgw_link_nd_reply's frame */
#define SBGW_LINK_RA_ROOM 256   /* room for sbgw_link_build_ra (142 bytes today) */
#define SBGW_LINK_DHCP_ROOM 590 /* room for sbgw_link_dhcp_reply (342 bytes today) */

#endif
