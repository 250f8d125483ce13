/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table's key index: maps both keys of every flow to its entry.
 *
 * Buckets of one cache line hold eight slots: a 16-bit signature and a
 * reference (entry index and key side) each. A key's home bucket is its
 * hash's low bits; a key that finds its home full goes to the next
 * bucket with room, and every bucket it passed counts it in `overflow`,
 * so a lookup stops at the first bucket whose overflow is zero. There are
 * at least twice as many slots as keys can ever be (two per entry), so an
 * insert always finds room and chains stay short. A lookup reads the
 * home bucket and then the entry itself, which holds the key next to
 * the fields forwarding needs: two cache lines, and the bulk lookup
 * fetches them for a whole burst before it waits for any.
 *
 * The hash is keyed (NH, the universal hash of UMAC, RFC 4418, under a
 * random key drawn once per process, then MurmurHash3's 64-bit
 * finaliser): without the key a guest cannot pick flows that share a
 * bucket, which a linear hash such as CRC32 would let it do under any seed.
 */
#include <string.h>
#include <sys/random.h>

#include <rte_common.h>
#include <rte_prefetch.h>
#include <rte_random.h>
#include <rte_vect.h>
#include <stdbool.h>

#include "flow_priv.h"

static uint32_t nh_key[12];
static bool nh_key_ready;

/* Tables are created on the main lcore before the workers start. */
void flow_hash_init(void)
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

uint64_t flow_hash(const struct sbgw_flow_key *k)
{
	uint32_t w[12];
	uint64_t h = 0;

	memcpy(w, k, sizeof(w));
	for (unsigned int i = 0; i < 12; i += 2)
		h += (uint64_t)(uint32_t)(w[i] + nh_key[i]) * (uint32_t)(w[i + 1] + nh_key[i + 1]);
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/* Never 0: 0 marks a free slot. */
static inline uint16_t hash_sig(uint64_t h)
{
	return (uint16_t)((h >> 48) | 1);
}

static inline uint32_t slot_ref(uint32_t idx, unsigned int side)
{
	return (idx << 1 | side) + 1;
}

static inline struct sbgw_flow *ref_flow(const struct sbgw_flow_table *t, uint32_t ref)
{
	return &t->flows[(ref - 1) >> 1];
}

static inline const struct sbgw_flow_key *ref_key(const struct sbgw_flow_table *t, uint32_t ref)
{
	const struct sbgw_flow *f = ref_flow(t, ref);

	return ((ref - 1) & 1) ? &f->uplink_key : &f->guest_key;
}

/* Which slots of b carry signature sig: bit i for slot i. */
static inline unsigned int sig_matches(const struct flow_bucket *b, uint16_t sig)
{
	__m128i v = _mm_load_si128((const __m128i *)(const void *)b->sig);
	__m128i m = _mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig));

	/* One byte per slot, then one bit. */
	return (unsigned int)_mm_movemask_epi8(_mm_packs_epi16(m, _mm_setzero_si128()));
}

static inline bool key_equal(const struct sbgw_flow_key *a, const struct sbgw_flow_key *b)
{
	uint64_t x[6], y[6], d = 0;

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (unsigned int i = 0; i < 6; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* The key's entry, searching from bucket b on. */
static struct sbgw_flow *find_from(const struct sbgw_flow_table *t, const struct sbgw_flow_key *k,
				   uint16_t sig, uint32_t b)
{
	for (uint32_t n = 0; n <= t->bucket_mask; n++) {
		const struct flow_bucket *bk = &t->buckets[(b + n) & t->bucket_mask];
		unsigned int m = sig_matches(bk, sig);

		while (m != 0) {
			unsigned int i = (unsigned int)__builtin_ctz(m);

			if (key_equal(ref_key(t, bk->ref[i]), k))
				return ref_flow(t, bk->ref[i]);
			m &= m - 1;
		}
		if (bk->overflow == 0)
			return NULL;
	}
	return NULL;
}

struct sbgw_flow *flow_find(const struct sbgw_flow_table *t, const struct sbgw_flow_key *k,
			    uint64_t h)
{
	return find_from(t, k, hash_sig(h), (uint32_t)h & t->bucket_mask);
}

void flow_insert(struct sbgw_flow_table *t, uint64_t h, const struct sbgw_flow *f,
		 unsigned int side)
{
	uint32_t home = (uint32_t)h & t->bucket_mask;

	/* Twice as many slots as keys: there is always room. */
	for (uint32_t n = 0; n <= t->bucket_mask; n++) {
		struct flow_bucket *bk = &t->buckets[(home + n) & t->bucket_mask];

		for (unsigned int i = 0; i < FLOW_BUCKET_SLOTS; i++) {
			if (bk->sig[i] != 0)
				continue;
			bk->sig[i] = hash_sig(h);
			bk->ref[i] = slot_ref((uint32_t)(f - t->flows), side);
			for (uint32_t p = 0; p < n; p++)
				t->buckets[(home + p) & t->bucket_mask].overflow++;
			t->n_keys++;
			return;
		}
	}
}

void flow_remove(struct sbgw_flow_table *t, uint64_t h, const struct sbgw_flow *f,
		 unsigned int side)
{
	uint32_t home = (uint32_t)h & t->bucket_mask;
	uint32_t ref = slot_ref((uint32_t)(f - t->flows), side);

	for (uint32_t n = 0; n <= t->bucket_mask; n++) {
		struct flow_bucket *bk = &t->buckets[(home + n) & t->bucket_mask];

		for (unsigned int i = 0; i < FLOW_BUCKET_SLOTS; i++) {
			if (bk->sig[i] == 0 || bk->ref[i] != ref)
				continue;
			bk->sig[i] = 0;
			bk->ref[i] = 0;
			for (uint32_t p = 0; p < n; p++)
				t->buckets[(home + p) & t->bucket_mask].overflow--;
			t->n_keys--;
			return;
		}
		if (bk->overflow == 0)
			return; /* not indexed: nothing to do */
	}
}

struct sbgw_flow *sbgw_flow_lookup(struct sbgw_flow_table *t, const struct sbgw_flow_key *k)
{
	return flow_find(t, k, flow_hash(k));
}

/*
 * Three passes over the burst, so that each waits for memory the previous
 * one asked for long before: hash every key and prefetch its home bucket;
 * find each key's first signature match and prefetch that entry (the
 * line with the key, and the hot line); then compare keys, searching
 * again (other matches, overflow chains) only where the bucket leaves
 * room for doubt.
 */
unsigned int sbgw_flow_lookup_bulk(struct sbgw_flow_table *t, const struct sbgw_flow_key **keys,
				   unsigned int n, struct sbgw_flow **flows)
{
	uint64_t h[SBGW_FLOW_BULK_MAX];
	uint32_t ref[SBGW_FLOW_BULK_MAX];
	bool more[SBGW_FLOW_BULK_MAX];
	unsigned int hits = 0;

	if (n > SBGW_FLOW_BULK_MAX) {
		hits = sbgw_flow_lookup_bulk(t, keys, SBGW_FLOW_BULK_MAX, flows);
		return hits + sbgw_flow_lookup_bulk(t, keys + SBGW_FLOW_BULK_MAX,
						    n - SBGW_FLOW_BULK_MAX,
						    flows + SBGW_FLOW_BULK_MAX);
	}
	for (unsigned int i = 0; i < n; i++) {
		h[i] = flow_hash(keys[i]);
		rte_prefetch0(&t->buckets[(uint32_t)h[i] & t->bucket_mask]);
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct flow_bucket *bk = &t->buckets[(uint32_t)h[i] & t->bucket_mask];
		unsigned int m = sig_matches(bk, hash_sig(h[i]));

		/* Most often one match, the key's; else decided in the last pass. */
		ref[i] = 0;
		more[i] = m != 0 ? (m & (m - 1)) != 0 || bk->overflow != 0 : bk->overflow != 0;
		if (m != 0) {
			ref[i] = bk->ref[__builtin_ctz(m)];
			rte_prefetch0(ref_flow(t, ref[i])); /* the hot line, with the guest key */
			if ((ref[i] - 1) & 1)
				rte_prefetch0(ref_key(t, ref[i])); /* an uplink key's line */
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		if (ref[i] != 0 && key_equal(ref_key(t, ref[i]), keys[i]))
			flows[i] = ref_flow(t, ref[i]);
		else if (more[i])
			flows[i] = flow_find(t, keys[i], h[i]);
		else
			flows[i] = NULL;
		hits += flows[i] != NULL;
	}
	return hits;
}

uint32_t flow_index_keys(const struct sbgw_flow_table *t)
{
	return t->n_keys;
}
