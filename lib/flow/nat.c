/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Source NAT port allocation.
 *
 * The gateway's range is split into one contiguous slice per worker, so a
 * reply's destination port alone says which worker owns its flow. Within
 * its slice a worker maps endpoint-dependently: a mapping is the whole
 * uplink key (protocol, uplink address, NAT port, remote address and
 * port), so one NAT port serves any number of remote endpoints, and a
 * port is free for a new flow exactly when that uplink key is not in the
 * table. This is RFC 6056 algorithm 1 with probing: a random start and a
 * random stride co-prime with the slice size, so successive probes visit
 * distinct ports and successive flows get unrelated ports, and at most
 * NAT_PROBES lookups before giving up (a bound on the work per new flow,
 * which only bites when the slice is nearly full for one remote endpoint).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_random.h>

#include "flow_priv.h"

#define NAT_PORT_LO_DEFAULT 1024
#define NAT_PORT_HI_DEFAULT 65535
/* Work bound per new flow; a slice this small or smaller is searched exhaustively. */
#define NAT_PROBES 128

int flow_nat_init(struct sbgw_flow_table *t, const struct sbgw_flow_table_params *p)
{
	uint32_t lo = p->nat_port_lo, hi = p->nat_port_hi;
	uint32_t w = p->worker;

	if (lo == 0 && hi == 0) {
		lo = NAT_PORT_LO_DEFAULT;
		hi = NAT_PORT_HI_DEFAULT;
	}
	/* Port 0 means "any" to every socket API: never a mapping. */
	if (lo == 0 || lo > hi || p->n_workers == 0 || w >= p->n_workers)
		return -EINVAL;
	t->nat_lo = lo;
	t->nat_size = hi - lo + 1;
	if (t->nat_size < p->n_workers)
		return -EINVAL;
	t->n_workers = p->n_workers;
	t->worker = w;
	t->per_worker = t->nat_size / p->n_workers;
	t->remainder = t->nat_size % p->n_workers;
	t->slice_lo = lo + w * t->per_worker + RTE_MIN(w, t->remainder);
	t->slice_size = t->per_worker + (w < t->remainder ? 1 : 0);
	return 0;
}

unsigned int sbgw_flow_port_owner(const struct sbgw_flow_table *t, uint16_t port)
{
	uint32_t off, big_span;

	if (port < t->nat_lo || port - t->nat_lo >= t->nat_size)
		return t->worker;
	off = port - t->nat_lo;
	/* The first `remainder` slices have one port more. */
	big_span = t->remainder * (t->per_worker + 1);
	if (off < big_span)
		return off / (t->per_worker + 1);
	return t->remainder + (off - big_span) / t->per_worker;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/* A random step that walks all of 0..size-1 before coming back. */
static uint32_t random_stride(uint32_t size)
{
	uint32_t s;

	if (size <= 2)
		return 1;
	s = 1 + (uint32_t)rte_rand_max(size - 1);
	/* Co-primes are dense (gaps are tiny for 16-bit sizes): few steps. */
	while (gcd(s, size) != 1)
		s = s == size - 1 ? 1 : s + 1;
	return s;
}

static void key_addr(uint8_t out[16], const struct sbgw_addr *a)
{
	if (a->family == AF_INET) {
		rte_be32_t be = rte_cpu_to_be_32(a->v4);

		memcpy(out, &be, sizeof(be));
	} else {
		memcpy(out, a->v6, 16);
	}
}

int flow_nat_map(struct sbgw_flow_table *t, const struct sbgw_flow_key *guest,
                 const struct sbgw_addr *uplink_addr, struct sbgw_flow_key *uplink,
                 uint64_t *uplink_hash)
{
	uint32_t size = t->slice_size;
	uint32_t probes = RTE_MIN(size, (uint32_t)NAT_PROBES);
	uint32_t off = (uint32_t)rte_rand_max(size);
	uint32_t stride = random_stride(size);

	memset(uplink, 0, sizeof(*uplink));
	uplink->zone = SBGW_FLOW_ZONE_UPLINK;
	uplink->family = guest->family;
	uplink->proto = guest->proto;
	uplink->src_port = guest->dst_port;
	memcpy(uplink->src, guest->dst, sizeof(uplink->src));
	key_addr(uplink->dst, uplink_addr);

	for (uint32_t i = 0; i < probes; i++) {
		uint64_t h;

		uplink->dst_port = (uint16_t)(t->slice_lo + off);
		h = flow_hash(uplink);
		if (flow_find(t, uplink, h) == NULL) {
			*uplink_hash = h;
			return 0;
		}
		off += stride;
		if (off >= size)
			off -= size;
	}
	return -EADDRINUSE;
}

/* One's complement sum of n bytes' 16-bit words in memory order, and of their complements. */
static uint32_t words_sum(const uint8_t *p, unsigned int n, bool complement)
{
	uint32_t s = 0;

	for (unsigned int i = 0; i + 1 < n; i += 2) {
		uint16_t v;

		memcpy(&v, p + i, 2);
		s += complement ? (uint16_t)~v : v;
	}
	return s;
}

static uint16_t fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * The NAT rewrite changes the same bytes of every packet of a flow
 * (guest address and port to uplink address and NAT port), so the
 * checksum change is a constant of the flow (RFC 1624): computed once
 * here, added by the fast path with one fold.
 */
void flow_nat_csum(struct sbgw_flow *f)
{
	unsigned int alen = f->guest_key.family == AF_INET ? 4 : 16;
	uint16_t old_port = rte_cpu_to_be_16(f->guest_key.src_port);
	uint16_t new_port = rte_cpu_to_be_16(f->nat_port);
	uint32_t addr;

	addr = words_sum(f->guest_key.src, alen, true) + words_sum(f->uplink_key.dst, alen, false);
	f->csum_ip = fold16(addr);
	f->csum_l4 = fold16(addr + (uint16_t)~old_port + new_port);
}
