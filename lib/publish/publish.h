/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Published ports (semantics §6): host listeners on each binding's (bind,
 * host_port, protocol), the ingress policy judged against the peer's
 * address, and a relay into the guest's IPv4 address and guest port over
 * the host link, from the gateway's address and an ephemeral port.
 *
 * The guest leg is an ordinary kernel socket on the host link's kernel
 * address (169.254.253.1) and a port of 49152..65535; the fast path
 * turns that address into the sandbox's gateway address on the way in and
 * back on the way out, but only for the (port, sandbox, guest port) pairs
 * this service has registered in the owner table below. Nothing else on
 * the host reaches a guest, and a guest reaches nothing on the host but
 * the sockets this service connected to it.
 *
 * Usage (main lcore):
 *   pub = sbgw_publish_create(&params, err, len);  listeners bound (a busy port fails here)
 *   sbgw_publish_start(pub);           the service's thread: accept, judge, relay
 *   worker: sbgw_publish_owner(), sbgw_publish_owner_admits()  (datapath-safe, lock-free)
 *   sbgw_publish_stop(pub); sbgw_publish_free(pub);
 *
 * Threads: one service thread owns every socket and the writes to the
 * owner table; workers only read the table (relaxed 64-bit loads). Policy
 * pointers are swapped by other threads (sbgw_publish_set_policy) and
 * retired after sbgw_publish_sync().
 */
#ifndef SBGW_PUBLISH_PUBLISH_H
#define SBGW_PUBLISH_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "config.h"
#include "policy.h"

/* The guest leg's source ports (semantics §6: ephemeral, 49152..65535). */
#define SBGW_PUBLISH_PORT_LO 49152u
#define SBGW_PUBLISH_PORTS (65536u - SBGW_PUBLISH_PORT_LO)
/* Semantics §2.12 / Appendix B: concurrent inbound TCP connections per sandbox. */
#define SBGW_PUBLISH_MAX_TCP 256
/* Peers with a UDP mapping per sandbox; the least recently active gives way. */
#define SBGW_PUBLISH_MAX_UDP_PEERS 256
#define SBGW_PUBLISH_UDP_IDLE_S 60

/*
 * Who owns each guest-leg port, per protocol: 0 for nobody, else
 * (sandbox index + 1) << 16 | guest port, with SBGW_PUBLISH_CLOSING set
 * once the relay closed its socket normally (the kernel may still trade
 * the last FIN and ACK with the guest, so the entry stays, but admits no
 * SYN: nobody else on the host can open a connection through it).
 * Written by the service thread before it connects and when it closes;
 * read by workers.
 */
#define SBGW_PUBLISH_CLOSING (1ull << 63)

struct sbgw_publish_owners {
	uint64_t tcp[SBGW_PUBLISH_PORTS];
	uint64_t udp[SBGW_PUBLISH_PORTS];
};

static inline uint64_t sbgw_publish_owner_key(uint32_t sandbox, uint16_t guest_port)
{
	return ((uint64_t)sandbox + 1) << 16 | guest_port;
}

/* Datapath-safe: the owner entry of guest-leg port link_port (host order), or 0. */
static inline uint64_t sbgw_publish_owner(const struct sbgw_publish_owners *o, uint8_t proto,
					  uint16_t link_port)
{
	const uint64_t *t = proto == 6 /* IPPROTO_TCP */ ? o->tcp : o->udp;

	if (link_port < SBGW_PUBLISH_PORT_LO)
		return 0;
	return __atomic_load_n(&t[link_port - SBGW_PUBLISH_PORT_LO], __ATOMIC_RELAXED);
}

/*
 * Datapath-safe: may a segment on guest-leg port link_port between the
 * host and guest_port of sandbox pass? syn: the segment has SYN set.
 */
static inline bool sbgw_publish_owner_admits(uint64_t owner, uint32_t sandbox,
					     uint16_t guest_port, bool syn)
{
	if ((owner & ~SBGW_PUBLISH_CLOSING) != sbgw_publish_owner_key(sandbox, guest_port))
		return false;
	return !(owner & SBGW_PUBLISH_CLOSING) || !syn;
}

/* One sandbox as the service sees it. */
struct sbgw_publish_sandbox {
	const struct sbgw_sandbox *cfg;              /* name, link, network.ports */
	const struct sbgw_policy_compiled *compiled; /* its ingress rules */
};

struct sbgw_publish_params {
	unsigned int n_sandboxes; /* sandbox i has index i in the owner table */
	const struct sbgw_publish_sandbox *sandboxes;
	const struct sbgw_policy_compiled *floor; /* NULL: none */
	struct in_addr link_addr; /* the host link's kernel side: the guest leg's source */
};

/* Counters of one sandbox's published ports (telemetry /sbgw/sandbox "published"). */
struct sbgw_publish_counters {
	uint64_t tcp_accepted;      /* connections relayed to the guest */
	uint64_t tcp_denied;        /* ingress deny: reset after accept */
	uint64_t tcp_limit;         /* reset: SBGW_PUBLISH_MAX_TCP already open */
	uint64_t tcp_guest_refused; /* the guest port refused or never answered: reset */
	uint64_t tcp_open;          /* open now */
	uint64_t udp_datagrams_in, udp_datagrams_out;
	uint64_t udp_denied;        /* ingress deny: dropped */
	uint64_t udp_peers;         /* mappings open now */
	uint64_t udp_evicted;       /* mappings closed to make room */
	uint64_t errors;            /* socket errors on the host side */
};

struct sbgw_publish;

/*
 * Bind every binding's listener. Fails (NULL, errno set, err filled with
 * the binding and the reason) if one cannot be bound, so a gateway never
 * runs with a published port missing (semantics Q18).
 */
struct sbgw_publish *sbgw_publish_create(const struct sbgw_publish_params *p, char *err,
					 size_t errlen);
/* The owner table the workers read. */
const struct sbgw_publish_owners *sbgw_publish_owners(const struct sbgw_publish *pub);
/* Start the service thread. 0 or -errno. */
int sbgw_publish_start(struct sbgw_publish *pub);
/* Stop the thread (if started) and wait for it. */
void sbgw_publish_stop(struct sbgw_publish *pub);
/* Close every socket and free. NULL is fine. */
void sbgw_publish_free(struct sbgw_publish *pub);
/* Counters of sandbox (read from any thread; figures may lag, never tear). */
const struct sbgw_publish_counters *sbgw_publish_sandbox_counters(const struct sbgw_publish *pub,
								  uint32_t sandbox);
/*
 * Policy swaps (reload, control socket): the service reads the sandbox's
 * compiled policy (and the floor) through a pointer swapped atomically
 * here. The old policy may be freed once sbgw_publish_sync() returns.
 * Any thread; sandbox < the n_sandboxes given at create.
 */
void sbgw_publish_set_policy(struct sbgw_publish *pub, uint32_t sandbox,
			     const struct sbgw_policy_compiled *compiled);
void sbgw_publish_set_floor(struct sbgw_publish *pub, const struct sbgw_policy_compiled *floor);
/*
 * Wait until the service thread has finished whatever event it was
 * handling when called (a grace period). Returns at once if the thread
 * is not running. Never call it from the service thread.
 */
void sbgw_publish_sync(struct sbgw_publish *pub);
/* Whether the configuration publishes anything at all. */
bool sbgw_publish_needed(const struct sbgw_config *cfg);

#endif
