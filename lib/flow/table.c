/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table: a preallocated entry array and one rte_hash holding both
 * keys of every flow, each mapping to the entry's address.
 *
 * The hash is single-writer and unlocked (one table per worker, nothing
 * else touches it) and has the extendable bucket table, sized for two
 * keys per entry: an insert then never fails for lack of a cuckoo path,
 * so "table full" means exactly "no free entry". It hashes with a keyed
 * universal hash (flow_key_hash()) under a random key, not CRC32: CRC is
 * linear, so keys a guest crafts to collide would collide under every
 * seed and pile into one bucket chain.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#include "flow_priv.h"

#define MAX_CONNECTIONS_DEFAULT 256 /* semantics §2.12 */
/* rte_hash refuses fewer entries than one bucket holds (RTE_HASH_BUCKET_ENTRIES, private). */
#define HASH_ENTRIES_MIN 8u

static void *zalloc_array(const char *what, size_t n, size_t size, int socket)
{
	return rte_zmalloc_socket(what, n * size, RTE_CACHE_LINE_SIZE, socket);
}

static uint32_t hash_seed(void)
{
	uint32_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	/* Entropy pool not ready this early in boot: still unknown to a guest. */
	return (uint32_t)rte_rand();
}

/*
 * Random key of flow_key_hash(), drawn once per process before the first
 * table (tables are created on the main lcore before the workers start).
 */
static uint32_t nh_key[12];
static bool nh_key_ready;

static void nh_key_init(void)
{
	if (nh_key_ready)
		return;
	if (getrandom(nh_key, sizeof(nh_key), GRND_NONBLOCK) != (ssize_t)sizeof(nh_key)) {
		/* Entropy pool not ready this early in boot: still unknown to a guest. */
		for (unsigned int i = 0; i < RTE_DIM(nh_key); i++)
			nh_key[i] = (uint32_t)rte_rand();
	}
	nh_key_ready = true;
}

/*
 * The flow key's hash: NH (the universal hash of UMAC, RFC 4418) over the
 * key's twelve 32-bit words, then a 64-bit finaliser (MurmurHash3's) so
 * that the bits rte_hash takes for the bucket and the signature all
 * depend on the whole key. Under a random key two given flow keys collide
 * in NH with probability about 2^-32, whatever a guest chooses; it costs
 * six multiplications where jhash (the previous choice, same property
 * only through its 32-bit seed) took about four times longer on 48 bytes.
 */
static uint32_t flow_key_hash(const void *key, uint32_t len, uint32_t init_val)
{
	uint32_t w[12];
	uint64_t h = init_val;

	if (len != sizeof(w))
		return rte_jhash(key, len, init_val);
	memcpy(w, key, sizeof(w));
	for (unsigned int i = 0; i < 12; i += 2)
		h += (uint64_t)(uint32_t)(w[i] + nh_key[i]) * (uint32_t)(w[i + 1] + nh_key[i + 1]);
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return (uint32_t)h;
}

struct sbgw_flow_table *sbgw_flow_table_create(const struct sbgw_flow_table_params *p)
{
	struct rte_hash_parameters hp;
	struct sbgw_flow_table *t = NULL;
	uint32_t n_sb;
	int err = EINVAL;

	if (p == NULL || p->name == NULL || p->capacity == 0 ||
	    p->capacity > SBGW_FLOW_CAPACITY_MAX)
		goto fail;
	err = ENOMEM;
	t = rte_zmalloc_socket("sbgw_flow_table", sizeof(*t), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t == NULL)
		goto fail;
	err = -flow_nat_init(t, p);
	if (err != 0)
		goto fail;
	flow_timeouts_init(t, &p->timeouts);

	err = ENOMEM;
	t->capacity = p->capacity;
	t->n_sandboxes = p->n_sandboxes;
	n_sb = RTE_MAX(p->n_sandboxes, 1u);
	t->flows = zalloc_array("sbgw_flow_entries", p->capacity, sizeof(*t->flows), p->socket_id);
	t->free_stack = zalloc_array("sbgw_flow_free", p->capacity, sizeof(uint32_t), p->socket_id);
	t->connections = zalloc_array("sbgw_flow_conns", n_sb, sizeof(uint32_t), p->socket_id);
	t->max_connections =
	        zalloc_array("sbgw_flow_maxconns", n_sb, sizeof(uint32_t), p->socket_id);
	if (t->flows == NULL || t->free_stack == NULL || t->connections == NULL ||
	    t->max_connections == NULL)
		goto fail;
	for (uint32_t i = 0; i < p->n_sandboxes; i++)
		t->max_connections[i] = p->max_connections != NULL ? p->max_connections[i]
		                                                   : MAX_CONNECTIONS_DEFAULT;
	/* Entry 0 on top: a lightly loaded table stays at the front of the array. */
	for (uint32_t i = 0; i < p->capacity; i++)
		t->free_stack[i] = p->capacity - 1 - i;
	t->n_free = p->capacity;

	memset(&hp, 0, sizeof(hp));
	hp.name = p->name;
	hp.entries = RTE_MAX(2 * p->capacity, HASH_ENTRIES_MIN);
	hp.key_len = sizeof(struct sbgw_flow_key);
	nh_key_init();
	hp.hash_func = flow_key_hash;
	hp.hash_func_init_val = hash_seed();
	hp.socket_id = p->socket_id;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		err = rte_errno != 0 ? rte_errno : ENOMEM;
		goto fail;
	}
	return t;
fail:
	sbgw_flow_table_free(t);
	errno = err;
	return NULL;
}

void sbgw_flow_table_free(struct sbgw_flow_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->max_connections);
	rte_free(t->connections);
	rte_free(t->free_stack);
	rte_free(t->flows);
	rte_free(t);
}

struct sbgw_flow *sbgw_flow_lookup(struct sbgw_flow_table *t, const struct sbgw_flow_key *k)
{
	void *data;

	if (rte_hash_lookup_data(t->hash, k, &data) < 0)
		return NULL;
	return data;
}

unsigned int sbgw_flow_lookup_bulk(struct sbgw_flow_table *t, const struct sbgw_flow_key **keys,
                                   unsigned int n, struct sbgw_flow **flows)
{
	unsigned int hits = 0;

	/* More than the hash's bulk maximum is not expected, but stays correct. */
	for (unsigned int done = 0; done < n; done += RTE_HASH_LOOKUP_BULK_MAX) {
		unsigned int m = RTE_MIN(n - done, (unsigned int)RTE_HASH_LOOKUP_BULK_MAX);
		void *data[RTE_HASH_LOOKUP_BULK_MAX];
		uint64_t mask = 0;

		if (rte_hash_lookup_bulk_data(t->hash, (const void **)(keys + done), m, &mask,
		                              data) < 0)
			mask = 0;
		for (unsigned int i = 0; i < m; i++) {
			struct sbgw_flow *f = NULL;

			if (mask & (UINT64_C(1) << i)) {
				f = data[i];
				/* The caller's next move reads the entry's first line. */
				rte_prefetch0(f);
				hits++;
			}
			flows[done + i] = f;
		}
	}
	return hits;
}

static bool valid_create(const struct sbgw_flow_table *t, const struct sbgw_flow_create *c)
{
	const struct sbgw_flow_key *k = c->guest_key;

	return k != NULL && c->uplink_addr != NULL && c->sandbox < t->n_sandboxes &&
	       k->zone == c->sandbox && (k->family == AF_INET || k->family == AF_INET6) &&
	       c->uplink_addr->family == k->family;
}

struct sbgw_flow *sbgw_flow_create(struct sbgw_flow_table *t, const struct sbgw_flow_create *c,
                                   uint64_t now)
{
	const struct sbgw_flow_key *gk = c->guest_key;
	struct sbgw_flow_key uk;
	hash_sig_t gsig, usig;
	bool guest_added = false;
	struct sbgw_flow *f;
	int err, ret;

	err = EINVAL;
	if (!valid_create(t, c))
		goto fail;
	err = EDQUOT;
	if (c->counts_connection && t->connections[c->sandbox] >= t->max_connections[c->sandbox]) {
		t->counters.max_connections++;
		goto fail;
	}
	err = ENOSPC;
	if (t->n_free == 0) {
		t->counters.table_full++;
		goto fail;
	}
	/* Adding an existing key would silently repoint it at the new entry. */
	err = EEXIST;
	gsig = rte_hash_hash(t->hash, gk);
	if (rte_hash_lookup_with_hash(t->hash, gk, gsig) >= 0)
		goto fail;
	ret = flow_nat_map(t, gk, c->uplink_addr, &uk, &usig);
	if (ret < 0) {
		t->counters.nat_ports_exhausted++;
		err = -ret;
		goto fail;
	}

	/* Sized for two keys per entry, so these only fail on a bug: count them as full. */
	err = ENOSPC;
	f = &t->flows[t->free_stack[t->n_free - 1]];
	if (rte_hash_add_key_with_hash_data(t->hash, gk, gsig, f) < 0) {
		t->counters.table_full++;
		goto fail;
	}
	guest_added = true;
	if (rte_hash_add_key_with_hash_data(t->hash, &uk, usig, f) < 0) {
		t->counters.table_full++;
		goto fail;
	}

	t->n_free--;
	if ((uint32_t)(f - t->flows) >= t->high_water)
		t->high_water = (uint32_t)(f - t->flows) + 1;
	f->guest_key = *gk;
	f->uplink_key = uk;
	f->last_seen = now;
	f->sandbox = c->sandbox;
	f->nat_port = uk.dst_port;
	f->tcp_state = SBGW_TCP_NONE;
	f->rule = c->rule;
	f->counts_connection = c->counts_connection;
	flow_nat_csum(f);
	if (c->counts_connection)
		t->connections[c->sandbox]++;
	t->counters.created++;
	return f;
fail:
	if (guest_added)
		rte_hash_del_key_with_hash(t->hash, gk, gsig);
	errno = err;
	return NULL;
}

void flow_release(struct sbgw_flow_table *t, struct sbgw_flow *f)
{
	uint32_t idx = (uint32_t)(f - t->flows);

	rte_hash_del_key(t->hash, &f->guest_key);
	rte_hash_del_key(t->hash, &f->uplink_key);
	if (f->counts_connection)
		t->connections[f->sandbox]--;
	/* A zero family marks the entry free, for expiry and for stale pointers. */
	memset(f, 0, sizeof(*f));
	t->free_stack[t->n_free++] = idx;
}

void sbgw_flow_delete(struct sbgw_flow_table *t, struct sbgw_flow *f)
{
	/* Deleting twice (a stale pointer) must not free the entry twice. */
	if (f == NULL || f < t->flows || f >= t->flows + t->capacity || f->guest_key.family == 0)
		return;
	flow_release(t, f);
	t->counters.deleted++;
}

uint32_t sbgw_flow_count(const struct sbgw_flow_table *t)
{
	return t->capacity - t->n_free;
}

uint32_t sbgw_flow_connections(const struct sbgw_flow_table *t, uint32_t sandbox)
{
	return sandbox < t->n_sandboxes ? t->connections[sandbox] : 0;
}

const struct sbgw_flow_counters *sbgw_flow_table_counters(const struct sbgw_flow_table *t)
{
	return &t->counters;
}
