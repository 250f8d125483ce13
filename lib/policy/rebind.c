/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS rebind protection (semantics §3.4): the wide reserved-address list
 * and the explicit-admission exception.
 *
 * The reserved list is deliberately not the group classification of §2.5:
 * documentation and benchmarking ranges are "public" for connections but
 * still suspicious in a DNS answer (semantics §9 Q25).
 */
#include <string.h>

#include "policy.h"

struct v4_net {
	uint32_t net; /* host byte order */
	uint8_t len;
};

struct v6_net {
	uint8_t net[16];
	uint8_t len;
};

static const struct v4_net reserved_v4[] = {
	{0x00000000u, 8},  /* 0.0.0.0/8 */
	{0x7f000000u, 8},  /* 127.0.0.0/8 */
	{0x0a000000u, 8},  /* 10.0.0.0/8 */
	{0xac100000u, 12}, /* 172.16.0.0/12 */
	{0xc0a80000u, 16}, /* 192.168.0.0/16 */
	{0x64400000u, 10}, /* 100.64.0.0/10 */
	{0xa9fe0000u, 16}, /* 169.254.0.0/16 */
	{0xc0000000u, 24}, /* 192.0.0.0/24 */
	{0xc0000200u, 24}, /* 192.0.2.0/24 */
	{0xc0586300u, 24}, /* 192.88.99.0/24 */
	{0xc6120000u, 15}, /* 198.18.0.0/15 */
	{0xc6336400u, 24}, /* 198.51.100.0/24 */
	{0xcb007100u, 24}, /* 203.0.113.0/24 */
	{0xe0000000u, 4},  /* 224.0.0.0/4 */
	{0xf0000000u, 4},  /* 240.0.0.0/4, 255.255.255.255 included */
};

static const struct v6_net reserved_v6[] = {
	{{[15] = 1}, 128},                               /* ::1 */
	{{0}, 128},                                      /* :: */
	{{0xff}, 8},                                     /* ff00::/8 */
	{{0xfc}, 7},                                     /* fc00::/7 */
	{{0xfe, 0x80}, 10},                              /* fe80::/10 */
	{{0xfe, 0xc0}, 10},                              /* fec0::/10 */
	{{0x01, 0x00}, 64},                              /* 100::/64 */
	{{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48},      /* 64:ff9b:1::/48 */
	{{0x20, 0x01, 0x0d, 0xb8}, 32},                  /* 2001:db8::/32 */
	{{0x3f, 0xff}, 20},                              /* 3fff::/20 */
};

static bool v6_in(const uint8_t *a, const struct v6_net *n)
{
	unsigned int full = n->len / 8, rest = n->len % 8;
	uint8_t mask;

	if (memcmp(a, n->net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == n->net[full];
}

bool sbgw_addr_is_rebind_reserved(const struct sbgw_addr *addr)
{
	struct sbgw_addr a = *addr;

	/* IPv4-mapped answers take the IPv4 test (§2.4). */
	sbgw_addr_normalise(&a);
	if (a.family == AF_INET) {
		for (size_t i = 0; i < sizeof(reserved_v4) / sizeof(reserved_v4[0]); i++) {
			uint32_t mask = ~0u << (32 - reserved_v4[i].len);

			if ((a.v4 & mask) == reserved_v4[i].net)
				return true;
		}
		return false;
	}
	if (a.family == AF_INET6) {
		for (size_t i = 0; i < sizeof(reserved_v6) / sizeof(reserved_v6[0]); i++)
			if (v6_in(a.v6, &reserved_v6[i]))
				return true;
		return false;
	}
	/* Not an address at all: refuse rather than admit. */
	return true;
}

/* The first port-free address rule for proto that matches a, if ALLOW. */
static bool admitted_for(const struct sbgw_policy *p, const struct sbgw_addr *a,
			 const struct sbgw_host_addrs *host, uint8_t proto)
{
	for (unsigned int i = 0; i < p->n_rules; i++) {
		const struct sbgw_rule *r = &p->rules[i];
		struct sbgw_cidr c;
		bool match;

		if (!(r->dirs & SBGW_DIR_EGRESS) || r->has_port)
			continue;
		if (r->proto != SBGW_PROTO_ANY && r->proto != proto)
			continue;
		if (r->dest_kind == SBGW_DEST_CIDR) {
			c = r->cidr;
			sbgw_cidr_normalise(&c);
			match = sbgw_cidr_contains(&c, a);
		} else if (r->dest_kind == SBGW_DEST_GROUP) {
			match = r->group != SBGW_GROUP_NONE && sbgw_addr_group(a, host) == r->group;
		} else {
			/* "any" and names never count: they are not explicit about the address. */
			continue;
		}
		if (match)
			return r->action == SBGW_ACTION_ALLOW;
	}
	return false;
}

bool sbgw_policy_admits_rebind(const struct sbgw_policy *p, const struct sbgw_addr *addr,
			       const struct sbgw_host_addrs *host)
{
	struct sbgw_addr a = *addr;

	sbgw_addr_normalise(&a);
	return admitted_for(p, &a, host, SBGW_PROTO_TCP) ||
	       admitted_for(p, &a, host, SBGW_PROTO_UDP);
}
