/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The parse stage against well-formed frames, each kind of malformed
 * frame, and every truncation and random corruption of valid frames (the
 * sanitizer build turns any read past the frame into a failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include <rte_ip.h>

#include "parse.h"

struct frame {
	uint8_t b[256];
	uint32_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* rte_raw_cksum sums in memory order, so the result is stored as is. */
static void set_csum(uint8_t *ip, size_t hlen)
{
	uint16_t c;

	put16(ip + 10, 0);
	c = (uint16_t)~rte_raw_cksum(ip, hlen);
	memcpy(ip + 10, &c, 2);
}

static void eth(struct frame *f, uint16_t type)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->b, "\x02\x6d\x73\x00\x00\x01\x02\x6d\x73\x00\x00\x02", 12);
	put16(f->b + 12, type);
	f->len = 14;
}

/* IPv4 header at 14 with l4len bytes of transport that the caller fills. */
static uint8_t *ipv4(struct frame *f, uint8_t proto, uint16_t l4len)
{
	uint8_t *ip = f->b + 14;

	eth(f, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, "\xac\x10\x00\x02\x01\x01\x01\x01", 8);
	set_csum(ip, 20);
	f->len = 14 + 20 + l4len;
	return ip + 20;
}

static void fix_ipv4_csum(struct frame *f)
{
	uint8_t *ip = f->b + 14;

	set_csum(ip, (size_t)(ip[0] & 0xf) * 4);
}

static void tcp_syn(struct frame *f)
{
	uint8_t *t = ipv4(f, IPPROTO_TCP, 20);

	put16(t, 40000);
	put16(t + 2, 443);
	t[12] = 5 << 4;
	t[13] = 0x02;
}

static uint8_t *ipv6(struct frame *f, uint8_t next, uint16_t payload)
{
	uint8_t *ip = f->b + 14;

	eth(f, 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, payload);
	ip[6] = next;
	ip[7] = 64;
	ip[23] = 2;
	ip[39] = 1;
	f->len = 14 + 40 + payload;
	return ip + 40;
}

static void parse_tcp_syn_describes_ports_and_flags(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	tcp_syn(&f);
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_NONE);
	assert_int_equal(info.l3, SBGW_L3_IPV4);
	assert_int_equal(info.proto, IPPROTO_TCP);
	assert_int_equal(info.sport, 40000);
	assert_int_equal(info.dport, 443);
	assert_int_equal(info.tcp_flags, 0x02);
	assert_int_equal(info.l4_off, 34);
	assert_int_equal(info.payload_off, 54);
	assert_false(info.fragment);
}

static void parse_udp_with_ethernet_padding_is_accepted(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *u = ipv4(&f, IPPROTO_UDP, 8);

	(void)state;
	put16(u, 5353);
	put16(u + 2, 53);
	put16(u + 4, 8);
	f.len = 60; /* padded to the Ethernet minimum */
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_NONE);
	assert_int_equal(info.l3_len, 28);
	assert_int_equal(info.l4_len, 8);
	assert_int_equal(info.dport, 53);
}

static void parse_udp_length_mismatch_is_bad_udp(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *u = ipv4(&f, IPPROTO_UDP, 12);

	(void)state;
	put16(u + 4, 40);
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_PARSE_BAD_UDP);
}

static void parse_ipv4_bad_checksum_is_named(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	tcp_syn(&f);
	f.b[14 + 10] ^= 0x55;
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_PARSE_IPV4_CSUM);
	/* A port that verified the checksum in hardware skips the check. */
	assert_int_equal(sbgw_parse_frame(f.b, f.len, false, &info), SBGW_DROP_NONE);
}

static void parse_ipv4_total_length_past_frame_is_bad(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	tcp_syn(&f);
	put16(f.b + 14 + 2, 200);
	fix_ipv4_csum(&f);
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_PARSE_BAD_IPV4);
}

static void parse_ipv4_short_ihl_is_bad(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	tcp_syn(&f);
	f.b[14] = 0x44;
	assert_int_equal(sbgw_parse_frame(f.b, f.len, false, &info), SBGW_DROP_PARSE_BAD_IPV4);
}

static void parse_ipv4_options_are_skipped(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *ip;

	(void)state;
	tcp_syn(&f);
	ip = f.b + 14;
	memmove(ip + 24, ip + 20, 20);
	memset(ip + 20, 1, 4); /* four NOP options */
	ip[0] = 0x46;
	put16(ip + 2, 44);
	fix_ipv4_csum(&f);
	f.len += 4;
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_NONE);
	assert_int_equal(info.l4_off, 38);
	assert_int_equal(info.dport, 443);
}

static void parse_tcp_data_offset_past_segment_is_bad(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	tcp_syn(&f);
	f.b[34 + 12] = 15 << 4;
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_PARSE_BAD_TCP);
}

static void parse_ipv4_later_fragment_has_no_ports(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ipv4(&f, IPPROTO_UDP, 3);
	put16(f.b + 14 + 6, 100); /* offset 800, no MF */
	fix_ipv4_csum(&f);
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_NONE);
	assert_true(info.fragment);
	assert_false(info.first_fragment);
	assert_int_equal(info.dport, 0);
}

static void parse_icmp_echo_uses_identifier_as_port(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *i = ipv4(&f, IPPROTO_ICMP, 16);

	(void)state;
	i[0] = 8;
	put16(i + 4, 0x1234);
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_NONE);
	assert_int_equal(info.icmp_type, 8);
	assert_int_equal(info.sport, 0x1234);
	assert_int_equal(info.dport, 0x1234);
}

static void parse_ipv6_udp_through_hop_by_hop_header(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *p = ipv6(&f, 0, 16);

	(void)state;
	p[0] = IPPROTO_UDP; /* hop-by-hop: next header, length 0 (8 bytes) */
	put16(p + 8, 1000);
	put16(p + 10, 53);
	put16(p + 12, 8);
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_NONE);
	assert_int_equal(info.l3, SBGW_L3_IPV6);
	assert_int_equal(info.proto, IPPROTO_UDP);
	assert_int_equal(info.l4_off, 14 + 40 + 8);
	assert_int_equal(info.dport, 53);
}

static void parse_ipv6_extension_chain_past_payload_is_bad(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *p = ipv6(&f, 60, 8);

	(void)state;
	p[0] = IPPROTO_TCP;
	p[1] = 4; /* claims 40 bytes in an 8-byte payload */
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_PARSE_BAD_IPV6);
}

static void parse_ipv6_long_extension_chain_is_refused(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *p = ipv6(&f, 60, 48);

	(void)state;
	for (int i = 0; i < 5; i++)
		p[i * 8] = 60;
	p[40] = IPPROTO_UDP;
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_PARSE_IPV6_EXT);
}

static void parse_unknown_ethertype_is_named(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	eth(&f, 0x88cc);
	f.len = 60;
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_PARSE_ETHERTYPE);
}

static void parse_arp_request_is_described(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *a;

	(void)state;
	eth(&f, 0x0806);
	a = f.b + 14;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	f.len = 42;
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_NONE);
	assert_int_equal(info.l3, SBGW_L3_ARP);
	a[5] = 16;
	assert_int_equal(sbgw_parse_frame(f.b, f.len, true, &info), SBGW_DROP_PARSE_BAD_ARP);
}

/* Every prefix of a valid frame either parses or is dropped with a reason. */
static void parse_every_truncation_is_dropped_or_consistent(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	tcp_syn(&f);
	for (uint32_t len = 0; len < f.len; len++) {
		uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */

		assert_non_null(copy);
		memcpy(copy, f.b, len);
		assert_int_not_equal(sbgw_parse_frame(copy, len, true, &info), SBGW_DROP_NONE);
		free(copy);
	}
}

static void parse_random_corruption_never_reads_past_frame(void **state)
{
	struct sbgw_pkt_info info;
	unsigned int seed = 12345;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		struct frame f;
		uint32_t len;
		uint8_t *copy;
		enum sbgw_drop d;

		switch (i % 3) {
		case 0:
			tcp_syn(&f);
			break;
		case 1:
			ipv6(&f, (uint8_t)(rand_r(&seed) % 64), 64);
			break;
		default:
			ipv4(&f, IPPROTO_UDP, 40);
			break;
		}
		for (int k = rand_r(&seed) % 6; k >= 0; k--)
			f.b[rand_r(&seed) % f.len] = (uint8_t)rand_r(&seed);
		len = (uint32_t)rand_r(&seed) % (f.len + 1);
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, f.b, len);
		d = sbgw_parse_frame(copy, len, true, &info);
		if (d == SBGW_DROP_NONE && info.l3 != SBGW_L3_ARP) {
			assert_true(info.l4_off <= len);
			assert_true((uint32_t)info.l4_off + info.l4_len <= len);
		}
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_tcp_syn_describes_ports_and_flags),
		cmocka_unit_test(parse_udp_with_ethernet_padding_is_accepted),
		cmocka_unit_test(parse_udp_length_mismatch_is_bad_udp),
		cmocka_unit_test(parse_ipv4_bad_checksum_is_named),
		cmocka_unit_test(parse_ipv4_total_length_past_frame_is_bad),
		cmocka_unit_test(parse_ipv4_short_ihl_is_bad),
		cmocka_unit_test(parse_ipv4_options_are_skipped),
		cmocka_unit_test(parse_tcp_data_offset_past_segment_is_bad),
		cmocka_unit_test(parse_ipv4_later_fragment_has_no_ports),
		cmocka_unit_test(parse_icmp_echo_uses_identifier_as_port),
		cmocka_unit_test(parse_ipv6_udp_through_hop_by_hop_header),
		cmocka_unit_test(parse_ipv6_extension_chain_past_payload_is_bad),
		cmocka_unit_test(parse_ipv6_long_extension_chain_is_refused),
		cmocka_unit_test(parse_unknown_ethertype_is_named),
		cmocka_unit_test(parse_arp_request_is_described),
		cmocka_unit_test(parse_every_truncation_is_dropped_or_consistent),
		cmocka_unit_test(parse_random_corruption_never_reads_past_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
