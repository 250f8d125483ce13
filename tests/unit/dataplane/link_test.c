/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The link layer the gateway shows a guest: ARP, neighbour discovery,
 * router advertisements and DHCPv4. Every request goes through the parse
 * stage first, as on a worker, and every answer is parsed again and its
 * checksums recomputed here, byte by byte, independently of DPDK's
 * helpers. Truncated and corrupted requests live in buffers of their exact
 * size, so the sanitizer build turns any read past a frame into a failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "link.h"
#include "parse.h"

#define OPTS(s) (const uint8_t *)(s), sizeof(s) - 1
#define XID 0x3903f326u

static const uint8_t GW_MAC[6] = {0x02, 0x6d, 0x73, 0x00, 0x00, 0x01};
static const uint8_t GUEST_MAC[6] = {0x02, 0x6d, 0x73, 0x00, 0x00, 0x02};
static const uint8_t OTHER_MAC[6] = {0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc};
static const uint8_t BCAST_MAC[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t GW4[4] = {172, 16, 0, 1};
static const uint8_t GUEST4[4] = {172, 16, 0, 2};
static const uint8_t OTHER4[4] = {172, 16, 0, 9};
static const uint8_t GW6[16] = {0xfd, 0x42, 0x6d, 0x73, 0x00, 0x62, [15] = 1};
static const uint8_t GUEST6[16] = {0xfd, 0x42, 0x6d, 0x73, 0x00, 0x62, [15] = 2};
static const uint8_t OTHER6[16] = {0xfd, 0x42, 0x6d, 0x73, 0x00, 0x62, [15] = 9};
static const uint8_t UNSPEC6[16];
static const uint8_t ALL_NODES6[16] = {0xff, 0x02, [15] = 1};
/* fe80::6d:73ff:fe00:1, the EUI-64 address of GW_MAC */
static const uint8_t GW6_LL[16] = {0xfe, 0x80, [9] = 0x6d, 0x73, 0xff, 0xfe, 0x00, 0x00, 0x01};
/* ff02::1:ff00:1, the solicited-node group of GW6 */
static const uint8_t GW6_GROUP[16] = {0xff, 0x02, [11] = 0x01, 0xff, 0x00, 0x00, 0x01};

struct frame {
	uint8_t b[600];
	uint32_t len;
};

static struct sbgw_link_params params(void)
{
	struct sbgw_link_params p = {
		.v4 = true, .v6 = true, .prefix4 = 30, .prefix6 = 64, .mtu = 1500};

	memcpy(p.gw_mac, GW_MAC, 6);
	memcpy(p.guest_mac, GUEST_MAC, 6);
	memcpy(p.gw4, GW4, 4);
	memcpy(p.guest4, GUEST4, 4);
	memcpy(p.gw6, GW6, 16);
	memcpy(p.guest6, GUEST6, 16);
	sbgw_link_local_from_mac(p.gw_mac, p.gw6_ll);
	return p;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* RFC 1071, big-endian words, deliberately not DPDK's code. */
static uint32_t sum_be(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint32_t icmp6_pseudo(const uint8_t *ip6, uint32_t len)
{
	return sum_be(0, ip6 + 8, 32) + (len >> 16) + (len & 0xffff) + IPPROTO_ICMPV6;
}

static uint32_t udp4_pseudo(const uint8_t *ip4, uint32_t len)
{
	return sum_be(0, ip4 + 12, 8) + IPPROTO_UDP + len;
}

/* The checksum of an ICMPv6 message that starts at l4 (a request we build). */
static void set_icmp6_csum(const uint8_t *ip6, uint8_t *l4, uint32_t len)
{
	put16(l4 + 2, 0);
	put16(l4 + 2, (uint16_t)~fold16(sum_be(icmp6_pseudo(ip6, len), l4, len)));
}

static bool icmp6_csum_ok(const uint8_t *frame, const struct sbgw_pkt_info *info)
{
	return fold16(sum_be(icmp6_pseudo(frame + info->l3_off, info->l4_len), frame + info->l4_off,
			     info->l4_len)) == 0xffff;
}

static bool ipv4_csum_ok(const uint8_t *ip)
{
	return fold16(sum_be(0, ip, (size_t)(ip[0] & 0xf) * 4)) == 0xffff;
}

static bool udp4_csum_ok(const uint8_t *frame, const struct sbgw_pkt_info *info)
{
	const uint8_t *udp = frame + info->l4_off;

	/* Zero would mean "no checksum"; we always send one. */
	return get16(udp + 6) != 0 && fold16(sum_be(udp4_pseudo(frame + info->l3_off, info->l4_len),
						    udp, info->l4_len)) == 0xffff;
}

static void parse_ok(const uint8_t *b, uint32_t len, struct sbgw_pkt_info *info)
{
	assert_int_equal(sbgw_parse_frame(b, len, true, info), SBGW_DROP_NONE);
}

static uint8_t *exact_copy(const uint8_t *b, uint32_t len, uint32_t room)
{
	uint8_t *c = malloc(room > len ? room : len);

	assert_non_null(c);
	memcpy(c, b, len);
	return c;
}

/* ---- ARP ---------------------------------------------------------------- */

static void arp_frame(struct frame *f, uint16_t op, const uint8_t *sha, const uint8_t *sip,
		      const uint8_t *tip)
{
	uint8_t *a;

	memset(f, 0, sizeof(*f));
	a = f->b + 14;
	memcpy(f->b, BCAST_MAC, 6);
	memcpy(f->b + 6, sha, 6);
	put16(f->b + 12, 0x0806);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, sip, 4);
	memcpy(a + 24, tip, 4);
	f->len = 60; /* padded as on the wire */
}

static void arp_request_for_us_gets_reply(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	const uint8_t *a = f.b + 14;

	(void)state;
	arp_frame(&f, 1, GUEST_MAC, GUEST4, GW4);
	f.b[50] = 0xee; /* junk in the padding */
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_arp_reply(f.b, f.len, &info, GW_MAC, GW4), 60);
	parse_ok(f.b, 60, &info);
	assert_int_equal(info.l3, SBGW_L3_ARP);
	assert_memory_equal(f.b, GUEST_MAC, 6);
	assert_memory_equal(f.b + 6, GW_MAC, 6);
	assert_int_equal(get16(a + 6), 2);
	assert_memory_equal(a + 8, GW_MAC, 6);
	assert_memory_equal(a + 14, GW4, 4);
	assert_memory_equal(a + 18, GUEST_MAC, 6);
	assert_memory_equal(a + 24, GUEST4, 4);
	for (unsigned int i = 42; i < 60; i++)
		assert_int_equal(f.b[i], 0);
}

static void arp_request_for_other_ip_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f, before;

	(void)state;
	arp_frame(&f, 1, GUEST_MAC, GUEST4, OTHER4);
	before = f;
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_arp_reply(f.b, f.len, &info, GW_MAC, GW4), 0);
	assert_memory_equal(f.b, before.b, f.len);
}

static void arp_gratuitous_request_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	arp_frame(&f, 1, GUEST_MAC, GW4, GW4);
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_arp_reply(f.b, f.len, &info, GW_MAC, GW4), 0);
}

static void arp_reply_is_not_answered(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	arp_frame(&f, 2, GUEST_MAC, GUEST4, GW4);
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_arp_reply(f.b, f.len, &info, GW_MAC, GW4), 0);
}

static void arp_request_from_group_mac_is_ignored(void **state)
{
	static const uint8_t group[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	arp_frame(&f, 1, group, GUEST4, GW4);
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_arp_reply(f.b, f.len, &info, GW_MAC, GW4), 0);
}

/* RFC 5227: a probe for our address is answered so the guest backs off. */
static void arp_probe_for_us_gets_reply(void **state)
{
	static const uint8_t zero4[4];
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	arp_frame(&f, 1, GUEST_MAC, zero4, GW4);
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_arp_reply(f.b, f.len, &info, GW_MAC, GW4), 60);
	assert_memory_equal(f.b + 14 + 14, GW4, 4);
	assert_memory_equal(f.b + 14 + 24, zero4, 4);
}

static void arp_request_past_frame_end_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *c;

	(void)state;
	arp_frame(&f, 1, GUEST_MAC, GUEST4, GW4);
	parse_ok(f.b, f.len, &info);
	c = exact_copy(f.b, 41, 0);
	assert_int_equal(sbgw_link_arp_reply(c, 41, &info, GW_MAC, GW4), 0);
	free(c);
}

static void arp_request_builder_is_broadcast_request(void **state)
{
	struct sbgw_pkt_info info;
	uint8_t b[SBGW_LINK_ARP_LEN];
	const uint8_t *a = b + 14;
	static const uint8_t zero6[6];

	(void)state;
	assert_int_equal(sbgw_link_arp_request(b, GW_MAC, GW4, GUEST4), SBGW_LINK_ARP_LEN);
	parse_ok(b, sizeof(b), &info);
	assert_int_equal(info.l3, SBGW_L3_ARP);
	assert_memory_equal(b, BCAST_MAC, 6);
	assert_memory_equal(b + 6, GW_MAC, 6);
	assert_int_equal(get16(a + 6), 1);
	assert_memory_equal(a + 8, GW_MAC, 6);
	assert_memory_equal(a + 14, GW4, 4);
	assert_memory_equal(a + 18, zero6, 6);
	assert_memory_equal(a + 24, GUEST4, 4);
}

static void arp_learn_from_reply_stores_sender_mac(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t mac[6] = {0};

	(void)state;
	arp_frame(&f, 2, GUEST_MAC, GUEST4, GW4);
	parse_ok(f.b, f.len, &info);
	assert_true(sbgw_link_arp_learn(f.b, &info, GUEST4, mac));
	assert_memory_equal(mac, GUEST_MAC, 6);
}

static void arp_learn_from_request_stores_sender_mac(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t mac[6] = {0};

	(void)state;
	arp_frame(&f, 1, GUEST_MAC, GUEST4, OTHER4);
	parse_ok(f.b, f.len, &info);
	assert_true(sbgw_link_arp_learn(f.b, &info, GUEST4, mac));
	assert_memory_equal(mac, GUEST_MAC, 6);
}

static void arp_learn_other_sender_is_false(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t mac[6] = {0};

	(void)state;
	arp_frame(&f, 2, OTHER_MAC, OTHER4, GW4);
	parse_ok(f.b, f.len, &info);
	assert_false(sbgw_link_arp_learn(f.b, &info, GUEST4, mac));
}

/* ---- Neighbour discovery ------------------------------------------------ */

static uint8_t *ipv6_frame(struct frame *f, const uint8_t *dmac, const uint8_t *smac,
			   const uint8_t *src, const uint8_t *dst, uint16_t payload)
{
	uint8_t *ip;

	memset(f, 0, sizeof(*f));
	ip = f->b + 14;
	memcpy(f->b, dmac, 6);
	memcpy(f->b + 6, smac, 6);
	put16(f->b + 12, 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, payload);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	f->len = 14 + 40 + payload;
	return ip + 40;
}

static void fix_icmp6(struct frame *f)
{
	const uint8_t *ip = f->b + 14;

	set_icmp6_csum(ip, f->b + 54, get16(ip + 4));
}

/* NS from the guest (src ::: no source link-layer option) for target. */
static void ns_frame(struct frame *f, const uint8_t *src, const uint8_t *dst, const uint8_t *target)
{
	static const uint8_t mcast[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
	bool dad = memcmp(src, UNSPEC6, 16) == 0;
	uint8_t *ns = ipv6_frame(f, mcast, GUEST_MAC, src, dst, dad ? 24 : 32);

	ns[0] = 135;
	memcpy(ns + 8, target, 16);
	if (!dad) {
		ns[24] = 1;
		ns[25] = 1;
		memcpy(ns + 26, GUEST_MAC, 6);
	}
	fix_icmp6(f);
}

static void na_frame(struct frame *f, const uint8_t *target, const uint8_t *opt_mac)
{
	uint8_t *na = ipv6_frame(f, GW_MAC, GUEST_MAC, target, GW6, opt_mac ? 32 : 24);

	na[0] = 136;
	na[4] = 0x60;
	memcpy(na + 8, target, 16);
	if (opt_mac) {
		na[24] = 2;
		na[25] = 1;
		memcpy(na + 26, opt_mac, 6);
	}
	fix_icmp6(f);
}

/* Check an NA from GW_MAC for target to (dmac, dst), and return its flags. */
static uint8_t check_na(const uint8_t *b, uint32_t len, const uint8_t *target, const uint8_t *dmac,
			const uint8_t *dst)
{
	struct sbgw_pkt_info info;
	const uint8_t *na;

	assert_int_equal(len, SBGW_LINK_NA_LEN);
	parse_ok(b, len, &info);
	assert_int_equal(info.l3, SBGW_L3_IPV6);
	assert_int_equal(info.proto, IPPROTO_ICMPV6);
	assert_int_equal(info.icmp_type, 136);
	assert_int_equal(info.icmp_code, 0);
	assert_int_equal(info.l4_off, 54);
	assert_int_equal(info.l4_len, 32);
	assert_memory_equal(b, dmac, 6);
	assert_memory_equal(b + 6, GW_MAC, 6);
	assert_int_equal(b[14 + 7], 255);
	assert_memory_equal(b + 14 + 8, target, 16);
	assert_memory_equal(b + 14 + 24, dst, 16);
	na = b + info.l4_off;
	assert_memory_equal(na + 8, target, 16);
	assert_int_equal(na[24], 2); /* target link-layer address */
	assert_int_equal(na[25], 1);
	assert_memory_equal(na + 26, GW_MAC, 6);
	assert_true(icmp6_csum_ok(b, &info));
	assert_int_equal(na[4] & 0x1f, 0);
	assert_int_equal(na[5] | na[6] | na[7], 0);
	return na[4];
}

static void nd_solicit_for_gateway_gets_advert(void **state)
{
	const uint8_t addrs[2][16] = {
		{0xfd, 0x42, 0x6d, 0x73, 0x00, 0x62, [15] = 1},
		{0xfe, 0x80, [9] = 0x6d, 0x73, 0xff, 0xfe, 0x00, 0x00, 0x01},
	};
	struct sbgw_pkt_info info;
	struct frame f;
	uint32_t n;

	(void)state;
	ns_frame(&f, GUEST6, GW6_GROUP, GW6);
	parse_ok(f.b, f.len, &info);
	n = sbgw_link_nd_reply(f.b, f.len, &info, GW_MAC, addrs, 2, true);
	/* router, solicited, override */
	assert_int_equal(check_na(f.b, n, GW6, GUEST_MAC, GUEST6), 0xe0);
}

static void nd_solicit_for_link_local_gets_advert(void **state)
{
	const uint8_t addrs[2][16] = {
		{0xfd, 0x42, 0x6d, 0x73, 0x00, 0x62, [15] = 1},
		{0xfe, 0x80, [9] = 0x6d, 0x73, 0xff, 0xfe, 0x00, 0x00, 0x01},
	};
	struct sbgw_pkt_info info;
	struct frame f;
	uint32_t n;

	(void)state;
	ns_frame(&f, GUEST6, GW6_GROUP, GW6_LL);
	parse_ok(f.b, f.len, &info);
	n = sbgw_link_nd_reply(f.b, f.len, &info, GW_MAC, addrs, 2, false);
	/* solicited, override; no router flag when not asked for */
	assert_int_equal(check_na(f.b, n, GW6_LL, GUEST_MAC, GUEST6), 0x60);
}

static void nd_solicit_with_hop_limit_64_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ns_frame(&f, GUEST6, GW6_GROUP, GW6);
	f.b[14 + 7] = 64; /* not in the pseudo-header: the checksum still holds */
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_nd_reply(f.b, f.len, &info, GW_MAC, &GW6, 1, true), 0);
}

static void nd_solicit_for_other_target_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ns_frame(&f, GUEST6, GW6_GROUP, OTHER6);
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_nd_reply(f.b, f.len, &info, GW_MAC, &GW6, 1, true), 0);
}

static void nd_solicit_bad_checksum_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ns_frame(&f, GUEST6, GW6_GROUP, GW6);
	f.b[54 + 2] ^= 0x01;
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_nd_reply(f.b, f.len, &info, GW_MAC, &GW6, 1, true), 0);
}

static void nd_dad_solicit_gets_advert_to_all_nodes(void **state)
{
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *c;
	uint32_t n;

	(void)state;
	ns_frame(&f, UNSPEC6, GW6_GROUP, GW6);
	assert_int_equal(f.len, 78);
	/* The 78-byte request in a buffer with exactly the promised room. */
	c = exact_copy(f.b, f.len, SBGW_LINK_NA_LEN);
	parse_ok(c, f.len, &info);
	n = sbgw_link_nd_reply(c, f.len, &info, GW_MAC, &GW6, 1, true);
	/* router and override, not solicited: nobody asked by name */
	assert_int_equal(check_na(c, n, GW6, all_nodes_mac, ALL_NODES6), 0xa0);
	free(c);
}

static void nd_dad_solicit_not_to_solicited_node_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ns_frame(&f, UNSPEC6, GW6, GW6);
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_nd_reply(f.b, f.len, &info, GW_MAC, &GW6, 1, true), 0);
}

static void nd_solicit_after_hop_by_hop_header_gets_advert(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *hbh, *ns;
	uint32_t n;

	(void)state;
	hbh = ipv6_frame(&f, GW_MAC, GUEST_MAC, GUEST6, GW6, 8 + 32);
	f.b[14 + 6] = 0; /* hop-by-hop */
	hbh[0] = IPPROTO_ICMPV6;
	hbh[2] = 1; /* PadN over the remaining four bytes */
	hbh[3] = 4;
	ns = hbh + 8;
	ns[0] = 135;
	memcpy(ns + 8, GW6, 16);
	ns[24] = 1;
	ns[25] = 1;
	memcpy(ns + 26, GUEST_MAC, 6);
	set_icmp6_csum(f.b + 14, ns, 32);
	parse_ok(f.b, f.len, &info);
	assert_int_equal(info.l4_off, 62);
	n = sbgw_link_nd_reply(f.b, f.len, &info, GW_MAC, &GW6, 1, true);
	assert_int_equal(check_na(f.b, n, GW6, GUEST_MAC, GUEST6), 0xe0);
}

static void nd_solicit_shorter_than_target_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *c;

	(void)state;
	ns_frame(&f, GUEST6, GW6_GROUP, GW6);
	/* 16 bytes of ICMPv6: the target is cut in half */
	put16(f.b + 14 + 4, 16);
	f.len = 14 + 40 + 16;
	fix_icmp6(&f);
	c = exact_copy(f.b, f.len, 0);
	parse_ok(c, f.len, &info);
	assert_int_equal(sbgw_link_nd_reply(c, f.len, &info, GW_MAC, &GW6, 1, true), 0);
	free(c);
}

static void nd_solicit_option_past_end_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *c;

	(void)state;
	ns_frame(&f, GUEST6, GW6_GROUP, GW6);
	f.b[54 + 25] = 2; /* claims 16 bytes, 8 are there */
	fix_icmp6(&f);
	c = exact_copy(f.b, f.len, 0);
	parse_ok(c, f.len, &info);
	assert_int_equal(sbgw_link_nd_reply(c, f.len, &info, GW_MAC, &GW6, 1, true), 0);
	free(c);
}

static void nd_solicit_from_multicast_source_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ns_frame(&f, ALL_NODES6, GW6_GROUP, GW6);
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_nd_reply(f.b, f.len, &info, GW_MAC, &GW6, 1, true), 0);
}

static void nd_solicit_zero_length_option_is_ignored(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ns_frame(&f, GUEST6, GW6_GROUP, GW6);
	f.b[54 + 25] = 0; /* RFC 4861 §4.6: never valid, would loop forever */
	fix_icmp6(&f);
	parse_ok(f.b, f.len, &info);
	assert_int_equal(sbgw_link_nd_reply(f.b, f.len, &info, GW_MAC, &GW6, 1, true), 0);
}

static void nd_solicit_builder_targets_solicited_node(void **state)
{
	static const uint8_t group[16] = {0xff, 0x02, [11] = 0x01, 0xff, 0x00, 0x00, 0x02};
	static const uint8_t mcast[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x02};
	struct sbgw_pkt_info info;
	uint8_t b[SBGW_LINK_NS_LEN];
	const uint8_t *ns = b + 54;

	(void)state;
	assert_int_equal(sbgw_link_nd_solicit(b, GW_MAC, GW6, GUEST6), SBGW_LINK_NS_LEN);
	parse_ok(b, sizeof(b), &info);
	assert_int_equal(info.proto, IPPROTO_ICMPV6);
	assert_int_equal(info.icmp_type, 135);
	assert_int_equal(info.icmp_code, 0);
	assert_memory_equal(b, mcast, 6);
	assert_memory_equal(b + 6, GW_MAC, 6);
	assert_int_equal(b[14 + 7], 255);
	assert_memory_equal(b + 14 + 8, GW6, 16);
	assert_memory_equal(b + 14 + 24, group, 16);
	assert_memory_equal(ns + 8, GUEST6, 16);
	assert_int_equal(ns[24], 1); /* source link-layer address */
	assert_int_equal(ns[25], 1);
	assert_memory_equal(ns + 26, GW_MAC, 6);
	assert_true(icmp6_csum_ok(b, &info));
}

/* The gateway solicits, the guest (played by nd_reply) answers, we learn. */
static void nd_learn_takes_target_link_layer_option(void **state)
{
	struct sbgw_pkt_info info;
	uint8_t b[SBGW_LINK_NA_LEN], mac[6] = {0};
	uint32_t n;

	(void)state;
	n = sbgw_link_nd_solicit(b, GW_MAC, GW6, GUEST6);
	parse_ok(b, n, &info);
	n = sbgw_link_nd_reply(b, n, &info, GUEST_MAC, &GUEST6, 1, false);
	assert_int_equal(n, SBGW_LINK_NA_LEN);
	parse_ok(b, n, &info);
	assert_memory_equal(b + 14 + 24, GW6, 16);
	assert_true(sbgw_link_nd_learn(b, &info, GUEST6, mac));
	assert_memory_equal(mac, GUEST_MAC, 6);
}

static void nd_learn_option_wins_over_ethernet_source(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t mac[6] = {0};

	(void)state;
	na_frame(&f, GUEST6, OTHER_MAC);
	parse_ok(f.b, f.len, &info);
	assert_true(sbgw_link_nd_learn(f.b, &info, GUEST6, mac));
	assert_memory_equal(mac, OTHER_MAC, 6);
}

static void nd_learn_without_option_uses_ethernet_source(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t mac[6] = {0};

	(void)state;
	na_frame(&f, GUEST6, NULL);
	parse_ok(f.b, f.len, &info);
	assert_true(sbgw_link_nd_learn(f.b, &info, GUEST6, mac));
	assert_memory_equal(mac, GUEST_MAC, 6);
}

static void nd_learn_other_target_is_false(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t mac[6] = {0};

	(void)state;
	na_frame(&f, OTHER6, GUEST_MAC);
	parse_ok(f.b, f.len, &info);
	assert_false(sbgw_link_nd_learn(f.b, &info, GUEST6, mac));
}

static void nd_learn_forwarded_advert_is_false(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t mac[6] = {0};

	(void)state;
	na_frame(&f, GUEST6, GUEST_MAC);
	f.b[14 + 7] = 254;
	parse_ok(f.b, f.len, &info);
	assert_false(sbgw_link_nd_learn(f.b, &info, GUEST6, mac));
}

/* ---- Router advertisement ----------------------------------------------- */

/* The option of type in an RA's option list, or NULL. */
static const uint8_t *ra_option(const uint8_t *opt, uint32_t len, uint8_t type)
{
	while (len >= 2 && opt[1] != 0 && opt[1] * 8u <= len) {
		if (opt[0] == type)
			return opt;
		len -= opt[1] * 8u;
		opt += opt[1] * 8u;
	}
	return NULL;
}

static void ra_advertises_prefix_mtu_rdnss_and_source(void **state)
{
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	static const uint8_t prefix[16] = {0xfd, 0x42, 0x6d, 0x73, 0x00, 0x62};
	struct sbgw_link_params p = params();
	struct sbgw_pkt_info info;
	uint8_t b[SBGW_LINK_RA_ROOM];
	const uint8_t *ra, *o;
	uint32_t n, olen;

	(void)state;
	n = sbgw_link_build_ra(b, &p);
	assert_int_equal(n, 14 + 40 + 16 + 8 + 8 + 32 + 24);
	parse_ok(b, n, &info);
	assert_int_equal(info.proto, IPPROTO_ICMPV6);
	assert_int_equal(info.icmp_type, 134);
	assert_int_equal(info.icmp_code, 0);
	assert_true(icmp6_csum_ok(b, &info));
	assert_memory_equal(b, all_nodes_mac, 6);
	assert_memory_equal(b + 6, GW_MAC, 6);
	assert_int_equal(b[14 + 7], 255);
	assert_memory_equal(b + 14 + 8, GW6_LL, 16);
	assert_memory_equal(b + 14 + 24, ALL_NODES6, 16);

	ra = b + info.l4_off;
	assert_int_equal(ra[4], 64);           /* cur hop limit */
	assert_int_equal(ra[5], 0);            /* neither M nor O */
	assert_int_equal(get16(ra + 6), 1800); /* default router lifetime */
	assert_int_equal(get32(ra + 8), 0);
	assert_int_equal(get32(ra + 12), 0);

	olen = info.l4_len - 16;
	o = ra_option(ra + 16, olen, 1);
	assert_non_null(o);
	assert_int_equal(o[1], 1);
	assert_memory_equal(o + 2, GW_MAC, 6);

	o = ra_option(ra + 16, olen, 5);
	assert_non_null(o);
	assert_int_equal(o[1], 1);
	assert_int_equal(get32(o + 4), 1500);

	o = ra_option(ra + 16, olen, 3);
	assert_non_null(o);
	assert_int_equal(o[1], 4);
	assert_int_equal(o[2], 64);
	assert_int_equal(o[3], 0xc0); /* on-link, autonomous */
	assert_int_equal(get32(o + 4), 86400);
	assert_int_equal(get32(o + 8), 14400);
	assert_memory_equal(o + 16, prefix, 16);

	o = ra_option(ra + 16, olen, 25);
	assert_non_null(o);
	assert_int_equal(o[1], 3);
	assert_int_equal(get32(o + 4), 1800);
	assert_memory_equal(o + 8, GW6, 16);
}

static void ra_lifetime_from_params_is_used(void **state)
{
	struct sbgw_link_params p = params();
	struct sbgw_pkt_info info;
	uint8_t b[SBGW_LINK_RA_ROOM];
	uint32_t n;

	(void)state;
	p.ra_lifetime = 600;
	n = sbgw_link_build_ra(b, &p);
	parse_ok(b, n, &info);
	assert_int_equal(get16(b + info.l4_off + 6), 600);
	assert_true(icmp6_csum_ok(b, &info));
}

static void ra_without_ipv6_is_not_built(void **state)
{
	struct sbgw_link_params p = params();
	uint8_t b[SBGW_LINK_RA_ROOM];

	(void)state;
	p.v6 = false;
	assert_int_equal(sbgw_link_build_ra(b, &p), 0);
}

/* ---- DHCPv4 ------------------------------------------------------------- */

#define BOOTP 42 /* offset of the BOOTP message in our frames */

static void dhcp_fix(struct frame *f)
{
	uint8_t *ip = f->b + 14, *udp = f->b + 34;

	put16(ip + 2, (uint16_t)(f->len - 14));
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~fold16(sum_be(0, ip, 20)));
	put16(udp + 4, (uint16_t)(f->len - 34));
	put16(udp + 6, 0);
	put16(udp + 6, (uint16_t)~fold16(sum_be(udp4_pseudo(ip, f->len - 34), udp, f->len - 34)));
}

static void dhcp_frame(struct frame *f, const uint8_t *opts, size_t optlen)
{
	uint8_t *ip, *udp, *m;

	memset(f, 0, sizeof(*f));
	ip = f->b + 14;
	udp = f->b + 34;
	m = f->b + BOOTP;
	memcpy(f->b, BCAST_MAC, 6);
	memcpy(f->b + 6, GUEST_MAC, 6);
	put16(f->b + 12, 0x0800);
	ip[0] = 0x45;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memset(ip + 16, 0xff, 4);
	put16(udp, 68);
	put16(udp + 2, 67);
	m[0] = 1;
	m[1] = 1;
	m[2] = 6;
	put32(m + 4, XID);
	memcpy(m + 28, GUEST_MAC, 6);
	memcpy(m + 236, "\x63\x82\x53\x63", 4);
	memcpy(m + 240, opts, optlen);
	f->len = (uint32_t)(BOOTP + 240 + optlen);
	dhcp_fix(f);
}

static const uint8_t DISCOVER[] = "\x35\x01\x01"                 /* DISCOVER */
				  "\x37\x05\x01\x03\x06\x1a\x33" /* parameter list */
				  "\x0c\x03vm1"                  /* host name */
				  "\xff";
#define REQUEST_OPTS(addr)                         \
	"\x35\x01\x03"                             \
	"\x32\x04" addr "\x36\x04\xac\x10\x00\x01" \
	"\xff"

struct reply {
	uint8_t b[SBGW_LINK_DHCP_ROOM];
	uint32_t len;
	struct sbgw_pkt_info info;
	const uint8_t *msg;
	uint32_t mlen;
};

static uint32_t dhcp_answer(const struct frame *f, const struct sbgw_link_params *p,
			    struct reply *r)
{
	struct sbgw_pkt_info info;
	uint8_t *c = exact_copy(f->b, f->len, 0);

	memset(r, 0, sizeof(*r));
	parse_ok(c, f->len, &info);
	r->len = sbgw_link_dhcp_reply(c, f->len, &info, p, r->b);
	free(c);
	return r->len;
}

/* A reply that real stacks will take: headers, checksums, BOOTP basics. */
static void check_reply(struct reply *r, const uint8_t *dmac, const uint8_t *dst)
{
	const uint8_t *ip = r->b + 14;

	assert_true(r->len > 0 && r->len <= SBGW_LINK_DHCP_ROOM);
	parse_ok(r->b, r->len, &r->info);
	assert_int_equal(r->info.l3, SBGW_L3_IPV4);
	assert_int_equal(r->info.proto, IPPROTO_UDP);
	assert_int_equal(r->info.sport, 67);
	assert_int_equal(r->info.dport, 68);
	assert_true(ipv4_csum_ok(ip));
	assert_true(udp4_csum_ok(r->b, &r->info));
	assert_memory_equal(r->b, dmac, 6);
	assert_memory_equal(r->b + 6, GW_MAC, 6);
	assert_memory_equal(ip + 12, GW4, 4);
	assert_memory_equal(ip + 16, dst, 4);
	r->msg = r->b + r->info.payload_off;
	r->mlen = r->len - r->info.payload_off;
	assert_true(r->mlen >= 300);
	assert_int_equal(r->msg[0], 2);
	assert_int_equal(r->msg[1], 1);
	assert_int_equal(r->msg[2], 6);
	assert_int_equal(get32(r->msg + 4), XID);
	assert_int_equal(get32(r->msg + 20), 0); /* siaddr */
	assert_memory_equal(r->msg + 28, GUEST_MAC, 6);
	assert_memory_equal(r->msg + 236, "\x63\x82\x53\x63", 4);
}

/* The value of option code in a reply, asserting it has len bytes; NULL if absent. */
static const uint8_t *reply_option(const struct reply *r, uint8_t code, uint8_t len)
{
	const uint8_t *o = r->msg + 240, *end = r->msg + r->mlen;

	while (o < end && *o != 255) {
		if (*o == 0) {
			o++;
			continue;
		}
		assert_true(o + 2 <= end && o + 2 + o[1] <= end);
		if (*o == code) {
			assert_int_equal(o[1], len);
			return o + 2;
		}
		o += 2 + o[1];
	}
	assert_true(o < end); /* the list has its END */
	return NULL;
}

static void dhcp_discover_gets_offer_with_all_options(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, DISCOVER, sizeof(DISCOVER) - 1);
	assert_true(dhcp_answer(&f, &p, &r) > 0);
	check_reply(&r, GUEST_MAC, GUEST4);
	assert_int_equal(get16(r.msg + 10), 0);
	assert_int_equal(get32(r.msg + 12), 0); /* ciaddr */
	assert_memory_equal(r.msg + 16, GUEST4, 4);
	assert_int_equal(*reply_option(&r, 53, 1), 2);
	assert_memory_equal(reply_option(&r, 54, 4), GW4, 4);
	assert_int_equal(get32(reply_option(&r, 51, 4)), 86400);
	assert_int_equal(get32(reply_option(&r, 58, 4)), 43200);
	assert_int_equal(get32(reply_option(&r, 59, 4)), 75600);
	assert_memory_equal(reply_option(&r, 1, 4), "\xff\xff\xff\xfc", 4);
	assert_memory_equal(reply_option(&r, 3, 4), GW4, 4);
	assert_memory_equal(reply_option(&r, 6, 4), GW4, 4);
	assert_int_equal(get16(reply_option(&r, 26, 2)), 1500);
}

static void dhcp_discover_with_broadcast_flag_gets_broadcast_offer(void **state)
{
	static const uint8_t bcast4[4] = {255, 255, 255, 255};
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, DISCOVER, sizeof(DISCOVER) - 1);
	f.b[BOOTP + 10] = 0x80;
	dhcp_fix(&f);
	assert_true(dhcp_answer(&f, &p, &r) > 0);
	check_reply(&r, BCAST_MAC, bcast4);
	assert_int_equal(get16(r.msg + 10), 0x8000);
	assert_memory_equal(r.msg + 16, GUEST4, 4);
	assert_int_equal(*reply_option(&r, 53, 1), 2);
}

static void dhcp_request_for_our_address_gets_ack(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS(REQUEST_OPTS("\xac\x10\x00\x02")));
	assert_true(dhcp_answer(&f, &p, &r) > 0);
	check_reply(&r, GUEST_MAC, GUEST4);
	assert_memory_equal(r.msg + 16, GUEST4, 4);
	assert_int_equal(*reply_option(&r, 53, 1), 5);
	assert_memory_equal(reply_option(&r, 54, 4), GW4, 4);
	assert_int_equal(get32(reply_option(&r, 51, 4)), 86400);
	assert_memory_equal(reply_option(&r, 1, 4), "\xff\xff\xff\xfc", 4);
}

/* RENEWING: no option 50, the address in ciaddr, ciaddr echoed. */
static void dhcp_renewal_with_our_ciaddr_gets_ack(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS("\x35\x01\x03\xff"));
	memcpy(f.b + BOOTP + 12, GUEST4, 4);
	dhcp_fix(&f);
	assert_true(dhcp_answer(&f, &p, &r) > 0);
	check_reply(&r, GUEST_MAC, GUEST4);
	assert_int_equal(*reply_option(&r, 53, 1), 5);
	assert_memory_equal(r.msg + 12, GUEST4, 4);
	assert_memory_equal(r.msg + 16, GUEST4, 4);
}

static void dhcp_request_for_other_address_gets_nak(void **state)
{
	static const uint8_t bcast4[4] = {255, 255, 255, 255};
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS(REQUEST_OPTS("\xac\x10\x00\x09")));
	assert_true(dhcp_answer(&f, &p, &r) > 0);
	check_reply(&r, BCAST_MAC, bcast4);
	assert_int_equal(*reply_option(&r, 53, 1), 6);
	assert_memory_equal(reply_option(&r, 54, 4), GW4, 4);
	/* RFC 2131 table 3: no address, no lease, no parameters in a NAK */
	assert_int_equal(get32(r.msg + 16), 0);
	assert_null(reply_option(&r, 51, 4));
	assert_null(reply_option(&r, 1, 4));
	assert_null(reply_option(&r, 3, 4));
}

static void dhcp_request_naming_other_server_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS("\x35\x01\x03"
			    "\x32\x04\xac\x10\x00\x02"
			    "\x36\x04\x0a\x00\x00\x01"
			    "\xff"));
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

/* RFC 2131 §4.3.5: an ACK with the configuration, no address offered, no lease. */
static void dhcp_inform_gets_ack_without_lease(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS("\x35\x01\x08\xff"));
	memcpy(f.b + BOOTP + 12, GUEST4, 4);
	dhcp_fix(&f);
	assert_true(dhcp_answer(&f, &p, &r) > 0);
	check_reply(&r, GUEST_MAC, GUEST4);
	assert_int_equal(*reply_option(&r, 53, 1), 5);
	assert_memory_equal(r.msg + 12, GUEST4, 4); /* ciaddr echoed */
	assert_int_equal(get32(r.msg + 16), 0);      /* no yiaddr */
	assert_null(reply_option(&r, 51, 4));
	assert_null(reply_option(&r, 58, 4));
	assert_memory_equal(reply_option(&r, 1, 4), "\xff\xff\xff\xfc", 4);
	assert_memory_equal(reply_option(&r, 3, 4), GW4, 4);
	assert_memory_equal(reply_option(&r, 6, 4), GW4, 4);
}

static void dhcp_inform_from_another_address_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS("\x35\x01\x08\xff"));
	memcpy(f.b + BOOTP + 12, "\xac\x10\x00\x09", 4);
	dhcp_fix(&f);
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

static void dhcp_release_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS("\x35\x01\x07\x36\x04\xac\x10\x00\x01\xff"));
	memcpy(f.b + BOOTP + 12, GUEST4, 4);
	dhcp_fix(&f);
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

static void dhcp_bootp_without_message_type_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS("\xff"));
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

static void dhcp_lease_from_params_sets_renewal_times(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	p.lease_seconds = 3600;
	p.mtu = 9000;
	dhcp_frame(&f, DISCOVER, sizeof(DISCOVER) - 1);
	assert_true(dhcp_answer(&f, &p, &r) > 0);
	check_reply(&r, GUEST_MAC, GUEST4);
	assert_int_equal(get32(reply_option(&r, 51, 4)), 3600);
	assert_int_equal(get32(reply_option(&r, 58, 4)), 1800);
	assert_int_equal(get32(reply_option(&r, 59, 4)), 3150);
	assert_int_equal(get16(reply_option(&r, 26, 2)), 9000);
}

static void dhcp_foreign_chaddr_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, DISCOVER, sizeof(DISCOVER) - 1);
	memcpy(f.b + BOOTP + 28, OTHER_MAC, 6);
	dhcp_fix(&f);
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

static void dhcp_without_ipv4_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	p.v4 = false;
	dhcp_frame(&f, DISCOVER, sizeof(DISCOVER) - 1);
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

static void dhcp_pad_options_are_skipped(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS("\x00\x00\x35\x01\x01\x00\xff"));
	assert_true(dhcp_answer(&f, &p, &r) > 0);
	check_reply(&r, GUEST_MAC, GUEST4);
	assert_int_equal(*reply_option(&r, 53, 1), 2);
}

static void dhcp_message_type_of_wrong_length_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS("\x35\x02\x01\x01\xff"));
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

static void dhcp_option_past_end_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	/* message type, then a host name that claims 40 bytes and has 3 */
	dhcp_frame(&f, OPTS("\x35\x01\x01\x0c\x28vm1"));
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

static void dhcp_option_header_at_end_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	/* the last byte is a code without its length */
	dhcp_frame(&f, OPTS("\x35\x01\x01\x0c"));
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

static void dhcp_missing_end_option_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f;

	(void)state;
	dhcp_frame(&f, OPTS("\x35\x01\x01"));
	assert_int_equal(dhcp_answer(&f, &p, &r), 0);
}

/* Every cut of a DISCOVER, with IP and UDP lengths and checksums that agree. */
static void dhcp_every_truncated_message_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct reply r;
	struct frame f, cut;

	(void)state;
	dhcp_frame(&f, DISCOVER, sizeof(DISCOVER) - 1);
	for (uint32_t len = BOOTP; len < f.len; len++) {
		cut = f;
		cut.len = len;
		dhcp_fix(&cut);
		assert_int_equal(dhcp_answer(&cut, &p, &r), 0);
	}
}

/* The lengths parse saw are not trusted past the len we are given. */
static void dhcp_frame_shorter_than_parsed_lengths_is_ignored(void **state)
{
	struct sbgw_link_params p = params();
	struct sbgw_pkt_info info;
	uint8_t out[SBGW_LINK_DHCP_ROOM];
	struct frame f;

	(void)state;
	dhcp_frame(&f, DISCOVER, sizeof(DISCOVER) - 1);
	parse_ok(f.b, f.len, &info);
	for (uint32_t len = 0; len < f.len; len += 7) {
		uint8_t *c = exact_copy(f.b, len, 1);

		assert_int_equal(sbgw_link_dhcp_reply(c, len, &info, &p, out), 0);
		free(c);
	}
}

/* ---- Everything at once ------------------------------------------------- */

static void link_local_from_mac_flips_universal_bit(void **state)
{
	uint8_t ll[16];

	(void)state;
	sbgw_link_local_from_mac(GW_MAC, ll);
	assert_memory_equal(ll, GW6_LL, 16);
}

/*
 * Random corruption and truncation of every kind of request, half of them
 * with lengths and checksums repaired so that they reach the link code.
 * Each call gets a buffer of the frame's exact size (the NA builder the
 * room its contract promises), and every answer must parse.
 */
static void link_random_corruption_never_reads_past_frame(void **state)
{
	struct sbgw_link_params p = params();
	unsigned int seed = 42;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct sbgw_pkt_info info;
		uint8_t out[SBGW_LINK_DHCP_ROOM], mac[6];
		struct frame f;
		uint32_t len, n;
		uint8_t *c;

		switch (i % 5) {
		case 0:
			arp_frame(&f, 1, GUEST_MAC, GUEST4, GW4);
			break;
		case 1:
			ns_frame(&f, GUEST6, GW6_GROUP, GW6);
			break;
		case 2:
			na_frame(&f, GUEST6, GUEST_MAC);
			break;
		case 3:
			dhcp_frame(&f, DISCOVER, sizeof(DISCOVER) - 1);
			break;
		default:
			dhcp_frame(&f, OPTS(REQUEST_OPTS("\xac\x10\x00\x02")));
			break;
		}
		for (int k = rand_r(&seed) % 4; k >= 0; k--) {
			uint32_t at = (uint32_t)rand_r(&seed) % f.len;

			/* Half of them past the fixed headers, where the link code reads. */
			if (rand_r(&seed) % 2)
				at = 54 + (uint32_t)rand_r(&seed) % (f.len - 54);

			f.b[at] = (uint8_t)rand_r(&seed);
		}
		len = (uint32_t)rand_r(&seed) % (f.len + 1);
		if (rand_r(&seed) % 2 && len >= 54) {
			f.len = len;
			if (i % 5 >= 3) {
				dhcp_fix(&f);
			} else if (i % 5 != 0) {
				put16(f.b + 14 + 4, (uint16_t)(len - 54));
				fix_icmp6(&f);
			}
		}
		c = exact_copy(f.b, len, 0);
		if (sbgw_parse_frame(c, len, true, &info) != SBGW_DROP_NONE) {
			free(c);
			continue;
		}
		(void)sbgw_link_arp_learn(c, &info, GUEST4, mac);
		(void)sbgw_link_nd_learn(c, &info, GUEST6, mac);
		n = sbgw_link_dhcp_reply(c, len, &info, &p, out);
		if (n > 0) {
			assert_true(n <= sizeof(out));
			parse_ok(out, n, &info);
			parse_ok(c, len, &info);
		}
		n = sbgw_link_arp_reply(c, len, &info, GW_MAC, GW4);
		assert_true(n <= len);
		free(c);
		c = exact_copy(f.b, len, SBGW_LINK_NA_LEN);
		parse_ok(c, len, &info);
		n = sbgw_link_nd_reply(c, len, &info, GW_MAC, &GW6, 1, true);
		if (n > 0) {
			assert_int_equal(n, SBGW_LINK_NA_LEN);
			parse_ok(c, n, &info);
			assert_true(icmp6_csum_ok(c, &info));
		}
		free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arp_request_for_us_gets_reply),
		cmocka_unit_test(arp_request_for_other_ip_is_ignored),
		cmocka_unit_test(arp_gratuitous_request_is_ignored),
		cmocka_unit_test(arp_reply_is_not_answered),
		cmocka_unit_test(arp_request_from_group_mac_is_ignored),
		cmocka_unit_test(arp_probe_for_us_gets_reply),
		cmocka_unit_test(arp_request_past_frame_end_is_ignored),
		cmocka_unit_test(arp_request_builder_is_broadcast_request),
		cmocka_unit_test(arp_learn_from_reply_stores_sender_mac),
		cmocka_unit_test(arp_learn_from_request_stores_sender_mac),
		cmocka_unit_test(arp_learn_other_sender_is_false),
		cmocka_unit_test(nd_solicit_for_gateway_gets_advert),
		cmocka_unit_test(nd_solicit_for_link_local_gets_advert),
		cmocka_unit_test(nd_solicit_with_hop_limit_64_is_ignored),
		cmocka_unit_test(nd_solicit_for_other_target_is_ignored),
		cmocka_unit_test(nd_solicit_bad_checksum_is_ignored),
		cmocka_unit_test(nd_dad_solicit_gets_advert_to_all_nodes),
		cmocka_unit_test(nd_dad_solicit_not_to_solicited_node_is_ignored),
		cmocka_unit_test(nd_solicit_after_hop_by_hop_header_gets_advert),
		cmocka_unit_test(nd_solicit_shorter_than_target_is_ignored),
		cmocka_unit_test(nd_solicit_option_past_end_is_ignored),
		cmocka_unit_test(nd_solicit_from_multicast_source_is_ignored),
		cmocka_unit_test(nd_solicit_zero_length_option_is_ignored),
		cmocka_unit_test(nd_solicit_builder_targets_solicited_node),
		cmocka_unit_test(nd_learn_takes_target_link_layer_option),
		cmocka_unit_test(nd_learn_option_wins_over_ethernet_source),
		cmocka_unit_test(nd_learn_without_option_uses_ethernet_source),
		cmocka_unit_test(nd_learn_other_target_is_false),
		cmocka_unit_test(nd_learn_forwarded_advert_is_false),
		cmocka_unit_test(ra_advertises_prefix_mtu_rdnss_and_source),
		cmocka_unit_test(ra_lifetime_from_params_is_used),
		cmocka_unit_test(ra_without_ipv6_is_not_built),
		cmocka_unit_test(dhcp_discover_gets_offer_with_all_options),
		cmocka_unit_test(dhcp_discover_with_broadcast_flag_gets_broadcast_offer),
		cmocka_unit_test(dhcp_request_for_our_address_gets_ack),
		cmocka_unit_test(dhcp_renewal_with_our_ciaddr_gets_ack),
		cmocka_unit_test(dhcp_request_for_other_address_gets_nak),
		cmocka_unit_test(dhcp_request_naming_other_server_is_ignored),
		cmocka_unit_test(dhcp_inform_gets_ack_without_lease),
		cmocka_unit_test(dhcp_inform_from_another_address_is_ignored),
		cmocka_unit_test(dhcp_release_is_ignored),
		cmocka_unit_test(dhcp_bootp_without_message_type_is_ignored),
		cmocka_unit_test(dhcp_lease_from_params_sets_renewal_times),
		cmocka_unit_test(dhcp_foreign_chaddr_is_ignored),
		cmocka_unit_test(dhcp_without_ipv4_is_ignored),
		cmocka_unit_test(dhcp_pad_options_are_skipped),
		cmocka_unit_test(dhcp_message_type_of_wrong_length_is_ignored),
		cmocka_unit_test(dhcp_option_past_end_is_ignored),
		cmocka_unit_test(dhcp_option_header_at_end_is_ignored),
		cmocka_unit_test(dhcp_missing_end_option_is_ignored),
		cmocka_unit_test(dhcp_every_truncated_message_is_ignored),
		cmocka_unit_test(dhcp_frame_shorter_than_parsed_lengths_is_ignored),
		cmocka_unit_test(link_local_from_mac_flips_universal_bit),
		cmocka_unit_test(link_random_corruption_never_reads_past_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
