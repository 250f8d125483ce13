/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pin table (pins.h).
 *
 * Writer side (the DNS slow core; one thread, so no locks):
 *   - names: an rte_hash keyed by (sandbox, family, canonical name) whose
 *     positions index name_entry[]: the expiry, the name's domain hits
 *     under the sandbox's policy (cached: they only change with the
 *     policy) and the name's links;
 *   - links: one per (name entry, address) pair, on the name's list and on
 *     the address's doubly linked list (the inverse index);
 *   - addresses: the readers' rte_hash, whose positions index addr_entry[]
 *     (a position is not reused before its key slot is freed, so the
 *     entry of a deleted address cannot alias a new one).
 *
 * Reader side: the address hash (RW_CONCURRENCY_LF, single writer, so no
 * writer lock either) maps (sandbox, family, address) to an immutable
 * struct record. Any change to an address's names publishes a new record
 * (rte_hash_add_key_data on the existing key is an atomic pointer store)
 * and retires the old one.
 *
 * A record is the address's hits reduced to what a lookup can still need:
 * for each domain set, the (rule, expiry) pairs of its names kept only
 * where a later expiry pays for a larger rule index, sorted by rule. The
 * first live pair of a set is then the smallest rule any live name gives
 * that set, so one pass over a handful of entries answers exactly at any
 * time, expired names ignored before sbgw_pins_expire() removes them.
 * While nothing has expired that pass sees the first pair of each set:
 * the precomputed merge. Its size is bounded by the policy's domain
 * rules, not by the number of names on the address.
 *
 * Reclamation: retired records (and the key slots of deleted addresses,
 * which RW_CONCURRENCY_LF does not free on delete) wait in a FIFO behind
 * an rte_rcu_qsbr token and are freed once every registered reader has
 * reported a quiescent state since. We keep our own FIFO rather than
 * rte_rcu_qsbr_dq: one token covers all the records one change retires,
 * a full queue makes the writer wait for the oldest token instead of
 * failing (and logging), and the slots to free are counted, so "address
 * table full" stays exact. rte_hash_rcu_qsbr_add() would free key slots
 * by itself, but not the records replaced under a live key, which need
 * this FIFO anyway.
 */
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

static bool addr_key_init(struct addr_key *k, uint32_t sandbox, const struct sbgw_addr *addr)
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

bool sbgw_pins_lookup(const struct sbgw_pins *pins, uint32_t sandbox, const struct sbgw_addr *addr,
                      uint64_t now, struct sbgw_domain_hits *out)
{
	const struct record *rec;
	struct addr_key key;
	void *data;

	out->bits = 0;
	if (sandbox >= pins->n_sandboxes || !addr_key_init(&key, sandbox, addr))
		return false;
	if (rte_hash_lookup_data(pins->addrs_h, &key, &data) < 0)
		return false;
	rec = data;
	if (now >= rec->latest)
		return false;
	for (uint32_t i = 0; i < rec->n; i++) {
		const struct entry *e = &rec->e[i];
		uint64_t bit = UINT64_C(1) << e->set;

		/* The set's first live entry has its smallest live rule. */
		if ((out->bits & bit) == 0 && now < e->expiry) {
			out->bits |= bit;
			out->first_rule[e->set] = e->rule;
		}
	}
	return true;
}

void sbgw_pins_quiescent(struct sbgw_pins *pins, unsigned int reader)
{
	rte_rcu_qsbr_quiescent(pins->qsbr, reader);
}

/* ---- Readers joining and leaving ----------------------------------------- */

int sbgw_pins_reader_register(struct sbgw_pins *pins, unsigned int reader)
{
	if (pins == NULL || reader >= pins->n_readers)
		return -EINVAL;
	if (rte_rcu_qsbr_thread_register(pins->qsbr, reader) != 0)
		return -rte_errno;
	rte_rcu_qsbr_thread_online(pins->qsbr, reader);
	return 0;
}

int sbgw_pins_reader_unregister(struct sbgw_pins *pins, unsigned int reader)
{
	if (pins == NULL || reader >= pins->n_readers)
		return -EINVAL;
	rte_rcu_qsbr_thread_offline(pins->qsbr, reader);
	if (rte_rcu_qsbr_thread_unregister(pins->qsbr, reader) != 0)
		return -rte_errno;
	return 0;
}

/* ---- Reclamation --------------------------------------------------------- */

static void retired_free(struct sbgw_pins *pins, const struct retired *r)
{
	free(r->rec);
	pins->c.freed++;
	if (r->slot >= 0) {
		rte_hash_free_key_with_position(pins->addrs_h, r->slot);
		pins->pending_slots--;
	}
}

static void fifo_pop_free(struct sbgw_pins *pins)
{
	retired_free(pins, &pins->fifo[pins->fifo_head]);
	pins->fifo_head = (pins->fifo_head + 1) % pins->fifo_cap;
	pins->fifo_n--;
}

/* Free what every reader has stopped seeing. */
static void reclaim(struct sbgw_pins *pins)
{
	while (pins->fifo_n > 0 &&
	       rte_rcu_qsbr_check(pins->qsbr, pins->fifo[pins->fifo_head].token, false) == 1)
		fifo_pop_free(pins);
}

static uint32_t free_slots(const struct sbgw_pins *pins)
{
	return pins->addr_slots - pins->n_addrs - pins->pending_slots;
}

/*
 * Make room for fifo_need retirements and slot_need new address keys,
 * waiting for the readers if we must. Every pending slot is in the FIFO,
 * so waiting for its oldest token always makes progress.
 */
static void make_room(struct sbgw_pins *pins, uint32_t fifo_need, uint32_t slot_need)
{
	reclaim(pins);
	while (pins->fifo_n > 0 &&
	       (pins->fifo_cap - pins->fifo_n < fifo_need || free_slots(pins) < slot_need)) {
		pins->c.waits++;
		rte_rcu_qsbr_check(pins->qsbr, pins->fifo[pins->fifo_head].token, true);
		reclaim(pins);
	}
}

/* Push the batch behind one token, taken after all its records were unpublished. */
static void flush(struct sbgw_pins *pins)
{
	uint64_t token;

	if (pins->n_batch == 0)
		return;
	make_room(pins, pins->n_batch, 0);
	token = rte_rcu_qsbr_start(pins->qsbr);
	for (unsigned int i = 0; i < pins->n_batch; i++) {
		struct retired *r = &pins->fifo[(pins->fifo_head + pins->fifo_n) % pins->fifo_cap];

		*r = pins->batch[i];
		r->token = token;
		pins->fifo_n++;
	}
	pins->n_batch = 0;
	/* Frees at once when no reader is registered. */
	reclaim(pins);
}

/* rec (and slot, unless -1) are no longer reachable by new lookups. */
static void retire(struct sbgw_pins *pins, struct record *rec, int32_t slot)
{
	if (pins->n_batch == RETIRE_BATCH)
		flush(pins);
	pins->batch[pins->n_batch].rec = rec;
	pins->batch[pins->n_batch].slot = slot;
	pins->n_batch++;
	if (slot >= 0)
		pins->pending_slots++;
}

/* ---- Domain hits of one name ---------------------------------------------- */

static bool has_domains(const struct sbgw_policy_compiled *cp)
{
	return cp != NULL && sbgw_policy_has_domain_rules(cp);
}

static void name_hits_compute(const struct sbgw_policy_compiled *cp, const char *name,
                              struct name_hits *c)
{
	struct sbgw_domain_hits h;
	unsigned int i = 0;

	memset(c, 0, sizeof(*c));
	if (!has_domains(cp))
		return;
	sbgw_policy_domain_hits(cp, &name, 1, &h);
	c->bits = h.bits;
	for (uint64_t b = h.bits; b != 0 && i < HITS_INLINE; b &= b - 1, i++)
		c->rule[i] = h.first_rule[__builtin_ctzll(b)];
}

static void name_hits_expand(const struct sbgw_policy_compiled *cp, const struct name_hits *c,
                             const char *name, struct sbgw_domain_hits *out)
{
	unsigned int i = 0;

	if (__builtin_popcountll(c->bits) > HITS_INLINE) {
		sbgw_policy_domain_hits(cp, &name, 1, out);
		return;
	}
	out->bits = c->bits;
	for (uint64_t b = c->bits; b != 0; b &= b - 1, i++)
		out->first_rule[__builtin_ctzll(b)] = c->rule[i];
}

/* ---- Records ------------------------------------------------------------- */

static void scratch_free(struct scratch *s)
{
	free(s->best);
	free(s->set);
	free(s->touched);
	free(s->out);
}

/* Writer-only memory, grown to the largest policy seen. */
static int scratch_reserve(struct scratch *s, uint32_t rules)
{
	struct scratch n = {.cap = rules};

	if (rules <= s->cap)
		return 0;
	n.best = calloc(rules, sizeof(*n.best));
	n.set = calloc(rules, sizeof(*n.set));
	n.touched = calloc(rules, sizeof(*n.touched));
	n.out = calloc(rules, sizeof(*n.out));
	if (n.best == NULL || n.set == NULL || n.touched == NULL || n.out == NULL) {
		scratch_free(&n);
		return -ENOMEM;
	}
	memset(n.set, SET_NONE, rules);
	scratch_free(s);
	*s = n;
	return 0;
}

static void scratch_add(struct scratch *s, const struct sbgw_domain_hits *h, uint64_t expiry)
{
	for (uint64_t b = h->bits; b != 0; b &= b - 1) {
		unsigned int k = (unsigned int)__builtin_ctzll(b);
		uint32_t r = h->first_rule[k];

		if (s->set[r] == SET_NONE) {
			s->set[r] = (uint8_t)k;
			s->best[r] = expiry;
			s->touched[s->n_touched++] = r;
		} else if (expiry > s->best[r]) {
			s->best[r] = expiry;
		}
	}
}

static uint64_t set_rule(const struct scratch *s, uint32_t r)
{
	return (uint64_t)s->set[r] << 32 | r;
}

/* The entries the touched rules give, in s->out; resets the scratch. */
static uint32_t scratch_reduce(struct scratch *s)
{
	uint32_t n = 0, prev_set = NONE;
	uint64_t seen = 0;

	/* Insertion sort: a record touches a few rules. */
	for (uint32_t i = 1; i < s->n_touched; i++) {
		uint32_t r = s->touched[i], j = i;

		for (; j > 0 && set_rule(s, s->touched[j - 1]) > set_rule(s, r); j--)
			s->touched[j] = s->touched[j - 1];
		s->touched[j] = r;
	}
	for (uint32_t i = 0; i < s->n_touched; i++) {
		uint32_t r = s->touched[i];

		if (s->set[r] != prev_set) {
			prev_set = s->set[r];
			seen = 0;
		}
		/* A larger rule matters only while every smaller one has expired. */
		if (s->best[r] > seen) {
			s->out[n].expiry = s->best[r];
			s->out[n].rule = r;
			s->out[n].set = s->set[r];
			seen = s->best[r];
			n++;
		}
		s->set[r] = SET_NONE;
	}
	s->n_touched = 0;
	return n;
}

/* A record as it will be once `name` is (present) or is no longer on the address. */
struct change {
	uint32_t name; /* name entry, or NONE for a name not yet in the table */
	const char *text;
	bool present;
	uint64_t expiry;
	const struct name_hits *hits; /* under the sandbox's policy */
};

/*
 * Build the record of address addr (NONE: a new address) from the writer
 * state, changed by chg (or not: NULL), under cp. cached: the names' cached
 * hits are cp's (false while a new policy is being prepared).
 */
static struct record *record_build(struct sbgw_pins *pins, const struct sbgw_policy_compiled *cp,
                                   bool cached, uint32_t addr, const struct change *chg)
{
	struct scratch *s = &pins->scratch;
	bool domains = has_domains(cp);
	struct sbgw_domain_hits h;
	struct record *rec;
	uint64_t latest = 0;
	uint32_t n;

	for (uint32_t l = addr == NONE ? NONE : pins->addrs[addr].first_link; l != NONE;
	     l = pins->links[l].addr_next) {
		const struct name_entry *ne = &pins->names[pins->links[l].name];

		if (chg != NULL && pins->links[l].name == chg->name)
			continue;
		latest = RTE_MAX(latest, ne->expiry);
		if (!domains || (cached && ne->hits.bits == 0))
			continue;
		if (cached) {
			name_hits_expand(cp, &ne->hits, ne->key->name, &h);
		} else {
			const char *text = ne->key->name;

			sbgw_policy_domain_hits(cp, &text, 1, &h);
		}
		scratch_add(s, &h, ne->expiry);
	}
	if (chg != NULL && chg->present) {
		latest = RTE_MAX(latest, chg->expiry);
		if (domains && chg->hits->bits != 0) {
			name_hits_expand(cp, chg->hits, chg->text, &h);
			scratch_add(s, &h, chg->expiry);
		}
	}
	n = domains ? scratch_reduce(s) : 0;
	/*
	 * The C heap rather than rte_malloc: no heap lock shared with the
	 * other slow-path allocators, and AddressSanitizer and LeakSanitizer
	 * see these objects, whose lifetime the grace period governs. A cache
	 * line each: a lookup reads one line for up to three entries.
	 */
	rec = aligned_alloc(
	        RTE_CACHE_LINE_SIZE,
	        RTE_ALIGN_CEIL(sizeof(*rec) + n * sizeof(rec->e[0]), RTE_CACHE_LINE_SIZE));
	if (rec == NULL)
		return NULL;
	rec->latest = latest;
	rec->n = n;
	rec->pad = 0;
	if (n > 0)
		memcpy(rec->e, s->out, n * sizeof(rec->e[0]));
	return rec;
}

/* Make rec the address's record; the old one waits for the readers. */
static void publish(struct sbgw_pins *pins, uint32_t addr, struct record *rec)
{
	struct addr_entry *ae = &pins->addrs[addr];

	/* An existing key: only its data pointer changes, atomically. */
	rte_hash_add_key_data(pins->addrs_h, &ae->key, rec);
	retire(pins, ae->rec, -1);
	ae->rec = rec;
}

static void addr_delete(struct sbgw_pins *pins, uint32_t addr)
{
	struct addr_entry *ae = &pins->addrs[addr];
	int32_t slot = rte_hash_del_key(pins->addrs_h, &ae->key);

	/* RW_CONCURRENCY_LF keeps the slot until we free it after the grace period. */
	retire(pins, ae->rec, slot);
	ae->rec = NULL;
	ae->used = false;
	pins->n_addrs--;
}

/* ---- Links --------------------------------------------------------------- */

static void link_add(struct sbgw_pins *pins, uint32_t name, uint32_t addr)
{
	struct name_entry *ne = &pins->names[name];
	struct addr_entry *ae = &pins->addrs[addr];
	uint32_t l = pins->free_link;
	struct link *k = &pins->links[l];

	pins->free_link = k->name_next;
	pins->n_links++;
	k->name = name;
	k->addr = addr;
	k->name_next = ne->first_link;
	ne->first_link = l;
	k->addr_prev = NONE;
	k->addr_next = ae->first_link;
	if (ae->first_link != NONE)
		pins->links[ae->first_link].addr_prev = l;
	ae->first_link = l;
}

static void link_unlink_addr(struct sbgw_pins *pins, uint32_t l)
{
	struct link *k = &pins->links[l];

	if (k->addr_prev != NONE)
		pins->links[k->addr_prev].addr_next = k->addr_next;
	else
		pins->addrs[k->addr].first_link = k->addr_next;
	if (k->addr_next != NONE)
		pins->links[k->addr_next].addr_prev = k->addr_prev;
}

static void link_release(struct sbgw_pins *pins, uint32_t l)
{
	pins->links[l].name_next = pins->free_link;
	pins->free_link = l;
	pins->n_links--;
}

/* Remove link l from both lists and free it. */
static void link_remove(struct sbgw_pins *pins, uint32_t l)
{
	uint32_t *p = &pins->names[pins->links[l].name].first_link;

	while (*p != l)
		p = &pins->links[*p].name_next;
	*p = pins->links[l].name_next;
	link_unlink_addr(pins, l);
	link_release(pins, l);
}

/* ---- Names --------------------------------------------------------------- */

static bool name_key_init(struct name_key *k, uint32_t sandbox, int family, const char *name)
{
	size_t len = strnlen(name, SBGW_NAME_MAX);

	if (len == SBGW_NAME_MAX)
		return false;
	memset(k, 0, sizeof(*k));
	k->sandbox = sandbox;
	k->family = (uint32_t)family;
	memcpy(k->name, name, len);
	return true;
}

static int name_insert(struct sbgw_pins *pins, const struct name_key *key,
                       const struct name_hits *hits)
{
	int32_t pos = rte_hash_add_key(pins->names_h, key);
	struct name_entry *ne;
	void *stored;

	if (pos < 0)
		return pos;
	ne = &pins->names[pos];
	memset(ne, 0, sizeof(*ne));
	rte_hash_get_key_with_position(pins->names_h, pos, &stored);
	ne->key = stored;
	ne->hits = *hits;
	ne->first_link = NONE;
	ne->used = true;
	pins->n_names++;
	return pos;
}

static void name_delete(struct sbgw_pins *pins, uint32_t name)
{
	struct name_entry *ne = &pins->names[name];
	struct name_key key = *ne->key;

	rte_hash_del_key(pins->names_h, &key);
	ne->used = false;
	ne->key = NULL;
	pins->n_names--;
}

/* ---- Replace ------------------------------------------------------------- */

/* One replace, prepared completely before anything changes. */
struct plan {
	struct name_key key;
	int32_t name; /* its entry, or -1 */
	uint64_t expiry;
	struct name_hits hits;
	const struct sbgw_policy_compiled *cp;
	/* The new set. */
	unsigned int n_new;
	struct addr_key keys[SBGW_PINS_ADDRS_MAX];
	int32_t pos[SBGW_PINS_ADDRS_MAX];        /* address entry, or -1 until added */
	bool fresh[SBGW_PINS_ADDRS_MAX];         /* a new address */
	bool linked[SBGW_PINS_ADDRS_MAX];        /* the name is already on it */
	struct record *rec[SBGW_PINS_ADDRS_MAX]; /* NULL: nothing to publish */
	/* The old set: the name's links. */
	unsigned int n_old;
	uint32_t old[SBGW_PINS_ADDRS_MAX];
	bool kept[SBGW_PINS_ADDRS_MAX];
	struct record *old_rec[SBGW_PINS_ADDRS_MAX]; /* NULL: the address goes */
	uint32_t new_addrs, freed_addrs, new_links, dropped_links;
};

static int plan_addrs(struct sbgw_pins *pins, struct plan *p, uint32_t sandbox,
                      const struct sbgw_addr *addrs, unsigned int n)
{
	p->n_new = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct addr_key k;
		bool dup = false;

		if (!addr_key_init(&k, sandbox, &addrs[i]))
			return -EINVAL;
		for (unsigned int j = 0; j < p->n_new && !dup; j++)
			dup = memcmp(&p->keys[j], &k, sizeof(k)) == 0;
		if (dup)
			continue;
		if (p->n_new == SBGW_PINS_ADDRS_MAX) {
			pins->c.truncated++;
			break;
		}
		p->keys[p->n_new] = k;
		p->pos[p->n_new] = rte_hash_lookup(pins->addrs_h, &k);
		p->fresh[p->n_new] = p->pos[p->n_new] < 0;
		p->linked[p->n_new] = false;
		p->rec[p->n_new] = NULL;
		p->new_addrs += p->fresh[p->n_new];
		p->n_new++;
	}
	return 0;
}

/* The address of link l has no other name. */
static bool sole_link(const struct sbgw_pins *pins, uint32_t l)
{
	const struct link *k = &pins->links[l];

	return k->addr_prev == NONE && k->addr_next == NONE;
}

static void plan_old(struct sbgw_pins *pins, struct plan *p)
{
	p->n_old = 0;
	for (uint32_t l = p->name < 0 ? NONE : pins->names[p->name].first_link; l != NONE;
	     l = pins->links[l].name_next) {
		unsigned int j = p->n_old++;

		p->old[j] = l;
		p->kept[j] = false;
		p->old_rec[j] = NULL;
		for (unsigned int i = 0; i < p->n_new; i++)
			if (p->pos[i] == (int32_t)pins->links[l].addr) {
				p->linked[i] = true;
				p->kept[j] = true;
			}
	}
	for (unsigned int i = 0; i < p->n_new; i++)
		p->new_links += !p->linked[i];
	for (unsigned int j = 0; j < p->n_old; j++) {
		p->dropped_links += !p->kept[j];
		p->freed_addrs += !p->kept[j] && sole_link(pins, p->old[j]);
	}
}

static bool plan_fits(const struct sbgw_pins *pins, const struct plan *p)
{
	if (p->name < 0 && p->n_new > 0 && pins->n_names >= pins->max_names)
		return false;
	if (p->new_links > pins->max_links - pins->n_links + p->dropped_links)
		return false;
	/*
	 * Addresses only this name held go. (They are deleted after the new
	 * ones are added: the hash has slots to spare for that.)
	 */
	return pins->n_addrs + p->new_addrs - p->freed_addrs <= pins->max_addrs;
}

static void plan_free_records(struct plan *p)
{
	for (unsigned int i = 0; i < p->n_new; i++)
		free(p->rec[i]);
	for (unsigned int j = 0; j < p->n_old; j++)
		free(p->old_rec[j]);
}

static int plan_records(struct sbgw_pins *pins, struct plan *p)
{
	struct change chg = {
	        .name = p->name < 0 ? NONE : (uint32_t)p->name,
	        .text = p->key.name,
	        .present = true,
	        .expiry = p->expiry,
	        .hits = &p->hits,
	};
	bool same_expiry = p->name >= 0 && pins->names[p->name].expiry == p->expiry;

	for (unsigned int i = 0; i < p->n_new; i++) {
		if (p->linked[i] && same_expiry)
			continue;
		p->rec[i] = record_build(pins, p->cp, true,
		                         p->pos[i] < 0 ? NONE : (uint32_t)p->pos[i], &chg);
		if (p->rec[i] == NULL)
			return -ENOMEM;
	}
	chg.present = false;
	for (unsigned int j = 0; j < p->n_old; j++) {
		uint32_t l = p->old[j];

		if (p->kept[j] || sole_link(pins, l))
			continue;
		p->old_rec[j] = record_build(pins, p->cp, true, pins->links[l].addr, &chg);
		if (p->old_rec[j] == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* Undo the additions of new addresses before the n-th (after an rte_hash failure). */
static void plan_unadd(struct sbgw_pins *pins, struct plan *p, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (p->fresh[i])
			addr_delete(pins, (uint32_t)p->pos[i]);
}

/* Publish the new addresses first: the one step that could fail. */
static int plan_add_addrs(struct sbgw_pins *pins, struct plan *p)
{
	for (unsigned int i = 0; i < p->n_new; i++) {
		struct addr_entry *ae;
		int32_t pos;
		int rc;

		if (!p->fresh[i])
			continue;
		rc = rte_hash_add_key_data(pins->addrs_h, &p->keys[i], p->rec[i]);
		pos = rc < 0 ? rc : rte_hash_lookup(pins->addrs_h, &p->keys[i]);
		if (pos < 0) {
			plan_unadd(pins, p, i);
			return pos;
		}
		ae = &pins->addrs[pos];
		ae->key = p->keys[i];
		ae->rec = p->rec[i];
		ae->first_link = NONE;
		ae->used = true;
		ae->dirty = false;
		pins->n_addrs++;
		p->pos[i] = pos;
		p->rec[i] = NULL; /* published: no longer the plan's to free */
	}
	return 0;
}

static void plan_commit(struct sbgw_pins *pins, struct plan *p)
{
	for (unsigned int j = 0; j < p->n_old; j++) {
		uint32_t l = p->old[j], addr = pins->links[l].addr;

		if (p->kept[j])
			continue;
		link_remove(pins, l);
		if (pins->addrs[addr].first_link == NONE)
			addr_delete(pins, addr);
		else
			publish(pins, addr, p->old_rec[j]);
		p->old_rec[j] = NULL;
	}
	for (unsigned int i = 0; i < p->n_new; i++) {
		if (!p->linked[i])
			link_add(pins, (uint32_t)p->name, (uint32_t)p->pos[i]);
		if (p->rec[i] != NULL)
			publish(pins, (uint32_t)p->pos[i], p->rec[i]);
		p->rec[i] = NULL;
	}
	if (p->n_new == 0) {
		name_delete(pins, (uint32_t)p->name);
		return;
	}
	pins->names[p->name].expiry = p->expiry;
	pins->next_expiry = RTE_MIN(pins->next_expiry, p->expiry);
}

int sbgw_pins_replace(struct sbgw_pins *pins, uint32_t sandbox, const char *name, int family,
                      const struct sbgw_addr *addrs, unsigned int n, uint64_t expiry)
{
	struct plan p;
	bool new_name;
	int rc;

	if (pins == NULL || sandbox >= pins->n_sandboxes || name == NULL ||
	    (family != AF_INET && family != AF_INET6) || (n > 0 && addrs == NULL))
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	if (!name_key_init(&p.key, sandbox, family, name))
		return -EINVAL;
	rc = plan_addrs(pins, &p, sandbox, addrs, n);
	if (rc < 0)
		return rc;
	p.name = rte_hash_lookup(pins->names_h, &p.key);
	if (p.name < 0 && p.n_new == 0)
		return 0;
	new_name = p.name < 0;
	p.expiry = expiry;
	p.cp = pins->sb[sandbox].cp;
	if (new_name)
		name_hits_compute(p.cp, name, &p.hits);
	else
		p.hits = pins->names[p.name].hits;
	plan_old(pins, &p);
	if (!plan_fits(pins, &p)) {
		pins->c.full++;
		return -ENOSPC;
	}
	/* Key slots of deleted addresses come back after the grace period. */
	make_room(pins, 0, p.new_addrs);
	rc = plan_records(pins, &p);
	if (rc < 0) {
		pins->c.nomem++;
		goto fail;
	}
	if (new_name) {
		rc = name_insert(pins, &p.key, &p.hits);
		if (rc < 0)
			goto fail;
		p.name = rc;
	}
	rc = plan_add_addrs(pins, &p);
	if (rc < 0) {
		if (new_name)
			name_delete(pins, (uint32_t)p.name);
		goto fail;
	}
	plan_commit(pins, &p);
	flush(pins);
	return 0;
fail:
	plan_free_records(&p);
	flush(pins);
	return rc;
}

int sbgw_pins_clear(struct sbgw_pins *pins, uint32_t sandbox, const char *name, int family)
{
	return sbgw_pins_replace(pins, sandbox, name, family, NULL, 0, 0);
}

/* ---- Expiry -------------------------------------------------------------- */

static void mark_dirty(struct sbgw_pins *pins, uint32_t addr, uint32_t *n_dirty)
{
	if (pins->addrs[addr].dirty)
		return;
	pins->addrs[addr].dirty = true;
	pins->dirty[(*n_dirty)++] = addr;
}

static void name_expire(struct sbgw_pins *pins, uint32_t name, uint32_t *n_dirty)
{
	uint32_t l = pins->names[name].first_link;

	while (l != NONE) {
		uint32_t next = pins->links[l].name_next;

		mark_dirty(pins, pins->links[l].addr, n_dirty);
		link_unlink_addr(pins, l);
		link_release(pins, l);
		l = next;
	}
	pins->names[name].first_link = NONE;
	name_delete(pins, name);
}

void sbgw_pins_expire(struct sbgw_pins *pins, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	uint32_t n_dirty = 0;

	if (pins == NULL)
		return;
	reclaim(pins);
	if (now < pins->next_expiry)
		return;
	for (uint32_t i = 0; i < pins->name_cap; i++) {
		const struct name_entry *ne = &pins->names[i];

		if (!ne->used)
			continue;
		if (now < ne->expiry)
			next = RTE_MIN(next, ne->expiry);
		else
			name_expire(pins, i, &n_dirty);
	}
	for (uint32_t i = 0; i < n_dirty; i++) {
		uint32_t addr = pins->dirty[i];
		struct addr_entry *ae = &pins->addrs[addr];
		struct record *rec;

		ae->dirty = false;
		if (ae->first_link == NONE) {
			addr_delete(pins, addr);
			continue;
		}
		rec = record_build(pins, pins->sb[ae->key.sandbox].cp, true, addr, NULL);
		/*
		 * Keeping the old record is still exact: the names it has in
		 * excess are expired, and lookups ignore expired names.
		 */
		if (rec == NULL)
			pins->c.stale++;
		else
			publish(pins, addr, rec);
	}
	flush(pins);
	pins->next_expiry = next;
}

/* ---- Policy -------------------------------------------------------------- */

struct staged {
	uint32_t addr;
	struct record *rec;
};

int sbgw_pins_set_policy(struct sbgw_pins *pins, uint32_t sandbox,
                         const struct sbgw_policy_compiled *cp)
{
	struct staged *st = NULL;
	uint32_t n = 0, k = 0;
	struct sandbox *s;
	bool domains;

	if (pins == NULL || sandbox >= pins->n_sandboxes)
		return -EINVAL;
	s = &pins->sb[sandbox];
	domains = has_domains(cp);
	if (!domains && !s->domains) {
		/* Records carry no hits before or after. */
		s->cp = cp;
		return 0;
	}
	if (domains && scratch_reserve(&pins->scratch, sbgw_policy_source(cp)->n_rules) < 0)
		goto fail;
	for (uint32_t a = 0; a < pins->addr_cap; a++)
		n += pins->addrs[a].used && pins->addrs[a].key.sandbox == sandbox;
	if (n > 0) {
		st = calloc(n, sizeof(*st));
		if (st == NULL)
			goto fail;
	}
	/* Every record first, so that a failure leaves the old policy in force. */
	for (uint32_t a = 0; a < pins->addr_cap && k < n; a++) {
		if (!pins->addrs[a].used || pins->addrs[a].key.sandbox != sandbox)
			continue;
		st[k].addr = a;
		st[k].rec = record_build(pins, cp, false, a, NULL);
		if (st[k].rec == NULL)
			goto fail;
		k++;
	}
	s->cp = cp;
	s->domains = domains;
	for (uint32_t i = 0; i < pins->name_cap; i++) {
		struct name_entry *ne = &pins->names[i];

		if (ne->used && ne->key->sandbox == sandbox)
			name_hits_compute(cp, ne->key->name, &ne->hits);
	}
	for (uint32_t i = 0; i < k; i++)
		publish(pins, st[i].addr, st[i].rec);
	flush(pins);
	free(st);
	return 0;
fail:
	pins->c.nomem++;
	for (uint32_t i = 0; i < k; i++)
		free(st[i].rec);
	free(st);
	return -ENOMEM;
}

/* ---- Queries ------------------------------------------------------------- */

bool sbgw_pins_any_name(const struct sbgw_pins *pins, uint32_t sandbox,
                        const struct sbgw_addr *addr, uint64_t now,
                        bool (*match)(const char *name, const void *arg), const void *arg)
{
	struct addr_key key;
	int32_t pos;

	if (pins == NULL || sandbox >= pins->n_sandboxes || match == NULL ||
	    !addr_key_init(&key, sandbox, addr))
		return false;
	pos = rte_hash_lookup(pins->addrs_h, &key);
	if (pos < 0)
		return false;
	for (uint32_t l = pins->addrs[pos].first_link; l != NONE; l = pins->links[l].addr_next) {
		const struct name_entry *ne = &pins->names[pins->links[l].name];

		if (now < ne->expiry && match(ne->key->name, arg))
			return true;
	}
	return false;
}

void sbgw_pins_stats(const struct sbgw_pins *pins, uint32_t *names, uint32_t *addrs)
{
	if (names != NULL)
		*names = pins->n_names;
	if (addrs != NULL)
		*addrs = pins->n_addrs;
}

void sbgw_pins_counters(const struct sbgw_pins *pins, struct sbgw_pins_counters *c)
{
	*c = pins->c;
	c->names = pins->n_names;
	c->addrs = pins->n_addrs;
	c->links = pins->n_links;
	c->retired = pins->fifo_n + pins->n_batch;
}

/* ---- Creation ------------------------------------------------------------ */

static uint32_t hash_seed(void)
{
	uint32_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	/* Entropy pool not ready this early in boot: still unknown to a guest. */
	return (uint32_t)rte_rand();
}

/*
 * jhash with a random seed, as the flow table: names and addresses come
 * from guests and their DNS answers, which could aim at one bucket chain
 * under a linear hash such as CRC32. The extendable bucket table makes an
 * insert fail only when every slot is taken.
 */
static struct rte_hash *hash_create(const char *prefix, const char *suffix, uint32_t entries,
                                    uint32_t key_len, uint8_t flags, int socket)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp;

	snprintf(name, sizeof(name), "%s_%s", prefix, suffix);
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = RTE_MAX(entries, HASH_ENTRIES_MIN);
	hp.key_len = key_len;
	hp.hash_func = rte_jhash;
	hp.hash_func_init_val = hash_seed();
	hp.socket_id = socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE | flags;
	return rte_hash_create(&hp);
}

static void *zalloc_array(const char *what, size_t n, size_t size, int socket)
{
	return rte_zmalloc_socket(what, n * size, RTE_CACHE_LINE_SIZE, socket);
}

static bool valid_params(const struct sbgw_pins_params *p)
{
	return p != NULL && p->name != NULL && p->name[0] != '\0' &&
	       strnlen(p->name, SBGW_PINS_NAME_MAX + 1) <= SBGW_PINS_NAME_MAX &&
	       p->n_sandboxes > 0 && p->max_names > 0 && p->max_addrs > 0 &&
	       p->max_names <= HASH_ENTRIES_MAX &&
	       p->max_addrs <= (HASH_ENTRIES_MAX - RETIRE_BATCH) / 2 &&
	       p->n_readers <= RTE_MAX_LCORE;
}

struct sbgw_pins *sbgw_pins_create(const struct sbgw_pins_params *p)
{
	struct sbgw_pins *pins = NULL;
	uint64_t links;
	size_t qsize;
	int err = EINVAL;

	if (!valid_params(p))
		goto fail;
	err = ENOMEM;
	pins = rte_zmalloc_socket("sbgw_pins", sizeof(*pins), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (pins == NULL)
		goto fail;
	pins->n_sandboxes = p->n_sandboxes;
	pins->n_readers = p->n_readers;
	pins->max_names = p->max_names;
	pins->max_addrs = p->max_addrs;
	links = p->max_links != 0 ? p->max_links : (uint64_t)p->max_names * LINKS_PER_NAME_DEFAULT;
	pins->max_links = (uint32_t)RTE_MIN(links, (uint64_t)UINT32_MAX - 1);
	pins->next_expiry = UINT64_MAX;

	pins->names_h =
	        hash_create(p->name, "n", p->max_names, sizeof(struct name_key), 0, p->socket_id);
	/* Room for every live address plus as many deleted ones waiting for the readers. */
	pins->addr_slots = RTE_MAX(2 * p->max_addrs + RETIRE_BATCH, HASH_ENTRIES_MIN);
	pins->addrs_h = hash_create(p->name, "a", pins->addr_slots, sizeof(struct addr_key),
	                            RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF, p->socket_id);
	if (pins->names_h == NULL || pins->addrs_h == NULL) {
		err = rte_errno != 0 ? rte_errno : ENOMEM;
		goto fail;
	}
	pins->name_cap = (uint32_t)rte_hash_max_key_id(pins->names_h);
	pins->addr_cap = (uint32_t)rte_hash_max_key_id(pins->addrs_h);
	pins->fifo_cap = pins->addr_slots + RETIRE_BATCH;
	pins->sb = zalloc_array("sbgw_pins_sb", p->n_sandboxes, sizeof(*pins->sb), p->socket_id);
	pins->names =
	        zalloc_array("sbgw_pins_names", pins->name_cap, sizeof(*pins->names), p->socket_id);
	pins->addrs =
	        zalloc_array("sbgw_pins_addrs", pins->addr_cap, sizeof(*pins->addrs), p->socket_id);
	pins->links = zalloc_array("sbgw_pins_links", pins->max_links, sizeof(*pins->links),
	                           p->socket_id);
	pins->dirty =
	        zalloc_array("sbgw_pins_dirty", pins->addr_cap, sizeof(*pins->dirty), p->socket_id);
	pins->fifo =
	        zalloc_array("sbgw_pins_fifo", pins->fifo_cap, sizeof(*pins->fifo), p->socket_id);
	qsize = rte_rcu_qsbr_get_memsize(RTE_MAX(p->n_readers, 1u));
	pins->qsbr = rte_zmalloc_socket("sbgw_pins_qsbr", qsize, RTE_CACHE_LINE_SIZE, p->socket_id);
	if (pins->sb == NULL || pins->names == NULL || pins->addrs == NULL || pins->links == NULL ||
	    pins->dirty == NULL || pins->fifo == NULL || pins->qsbr == NULL)
		goto fail;
	if (rte_rcu_qsbr_init(pins->qsbr, RTE_MAX(p->n_readers, 1u)) != 0) {
		err = rte_errno;
		goto fail;
	}
	for (uint32_t i = 0; i < pins->max_links; i++)
		pins->links[i].name_next = i + 1 < pins->max_links ? i + 1 : NONE;
	return pins;
fail:
	sbgw_pins_free(pins);
	errno = err;
	return NULL;
}

void sbgw_pins_free(struct sbgw_pins *pins)
{
	if (pins == NULL)
		return;
	/* No reader is left: everything retired can go now. */
	for (unsigned int i = 0; i < pins->n_batch; i++)
		retired_free(pins, &pins->batch[i]);
	while (pins->fifo_n > 0)
		fifo_pop_free(pins);
	for (uint32_t a = 0; pins->addrs != NULL && a < pins->addr_cap; a++)
		if (pins->addrs[a].used)
			free(pins->addrs[a].rec);
	rte_hash_free(pins->addrs_h);
	rte_hash_free(pins->names_h);
	scratch_free(&pins->scratch);
	rte_free(pins->qsbr);
	rte_free(pins->fifo);
	rte_free(pins->dirty);
	rte_free(pins->links);
	rte_free(pins->addrs);
	rte_free(pins->names);
	rte_free(pins->sb);
	rte_free(pins);
}
