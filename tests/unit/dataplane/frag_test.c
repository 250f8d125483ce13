/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 reassembly and re-fragmentation (lib/dataplane/datapath/frag.c):
 * pieces come back whole and parse; a datagram split for a smaller MTU
 * leaves as pieces that parse; a split whose first piece could not carry
 * the whole transport header is refused, and every mbuf goes back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_mbuf.h>

#include "frag.h"
#include "parse.h"

#define POOL_MBUFS 256
#define TCP_OPTIONS_MAX 40

static struct rte_mempool *pool, *indirect;
static struct sbgw_frag frag;

static int eal_setup(void **state)
{
	char *argv[] = {
		"frag_test", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
		"-m",        "128",       "-l",          "0",        "--log-level=*:error",
	};

	(void)state;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return -1;
	/* No per-lcore cache, so the free count is exact. */
	pool = rte_pktmbuf_pool_create("frag_test", POOL_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	indirect = rte_pktmbuf_pool_create("frag_test_ind", POOL_MBUFS, 0, 0, 0, 0);
	if (pool == NULL || indirect == NULL || sbgw_frag_init(&frag, 1000, 0) < 0)
		return -1;
	return 0;
}

static int eal_teardown(void **state)
{
	(void)state;
	sbgw_frag_fini(&frag);
	rte_eal_cleanup();
	return 0;
}

static void assert_pools_full(void)
{
	assert_int_equal(rte_mempool_avail_count(pool), POOL_MBUFS);
	assert_int_equal(rte_mempool_avail_count(indirect), POOL_MBUFS);
}

/*
 * One Ethernet + IPv4 frame carrying bytes [off, off + len) of a datagram
 * whose transport header starts the payload: proto, and for TCP a header
 * of tcp_hlen bytes.
 */
static struct rte_mbuf *fragment(uint8_t proto, uint16_t id, uint32_t off, uint32_t len, bool more,
				 uint32_t datagram_len, uint32_t tcp_hlen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t payload[2048];
	uint8_t *eth;
	struct rte_ipv4_hdr *ip;

	assert_non_null(m);
	assert_true(datagram_len <= sizeof(payload));
	for (uint32_t i = 0; i < datagram_len; i++)
		payload[i] = (uint8_t)('a' + i % 26);
	if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)payload;

		udp->src_port = rte_cpu_to_be_16(40000);
		udp->dst_port = rte_cpu_to_be_16(53);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)datagram_len);
		udp->dgram_cksum = 0;
	} else {
		struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)payload;

		memset(tcp, 0, tcp_hlen);
		tcp->src_port = rte_cpu_to_be_16(40000);
		tcp->dst_port = rte_cpu_to_be_16(80);
		tcp->data_off = (uint8_t)((tcp_hlen / 4) << 4);
		tcp->tcp_flags = RTE_TCP_ACK_FLAG;
		/* Options: NOPs, which any parser walks. */
		memset(payload + sizeof(*tcp), 1, tcp_hlen - sizeof(*tcp));
	}
	eth = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + sizeof(*ip) + len));
	assert_non_null(eth);
	memset(eth, 0x02, 12);
	eth[12] = 0x08;
	eth[13] = 0x00;
	ip = (struct rte_ipv4_hdr *)(eth + 14);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + len));
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset =
		rte_cpu_to_be_16((uint16_t)((more ? RTE_IPV4_HDR_MF_FLAG : 0) | off / 8));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(0xac100002);
	ip->dst_addr = rte_cpu_to_be_32(0xcb007101);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memcpy(ip + 1, payload + off, len);
	return m;
}

/* Hand both pieces to reassembly; returns the whole datagram. */
static struct rte_mbuf *reassemble(uint8_t proto, uint16_t id, uint32_t datagram_len,
				   uint32_t first_len, uint32_t tcp_hlen,
				   struct sbgw_pkt_info *info)
{
	struct rte_mbuf *pieces[2] = {
		fragment(proto, id, 0, first_len, true, datagram_len, tcp_hlen),
		fragment(proto, id, first_len, datagram_len - first_len, false, datagram_len,
			 tcp_hlen),
	};
	struct rte_mbuf *whole = NULL;
	enum sbgw_drop reason;

	for (int i = 0; i < 2; i++) {
		assert_int_equal(sbgw_parse_frame(rte_pktmbuf_mtod(pieces[i], uint8_t *),
						  rte_pktmbuf_pkt_len(pieces[i]), true, info),
				 SBGW_DROP_NONE);
		assert_true(info->fragment);
		whole = sbgw_frag_reassemble(&frag, pieces[i], info, (uint64_t)i, &reason);
		assert_int_equal(reason, SBGW_DROP_NONE);
		if (i == 0)
			assert_null(whole);
	}
	assert_non_null(whole);
	assert_false(info->fragment);
	return whole;
}

static void parse_flat(const struct rte_mbuf *m, struct sbgw_pkt_info *info)
{
	uint8_t flat[4096];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *p = rte_pktmbuf_read(m, 0, len, flat);

	assert_non_null(p);
	assert_int_equal(sbgw_parse_frame(p, len, true, info), SBGW_DROP_NONE);
}

static void test_pieces_come_back_whole(void **state)
{
	struct sbgw_pkt_info info;
	struct rte_mbuf *whole;

	(void)state;
	whole = reassemble(IPPROTO_UDP, 1, 1200, 800, 0, &info);
	assert_int_equal(info.proto, IPPROTO_UDP);
	assert_int_equal(info.sport, 40000);
	assert_int_equal(info.dport, 53);
	assert_int_equal(rte_pktmbuf_pkt_len(whole), 14 + 20 + 1200);
	parse_flat(whole, &info);
	rte_pktmbuf_free(whole);
	assert_pools_full();
}

static void test_split_pieces_parse(void **state)
{
	struct rte_mbuf *out[SBGW_FRAG_OUT_MAX];
	struct sbgw_pkt_info info;
	uint32_t next_off = 0;
	int n;

	(void)state;
	n = sbgw_frag_split(reassemble(IPPROTO_UDP, 2, 1600, 1000, 0, &info), 576, pool, indirect,
			    out);
	assert_int_equal(n, 3); /* 552 + 552 + 496 bytes of payload */
	for (int i = 0; i < n; i++) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(out[i], struct rte_ipv4_hdr *, 14);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);

		parse_flat(out[i], &info);
		assert_true(info.fragment);
		assert_int_equal((fo & RTE_IPV4_HDR_OFFSET_MASK) * 8, next_off);
		assert_int_equal((fo & RTE_IPV4_HDR_MF_FLAG) != 0, i < n - 1);
		assert_true(rte_be_to_cpu_16(ip->total_length) <= 576);
		next_off += rte_be_to_cpu_16(ip->total_length) - 20u;
		rte_pktmbuf_free(out[i]);
	}
	assert_int_equal(next_off, 1600);
	assert_pools_full();
}

/* A TCP header of 20 bytes fits the first piece of a 76-byte MTU (56 bytes). */
static void test_small_mtu_with_room_for_the_header(void **state)
{
	struct rte_mbuf *out[SBGW_FRAG_OUT_MAX];
	struct sbgw_pkt_info info;
	int n;

	(void)state;
	n = sbgw_frag_split(reassemble(IPPROTO_TCP, 3, 600, 304, 20, &info), 76, pool, indirect,
			    out);
	assert_int_equal(n, 11); /* 10 x 56 + 40 */
	for (int i = 0; i < n; i++) {
		parse_flat(out[i], &info);
		rte_pktmbuf_free(out[i]);
	}
	assert_pools_full();
}

/*
 * The fuzzer's finding (tests/fuzz/corpus/frag/regress_tcp_header_wider_than_first_piece):
 * a TCP header of 60 bytes, split for a 76-byte MTU, would leave a first
 * piece with 56 bytes of it, which every tiny-fragment filter drops.
 */
static void test_split_refused_when_first_piece_cannot_hold_the_header(void **state)
{
	struct rte_mbuf *out[SBGW_FRAG_OUT_MAX];
	struct sbgw_pkt_info info;

	(void)state;
	assert_int_equal(sbgw_frag_split(reassemble(IPPROTO_TCP, 4, 608, 304, 20 + TCP_OPTIONS_MAX,
						    &info),
					 76, pool, indirect, out),
			 -EMSGSIZE);
	assert_pools_full();
	/* The same datagram with an MTU whose first piece holds 64 bytes splits. */
	{
		int n = sbgw_frag_split(reassemble(IPPROTO_TCP, 5, 608, 304, 20 + TCP_OPTIONS_MAX,
						   &info),
					84, pool, indirect, out);

		assert_true(n > 1);
		for (int i = 0; i < n; i++) {
			parse_flat(out[i], &info);
			rte_pktmbuf_free(out[i]);
		}
	}
	assert_pools_full();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_come_back_whole),
		cmocka_unit_test(test_split_pieces_parse),
		cmocka_unit_test(test_small_mtu_with_room_for_the_header),
		cmocka_unit_test(test_split_refused_when_first_piece_cannot_hold_the_header),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
