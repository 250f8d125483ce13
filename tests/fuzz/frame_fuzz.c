/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: a frame from a guest or the uplink through what a
 * worker does to it without a flow table — the parse stage (whole and
 * segmented), the link layer (ARP, neighbour discovery, DHCP, router
 * advertisements) and the in-place rewrites (checksum, TTL, MSS, NAT
 * endpoint, TCP reset, echo reply). Every answer the gateway would send
 * must itself parse, checksums included.
 *
 * Input: one control byte, then the frame. Control bit 0: verify the IPv4
 * header checksum; bit 1: recompute the transport checksum first (ports
 * without checksum offload); bits 2-7: how many bytes at the end lie in
 * a second segment (sbgw_parse_segmented).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "parse.h"
#include "rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ICMP_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_RS 133
#define ICMP6_NS 135
#define ICMP6_NA 136
#define TCP_RST 0x04
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define FRAME_ROOM 2048 /* an mbuf's data room: what an in-place answer may use */

static const uint8_t GW_MAC[6] = {0x02, 0x6d, 0x73, 0x00, 0x00, 0x01};
static const uint8_t GUEST_MAC[6] = {0x02, 0x6d, 0x73, 0x00, 0x00, 0x02};
static const uint8_t GW4[4] = {172, 16, 0, 1};
static const uint8_t GUEST4[4] = {172, 16, 0, 2};
static const uint8_t UPLINK4[4] = {192, 0, 2, 10};
static const uint8_t GW6[16] = {0xfd, 0x42, 0x6d, 0x73, 0x00, 0x62, [15] = 1};
static const uint8_t GUEST6[16] = {0xfd, 0x42, 0x6d, 0x73, 0x00, 0x62, [15] = 2};
static const uint8_t UPLINK6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 10};

static struct sbgw_link_params params(void)
{
	struct sbgw_link_params p = {
		.v4 = true, .v6 = true, .prefix4 = 30, .prefix6 = 64, .mtu = 1500,
		.lease_seconds = 86400, .ra_lifetime = 1800,
	};

	memcpy(p.gw_mac, GW_MAC, 6);
	memcpy(p.guest_mac, GUEST_MAC, 6);
	memcpy(p.gw4, GW4, 4);
	memcpy(p.guest4, GUEST4, 4);
	memcpy(p.gw6, GW6, 16);
	memcpy(p.guest6, GUEST6, 16);
	sbgw_link_local_from_mac(p.gw_mac, p.gw6_ll);
	return p;
}

/* An answer the gateway sends must be a frame it would accept itself. */
static void check_answer(const uint8_t *frame, uint32_t len)
{
	struct sbgw_pkt_info info;
	uint8_t *copy;

	if (len == 0)
		return;
	if (len > FRAME_ROOM)
		abort();
	copy = malloc(len);
	memcpy(copy, frame, len);
	if (sbgw_parse_frame(copy, len, true, &info) != SBGW_DROP_NONE)
		abort();
	free(copy);
}

/* A writable copy of frame in a buffer of exactly room bytes (>= len). */
static uint8_t *copy_frame(const uint8_t *frame, size_t len, size_t room)
{
	uint8_t *b = malloc(room ? room : 1);

	memcpy(b, frame, len);
	if (room > len)
		memset(b + len, 0xa5, room - len);
	return b;
}

static void link_layer(const uint8_t *frame, uint32_t len, const struct sbgw_pkt_info *info)
{
	struct sbgw_link_params p = params();
	uint8_t mac[6];

	if (info->l3 == SBGW_L3_ARP) {
		uint8_t *b = copy_frame(frame, len, len);

		(void)sbgw_link_arp_learn(b, info, GUEST4, mac);
		check_answer(b, sbgw_link_arp_reply(b, len, info, GW_MAC, GW4));
		free(b);
		return;
	}
	if (info->l3 == SBGW_L3_IPV4 && info->proto == IPPROTO_UDP &&
	    info->dport == DHCP_SERVER_PORT && info->sport == DHCP_CLIENT_PORT) {
		uint8_t out[SBGW_LINK_DHCP_ROOM];

		check_answer(out, sbgw_link_dhcp_reply(frame, len, info, &p, out));
		return;
	}
	if (info->l3 != SBGW_L3_IPV6 || info->proto != IPPROTO_ICMPV6)
		return;
	if (info->icmp_type == ICMP6_NS) {
		/* The answer may be longer than the question: an mbuf has the room. */
		uint8_t *b = copy_frame(frame, len, len > SBGW_LINK_NA_LEN ? len : SBGW_LINK_NA_LEN);
		uint8_t addrs[2][16];

		memcpy(addrs[0], GW6, 16);
		memcpy(addrs[1], p.gw6_ll, 16);
		check_answer(b, sbgw_link_nd_reply(b, len, info, GW_MAC,
						   (const uint8_t(*)[16])addrs, 2, true));
		free(b);
	} else if (info->icmp_type == ICMP6_NA) {
		(void)sbgw_link_nd_learn(frame, info, GUEST6, mac);
	} else if (info->icmp_type == ICMP6_RS) {
		uint8_t out[SBGW_LINK_RA_ROOM];

		check_answer(out, sbgw_link_build_ra(out, &p));
	}
}

static void rewrites(const uint8_t *frame, uint32_t len, const struct sbgw_pkt_info *info)
{
	bool v4 = info->l3 == SBGW_L3_IPV4;
	uint8_t *b;

	if (info->l3 == SBGW_L3_ARP)
		return;
	/* refuse(): a TCP reset for anything but a reset or a later fragment. */
	if (info->proto == IPPROTO_TCP && !(info->tcp_flags & TCP_RST) &&
	    !(info->fragment && !info->first_fragment)) {
		b = copy_frame(frame, len, len);
		check_answer(b, sbgw_rewrite_tcp_reset(b, info));
		free(b);
	}
	if ((info->proto == IPPROTO_ICMP && info->icmp_type == ICMP_ECHO_REQUEST) ||
	    (info->proto == IPPROTO_ICMPV6 && info->icmp_type == ICMP6_ECHO_REQUEST)) {
		b = copy_frame(frame, len, len);
		sbgw_rewrite_echo_reply(b, info);
		free(b);
	}
	/* forward() towards the uplink, then the reply's way back. */
	b = copy_frame(frame, len, len);
	if (sbgw_rewrite_ttl(b, info)) {
		if (info->proto == IPPROTO_TCP)
			sbgw_rewrite_clamp_mss(b, info, v4 ? 1460 : 1440);
		sbgw_rewrite_endpoint(b, info, 0, v4 ? UPLINK4 : UPLINK6, 40000);
		sbgw_rewrite_endpoint(b, info, 1, v4 ? GUEST4 : GUEST6, 1234);
	}
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbgw_pkt_info info;
	uint8_t ctl;
	uint32_t len, tail;
	uint8_t *frame;

	if (size < 1 || size - 1 > UINT16_MAX)
		return 0;
	ctl = data[0];
	len = (uint32_t)(size - 1);
	frame = copy_frame(data + 1, len, len);

	/* Reassembled datagrams: headers in the first segment only. */
	tail = ctl >> 2;
	if (tail > 0 && tail < len) {
		uint8_t *first = copy_frame(frame, len - tail, len - tail);

		(void)sbgw_parse_segmented(first, len - tail, len, ctl & 1, &info);
		free(first);
	}

	if (sbgw_parse_frame(frame, len, ctl & 1, &info) == SBGW_DROP_NONE) {
		if ((ctl & 2) && !info.fragment)
			sbgw_rewrite_l4_checksum(frame, &info);
		link_layer(frame, len, &info);
		rewrites(frame, len, &info);
	}
	free(frame);
	return 0;
}
