/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The normalised rule list: presets (semantics §1.2), Rule.allow_dns()
 * (§1.4) and the list operations the configuration compiler needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define DNS_PORT 53

void sbgw_rule_init(struct sbgw_rule *r, enum sbgw_action action)
{
	memset(r, 0, sizeof(*r));
	r->action = (uint8_t)action;
	/* The seed's Rule() defaults: egress, any destination, protocol and port. */
	r->dirs = SBGW_DIR_EGRESS;
	r->proto = SBGW_PROTO_ANY;
	r->dest_kind = SBGW_DEST_ANY;
}

static void dns_rule(struct sbgw_rule *r, enum sbgw_proto proto)
{
	sbgw_rule_init(r, SBGW_ACTION_ALLOW);
	r->proto = (uint8_t)proto;
	r->has_port = true;
	r->port_lo = DNS_PORT;
	r->port_hi = DNS_PORT;
	r->dest_kind = SBGW_DEST_GROUP;
	r->group = SBGW_GROUP_HOST;
}

/* Grow the array to n rules; the new tail is uninitialised. */
static int resize(struct sbgw_policy *p, unsigned int n)
{
	struct sbgw_rule *rules;

	if (n == 0) {
		free(p->rules);
		p->rules = NULL;
		return 0;
	}
	rules = realloc(p->rules, (size_t)n * sizeof(*rules));
	if (rules == NULL)
		return -ENOMEM;
	p->rules = rules;
	return 0;
}

int sbgw_policy_append(struct sbgw_policy *p, const struct sbgw_rule *r)
{
	int rc;

	if (p->n_rules == UINT32_MAX)
		return -E2BIG;
	rc = resize(p, p->n_rules + 1);
	if (rc < 0)
		return rc;
	p->rules[p->n_rules++] = *r;
	return 0;
}

int sbgw_policy_prepend(struct sbgw_policy *p, const struct sbgw_rule *rules, unsigned int n)
{
	int rc;

	if (n == 0)
		return 0;
	if (n > UINT32_MAX - p->n_rules)
		return -E2BIG;
	rc = resize(p, p->n_rules + n);
	if (rc < 0)
		return rc;
	memmove(p->rules + n, p->rules, (size_t)p->n_rules * sizeof(*rules));
	memcpy(p->rules, rules, (size_t)n * sizeof(*rules));
	p->n_rules += n;
	return 0;
}

int sbgw_policy_append_allow_dns(struct sbgw_policy *p)
{
	struct sbgw_rule r[2];
	unsigned int n = p->n_rules;
	int rc;

	dns_rule(&r[0], SBGW_PROTO_UDP);
	dns_rule(&r[1], SBGW_PROTO_TCP);
	rc = sbgw_policy_append(p, &r[0]);
	if (rc < 0)
		goto fail;
	rc = sbgw_policy_append(p, &r[1]);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	/* All or nothing: never leave half of allow_dns behind. */
	p->n_rules = n;
	return rc;
}

void sbgw_policy_clear(struct sbgw_policy *p)
{
	free(p->rules);
	memset(p, 0, sizeof(*p));
}

int sbgw_policy_copy(struct sbgw_policy *dst, const struct sbgw_policy *src)
{
	struct sbgw_rule *rules = NULL;

	if (dst == src)
		return 0;
	if (src->n_rules > 0) {
		rules = malloc((size_t)src->n_rules * sizeof(*rules));
		if (rules == NULL)
			return -ENOMEM;
		memcpy(rules, src->rules, (size_t)src->n_rules * sizeof(*rules));
	}
	sbgw_policy_clear(dst);
	*dst = *src;
	dst->rules = rules;
	return 0;
}

int sbgw_policy_preset(struct sbgw_policy *p, enum sbgw_preset preset)
{
	struct sbgw_rule pub;
	int rc;

	/* A preset replaces the whole policy, rules included (configuration defaults first). */
	sbgw_policy_clear(p);
	switch (preset) {
	case SBGW_PRESET_NONE:
		p->default_egress = SBGW_ACTION_DENY;
		p->default_ingress = SBGW_ACTION_DENY;
		return 0;
	case SBGW_PRESET_PUBLIC_ONLY:
		p->default_egress = SBGW_ACTION_DENY;
		p->default_ingress = SBGW_ACTION_ALLOW;
		rc = sbgw_policy_append_allow_dns(p);
		if (rc < 0)
			goto fail;
		sbgw_rule_init(&pub, SBGW_ACTION_ALLOW);
		pub.dest_kind = SBGW_DEST_GROUP;
		pub.group = SBGW_GROUP_PUBLIC;
		rc = sbgw_policy_append(p, &pub);
		if (rc < 0)
			goto fail;
		return 0;
	case SBGW_PRESET_ALLOW_ALL:
		p->default_egress = SBGW_ACTION_ALLOW;
		p->default_ingress = SBGW_ACTION_ALLOW;
		return 0;
	}
	return -EINVAL;
fail:
	sbgw_policy_clear(p);
	return rc;
}
