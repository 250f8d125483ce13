/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deferred domain decisions (semantics §2.7.3): a TCP flow that a domain
 * rule allowed at its SYN, or that a deny domain rule could still catch,
 * is held here before anything is dialled. The guest's first flight is
 * read and parsed (lib/inspect): a TLS ClientHello is waited for (up to
 * 16 KiB or the peek timeout), anything else is judged on its first read;
 * the TLS SNI, or an HTTP/1 Host that is a name, is the flow's name; the
 * policy is walked again with it (sbgw_policy_judge_named). A denied flow
 * is reset and never dialled; an allowed one is dialled and the buffered
 * bytes replayed upstream. Every decision is counted and logged (also
 * as a decision-log line when gateway.decision_log is set).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <rte_cycles.h>

#include "decision.h"
#include "first_flight.h"
#include "relay_priv.h"

#define TLS_HANDSHAKE 0x16 /* the content type of a ClientHello's record */

struct pin_query {
	struct sbgw_relay *r;
	uint32_t sandbox;
	struct sbgw_addr addr;
};

static bool name_satisfies(const char *name, const void *arg)
{
	return sbgw_rule_name_matches(arg, name);
}

/* Is the destination pinned, for its sandbox, to a live name that satisfies rule? */
static bool pinned(const struct sbgw_rule *rule, void *arg)
{
	const struct pin_query *q = arg;

	if (q->r->p.pins == NULL)
		return false;
	return sbgw_pins_any_name(q->r->p.pins, q->sandbox, &q->addr, rte_rdtsc(), name_satisfies,
				  rule);
}

static struct sbgw_addr dst_addr(const struct conn *c)
{
	struct sbgw_addr a;

	memset(&a, 0, sizeof(a));
	a.family = c->e.family;
	if (a.family == AF_INET) {
		uint32_t be;

		memcpy(&be, c->e.dst, 4);
		a.v4 = ntohl(be);
	} else {
		memcpy(a.v6, c->e.dst, 16);
	}
	sbgw_addr_normalise(&a);
	return a;
}

/* The decision's JSON line: the intercepted flow's outcome, by name. */
static void log_json(struct sbgw_relay *r, const struct conn *c, const char *sandbox,
		     const char *dst, const char *name, const char *source, struct sbgw_verdict v)
{
	char fields[SBGW_DLOG_LINE_MAX], jname[SBGW_DLOG_LINE_MAX / 2], jsb[200], rule[16];
	int n;

	if (r->p.dlog == NULL || !sbgw_dlog_admit(r->p.dlog))
		return;
	if (sbgw_dlog_json_string(jname, sizeof(jname), name != NULL ? name : "") == 0)
		snprintf(jname, sizeof(jname), "\"(too long)\"");
	if (sbgw_dlog_json_string(jsb, sizeof(jsb), sandbox) == 0)
		snprintf(jsb, sizeof(jsb), "\"?\"");
	if (v.rule < 0)
		snprintf(rule, sizeof(rule), "\"default\"");
	else
		snprintf(rule, sizeof(rule), "%d", v.rule);
	n = snprintf(fields, sizeof(fields),
		     "\"event\":\"flow\",\"verdict\":\"%s\",\"reason\":\"deferred_domain\","
		     "\"sandbox\":%s,\"proto\":\"tcp\",\"dst\":\"%s\",\"dport\":%u,\"name\":%s,"
		     "\"name_source\":\"%s\",\"rule\":%s",
		     v.action == SBGW_ACTION_ALLOW ? "allow" : "deny", jsb, dst, c->e.dst_port, jname,
		     source, rule);
	if (n > 0)
		sbgw_dlog_emit(r->p.dlog, fields,
			       (size_t)n < sizeof(fields) ? (size_t)n : sizeof(fields) - 1);
}

/* Judge the flow by name (NULL: none, cache-only) and act on the verdict. */
static void decide(struct sbgw_relay *r, struct conn *c, const char *name, const char *source)
{
	const struct sbgw_sandbox *sc = &r->p.cfg->sandboxes[c->e.sandbox];
	struct pin_query q = {.r = r, .sandbox = c->e.sandbox, .addr = dst_addr(c)};
	struct sbgw_named_flow f;
	struct sbgw_verdict v;
	char dst[INET6_ADDRSTRLEN];

	memset(&f, 0, sizeof(f));
	f.addr = q.addr;
	f.port = c->e.dst_port;
	f.name = name;
	f.pinned = pinned;
	f.arg = &q;
	v = sbgw_policy_judge_named(&sc->net.policy, &f, &sc->host);
	inet_ntop(c->e.family, c->e.dst, dst, sizeof(dst));
	RELAY_LOG(INFO, "sandbox=%s dst=%s port=%u name=%s source=%s verdict=%s rule=%s%d",
		  sc->name, dst, c->e.dst_port, name != NULL && name[0] ? name : "-", source,
		  v.action == SBGW_ACTION_ALLOW ? "allow" : "deny", v.rule < 0 ? "default" : "#",
		  v.rule < 0 ? 0 : v.rule);
	log_json(r, c, sc->name, dst, name, source, v);
	if (v.action != SBGW_ACTION_ALLOW) {
		/* Never dialled: the guest's connection is reset, nothing leaves the gateway. */
		r->c.deferred_denied++;
		sbgw_relay_close(r, c, true);
		return;
	}
	r->c.deferred_allowed++;
	c->state = CONN_DIALING;
	sbgw_relay_watch(r, c, GUEST, 0);
	sbgw_relay_host_start(r, c);
}

void sbgw_relay_peek_start(struct sbgw_relay *r, struct conn *c)
{
	uint32_t ms = r->p.peek_timeout_ms ? r->p.peek_timeout_ms : SBGW_RELAY_PEEK_TIMEOUT_MS;

	c->deadline = sbgw_relay_now() + r->p.tsc_hz / 1000 * ms;
	sbgw_relay_peek_event(r, c);
}

void sbgw_relay_peek_event(struct sbgw_relay *r, struct conn *c)
{
	struct pipe *in = &c->to[UPSTREAM]; /* what will be replayed upstream */
	struct sbgw_first_flight ff;
	enum sbgw_first_flight_kind k;

	for (;;) {
		ssize_t n = sbgw_pipe_fill(in, c->fd[GUEST], &r->c.bytes_from_guest);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			sbgw_relay_close(r, c, true);
			return;
		}
		if (n == 0) {
			c->eof[GUEST] = true;
			break;
		}
		if (sbgw_pipe_len(in) >= SBGW_FIRST_FLIGHT_MAX)
			break;
	}
	if (sbgw_pipe_len(in) == 0 && !c->eof[GUEST]) {
		if (sbgw_relay_watch(r, c, GUEST, EPOLLIN) < 0)
			sbgw_relay_close(r, c, true);
		return;
	}
	k = sbgw_first_flight_parse(in->buf + in->head, sbgw_pipe_len(in), &ff);
	/*
	 * Only a TLS handshake record is worth waiting for (§2.7.3: stop early
	 * when the first byte is not 0x16). Anything else is judged on what its
	 * first read brought: a whole HTTP/1 head names its Host, the rest is
	 * for the pins, so a client that speaks first with a short message
	 * is not held for the timeout.
	 */
	if (k == SBGW_FIRST_FLIGHT_NEED_MORE && in->buf[in->head] == TLS_HANDSHAKE &&
	    !c->eof[GUEST] && sbgw_pipe_len(in) < SBGW_FIRST_FLIGHT_MAX) {
		if (sbgw_relay_watch(r, c, GUEST, EPOLLIN) < 0)
			sbgw_relay_close(r, c, true);
		return;
	}
	switch (k) {
	case SBGW_FIRST_FLIGHT_TLS:
		decide(r, c, ff.name, "sni");
		break;
	case SBGW_FIRST_FLIGHT_HTTP:
		/* An address in Host names nothing: the pins decide. */
		decide(r, c, ff.name_is_ip ? NULL : ff.name, ff.name_is_ip ? "pins" : "host");
		break;
	default: /* not TLS or HTTP, malformed, or cut short: the pins decide */
		decide(r, c, NULL, "pins");
		break;
	}
}

void sbgw_relay_peek_timeout(struct sbgw_relay *r, struct conn *c)
{
	r->c.peek_timeouts++;
	decide(r, c, NULL, "pins-timeout");
}
