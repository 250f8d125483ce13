/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway's side of the guest's link (link.h): ARP, IPv6 neighbour
 * discovery, router advertisements and a one-lease DHCPv4 server.
 *
 * Every answer is computed from the request and the sandbox's link
 * parameters alone, so the worker keeps no per-guest state here. Every
 * byte read from a frame is checked against the frame's length first, even
 * where sbgw_parse_frame already did: a guest controls all of it.
 *
 * A sandbox has exactly one guest. The DHCP server therefore only ever
 * leases guest4, and only to guest_mac: a request carrying another client
 * hardware address gets no answer at all (not a NAK), since nothing on a
 * sandbox link is entitled to a lease but the guest itself.
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "link.h"

#define ETH_LEN 14
#define MAC_LEN 6
#define IP4_LEN 4
#define IP6_LEN 16
/* Shortest Ethernet frame without its FCS; shorter ones are runts. */
#define ETH_MIN_LEN (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)

/* Neighbour discovery (RFC 4861). */
#define ND_HOP_LIMIT 255 /* anything lower came through a router (§7.1.1) */
#define ND_NS_LEN 24     /* type, code, checksum, reserved, target */
#define ND_NA_LEN 24
#define ND_TARGET_OFF 8
#define ND_OPT_UNIT 8       /* option lengths count 8-byte units */
#define ND_LLADDR_OPT_LEN 8 /* type, length, 6-byte MAC */
#define NA_FLAG_ROUTER 0x80 /* first byte of the flags word */
#define NA_FLAG_SOLICITED 0x40
#define NA_FLAG_OVERRIDE 0x20

/* Router advertisement (RFC 4861 §4.2, RFC 8106, RFC 8319). */
#define RA_HDR_LEN 16
#define RA_CUR_HOP_LIMIT 64
#define RA_DEFAULT_LIFETIME 1800
#define RA_MAX_LIFETIME 65535 /* a 16-bit field (RFC 8319 lifted the 9000 s cap) */
#define ND_MTU_OPT_LEN 8
#define ND_PREFIX_OPT_LEN 32
#define PREFIX_VALID_LIFETIME 86400
#define PREFIX_PREFERRED_LIFETIME 14400
#define ND_OPT_RDNSS 25     /* RFC 8106; not in every libc's icmp6.h */
#define ND_RDNSS_OPT_LEN 24 /* one address */
#define RDNSS_LIFETIME 1800
#define DEFAULT_PREFIX6 64

/* DHCPv4 (RFC 2131, RFC 2132). */
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define BOOTREQUEST 1
#define BOOTREPLY 2
#define BOOTP_HTYPE_ETHER 1
#define BOOTP_XID_OFF 4
#define BOOTP_FLAGS_OFF 10
#define BOOTP_FLAG_BROADCAST 0x80 /* high bit of the flags' first byte */
#define BOOTP_CIADDR_OFF 12
#define BOOTP_YIADDR_OFF 16
#define BOOTP_GIADDR_OFF 24
#define BOOTP_CHADDR_OFF 28
#define BOOTP_CHADDR_LEN 16
#define BOOTP_COOKIE_OFF 236
#define BOOTP_OPTIONS_OFF 240
/* RFC 1542 §3.3: some clients drop BOOTP replies shorter than this. */
#define BOOTP_MIN_LEN 300
#define DHCP_OPT_PAD 0
#define DHCP_OPT_SUBNET_MASK 1
#define DHCP_OPT_ROUTER 3
#define DHCP_OPT_DNS 6
#define DHCP_OPT_MTU 26
#define DHCP_OPT_REQUESTED_IP 50
#define DHCP_OPT_LEASE_TIME 51
#define DHCP_OPT_MESSAGE_TYPE 53
#define DHCP_OPT_SERVER_ID 54
#define DHCP_OPT_RENEWAL_TIME 58
#define DHCP_OPT_REBINDING_TIME 59
#define DHCP_OPT_END 255
#define DHCPDISCOVER 1
#define DHCPOFFER 2
#define DHCPREQUEST 3
#define DHCPACK 5
#define DHCPNAK 6
#define DHCPINFORM 8
#define DHCP_DEFAULT_LEASE 86400
#define DEFAULT_PREFIX4 30
#define DEFAULT_MTU 1500
#define IP_DEFAULT_TTL 64

static const uint8_t bootp_cookie[4] = {99, 130, 83, 99};
static const uint8_t mac_broadcast[MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_all_nodes[MAC_LEN] = {0x33, 0x33, 0, 0, 0, 1};
static const uint8_t ip6_all_nodes[IP6_LEN] = {0xff, 0x02, [15] = 1};
static const uint8_t ip4_broadcast[IP4_LEN] = {0xff, 0xff, 0xff, 0xff};

static inline void store16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool all_zero(const uint8_t *p, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* A MAC we may address a reply to or learn: not zero, not a group address. */
static bool unicast_mac(const uint8_t *mac)
{
	return (mac[0] & 0x01) == 0 && !all_zero(mac, MAC_LEN);
}

static inline uint32_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/*
 * One's complement sum of an ICMPv6 message and its pseudo-header (RFC
 * 8200 §8.1), in memory order like rte_raw_cksum. The length is passed
 * rather than read from payload_len, which also counts extension headers.
 * 0xffff over a message whose checksum is right.
 */
static uint16_t icmp6_sum(const struct rte_ipv6_hdr *ip, const uint8_t *msg, uint32_t len)
{
	uint32_t s = rte_raw_cksum(ip->src_addr, 2 * IP6_LEN);

	s += rte_cpu_to_be_16((uint16_t)(len >> 16)) + rte_cpu_to_be_16((uint16_t)len);
	s += rte_cpu_to_be_16(IPPROTO_ICMPV6);
	s += rte_raw_cksum(msg, len);
	return (uint16_t)fold(s);
}

static void icmp6_set_csum(const struct rte_ipv6_hdr *ip, uint8_t *msg, uint32_t len)
{
	uint16_t c;

	memset(msg + 2, 0, 2);
	c = (uint16_t)~icmp6_sum(ip, msg, len);
	memcpy(msg + 2, &c, sizeof(c));
}

static void ipv6_header(struct rte_ipv6_hdr *ip, uint16_t payload, const uint8_t *src,
			const uint8_t *dst)
{
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(payload);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = ND_HOP_LIMIT;
	memcpy(ip->src_addr, src, IP6_LEN);
	memcpy(ip->dst_addr, dst, IP6_LEN);
}

static void eth_header(uint8_t *frame, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(frame, dst, MAC_LEN);
	memcpy(frame + MAC_LEN, src, MAC_LEN);
	store16(frame + 2 * MAC_LEN, type);
}

/* ff02::1:ffXX:XXXX, the solicited-node group of addr (RFC 4291 §2.7.1). */
static void solicited_node(const uint8_t *addr, uint8_t out[IP6_LEN])
{
	static const uint8_t head[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

	memcpy(out, head, sizeof(head));
	memcpy(out + 13, addr + 13, 3);
}

static uint8_t *lladdr_option(uint8_t *opt, uint8_t type, const uint8_t *mac)
{
	opt[0] = type;
	opt[1] = ND_LLADDR_OPT_LEN / ND_OPT_UNIT;
	memcpy(opt + 2, mac, MAC_LEN);
	return opt + ND_LLADDR_OPT_LEN;
}

void sbgw_link_local_from_mac(const uint8_t mac[6], uint8_t out[16])
{
	memset(out, 0, IP6_LEN);
	out[0] = 0xfe;
	out[1] = 0x80;
	/* Flip universal/local: 02:... (locally administered) becomes 00:... */
	out[8] = mac[0] ^ 0x02;
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac[3];
	out[14] = mac[4];
	out[15] = mac[5];
}

/* ---- ARP ---------------------------------------------------------------- */

static struct rte_arp_hdr *arp_header(const uint8_t *frame, uint32_t len,
				      const struct sbgw_pkt_info *info)
{
	if (info->l3 != SBGW_L3_ARP || len < (uint32_t)info->l3_off + sizeof(struct rte_arp_hdr))
		return NULL;
	return (struct rte_arp_hdr *)(uintptr_t)(frame + info->l3_off);
}

uint32_t sbgw_link_arp_reply(uint8_t *frame, uint32_t len, const struct sbgw_pkt_info *info,
			     const uint8_t my_mac[6], const uint8_t my_ip[4])
{
	struct rte_arp_hdr *arp = arp_header(frame, len, info);
	struct rte_arp_ipv4 *a;
	uint32_t end, out;

	if (arp == NULL || arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
		return 0;
	a = &arp->arp_data;
	if (memcmp(&a->arp_tip, my_ip, IP4_LEN) != 0)
		return 0;
	/*
	 * A gratuitous request only announces its sender. One that claims
	 * our own address is a conflict the guest has to resolve; answering
	 * it would not help.
	 */
	if (a->arp_sip == a->arp_tip)
		return 0;
	/* Never reflect a request onto a group address. */
	if (!unicast_mac(a->arp_sha.addr_bytes))
		return 0;

	a->arp_tha = a->arp_sha;
	a->arp_tip = a->arp_sip;
	memcpy(a->arp_sha.addr_bytes, my_mac, MAC_LEN);
	memcpy(&a->arp_sip, my_ip, IP4_LEN);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	/* RFC 826: the reply goes to the sender hardware address. */
	eth_header(frame, a->arp_tha.addr_bytes, my_mac, RTE_ETHER_TYPE_ARP);

	/* Keep the request's padding up to a minimum frame, but not its junk. */
	end = info->l3_off + (uint32_t)sizeof(*arp);
	out = RTE_MIN(len, (uint32_t)ETH_MIN_LEN);
	out = RTE_MAX(out, end);
	memset(frame + end, 0, out - end);
	return out;
}

uint32_t sbgw_link_arp_request(uint8_t *out, const uint8_t my_mac[6], const uint8_t my_ip[4],
			       const uint8_t target[4])
{
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(out + ETH_LEN);

	eth_header(out, mac_broadcast, my_mac, RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = MAC_LEN;
	arp->arp_plen = IP4_LEN;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	memcpy(arp->arp_data.arp_sha.addr_bytes, my_mac, MAC_LEN);
	memcpy(&arp->arp_data.arp_sip, my_ip, IP4_LEN);
	memset(arp->arp_data.arp_tha.addr_bytes, 0, MAC_LEN);
	memcpy(&arp->arp_data.arp_tip, target, IP4_LEN);
	memset(out + ETH_LEN + sizeof(*arp), 0, ETH_MIN_LEN - ETH_LEN - sizeof(*arp));
	return ETH_MIN_LEN;
}

bool sbgw_link_arp_learn(const uint8_t *frame, const struct sbgw_pkt_info *info,
			 const uint8_t ip[4], uint8_t mac[6])
{
	/* No length in this API: parse stored the ARP header's end as the bound. */
	const struct rte_arp_hdr *arp =
		arp_header(frame, (uint32_t)info->l3_off + info->l3_len, info);
	uint16_t op;

	if (arp == NULL)
		return false;
	op = rte_be_to_cpu_16(arp->arp_opcode);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)
		return false;
	if (memcmp(&arp->arp_data.arp_sip, ip, IP4_LEN) != 0 ||
	    !unicast_mac(arp->arp_data.arp_sha.addr_bytes))
		return false;
	memcpy(mac, arp->arp_data.arp_sha.addr_bytes, MAC_LEN);
	return true;
}

/* ---- Neighbour discovery ------------------------------------------------ */

/*
 * Find an ICMPv6 ND message of type in frame, checked as RFC 4861 §7.1
 * asks: not a fragment, code 0, hop limit 255, at least min_len long, a
 * correct checksum. Returns the message or NULL.
 */
static const uint8_t *nd_message(const uint8_t *frame, uint32_t len,
				 const struct sbgw_pkt_info *info, uint8_t type, uint32_t min_len)
{
	const struct rte_ipv6_hdr *ip;
	const uint8_t *msg;

	if (info->l3 != SBGW_L3_IPV6 || info->proto != IPPROTO_ICMPV6 || info->fragment ||
	    info->icmp_type != type || info->icmp_code != 0)
		return NULL;
	if (info->l4_len < min_len || info->l4_off < info->l3_off + sizeof(*ip) ||
	    (uint32_t)info->l4_off + info->l4_len > len)
		return NULL;
	ip = (const struct rte_ipv6_hdr *)(frame + info->l3_off);
	msg = frame + info->l4_off;
	if (ip->hop_limits != ND_HOP_LIMIT || msg[0] != type || msg[1] != 0)
		return NULL;
	if (icmp6_sum(ip, msg, info->l4_len) != 0xffff)
		return NULL;
	return msg;
}

/*
 * Walk ND options (RFC 4861 §4.6): each must have a non-zero length and fit.
 * Returns -EINVAL for a malformed list, else 0 and, in *lladdr, the MAC of
 * the last link-layer address option of type want (NULL if none).
 */
static int nd_options(const uint8_t *opt, uint32_t len, uint8_t want, const uint8_t **lladdr)
{
	*lladdr = NULL;
	while (len > 0) {
		uint32_t olen;

		if (len < 2 || opt[1] == 0)
			return -EINVAL;
		olen = (uint32_t)opt[1] * ND_OPT_UNIT;
		if (olen > len)
			return -EINVAL;
		/* A longer one is for another link type; not ours to read. */
		if (opt[0] == want && olen == ND_LLADDR_OPT_LEN)
			*lladdr = opt + 2;
		opt += olen;
		len -= olen;
	}
	return 0;
}

uint32_t sbgw_link_nd_reply(uint8_t *frame, uint32_t len, const struct sbgw_pkt_info *info,
			    const uint8_t my_mac[6], const uint8_t (*addrs)[16], unsigned int n,
			    bool router)
{
	const uint8_t *ns = nd_message(frame, len, info, ND_NEIGHBOR_SOLICIT, ND_NS_LEN);
	struct rte_ipv6_hdr *ip;
	uint8_t target[IP6_LEN], dst[IP6_LEN], dst_mac[MAC_LEN];
	const uint8_t *slla;
	uint8_t *na, *end;
	unsigned int i;
	bool dad;

	if (ns == NULL)
		return 0;
	ip = (struct rte_ipv6_hdr *)(frame + info->l3_off);
	memcpy(target, ns + ND_TARGET_OFF, IP6_LEN);
	for (i = 0; i < n; i++)
		if (memcmp(addrs[i], target, IP6_LEN) == 0)
			break;
	if (i == n)
		return 0;
	if (nd_options(ns + ND_NS_LEN, info->l4_len - ND_NS_LEN, ND_OPT_SOURCE_LINKADDR, &slla) < 0)
		return 0;
	if (ip->src_addr[0] == 0xff)
		return 0;
	dad = all_zero(ip->src_addr, IP6_LEN);
	if (dad) {
		uint8_t group[IP6_LEN];

		/*
		 * Duplicate address detection (RFC 4862 §5.4.3): the guest
		 * wants one of our addresses. Defend it to all nodes, since
		 * the asker has no address to answer to (RFC 4861 §7.2.4).
		 * §7.1.1: such an NS goes to the solicited-node group and
		 * carries no source link-layer address.
		 */
		solicited_node(target, group);
		if (slla != NULL || memcmp(ip->dst_addr, group, IP6_LEN) != 0)
			return 0;
		memcpy(dst, ip6_all_nodes, IP6_LEN);
		memcpy(dst_mac, mac_all_nodes, MAC_LEN);
	} else {
		if (!unicast_mac(frame + MAC_LEN))
			return 0;
		memcpy(dst, ip->src_addr, IP6_LEN);
		memcpy(dst_mac, frame + MAC_LEN, MAC_LEN);
	}

	/* The advertisement replaces everything, extension headers included. */
	eth_header(frame, dst_mac, my_mac, RTE_ETHER_TYPE_IPV6);
	ipv6_header(ip, ND_NA_LEN + ND_LLADDR_OPT_LEN, target, dst);
	na = frame + info->l3_off + sizeof(*ip);
	memset(na, 0, ND_NA_LEN);
	na[0] = ND_NEIGHBOR_ADVERT;
	na[4] = NA_FLAG_OVERRIDE | (router ? NA_FLAG_ROUTER : 0) | (dad ? 0 : NA_FLAG_SOLICITED);
	memcpy(na + ND_TARGET_OFF, target, IP6_LEN);
	end = lladdr_option(na + ND_NA_LEN, ND_OPT_TARGET_LINKADDR, my_mac);
	icmp6_set_csum(ip, na, (uint32_t)(end - na));
	return (uint32_t)(end - frame);
}

uint32_t sbgw_link_nd_solicit(uint8_t *out, const uint8_t my_mac[6], const uint8_t my_ip[16],
			      const uint8_t target[16])
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(out + ETH_LEN);
	uint8_t group[IP6_LEN], mac[MAC_LEN] = {0x33, 0x33};
	uint8_t *ns = out + ETH_LEN + sizeof(*ip), *end;

	solicited_node(target, group);
	/* RFC 2464 §7: 33:33 and the group's last four bytes. */
	memcpy(mac + 2, group + 12, 4);
	eth_header(out, mac, my_mac, RTE_ETHER_TYPE_IPV6);
	ipv6_header(ip, ND_NS_LEN + ND_LLADDR_OPT_LEN, my_ip, group);
	memset(ns, 0, ND_NS_LEN);
	ns[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(ns + ND_TARGET_OFF, target, IP6_LEN);
	end = lladdr_option(ns + ND_NS_LEN, ND_OPT_SOURCE_LINKADDR, my_mac);
	icmp6_set_csum(ip, ns, (uint32_t)(end - ns));
	return (uint32_t)(end - out);
}

bool sbgw_link_nd_learn(const uint8_t *frame, const struct sbgw_pkt_info *info,
			const uint8_t target[16], uint8_t mac[6])
{
	/* No length in this API: parse stored the message's end as the bound. */
	const uint8_t *na = nd_message(frame, (uint32_t)info->l4_off + info->l4_len, info,
				       ND_NEIGHBOR_ADVERT, ND_NA_LEN);
	const uint8_t *tlla;

	if (na == NULL || memcmp(na + ND_TARGET_OFF, target, IP6_LEN) != 0)
		return false;
	if (nd_options(na + ND_NA_LEN, info->l4_len - ND_NA_LEN, ND_OPT_TARGET_LINKADDR, &tlla) < 0)
		return false;
	/* The option may be left out of an answer to a unicast NS (§7.2.4). */
	if (tlla == NULL)
		tlla = frame + MAC_LEN;
	if (!unicast_mac(tlla))
		return false;
	memcpy(mac, tlla, MAC_LEN);
	return true;
}

/* ---- Router advertisement ----------------------------------------------- */

uint32_t sbgw_link_build_ra(uint8_t *out, const struct sbgw_link_params *p)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(out + ETH_LEN);
	uint8_t *ra = out + ETH_LEN + sizeof(*ip), *o;
	uint32_t lifetime = p->ra_lifetime ? p->ra_lifetime : RA_DEFAULT_LIFETIME;
	uint8_t plen = p->prefix6 && p->prefix6 <= 128 ? p->prefix6 : DEFAULT_PREFIX6;
	uint16_t len;

	if (!p->v6)
		return 0;
	eth_header(out, mac_all_nodes, p->gw_mac, RTE_ETHER_TYPE_IPV6);

	memset(ra, 0, RA_HDR_LEN);
	ra[0] = ND_ROUTER_ADVERT;
	ra[4] = RA_CUR_HOP_LIMIT;
	ra[5] = 0; /* neither managed nor other: SLAAC plus RDNSS is everything */
	store16(ra + 6, (uint16_t)RTE_MIN(lifetime, (uint32_t)RA_MAX_LIFETIME));
	/* Reachable time and retransmit timer 0: the guest keeps its own. */

	o = lladdr_option(ra + RA_HDR_LEN, ND_OPT_SOURCE_LINKADDR, p->gw_mac);

	memset(o, 0, ND_MTU_OPT_LEN);
	o[0] = ND_OPT_MTU;
	o[1] = ND_MTU_OPT_LEN / ND_OPT_UNIT;
	store32(o + 4, p->mtu ? p->mtu : DEFAULT_MTU);
	o += ND_MTU_OPT_LEN;

	memset(o, 0, ND_PREFIX_OPT_LEN);
	o[0] = ND_OPT_PREFIX_INFORMATION;
	o[1] = ND_PREFIX_OPT_LEN / ND_OPT_UNIT;
	o[2] = plen;
	o[3] = ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO;
	store32(o + 4, PREFIX_VALID_LIFETIME);
	store32(o + 8, PREFIX_PREFERRED_LIFETIME);
	for (unsigned int i = 0; i < plen; i += 8) {
		unsigned int bits = plen - i < 8 ? plen - i : 8;

		o[16 + i / 8] = p->guest6[i / 8] & (uint8_t)(0xff00 >> bits);
	}
	o += ND_PREFIX_OPT_LEN;

	memset(o, 0, ND_RDNSS_OPT_LEN);
	o[0] = ND_OPT_RDNSS;
	o[1] = ND_RDNSS_OPT_LEN / ND_OPT_UNIT;
	store32(o + 4, RDNSS_LIFETIME);
	memcpy(o + 8, p->gw6, IP6_LEN);
	o += ND_RDNSS_OPT_LEN;

	len = (uint16_t)(o - ra);
	ipv6_header(ip, len, p->gw6_ll, ip6_all_nodes);
	icmp6_set_csum(ip, ra, len);
	return (uint32_t)(o - out);
}

/* ---- DHCPv4 ------------------------------------------------------------- */

struct dhcp_request {
	uint8_t type; /* 0: no message type option (plain BOOTP) */
	bool has_requested, has_server;
	uint8_t requested[IP4_LEN], server[IP4_LEN];
};

/*
 * Walk the options field (RFC 2132 §2), keeping the few we act on. Every
 * option must fit in what is left and the list must end with END; anything
 * else is malformed (-EINVAL). Each step consumes at least one byte, so the
 * walk is bounded by len. Overload (52) is not honoured: nothing we need
 * would be in sname or file.
 */
static int dhcp_options(const uint8_t *opt, uint32_t len, struct dhcp_request *req)
{
	uint32_t i = 0;

	while (i < len) {
		const uint8_t *v;
		uint8_t code = opt[i], olen;

		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return 0;
		if (len - i < 2)
			return -EINVAL;
		olen = opt[i + 1];
		if (olen > len - i - 2)
			return -EINVAL;
		v = opt + i + 2;
		switch (code) {
		case DHCP_OPT_MESSAGE_TYPE:
			if (olen != 1)
				return -EINVAL;
			req->type = v[0];
			break;
		case DHCP_OPT_REQUESTED_IP:
			if (olen != IP4_LEN)
				return -EINVAL;
			req->has_requested = true;
			memcpy(req->requested, v, IP4_LEN);
			break;
		case DHCP_OPT_SERVER_ID:
			if (olen != IP4_LEN)
				return -EINVAL;
			req->has_server = true;
			memcpy(req->server, v, IP4_LEN);
			break;
		default:
			break;
		}
		i += 2u + olen;
	}
	return -EINVAL;
}

static uint8_t *put_option(uint8_t *o, uint8_t code, const void *val, uint8_t len)
{
	o[0] = code;
	o[1] = len;
	memcpy(o + 2, val, len);
	return o + 2 + len;
}

static uint8_t *put_option32(uint8_t *o, uint8_t code, uint32_t val)
{
	uint8_t b[4];

	store32(b, val);
	return put_option(o, code, b, sizeof(b));
}

/*
 * The BOOTREPLY to req (RFC 2131 §4.3.1, table 3) into out. inform: the
 * DHCPACK to a DHCPINFORM (§4.3.5): the client has its address already,
 * so no yiaddr and no lease, only the configuration.
 */
static uint32_t dhcp_build(uint8_t *out, const uint8_t *req, uint8_t type,
			   const struct sbgw_link_params *p, bool inform)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(out + ETH_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *msg = (uint8_t *)(udp + 1), *o;
	uint32_t lease = p->lease_seconds ? p->lease_seconds : DHCP_DEFAULT_LEASE;
	uint8_t prefix = p->prefix4 && p->prefix4 <= 32 ? p->prefix4 : DEFAULT_PREFIX4;
	uint16_t mtu = p->mtu ? p->mtu : DEFAULT_MTU, mtu_be = rte_cpu_to_be_16(mtu);
	bool nak = type == DHCPNAK;
	/*
	 * §4.1: a NAK is always broadcast (the client may hold an address we
	 * just refused), otherwise only when the client cannot take unicast
	 * yet. The link layer follows the IP destination.
	 */
	bool bcast = nak || (req[BOOTP_FLAGS_OFF] & BOOTP_FLAG_BROADCAST);
	uint32_t blen;

	memset(msg, 0, BOOTP_MIN_LEN);
	msg[0] = BOOTREPLY;
	msg[1] = BOOTP_HTYPE_ETHER;
	msg[2] = MAC_LEN;
	memcpy(msg + BOOTP_XID_OFF, req + BOOTP_XID_OFF, 4);
	memcpy(msg + BOOTP_FLAGS_OFF, req + BOOTP_FLAGS_OFF, 2);
	if (type == DHCPACK)
		memcpy(msg + BOOTP_CIADDR_OFF, req + BOOTP_CIADDR_OFF, IP4_LEN);
	if (!nak && !inform)
		memcpy(msg + BOOTP_YIADDR_OFF, p->guest4, IP4_LEN);
	memcpy(msg + BOOTP_GIADDR_OFF, req + BOOTP_GIADDR_OFF, IP4_LEN);
	memcpy(msg + BOOTP_CHADDR_OFF, req + BOOTP_CHADDR_OFF, BOOTP_CHADDR_LEN);
	memcpy(msg + BOOTP_COOKIE_OFF, bootp_cookie, sizeof(bootp_cookie));

	o = put_option(msg + BOOTP_OPTIONS_OFF, DHCP_OPT_MESSAGE_TYPE, &type, 1);
	o = put_option(o, DHCP_OPT_SERVER_ID, p->gw4, IP4_LEN);
	/* A NAK carries nothing else (table 3): there is no lease to describe. */
	if (!nak && !inform) {
		o = put_option32(o, DHCP_OPT_LEASE_TIME, lease);
		o = put_option32(o, DHCP_OPT_RENEWAL_TIME, lease / 2);
		o = put_option32(o, DHCP_OPT_REBINDING_TIME, (uint32_t)((uint64_t)lease * 7 / 8));
	}
	if (!nak) {
		o = put_option32(o, DHCP_OPT_SUBNET_MASK,
				 (uint32_t)(UINT64_C(0xffffffff) << (32 - prefix)));
		o = put_option(o, DHCP_OPT_ROUTER, p->gw4, IP4_LEN);
		o = put_option(o, DHCP_OPT_DNS, p->gw4, IP4_LEN);
		o = put_option(o, DHCP_OPT_MTU, &mtu_be, sizeof(mtu_be));
	}
	*o++ = DHCP_OPT_END;
	blen = RTE_MAX((uint32_t)(o - msg), (uint32_t)BOOTP_MIN_LEN);

	eth_header(out, bcast ? mac_broadcast : p->guest_mac, p->gw_mac, RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + blen));
	ip->time_to_live = IP_DEFAULT_TTL;
	ip->next_proto_id = IPPROTO_UDP;
	memcpy(&ip->src_addr, p->gw4, IP4_LEN);
	memcpy(&ip->dst_addr, bcast ? ip4_broadcast : p->guest4, IP4_LEN);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(DHCP_SERVER_PORT);
	udp->dst_port = rte_cpu_to_be_16(DHCP_CLIENT_PORT);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + blen));
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return (uint32_t)(ETH_LEN + sizeof(*ip) + sizeof(*udp) + blen);
}

uint32_t sbgw_link_dhcp_reply(const uint8_t *frame, uint32_t len, const struct sbgw_pkt_info *info,
			      const struct sbgw_link_params *p, uint8_t *out)
{
	struct dhcp_request req = {0};
	const uint8_t *msg, *want;
	uint32_t end, mlen;
	uint8_t type;

	if (!p->v4 || info->l3 != SBGW_L3_IPV4 || info->proto != IPPROTO_UDP || info->fragment ||
	    info->sport != DHCP_CLIENT_PORT || info->dport != DHCP_SERVER_PORT)
		return 0;
	end = (uint32_t)info->l4_off + info->l4_len;
	if (end > len || info->payload_off > end)
		return 0;
	msg = frame + info->payload_off;
	mlen = end - info->payload_off;
	if (mlen < BOOTP_OPTIONS_OFF)
		return 0;
	if (msg[0] != BOOTREQUEST || msg[1] != BOOTP_HTYPE_ETHER || msg[2] != MAC_LEN ||
	    memcmp(msg + BOOTP_COOKIE_OFF, bootp_cookie, sizeof(bootp_cookie)) != 0)
		return 0;
	/* One guest per sandbox, and no relay agent between it and us. */
	if (memcmp(msg + BOOTP_CHADDR_OFF, p->guest_mac, MAC_LEN) != 0 ||
	    !all_zero(msg + BOOTP_GIADDR_OFF, IP4_LEN))
		return 0;
	if (dhcp_options(msg + BOOTP_OPTIONS_OFF, mlen - BOOTP_OPTIONS_OFF, &req) < 0)
		return 0;

	switch (req.type) {
	case DHCPDISCOVER:
		type = DHCPOFFER;
		break;
	case DHCPREQUEST:
		/* §4.3.2: naming another server declines our offer; stay quiet. */
		if (req.has_server && memcmp(req.server, p->gw4, IP4_LEN) != 0)
			return 0;
		/*
		 * SELECTING and INIT-REBOOT name the address in option 50,
		 * RENEWING and REBINDING in ciaddr.
		 */
		want = req.has_requested ? req.requested : msg + BOOTP_CIADDR_OFF;
		if (all_zero(want, IP4_LEN) || memcmp(want, p->guest4, IP4_LEN) == 0)
			type = DHCPACK;
		else
			type = DHCPNAK;
		break;
	case DHCPINFORM:
		/* Only from the address the guest holds (its ciaddr, §4.3.5). */
		if (memcmp(msg + BOOTP_CIADDR_OFF, p->guest4, IP4_LEN) != 0)
			return 0;
		return dhcp_build(out, msg, DHCPACK, p, true);
	default:
		/* DECLINE, RELEASE, plain BOOTP: nothing to say. */
		return 0;
	}
	return dhcp_build(out, msg, type, p, false);
}
