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
 * Workers only touch the input ring and the service's doorbell (an
 * eventfd they write when the service sleeps); the service only touches
 * its own state, the pin table (as its writer) and the output rings.
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

struct sbgw_dlog;

struct sbgw_dns_params {
	const struct sbgw_config *cfg;
	unsigned int n_sandboxes;
	const struct sbgw_dns_sandbox *sandboxes;
	const struct sbgw_policy *floor;        /* NULL: none */
	const struct sbgw_policy_compiled *floor_compiled;
	struct rte_mempool *pool;               /* for response frames */
	struct sbgw_pins *pins;                 /* the service is its writer */
	struct sbgw_dlog *dlog;                 /* gateway.decision_log (NULL: off) */
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

/*
 * Run-time changes (main lcore): resolve a sandbox's new DNS settings
 * (nameservers, timeout, rebind protection) without touching the running
 * ones, then swap them in. prepare returns NULL with errno and a message
 * when none of its nameservers resolves. The sandbox's struct
 * sbgw_dns_sandbox (cfg, compiled) is the caller's to update.
 */
struct sbgw_dns_settings;
struct sbgw_dns_settings *sbgw_dns_settings_prepare(const struct sbgw_dns *svc,
						    const struct sbgw_sandbox *sc, char *err,
						    size_t errlen);
void sbgw_dns_settings_commit(struct sbgw_dns *svc, uint32_t sandbox,
			      struct sbgw_dns_settings *d);
void sbgw_dns_settings_free(struct sbgw_dns_settings *d);

/*
 * Other work of the main lcore (the control socket), called once per
 * loop; it must not block (the loop sleeps at most a millisecond in epoll).
 */
void sbgw_dns_set_idle(struct sbgw_dns *svc, void (*fn)(void *arg), void *arg);
/* One pass of the loop without sleeping; true when it did any work. */
bool sbgw_dns_poll(struct sbgw_dns *svc);

/* An fd that becomes readable when the service's sockets have work (its epoll). */
int sbgw_dns_fd(const struct sbgw_dns *svc);

/*
 * For a loop that polls the service and sleeps elsewhere (the relay's):
 * sleep_begin asks the workers to ring the service's eventfd (which
 * makes sbgw_dns_fd readable) and answers whether the ring is empty,
 * i.e. whether sleeping is safe; sleep_end after waking; sleep_ms is the
 * longest sleep before the service's next tick.
 */
bool sbgw_dns_sleep_begin(struct sbgw_dns *svc);
void sbgw_dns_sleep_end(struct sbgw_dns *svc);
int sbgw_dns_sleep_ms(const struct sbgw_dns *svc);

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

/*
 * Where forwarded queries' time goes, over the last 4096 answered ones:
 * p50, p90 and p99 of the service's own time (a worker's hand-off to the
 * first send upstream, plus the answer's arrival to the response handed
 * back to the worker), of the part of it the service spent working (from
 * taking the query off the ring, so without waiting to be woken or
 * scheduled), and of the upstream's round trip (send to answer: the host
 * port, the datapath, the network, the upstream, and the service's
 * wake-up for the answer). Safe from any thread (the telemetry's); 0 or
 * -ENOMEM.
 */
struct sbgw_dns_timing {
	uint64_t forwarded;      /* answered forwarded queries, ever */
	uint32_t samples;        /* how many the percentiles cover */
	uint32_t service_ns[3];  /* p50, p90, p99 */
	uint32_t work_ns[3];
	uint32_t upstream_ns[3];
	unsigned int sockets;    /* upstream sockets open now */
	uint64_t sockets_opened; /* upstream sockets ever opened */
};
int sbgw_dns_timing(const struct sbgw_dns *svc, struct sbgw_dns_timing *out);

#endif
