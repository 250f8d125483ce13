/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classification against a compiled policy.
 *
 * sbgw_policy_key_init(), sbgw_policy_classify() and sbgw_policy_verdict()
 * run on worker lcores for every new flow: no allocation, no locks, no
 * logs. sbgw_policy_domain_hits() is the slow path that turns pinned names
 * into the key's domain bits when the pin table changes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_acl.h>

#include "compiled.h"

void sbgw_policy_key_init(struct sbgw_policy_key *key, const struct sbgw_policy_packet *pkt,
			  const struct sbgw_host_addrs *host)
{
	struct sbgw_addr a = pkt->addr;
	enum sbgw_group g;

	/* §2.4: ::ffff:a.b.c.d is a.b.c.d for every test, so it takes the IPv4 context. */
	sbgw_addr_normalise(&a);
	g = sbgw_addr_group(&a, host);
	memset(key, 0, sizeof(*key));
	key->family = a.family;
	key->proto = pkt->ip_proto;
	if (a.family == AF_INET)
		key->addr[0] = htonl(a.v4);
	else if (a.family == AF_INET6)
		memcpy(key->addr, a.v6, 16);
	/* rte_acl reads multi-byte inputs in network byte order. */
	key->port = htons(pkt->port);
	/* The unspecified address has no class: no group rule can match it (§2.5). */
	key->class_bits = g == SBGW_GROUP_NONE ? 0 : htons((uint16_t)(1u << g));
	key->domain_lo = htonl((uint32_t)pkt->domain_bits);
	key->domain_hi = htonl((uint32_t)(pkt->domain_bits >> 32));
}

int sbgw_policy_classify(const struct sbgw_policy_compiled *cp, enum sbgw_dir dir, int family,
			 const struct sbgw_policy_key *const *keys, uint32_t *results, uint32_t n)
{
	const struct rte_acl_ctx *ctx;

	if ((unsigned int)dir >= DIR_COUNT || (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	ctx = cp->ctx[dir][family == AF_INET ? FAMILY_V4 : FAMILY_V6];
	if (ctx == NULL) {
		/* No rule applies to this direction and family: every packet gets the default. */
		memset(results, 0, (size_t)n * sizeof(*results));
		return 0;
	}
	return rte_acl_classify(ctx, (const uint8_t **)(uintptr_t)keys, results, n, 1);
}

struct sbgw_verdict sbgw_policy_verdict(const struct sbgw_policy_compiled *cp, enum sbgw_dir dir,
					uint32_t result, const struct sbgw_domain_hits *hits)
{
	const struct sbgw_policy *p = &cp->policy;
	struct sbgw_verdict v;
	unsigned int i;

	if (result == 0 || result > p->n_rules) {
		v.action = dir == SBGW_EGRESS ? p->default_egress : p->default_ingress;
		v.rule = -1;
		return v;
	}
	i = result - 1;
	if (hits != NULL && (p->rules[i].dest_kind == SBGW_DEST_DOMAIN ||
			     p->rules[i].dest_kind == SBGW_DEST_SUFFIX)) {
		unsigned int k = cp->rule_set[i];

		/* Rules of one set differ only by name, so the action is the same. */
		if (hits->bits & (UINT64_C(1) << k))
			i = hits->first_rule[k];
	}
	v.action = p->rules[i].action;
	v.rule = (int)i;
	return v;
}

struct sbgw_verdict sbgw_policy_evaluate(const struct sbgw_policy_compiled *cp, enum sbgw_dir dir,
					 const struct sbgw_policy_packet *pkt,
					 const struct sbgw_host_addrs *host,
					 const struct sbgw_domain_hits *hits)
{
	struct sbgw_policy_key key;
	const struct sbgw_policy_key *keys[1] = {&key};
	uint32_t result = 0;

	sbgw_policy_key_init(&key, pkt, host);
	if (sbgw_policy_classify(cp, dir, key.family, keys, &result, 1) < 0)
		result = 0;
	return sbgw_policy_verdict(cp, dir, result, hits);
}

void sbgw_policy_domain_hits(const struct sbgw_policy_compiled *cp, const char *const *names,
			     unsigned int n, struct sbgw_domain_hits *out)
{
	const struct sbgw_policy *p = &cp->policy;

	out->bits = 0;
	for (unsigned int k = 0; k < cp->n_sets; k++) {
		out->first_rule[k] = 0;
		/* Rule order first: the verdict must name the first rule that matches. */
		for (unsigned int i = cp->sets[k].first; i <= cp->sets[k].last; i++) {
			const struct sbgw_rule *r = &p->rules[i];
			bool match = false;

			for (unsigned int j = 0; j < n && !match; j++)
				match = r->dest_kind == SBGW_DEST_DOMAIN
						? sbgw_name_matches_domain(names[j], r->name)
						: sbgw_name_matches_suffix(names[j], r->name);
			if (match) {
				out->bits |= UINT64_C(1) << k;
				out->first_rule[k] = i;
				break;
			}
		}
	}
}
