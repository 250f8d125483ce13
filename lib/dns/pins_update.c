/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pin table's writer side: replace, clear, expire and a new policy,
 * each prepared in full before anything changes so that a full table
 * leaves the previous state intact (design in pins.c).
 */
#include "pins_priv.h"

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

void pins_scratch_free(struct scratch *s)
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
		pins_scratch_free(&n);
		return -ENOMEM;
	}
	memset(n.set, SET_NONE, rules);
	pins_scratch_free(s);
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
	pins_retire(pins, ae->rec, -1);
	ae->rec = rec;
}

static void addr_delete(struct sbgw_pins *pins, uint32_t addr)
{
	struct addr_entry *ae = &pins->addrs[addr];
	int32_t slot = rte_hash_del_key(pins->addrs_h, &ae->key);

	/* RW_CONCURRENCY_LF keeps the slot until we free it after the grace period. */
	pins_retire(pins, ae->rec, slot);
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
	pins_make_room(pins, 0, p.new_addrs);
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
	pins_flush(pins);
	return 0;
fail:
	plan_free_records(&p);
	pins_flush(pins);
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
	pins_reclaim(pins);
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
	pins_flush(pins);
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
	pins_flush(pins);
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

