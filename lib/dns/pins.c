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
#include "pins_priv.h"

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
void pins_reclaim(struct sbgw_pins *pins)
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
void pins_make_room(struct sbgw_pins *pins, uint32_t fifo_need, uint32_t slot_need)
{
	pins_reclaim(pins);
	while (pins->fifo_n > 0 &&
	       (pins->fifo_cap - pins->fifo_n < fifo_need || free_slots(pins) < slot_need)) {
		pins->c.waits++;
		rte_rcu_qsbr_check(pins->qsbr, pins->fifo[pins->fifo_head].token, true);
		pins_reclaim(pins);
	}
}

/* Push the batch behind one token, taken after all its records were unpublished. */
void pins_flush(struct sbgw_pins *pins)
{
	uint64_t token;

	if (pins->n_batch == 0)
		return;
	pins_make_room(pins, pins->n_batch, 0);
	token = rte_rcu_qsbr_start(pins->qsbr);
	for (unsigned int i = 0; i < pins->n_batch; i++) {
		struct retired *r = &pins->fifo[(pins->fifo_head + pins->fifo_n) % pins->fifo_cap];

		*r = pins->batch[i];
		r->token = token;
		pins->fifo_n++;
	}
	pins->n_batch = 0;
	/* Frees at once when no reader is registered. */
	pins_reclaim(pins);
}

/* rec (and slot, unless -1) are no longer reachable by new lookups. */
void pins_retire(struct sbgw_pins *pins, struct record *rec, int32_t slot)
{
	if (pins->n_batch == RETIRE_BATCH)
		pins_flush(pins);
	pins->batch[pins->n_batch].rec = rec;
	pins->batch[pins->n_batch].slot = slot;
	pins->n_batch++;
	if (slot >= 0)
		pins->pending_slots++;
}

/* ---- Domain hits of one name ---------------------------------------------- */

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
	pins_scratch_free(&pins->scratch);
	rte_free(pins->qsbr);
	rte_free(pins->fifo);
	rte_free(pins->dirty);
	rte_free(pins->links);
	rte_free(pins->addrs);
	rte_free(pins->names);
	rte_free(pins->sb);
	rte_free(pins);
}

struct rte_rcu_qsbr *sbgw_pins_qsbr(struct sbgw_pins *pins)
{
	return pins->qsbr;
}
