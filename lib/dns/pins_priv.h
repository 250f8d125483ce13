/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pin table's private layout, shared by pins.c (readers, reclamation,
 * creation) and pins_update.c (the writer's changes). See pins.c for the
 * design.
 */
#ifndef SBGW_DNS_PINS_PRIV_H
#define SBGW_DNS_PINS_PRIV_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "pins.h"

#define NONE UINT32_MAX
/* rte_hash refuses fewer entries than one bucket holds (RTE_HASH_BUCKET_ENTRIES, private). */
#define HASH_ENTRIES_MIN 8u
#define HASH_ENTRIES_MAX (UINT32_C(1) << 30) /* RTE_HASH_ENTRIES_MAX */
/* Records one replace can retire: its old and its new addresses. */
#define RETIRE_BATCH (2 * SBGW_PINS_ADDRS_MAX)
#define LINKS_PER_NAME_DEFAULT 4u
/* A name that satisfies more domain sets than this has its hits recomputed when needed. */
#define HITS_INLINE 4
#define SET_NONE 0xff

/* The readers' key. IPv4 in host order in the first four bytes; the rest zero. */
struct addr_key {
	uint32_t sandbox;
	uint8_t family;
	uint8_t pad[3];
	uint8_t addr[16];
};

struct name_key {
	uint32_t sandbox;
	uint32_t family;
	char name[SBGW_NAME_MAX]; /* zero-padded: the hash compares all of it */
};

/* Some live name of the address satisfies rule (of domain set `set`) until expiry. */
struct entry {
	uint64_t expiry;
	uint32_t rule;
	uint32_t set;
};

struct record {
	uint64_t latest; /* the last expiry of the address's names: none is live from then on */
	uint32_t n;
	uint32_t pad;
	struct entry e[]; /* by set, then rule, expiry increasing within a set */
};

struct name_hits {
	uint64_t bits;
	uint32_t rule[HITS_INLINE]; /* first rule of the i-th set bit, when they fit */
};

struct name_entry {
	const struct name_key *key; /* the hash's copy: valid while the entry is used */
	uint64_t expiry;
	struct name_hits hits;
	uint32_t first_link;
	bool used;
};

struct addr_entry {
	struct addr_key key;
	struct record *rec; /* published */
	uint32_t first_link;
	bool used;
	bool dirty; /* on the expire pass's list */
};

struct link {
	uint32_t name, addr;
	uint32_t name_next; /* also the free list */
	uint32_t addr_prev, addr_next;
};

struct retired {
	uint64_t token;
	struct record *rec;
	int32_t slot; /* address key position to free with it, or -1 */
};

struct sandbox {
	const struct sbgw_policy_compiled *cp;
	bool domains; /* cp has domain rules: records carry hits */
};

/* Record building: per rule of the policy, the latest expiry of a name that hits it. */
struct scratch {
	uint32_t cap;      /* rules */
	uint64_t *best;    /* [rule] */
	uint8_t *set;      /* [rule]: its domain set, SET_NONE when untouched */
	uint32_t *touched; /* rules touched, n_touched of them */
	uint32_t n_touched;
	struct entry *out; /* [cap] */
};

struct sbgw_pins {
	/* What the readers touch. */
	struct rte_hash *addrs_h;
	struct rte_rcu_qsbr *qsbr;
	uint32_t n_sandboxes;
	unsigned int n_readers;

	/* Writer only from here on. */
	struct rte_hash *names_h __rte_cache_aligned;
	uint32_t max_names, max_addrs, max_links;
	uint32_t name_cap, addr_cap; /* array sizes: the hashes' key positions */
	uint32_t addr_slots;         /* the address hash's entries */
	uint32_t n_names, n_addrs, n_links;
	uint32_t pending_slots; /* deleted address keys waiting in the FIFO */
	uint32_t free_link;
	uint64_t next_expiry; /* no name expires before */
	struct sandbox *sb;
	struct name_entry *names;
	struct addr_entry *addrs;
	struct link *links;
	uint32_t *dirty; /* expire: addresses to republish */
	struct retired batch[RETIRE_BATCH];
	unsigned int n_batch;
	struct retired *fifo;
	uint32_t fifo_cap, fifo_head, fifo_n;
	struct scratch scratch;
	struct sbgw_pins_counters c;
};

/* ---- Datapath: no logs, no allocation, no locks -------------------------- */


static inline bool addr_key_init(struct addr_key *k, uint32_t sandbox, const struct sbgw_addr *addr)
{
	struct sbgw_addr a = *addr;

	sbgw_addr_normalise(&a);
	memset(k, 0, sizeof(*k));
	k->sandbox = sandbox;
	k->family = a.family;
	if (a.family == AF_INET)
		memcpy(k->addr, &a.v4, sizeof(a.v4));
	else if (a.family == AF_INET6)
		memcpy(k->addr, a.v6, sizeof(a.v6));
	else
		return false;
	return true;
}


/* Reclamation (pins.c) and scratch space (pins_update.c), used by both files. */
void pins_reclaim(struct sbgw_pins *pins);
void pins_make_room(struct sbgw_pins *pins, uint32_t fifo_need, uint32_t slot_need);
void pins_flush(struct sbgw_pins *pins);
void pins_retire(struct sbgw_pins *pins, struct record *rec, int32_t slot);
void pins_scratch_free(struct scratch *s);

#endif
