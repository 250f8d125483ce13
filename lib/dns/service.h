/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DNS interceptor (semantics §3): every UDP query a guest sends to
 * port 53, whatever address it names, is handed by the worker to this
 * service on a slow-path thread. Each query is judged by name against the
 * sandbox's policy, answered locally or forwarded to the upstreams in
 * order (failover on timeout or transport error), its answer filtered for
 * rebinding, recorded in the pin table for domain rules, and the response
 * handed back to the worker that owns the guest's port.
 *
 * Usage (main lcore):
 *   svc = sbgw_dns_create(&params);      sockets resolved, rings and pins made
 *   worker: sbgw_dns_submit(svc, m)      a guest's query frame (consumed)
 *   slow thread: sbgw_dns_run(svc, &stop)  event loop until stop becomes true
 *     or, sharing the thread with other services: sbgw_dns_poll(svc) in a
 *     loop that sleeps on sbgw_dns_fd(svc) when nothing happened
 *   relay (same thread): sbgw_dns_query_tcp(svc, &q, reply, ctx, token)
 *     a query read from a guest's DNS-over-TCP connection; same pipeline,
 *     forwarded over TCP, the answer handed to reply() untruncated
 *   sbgw_dns_free(svc)
 *
 * Workers only touch the input ring; the service only touches its own
 * state, the pin table (as its writer) and the output rings.
 */
#ifndef SBGW_DNS_SERVICE_H
#define SBGW_DNS_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "addr.h"
#include "config.h"
#include "pins.h"
#include "policy.h"

struct sbgw_dns;

/* One sandbox as the DNS service sees it. */
struct sbgw_dns_sandbox {
	const struct sbgw_sandbox *cfg;       /* name, network.dns, policy */
	const struct sbgw_policy_compiled *compiled; /* direct-path resolver judgement */
	uint8_t gw_mac[6], guest_mac[6];
	bool v4, v6;                          /* families the guest has */
	struct rte_ring *out;                 /* responses, to the worker owning the port */
};

struct sbgw_dns_params {
	const struct sbgw_config *cfg;
	unsigned int n_sandboxes;
	const struct sbgw_dns_sandbox *sandboxes;
	const struct sbgw_policy *floor;        /* NULL: none */
	const struct sbgw_policy_compiled *floor_compiled;
	struct rte_mempool *pool;               /* for response frames */
	struct sbgw_pins *pins;                 /* the service is its writer */
	uint64_t tsc_hz;
	int socket_id;
};

/* DNS counters of one sandbox (semantics issue 4: observability). */
struct sbgw_dns_counters {
	uint64_t queries, forwarded, answered_locally;
	uint64_t denied, rebind_blocked, upstream_timeouts, upstream_errors;
	uint64_t servfail, truncated, malformed, formerr, queue_full;
};

struct sbgw_dns *sbgw_dns_create(const struct sbgw_dns_params *p, char *err, size_t errlen);
void sbgw_dns_free(struct sbgw_dns *svc);

/*
 * Worker side (datapath-safe): queue a guest's query frame for sandbox.
 * false when the queue is full (the caller counts and frees the frame).
 */
bool sbgw_dns_submit(struct sbgw_dns *svc, uint32_t sandbox, struct rte_mbuf *m);

/* The service's loop; returns when *stop is true. */
void sbgw_dns_run(struct sbgw_dns *svc, volatile bool *stop);

/* One pass of the loop without sleeping; true when it did any work. */
bool sbgw_dns_poll(struct sbgw_dns *svc);

/* An fd that becomes readable when the service's sockets have work (its epoll). */
int sbgw_dns_fd(const struct sbgw_dns *svc);

/*
 * A query from a guest's DNS-over-TCP connection (semantics §3.1, §3.3):
 * judged as TCP/53, forwarded over TCP, never truncated. reply(ctx,
 * token, msg, len) is called exactly once, from sbgw_dns_query_tcp or a
 * later sbgw_dns_poll on the same thread: with the response, or with
 * len 0 when the query gets no answer at all (malformed, §3.2 step 1).
 */
typedef void (*sbgw_dns_reply_fn)(void *ctx, uint64_t token, const uint8_t *msg, size_t len);

struct sbgw_dns_tcp_query {
	uint32_t sandbox;
	uint8_t family;          /* AF_INET or AF_INET6 */
	uint8_t guest_ip[16];    /* network order */
	uint8_t resolver_ip[16]; /* the address the guest connected to */
	uint16_t guest_port;
	const uint8_t *wire;     /* the message, without its two-byte length */
	size_t len;
};

/* 0, or -EBUSY when the sandbox has too many queries in flight (reply is not called). */
int sbgw_dns_query_tcp(struct sbgw_dns *svc, const struct sbgw_dns_tcp_query *q,
		       sbgw_dns_reply_fn reply, void *ctx, uint64_t token);

const struct sbgw_dns_counters *sbgw_dns_sandbox_counters(const struct sbgw_dns *svc,
							  uint32_t sandbox);

#endif
