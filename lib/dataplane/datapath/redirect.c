/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PROXY verdict: guest TCP that the slow-path relay terminates (DNS
 * over TCP, the gateway's host services) is DNATed into the host port, to
 * the relay's socket on the host kernel's link address, after its
 * original destination is recorded in the redirect table; the kernel's
 * segments back to the guest get that original destination as their
 * source again. Both directions are stateless rewrites but for the table.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_tcp.h>

#include "runtime.h"
#include "rewrite.h"

static const struct sbgw_sandbox_rt *host_of(const struct sbgw_dataplane *gw)
{
	return gw->n_attached > gw->n_sandboxes ? &gw->sandboxes[gw->n_sandboxes] : NULL;
}

/* Send a frame to a port another worker may own (through its ring). */
static void to_port(struct sbgw_worker *w, const struct sbgw_sandbox_rt *to, struct rte_mbuf *m,
		    struct sbgw_sandbox_counters *c)
{
	if (to->worker == w->index) {
		sbgw_guest_tx(w, to, m);
		return;
	}
	m->hash.usr = to->index; /* the owner sends it to this sandbox's port */
	if (rte_ring_enqueue(w->gw->workers[to->worker].dns_out, m) != 0) {
		c->drops[SBGW_DROP_HANDOFF_FULL]++;
		rte_pktmbuf_free(m);
	}
}

bool sbgw_relay_over_cap(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb, uint8_t family,
			 const uint8_t *guest, uint16_t guest_port, uint64_t now)
{
	struct sbgw_dataplane *gw = w->gw;
	uint32_t max = __atomic_load_n(&gw->max_connections[sb->index], __ATOMIC_RELAXED);
	uint32_t used = sbgw_redirect_in_use(gw->redirect, sb->index);
	struct sbgw_redirect_entry e;

	if ((uint64_t)used + sbgw_flow_connections(w->flows, sb->index) < max)
		return false;
	return guest == NULL ||
	       !sbgw_redirect_lookup(gw->redirect, family, guest, guest_port, now, &e, NULL);
}

enum sbgw_drop sbgw_redirect_guest(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
				   struct rte_mbuf *m, const struct sbgw_pkt_info *info,
				   uint8_t kind, int32_t rule, uint64_t now)
{
	struct sbgw_dataplane *gw = w->gw;
	const struct sbgw_sandbox_rt *host = host_of(gw);
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *ip = frame + info->l3_off;
	bool v4 = info->l3 == SBGW_L3_IPV4;
	enum sbgw_drop unavailable =
		kind == SBGW_REDIRECT_DNS ? SBGW_DROP_DNS_UNAVAILABLE : SBGW_DROP_HOST_SERVICE;

	if (gw->redirect == NULL || host == NULL || (v4 ? !host->v4 : !host->v6))
		return unavailable;
	/* A new connection: remember where it was going (retransmitted SYNs refresh it). */
	if ((info->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) {
		struct sbgw_redirect_entry e;

		/*
		 * Relayed connections count against the sandbox's max_connections
		 * with its NAT flows (semantics §2.12, DNS over TCP included); a
		 * retransmitted SYN of one already counted passes.
		 */
		if (sbgw_relay_over_cap(w, sb, v4 ? AF_INET : AF_INET6, v4 ? ip + 12 : ip + 8,
					info->sport, now))
			return SBGW_DROP_MAX_CONNECTIONS;

		memset(&e, 0, sizeof(e));
		e.family = v4 ? AF_INET : AF_INET6;
		e.kind = kind;
		e.guest_port = info->sport;
		e.dst_port = info->dport;
		e.sandbox = sb->index;
		e.rule = rule;
		memcpy(e.guest, v4 ? ip + 12 : ip + 8, v4 ? 4 : 16);
		memcpy(e.dst, v4 ? ip + 16 : ip + 24, v4 ? 4 : 16);
		if (sbgw_redirect_add(gw->redirect, &e, now, gw->tsc_hz * SBGW_RELAY_SYN_TTL_S) < 0)
			return SBGW_DROP_RELAY_FULL;
	}
	/* Later segments need no lookup: the kernel resets what the relay does not know. */
	sbgw_rewrite_endpoint(frame, info, 1, v4 ? host->guest4 : host->guest6, SBGW_RELAY_PORT);
	memcpy(frame, host->guest_mac.addr_bytes, 6);
	memcpy(frame + 6, host->gw_mac.addr_bytes, 6);
	to_port(w, host, m, &w->sb_counters[sb->index]);
	return SBGW_DROP_NONE;
}

bool sbgw_redirect_reply(struct sbgw_worker *w, const struct sbgw_sandbox_rt *host,
			 struct rte_mbuf *m, const struct sbgw_pkt_info *info, uint64_t now)
{
	struct sbgw_dataplane *gw = w->gw;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *ip = frame + info->l3_off;
	bool v4 = info->l3 == SBGW_L3_IPV4;
	const uint8_t *src = v4 ? ip + 12 : ip + 8, *dst = v4 ? ip + 16 : ip + 24;
	const struct sbgw_sandbox_rt *sb;
	struct sbgw_redirect_entry e;

	if (gw->redirect == NULL || info->proto != IPPROTO_TCP || info->sport != SBGW_RELAY_PORT ||
	    memcmp(src, v4 ? host->guest4 : host->guest6, v4 ? 4 : 16) != 0)
		return false;
	if (!sbgw_redirect_lookup(gw->redirect, v4 ? AF_INET : AF_INET6, dst, info->dport, now, &e,
				  NULL) ||
	    e.sandbox >= gw->n_sandboxes)
		return false;
	sb = &gw->sandboxes[e.sandbox];
	sbgw_rewrite_endpoint(frame, info, 0, e.dst, e.dst_port);
	memcpy(frame, sb->guest_mac.addr_bytes, 6);
	memcpy(frame + 6, sb->gw_mac.addr_bytes, 6);
	to_port(w, sb, m, &w->sb_counters[host->index]);
	return true;
}
