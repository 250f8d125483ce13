/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors from the uplink (destination unreachable, time exceeded,
 * fragmentation needed / packet too big) about a packet a guest sent:
 * the quoted packet is the NATed one, so its flow is found from the
 * quote turned around, and the error goes to that guest with both the
 * outer destination and the quoted source un-NATed (addresses, ports or
 * echo identifier, and every checksum that covers them). Errors about
 * nothing we sent are dropped (no_flow).
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "runtime.h"
#include "rewrite.h"

#define ICMP_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define ICMP_ECHO_REQUEST 8
#define ICMP6_UNREACH 1
#define ICMP6_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_ECHO_REQUEST 128
#define ICMP_HDR 8
#define QUOTED_L4 8 /* what every ICMP error quotes of the transport header */

bool sbgw_icmp_is_error(const struct sbgw_pkt_info *info)
{
	if (info->proto == IPPROTO_ICMP)
		return info->icmp_type == ICMP_UNREACH || info->icmp_type == ICMP_TIME_EXCEEDED;
	if (info->proto == IPPROTO_ICMPV6)
		return info->icmp_type == ICMP6_UNREACH || info->icmp_type == ICMP6_TOO_BIG ||
		       info->icmp_type == ICMP6_TIME_EXCEEDED;
	return false;
}

/* The quoted packet: where its headers are, what it was. */
struct quote {
	uint8_t *ip;
	uint8_t *l4;
	uint32_t l4_avail; /* quoted transport bytes present */
	uint8_t family, proto;
	uint16_t sport, dport; /* host order; echo: the identifier in sport */
};

static bool read_quote(uint8_t *frame, uint32_t seg, const struct sbgw_pkt_info *info,
		       struct quote *q)
{
	uint32_t off = info->l4_off + ICMP_HDR, ihl;

	memset(q, 0, sizeof(*q));
	q->ip = frame + off;
	if (info->proto == IPPROTO_ICMP) {
		if (seg < off + sizeof(struct rte_ipv4_hdr) || (q->ip[0] >> 4) != 4)
			return false;
		ihl = (uint32_t)(q->ip[0] & 0xf) * 4;
		q->family = AF_INET;
		q->proto = q->ip[9];
		/* Only a first fragment quotes the transport header. */
		if (ihl < 20 || (((uint32_t)q->ip[6] << 8 | q->ip[7]) & 0x1fff) != 0)
			return false;
	} else {
		if (seg < off + sizeof(struct rte_ipv6_hdr) || (q->ip[0] >> 4) != 6)
			return false;
		ihl = sizeof(struct rte_ipv6_hdr);
		q->family = AF_INET6;
		q->proto = q->ip[6]; /* extension headers: not ours (we send none) */
	}
	if (seg < off + ihl + QUOTED_L4)
		return false;
	q->l4 = q->ip + ihl;
	q->l4_avail = seg - (off + ihl);
	switch (q->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		q->sport = (uint16_t)(q->l4[0] << 8 | q->l4[1]);
		q->dport = (uint16_t)(q->l4[2] << 8 | q->l4[3]);
		return true;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (q->l4[0] != (q->proto == IPPROTO_ICMP ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST))
			return false;
		q->sport = (uint16_t)(q->l4[4] << 8 | q->l4[5]);
		return true;
	default:
		return false;
	}
}

/* Un-NAT the quote: source address and port (or identifier) back to the guest's. */
static void unnat_quote(struct quote *q, const uint8_t *guest, uint16_t guest_port)
{
	unsigned int alen = q->family == AF_INET ? 4 : 16;
	uint8_t *src = q->family == AF_INET ? q->ip + 12 : q->ip + 8;
	uint16_t old_port = rte_cpu_to_be_16(q->sport), new_port = rte_cpu_to_be_16(guest_port);
	uint8_t *port = q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP ? q->l4 : q->l4 + 4;
	int csum_off = -1;
	uint16_t csum;

	switch (q->proto) {
	case IPPROTO_TCP:
		csum_off = 16;
		break;
	case IPPROTO_UDP:
		csum_off = (q->l4[6] | q->l4[7]) ? 6 : -1; /* 0: no checksum */
		break;
	default:
		csum_off = 2;
		break;
	}
	/* The quoted transport checksum, when quoted, covers address (not for ICMPv4) and port. */
	if (csum_off >= 0 && q->l4_avail >= (uint32_t)csum_off + 2) {
		memcpy(&csum, q->l4 + csum_off, 2);
		if (q->proto != IPPROTO_ICMP)
			csum = sbgw_csum_replace(csum, src, guest, alen);
		csum = sbgw_csum_replace(csum, &old_port, &new_port, 2);
		memcpy(q->l4 + csum_off, &csum, 2);
	}
	if (q->family == AF_INET) {
		memcpy(&csum, q->ip + 10, 2);
		csum = sbgw_csum_replace(csum, src, guest, 4);
		memcpy(q->ip + 10, &csum, 2);
	}
	memcpy(src, guest, alen);
	memcpy(port, &new_port, 2);
}

/* The outer ICMP checksum, over the whole message (errors are small and contiguous). */
static void outer_checksum(uint8_t *frame, const struct sbgw_pkt_info *info, uint32_t seg)
{
	uint8_t *ip = frame + info->l3_off, *icmp = frame + info->l4_off;
	uint32_t len = info->l4_len;
	uint16_t sum;

	if (info->l4_off + len > seg)
		len = seg - info->l4_off;
	icmp[2] = icmp[3] = 0;
	if (info->proto == IPPROTO_ICMP) {
		sum = (uint16_t)~rte_raw_cksum(icmp, len);
	} else {
		uint32_t s = rte_raw_cksum(ip + 8, 32);
		uint32_t plen = rte_cpu_to_be_32(len), nh = rte_cpu_to_be_32(IPPROTO_ICMPV6);

		s += rte_raw_cksum(&plen, 4) + rte_raw_cksum(&nh, 4) + rte_raw_cksum(icmp, len);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		sum = (uint16_t)~s;
	}
	memcpy(icmp + 2, &sum, 2);
}

void sbgw_icmp_error_to_guest(struct sbgw_worker *w, struct rte_mbuf *m,
			      const struct sbgw_pkt_info *info, bool handed_off)
{
	struct sbgw_dataplane *gw = w->gw;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t seg = rte_pktmbuf_data_len(m);
	const struct sbgw_sandbox_rt *sb;
	struct sbgw_sandbox_counters *c;
	struct sbgw_flow_key k;
	struct sbgw_flow *f;
	struct quote q;
	unsigned int alen, owner;
	bool echo;

	if (info->fragment || !read_quote(frame, seg, info, &q)) {
		w->uplink_counters.drops[SBGW_DROP_ICMP_ERROR_UNUSABLE]++;
		rte_pktmbuf_free(m);
		return;
	}
	alen = q.family == AF_INET ? 4 : 16;
	/* It must quote a packet we sent from the uplink address. */
	if (memcmp(q.family == AF_INET ? q.ip + 12 : q.ip + 8,
		   q.family == AF_INET ? gw->uplink4 : gw->uplink6, alen) != 0) {
		w->uplink_counters.drops[SBGW_DROP_NO_FLOW]++;
		rte_pktmbuf_free(m);
		return;
	}
	owner = sbgw_flow_port_owner(w->flows, q.sport);
	if (owner != w->index && !handed_off) {
		if (rte_ring_enqueue(gw->workers[owner].handoff, m) != 0) {
			w->uplink_counters.drops[SBGW_DROP_HANDOFF_FULL]++;
			rte_pktmbuf_free(m);
		} else {
			w->handed_off++;
		}
		return;
	}
	/* The quote turned around is what a reply of that flow would look like. */
	echo = q.proto == IPPROTO_ICMP || q.proto == IPPROTO_ICMPV6;
	memset(&k, 0, sizeof(k));
	k.zone = SBGW_FLOW_ZONE_UPLINK;
	k.family = q.family;
	k.proto = q.proto;
	k.src_port = echo ? 0 : q.dport;
	k.dst_port = q.sport;
	memcpy(k.src, q.family == AF_INET ? q.ip + 16 : q.ip + 24, alen);
	memcpy(k.dst, q.family == AF_INET ? q.ip + 12 : q.ip + 8, alen);
	f = sbgw_flow_lookup(w->flows, &k);
	if (f == NULL) {
		w->uplink_counters.drops[SBGW_DROP_NO_FLOW]++;
		rte_pktmbuf_free(m);
		return;
	}
	sb = &gw->sandboxes[f->sandbox];
	if (!sbgw_rewrite_ttl(frame, info)) {
		w->uplink_counters.drops[SBGW_DROP_TTL]++;
		rte_pktmbuf_free(m);
		return;
	}
	unnat_quote(&q, f->guest_key.src, f->guest_key.src_port);
	/* The outer destination: the guest (the ICMP checksum is redone below). */
	if (info->l3 == SBGW_L3_IPV4) {
		uint8_t *ip = frame + info->l3_off;
		uint16_t csum;

		memcpy(&csum, ip + 10, 2);
		csum = sbgw_csum_replace(csum, ip + 16, f->guest_key.src, 4);
		memcpy(ip + 10, &csum, 2);
		memcpy(ip + 16, f->guest_key.src, 4);
	} else {
		memcpy(frame + info->l3_off + 24, f->guest_key.src, 16);
	}
	outer_checksum(frame, info, seg);
	memcpy(frame, sb->guest_mac.addr_bytes, 6);
	memcpy(frame + 6, sb->gw_mac.addr_bytes, 6);
	c = &w->sb_counters[sb->index];
	c->to_guest_packets++;
	c->to_guest_bytes += rte_pktmbuf_pkt_len(m);
	c->icmp_errors_relayed++;
	sbgw_tx(w, sb->port_id, 0, w->guest_txb[sb->index], m, sb->cfg->link.mtu, c->drops);
}
