/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The established-flow fast path's shared pieces (guest.c and uplink.c
 * each drive a burst through it): a parse of the one common frame shape,
 * the flow key built straight from the header, and the uplink's Ethernet
 * header, resolved once per burst.
 *
 * sbgw_fast_ipv4() accepts a frame only if the full parser
 * (sbgw_parse_segmented()) would accept it and describe it the same way,
 * and only in the plainest shape: one segment, Ethernet II, IPv4 with a
 * 20-byte header (checksum verified unless the port did), not a fragment,
 * TTL above 1, TCP without SYN, FIN or RST (which may change a flow's
 * state or need an MSS clamp) or UDP with a consistent length. Anything
 * else, including every malformed frame, is left to the full path, which
 * counts and drops it as before.
 */
#ifndef SBGW_DATAPLANE_FAST_H
#define SBGW_DATAPLANE_FAST_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "runtime.h"

#if RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN
#error "sbgw_fast_key4() writes the flow key as little-endian words"
#endif

struct sbgw_fast_l4 {
	uint8_t proto;
	uint16_t sport, dport; /* host order */
};

static inline uint16_t sbgw_fast_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The IPv4 header (20 bytes) sums to 0xffff, as rte_raw_cksum() would say. */
static inline bool sbgw_fast_ipv4_csum_ok(const uint8_t *ip)
{
	uint32_t w[5];
	uint64_t s;

	memcpy(w, ip, sizeof(w));
	s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	s = (s & 0xffffffff) + (s >> 32);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

static inline bool sbgw_fast_ipv4(const struct rte_mbuf *m, struct sbgw_fast_l4 *l4)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = frame + RTE_ETHER_HDR_LEN;
	const uint8_t *th = ip + 20;
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t total, avail;

	if (len != rte_pktmbuf_pkt_len(m) || len < RTE_ETHER_HDR_LEN + 20 + 8 || frame[12] != 0x08 ||
	    frame[13] != 0x00 || ip[0] != 0x45 || ip[8] <= 1 || (ip[6] & 0x3f) != 0 || ip[7] != 0)
		return false;
	total = sbgw_fast_be16(ip + 2);
	if (total > len - RTE_ETHER_HDR_LEN || total < 20 + 8)
		return false;
	avail = total - 20;
	if (ip[9] == IPPROTO_UDP) {
		if (sbgw_fast_be16(th + 4) != avail)
			return false;
	} else if (ip[9] == IPPROTO_TCP) {
		uint32_t hlen = (uint32_t)(th[12] >> 4) * 4;

		if (hlen < 20 || hlen > avail || hlen > len - RTE_ETHER_HDR_LEN - 20 ||
		    (th[13] & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)))
			return false;
	} else {
		return false;
	}
	if (!(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD) && !sbgw_fast_ipv4_csum_ok(ip))
		return false;
	l4->proto = ip[9];
	l4->sport = sbgw_fast_be16(th);
	l4->dport = sbgw_fast_be16(th + 2);
	return true;
}

/*
 * The flow key of an IPv4 TCP / UDP header, as sbgw_frame_flow_key()
 * builds it, written as whole words: zone, family, protocol and source
 * port; destination port and source address; destination address; the
 * rest zero (struct sbgw_flow_key's layout, little-endian).
 */
static inline void sbgw_fast_key4(struct sbgw_flow_key *k, uint32_t zone, const uint8_t *ip,
				  uint8_t proto, uint16_t sport, uint16_t dport)
{
	uint32_t src, dst;
	uint64_t w[6];

	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	w[0] = zone | (uint64_t)AF_INET << 32 | (uint64_t)proto << 40 | (uint64_t)sport << 48;
	w[1] = dport | (uint64_t)src << 32;
	w[2] = 0;
	w[3] = (uint64_t)dst << 32;
	w[4] = 0;
	w[5] = 0;
	memcpy(k, w, sizeof(w));
}

/* Two keys sbgw_fast_key4() wrote are equal (its words 2, 4 and 5 are always zero). */
static inline bool sbgw_fast_key4_equal(const struct sbgw_flow_key *a, const struct sbgw_flow_key *b)
{
	uint64_t x[4], y[4];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[3] ^ y[3])) == 0;
}

/*
 * The Ethernet addresses of a frame to the uplink's next hop of family
 * (0: IPv4, 1: IPv6): false while it is unresolved (the full path then
 * queues the frame and asks).
 */
static inline bool sbgw_fast_uplink_eth(const struct sbgw_dataplane *gw, unsigned int family,
					uint8_t eth[2 * RTE_ETHER_ADDR_LEN])
{
	uint64_t mac = __atomic_load_n(&gw->neigh[family].mac, __ATOMIC_ACQUIRE);

	if (!(mac & SBGW_NEIGH_VALID))
		return false;
	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		eth[i] = (uint8_t)(mac >> (8 * i));
	memcpy(eth + RTE_ETHER_ADDR_LEN, gw->uplink_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	return true;
}

#endif
