/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames from a guest: parse, check the source, answer what is addressed
 * to the gateway itself (ARP, ND, DHCP, RA, echo), and send the rest on
 * through its flow: an existing flow is NATed straight away, a new one is
 * judged by the sandbox's policy (and the gateway's floor) first.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "runtime.h"
#include "frag.h"
#include "link.h"
#include "parse.h"
#include "rewrite.h"
#include "fast.h"

#define ICMP_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_RS 133
#define ICMP6_NS 135
#define ICMP6_NA 136
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DNS_PORT 53
/* DNS over other transports a guest might try (semantics §3.1): dropped. */
#define DOQ_PORT 853 /* DNS over QUIC (UDP) and over TLS (TCP) */
#define MDNS_PORT 5353
#define LLMNR_PORT 5355
#define NETBIOS_NS_PORT 137
#define IPV4_MSS_OVERHEAD 40
#define IPV6_MSS_OVERHEAD 60

static inline void count_drop(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			      struct rte_mbuf *m, enum sbgw_drop reason)
{
	w->sb_counters[sb->index].drops[reason]++;
	rte_pktmbuf_free(m);
}

void sbgw_guest_tx(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb, struct rte_mbuf *m)
{
	struct sbgw_sandbox_counters *c = &w->sb_counters[sb->index];

	c->to_guest_packets++;
	c->to_guest_bytes += rte_pktmbuf_pkt_len(m);
	sbgw_tx(w, sb->port_id, 0, w->guest_txb[sb->index], m, sb->cfg->link.mtu, c->drops);
}

/* Send a frame built in place back to the guest, with its new length. */
static void answer_in_place(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			    struct rte_mbuf *m, uint32_t len)
{
	rte_pktmbuf_data_len(m) = (uint16_t)len;
	rte_pktmbuf_pkt_len(m) = len;
	sbgw_guest_tx(w, sb, m);
}

static void link_params(const struct sbgw_sandbox_rt *sb, struct sbgw_link_params *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->gw_mac, sb->gw_mac.addr_bytes, 6);
	memcpy(p->guest_mac, sb->guest_mac.addr_bytes, 6);
	p->v4 = sb->v4;
	p->v6 = sb->v6;
	memcpy(p->gw4, sb->gw4, 4);
	memcpy(p->guest4, sb->guest4, 4);
	p->prefix4 = sb->cfg->link.net4.len;
	memcpy(p->gw6, sb->gw6, 16);
	memcpy(p->guest6, sb->guest6, 16);
	memcpy(p->gw6_ll, sb->gw6_ll, 16);
	p->prefix6 = sb->cfg->link.net6.len;
	p->mtu = sb->cfg->link.mtu;
}

/* Build a reply into a fresh mbuf (DHCP, RA) and send it to the guest. */
static void answer_built(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			 struct rte_mbuf *req, bool dhcp, const struct sbgw_pkt_info *info)
{
	struct sbgw_link_params p;
	struct rte_mbuf *m;
	uint8_t *out;
	uint32_t len;

	link_params(sb, &p);
	m = rte_pktmbuf_alloc(w->gw->pool);
	if (m == NULL) {
		count_drop(w, sb, req, SBGW_DROP_ALLOC);
		return;
	}
	out = rte_pktmbuf_mtod(m, uint8_t *);
	if (dhcp)
		len = sbgw_link_dhcp_reply(rte_pktmbuf_mtod(req, uint8_t *),
					   rte_pktmbuf_data_len(req), info, &p, out);
	else
		len = sbgw_link_build_ra(out, &p);
	rte_pktmbuf_free(req);
	if (len == 0) {
		w->sb_counters[sb->index].drops[SBGW_DROP_LINK_IGNORED]++;
		rte_pktmbuf_free(m);
		return;
	}
	answer_in_place(w, sb, m, len);
}

/*
 * One policy's verdict. Domain and suffix rules match through the pins of
 * the destination (cache-only matching, semantics §2.7.2), looked up only
 * for policies that have such rules.
 */
void sbgw_guest_advertise(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb)
{
	struct sbgw_link_params p;
	struct rte_mbuf *m;
	uint32_t len;

	if (!sb->v6 || sb->is_host || sb->port_id == SBGW_NO_PORT)
		return;
	m = rte_pktmbuf_alloc(w->gw->pool);
	if (m == NULL) {
		w->sb_counters[sb->index].drops[SBGW_DROP_ALLOC]++;
		return;
	}
	link_params(sb, &p);
	len = sbgw_link_build_ra(rte_pktmbuf_mtod(m, uint8_t *), &p);
	answer_in_place(w, sb, m, len);
}

static struct sbgw_verdict judge(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
				 const struct sbgw_policy_compiled *cp,
				 struct sbgw_policy_packet *pkt)
{
	struct sbgw_domain_hits hits;

	pkt->domain_bits = 0;
	if (w->gw->pins != NULL && sbgw_policy_has_domain_rules(cp) &&
	    sbgw_pins_lookup(w->gw->pins, sb->index, &pkt->addr, rte_rdtsc(), &hits)) {
		pkt->domain_bits = hits.bits;
		return sbgw_policy_evaluate(cp, SBGW_EGRESS, pkt, &sb->cfg->host, &hits);
	}
	return sbgw_policy_evaluate(cp, SBGW_EGRESS, pkt, &sb->cfg->host, NULL);
}

/*
 * The sandbox's policy and then the gateway's floor: a flow must pass
 * both. Counts the deciding rule of the sandbox's policy.
 */
static bool allowed(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
		    const struct sbgw_pkt_info *info, const uint8_t *dst, int32_t *rule,
		    enum sbgw_drop *reason)
{
	const struct sbgw_policy_rt *policy;
	struct sbgw_policy_packet pkt;
	struct sbgw_verdict v;

	memset(&pkt, 0, sizeof(pkt));
	if (info->l3 == SBGW_L3_IPV4) {
		uint32_t a;

		memcpy(&a, dst, 4);
		pkt.addr.family = AF_INET;
		pkt.addr.v4 = rte_be_to_cpu_32(a);
	} else {
		pkt.addr.family = AF_INET6;
		memcpy(pkt.addr.v6, dst, 16);
	}
	pkt.ip_proto = info->proto;
	pkt.port = (info->proto == IPPROTO_TCP || info->proto == IPPROTO_UDP) ? info->dport : 0;
	sbgw_addr_normalise(&pkt.addr);
	policy = sbgw_sandbox_policy(sb); /* one generation for verdict and counter */
	v = judge(w, sb, policy->compiled, &pkt);
	*rule = v.rule;
	policy->hits[w->index][v.rule < 0 ? policy->n_rules : (unsigned int)v.rule]++;
	if (v.action != SBGW_ACTION_ALLOW) {
		*reason = SBGW_DROP_ACL_DENY;
		return false;
	}
	if (w->gw->floor != NULL) {
		/* The floor's domain sets are its own: no pins (operators use addresses). */
		v = sbgw_policy_evaluate(w->gw->floor, SBGW_EGRESS, &pkt, &sb->cfg->host, NULL);
		if (v.action != SBGW_ACTION_ALLOW) {
			*reason = SBGW_DROP_FLOOR_DENY;
			return false;
		}
	}
	return true;
}

/* Refuse a TCP segment the way a closed port does; drop anything else. */
static void refuse(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb, struct rte_mbuf *m,
		   const struct sbgw_pkt_info *info, enum sbgw_drop reason)
{
	uint32_t len;

	w->sb_counters[sb->index].drops[reason]++;
	if (info->proto != IPPROTO_TCP || (info->tcp_flags & RTE_TCP_RST_FLAG) ||
	    (info->fragment && !info->first_fragment)) {
		rte_pktmbuf_free(m);
		return;
	}
	len = sbgw_rewrite_tcp_reset(rte_pktmbuf_mtod(m, uint8_t *), info);
	answer_in_place(w, sb, m, len);
}

/* Refuse a guest's new flow, with a decision-log line saying why. */
static void deny(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb, struct rte_mbuf *m,
		 const struct sbgw_pkt_info *info, enum sbgw_drop reason, int32_t rule)
{
	sbgw_decision_log(w, sb, m, info, "deny", sbgw_drop_name(reason),
			  reason == SBGW_DROP_ACL_DENY ? rule : SBGW_DECISION_NO_RULE);
	refuse(w, sb, m, info, reason);
}

/* Drop a guest's new flow without an answer, with a decision-log line. */
static void deny_silently(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			  struct rte_mbuf *m, const struct sbgw_pkt_info *info, enum sbgw_drop reason)
{
	sbgw_decision_log(w, sb, m, info, "deny", sbgw_drop_name(reason), SBGW_DECISION_NO_RULE);
	count_drop(w, sb, m, reason);
}

static bool is_echo_request(const struct sbgw_pkt_info *info)
{
	return (info->proto == IPPROTO_ICMP && info->icmp_type == ICMP_ECHO_REQUEST) ||
	       (info->proto == IPPROTO_ICMPV6 && info->icmp_type == ICMP6_ECHO_REQUEST);
}

/*
 * Traffic addressed to the gateway itself ("host" group). Echo is
 * answered when the policy allows it (semantics §2.10); DNS and relayed
 * host services are later stages.
 */
static bool is_syn(const struct sbgw_pkt_info *info)
{
	return (info->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
	       RTE_TCP_SYN_FLAG;
}

static const char *relay_kind_name(uint8_t kind)
{
	switch (kind) {
	case SBGW_REDIRECT_DNS:
		return "relay_dns";
	case SBGW_REDIRECT_HOST:
		return "relay_host_service";
	default:
		return "relay_deferred_domain";
	}
}

/*
 * The PROXY verdict: to the slow-path relay, or refused when it cannot
 * take it. A connection's SYN is its decision-log line (logged before
 * the hand-over: after it the frame is no longer ours to read).
 */
static void relay(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb, struct rte_mbuf *m,
		  const struct sbgw_pkt_info *info, uint8_t kind, int32_t rule, uint64_t now)
{
	enum sbgw_drop d;

	if (unlikely(w->gw->dlog != NULL) && is_syn(info))
		sbgw_decision_log(w, sb, m, info, "intercept", relay_kind_name(kind),
				  rule >= 0 ? rule : SBGW_DECISION_NO_RULE);
	d = sbgw_redirect_guest(w, sb, m, info, kind, rule, now);
	if (d != SBGW_DROP_NONE)
		deny(w, sb, m, info, d, SBGW_DECISION_NO_RULE);
}

static void to_gateway(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
		       struct rte_mbuf *m, const struct sbgw_pkt_info *info, const uint8_t *dst,
		       uint64_t now)
{
	enum sbgw_drop reason;
	int32_t rule;

	/*
	 * A host service's connection is judged at its SYN; the rest of it
	 * goes to the relay unjudged (the kernel resets what it does not know).
	 */
	if (info->proto == IPPROTO_TCP && !is_syn(info)) {
		relay(w, sb, m, info, SBGW_REDIRECT_HOST, -1, now);
		return;
	}
	if (!allowed(w, sb, info, dst, &rule, &reason)) {
		deny(w, sb, m, info, reason, rule);
		return;
	}
	if (is_echo_request(info)) {
		sbgw_rewrite_echo_reply(rte_pktmbuf_mtod(m, uint8_t *), info);
		sbgw_guest_tx(w, sb, m);
		return;
	}
	/* Allowed TCP reaches the host's loopback service through the relay (§3.6). */
	if (info->proto == IPPROTO_TCP) {
		relay(w, sb, m, info, SBGW_REDIRECT_HOST, rule, now);
		return;
	}
	/* UDP host services are not relayed (yet): dropped, counted. */
	deny(w, sb, m, info, SBGW_DROP_HOST_SERVICE, SBGW_DECISION_NO_RULE);
}

/* Is this segment's connection one the relay holds for a domain decision? */
static bool deferred(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
		     const struct sbgw_flow_key *k, uint64_t now)
{
	struct sbgw_redirect_entry e;

	if (w->gw->redirect == NULL || !sbgw_policy_has_domain_rules(sbgw_sandbox_policy(sb)->compiled))
		return false;
	return sbgw_redirect_lookup(w->gw->redirect, k->family, k->src, k->src_port, now, &e,
				    NULL) &&
	       e.kind == SBGW_REDIRECT_DEFERRED && e.sandbox == sb->index &&
	       e.dst_port == k->dst_port &&
	       memcmp(e.dst, k->dst, k->family == AF_INET ? 4 : 16) == 0;
}

static void flow_key(const struct sbgw_sandbox_rt *sb, const uint8_t *frame,
		     const struct sbgw_pkt_info *info, struct sbgw_flow_key *k)
{
	bool icmp = info->proto == IPPROTO_ICMP || info->proto == IPPROTO_ICMPV6;

	/* An echo flow is its identifier; the remote side has no port. */
	sbgw_frame_flow_key(k, sb->index, frame, info, info->sport, icmp ? 0 : info->dport);
}

static struct sbgw_flow *new_flow(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
				  struct rte_mbuf *m, const struct sbgw_pkt_info *info,
				  const struct sbgw_flow_key *k, uint64_t now)
{
	struct sbgw_dataplane *gw = w->gw;
	struct sbgw_flow_create c;
	struct sbgw_addr uplink;
	enum sbgw_drop reason;
	struct sbgw_flow *f;
	int32_t rule;

	if (info->proto == IPPROTO_TCP &&
	    (info->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) !=
		    RTE_TCP_SYN_FLAG) {
		count_drop(w, sb, m, SBGW_DROP_NO_FLOW);
		return NULL;
	}
	if (!allowed(w, sb, info, k->dst, &rule, &reason)) {
		deny(w, sb, m, info, reason, rule);
		return NULL;
	}
	SBGW_PROF_MARK(w, SBGW_PROF_CLASSIFY); /* profile.h */
	/* A domain decision that needs the first flight: the PROXY verdict (§2.7.3). */
	if (info->proto == IPPROTO_TCP && gw->redirect != NULL &&
	    sbgw_policy_has_domain_rules(sbgw_sandbox_policy(sb)->compiled) &&
	    sbgw_policy_defers(sbgw_policy_source(sbgw_sandbox_policy(sb)->compiled),
			       (struct sbgw_verdict){.action = SBGW_ACTION_ALLOW, .rule = rule},
			       info->dport)) {
		relay(w, sb, m, info, SBGW_REDIRECT_DEFERRED, rule, now);
		return NULL;
	}
	memset(&uplink, 0, sizeof(uplink));
	if (info->l3 == SBGW_L3_IPV4) {
		uint32_t a;

		memcpy(&a, gw->uplink4, 4);
		uplink.family = AF_INET;
		uplink.v4 = rte_be_to_cpu_32(a);
	} else {
		uplink.family = AF_INET6;
		memcpy(uplink.v6, gw->uplink6, 16);
	}
	/* The sandbox's relayed connections count too (§2.12); the table counts its own. */
	if (info->proto == IPPROTO_TCP && gw->redirect != NULL &&
	    sbgw_redirect_in_use(gw->redirect, sb->index) > 0 &&
	    sbgw_relay_over_cap(w, sb, 0, NULL, 0, now)) {
		refuse(w, sb, m, info, SBGW_DROP_MAX_CONNECTIONS);
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.guest_key = k;
	c.uplink_addr = &uplink;
	c.sandbox = sb->index;
	c.rule = rule;
	c.counts_connection = info->proto == IPPROTO_TCP;
	f = sbgw_flow_create(w->flows, &c, now);
	if (f == NULL) {
		switch (errno) {
		case EDQUOT:
			deny(w, sb, m, info, SBGW_DROP_MAX_CONNECTIONS, SBGW_DECISION_NO_RULE);
			break;
		case EADDRINUSE:
			deny_silently(w, sb, m, info, SBGW_DROP_NAT_PORTS);
			break;
		default:
			deny_silently(w, sb, m, info, SBGW_DROP_FLOW_TABLE_FULL);
			break;
		}
		return NULL;
	}
	w->sb_counters[sb->index].flows_created++;
	SBGW_PROF_MARK(w, SBGW_PROF_CREATE); /* profile.h */
	return f;
}

static void forward(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb, struct rte_mbuf *m,
		    const struct sbgw_pkt_info *info, uint64_t now)
{
	struct sbgw_dataplane *gw = w->gw;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	bool v4 = info->l3 == SBGW_L3_IPV4;
	struct sbgw_flow_key k;
	struct sbgw_flow *f;

	SBGW_PROF_MARK(w, SBGW_PROF_PARSE); /* profile.h */
	if (!v4 && !gw->uplink_v6) {
		count_drop(w, sb, m, SBGW_DROP_FAMILY_INACTIVE);
		return;
	}
	switch (info->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* Only echo is relayed (semantics §2.10). */
		if (is_echo_request(info))
			break;
		/* fall through */
	default:
		count_drop(w, sb, m, SBGW_DROP_UNSUPPORTED_PROTO);
		return;
	}
	if (info->fragment) { /* IPv6: not relayed (semantics §7) */
		count_drop(w, sb, m, SBGW_DROP_FRAGMENT);
		return;
	}
	flow_key(sb, frame, info, &k);
	f = sbgw_flow_lookup(w->flows, &k);
	SBGW_PROF_MARK(w, SBGW_PROF_LOOKUP); /* profile.h */
	/* The rest of a deferred flow: it has no NAT flow, only its redirect entry. */
	if (f == NULL && info->proto == IPPROTO_TCP && !is_syn(info) && deferred(w, sb, &k, now)) {
		relay(w, sb, m, info, SBGW_REDIRECT_DEFERRED, -1, now);
		return;
	}
	if (f == NULL) {
		f = new_flow(w, sb, m, info, &k, now);
		if (f == NULL)
			return;
	}
	f->last_seen = now;
	f->packets[0]++;
	f->bytes[0] += rte_pktmbuf_pkt_len(m);
	/* A policy swapped in since denies this connection (revoke.c). */
	if (unlikely(f->tcp_state == SBGW_TCP_REVOKED)) {
		if (!sbgw_revoked_segment(w, sb, m, info, 0, now))
			return;
	} else if (info->proto == IPPROTO_TCP) {
		sbgw_flow_track_tcp(f, 0, info->tcp_flags, now);
	}
	if (!sbgw_rewrite_ttl(frame, info)) {
		count_drop(w, sb, m, SBGW_DROP_TTL);
		return;
	}
	if (info->proto == IPPROTO_TCP)
		sbgw_rewrite_clamp_mss(frame, info,
				       (uint16_t)(sb->cfg->link.mtu -
						  (v4 ? IPV4_MSS_OVERHEAD : IPV6_MSS_OVERHEAD)));
	sbgw_rewrite_endpoint(frame, info, 0, v4 ? gw->uplink4 : gw->uplink6, f->nat_port);
	SBGW_PROF_MARK(w, SBGW_PROF_REWRITE); /* profile.h */
	sbgw_uplink_tx(w, m, v4 ? 0 : 1, now);
	SBGW_PROF_MARK(w, SBGW_PROF_TX); /* profile.h */
}

static bool bytes_equal(const uint8_t *a, const uint8_t *b, unsigned int n)
{
	return memcmp(a, b, n) == 0;
}

/*
 * UDP to port 53, whatever the address, is the DNS interceptor's
 * (semantics §3.1); the other name-service ports are dropped. Returns true
 * when the frame was taken.
 */
static bool intercept_dns(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			  struct rte_mbuf *m, const struct sbgw_pkt_info *info, uint64_t now)
{
	if (sb->is_host)
		return false;
	/*
	 * DNS over TLS without TLS interception is refused with a reset so the
	 * stub falls back to port 53 (semantics §3.1).
	 */
	if (info->proto == IPPROTO_TCP && info->dport == DOQ_PORT) {
		deny(w, sb, m, info, SBGW_DROP_DNS_PORT_BLOCKED, SBGW_DECISION_NO_RULE);
		return true;
	}
	/* DNS over TCP, to any address: handshake without a policy check, then per query (§2.1). */
	if (info->proto == IPPROTO_TCP && info->dport == DNS_PORT) {
		relay(w, sb, m, info, SBGW_REDIRECT_DNS, -1, now);
		return true;
	}
	if (info->proto != IPPROTO_UDP)
		return false;
	switch (info->dport) {
	case DNS_PORT:
		if (w->gw->dns == NULL) {
			count_drop(w, sb, m, SBGW_DROP_DNS_UNAVAILABLE);
		} else if (!sbgw_dns_submit(w->gw->dns, sb->index, m)) {
			count_drop(w, sb, m, SBGW_DROP_DNS_QUEUE_FULL);
		}
		return true;
	case DOQ_PORT:
	case MDNS_PORT:
	case LLMNR_PORT:
	case NETBIOS_NS_PORT:
		deny_silently(w, sb, m, info, SBGW_DROP_DNS_PORT_BLOCKED);
		return true;
	default:
		return false;
	}
}

static bool to_a_guest(const struct sbgw_dataplane *gw, const uint8_t *dst)
{
	for (uint32_t i = 0; i < gw->n_sandboxes; i++) {
		const struct sbgw_sandbox_rt *sb = &gw->sandboxes[i];

		/* The /30 is 4-aligned: the gateway's address without its low bits. */
		if (sb->v4 && memcmp(dst, sb->gw4, 3) == 0 && (dst[3] & ~3) == (sb->gw4[3] & ~3))
			return true;
	}
	return false;
}

static bool to_a_guest6(const struct sbgw_dataplane *gw, const uint8_t *dst)
{
	for (uint32_t i = 0; i < gw->n_sandboxes; i++) {
		const struct sbgw_sandbox_rt *sb = &gw->sandboxes[i];

		/* Each sandbox's /64 is its own (deviation D9). */
		if (sb->v6 && memcmp(dst, sb->guest6, 8) == 0)
			return true;
	}
	return false;
}

static void guest_ipv4(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
		       struct rte_mbuf *m, struct sbgw_pkt_info *info, uint64_t now)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, info->l3_off);
	static const uint8_t zero4[4];
	enum sbgw_drop reason;

	if (!sb->v4) {
		count_drop(w, sb, m, SBGW_DROP_FAMILY_INACTIVE);
		return;
	}
	/* DHCP is the one thing a guest sends before it has an address. */
	if (info->proto == IPPROTO_UDP && info->dport == DHCP_SERVER_PORT &&
	    info->sport == DHCP_CLIENT_PORT &&
	    (bytes_equal(ip + 12, zero4, 4) || bytes_equal(ip + 12, sb->guest4, 4))) {
		answer_built(w, sb, m, true, info);
		return;
	}
	if (!bytes_equal(ip + 12, sb->guest4, 4)) {
		count_drop(w, sb, m, SBGW_DROP_SPOOF_IP);
		return;
	}
	/* Policy needs the ports: judge the whole datagram (semantics §7). */
	if (info->fragment) {
		m = sbgw_frag_reassemble(&w->frag, m, info, now, &reason);
		if (m == NULL) {
			if (reason != SBGW_DROP_NONE)
				w->sb_counters[sb->index].drops[reason]++;
			return;
		}
		ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, info->l3_off);
	}
	if (intercept_dns(w, sb, m, info, now))
		return;
	if (bytes_equal(ip + 16, sb->gw4, 4)) {
		/* A guest's reply on a published port's relay (egress policy does not apply, §6). */
		if (!sb->is_host && sbgw_published_from_guest(w, sb, m, info))
			return;
		to_gateway(w, sb, m, info, ip + 16, now);
		return;
	}
	/*
	 * The host reaches guests only as the TCP relay (the kernel's side of
	 * a redirected connection) and through the published ports' relay.
	 */
	if (sb->is_host && to_a_guest(w->gw, ip + 16)) {
		if (sbgw_redirect_reply(w, sb, m, info, now))
			return;
		if (!sbgw_published_from_host(w, sb, m, info, ip))
			count_drop(w, sb, m, SBGW_DROP_NO_ROUTE);
		return;
	}
	forward(w, sb, m, info, now);
}

static void guest_ipv6(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
		       struct rte_mbuf *m, const struct sbgw_pkt_info *info, uint64_t now)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *ip = frame + info->l3_off;
	const uint8_t *src = ip + 8, *dst = ip + 24;
	bool link_local_src = src[0] == 0xfe && (src[1] & 0xc0) == 0x80;
	static const uint8_t unspecified[16];

	if (!sb->v6) {
		count_drop(w, sb, m, SBGW_DROP_FAMILY_INACTIVE);
		return;
	}
	if (info->proto == IPPROTO_ICMPV6 && info->icmp_type == ICMP6_RS) {
		answer_built(w, sb, m, false, info);
		return;
	}
	if (info->proto == IPPROTO_ICMPV6 && info->icmp_type == ICMP6_NS) {
		uint8_t addrs[2][16];
		uint32_t len;

		memcpy(addrs[0], sb->gw6, 16);
		memcpy(addrs[1], sb->gw6_ll, 16);
		len = sbgw_link_nd_reply(frame, rte_pktmbuf_data_len(m), info,
					 sb->gw_mac.addr_bytes, (const uint8_t(*)[16])addrs, 2,
					 true);
		if (len > 0)
			answer_in_place(w, sb, m, len);
		else
			count_drop(w, sb, m, SBGW_DROP_LINK_IGNORED);
		return;
	}
	/* Link-local and unspecified sources only speak neighbour discovery and MLD. */
	if (link_local_src || bytes_equal(src, unspecified, 16) || dst[0] == 0xff) {
		count_drop(w, sb, m, SBGW_DROP_LINK_IGNORED);
		return;
	}
	/*
	 * The whole /64 is this sandbox's alone (deviation D9), and guests that
	 * autoconfigure from our router advertisement pick addresses in it
	 * besides ::2; anything outside it, or the gateway's own, is spoofed.
	 */
	if (!bytes_equal(src, sb->guest6, 8) || bytes_equal(src, sb->gw6, 16)) {
		count_drop(w, sb, m, SBGW_DROP_SPOOF_IP);
		return;
	}
	if (intercept_dns(w, sb, m, info, now))
		return;
	if (bytes_equal(dst, sb->gw6, 16) || bytes_equal(dst, sb->gw6_ll, 16)) {
		to_gateway(w, sb, m, info, dst, now);
		return;
	}
	/* As for IPv4: the host reaches a guest's /64 only as the relay. */
	if (sb->is_host && to_a_guest6(w->gw, dst)) {
		if (sbgw_redirect_reply(w, sb, m, info, now))
			return;
		count_drop(w, sb, m, SBGW_DROP_NO_ROUTE);
		return;
	}
	forward(w, sb, m, info, now);
}

static void guest_arp(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
		      struct rte_mbuf *m, const struct sbgw_pkt_info *info)
{
	uint32_t len;

	if (!sb->v4) {
		count_drop(w, sb, m, SBGW_DROP_FAMILY_INACTIVE);
		return;
	}
	len = sbgw_link_arp_reply(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), info,
				  sb->gw_mac.addr_bytes, sb->gw4);
	if (len > 0)
		answer_in_place(w, sb, m, len);
	else
		count_drop(w, sb, m, SBGW_DROP_LINK_IGNORED);
}

/* One frame the slow way: every check, every kind of frame. */
static void guest_rx_one(struct sbgw_worker *w, struct sbgw_sandbox_rt *sb, struct rte_mbuf *m,
			 uint64_t now)
{
	struct sbgw_sandbox_counters *c = &w->sb_counters[sb->index];
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct sbgw_pkt_info info;
	enum sbgw_drop d;

	c->from_guest_packets++;
	c->from_guest_bytes += rte_pktmbuf_pkt_len(m);
	/* Headers must sit in the first segment; the payload may continue. */
	d = sbgw_parse_segmented(frame, rte_pktmbuf_data_len(m), rte_pktmbuf_pkt_len(m),
				 !(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD), &info);
	if (d != SBGW_DROP_NONE) {
		count_drop(w, sb, m, d);
		return;
	}
	if (!bytes_equal(frame + 6, sb->guest_mac.addr_bytes, 6)) {
		count_drop(w, sb, m, SBGW_DROP_SPOOF_MAC);
		return;
	}
	/* Ports that leave the transport checksum to us (virtio offload). */
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE &&
	    !info.fragment)
		sbgw_rewrite_l4_checksum(rte_pktmbuf_mtod(m, uint8_t *), &info);
	switch (info.l3) {
	case SBGW_L3_ARP:
		guest_arp(w, sb, m, &info);
		break;
	case SBGW_L3_IPV4:
		guest_ipv4(w, sb, m, &info, now);
		break;
	default:
		guest_ipv6(w, sb, m, &info, now);
		break;
	}
}

/*
 * Could this frame take the established-flow path? Only the plainest case
 * qualifies (sbgw_fast_ipv4(): one segment, IPv4 without options or
 * fragmentation, TCP without SYN / FIN / RST or UDP, TTL above 1) and
 * only when none of guest_rx_one()'s other branches would take it: the
 * guest's own MAC and address, not DHCP, not a DNS or blocked
 * name-service port, not to the gateway, not the host port. Fills the
 * flow key forward() would look up. No side effects.
 */
static bool guest_fast_candidate(const struct sbgw_sandbox_rt *sb, struct rte_mbuf *m,
				 struct sbgw_flow_key *k)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = frame + RTE_ETHER_HDR_LEN;
	struct sbgw_fast_l4 l4;

	if (!sb->v4 || sb->is_host ||
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE ||
	    !sbgw_fast_ipv4(m, &l4) || !bytes_equal(frame + 6, sb->guest_mac.addr_bytes, 6) ||
	    !bytes_equal(ip + 12, sb->guest4, 4) || bytes_equal(ip + 16, sb->gw4, 4))
		return false;
	switch (l4.dport) {
	case DNS_PORT:
	case DOQ_PORT:
		return false;
	case DHCP_SERVER_PORT:
	case MDNS_PORT:
	case LLMNR_PORT:
	case NETBIOS_NS_PORT:
		if (l4.proto == IPPROTO_UDP)
			return false;
		break;
	default:
		break;
	}
	sbgw_fast_key4(k, sb->index, ip, l4.proto, l4.sport, l4.dport);
	return true;
}

/*
 * A burst from a guest. Frames of established IPv4 TCP / UDP flows take
 * the fast path: the whole burst's flows are looked up at once (the
 * table's bulk lookup pipelines the cache misses of the buckets, keys and
 * entries), and each is rewritten with its flow's precomputed checksum
 * deltas. Every other frame goes through guest_rx_one(). Frames are
 * handled, and transmitted, in the order they arrived.
 */
void sbgw_guest_rx(struct sbgw_worker *w, struct sbgw_sandbox_rt *sb, struct rte_mbuf **pkts,
		   uint16_t n, uint64_t now)
{
	struct sbgw_sandbox_counters *c = &w->sb_counters[sb->index];
	struct sbgw_dataplane *gw = w->gw;
	struct sbgw_flow_key keys[SBGW_BURST];
	const struct sbgw_flow_key *kp[SBGW_BURST];
	struct sbgw_flow *flows[SBGW_BURST];
	int8_t slot[SBGW_BURST];
	uint8_t eth[2 * RTE_ETHER_ADDR_LEN];
	uint64_t fast_bytes = 0, out_bytes = 0;
	unsigned int nk = 0, fast = 0, out = 0;
	uint32_t frame_max = (uint32_t)gw->uplink_mtu + RTE_ETHER_HDR_LEN;

	/* Only when the next hop is known: else guest_rx_one() queues for it. */
	if (n > SBGW_BURST || !sbgw_fast_uplink_eth(gw, 0, eth)) {
		for (uint16_t i = 0; i < n; i++)
			guest_rx_one(w, sb, pkts[i], now);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		slot[i] = -1;
		if (!guest_fast_candidate(sb, pkts[i], &keys[nk]))
			continue;
		/* A run of one flow's frames (a bulk transfer) is looked up once. */
		if (nk > 0 && sbgw_fast_key4_equal(&keys[nk], &keys[nk - 1])) {
			slot[i] = (int8_t)(nk - 1);
			continue;
		}
		kp[nk] = &keys[nk];
		slot[i] = (int8_t)nk++;
	}
	SBGW_PROF_MARK(w, SBGW_PROF_PARSE); /* profile.h */
	if (nk > 0)
		sbgw_flow_lookup_bulk(w->flows, kp, nk, flows);
	SBGW_PROF_MARK(w, SBGW_PROF_LOOKUP); /* profile.h */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sbgw_flow *f = slot[i] >= 0 ? flows[slot[i]] : NULL;
		uint8_t *frame, *ip;
		uint32_t len;

		/* No flow, or one a policy swap revoked (revoke.c answers it): the full path. */
		if (f == NULL || unlikely(f->tcp_state == SBGW_TCP_REVOKED)) {
			SBGW_PROF_MARK(w, SBGW_PROF_REWRITE); /* profile.h */
			guest_rx_one(w, sb, m, now);
			continue;
		}
		frame = rte_pktmbuf_mtod(m, uint8_t *);
		ip = frame + RTE_ETHER_HDR_LEN;
		len = rte_pktmbuf_pkt_len(m);
		fast++;
		fast_bytes += len;
		sbgw_flow_seen(f, now);
		/* Flags that move no state (sbgw_fast_ipv4() let no SYN, FIN or RST through). */
		if (ip[9] == IPPROTO_TCP && f->tcp_state != SBGW_TCP_ESTABLISHED)
			sbgw_flow_track_tcp(f, 0, ip[20 + 13], now);
		sbgw_rewrite_nat4(ip, ip[9], 0, gw->uplink4, f->nat_port, f->csum_ip, f->csum_l4);
		memcpy(frame, eth, sizeof(eth));
		if (likely(len <= frame_max)) {
			out++;
			out_bytes += len;
			rte_eth_tx_buffer(gw->uplink_port, w->uplink_txq, w->uplink_txb, m);
		} else {
			sbgw_uplink_send(w, m);
		}
	}
	c->from_guest_packets += fast;
	c->from_guest_bytes += fast_bytes;
	w->uplink_counters.tx_packets += out;
	w->uplink_counters.tx_bytes += out_bytes;
	SBGW_PROF_MARK(w, SBGW_PROF_REWRITE); /* profile.h */
}
