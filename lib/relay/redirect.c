/* SPDX-License-Identifier: BSD-3-Clause */
/* The original-destination table of relayed TCP: seqlocked slots, lock-free readers (redirect.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "redirect.h"

#define PROBES 8   /* slots a key may live in: its hash and the next seven */
#define RETRIES 4  /* a reader or writer that meets a slot being written tries again */

struct slot {
	uint32_t seq;     /* odd while a writer fills the slot */
	uint32_t pending; /* 1: the entry counts as its sandbox's pending connection */
	uint64_t expires; /* TSC; SBGW_REDIRECT_HELD while the relay owns the connection; 0: empty */
	struct sbgw_redirect_entry e;
} __attribute__((aligned(64)));

/* One sandbox's connections: pending = added - resolved (several writers), held (the relay's). */
struct sandbox_count {
	uint64_t added, resolved;
	uint32_t held;
} __attribute__((aligned(64)));

struct sbgw_redirect {
	uint32_t mask;
	uint32_t sweep_cursor; /* the relay's */
	uint32_t n_counted;
	struct sandbox_count *counts;
	struct slot *slots;
};

struct sbgw_redirect *sbgw_redirect_create(unsigned int slots, int socket_id)
{
	struct sbgw_redirect *t;
	uint32_t n = 1;

	(void)socket_id; /* plain memory: the table is shared by every worker anyway */
	while (n < slots && n < (1u << 24))
		n <<= 1;
	if (n < PROBES)
		n = PROBES;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->slots = aligned_alloc(64, sizeof(*t->slots) * n);
	if (t->slots == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	memset(t->slots, 0, sizeof(*t->slots) * n);
	t->mask = n - 1;
	return t;
}

int sbgw_redirect_track(struct sbgw_redirect *t, uint32_t n)
{
	struct sandbox_count *c = aligned_alloc(64, sizeof(*c) * (n ? n : 1));

	if (c == NULL)
		return -ENOMEM;
	memset(c, 0, sizeof(*c) * (n ? n : 1));
	free(t->counts);
	t->counts = c;
	t->n_counted = n;
	return 0;
}

static void count_added(struct sbgw_redirect *t, uint32_t sandbox)
{
	if (sandbox < t->n_counted)
		__atomic_fetch_add(&t->counts[sandbox].added, 1, __ATOMIC_RELAXED);
}

/* The slot's entry no longer counts as pending (if it still did). */
static void resolve(struct sbgw_redirect *t, struct slot *s, uint32_t sandbox)
{
	if (__atomic_exchange_n(&s->pending, 0, __ATOMIC_RELAXED) && sandbox < t->n_counted)
		__atomic_fetch_add(&t->counts[sandbox].resolved, 1, __ATOMIC_RELAXED);
}

uint32_t sbgw_redirect_in_use(const struct sbgw_redirect *t, uint32_t sandbox)
{
	const struct sandbox_count *c;
	uint64_t added, resolved;

	if (sandbox >= t->n_counted)
		return 0;
	c = &t->counts[sandbox];
	/* resolved first: a count resolved after this read was added before it */
	resolved = __atomic_load_n(&c->resolved, __ATOMIC_ACQUIRE);
	added = __atomic_load_n(&c->added, __ATOMIC_ACQUIRE);
	return (uint32_t)(added - resolved) + __atomic_load_n(&c->held, __ATOMIC_RELAXED);
}

void sbgw_redirect_free(struct sbgw_redirect *t)
{
	if (t == NULL)
		return;
	free(t->counts);
	free(t->slots);
	free(t);
}

static uint32_t hash_key(uint8_t family, const uint8_t *guest, uint16_t port)
{
	unsigned int len = family == AF_INET ? 4 : 16;
	uint32_t h = 2166136261u ^ family;

	for (unsigned int i = 0; i < len; i++)
		h = (h ^ guest[i]) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return h ^ (h >> 15);
}

static bool key_is(const struct sbgw_redirect_entry *e, uint8_t family, const uint8_t *guest,
		   uint16_t port)
{
	return e->family == family && e->guest_port == port &&
	       memcmp(e->guest, guest, family == AF_INET ? 4 : 16) == 0;
}

/* A consistent copy of a slot; false when a writer kept it busy. */
static bool read_slot(const struct slot *s, struct sbgw_redirect_entry *e, uint64_t *expires,
		      uint32_t *seq)
{
	for (int i = 0; i < RETRIES; i++) {
		uint32_t a = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE), b;

		if (a & 1)
			continue;
		memcpy(e, &s->e, sizeof(*e));
		*expires = __atomic_load_n(&s->expires, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		b = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (a == b) {
			*seq = a;
			return true;
		}
	}
	return false;
}

static bool live(uint64_t expires, uint64_t now)
{
	return expires == SBGW_REDIRECT_HELD || expires > now;
}

int sbgw_redirect_add(struct sbgw_redirect *t, const struct sbgw_redirect_entry *e, uint64_t now,
		      uint64_t ttl)
{
	uint32_t h = hash_key(e->family, e->guest, e->guest_port);

	for (int attempt = 0; attempt < RETRIES; attempt++) {
		struct slot *pick = NULL;
		uint32_t pick_seq = 0;
		bool same = false, held = false;

		for (uint32_t i = 0; i < PROBES; i++) {
			struct slot *s = &t->slots[(h + i) & t->mask];
			struct sbgw_redirect_entry cur;
			uint64_t expires;
			uint32_t seq;

			if (!read_slot(s, &cur, &expires, &seq))
				continue;
			if (live(expires, now) && key_is(&cur, e->family, e->guest, e->guest_port)) {
				pick = s;
				pick_seq = seq;
				same = true;
				held = expires == SBGW_REDIRECT_HELD;
				break;
			}
			if (pick == NULL && !live(expires, now)) {
				pick = s;
				pick_seq = seq;
			}
		}
		if (pick == NULL)
			return -ENOSPC;
		if (!__atomic_compare_exchange_n(&pick->seq, &pick_seq, pick_seq + 1, false,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue; /* another worker took it first: look again */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		if (!same) { /* a new connection; an expired one the sweep missed stops counting */
			resolve(t, pick, pick->e.sandbox);
			__atomic_store_n(&pick->pending, 1, __ATOMIC_RELAXED);
			count_added(t, e->sandbox);
		}
		memcpy(&pick->e, e, sizeof(*e));
		/* A retransmitted SYN must not shorten a connection the relay holds. */
		__atomic_store_n(&pick->expires, same && held ? SBGW_REDIRECT_HELD : now + ttl,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&pick->seq, pick_seq + 2, __ATOMIC_RELEASE);
		return 0;
	}
	return -ENOSPC;
}

bool sbgw_redirect_lookup(const struct sbgw_redirect *t, uint8_t family, const uint8_t *guest,
			  uint16_t guest_port, uint64_t now, struct sbgw_redirect_entry *out,
			  struct sbgw_redirect_ref *ref)
{
	uint32_t h = hash_key(family, guest, guest_port);

	for (uint32_t i = 0; i < PROBES; i++) {
		uint32_t idx = (h + i) & t->mask;
		uint64_t expires;
		uint32_t seq;

		if (!read_slot(&t->slots[idx], out, &expires, &seq))
			continue;
		if (live(expires, now) && key_is(out, family, guest, guest_port)) {
			if (ref != NULL) {
				ref->slot = idx;
				ref->seq = seq;
				ref->sandbox = out->sandbox;
			}
			return true;
		}
	}
	return false;
}

static void set_expiry(struct sbgw_redirect *t, const struct sbgw_redirect_ref *ref,
		       uint64_t expires)
{
	struct slot *s = &t->slots[ref->slot & t->mask];

	/* Only while the slot still holds the entry the caller looked up. */
	if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == ref->seq)
		__atomic_store_n(&s->expires, expires, __ATOMIC_RELEASE);
}

void sbgw_redirect_hold(struct sbgw_redirect *t, const struct sbgw_redirect_ref *ref)
{
	struct slot *s = &t->slots[ref->slot & t->mask];

	if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == ref->seq)
		resolve(t, s, ref->sandbox);
	set_expiry(t, ref, SBGW_REDIRECT_HELD);
	if (ref->sandbox < t->n_counted)
		__atomic_fetch_add(&t->counts[ref->sandbox].held, 1, __ATOMIC_RELAXED);
}

void sbgw_redirect_release(struct sbgw_redirect *t, const struct sbgw_redirect_ref *ref,
			   uint64_t expires)
{
	set_expiry(t, ref, expires);
	if (ref->sandbox < t->n_counted)
		__atomic_fetch_sub(&t->counts[ref->sandbox].held, 1, __ATOMIC_RELAXED);
}

void sbgw_redirect_sweep(struct sbgw_redirect *t, uint64_t now, uint32_t budget)
{
	for (uint32_t i = 0; i < budget && i <= t->mask; i++) {
		struct slot *s = &t->slots[t->sweep_cursor++ & t->mask];
		struct sbgw_redirect_entry e;
		uint64_t expires;
		uint32_t seq;

		if (!__atomic_load_n(&s->pending, __ATOMIC_RELAXED) ||
		    !read_slot(s, &e, &expires, &seq) || live(expires, now))
			continue;
		/* Take the slot like a writer, so no new entry's count is taken for the old one. */
		if (!__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		if (!live(__atomic_load_n(&s->expires, __ATOMIC_RELAXED), now))
			resolve(t, s, e.sandbox);
		__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
	}
}

unsigned int sbgw_redirect_live(const struct sbgw_redirect *t, uint64_t now)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i <= t->mask; i++)
		if (live(__atomic_load_n(&t->slots[i].expires, __ATOMIC_RELAXED), now))
			n++;
	return n;
}
