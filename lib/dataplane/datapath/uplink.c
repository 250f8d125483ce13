/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uplink side: frames towards the internet leave through the next hop
 * (resolved with ARP / ND, frames waiting in a bounded queue meanwhile);
 * frames from the internet are answered (ARP / ND for the uplink's own
 * addresses), or matched to their flow, un-NATed and delivered to the
 * sandbox. A reply whose NAT port belongs to another worker is handed to
 * that worker's ring: flows are never shared.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "runtime.h"
#include "link.h"
#include "parse.h"
#include "rewrite.h"
#include "fast.h"

#define NEIGH_VALID SBGW_NEIGH_VALID
#define NEIGH_RETRY_MS 200
#define ICMP_ECHO_REPLY 0
#define ICMP6_ECHO_REPLY 129
#define ICMP6_NS 135
#define ICMP6_NA 136

static inline void count_drop(struct sbgw_worker *w, struct rte_mbuf *m, enum sbgw_drop reason)
{
	w->uplink_counters.drops[reason]++;
	rte_pktmbuf_free(m);
}

static uint64_t mac_pack(const uint8_t mac[6])
{
	uint64_t v = NEIGH_VALID;

	for (int i = 0; i < 6; i++)
		v |= (uint64_t)mac[i] << (8 * i);
	return v;
}

static void mac_unpack(uint64_t v, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(v >> (8 * i));
}

void sbgw_uplink_send(struct sbgw_worker *w, struct rte_mbuf *m)
{
	w->uplink_counters.tx_packets++;
	w->uplink_counters.tx_bytes += rte_pktmbuf_pkt_len(m);
	sbgw_tx(w, w->gw->uplink_port, w->uplink_txq, w->uplink_txb, m, w->gw->uplink_mtu,
		w->uplink_counters.drops);
}

/* Ask for the next hop, at most every NEIGH_RETRY_MS per family. */
static void solicit(struct sbgw_worker *w, unsigned int family, uint64_t now)
{
	struct sbgw_dataplane *gw = w->gw;
	struct sbgw_neigh *n = &gw->neigh[family];
	uint64_t last = __atomic_load_n(&n->last_request_tsc, __ATOMIC_RELAXED);
	struct rte_mbuf *m;
	uint32_t len;

	if (last != 0 && now - last < gw->tsc_hz / 1000 * NEIGH_RETRY_MS)
		return;
	if (!__atomic_compare_exchange_n(&n->last_request_tsc, &last, now, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return; /* another worker asked just now */
	m = rte_pktmbuf_alloc(gw->pool);
	if (m == NULL) {
		w->uplink_counters.drops[SBGW_DROP_ALLOC]++;
		return;
	}
	if (family == 0)
		len = sbgw_link_arp_request(rte_pktmbuf_mtod(m, uint8_t *),
					    gw->uplink_mac.addr_bytes, gw->uplink4, gw->next_hop4);
	else
		len = sbgw_link_nd_solicit(rte_pktmbuf_mtod(m, uint8_t *),
					   gw->uplink_mac.addr_bytes, gw->uplink6, gw->next_hop6);
	rte_pktmbuf_data_len(m) = (uint16_t)len;
	rte_pktmbuf_pkt_len(m) = len;
	sbgw_uplink_send(w, m);
}

void sbgw_uplink_tx(struct sbgw_worker *w, struct rte_mbuf *m, unsigned int family, uint64_t now)
{
	struct sbgw_dataplane *gw = w->gw;
	uint64_t mac = __atomic_load_n(&gw->neigh[family].mac, __ATOMIC_ACQUIRE);
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);

	if (mac & NEIGH_VALID) {
		mac_unpack(mac, eth);
		memcpy(eth + 6, gw->uplink_mac.addr_bytes, 6);
		sbgw_uplink_send(w, m);
		return;
	}
	if (w->n_pending[family] == SBGW_NEIGH_PENDING_MAX) {
		count_drop(w, m, SBGW_DROP_NEIGH_PENDING);
	} else {
		w->pending[family][w->n_pending[family]++] = m;
	}
	solicit(w, family, now);
}

void sbgw_neigh_flush(struct sbgw_worker *w, uint64_t now)
{
	for (unsigned int family = 0; family < 2; family++) {
		unsigned int n = w->n_pending[family];

		if (n == 0)
			continue;
		if (!(__atomic_load_n(&w->gw->neigh[family].mac, __ATOMIC_ACQUIRE) & NEIGH_VALID)) {
			solicit(w, family, now);
			continue;
		}
		w->n_pending[family] = 0;
		for (unsigned int i = 0; i < n; i++)
			sbgw_uplink_tx(w, w->pending[family][i], family, now);
	}
}

static void learn(struct sbgw_dataplane *gw, unsigned int family, const uint8_t mac[6])
{
	__atomic_store_n(&gw->neigh[family].mac, mac_pack(mac), __ATOMIC_RELEASE);
}

void sbgw_neigh_preset(struct sbgw_dataplane *gw, unsigned int family, const uint8_t mac[6])
{
	learn(gw, family, mac);
}

static void uplink_arp(struct sbgw_worker *w, struct rte_mbuf *m, const struct sbgw_pkt_info *info)
{
	struct sbgw_dataplane *gw = w->gw;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t mac[6];
	uint32_t len;

	if (sbgw_link_arp_learn(frame, info, gw->next_hop4, mac))
		learn(gw, 0, mac);
	len = sbgw_link_arp_reply(frame, rte_pktmbuf_data_len(m), info, gw->uplink_mac.addr_bytes,
				  gw->uplink4);
	if (len == 0) {
		count_drop(w, m, SBGW_DROP_LINK_IGNORED);
		return;
	}
	rte_pktmbuf_data_len(m) = (uint16_t)len;
	rte_pktmbuf_pkt_len(m) = len;
	sbgw_uplink_send(w, m);
}

static bool uplink_nd(struct sbgw_worker *w, struct rte_mbuf *m, const struct sbgw_pkt_info *info)
{
	struct sbgw_dataplane *gw = w->gw;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t mac[6];
	uint32_t len;

	if (info->icmp_type == ICMP6_NA) {
		if (sbgw_link_nd_learn(frame, info, gw->next_hop6, mac))
			learn(gw, 1, mac);
		count_drop(w, m, SBGW_DROP_LINK_IGNORED);
		return true;
	}
	if (info->icmp_type != ICMP6_NS)
		return false;
	len = sbgw_link_nd_reply(frame, rte_pktmbuf_data_len(m), info, gw->uplink_mac.addr_bytes,
				 (const uint8_t(*)[16])gw->uplink6, 1, false);
	if (len == 0) {
		count_drop(w, m, SBGW_DROP_LINK_IGNORED);
		return true;
	}
	rte_pktmbuf_data_len(m) = (uint16_t)len;
	rte_pktmbuf_pkt_len(m) = len;
	sbgw_uplink_send(w, m);
	return true;
}

static void uplink_key(const uint8_t *frame, const struct sbgw_pkt_info *info,
		       struct sbgw_flow_key *k)
{
	bool icmp = info->proto == IPPROTO_ICMP || info->proto == IPPROTO_ICMPV6;

	sbgw_frame_flow_key(k, SBGW_FLOW_ZONE_UPLINK, frame, info, icmp ? 0 : info->sport,
			    info->dport);
}

static void to_sandbox(struct sbgw_worker *w, struct rte_mbuf *m, struct sbgw_pkt_info *info,
		       uint64_t now, bool handed_off)
{
	struct sbgw_dataplane *gw = w->gw;
	enum sbgw_drop reason;
	uint8_t *frame;
	struct sbgw_sandbox_counters *c;
	const struct sbgw_sandbox_rt *sb;
	struct sbgw_flow_key k;
	struct sbgw_flow *f;
	unsigned int owner;

	SBGW_PROF_MARK(w, SBGW_PROF_PARSE); /* profile.h */
	if (sbgw_icmp_is_error(info)) {
		sbgw_icmp_error_to_guest(w, m, info, handed_off);
		return;
	}
	switch (info->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		break;
	case IPPROTO_ICMP:
		if (info->icmp_type == ICMP_ECHO_REPLY)
			break;
		count_drop(w, m, SBGW_DROP_UNSUPPORTED_PROTO);
		return;
	case IPPROTO_ICMPV6:
		if (info->icmp_type == ICMP6_ECHO_REPLY)
			break;
		if (uplink_nd(w, m, info))
			return;
		count_drop(w, m, SBGW_DROP_UNSUPPORTED_PROTO);
		return;
	default:
		count_drop(w, m, SBGW_DROP_UNSUPPORTED_PROTO);
		return;
	}
	if (info->fragment) {
		m = sbgw_frag_reassemble(&w->frag, m, info, now, &reason);
		if (m == NULL) {
			if (reason != SBGW_DROP_NONE)
				w->uplink_counters.drops[reason]++;
			return;
		}
	}
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	owner = sbgw_flow_port_owner(w->flows, info->dport);
	if (owner != w->index && !handed_off) {
		if (rte_ring_enqueue(gw->workers[owner].handoff, m) != 0)
			count_drop(w, m, SBGW_DROP_HANDOFF_FULL);
		else
			w->handed_off++;
		return;
	}
	uplink_key(frame, info, &k);
	f = sbgw_flow_lookup(w->flows, &k);
	SBGW_PROF_MARK(w, SBGW_PROF_LOOKUP); /* profile.h */
	if (f == NULL) {
		count_drop(w, m, SBGW_DROP_NO_FLOW); /* unsolicited inbound */
		return;
	}
	sb = &gw->sandboxes[f->sandbox];
	f->last_seen = now;
	f->packets[1]++;
	f->bytes[1] += rte_pktmbuf_pkt_len(m);
	/* A policy swapped in since denies this connection (revoke.c). */
	if (unlikely(f->tcp_state == SBGW_TCP_REVOKED)) {
		if (!sbgw_revoked_segment(w, sb, m, info, 1, now))
			return;
	} else if (info->proto == IPPROTO_TCP) {
		sbgw_flow_track_tcp(f, 1, info->tcp_flags, now);
	}
	if (!sbgw_rewrite_ttl(frame, info)) {
		count_drop(w, m, SBGW_DROP_TTL);
		return;
	}
	sbgw_rewrite_endpoint(frame, info, 1, f->guest_key.src, f->guest_key.src_port);
	memcpy(frame, sb->guest_mac.addr_bytes, 6);
	memcpy(frame + 6, sb->gw_mac.addr_bytes, 6);
	SBGW_PROF_MARK(w, SBGW_PROF_REWRITE); /* profile.h */
	c = &w->sb_counters[sb->index];
	c->to_guest_packets++;
	c->to_guest_bytes += rte_pktmbuf_pkt_len(m);
	sbgw_tx(w, sb->port_id, 0, w->guest_txb[sb->index], m, sb->cfg->link.mtu, c->drops);
	SBGW_PROF_MARK(w, SBGW_PROF_TX); /* profile.h */
}

/* One frame the slow way: every check, every kind of frame. */
static void uplink_rx_one(struct sbgw_worker *w, struct rte_mbuf *m, uint64_t now, bool handed_off)
{
	struct sbgw_dataplane *gw = w->gw;
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct sbgw_pkt_info info;
	enum sbgw_drop d;
	const uint8_t *ip;

	if (!handed_off) {
		w->uplink_counters.rx_packets++;
		w->uplink_counters.rx_bytes += rte_pktmbuf_pkt_len(m);
	}
	/* A reassembled datagram handed over by another worker spans segments. */
	d = sbgw_parse_segmented(frame, rte_pktmbuf_data_len(m), rte_pktmbuf_pkt_len(m),
				 !(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD), &info);
	if (d != SBGW_DROP_NONE) {
		count_drop(w, m, d);
		return;
	}
	if (info.l3 == SBGW_L3_ARP) {
		uplink_arp(w, m, &info);
		return;
	}
	ip = frame + info.l3_off;
	if (info.l3 == SBGW_L3_IPV4 ? memcmp(ip + 16, gw->uplink4, 4) != 0
				    : (!gw->uplink_v6 ||
				       (memcmp(ip + 24, gw->uplink6, 16) != 0 && ip[24] != 0xff))) {
		count_drop(w, m, SBGW_DROP_NO_ROUTE);
		return;
	}
	to_sandbox(w, m, &info, now, handed_off);
}

/*
 * Could this frame take the established-flow path? The plainest shape
 * (sbgw_fast_ipv4()), to the uplink's IPv4 address, for a NAT port this
 * worker owns (or handed over to it). Fills the flow key to_sandbox()
 * would look up. No side effects.
 */
static bool uplink_fast_candidate(struct sbgw_worker *w, struct rte_mbuf *m, bool handed_off,
				  struct sbgw_flow_key *k)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	struct sbgw_fast_l4 l4;

	if (!sbgw_fast_ipv4(m, &l4) || memcmp(ip + 16, w->gw->uplink4, 4) != 0)
		return false;
	if (!handed_off && sbgw_flow_port_owner(w->flows, l4.dport) != w->index)
		return false;
	sbgw_fast_key4(k, SBGW_FLOW_ZONE_UPLINK, ip, l4.proto, l4.sport, l4.dport);
	return true;
}

/*
 * A burst from the uplink (or handed over by another worker). Replies of
 * established IPv4 TCP / UDP flows take the fast path (one bulk lookup for
 * the burst, the flow's precomputed checksum deltas); every other frame
 * goes through uplink_rx_one(). Frames are handled in arrival order.
 */
void sbgw_uplink_rx(struct sbgw_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
		    bool handed_off)
{
	struct sbgw_dataplane *gw = w->gw;
	struct sbgw_flow_key keys[SBGW_BURST];
	const struct sbgw_flow_key *kp[SBGW_BURST];
	struct sbgw_flow *flows[SBGW_BURST];
	int8_t slot[SBGW_BURST];
	uint64_t in_bytes = 0;
	unsigned int nk = 0, in = 0;

	if (n > SBGW_BURST) {
		for (uint16_t i = 0; i < n; i++)
			uplink_rx_one(w, pkts[i], now, handed_off);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		slot[i] = -1;
		if (!uplink_fast_candidate(w, pkts[i], handed_off, &keys[nk]))
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
		const struct sbgw_sandbox_rt *sb;
		struct sbgw_sandbox_counters *c;
		uint8_t *frame, *ip;
		uint32_t len;

		/* No flow, or one a policy swap revoked (revoke.c answers it): the full path. */
		if (f == NULL || unlikely(f->tcp_state == SBGW_TCP_REVOKED)) {
			SBGW_PROF_MARK(w, SBGW_PROF_REWRITE); /* profile.h */
			uplink_rx_one(w, m, now, handed_off);
			continue;
		}
		frame = rte_pktmbuf_mtod(m, uint8_t *);
		ip = frame + RTE_ETHER_HDR_LEN;
		len = rte_pktmbuf_pkt_len(m);
		in++;
		in_bytes += len;
		sb = &gw->sandboxes[f->sandbox];
		sbgw_flow_seen(f, now);
		/* Flags that move no state (sbgw_fast_ipv4() let no SYN, FIN or RST through). */
		if (ip[9] == IPPROTO_TCP && f->tcp_state != SBGW_TCP_ESTABLISHED)
			sbgw_flow_track_tcp(f, 1, ip[20 + 13], now);
		sbgw_rewrite_nat4(ip, ip[9], 1, f->guest_key.src, f->guest_key.src_port,
				  (uint16_t)~f->csum_ip, (uint16_t)~f->csum_l4);
		memcpy(frame, sb->guest_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
		memcpy(frame + RTE_ETHER_ADDR_LEN, sb->gw_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
		c = &w->sb_counters[sb->index];
		c->to_guest_packets++;
		c->to_guest_bytes += len;
		if (likely(len <= (uint32_t)sb->cfg->link.mtu + RTE_ETHER_HDR_LEN))
			rte_eth_tx_buffer(sb->port_id, 0, w->guest_txb[sb->index], m);
		else
			sbgw_tx(w, sb->port_id, 0, w->guest_txb[sb->index], m, sb->cfg->link.mtu,
				c->drops);
	}
	if (!handed_off) {
		w->uplink_counters.rx_packets += in;
		w->uplink_counters.rx_bytes += in_bytes;
	}
	SBGW_PROF_MARK(w, SBGW_PROF_REWRITE); /* profile.h */
}
