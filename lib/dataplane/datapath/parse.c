/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "parse.h"

/* IPv6 extension headers we walk; anything else ends the chain. */
#define IPV6_EXT_HOP 0
#define IPV6_EXT_ROUTING 43
#define IPV6_EXT_FRAGMENT 44
#define IPV6_EXT_DSTOPTS 60
/* A guest has no reason to stack more; bound the walk. */
#define IPV6_EXT_MAX 4

static inline uint16_t load_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static enum sbgw_drop parse_arp(const uint8_t *frame, uint32_t len, struct sbgw_pkt_info *info)
{
	const struct rte_arp_hdr *arp;

	if (len < info->l3_off + sizeof(*arp))
		return SBGW_DROP_PARSE_BAD_ARP;
	arp = (const struct rte_arp_hdr *)(frame + info->l3_off);
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
		return SBGW_DROP_PARSE_BAD_ARP;
	info->l3 = SBGW_L3_ARP;
	info->l3_len = sizeof(*arp);
	return SBGW_DROP_NONE;
}

/*
 * The transport header, shared by both families. avail = bytes of the
 * datagram from l4_off; seg = bytes readable from the frame's start (a
 * reassembled datagram spans segments, its headers must not).
 */
static enum sbgw_drop parse_l4(const uint8_t *frame, uint32_t avail, uint32_t seg,
			       struct sbgw_pkt_info *info)
{
	const uint8_t *l4 = frame + info->l4_off;
	uint32_t in_seg = seg - info->l4_off;

	info->l4_len = (uint16_t)avail;
	if (info->fragment && !info->first_fragment)
		return SBGW_DROP_NONE; /* no transport header in this piece */
	switch (info->proto) {
	case IPPROTO_TCP: {
		const struct rte_tcp_hdr *tcp = (const struct rte_tcp_hdr *)l4;
		uint32_t hlen;

		if (avail < sizeof(*tcp) || in_seg < sizeof(*tcp))
			return SBGW_DROP_PARSE_BAD_TCP;
		hlen = (uint32_t)(tcp->data_off >> 4) * 4;
		if (hlen < sizeof(*tcp) || hlen > avail || hlen > in_seg)
			return SBGW_DROP_PARSE_BAD_TCP;
		info->sport = rte_be_to_cpu_16(tcp->src_port);
		info->dport = rte_be_to_cpu_16(tcp->dst_port);
		info->tcp_flags = tcp->tcp_flags;
		info->payload_off = (uint16_t)(info->l4_off + hlen);
		return SBGW_DROP_NONE;
	}
	case IPPROTO_UDP: {
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)l4;
		uint16_t ulen;

		if (avail < sizeof(*udp) || in_seg < sizeof(*udp))
			return SBGW_DROP_PARSE_BAD_UDP;
		ulen = rte_be_to_cpu_16(udp->dgram_len);
		/* A fragment's UDP length covers the whole datagram. */
		if (ulen < sizeof(*udp) || (!info->fragment && ulen != avail))
			return SBGW_DROP_PARSE_BAD_UDP;
		info->sport = rte_be_to_cpu_16(udp->src_port);
		info->dport = rte_be_to_cpu_16(udp->dst_port);
		info->payload_off = (uint16_t)(info->l4_off + sizeof(*udp));
		return SBGW_DROP_NONE;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)l4;

		if (avail < sizeof(*icmp) || in_seg < sizeof(*icmp))
			return SBGW_DROP_PARSE_BAD_ICMP;
		info->icmp_type = icmp->icmp_type;
		info->icmp_code = icmp->icmp_code;
		info->sport = info->dport = rte_be_to_cpu_16(icmp->icmp_ident);
		info->payload_off = (uint16_t)(info->l4_off + sizeof(*icmp));
		return SBGW_DROP_NONE;
	}
	default:
		info->payload_off = info->l4_off;
		return SBGW_DROP_NONE;
	}
}

static enum sbgw_drop parse_ipv4(const uint8_t *frame, uint32_t seg, uint32_t len,
				 bool verify_csum, struct sbgw_pkt_info *info)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t hlen, total;
	uint16_t frag;

	if (seg < info->l3_off + sizeof(*ip))
		return SBGW_DROP_PARSE_BAD_IPV4;
	ip = (const struct rte_ipv4_hdr *)(frame + info->l3_off);
	hlen = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	total = rte_be_to_cpu_16(ip->total_length);
	/* Trailing Ethernet padding is allowed; a short frame is not. */
	if ((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip) || total < hlen ||
	    total > len - info->l3_off || hlen > seg - info->l3_off)
		return SBGW_DROP_PARSE_BAD_IPV4;
	if (verify_csum && rte_raw_cksum(ip, hlen) != 0xffff)
		return SBGW_DROP_PARSE_IPV4_CSUM;
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	info->l3 = SBGW_L3_IPV4;
	info->proto = ip->next_proto_id;
	info->l3_len = (uint16_t)total;
	info->l4_off = (uint16_t)(info->l3_off + hlen);
	info->fragment = (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
	info->first_fragment = (frag & RTE_IPV4_HDR_OFFSET_MASK) == 0;
	return parse_l4(frame, total - hlen, seg, info);
}

static enum sbgw_drop parse_ipv6(const uint8_t *frame, uint32_t seg, uint32_t len,
				 struct sbgw_pkt_info *info)
{
	const struct rte_ipv6_hdr *ip;
	uint32_t payload, off, end;
	uint8_t next;

	if (seg < info->l3_off + sizeof(*ip))
		return SBGW_DROP_PARSE_BAD_IPV6;
	ip = (const struct rte_ipv6_hdr *)(frame + info->l3_off);
	payload = rte_be_to_cpu_16(ip->payload_len);
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 ||
	    payload > len - info->l3_off - sizeof(*ip))
		return SBGW_DROP_PARSE_BAD_IPV6;
	info->l3 = SBGW_L3_IPV6;
	info->l3_len = (uint16_t)(sizeof(*ip) + payload);
	info->first_fragment = true;
	off = info->l3_off + sizeof(*ip);
	end = off + payload;
	next = ip->proto;
	for (unsigned int i = 0;; i++) {
		const uint8_t *ext = frame + off;
		uint32_t elen;

		if (next != IPV6_EXT_HOP && next != IPV6_EXT_ROUTING && next != IPV6_EXT_FRAGMENT &&
		    next != IPV6_EXT_DSTOPTS)
			break;
		if (i == IPV6_EXT_MAX)
			return SBGW_DROP_PARSE_IPV6_EXT;
		if (end - off < 8 || seg < off + 8)
			return SBGW_DROP_PARSE_BAD_IPV6;
		if (next == IPV6_EXT_FRAGMENT) {
			uint16_t fo = load_be16(ext + 2);

			info->fragment = true;
			info->first_fragment = (fo & 0xfff8) == 0;
			elen = 8;
		} else {
			elen = ((uint32_t)ext[1] + 1) * 8;
		}
		if (elen > end - off || elen > seg - off)
			return SBGW_DROP_PARSE_BAD_IPV6;
		next = ext[0];
		off += elen;
	}
	info->proto = next;
	info->l4_off = (uint16_t)off;
	return parse_l4(frame, end - off, seg, info);
}

enum sbgw_drop sbgw_parse_frame(const uint8_t *frame, uint32_t len, bool verify_l3_csum,
				struct sbgw_pkt_info *info)
{
	return sbgw_parse_segmented(frame, len, len, verify_l3_csum, info);
}

enum sbgw_drop sbgw_parse_segmented(const uint8_t *frame, uint32_t seg, uint32_t len,
				    bool verify_l3_csum, struct sbgw_pkt_info *info)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	uint16_t type;

	memset(info, 0, sizeof(*info));
	if (seg < sizeof(*eth) || seg > len || len > UINT16_MAX)
		return SBGW_DROP_PARSE_SHORT;
	type = rte_be_to_cpu_16(eth->ether_type);
	info->l3_off = sizeof(*eth);
	switch (type) {
	case RTE_ETHER_TYPE_ARP:
		return parse_arp(frame, seg, info);
	case RTE_ETHER_TYPE_IPV4:
		return parse_ipv4(frame, seg, len, verify_l3_csum, info);
	case RTE_ETHER_TYPE_IPV6:
		return parse_ipv6(frame, seg, len, info);
	default:
		return SBGW_DROP_PARSE_ETHERTYPE;
	}
}
