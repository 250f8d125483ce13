/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Published ports on the fast path: the guest leg of the publish
 * service's relay crosses the host link. A frame from the host kernel is
 * let into a guest only when the publish service registered its source
 * port for exactly that guest and guest port; its source becomes the
 * sandbox's gateway address (semantics §6: the guest sees the gateway as
 * the client). The guest's replies to the gateway address from that guest
 * port go back to the host link. No flow state: the owner table is it.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "runtime.h"
#include "rewrite.h"

/* Send m to sandbox t's port: directly when this worker owns it, else through the owner's ring. */
static void deliver(struct sbgw_worker *w, const struct sbgw_sandbox_rt *from,
		    const struct sbgw_sandbox_rt *t, struct rte_mbuf *m)
{
	struct rte_ring *r;

	if (t->worker == w->index) {
		sbgw_guest_tx(w, t, m);
		return;
	}
	r = w->gw->workers[t->worker].published_in;
	m->hash.usr = t->index;
	if (r == NULL || rte_ring_enqueue(r, m) != 0) {
		w->sb_counters[from->index].drops[SBGW_DROP_HANDOFF_FULL]++;
		rte_pktmbuf_free(m);
	}
}

static bool is_syn(const struct sbgw_pkt_info *info)
{
	return info->proto == IPPROTO_TCP && (info->tcp_flags & RTE_TCP_SYN_FLAG);
}

static void set_macs(struct rte_mbuf *m, const struct rte_ether_addr *dst,
		     const struct rte_ether_addr *src)
{
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);

	memcpy(eth, dst->addr_bytes, 6);
	memcpy(eth + 6, src->addr_bytes, 6);
}

bool sbgw_published_from_host(struct sbgw_worker *w, const struct sbgw_sandbox_rt *host,
			      struct rte_mbuf *m, const struct sbgw_pkt_info *info, const uint8_t *ip)
{
	const struct sbgw_dataplane *gw = w->gw;
	const struct sbgw_sandbox_rt *t;
	uint64_t owner, idx;

	if (gw->published == NULL ||
	    (info->proto != IPPROTO_TCP && info->proto != IPPROTO_UDP))
		return false;
	/* The entry names the sandbox; the frame must match it exactly. */
	owner = sbgw_publish_owner(gw->published, info->proto, info->sport);
	idx = ((owner & ~SBGW_PUBLISH_CLOSING) >> 16) - 1;
	if (owner == 0 || idx >= gw->n_sandboxes ||
	    !sbgw_publish_owner_admits(owner, (uint32_t)idx, info->dport, is_syn(info)))
		return false;
	t = &gw->sandboxes[idx];
	if (!t->v4 || t->port_id == SBGW_NO_PORT || memcmp(ip + 16, t->guest4, 4) != 0)
		return false;
	if (!sbgw_rewrite_ttl(rte_pktmbuf_mtod(m, uint8_t *), info)) {
		w->sb_counters[host->index].drops[SBGW_DROP_TTL]++;
		rte_pktmbuf_free(m);
		return true;
	}
	sbgw_rewrite_endpoint(rte_pktmbuf_mtod(m, uint8_t *), info, 0, t->gw4, info->sport);
	set_macs(m, &t->guest_mac, &t->gw_mac);
	deliver(w, host, t, m);
	return true;
}

bool sbgw_published_from_guest(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			       struct rte_mbuf *m, const struct sbgw_pkt_info *info)
{
	const struct sbgw_dataplane *gw = w->gw;
	const struct sbgw_sandbox_rt *host;

	if (gw->published == NULL || gw->n_attached == gw->n_sandboxes ||
	    (info->proto != IPPROTO_TCP && info->proto != IPPROTO_UDP) ||
	    !sbgw_publish_owner_admits(sbgw_publish_owner(gw->published, info->proto, info->dport),
				       sb->index, info->sport, is_syn(info)))
		return false;
	/*
	 * The relay always opens the connection: a guest's SYN towards the
	 * host is no reply (it would reach whatever listens on the host).
	 */
	if (info->proto == IPPROTO_TCP &&
	    (info->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG)
		return false;
	host = &gw->sandboxes[gw->n_sandboxes];
	if (!sbgw_rewrite_ttl(rte_pktmbuf_mtod(m, uint8_t *), info)) {
		w->sb_counters[sb->index].drops[SBGW_DROP_TTL]++;
		rte_pktmbuf_free(m);
		return true;
	}
	sbgw_rewrite_endpoint(rte_pktmbuf_mtod(m, uint8_t *), info, 1, host->guest4, info->dport);
	set_macs(m, &host->guest_mac, &host->gw_mac);
	deliver(w, sb, host, m);
	return true;
}
