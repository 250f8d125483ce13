/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow-path TCP relay: guest connections that the fast path redirects
 * into the host kernel (DNS over TCP, the gateway's host services) are
 * accepted here on one kernel socket; the original destination comes from
 * the redirect table (redirect.h). DNS connections are read message by
 * message and fed to the DNS interceptor's pipeline (lib/dns); host
 * service connections are spliced to the same port on the host's loopback
 * (semantics §3.6).
 *
 * Usage (main lcore, after the DNS service exists):
 *   r = sbgw_relay_create(&params, err, len)   listening socket bound
 *   sbgw_relay_run(r, dns, &stop)               the slow core's loop: relay and DNS
 *   sbgw_relay_restart(r, err, len)             reset every connection, listen anew
 *   sbgw_relay_free(r)
 *
 * Single-threaded: everything runs on the slow core that calls run.
 */
#ifndef SBGW_RELAY_RELAY_H
#define SBGW_RELAY_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "pins.h"
#include "redirect.h"
#include "service.h"

#define SBGW_RELAY_PORT 5300           /* on the host link's kernel address */
#define SBGW_RELAY_SYN_TTL_S 10        /* a redirect entry waiting for accept */
#define SBGW_RELAY_GRACE_S 10          /* an entry after close: the last segments */
#define SBGW_RELAY_DNS_IDLE_S 30       /* semantics §3.1: DNS over TCP idle timeout */
#define SBGW_RELAY_CONNECT_TIMEOUT_S 5 /* dialling a host service or an upstream */
#define SBGW_RELAY_PEEK_TIMEOUT_MS 5000 /* semantics §2.7.3: the first flight's 5 s */

struct sbgw_dlog;

struct sbgw_relay_params {
	struct sbgw_redirect *redirect;
	struct sbgw_dns *dns;     /* NULL: DNS connections are reset */
	uint8_t listen4[4];       /* the host kernel's address on the host link */
	uint8_t listen6[16];      /* its IPv6 address; all zero: none */
	uint16_t port;            /* SBGW_RELAY_PORT */
	unsigned int max_conns;   /* connections at once; the rest are reset */
	uint64_t tsc_hz;
	/* Deferred domain decisions: each sandbox's policy and the pins (read on this thread). */
	const struct sbgw_config *cfg;
	struct sbgw_pins *pins;
	uint32_t peek_timeout_ms; /* 0: SBGW_RELAY_PEEK_TIMEOUT_MS */
	struct sbgw_dlog *dlog;   /* gateway.decision_log (NULL: off) */
};

/* Relay counters (all sandboxes). */
struct sbgw_relay_counters {
	uint64_t accepted, active, closed;
	uint64_t no_redirect;     /* accepted but no original destination: reset */
	uint64_t over_capacity;   /* reset: max_conns reached */
	uint64_t dns_queries, dns_busy;
	uint64_t host_connected, host_refused, host_fallback;
	uint64_t timeouts;
	uint64_t deferred_allowed, deferred_denied, peek_timeouts, upstream_failed;
	uint64_t bytes_to_guest, bytes_from_guest;
	uint64_t restarts;        /* sbgw_relay_restart, asked for or after a listener failed */
	uint64_t listen_failures; /* a listener that failed, or could not be rebuilt yet */
};

struct sbgw_relay;

struct sbgw_relay *sbgw_relay_create(const struct sbgw_relay_params *p, char *err, size_t errlen);
void sbgw_relay_free(struct sbgw_relay *r);

/* One pass: accept, move bytes, check deadlines. true when it did work. */
bool sbgw_relay_poll(struct sbgw_relay *r);

/* The slow core's loop: the relay and (when not NULL) the DNS service, until *stop. */
void sbgw_relay_run(struct sbgw_relay *r, struct sbgw_dns *dns, volatile bool *stop);

/*
 * Restart in place (the slow core's thread): every connection is reset
 * (the guest sees RST), the listening sockets are closed (the kernel
 * resets what waited in their queues) and opened again. The fast path is
 * untouched. Returns the connections reset, or -errno with a message in
 * err when a listener could not be rebuilt (the relay retries each tick).
 */
long sbgw_relay_restart(struct sbgw_relay *r, char *err, size_t errlen);

const struct sbgw_relay_counters *sbgw_relay_counters(const struct sbgw_relay *r);

#endif
