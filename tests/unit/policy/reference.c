/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deliberately naive: one rule at a time, every test spelt out, group
 * membership from CIDR text, so that it shares no logic with the compiler
 * beyond the address primitives of lib/common.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

struct group_net {
	const char *cidr;
	enum sbgw_group group;
};

/* Semantics §2.5 steps 3–7, in order. */
static const struct group_net group_nets[] = {
	{"169.254.169.254/32", SBGW_GROUP_METADATA},
	{"127.0.0.0/8", SBGW_GROUP_LOOPBACK},
	{"::1/128", SBGW_GROUP_LOOPBACK},
	{"10.0.0.0/8", SBGW_GROUP_PRIVATE},
	{"172.16.0.0/12", SBGW_GROUP_PRIVATE},
	{"192.168.0.0/16", SBGW_GROUP_PRIVATE},
	{"100.64.0.0/10", SBGW_GROUP_PRIVATE},
	{"fc00::/7", SBGW_GROUP_PRIVATE},
	{"169.254.0.0/16", SBGW_GROUP_LINK_LOCAL},
	{"fe80::/10", SBGW_GROUP_LINK_LOCAL},
	{"224.0.0.0/4", SBGW_GROUP_MULTICAST},
	{"ff00::/8", SBGW_GROUP_MULTICAST},
};

#define N_GROUP_NETS (sizeof(group_nets) / sizeof(group_nets[0]))

/* Parsed once: the benchmark must time matching, not parsing. Single-threaded users only. */
static const struct sbgw_cidr *group_cidrs(void)
{
	static struct sbgw_cidr parsed[N_GROUP_NETS];
	static bool done;

	if (!done) {
		for (size_t i = 0; i < N_GROUP_NETS; i++)
			if (sbgw_cidr_parse(group_nets[i].cidr, true, &parsed[i], NULL) != 0)
				abort();
		done = true;
	}
	return parsed;
}

enum sbgw_group ref_group(const struct sbgw_addr *addr, const struct sbgw_host_addrs *host)
{
	const struct sbgw_cidr *nets = group_cidrs();
	struct sbgw_addr a = *addr;

	sbgw_addr_normalise(&a);
	if (sbgw_addr_is_unspecified(&a))
		return SBGW_GROUP_NONE;
	if (host != NULL && ((host->v4.family != 0 && sbgw_addr_equal(&a, &host->v4)) ||
			     (host->v6.family != 0 && sbgw_addr_equal(&a, &host->v6))))
		return SBGW_GROUP_HOST;
	for (size_t i = 0; i < N_GROUP_NETS; i++)
		if (sbgw_cidr_contains(&nets[i], &a))
			return group_nets[i].group;
	return SBGW_GROUP_PUBLIC;
}

static bool proto_matches(const struct sbgw_rule *r, int family, uint8_t ip_proto)
{
	switch (r->proto) {
	case SBGW_PROTO_ANY:
		return true;
	case SBGW_PROTO_TCP:
		return ip_proto == IPPROTO_TCP;
	case SBGW_PROTO_UDP:
		return ip_proto == IPPROTO_UDP;
	case SBGW_PROTO_ICMPV4:
		return family == AF_INET && ip_proto == IPPROTO_ICMP;
	case SBGW_PROTO_ICMPV6:
		return family == AF_INET6 && ip_proto == IPPROTO_ICMPV6;
	}
	return false;
}

static bool port_matches(const struct sbgw_rule *r, uint8_t ip_proto, uint16_t port)
{
	if (!r->has_port)
		return true;
	/* Only TCP and UDP flows have a port (§1.4, §2.2). */
	if (ip_proto != IPPROTO_TCP && ip_proto != IPPROTO_UDP)
		return false;
	return r->port_lo <= port && port <= r->port_hi;
}

static bool dest_matches(const struct sbgw_rule *r, const struct sbgw_addr *a,
			 const struct sbgw_host_addrs *host, const char *const *names,
			 unsigned int n_names)
{
	struct sbgw_cidr c;

	switch (r->dest_kind) {
	case SBGW_DEST_ANY:
		return true;
	case SBGW_DEST_CIDR:
		c = r->cidr;
		sbgw_cidr_normalise(&c);
		return sbgw_cidr_contains(&c, a);
	case SBGW_DEST_GROUP:
		return ref_group(a, host) == r->group && r->group != SBGW_GROUP_NONE;
	case SBGW_DEST_DOMAIN:
		for (unsigned int i = 0; i < n_names; i++)
			if (strcmp(names[i], r->name) == 0)
				return true;
		return false;
	case SBGW_DEST_SUFFIX:
		for (unsigned int i = 0; i < n_names; i++) {
			size_t n = strlen(names[i]), s = strlen(r->name);

			if (strcmp(names[i], r->name) == 0)
				return true;
			if (n > s && names[i][n - s - 1] == '.' &&
			    strcmp(names[i] + n - s, r->name) == 0)
				return true;
		}
		return false;
	}
	return false;
}

struct sbgw_verdict ref_evaluate(const struct sbgw_policy *p, enum sbgw_dir dir,
				 const struct sbgw_policy_packet *pkt,
				 const struct sbgw_host_addrs *host, const char *const *names,
				 unsigned int n_names)
{
	uint8_t want = dir == SBGW_EGRESS ? SBGW_DIR_EGRESS : SBGW_DIR_INGRESS;
	struct sbgw_addr a = pkt->addr;
	struct sbgw_verdict v;

	sbgw_addr_normalise(&a);
	for (unsigned int i = 0; i < p->n_rules; i++) {
		const struct sbgw_rule *r = &p->rules[i];

		if (!(r->dirs & want))
			continue;
		if (!proto_matches(r, a.family, pkt->ip_proto))
			continue;
		if (!port_matches(r, pkt->ip_proto, pkt->port))
			continue;
		if (!dest_matches(r, &a, host, names, n_names))
			continue;
		v.action = r->action;
		v.rule = (int)i;
		return v;
	}
	v.action = dir == SBGW_EGRESS ? p->default_egress : p->default_ingress;
	v.rule = -1;
	return v;
}
