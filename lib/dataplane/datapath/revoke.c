/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Revoking flows after a policy swap: each worker re-judges its own flows
 * against the sandboxes' new policies, a bounded slice per loop, and ends
 * the ones the new policy denies; flows it still allows keep going.
 *
 * UDP and ICMP flows are simply deleted: their next packet is judged as a
 * new flow (and refused), replies find no flow. A TCP connection must be
 * told: the gateway tracks no sequence numbers, so it marks the flow
 * revoked and answers each segment of it, in either direction, with two
 * resets built from that segment's own numbers: one back to the sender
 * (seq = the segment's ACK, exactly what the sender expects) and the
 * segment itself cut to a RST for the receiver (seq = the segment's seq,
 * the receiver's next expected byte when nothing is in flight). An idle
 * connection is made to speak: both ends get two bare ACKs whose sequence
 * numbers are 2^31 apart, so at least one lies outside any window and the
 * end answers it with an ACK carrying its exact numbers (RFC 793 3.9,
 * RFC 5961), which then resets both ends as above.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_tcp.h>

#include "runtime.h"
#include "rewrite.h"

/* Entries looked at per loop: a million-flow table is swept in well under a second. */
#define SWEEP_BUDGET 2048u
#define PROBE_TTL 64
#define ETH_LEN 14

/* The flow's egress judgement under its sandbox's current policy and the floor. */
static bool flow_allowed(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
                         const struct sbgw_flow *f, uint64_t now, int32_t *rule)
{
	const struct sbgw_policy_rt *policy = sbgw_sandbox_policy(sb);
	const struct sbgw_flow_key *k = &f->guest_key;
	const struct sbgw_domain_hits *h = NULL;
	struct sbgw_domain_hits hits;
	struct sbgw_policy_packet pkt;
	struct sbgw_verdict v;

	memset(&pkt, 0, sizeof(pkt));
	pkt.addr.family = k->family;
	if (k->family == AF_INET) {
		uint32_t a;

		memcpy(&a, k->dst, 4);
		pkt.addr.v4 = rte_be_to_cpu_32(a);
	} else {
		memcpy(pkt.addr.v6, k->dst, 16);
	}
	pkt.ip_proto = k->proto;
	pkt.port = (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) ? k->dst_port : 0;
	sbgw_addr_normalise(&pkt.addr);
	if (w->gw->pins != NULL && sbgw_policy_has_domain_rules(policy->compiled) &&
	    sbgw_pins_lookup(w->gw->pins, sb->index, &pkt.addr, now, &hits)) {
		pkt.domain_bits = hits.bits;
		h = &hits;
	}
	v = sbgw_policy_evaluate(policy->compiled, SBGW_EGRESS, &pkt, &sb->cfg->host, h);
	*rule = v.rule;
	if (v.action != SBGW_ACTION_ALLOW)
		return false;
	if (w->gw->floor == NULL)
		return true;
	v = sbgw_policy_evaluate(w->gw->floor, SBGW_EGRESS, &pkt, &sb->cfg->host, NULL);
	return v.action == SBGW_ACTION_ALLOW;
}

/*
 * A bare ACK from one end of f to the other: toward the guest from the
 * remote's address, or toward the remote from the uplink's (NAT) side.
 */
static void probe(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
                  const struct sbgw_flow *f, bool to_guest, uint32_t seq, uint64_t now)
{
	const struct sbgw_flow_key *k = to_guest ? &f->guest_key : &f->uplink_key;
	bool v4 = k->family == AF_INET;
	unsigned int ip_len = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->gw->pool);
	struct rte_tcp_hdr *tcp;
	uint8_t *frame, *ip;
	/*
	 * Both keys name the probe's receiver as src: the guest key is
	 * (guest → remote), the uplink key (remote → NAT address and port).
	 */
	const uint8_t *from = k->dst, *to = k->src;
	uint16_t sport = k->dst_port, dport = k->src_port;

	if (m == NULL) {
		w->sb_counters[sb->index].drops[SBGW_DROP_ALLOC]++;
		return;
	}
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	memset(frame, 0, ETH_LEN + ip_len + sizeof(*tcp));
	memcpy(frame, sb->guest_mac.addr_bytes, 6); /* toward the remote: set by uplink_tx */
	memcpy(frame + 6, sb->gw_mac.addr_bytes, 6);
	frame[12] = v4 ? 0x08 : 0x86;
	frame[13] = v4 ? 0x00 : 0xdd;
	ip = frame + ETH_LEN;
	tcp = (struct rte_tcp_hdr *)(ip + ip_len);
	tcp->src_port = rte_cpu_to_be_16(sport);
	tcp->dst_port = rte_cpu_to_be_16(dport);
	tcp->sent_seq = rte_cpu_to_be_32(seq);
	tcp->recv_ack = rte_cpu_to_be_32(seq);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = RTE_TCP_ACK_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(1024);
	if (v4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16((uint16_t)(ip_len + sizeof(*tcp)));
		h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		h->time_to_live = PROBE_TTL;
		h->next_proto_id = IPPROTO_TCP;
		memcpy(&h->src_addr, from, 4);
		memcpy(&h->dst_addr, to, 4);
		h->hdr_checksum = rte_ipv4_cksum(h);
		tcp->cksum = rte_ipv4_udptcp_cksum(h, tcp);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16(sizeof(*tcp));
		h->proto = IPPROTO_TCP;
		h->hop_limits = PROBE_TTL;
		memcpy(h->src_addr, from, 16);
		memcpy(h->dst_addr, to, 16);
		tcp->cksum = rte_ipv6_udptcp_cksum(h, tcp);
	}
	rte_pktmbuf_data_len(m) = (uint16_t)(ETH_LEN + ip_len + sizeof(*tcp));
	rte_pktmbuf_pkt_len(m) = rte_pktmbuf_data_len(m);
	if (to_guest)
		sbgw_guest_tx(w, sb, m);
	else
		sbgw_uplink_tx(w, m, v4 ? 0 : 1, now);
}

static void revoke(struct sbgw_worker *w, struct sbgw_flow_table *t, struct sbgw_flow *f,
                   const struct sbgw_sandbox_rt *sb, uint64_t now)
{
	uint32_t seq;

	w->sb_counters[sb->index].flows_revoked++;
	if (f->guest_key.proto != IPPROTO_TCP || f->tcp_state == SBGW_TCP_CLOSING ||
	    f->tcp_state == SBGW_TCP_CLOSED) {
		sbgw_flow_delete(t, f);
		return;
	}
	/* Kept (closed timeout) so that every late segment still meets a reset. */
	f->tcp_state = SBGW_TCP_REVOKED;
	f->last_seen = now;
	if (sb->port_id == SBGW_NO_PORT)
		return;
	seq = (uint32_t)rte_rand();
	for (unsigned int i = 0; i < 2; i++) {
		probe(w, sb, f, true, seq + i * 0x80000000u, now);
		probe(w, sb, f, false, seq + i * 0x80000000u, now);
	}
}

struct sweep {
	struct sbgw_worker *w;
	uint64_t now;
};

static void visit(struct sbgw_flow_table *t, struct sbgw_flow *f, void *arg)
{
	struct sweep *s = arg;
	struct sbgw_dataplane *gw = s->w->gw;
	const struct sbgw_sandbox_rt *sb;
	bool allowed;
	int32_t rule;

	if (f->sandbox >= gw->n_attached || f->tcp_state == SBGW_TCP_REVOKED)
		return;
	sb = &gw->sandboxes[f->sandbox];
	/* Only sandboxes whose policy changed since this worker's last full sweep. */
	if (sb->is_host ||
	    (int32_t)(__atomic_load_n(&sb->changed_gen, __ATOMIC_ACQUIRE) - s->w->swept_gen) <= 0)
		return;
	allowed = flow_allowed(s->w, sb, f, s->now, &rule);
	f->rule = rule; /* the new policy's rule numbers: what allowed it, or what revoked it */
	if (!allowed)
		revoke(s->w, t, f, sb, s->now);
}

void sbgw_revalidate(struct sbgw_worker *w, uint64_t now)
{
	uint32_t gen = __atomic_load_n(&w->gw->policy_gen, __ATOMIC_ACQUIRE);
	struct sweep s = {.w = w, .now = now};
	uint32_t n;

	if (gen != w->policy_gen) {
		/* A new swap restarts the sweep; what changed before it is still due. */
		w->policy_gen = gen;
		w->sweep_left = sbgw_flow_capacity(w->flows);
	}
	if (w->sweep_left == 0)
		return;
	n = sbgw_flow_walk(w->flows, &w->sweep_cursor, RTE_MIN(w->sweep_left, SWEEP_BUDGET), visit,
	                   &s);
	w->sweep_left -= n;
	if (w->sweep_left == 0)
		w->swept_gen = w->policy_gen;
}

/* Cut the segment to its TCP header with RST set, seq and ACK kept; checksums redone. */
static bool cut_to_reset(struct rte_mbuf *m, const struct sbgw_pkt_info *info)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(frame + info->l4_off);
	uint32_t len = info->l4_off + sizeof(*tcp);

	if (m->nb_segs > 1 || rte_pktmbuf_data_len(m) < len)
		return false;
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = RTE_TCP_RST_FLAG | (info->tcp_flags & RTE_TCP_ACK_FLAG);
	tcp->rx_win = 0;
	tcp->tcp_urp = 0;
	tcp->cksum = 0;
	if (info->l3 == SBGW_L3_IPV4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)(frame + info->l3_off);

		h->total_length = rte_cpu_to_be_16((uint16_t)(len - info->l3_off));
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
		tcp->cksum = rte_ipv4_udptcp_cksum(h, tcp);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)(frame + info->l3_off);

		if (info->l4_off != info->l3_off + sizeof(*h))
			return false; /* extension headers: the parser refuses them anyway */
		h->payload_len = rte_cpu_to_be_16(sizeof(*tcp));
		tcp->cksum = rte_ipv6_udptcp_cksum(h, tcp);
	}
	rte_pktmbuf_data_len(m) = (uint16_t)len;
	rte_pktmbuf_pkt_len(m) = len;
	return true;
}

bool sbgw_revoked_segment(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
                          struct rte_mbuf *m, const struct sbgw_pkt_info *info, unsigned int dir,
                          uint64_t now)
{
	struct sbgw_sandbox_counters *c = &w->sb_counters[sb->index];
	struct rte_mbuf *back;

	c->drops[SBGW_DROP_REVOKED]++;
	/* A reset needs no answer (and must never get one). */
	if (info->proto != IPPROTO_TCP || (info->tcp_flags & RTE_TCP_RST_FLAG)) {
		rte_pktmbuf_free(m);
		return false;
	}
	back = rte_pktmbuf_copy(m, w->gw->pool, 0, info->l4_off + sizeof(struct rte_tcp_hdr));
	if (back != NULL) {
		uint32_t len = sbgw_rewrite_tcp_reset(rte_pktmbuf_mtod(back, uint8_t *), info);

		rte_pktmbuf_data_len(back) = (uint16_t)len;
		rte_pktmbuf_pkt_len(back) = len;
		if (dir == 0)
			sbgw_guest_tx(w, sb, back);
		else
			sbgw_uplink_tx(w, back, info->l3 == SBGW_L3_IPV4 ? 0 : 1, now);
	} else {
		c->drops[SBGW_DROP_ALLOC]++;
	}
	if (!cut_to_reset(m, info)) {
		rte_pktmbuf_free(m);
		return false;
	}
	return true;
}
