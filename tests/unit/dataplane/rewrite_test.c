/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header rewrites: every incremental checksum update must equal a full
 * recomputation, and the turnarounds (RST, echo reply) must be what the
 * peer would have sent. Checksums are verified here with a plain RFC 1071
 * sum, independent of the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "parse.h"
#include "rewrite.h"

struct frame {
	uint8_t b[256];
	uint32_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 over big-endian words, odd tail padded. */
static uint32_t sum_be(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static bool ipv4_header_ok(const uint8_t *ip)
{
	return fold(sum_be(ip, (size_t)(ip[0] & 0xf) * 4)) == 0xffff;
}

/* The transport checksum of the frame verifies (0xffff once summed). */
static bool l4_ok(const struct frame *f, const struct sbgw_pkt_info *info)
{
	const uint8_t *ip = f->b + info->l3_off;
	uint32_t s = sum_be(f->b + info->l4_off, info->l4_len);

	if (info->proto == IPPROTO_ICMP)
		return fold(s) == 0xffff;
	if (info->l3 == SBGW_L3_IPV4)
		s += sum_be(ip + 12, 8);
	else
		s += sum_be(ip + 8, 32);
	s += info->proto + info->l4_len;
	return fold(s) == 0xffff;
}

/* Write a correct transport checksum at field offset off. */
static void fill_l4(struct frame *f, const struct sbgw_pkt_info *info, unsigned int off)
{
	put16(f->b + info->l4_off + off, 0);
	{
		const uint8_t *ip = f->b + info->l3_off;
		uint32_t s = sum_be(f->b + info->l4_off, info->l4_len);

		if (info->proto != IPPROTO_ICMP) {
			s += info->l3 == SBGW_L3_IPV4 ? sum_be(ip + 12, 8) : sum_be(ip + 8, 32);
			s += info->proto + info->l4_len;
		}
		put16(f->b + info->l4_off + off, (uint16_t)~fold(s));
	}
}

static void ipv4_frame(struct frame *f, uint8_t proto, uint16_t l4len)
{
	uint8_t *ip = f->b + 14;

	memset(f, 0, sizeof(*f));
	memcpy(f->b, "\x02\x6d\x73\x00\x00\x01\x02\x6d\x73\x00\x00\x02\x08\x00", 14);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, "\xac\x10\x00\x02\xcb\x00\x71\x0a", 8);
	put16(ip + 10, (uint16_t)~fold(sum_be(ip, 20)));
	f->len = 14 + 20 + l4len;
	for (unsigned int i = 34; i < f->len; i++)
		f->b[i] = (uint8_t)(i * 7);
}

static void ipv6_frame(struct frame *f, uint8_t proto, uint16_t l4len)
{
	uint8_t *ip = f->b + 14;

	memset(f, 0, sizeof(*f));
	memcpy(f->b, "\x02\x6d\x73\x00\x00\x01\x02\x6d\x73\x00\x00\x02\x86\xdd", 14);
	ip[0] = 0x60;
	put16(ip + 4, l4len);
	ip[6] = proto;
	ip[7] = 64;
	memcpy(ip + 8, "\xfd\x42\x6d\x73\x00\x62\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02", 16);
	memcpy(ip + 24, "\x20\x01\x0d\xb8\x00\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 16);
	f->len = 14 + 40 + l4len;
	for (unsigned int i = 54; i < f->len; i++)
		f->b[i] = (uint8_t)(i * 13);
}

static void tcp_header(struct frame *f, unsigned int l4, uint8_t flags, unsigned int hlen)
{
	put16(f->b + l4, 40000);
	put16(f->b + l4 + 2, 443);
	memcpy(f->b + l4 + 4, "\x00\x00\x10\x00\x00\x00\x00\x00", 8);
	f->b[l4 + 12] = (uint8_t)((hlen / 4) << 4);
	f->b[l4 + 13] = flags;
}

static void parse_ok(const struct frame *f, struct sbgw_pkt_info *info)
{
	assert_int_equal(sbgw_parse_frame(f->b, f->len, true, info), SBGW_DROP_NONE);
}

static const uint8_t uplink4[4] = {198, 51, 100, 2};
static const uint8_t uplink6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

static void rewrite_ipv4_tcp_source_nat_keeps_checksums_valid(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ipv4_frame(&f, IPPROTO_TCP, 40);
	tcp_header(&f, 34, 0x18, 20);
	parse_ok(&f, &info);
	fill_l4(&f, &info, 16);
	sbgw_rewrite_endpoint(f.b, &info, 0, uplink4, 61234);
	parse_ok(&f, &info);
	assert_memory_equal(f.b + 26, uplink4, 4);
	assert_int_equal(info.sport, 61234);
	assert_true(ipv4_header_ok(f.b + 14));
	assert_true(l4_ok(&f, &info));
}

static void rewrite_ipv4_udp_destination_nat_keeps_checksums_valid(void **state)
{
	static const uint8_t guest[4] = {172, 16, 0, 2};
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ipv4_frame(&f, IPPROTO_UDP, 33);
	put16(f.b + 34, 53);
	put16(f.b + 36, 61234);
	put16(f.b + 38, 33);
	parse_ok(&f, &info);
	fill_l4(&f, &info, 6);
	sbgw_rewrite_endpoint(f.b, &info, 1, guest, 5353);
	parse_ok(&f, &info);
	assert_memory_equal(f.b + 30, guest, 4);
	assert_int_equal(info.dport, 5353);
	assert_true(ipv4_header_ok(f.b + 14));
	assert_true(l4_ok(&f, &info));
}

static void rewrite_ipv4_udp_without_checksum_stays_without(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ipv4_frame(&f, IPPROTO_UDP, 12);
	put16(f.b + 38, 12);
	put16(f.b + 40, 0); /* IPv4 UDP may carry no checksum */
	parse_ok(&f, &info);
	sbgw_rewrite_endpoint(f.b, &info, 0, uplink4, 1);
	assert_int_equal(get16(f.b + 40), 0);
	assert_true(ipv4_header_ok(f.b + 14));
}

static void rewrite_icmp_echo_identifier_keeps_checksum_valid(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ipv4_frame(&f, IPPROTO_ICMP, 24);
	f.b[34] = 8;
	f.b[35] = 0;
	put16(f.b + 38, 0x1234);
	parse_ok(&f, &info);
	fill_l4(&f, &info, 2);
	sbgw_rewrite_endpoint(f.b, &info, 0, uplink4, 0xbeef);
	parse_ok(&f, &info);
	assert_int_equal(info.sport, 0xbeef);
	assert_true(l4_ok(&f, &info));
	assert_true(ipv4_header_ok(f.b + 14));
}

static void rewrite_ipv6_tcp_and_icmpv6_source_nat_keep_checksums_valid(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ipv6_frame(&f, IPPROTO_TCP, 32);
	tcp_header(&f, 54, 0x02, 20);
	parse_ok(&f, &info);
	fill_l4(&f, &info, 16);
	sbgw_rewrite_endpoint(f.b, &info, 0, uplink6, 2000);
	parse_ok(&f, &info);
	assert_memory_equal(f.b + 22, uplink6, 16);
	assert_true(l4_ok(&f, &info));

	ipv6_frame(&f, IPPROTO_ICMPV6, 16);
	f.b[54] = 128;
	put16(f.b + 58, 7);
	parse_ok(&f, &info);
	fill_l4(&f, &info, 2);
	sbgw_rewrite_endpoint(f.b, &info, 0, uplink6, 4242);
	parse_ok(&f, &info);
	assert_true(l4_ok(&f, &info));
}

/* The checksum delta of old -> new as the flow table precomputes it (16-bit words, memory order). */
static uint32_t delta_of(const uint8_t *old, const uint8_t *neu, unsigned int len)
{
	uint32_t s = 0;

	for (unsigned int i = 0; i < len; i += 2) {
		uint16_t o, n;

		memcpy(&o, old + i, 2);
		memcpy(&n, neu + i, 2);
		s += (uint16_t)~o + n;
	}
	return s;
}

/*
 * The established-flow rewrite (one pass, precomputed deltas) leaves
 * exactly the bytes the step-by-step rewrite leaves (TTL, then address and
 * port with their incremental updates), in both directions, for TCP, for
 * UDP with and without a checksum, over random addresses, ports and
 * checksums (including the 0 / 0xffff corner of UDP).
 */
static void rewrite_nat4_one_pass_equals_step_by_step(void **state)
{
	uint32_t seed = 12345;

	(void)state;
	for (unsigned int round = 0; round < 20000; round++) {
		struct sbgw_pkt_info info;
		struct frame a, b;
		uint8_t addr[4], old_addr[4];
		uint16_t port, old_port, be_old, be_new;
		uint32_t d_ip, d_l4;
		unsigned int which = round & 1;
		uint8_t proto = (round & 2) ? IPPROTO_TCP : IPPROTO_UDP;
		uint8_t *ip;

		seed = seed * 1103515245u + 12345u;
		ipv4_frame(&a, proto, proto == IPPROTO_TCP ? 32 : 20);
		ip = a.b + 14;
		ip[8] = (uint8_t)(2 + (seed >> 8) % 250);
		for (unsigned int i = 0; i < 8; i++) {
			seed = seed * 1103515245u + 12345u;
			ip[12 + i] = (uint8_t)(seed >> 16);
		}
		put16(ip + 10, 0);
		put16(ip + 10, (uint16_t)~fold(sum_be(ip, 20)));
		if (proto == IPPROTO_TCP) {
			tcp_header(&a, 34, 0x10, 20);
		} else {
			put16(a.b + 38, 20);
		}
		seed = seed * 1103515245u + 12345u;
		put16(a.b + 34, (uint16_t)seed);
		put16(a.b + 36, (uint16_t)(seed >> 16));
		parse_ok(&a, &info);
		fill_l4(&a, &info, proto == IPPROTO_TCP ? 16 : 6);
		if (proto == IPPROTO_UDP && round % 10 == 1)
			put16(a.b + 40, 0);
		seed = seed * 1103515245u + 12345u;
		memcpy(addr, &seed, 4);
		seed = seed * 1103515245u + 12345u;
		port = (uint16_t)seed;
		if (round % 7 == 0) /* the same address: a zero address delta */
			memcpy(addr, ip + (which == 0 ? 12 : 16), 4);
		memcpy(old_addr, ip + (which == 0 ? 12 : 16), 4);
		old_port = get16(a.b + 34 + (which == 0 ? 0 : 2));
		be_old = (uint16_t)(old_port >> 8 | old_port << 8);
		be_new = (uint16_t)(port >> 8 | port << 8);
		d_ip = delta_of(old_addr, addr, 4);
		d_l4 = d_ip + delta_of((const uint8_t *)&be_old, (const uint8_t *)&be_new, 2);
		d_ip = fold(d_ip);
		d_l4 = fold(d_l4);
		b = a;
		assert_true(sbgw_rewrite_ttl(b.b, &info));
		sbgw_rewrite_endpoint(b.b, &info, which, addr, port);
		sbgw_rewrite_nat4(a.b + 14, proto, which, addr, port, (uint16_t)d_ip, (uint16_t)d_l4);
		assert_memory_equal(a.b, b.b, a.len);
		assert_true(ipv4_header_ok(a.b + 14));
		parse_ok(&a, &info);
		if (get16(a.b + 34 + (proto == IPPROTO_TCP ? 16 : 6)) != 0)
			assert_true(l4_ok(&a, &info));
	}
}

static void rewrite_ttl_decrements_and_refuses_at_one(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ipv4_frame(&f, IPPROTO_UDP, 8);
	put16(f.b + 38, 8);
	parse_ok(&f, &info);
	assert_true(sbgw_rewrite_ttl(f.b, &info));
	assert_int_equal(f.b[22], 63);
	assert_true(ipv4_header_ok(f.b + 14));
	f.b[22] = 1;
	assert_false(sbgw_rewrite_ttl(f.b, &info));
}

static void rewrite_mss_clamp_lowers_and_keeps_checksum(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ipv4_frame(&f, IPPROTO_TCP, 28);
	tcp_header(&f, 34, 0x02, 28);
	/* NOP, NOP, MSS 9000, NOP x4: the MSS value at an odd offset */
	memcpy(f.b + 54, "\x01\x02\x04\x23\x28\x01\x01\x01", 8);
	f.b[54] = 1;
	memcpy(f.b + 55, "\x02\x04\x23\x28", 4);
	parse_ok(&f, &info);
	fill_l4(&f, &info, 16);
	sbgw_rewrite_clamp_mss(f.b, &info, 1460);
	assert_int_equal(get16(f.b + 57), 1460);
	assert_true(l4_ok(&f, &info));
	/* A smaller MSS is left alone. */
	sbgw_rewrite_clamp_mss(f.b, &info, 9000);
	assert_int_equal(get16(f.b + 57), 1460);
}

/*
 * Found by tests/fuzz/frame_fuzz: a later IPv6 fragment of a TCP segment
 * has 4 bytes after its fragment header and no TCP header; the clamp read
 * the header length 12 bytes in before looking at what the packet is.
 */
static void rewrite_mss_clamp_reads_nothing_of_a_later_fragment(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;
	uint8_t *exact;

	(void)state;
	ipv6_frame(&f, 44, 12);
	memcpy(f.b + 54, "\x06\x00\x00\x08\x00\x00\x00\x01", 8); /* TCP, offset 8 */
	parse_ok(&f, &info);
	assert_true(info.fragment);
	assert_false(info.first_fragment);
	assert_int_equal(info.proto, IPPROTO_TCP);
	exact = malloc(f.len); /* ends where the frame ends: ASan sees an overread */
	memcpy(exact, f.b, f.len);
	sbgw_rewrite_clamp_mss(exact, &info, 1220);
	assert_memory_equal(exact, f.b, f.len);
	free(exact);
}

static void rewrite_reset_answers_a_syn_like_a_closed_port(void **state)
{
	struct sbgw_pkt_info info, out;
	struct frame f;
	uint32_t len;

	(void)state;
	ipv4_frame(&f, IPPROTO_TCP, 24);
	tcp_header(&f, 34, 0x02, 24); /* SYN with 4 bytes of options, seq 0x1000 */
	parse_ok(&f, &info);
	fill_l4(&f, &info, 16);
	len = sbgw_rewrite_tcp_reset(f.b, &info);
	assert_int_equal(len, 14 + 20 + 20);
	f.len = len;
	parse_ok(&f, &out);
	assert_memory_equal(f.b, "\x02\x6d\x73\x00\x00\x02", 6); /* back to the guest */
	assert_memory_equal(f.b + 26, "\xcb\x00\x71\x0a", 4);
	assert_int_equal(out.sport, 443);
	assert_int_equal(out.dport, 40000);
	assert_int_equal(out.tcp_flags, 0x14); /* RST|ACK */
	assert_int_equal(get16(f.b + 34 + 8) << 16 | get16(f.b + 34 + 10), 0x1001);
	assert_true(ipv4_header_ok(f.b + 14));
	assert_true(l4_ok(&f, &out));
}

static void rewrite_reset_of_ipv6_segment_has_valid_checksum(void **state)
{
	struct sbgw_pkt_info info, out;
	struct frame f;
	uint32_t len;

	(void)state;
	ipv6_frame(&f, IPPROTO_TCP, 30);
	tcp_header(&f, 54, 0x18, 20); /* ACK|PSH with 10 bytes: answered with RST at its ack */
	memcpy(f.b + 54 + 8, "\x00\x00\x77\x77", 4);
	parse_ok(&f, &info);
	fill_l4(&f, &info, 16);
	len = sbgw_rewrite_tcp_reset(f.b, &info);
	f.len = len;
	parse_ok(&f, &out);
	assert_int_equal(out.tcp_flags, 0x04);
	assert_int_equal(get16(f.b + 54 + 4) << 16 | get16(f.b + 54 + 6), 0x7777);
	assert_true(l4_ok(&f, &out));
}

static void rewrite_echo_reply_turns_the_request_around(void **state)
{
	struct sbgw_pkt_info info, out;
	struct frame f;

	(void)state;
	ipv4_frame(&f, IPPROTO_ICMP, 40);
	f.b[34] = 8;
	f.b[35] = 0;
	parse_ok(&f, &info);
	fill_l4(&f, &info, 2);
	sbgw_rewrite_echo_reply(f.b, &info);
	parse_ok(&f, &out);
	assert_int_equal(out.icmp_type, 0);
	assert_memory_equal(f.b + 26, "\xcb\x00\x71\x0a", 4);
	assert_true(l4_ok(&f, &out));
	assert_true(ipv4_header_ok(f.b + 14));

	ipv6_frame(&f, IPPROTO_ICMPV6, 24);
	f.b[54] = 128;
	parse_ok(&f, &info);
	fill_l4(&f, &info, 2);
	sbgw_rewrite_echo_reply(f.b, &info);
	parse_ok(&f, &out);
	assert_int_equal(out.icmp_type, 129);
	assert_true(l4_ok(&f, &out));
}

static void rewrite_full_l4_checksum_repairs_a_partial_one(void **state)
{
	struct sbgw_pkt_info info;
	struct frame f;

	(void)state;
	ipv4_frame(&f, IPPROTO_UDP, 20);
	put16(f.b + 38, 20);
	put16(f.b + 40, 0x1234); /* what a virtio guest leaves: a partial sum */
	parse_ok(&f, &info);
	sbgw_rewrite_l4_checksum(f.b, &info);
	assert_true(l4_ok(&f, &info));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rewrite_ipv4_tcp_source_nat_keeps_checksums_valid),
		cmocka_unit_test(rewrite_ipv4_udp_destination_nat_keeps_checksums_valid),
		cmocka_unit_test(rewrite_ipv4_udp_without_checksum_stays_without),
		cmocka_unit_test(rewrite_icmp_echo_identifier_keeps_checksum_valid),
		cmocka_unit_test(rewrite_ipv6_tcp_and_icmpv6_source_nat_keep_checksums_valid),
		cmocka_unit_test(rewrite_nat4_one_pass_equals_step_by_step),
		cmocka_unit_test(rewrite_ttl_decrements_and_refuses_at_one),
		cmocka_unit_test(rewrite_mss_clamp_lowers_and_keeps_checksum),
		cmocka_unit_test(rewrite_mss_clamp_reads_nothing_of_a_later_fragment),
		cmocka_unit_test(rewrite_reset_answers_a_syn_like_a_closed_port),
		cmocka_unit_test(rewrite_reset_of_ipv6_segment_has_valid_checksum),
		cmocka_unit_test(rewrite_echo_reply_turns_the_request_around),
		cmocka_unit_test(rewrite_full_l4_checksum_repairs_a_partial_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
