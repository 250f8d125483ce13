/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table: a preallocated entry array and the index (index.c) of
 * both keys of every flow. Single-writer and unlocked: one table per
 * worker, nothing else touches it. The index has room for every key the
 * entries can hold, so "table full" means exactly "no free entry".
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#include "flow_priv.h"

#define MAX_CONNECTIONS_DEFAULT 256 /* semantics §2.12 */

static void *zalloc_array(const char *what, size_t n, size_t size, int socket)
{
	return rte_zmalloc_socket(what, n * size, RTE_CACHE_LINE_SIZE, socket);
}

/* Buckets for twice as many keys as the entries can hold (two each): a power of two. */
static uint32_t bucket_count(uint32_t capacity)
{
	uint64_t want = ((uint64_t)capacity * 2 * 2 + FLOW_BUCKET_SLOTS - 1) / FLOW_BUCKET_SLOTS;

	return (uint32_t)rte_align64pow2(RTE_MAX(want, (uint64_t)1));
}

struct sbgw_flow_table *sbgw_flow_table_create(const struct sbgw_flow_table_params *p)
{
	struct sbgw_flow_table *t = NULL;
	uint32_t nb;
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

	nb = bucket_count(p->capacity);
	flow_hash_init();
	t->mz = rte_memzone_reserve_aligned(p->name, (size_t)nb * sizeof(struct flow_bucket),
	                                    p->socket_id, 0, RTE_CACHE_LINE_SIZE);
	if (t->mz == NULL) {
		err = rte_errno != 0 ? rte_errno : ENOMEM;
		goto fail;
	}
	t->buckets = t->mz->addr;
	memset(t->buckets, 0, (size_t)nb * sizeof(struct flow_bucket));
	t->bucket_mask = nb - 1;
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
	rte_memzone_free(t->mz);
	rte_free(t->max_connections);
	rte_free(t->connections);
	rte_free(t->free_stack);
	rte_free(t->flows);
	rte_free(t);
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
	uint64_t gh, uh;
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
	gh = flow_hash(gk);
	if (flow_find(t, gk, gh) != NULL)
		goto fail;
	ret = flow_nat_map(t, gk, c->uplink_addr, &uk, &uh);
	if (ret < 0) {
		t->counters.nat_ports_exhausted++;
		err = -ret;
		goto fail;
	}

	f = &t->flows[t->free_stack[t->n_free - 1]];
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
	flow_insert(t, gh, f, 0);
	flow_insert(t, uh, f, 1);
	if (c->counts_connection)
		t->connections[c->sandbox]++;
	t->counters.created++;
	return f;
fail:
	errno = err;
	return NULL;
}

void flow_release(struct sbgw_flow_table *t, struct sbgw_flow *f)
{
	uint32_t idx = (uint32_t)(f - t->flows);

	flow_remove(t, flow_hash(&f->guest_key), f, 0);
	flow_remove(t, flow_hash(&f->uplink_key), f, 1);
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
