/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS over TCP from a guest (semantics §3.1): RFC 1035 length-framed
 * queries, pipelining allowed, each one handed to the DNS interceptor's
 * own pipeline (policy by name, rebind, pins, failover: lib/dns) and its
 * answer framed back; 30 s idle timeout. Answers may come back in any
 * order (RFC 7766 §6.2.1.1), each carrying its query's ID.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "relay_priv.h"

static void arm_idle(struct sbgw_relay *r, struct conn *c)
{
	c->deadline = sbgw_relay_now() + r->p.tsc_hz * SBGW_RELAY_DNS_IDLE_S;
}

static void pump(struct sbgw_relay *r, struct conn *c);

/* The DNS service's answer to one of this connection's queries (maybe a stale one). */
static void answered(void *ctx, uint64_t token, const uint8_t *msg, size_t len)
{
	struct sbgw_relay *r = ctx;
	uint32_t index = (uint32_t)(token & 0xffffffffu);
	struct conn *c;
	struct pipe *out;

	if (index >= r->high)
		return;
	c = &r->conns[index];
	if (c->gen != (uint32_t)(token >> 32) || c->state != CONN_DNS)
		return; /* the guest went away meanwhile */
	c->outstanding--;
	out = &c->to[GUEST];
	if (len > 0 && len <= UINT16_MAX && sbgw_pipe_room(out) >= len + 2) {
		out->buf[out->tail++] = (uint8_t)(len >> 8);
		out->buf[out->tail++] = (uint8_t)len;
		memcpy(out->buf + out->tail, msg, len);
		out->tail += (uint32_t)len;
	}
	arm_idle(r, c);
	pump(r, c);
}

/* Hand every complete query in the input to the DNS service. */
static void submit_queries(struct sbgw_relay *r, struct conn *c)
{
	struct pipe *in = &c->to[UPSTREAM]; /* a DNS connection's "upstream" is the pipeline */
	uint64_t token = (uint64_t)c->gen << 32 | c->index;
	uint32_t gen = c->gen;

	while (sbgw_pipe_len(in) >= 2 && c->outstanding < DNS_MAX_OUTSTANDING) {
		const uint8_t *p = in->buf + in->head;
		uint32_t mlen = (uint32_t)p[0] << 8 | p[1];
		struct sbgw_dns_tcp_query q;

		if (mlen + 2 > in->cap) { /* longer than any query we accept */
			sbgw_relay_close(r, c, true);
			return;
		}
		if (sbgw_pipe_len(in) < mlen + 2)
			return;
		memset(&q, 0, sizeof(q));
		q.sandbox = c->e.sandbox;
		q.family = c->e.family;
		memcpy(q.guest_ip, c->e.guest, sizeof(q.guest_ip));
		memcpy(q.resolver_ip, c->e.dst, sizeof(q.resolver_ip));
		q.guest_port = c->e.guest_port;
		q.wire = p + 2;
		q.len = mlen;
		r->c.dns_queries++;
		c->outstanding++;
		in->head += mlen + 2;
		if (sbgw_dns_query_tcp(r->p.dns, &q, answered, r, token) < 0) {
			c->outstanding--;
			r->c.dns_busy++;
		}
		/* An answer given at once was written, and may have closed the connection. */
		if (c->state != CONN_DNS || c->gen != gen)
			return;
	}
}

static void pump(struct sbgw_relay *r, struct conn *c)
{
	struct pipe *in = &c->to[UPSTREAM];
	uint32_t gen = c->gen;
	uint32_t want;

	if (sbgw_pipe_flush(&c->to[GUEST], c->fd[GUEST], &r->c.bytes_to_guest) < 0) {
		sbgw_relay_close(r, c, true);
		return;
	}
	while (!c->eof[GUEST] && c->outstanding < DNS_MAX_OUTSTANDING) {
		ssize_t n = sbgw_pipe_fill(in, c->fd[GUEST], &r->c.bytes_from_guest);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			sbgw_relay_close(r, c, true);
			return;
		}
		if (n == 0)
			c->eof[GUEST] = true;
		else
			arm_idle(r, c);
		submit_queries(r, c);
		if (c->state != CONN_DNS || c->gen != gen)
			return;
	}
	/* The guest is done and every answer is out: close like a server (FIN). */
	if (c->eof[GUEST] && c->outstanding == 0 && sbgw_pipe_len(&c->to[GUEST]) == 0) {
		sbgw_relay_close(r, c, false);
		return;
	}
	want = 0;
	if (!c->eof[GUEST] && c->outstanding < DNS_MAX_OUTSTANDING)
		want |= EPOLLIN;
	if (sbgw_pipe_len(&c->to[GUEST]) > 0)
		want |= EPOLLOUT;
	if (sbgw_relay_watch(r, c, GUEST, want) < 0)
		sbgw_relay_close(r, c, true);
}

void sbgw_relay_dns_start(struct sbgw_relay *r, struct conn *c)
{
	arm_idle(r, c);
	pump(r, c);
}

void sbgw_relay_dns_event(struct sbgw_relay *r, struct conn *c)
{
	pump(r, c);
}
