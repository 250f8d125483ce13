/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table's insides, shared by the files of lib/flow (and its unit
 * tests, which look at the hash to prove that no key is left behind).
 * Nothing outside lib/flow and tests/unit/flow includes this.
 *
 * Layout: flows[] is preallocated; an entry is free when its
 * guest_key.family is 0, and free entries' indexes sit on free_stack so
 * that create is O(1) and reuses the most recently freed (cache-warm)
 * entry. The rte_hash maps both keys of a flow to its entry's address.
 */
#ifndef SBGW_FLOW_FLOW_PRIV_H
#define SBGW_FLOW_FLOW_PRIV_H

#include <netinet/in.h>

#include <rte_hash.h>

#include "flow.h"

/* TSC idle limits by state, indexed by enum sbgw_tcp_state. */
#define FLOW_TCP_STATES (SBGW_TCP_CLOSED + 1)

struct sbgw_flow_table {
	struct rte_hash *hash;
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
                 hash_sig_t *uplink_sig);

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
