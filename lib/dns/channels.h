/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DNS service's upstream sockets (internal to lib/dns): a few
 * connected UDP sockets per destination ("channels"), reused across
 * queries and told apart by a random query ID, instead of a socket per
 * query.
 *
 * What a socket per query gave, and how channels keep it:
 * - an unpredictable query ID: each query still draws a random ID (one not
 *   in flight on its channel);
 * - an unpredictable source port: a channel's port is the kernel's random
 *   ephemeral port, each destination has several channels and a query
 *   picks one at random, and a channel is retired after CHAN_USES queries;
 * - answers only from the upstream asked: a channel is connected, so the
 *   kernel drops datagrams from any other address or port; the caller then
 *   matches ID (here) and question (sbgw_dns_answers);
 * - a late answer to a query that has moved on (timeout, failover) is
 *   ignored: its ID is forgotten the moment the query leaves the channel.
 *
 * A transport error on a channel (an ICMP error the kernel reports on the
 * connected socket) fails every query then in flight on it: they all went
 * to the one destination that reported it. The channel is then retired.
 *
 * Usage (one thread, the DNS service's):
 *   c = sbgw_dns_chans_create(epfd, max_queries, on_answer, on_error, arg);
 *   sbgw_dns_chans_send(c, sa, salen, wire, n, cookie, &ticket)  wire's ID is set
 *   epoll event with data.u32 < SBGW_DNS_CHAN_EV_LIMIT: sbgw_dns_chans_recv(c, ev.data.u32)
 *   sbgw_dns_chans_forget(c, &ticket)   the query is answered, timed out or moved on
 *   once per loop: sbgw_dns_chans_reap(c, now_tsc, tick)  deliver channel errors,
 *                                        close retired and long-idle channels
 *   sbgw_dns_chans_free(c)
 */
#ifndef SBGW_DNS_CHANNELS_H
#define SBGW_DNS_CHANNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* epoll data values below this are channels; the service uses the ones above. */
#define SBGW_DNS_CHAN_EV_LIMIT 0x10000u

struct sbgw_dns_chans;

/* A query in flight on a channel. */
struct sbgw_dns_ticket {
	uint32_t chan;   /* SBGW_DNS_CHAN_NONE: not in flight */
	uint32_t cookie; /* the caller's, as given to sbgw_dns_chans_send() */
	uint16_t id;     /* the ID the upstream sees */
};

#define SBGW_DNS_CHAN_NONE UINT32_MAX

/* Per-query callbacks; cookie is the value given to sbgw_dns_chans_send(). */
typedef void (*sbgw_dns_chan_answer_fn)(void *arg, uint32_t cookie, const uint8_t *wire,
					size_t len);
typedef void (*sbgw_dns_chan_error_fn)(void *arg, uint32_t cookie, int err);

/*
 * Channels registered with epfd; at most max_queries queries in flight.
 * on_answer gets each datagram whose ID is in flight on its channel; it
 * must forget the ticket once the datagram is its answer (one that is not
 * is simply dropped). on_error is called for every query in flight on a
 * channel that reported a transport error, after the query was forgotten
 * (its ticket is stale: the caller marks it SBGW_DNS_CHAN_NONE).
 * NULL and errno on failure.
 */
struct sbgw_dns_chans *sbgw_dns_chans_create(int epfd, unsigned int max_queries,
					     sbgw_dns_chan_answer_fn on_answer,
					     sbgw_dns_chan_error_fn on_error, void *arg);
void sbgw_dns_chans_free(struct sbgw_dns_chans *c);

/*
 * Send the query in wire (n bytes) to sa on a channel, with a fresh random
 * ID written into wire. 0 and *t filled, or -errno (nothing in flight).
 */
int sbgw_dns_chans_send(struct sbgw_dns_chans *c, const struct sockaddr *sa, socklen_t salen,
			uint8_t *wire, size_t n, uint32_t cookie, struct sbgw_dns_ticket *t);

/* The query left its channel: later answers to its ID are ignored. Idempotent. */
void sbgw_dns_chans_forget(struct sbgw_dns_chans *c, struct sbgw_dns_ticket *t);

/*
 * Read what channel ev (an epoll data value) holds: each datagram whose ID
 * is in flight goes to on_answer, others are dropped. A transport error
 * fails the channel's queries (on_error).
 */
void sbgw_dns_chans_recv(struct sbgw_dns_chans *c, uint32_t ev);

/*
 * Deliver transport errors found while sending (on_error), then, when
 * tick is true, close channels that are retired and empty and those with
 * nothing in flight for idle_tsc.
 */
void sbgw_dns_chans_reap(struct sbgw_dns_chans *c, uint64_t now, uint64_t idle_tsc, bool tick);

/* Sockets open now, and ever opened (for tests and telemetry). */
unsigned int sbgw_dns_chans_open(const struct sbgw_dns_chans *c);
uint64_t sbgw_dns_chans_opened(const struct sbgw_dns_chans *c);

#endif
