/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "rewrite.h"

#define TCP_OPT_END 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define ICMP_ECHO_REPLY 0
#define ICMP6_ECHO_REPLY 129
#define REPLY_TTL 64

static inline uint16_t load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void store16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline uint32_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* Checksums are handled as 16-bit words in memory order throughout. */
uint16_t sbgw_csum_replace(uint16_t csum, const void *old, const void *new_, unsigned int len)
{
	const uint8_t *o = old, *n = new_;
	uint32_t s = (uint16_t)~csum;

	for (unsigned int i = 0; i + 1 < len; i += 2) {
		s += (uint16_t)~load16(o + i);
		s += load16(n + i);
	}
	return (uint16_t)~fold(s);
}

struct l4_csum {
	uint8_t *field; /* NULL: the transport carries none we must keep */
	bool pseudo;    /* covers the addresses */
	bool udp;       /* zero means "no checksum" (IPv4) */
};

static struct l4_csum l4_checksum_field(uint8_t *frame, const struct sbgw_pkt_info *info)
{
	struct l4_csum c = {NULL, false, false};
	uint8_t *l4 = frame + info->l4_off;

	if (info->fragment && !info->first_fragment)
		return c;
	switch (info->proto) {
	case IPPROTO_TCP:
		c.field = l4 + 16;
		c.pseudo = true;
		break;
	case IPPROTO_UDP:
		c.field = l4 + 6;
		c.pseudo = true;
		c.udp = info->l3 == SBGW_L3_IPV4;
		break;
	case IPPROTO_ICMP:
		c.field = l4 + 2;
		break;
	case IPPROTO_ICMPV6:
		c.field = l4 + 2;
		c.pseudo = true;
		break;
	}
	return c;
}

static void update_l4(struct l4_csum *c, const void *old, const void *new_, unsigned int len)
{
	uint16_t v;

	if (c->field == NULL)
		return;
	v = load16(c->field);
	if (c->udp && v == 0)
		return;
	v = sbgw_csum_replace(v, old, new_, len);
	if (c->udp && v == 0)
		v = 0xffff;
	store16(c->field, v);
}

void sbgw_rewrite_endpoint(uint8_t *frame, const struct sbgw_pkt_info *info, unsigned int which,
			   const uint8_t *addr, uint16_t port)
{
	struct l4_csum c = l4_checksum_field(frame, info);
	uint8_t *ip = frame + info->l3_off;
	uint8_t *l4 = frame + info->l4_off;
	uint16_t nport = rte_cpu_to_be_16(port);
	uint8_t *field;
	unsigned int alen;

	if (info->l3 == SBGW_L3_IPV4) {
		field = ip + (which == 0 ? 12 : 16);
		alen = 4;
		store16(ip + 10, sbgw_csum_replace(load16(ip + 10), field, addr, 4));
	} else {
		field = ip + (which == 0 ? 8 : 24);
		alen = 16;
	}
	if (c.pseudo)
		update_l4(&c, field, addr, alen);
	memcpy(field, addr, alen);

	if (c.field == NULL)
		return;
	switch (info->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		field = l4 + (which == 0 ? 0 : 2);
		break;
	default: /* ICMP echo: the identifier stands for both ports */
		field = l4 + 4;
		break;
	}
	update_l4(&c, field, &nport, 2);
	store16(field, nport);
}

bool sbgw_rewrite_ttl(uint8_t *frame, const struct sbgw_pkt_info *info)
{
	uint8_t *ip = frame + info->l3_off;
	uint8_t old[2], *ttl;

	if (info->l3 == SBGW_L3_IPV6) {
		if (ip[7] <= 1)
			return false;
		ip[7]--;
		return true;
	}
	ttl = ip + 8;
	if (*ttl <= 1)
		return false;
	memcpy(old, ttl, 2);
	(*ttl)--;
	store16(ip + 10, sbgw_csum_replace(load16(ip + 10), old, ttl, 2));
	return true;
}

void sbgw_rewrite_clamp_mss(uint8_t *frame, const struct sbgw_pkt_info *info, uint16_t mss)
{
	struct l4_csum c = l4_checksum_field(frame, info);
	uint8_t *l4 = frame + info->l4_off;
	unsigned int hlen, i = 20;

	/* No TCP header to read in anything else, nor in a later fragment (c.field). */
	if (info->proto != IPPROTO_TCP || !(info->tcp_flags & RTE_TCP_SYN_FLAG) || c.field == NULL)
		return;
	hlen = (unsigned int)(l4[12] >> 4) * 4;
	/* Options were bounded by the parser: hlen <= l4_len. */
	while (i < hlen) {
		uint8_t kind = l4[i];

		if (kind == TCP_OPT_END)
			return;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || l4[i + 1] < 2 || i + l4[i + 1] > hlen)
			return;
		/* The MSS value sits at an even offset only by convention; sum it bytewise. */
		if (kind == TCP_OPT_MSS && l4[i + 1] == 4 &&
		    (uint16_t)(l4[i + 2] << 8 | l4[i + 3]) > mss) {
			uint8_t old[4], neu[4];
			unsigned int base = (i + 2) & ~1u;

			memcpy(old, l4 + base, 4 <= hlen - base ? 4 : 2);
			l4[i + 2] = (uint8_t)(mss >> 8);
			l4[i + 3] = (uint8_t)mss;
			memcpy(neu, l4 + base, 4 <= hlen - base ? 4 : 2);
			update_l4(&c, old, neu, 4 <= hlen - base ? 4 : 2);
			return;
		}
		i += l4[i + 1];
	}
}

static void swap_bytes(uint8_t *a, uint8_t *b, unsigned int len)
{
	uint8_t t[16];

	memcpy(t, a, len);
	memcpy(a, b, len);
	memcpy(b, t, len);
}

/* Swap Ethernet and IP addresses: the frame now goes back where it came from. */
static void turn_around(uint8_t *frame, const struct sbgw_pkt_info *info)
{
	uint8_t *ip = frame + info->l3_off;

	swap_bytes(frame, frame + 6, 6);
	if (info->l3 == SBGW_L3_IPV4)
		swap_bytes(ip + 12, ip + 16, 4);
	else
		swap_bytes(ip + 8, ip + 24, 16);
}

/* Pseudo-header plus the transport bytes, from scratch. */
static uint16_t l4_full_checksum(const uint8_t *frame, const struct sbgw_pkt_info *info,
				 uint32_t l4_len)
{
	const uint8_t *ip = frame + info->l3_off;
	uint32_t s;

	if (info->l3 == SBGW_L3_IPV4) {
		if (info->proto == IPPROTO_ICMP)
			s = rte_raw_cksum(frame + info->l4_off, l4_len);
		else
			s = rte_raw_cksum(ip + 12, 8) + rte_cpu_to_be_16((uint16_t)l4_len) +
			    rte_cpu_to_be_16(info->proto) +
			    rte_raw_cksum(frame + info->l4_off, l4_len);
	} else {
		s = rte_raw_cksum(ip + 8, 32) + rte_cpu_to_be_16((uint16_t)(l4_len >> 16)) +
		    rte_cpu_to_be_16((uint16_t)l4_len) + rte_cpu_to_be_16(info->proto) +
		    rte_raw_cksum(frame + info->l4_off, l4_len);
	}
	s = (uint16_t)~fold(fold(s));
	if (info->proto == IPPROTO_UDP && s == 0)
		s = 0xffff;
	return (uint16_t)s;
}

void sbgw_rewrite_l4_checksum(uint8_t *frame, const struct sbgw_pkt_info *info)
{
	struct l4_csum c = l4_checksum_field(frame, info);

	if (c.field == NULL || info->fragment)
		return;
	store16(c.field, 0);
	store16(c.field, l4_full_checksum(frame, info, info->l4_len));
}

uint32_t sbgw_rewrite_tcp_reset(uint8_t *frame, const struct sbgw_pkt_info *info)
{
	struct sbgw_pkt_info out = *info;
	uint8_t *ip = frame + info->l3_off;
	struct rte_tcp_hdr *tcp;
	uint32_t seq, ack, seglen;
	uint8_t flags = info->tcp_flags;

	tcp = (struct rte_tcp_hdr *)(frame + info->l4_off);
	seq = rte_be_to_cpu_32(tcp->sent_seq);
	ack = rte_be_to_cpu_32(tcp->recv_ack);
	seglen = info->l4_len - (uint32_t)(tcp->data_off >> 4) * 4;
	if (flags & RTE_TCP_SYN_FLAG)
		seglen++;
	if (flags & RTE_TCP_FIN_FLAG)
		seglen++;

	turn_around(frame, info);
	if (info->l3 == SBGW_L3_IPV6 && info->l4_off != info->l3_off + 40) {
		/* Drop the guest's extension headers: the reset carries none. */
		memmove(ip + 40, tcp, sizeof(*tcp));
		out.l4_off = (uint16_t)(info->l3_off + 40);
		tcp = (struct rte_tcp_hdr *)(ip + 40);
	}
	swap_bytes((uint8_t *)&tcp->src_port, (uint8_t *)&tcp->dst_port, 2);
	if (flags & RTE_TCP_ACK_FLAG) {
		tcp->sent_seq = rte_cpu_to_be_32(ack);
		tcp->recv_ack = 0;
		tcp->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		tcp->sent_seq = 0;
		tcp->recv_ack = rte_cpu_to_be_32(seq + seglen);
		tcp->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	tcp->data_off = 5 << 4;
	tcp->rx_win = 0;
	tcp->tcp_urp = 0;
	out.l4_len = sizeof(*tcp);
	if (info->l3 == SBGW_L3_IPV4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*h) + sizeof(*tcp)));
		h->version_ihl = 0x45;
		h->packet_id = 0;
		h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		h->time_to_live = REPLY_TTL;
		h->next_proto_id = IPPROTO_TCP;
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
		out.l4_off = (uint16_t)(info->l3_off + sizeof(*h));
		if (info->l4_off != out.l4_off)
			memmove(frame + out.l4_off, tcp, sizeof(*tcp));
		tcp = (struct rte_tcp_hdr *)(frame + out.l4_off);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		h->payload_len = rte_cpu_to_be_16(sizeof(*tcp));
		h->proto = IPPROTO_TCP;
		h->hop_limits = REPLY_TTL;
	}
	out.fragment = false;
	tcp->cksum = 0;
	tcp->cksum = l4_full_checksum(frame, &out, sizeof(*tcp));
	return out.l4_off + (uint32_t)sizeof(*tcp);
}

void sbgw_rewrite_echo_reply(uint8_t *frame, const struct sbgw_pkt_info *info)
{
	uint8_t *ip = frame + info->l3_off;
	uint8_t *icmp = frame + info->l4_off;
	uint8_t old[2];

	turn_around(frame, info);
	memcpy(old, icmp, 2);
	icmp[0] = info->l3 == SBGW_L3_IPV4 ? ICMP_ECHO_REPLY : ICMP6_ECHO_REPLY;
	store16(icmp + 2, sbgw_csum_replace(load16(icmp + 2), old, icmp, 2));
	if (info->l3 == SBGW_L3_IPV4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->time_to_live = REPLY_TTL;
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
	} else {
		ip[7] = REPLY_TTL;
	}
}
