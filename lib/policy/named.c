/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP flows under domain rules (semantics §2.7.2–§2.7.3): whether a flow
 * allowed at its SYN must still wait for its first flight, and the
 * verdict once the first flight named its host (TLS SNI, or an HTTP/1
 * Host). Both walk the normalised rules on a slow path; the fast path
 * only asks the first question, once per SYN, of policies with domain
 * rules.
 */
#include <netinet/in.h>

#include "name.h"
#include "policy.h"

static bool tcp_rule_applies(const struct sbgw_rule *r, uint16_t port)
{
	if (!(r->dirs & SBGW_DIR_EGRESS))
		return false;
	if (r->proto != SBGW_PROTO_ANY && r->proto != SBGW_PROTO_TCP)
		return false;
	return !r->has_port || (port >= r->port_lo && port <= r->port_hi);
}

static bool is_domain(const struct sbgw_rule *r)
{
	return r->dest_kind == SBGW_DEST_DOMAIN || r->dest_kind == SBGW_DEST_SUFFIX;
}

bool sbgw_rule_name_matches(const struct sbgw_rule *r, const char *name)
{
	if (r->dest_kind == SBGW_DEST_DOMAIN)
		return sbgw_name_matches_domain(name, r->name);
	if (r->dest_kind == SBGW_DEST_SUFFIX)
		return sbgw_name_matches_suffix(name, r->name);
	return false;
}

bool sbgw_policy_defers(const struct sbgw_policy *p, struct sbgw_verdict syn, uint16_t port)
{
	unsigned int upto;

	if (syn.action != SBGW_ACTION_ALLOW)
		return false;
	/* Allowed by a domain rule through the pins: the name must agree (SNI source). */
	if (syn.rule >= 0 && (unsigned int)syn.rule < p->n_rules && is_domain(&p->rules[syn.rule]))
		return true;
	/* Allowed later on, but a deny domain rule before it could still catch the name. */
	upto = syn.rule >= 0 ? (unsigned int)syn.rule : p->n_rules;
	for (unsigned int i = 0; i < upto && i < p->n_rules; i++) {
		const struct sbgw_rule *r = &p->rules[i];

		if (is_domain(r) && r->action == SBGW_ACTION_DENY && tcp_rule_applies(r, port))
			return true;
	}
	return false;
}

static bool address_matches(const struct sbgw_rule *r, const struct sbgw_addr *a,
			    const struct sbgw_host_addrs *host)
{
	switch (r->dest_kind) {
	case SBGW_DEST_ANY:
		return true;
	case SBGW_DEST_CIDR:
		return sbgw_cidr_contains(&r->cidr, a);
	case SBGW_DEST_GROUP:
		return !sbgw_addr_is_unspecified(a) && sbgw_addr_group(a, host) == r->group;
	default:
		return false;
	}
}

struct sbgw_verdict sbgw_policy_judge_named(const struct sbgw_policy *p,
					    const struct sbgw_named_flow *f,
					    const struct sbgw_host_addrs *host)
{
	struct sbgw_verdict v = {.action = p->default_egress, .rule = -1};
	bool named = f->name != NULL && f->name[0] != '\0';

	for (unsigned int i = 0; i < p->n_rules; i++) {
		const struct sbgw_rule *r = &p->rules[i];
		bool match;

		if (!tcp_rule_applies(r, f->port))
			continue;
		if (!is_domain(r))
			match = address_matches(r, &f->addr, host);
		else if (!named) /* cache-only */
			match = f->pinned(r, f->arg);
		else if (r->action == SBGW_ACTION_DENY) /* a blocklist needs the name alone */
			match = sbgw_rule_name_matches(r, f->name);
		else /* an allowlist needs the name and a pin that agrees */
			match = sbgw_rule_name_matches(r, f->name) && f->pinned(r, f->arg);
		if (match) {
			v.action = r->action;
			v.rule = (int)i;
			return v;
		}
	}
	return v;
}
