/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: IPv4 fragments through reassembly and re-fragmentation
 * (lib/dataplane/datapath/frag.c, DPDK's rte_ip_frag underneath), the way
 * a worker sees them: each frame parsed, fragments handed to reassembly,
 * a completed datagram described again and split for a smaller MTU. A
 * reassembled datagram and every piece of a split must parse, and when an
 * input is done and its leftovers expired, every mbuf is back in its pool.
 *
 * Input: one byte choosing the MTU of the split (68 + 8 * byte), then
 * records of a 2-byte big-endian length and that many frame bytes. A
 * record of length 0 advances the clock past the reassembly timeout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "frag.h"
#include "parse.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POOL_MBUFS 1024
#define TICKS_PER_SECOND 1000
#define TIMEOUT_TICKS (SBGW_FRAG_TIMEOUT_S * TICKS_PER_SECOND)

static struct rte_mempool *pool, *indirect;
static struct sbgw_frag frag;
static uint64_t now;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* As the EAL unit tests: no hugepages, no shared files, no devices. */
	char *eal[] = {
		"frag_fuzz", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
		"-m",        "128",       "-l",          "0",        "--log-level=*:crit",
	};

	(void)argc;
	(void)argv;
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		abort();
	/* No per-lcore cache: the free count is exact. */
	pool = rte_pktmbuf_pool_create("fuzz", POOL_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	indirect = rte_pktmbuf_pool_create("fuzz_indirect", POOL_MBUFS, 0, 0, 0, 0);
	if (pool == NULL || indirect == NULL || sbgw_frag_init(&frag, TICKS_PER_SECOND, 0) < 0)
		abort();
	return 0;
}

/* A frame as it goes on the wire (all its segments) parses, checksum included. */
static void check_frame(const struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint8_t *flat = malloc(len ? len : 1);
	struct sbgw_pkt_info info;
	const void *p = rte_pktmbuf_read(m, 0, len, flat);

	if (p == NULL || sbgw_parse_frame(p, len, true, &info) != SBGW_DROP_NONE ||
	    info.l3 != SBGW_L3_IPV4)
		abort();
	free(flat);
}

/* A completed datagram: it parses, and splits into pieces that parse. */
static void whole_datagram(struct rte_mbuf *whole, const struct sbgw_pkt_info *info, uint16_t mtu)
{
	struct rte_mbuf *out[SBGW_FRAG_OUT_MAX];
	int n;

	if (info->fragment || info->l3 != SBGW_L3_IPV4)
		abort();
	check_frame(whole);
	if (rte_pktmbuf_pkt_len(whole) - info->l3_off <= mtu) {
		rte_pktmbuf_free(whole);
		return;
	}
	n = sbgw_frag_split(whole, mtu, pool, indirect, out);
	for (int i = 0; i < n; i++) {
		check_frame(out[i]);
		rte_pktmbuf_free(out[i]);
	}
}

static void one_frame(const uint8_t *bytes, uint16_t len, uint16_t mtu)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *whole;
	struct sbgw_pkt_info info;
	enum sbgw_drop reason;
	uint8_t *p;

	if (m == NULL)
		abort(); /* the table holds at most 64 datagrams: a leak */
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(p, bytes, len);
	if (sbgw_parse_frame(p, len, true, &info) != SBGW_DROP_NONE || !info.fragment) {
		rte_pktmbuf_free(m);
		return;
	}
	whole = sbgw_frag_reassemble(&frag, m, &info, now, &reason);
	if (whole != NULL)
		whole_datagram(whole, &info, mtu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t mtu;
	size_t off = 1;

	if (size < 1)
		return 0;
	mtu = (uint16_t)(68 + 8 * data[0]);
	while (off + 2 <= size) {
		uint16_t len = (uint16_t)(data[off] << 8 | data[off + 1]);

		off += 2;
		if (len > size - off)
			len = (uint16_t)(size - off);
		now += len == 0 ? TIMEOUT_TICKS + 1 : 1;
		sbgw_frag_expire(&frag, now);
		if (len > 0)
			one_frame(data + off, len, mtu);
		off += len;
	}
	/* Whatever is still waiting expires; then nothing may be missing. */
	now += TIMEOUT_TICKS + 1;
	sbgw_frag_expire(&frag, now);
	if (rte_mempool_avail_count(pool) != POOL_MBUFS || rte_mempool_avail_count(indirect) != POOL_MBUFS)
		abort();
	return 0;
}
