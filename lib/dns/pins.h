/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pin table (semantics §3.5): per sandbox, what each name resolved to
 * in that sandbox's own DNS answers, and for the fast path the inverse:
 * for an address, which domain sets of the sandbox's policy its names
 * satisfy (struct sbgw_domain_hits), so that domain and suffix rules
 * decide new flows in the classifier.
 *
 * Threads: one writer (the DNS slow core) and any number of readers (the
 * workers). Readers never lock: the address index is an rte_hash with
 * lock-free reader/writer concurrency whose data are immutable records;
 * a replaced record is freed only after every reader has passed a
 * quiescent state (rte_rcu_qsbr). Each worker registers a reader id and
 * calls sbgw_pins_quiescent() once per loop.
 *
 * Usage:
 *   pins = sbgw_pins_create(&params);                    main lcore
 *   sbgw_pins_set_policy(pins, sandbox, compiled);       main lcore, per sandbox
 *   writer: sbgw_pins_replace() / sbgw_pins_clear() / sbgw_pins_expire()
 *   reader: sbgw_pins_lookup(pins, sandbox, &addr, now, &hits); then quiescent
 *   sbgw_pins_free(pins)                                  after workers stopped
 *
 * A worker that stops (or blocks) must first leave with
 * sbgw_pins_reader_unregister(): the writer waits for registered readers
 * when its queue of retired records fills up. The writer thread itself
 * must not be a registered reader.
 *
 * Memory: the name, address and (name, address) link tables are allocated
 * at create; a full table makes sbgw_pins_replace() fail with -ENOSPC and
 * keep the old state. Only the published records (one per pinned address,
 * a few dozen bytes) are allocated as pins change, by the writer.
 */
#ifndef SBGW_DNS_PINS_H
#define SBGW_DNS_PINS_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "policy.h"

struct sbgw_pins;
struct rte_rcu_qsbr;

/* Addresses kept per (sandbox, name, family); further ones are not pinned. */
#define SBGW_PINS_ADDRS_MAX 32
/* Longest params.name: it prefixes the names of rte_hash tables and rings. */
#define SBGW_PINS_NAME_MAX 16

struct sbgw_pins_params {
	const char *name;         /* unique, at most SBGW_PINS_NAME_MAX characters */
	unsigned int n_sandboxes;
	unsigned int n_readers;   /* worker lcores */
	uint32_t max_names;       /* (sandbox, name, family) entries, all sandboxes */
	uint32_t max_addrs;       /* (sandbox, address) entries, all sandboxes */
	uint32_t max_links;       /* (name entry, address) pairs; 0: 4 * max_names */
	uint64_t tsc_hz;          /* expiry times are TSC values */
	int socket_id;
};

struct sbgw_pins *sbgw_pins_create(const struct sbgw_pins_params *p);
void sbgw_pins_free(struct sbgw_pins *pins);

/*
 * The compiled policy whose domain sets the hits refer to (NULL: none, no
 * bits). Setting a new one recomputes every address of that sandbox; on
 * -ENOMEM the previous policy stays in force. cp must stay valid until it
 * is replaced or the table is freed (the workers never see it: they read
 * records). Writer thread (or before the workers start).
 */
int sbgw_pins_set_policy(struct sbgw_pins *pins, uint32_t sandbox,
			 const struct sbgw_policy_compiled *cp);

/*
 * Writer: (sandbox, canonical name, family) now resolves to addrs[0..n)
 * until expiry (TSC); the previous set for that key is replaced (addresses
 * no longer listed lose this name). n == 0 is the same as clear. Addresses
 * are normalised (an IPv4-mapped one pins the IPv4 address); duplicates
 * count once; beyond SBGW_PINS_ADDRS_MAX distinct ones the rest are not
 * pinned (counted in truncated: flows to them are judged as unpinned).
 * Returns 0, or -ENOSPC when a table is full, -ENOMEM when a record cannot
 * be allocated, -EINVAL for bad arguments; on error the old set is kept.
 */
int sbgw_pins_replace(struct sbgw_pins *pins, uint32_t sandbox, const char *name, int family,
		      const struct sbgw_addr *addrs, unsigned int n, uint64_t expiry);
int sbgw_pins_clear(struct sbgw_pins *pins, uint32_t sandbox, const char *name, int family);

/* Writer: drop what expired by now, republishing the addresses concerned. */
void sbgw_pins_expire(struct sbgw_pins *pins, uint64_t now);

/*
 * Reader (datapath-safe): the domain hits of addr (normalised here) in
 * sandbox from the names pinned to it that are live at now (now < expiry):
 * expired names are ignored at once, before the writer gets round to
 * removing them (semantics §3.5). Returns false (and out->bits == 0) when
 * no live name pins addr; true with out->bits == 0 when live names pin it
 * but satisfy no domain set. first_rule[k] is the smallest rule index of
 * set k among the live names, written only where bit k is set. Call only
 * while registered: the record read is freed after the caller's next
 * sbgw_pins_quiescent() at the earliest.
 */
bool sbgw_pins_lookup(const struct sbgw_pins *pins, uint32_t sandbox, const struct sbgw_addr *addr,
		      uint64_t now, struct sbgw_domain_hits *out);

/*
 * Reader: register once (reader id 0..n_readers-1; from the reader's thread
 * or on its behalf before it starts), then report once per loop.
 * Unregister when the reader stops, so that the writer no longer waits for it.
 */
int sbgw_pins_reader_register(struct sbgw_pins *pins, unsigned int reader);
void sbgw_pins_quiescent(struct sbgw_pins *pins, unsigned int reader);
int sbgw_pins_reader_unregister(struct sbgw_pins *pins, unsigned int reader);

/*
 * Writer-side queries (slow path: secrets, logs, tests), on the writer
 * thread only: is addr pinned in sandbox to some live name for which
 * match(name, arg) is true?
 */
bool sbgw_pins_any_name(const struct sbgw_pins *pins, uint32_t sandbox,
			const struct sbgw_addr *addr, uint64_t now,
			bool (*match)(const char *name, const void *arg), const void *arg);

/*
 * The readers' quiescent-state variable, for other structures the workers
 * read and the main lcore replaces (policies swapped at run time): they
 * share the workers' one report per loop. Main lcore only.
 */
struct rte_rcu_qsbr *sbgw_pins_qsbr(struct sbgw_pins *pins);

/* Counts for telemetry. */
void sbgw_pins_stats(const struct sbgw_pins *pins, uint32_t *names, uint32_t *addrs);

struct sbgw_pins_counters {
	uint32_t names;           /* (sandbox, name, family) entries */
	uint32_t addrs;           /* pinned addresses (one published record each) */
	uint32_t links;           /* (name, address) pairs */
	uint32_t retired;         /* records waiting for the readers' grace period */
	uint64_t freed;           /* records freed after their grace period */
	uint64_t truncated;       /* answers with more than SBGW_PINS_ADDRS_MAX addresses */
	uint64_t full;            /* replaces refused with -ENOSPC */
	uint64_t nomem;           /* replaces or policy changes refused with -ENOMEM */
	uint64_t stale;           /* expire kept an old record (still exact: out of memory) */
	uint64_t waits;           /* times the writer waited for the readers */
};
void sbgw_pins_counters(const struct sbgw_pins *pins, struct sbgw_pins_counters *c);

#endif
