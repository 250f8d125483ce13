/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table's insides, shared by the files of lib/flow (and its unit
 * tests, which look at the hash to prove that no key is left behind).
 * Nothing outside lib/flow and tests/unit/flow includes this.
 *
 * Layout: flows[] is preallocated; an entry is free when its
 * guest_key.family is 0, and free entries' indexes sit on free_stack so
 * that create is O(1) and reuses the most recently freed (cache-warm)
 * entry. The index (index.c) maps both keys of a flow to its entry.
 */
#ifndef SBGW_FLOW_FLOW_PRIV_H
#define SBGW_FLOW_FLOW_PRIV_H

#include <netinet/in.h>

#include <rte_memzone.h>

#include "flow.h"

/* TSC idle limits by state, indexed by enum sbgw_tcp_state. */
#define FLOW_TCP_STATES (SBGW_TCP_CLOSED + 1)

#define FLOW_BUCKET_SLOTS 8

/* One cache line: eight keys' signatures and references (index.c). */
struct flow_bucket {
	uint16_t sig[FLOW_BUCKET_SLOTS]; /* 0: free slot */
	uint32_t ref[FLOW_BUCKET_SLOTS]; /* (entry index << 1 | side) + 1; side 1: uplink key */
	uint32_t overflow;               /* keys stored past this bucket that start at or before it */
	uint32_t pad[3];
} __attribute__((aligned(64)));

struct sbgw_flow_table {
	const struct rte_memzone *mz; /* the buckets, named after the table */
	struct flow_bucket *buckets;
	uint32_t bucket_mask;
	uint32_t n_keys;
	struct sbgw_flow *flows;
	uint32_t *free_stack;
	uint32_t n_free;
	uint32_t capacity;
	uint32_t cursor; /* next entry sbgw_flow_expire() looks at */
	/* Entries at and above this were never used: sweeps stop here. */
	uint32_t high_water;
	uint64_t expire_tsc; /* sbgw_flow_expire_paced(): the time its work is done up to */

	uint32_t n_sandboxes;
	uint32_t *connections;     /* per sandbox: live flows with counts_connection */
	uint32_t *max_connections; /* per sandbox, our copy */

	uint64_t idle_tcp[FLOW_TCP_STATES];
	uint64_t idle_udp, idle_icmp;

	/* The gateway's NAT range and how it is split; this worker's slice. */
	uint32_t nat_lo, nat_size;
	uint32_t worker, n_workers, per_worker, remainder;
	uint32_t slice_lo, slice_size;

	struct sbgw_flow_counters counters;
};

/* nat.c */
int flow_nat_init(struct sbgw_flow_table *t, const struct sbgw_flow_table_params *p);
int flow_nat_map(struct sbgw_flow_table *t, const struct sbgw_flow_key *guest,
                 const struct sbgw_addr *uplink_addr, struct sbgw_flow_key *uplink,
                 uint64_t *uplink_hash);

/* index.c */
void flow_hash_init(void);
uint64_t flow_hash(const struct sbgw_flow_key *k);
struct sbgw_flow *flow_find(const struct sbgw_flow_table *t, const struct sbgw_flow_key *k,
                            uint64_t h);
/* Index f's key of side (0: guest key, 1: uplink key), whose hash is h. */
void flow_insert(struct sbgw_flow_table *t, uint64_t h, const struct sbgw_flow *f,
                 unsigned int side);
void flow_remove(struct sbgw_flow_table *t, uint64_t h, const struct sbgw_flow *f,
                 unsigned int side);
uint32_t flow_index_keys(const struct sbgw_flow_table *t);

/* nat.c: the checksum deltas of f's rewrite, from its two keys. */
void flow_nat_csum(struct sbgw_flow *f);

/* tcp.c */
void flow_timeouts_init(struct sbgw_flow_table *t, const struct sbgw_flow_timeouts *to);

/* table.c: unlink both keys, give back the entry and the connection slot. */
void flow_release(struct sbgw_flow_table *t, struct sbgw_flow *f);

/* How long f may stay idle, in TSC cycles. */
static inline uint64_t flow_idle_limit(const struct sbgw_flow_table *t, const struct sbgw_flow *f)
{
	switch (f->guest_key.proto) {
	case IPPROTO_TCP:
		/* A TCP flow nobody tracked yet is still in its handshake. */
		if (f->tcp_state == SBGW_TCP_NONE)
			return t->idle_tcp[SBGW_TCP_SYN_SENT];
		return t->idle_tcp[f->tcp_state < FLOW_TCP_STATES ? f->tcp_state : SBGW_TCP_CLOSED];
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return t->idle_icmp;
	default:
		return t->idle_udp;
	}
}

#endif
