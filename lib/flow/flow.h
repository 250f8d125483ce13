/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flows: the connection tracking and source NAT state of the fast path.
 *
 * One struct sbgw_flow_table per worker lcore; only that worker reads or
 * writes it, so there are no locks. A flow is reachable by two keys: the
 * guest-side key (sandbox, protocol, guest address and port, remote
 * address and port) and the uplink-side key (protocol, uplink address and
 * NAT port, remote address and port). NAT ports are partitioned between
 * workers (sbgw_flow_port_owner()), so the worker that receives a reply on
 * the uplink knows which worker owns its flow and hands the packet over
 * through a ring instead of sharing the table.
 *
 * Usage (on the owning worker):
 *   t = sbgw_flow_table_create(&params);            main lcore, before start
 *   f = sbgw_flow_lookup(t, &key);                  or sbgw_flow_lookup_bulk()
 *   if (f == NULL) f = sbgw_flow_create(t, &c, now); c from the ACL verdict
 *   sbgw_flow_seen(f, now);                         per packet (or sbgw_flow_touch())
 *   sbgw_flow_track_tcp(f, dir, tcp_flags, now);    per TCP packet that may change state
 *   sbgw_flow_expire_paced(t, now, period);         every loop, work sized by time
 *   sbgw_flow_table_free(t);                        after the worker stopped
 *
 * Keys: guest side {zone = sandbox, src = guest, dst = remote}, uplink
 * side {zone = SBGW_FLOW_ZONE_UPLINK, src = remote, dst = uplink address,
 * dst_port = NAT port}; the uplink key of a flow is its guest key turned
 * around with the NAT address and port. ICMP and ICMPv6 echo put the
 * identifier in the guest key's src_port and 0 in its dst_port, so a
 * reply's uplink key has src_port 0 and dst_port = the NAT identifier.
 * Ports (and nat_port) are in host byte order, addresses in network
 * order; pad and the unused 12 bytes of IPv4 addresses must be zero.
 *
 * Nothing here logs or allocates after creation: counters say why a flow
 * could not be created (table full, no free NAT port, sandbox at its
 * max_connections).
 */
#ifndef SBGW_FLOW_FLOW_H
#define SBGW_FLOW_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

/* Protocol numbers as in the IP header; ICMP echo uses the identifier as port. */
struct sbgw_flow_key {
	uint32_t zone;     /* sandbox index for guest-side keys; SBGW_FLOW_ZONE_UPLINK */
	uint8_t family;    /* AF_INET or AF_INET6 */
	uint8_t proto;     /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	uint16_t src_port; /* guest side: guest port; uplink side: remote port */
	uint16_t dst_port; /* guest side: remote port; uplink side: NAT port */
	uint16_t pad;
	uint8_t src[16];   /* IPv4 in the first 4 bytes, network order; rest zero */
	uint8_t dst[16];
	uint32_t pad2;     /* to 48 bytes: six words to hash and compare */
} __attribute__((packed, aligned(4)));

#define SBGW_FLOW_ZONE_UPLINK UINT32_MAX

_Static_assert(sizeof(struct sbgw_flow_key) == 48, "flow key is 48 bytes");

enum sbgw_tcp_state {
	SBGW_TCP_NONE = 0, /* UDP, ICMP */
	SBGW_TCP_SYN_SENT,
	SBGW_TCP_SYN_RECV,
	SBGW_TCP_ESTABLISHED,
	SBGW_TCP_FIN_WAIT,  /* one side closed */
	SBGW_TCP_CLOSING,   /* both sides closed: TIME-WAIT-like linger */
	SBGW_TCP_CLOSED,    /* RST seen */
	SBGW_TCP_REVOKED,   /* a new policy denies it: every segment is answered with RSTs */
};

/*
 * Laid out for the fast path (the entry is cache-line aligned): line 0
 * holds the guest key, which the table's index compares for a frame from
 * the guest, and everything forwarding a packet of an established flow
 * reads or writes (timestamp, NAT port, checksum deltas, TCP state), so
 * that direction touches one line of the entry; a reply's key is in line 1,
 * beside the sandbox it goes to. The counters are in line 2.
 */
struct sbgw_flow {
	/* line 0 */
	struct sbgw_flow_key guest_key;  /* as the guest sends */
	uint64_t last_seen;              /* TSC */
	uint16_t nat_port;
	/*
	 * One's complement sums (16-bit words in memory order, folded) of
	 * the NAT rewrite guest -> uplink: csum_ip of the source address
	 * change (IPv4 header), csum_l4 of the address and port change (the
	 * TCP / UDP pseudo-header and port). The reverse rewrite adds their
	 * complements. Set by sbgw_flow_create().
	 */
	uint16_t csum_ip, csum_l4;
	uint8_t tcp_state;               /* enum sbgw_tcp_state */
	uint8_t fin_seen;                /* bit 0: guest FIN, bit 1: remote FIN */
	/* line 1 */
	struct sbgw_flow_key uplink_key; /* as replies arrive on the uplink */
	uint32_t sandbox;
	int32_t rule;                    /* policy rule that allowed it, -1: default */
	uint8_t tcp_initiator;           /* dir of the SYN that opened the connection */
	bool counts_connection;          /* held against the sandbox's max_connections */
	/* line 2 */
	uint64_t packets[2] __attribute__((aligned(64))); /* [0] guest→uplink, [1] uplink→guest */
	uint64_t bytes[2];               /* (sbgw_flow_touch(); the fast path keeps no per-flow counts) */
} __attribute__((aligned(64)));

struct sbgw_flow_timeouts { /* seconds */
	uint32_t tcp_syn;         /* default 30 */
	uint32_t tcp_established; /* default 7440 (RFC 5382: 2 h 4 min) */
	uint32_t tcp_closing;     /* default 120 (TIME-WAIT) */
	uint32_t tcp_closed;      /* default 10 (after RST) */
	uint32_t udp;             /* default 60 (semantics §7) */
	uint32_t icmp;            /* default 30 */
};

struct sbgw_flow_table_params {
	const char *name;        /* unique (the index's memzone), < 32 characters */
	uint32_t capacity;       /* flows */
	int socket_id;
	unsigned int worker;     /* this worker's index */
	unsigned int n_workers;  /* NAT ports are split between them */
	uint16_t nat_port_lo, nat_port_hi; /* whole gateway range, default (both 0) 1024..65535 */
	unsigned int n_sandboxes;          /* sandbox indexes are 0..n-1 */
	const uint32_t *max_connections;   /* per sandbox (semantics §2.12); copied; NULL: 256 */
	struct sbgw_flow_timeouts timeouts; /* a field left 0 takes its default */
};

struct sbgw_flow_table;

struct sbgw_flow_counters {
	uint64_t created, expired, deleted;
	uint64_t table_full, nat_ports_exhausted, max_connections;
};

/*
 * Allocate everything the table will ever use on p->socket_id. NULL with
 * errno: EINVAL bad parameters (no worker slice, capacity 0 or above
 * SBGW_FLOW_CAPACITY_MAX), EEXIST name in use, ENOMEM.
 */
#define SBGW_FLOW_CAPACITY_MAX (1u << 28)
struct sbgw_flow_table *sbgw_flow_table_create(const struct sbgw_flow_table_params *p);
void sbgw_flow_table_free(struct sbgw_flow_table *t);

/*
 * Which worker owns NAT port p (uplink-side demultiplexing). The range is
 * split into n_workers contiguous slices, the first (range % n_workers) of
 * them one port larger. A port outside the range belongs to no flow: it
 * maps to t's own worker, so the caller's local lookup misses and nothing
 * is handed over (always a valid worker index).
 */
unsigned int sbgw_flow_port_owner(const struct sbgw_flow_table *t, uint16_t port);

struct sbgw_flow *sbgw_flow_lookup(struct sbgw_flow_table *t, const struct sbgw_flow_key *k);
/*
 * Bulk lookup of n keys; flows[i] NULL where missing. Returns hits. Up to
 * SBGW_FLOW_BULK_MAX at once pipeline their cache misses; the entries
 * found are prefetched.
 */
#define SBGW_FLOW_BULK_MAX 64u
unsigned int sbgw_flow_lookup_bulk(struct sbgw_flow_table *t, const struct sbgw_flow_key **keys,
				   unsigned int n, struct sbgw_flow **flows);

struct sbgw_flow_create {
	const struct sbgw_flow_key *guest_key;
	const struct sbgw_addr *uplink_addr; /* source address after NAT */
	uint32_t sandbox;
	int32_t rule;
	bool counts_connection; /* guest-initiated TCP */
};

/*
 * Create a flow with a free NAT port and insert both keys. NULL with
 * errno: ENOSPC table full, EADDRINUSE no free NAT port, EDQUOT sandbox at
 * max_connections, all three counted in the table's counters; EEXIST the
 * guest key already has a flow, EINVAL a bad key, family or sandbox.
 * TCP flows start in SBGW_TCP_NONE: track the SYN that created them.
 */
struct sbgw_flow *sbgw_flow_create(struct sbgw_flow_table *t, const struct sbgw_flow_create *c,
				   uint64_t now);
void sbgw_flow_delete(struct sbgw_flow_table *t, struct sbgw_flow *f);

/*
 * Advance TCP state from the flags of one packet (RTE_TCP_*_FLAG) and
 * refresh last_seen; dir 0 = from the guest, 1 = from the uplink. No-op
 * on a flow that is not TCP.
 */
void sbgw_flow_track_tcp(struct sbgw_flow *f, unsigned int dir, uint8_t tcp_flags, uint64_t now);

/*
 * Refresh last_seen. Writes only when it changes: the packets of one
 * burst share their `now`, so a flow's entry is written at most once per
 * burst, not per packet.
 */
static inline void sbgw_flow_seen(struct sbgw_flow *f, uint64_t now)
{
	if (f->last_seen != now)
		f->last_seen = now;
}

/* Account one packet of bytes in direction dir and refresh last_seen. */
static inline void sbgw_flow_touch(struct sbgw_flow *f, unsigned int dir, uint32_t bytes,
				   uint64_t now)
{
	f->last_seen = now;
	f->packets[dir]++;
	f->bytes[dir] += bytes;
}

/*
 * Expire idle flows, looking at no more than budget entries of the table
 * (used or free) from where the previous call stopped, so a full sweep
 * takes capacity / budget calls. Returns how many expired.
 */
unsigned int sbgw_flow_expire(struct sbgw_flow_table *t, uint64_t now, unsigned int budget);

/*
 * Expire at a pace set by time and by the part of the table flows have
 * used: each call looks at as many entries as the TSC cycles since the
 * last call allow for a full sweep of the used entries every `period`
 * cycles (at most SBGW_FLOW_EXPIRE_CALL_MAX per call; what is left over
 * is done by the next calls). A flow thus lives at most about one period
 * past its timeout, and a loop pays for expiry in proportion to the flows
 * there are, not a fixed slice of the whole table. Returns how many expired.
 */
#define SBGW_FLOW_EXPIRE_CALL_MAX 1024u
unsigned int sbgw_flow_expire_paced(struct sbgw_flow_table *t, uint64_t now, uint64_t period);

/* Live flows; live flows with counts_connection of one sandbox (0 if out of range). */
uint32_t sbgw_flow_count(const struct sbgw_flow_table *t);
uint32_t sbgw_flow_connections(const struct sbgw_flow_table *t, uint32_t sandbox);
const struct sbgw_flow_counters *sbgw_flow_table_counters(const struct sbgw_flow_table *t);

/*
 * Run-time changes (walk.c). sbgw_flow_walk() visits up to budget entries
 * from *cursor (wrapping; the cursor is left after the last one) and calls
 * fn for each live flow; fn may delete the flow it is given. Owning worker
 * only. sbgw_flow_snapshot() copies up to max live flows of sandbox from
 * another thread: entries are never freed while the table exists, and one
 * changed under the copy may be skipped (a best-effort view for operators).
 * sbgw_flow_set_max_connections() may be called from any thread; the
 * worker sees the new cap at its next flow creation.
 */
typedef void (*sbgw_flow_visit_fn)(struct sbgw_flow_table *t, struct sbgw_flow *f, void *arg);
uint32_t sbgw_flow_capacity(const struct sbgw_flow_table *t);
uint32_t sbgw_flow_walk(struct sbgw_flow_table *t, uint32_t *cursor, uint32_t budget,
			sbgw_flow_visit_fn fn, void *arg);
unsigned int sbgw_flow_snapshot(const struct sbgw_flow_table *t, uint32_t sandbox,
				struct sbgw_flow *out, unsigned int max);
void sbgw_flow_set_max_connections(struct sbgw_flow_table *t, uint32_t sandbox, uint32_t max);

#endif
