/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS queries judged as egress by name (semantics §2.8).
 *
 * This walks the source rules rather than the rte_acl contexts: it runs
 * once per query on a slow core, its matching is by name (no address yet),
 * and rules that would never match a packet still matter here (a domain
 * rule scoped to tcp/443 grants the lookup of its name).
 */
#include <netinet/in.h>

#include "policy.h"

#define DNS_PORT 53
#define DOT_PORT 853

/* The filter test the "any" and "host" rows use. */
static bool filters_accept(const struct sbgw_rule *r, enum sbgw_dns_transport t)
{
	uint8_t proto = t == SBGW_DNS_UDP ? SBGW_PROTO_UDP : SBGW_PROTO_TCP;
	uint16_t port = t == SBGW_DNS_DOT ? DOT_PORT : DNS_PORT;

	if (r->proto != SBGW_PROTO_ANY && r->proto != proto)
		return false;
	return !r->has_port || (r->port_lo <= port && port <= r->port_hi);
}

struct sbgw_verdict sbgw_policy_judge_dns(const struct sbgw_policy *p, const char *qname,
					  enum sbgw_dns_transport t)
{
	struct sbgw_verdict v = {.action = p->default_egress, .rule = -1};
	char name[SBGW_NAME_MAX];
	const char *reason;
	bool named;

	/* The canonical form strips the trailing dot of a wire name too. */
	named = sbgw_name_canonical(qname, name, &reason) == 0;
	for (unsigned int i = 0; i < p->n_rules; i++) {
		const struct sbgw_rule *r = &p->rules[i];
		bool match = false;

		if (!(r->dirs & SBGW_DIR_EGRESS))
			continue;
		switch (r->dest_kind) {
		case SBGW_DEST_DOMAIN:
			match = named && sbgw_name_matches_domain(name, r->name);
			break;
		case SBGW_DEST_SUFFIX:
			match = named && sbgw_name_matches_suffix(name, r->name);
			break;
		case SBGW_DEST_ANY:
			match = filters_accept(r, t);
			break;
		case SBGW_DEST_GROUP:
			/* The query really is addressed to the gateway's forwarder. */
			match = r->group == SBGW_GROUP_HOST && filters_accept(r, t);
			break;
		default:
			/* No resolved address yet: CIDR and other groups never match. */
			break;
		}
		if (match) {
			v.action = r->action;
			v.rule = (int)i;
			return v;
		}
	}
	return v;
}
