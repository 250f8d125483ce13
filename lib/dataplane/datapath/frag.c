/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>

#include "frag.h"

/* rte_ip_frag keeps datagrams in buckets; a few entries each keeps lookups short. */
#define BUCKET_ENTRIES 4

int sbgw_frag_init(struct sbgw_frag *f, uint64_t tsc_hz, int socket)
{
	memset(f, 0, sizeof(*f));
	f->tbl = rte_ip_frag_table_create(SBGW_FRAG_DATAGRAMS / BUCKET_ENTRIES, BUCKET_ENTRIES,
					  SBGW_FRAG_DATAGRAMS, tsc_hz * SBGW_FRAG_TIMEOUT_S, socket);
	return f->tbl == NULL ? -ENOMEM : 0;
}

void sbgw_frag_fini(struct sbgw_frag *f)
{
	if (f->tbl == NULL)
		return;
	rte_ip_frag_free_death_row(&f->death_row, 0);
	rte_ip_frag_table_destroy(f->tbl);
	f->tbl = NULL;
}

struct rte_mbuf *sbgw_frag_reassemble(struct sbgw_frag *f, struct rte_mbuf *m,
				      struct sbgw_pkt_info *info, uint64_t now,
				      enum sbgw_drop *reason)
{
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *whole;
	enum sbgw_drop d;

	*reason = SBGW_DROP_NONE;
	if (info->l3 != SBGW_L3_IPV4) {
		*reason = SBGW_DROP_FRAGMENT; /* IPv6 fragments are not relayed (semantics §7) */
		rte_pktmbuf_free(m);
		return NULL;
	}
	m->l2_len = info->l3_off;
	m->l3_len = (uint16_t)(info->l4_off - info->l3_off);
	/* Trailing Ethernet padding must not become part of the datagram. */
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - info->l3_off - info->l3_len));
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, info->l3_off);
	whole = rte_ipv4_frag_reassemble_packet(f->tbl, &f->death_row, m, now, ip);
	/* Pieces that expired or overflowed the table wait here to be freed. */
	rte_ip_frag_free_death_row(&f->death_row, 0);
	if (whole == NULL)
		return NULL;
	ip = rte_pktmbuf_mtod_offset(whole, struct rte_ipv4_hdr *, info->l3_off);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	d = sbgw_parse_segmented(rte_pktmbuf_mtod(whole, const uint8_t *),
				 rte_pktmbuf_data_len(whole), rte_pktmbuf_pkt_len(whole), false, info);
	if (d != SBGW_DROP_NONE) {
		*reason = d;
		rte_pktmbuf_free(whole);
		return NULL;
	}
	return whole;
}

void sbgw_frag_expire(struct sbgw_frag *f, uint64_t now)
{
	rte_ip_frag_table_del_expired_entries(f->tbl, &f->death_row, now);
	if (f->death_row.cnt > 0)
		rte_ip_frag_free_death_row(&f->death_row, 0);
}

/*
 * Bytes of transport header the first fragment must carry: a first
 * fragment without the whole TCP/UDP/ICMP header is what tiny-fragment
 * filters (RFC 1858, and sbgw's own parser) drop, so splitting into one
 * would only send pieces that never get through.
 */
static uint32_t l4_header_len(const struct rte_mbuf *m, uint8_t proto, uint32_t l4_off)
{
	uint8_t byte;
	const uint8_t *doff;

	switch (proto) {
	case IPPROTO_TCP:
		doff = rte_pktmbuf_read(m, l4_off + 12, 1, &byte);
		return doff == NULL ? 0 : (uint32_t)(*doff >> 4) * 4;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
		return 8;
	default:
		return 0;
	}
}

int sbgw_frag_split(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *direct,
		    struct rte_mempool *indirect, struct rte_mbuf **out)
{
	const struct rte_ipv4_hdr *ip;
	uint8_t ipbuf[sizeof(*ip)];
	struct rte_ether_hdr eth;
	uint32_t ihl;
	int n;

	ip = rte_pktmbuf_read(m, sizeof(eth), sizeof(*ip), ipbuf);
	ihl = ip == NULL ? 0 : rte_ipv4_hdr_len(ip);
	if (ip == NULL || mtu <= ihl ||
	    ((mtu - ihl) & ~7u) < l4_header_len(m, ip->next_proto_id, sizeof(eth) + ihl)) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	memcpy(&eth, rte_pktmbuf_mtod(m, void *), sizeof(eth));
	rte_pktmbuf_adj(m, sizeof(eth));
	n = rte_ipv4_fragment_packet(m, out, SBGW_FRAG_OUT_MAX, mtu, direct, indirect);
	/* The fragments hold their own references to m's data. */
	rte_pktmbuf_free(m);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct rte_ether_hdr *h;
		struct rte_ipv4_hdr *piece;

		h = (struct rte_ether_hdr *)rte_pktmbuf_prepend(out[i], sizeof(eth));
		if (h == NULL) {
			for (int k = i; k < n; k++)
				rte_pktmbuf_free(out[k]);
			return -ENOBUFS;
		}
		memcpy(h, &eth, sizeof(eth));
		piece = (struct rte_ipv4_hdr *)(h + 1);
		piece->hdr_checksum = 0;
		piece->hdr_checksum = rte_ipv4_cksum(piece);
	}
	return n;
}
