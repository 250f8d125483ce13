/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The original-destination table of relayed TCP: when the fast path
 * redirects a guest's connection into the host kernel (the PROXY verdict:
 * the guest's SYN is DNATed to the relay's listening socket), it records
 * here what the guest really asked for; the relay reads it back when it
 * accepts the connection, and the fast path reads it to turn the kernel's
 * replies back into the original destination's.
 *
 * Usage:
 *   t = sbgw_redirect_create(slots, socket)          start-up
 *   worker (SYN): sbgw_redirect_add(t, &e, now, ttl)  any worker, concurrently
 *   worker / relay: sbgw_redirect_lookup(...)         lock-free readers
 *   relay: sbgw_redirect_hold() on accept, sbgw_redirect_release() on close
 *   sbgw_redirect_free(t)
 *
 * Per sandbox, the table also counts the connections it stands for
 * (semantics §2.12: relayed connections count against max_connections):
 * pending ones (a SYN recorded, not accepted yet) and held ones (the relay
 * owns them). A pending entry stops counting when the relay holds it, when
 * a writer reuses its slot after it expired, or when the relay's sweep
 * (sbgw_redirect_sweep, a slice of the table per call) finds it expired.
 *
 * An open-addressed array of cache-line slots: writers claim a slot with
 * a compare-and-swap on its sequence number (odd while written), readers
 * copy a slot and retry if the sequence moved (a seqlock), so nothing on
 * the fast path waits. A slot is reusable once its expiry has passed: a
 * SYN gives its entry a short life; the relay holds it while the
 * connection lives and gives it a grace period when it closes.
 */
#ifndef SBGW_RELAY_REDIRECT_H
#define SBGW_RELAY_REDIRECT_H

#include <stdbool.h>
#include <stdint.h>

enum sbgw_redirect_kind {
	SBGW_REDIRECT_DNS = 1, /* TCP/53 to any address: the DNS interceptor (semantics §3.1) */
	SBGW_REDIRECT_HOST,    /* the gateway's address: a host loopback service (§3.6) */
	SBGW_REDIRECT_DEFERRED, /* a domain decision waiting for the first flight (§2.7.3) */
};

/* What the guest asked for. Addresses are network order, ports host order. */
struct sbgw_redirect_entry {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t kind;   /* enum sbgw_redirect_kind */
	uint16_t guest_port;
	uint16_t dst_port;
	uint16_t pad;
	uint32_t sandbox;
	int32_t rule; /* the deciding rule of the sandbox's policy, -1: default */
	uint8_t guest[16];
	uint8_t dst[16];
};

/* Where a lookup found its entry, for hold/release. */
struct sbgw_redirect_ref {
	uint32_t slot;
	uint32_t seq;
	uint32_t sandbox;
};

#define SBGW_REDIRECT_HELD UINT64_MAX

struct sbgw_redirect;

/* slots: rounded up to a power of two. NULL and errno on failure. */
struct sbgw_redirect *sbgw_redirect_create(unsigned int slots, int socket_id);

/* Count connections for sandboxes 0..n-1 (others are not counted). 0, or -ENOMEM. */
int sbgw_redirect_track(struct sbgw_redirect *t, uint32_t n);

/* Connections of sandbox the table stands for: pending and held. Any thread. */
uint32_t sbgw_redirect_in_use(const struct sbgw_redirect *t, uint32_t sandbox);

/*
 * The relay's housekeeping: look at the next `budget` slots (wrapping) and
 * stop counting the pending entries among them that expired. Relay thread.
 */
void sbgw_redirect_sweep(struct sbgw_redirect *t, uint64_t now, uint32_t budget);
void sbgw_redirect_free(struct sbgw_redirect *t);

/*
 * Record e (keyed by family, guest address and port), to expire at
 * now + ttl unless the relay holds it. An entry with the same key is
 * replaced. 0, or -ENOSPC when every candidate slot is live.
 */
int sbgw_redirect_add(struct sbgw_redirect *t, const struct sbgw_redirect_entry *e, uint64_t now,
		      uint64_t ttl);

/* The live entry of (family, guest, guest_port); ref may be NULL. */
bool sbgw_redirect_lookup(const struct sbgw_redirect *t, uint8_t family, const uint8_t *guest,
			  uint16_t guest_port, uint64_t now, struct sbgw_redirect_entry *out,
			  struct sbgw_redirect_ref *ref);

/* The relay owns the connection: the entry lives until released; it counts as held. */
void sbgw_redirect_hold(struct sbgw_redirect *t, const struct sbgw_redirect_ref *ref);

/* The relay closed it: the entry stays for the last segments, until expires; not counted. */
void sbgw_redirect_release(struct sbgw_redirect *t, const struct sbgw_redirect_ref *ref,
			   uint64_t expires);

/* Slots in use (live), for telemetry and tests. */
unsigned int sbgw_redirect_live(const struct sbgw_redirect *t, uint64_t now);

#endif
