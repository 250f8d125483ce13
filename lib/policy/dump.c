/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policies as text, for `sbgw -p`, logs and test failure messages. The
 * format reads like the configuration's own words so that an operator can
 * map every line back to what they wrote.
 */
#include <stdio.h>
#include <string.h>

#include "compiled.h"

static const char *dir_name(uint8_t dirs)
{
	switch (dirs & SBGW_DIR_ANY) {
	case SBGW_DIR_EGRESS:
		return "egress";
	case SBGW_DIR_INGRESS:
		return "ingress";
	case SBGW_DIR_ANY:
		return "any";
	}
	return "none";
}

static void format_dest(const struct sbgw_rule *r, char *buf, size_t len)
{
	char c[SBGW_CIDR_STRLEN];
	struct sbgw_cidr cidr;

	switch (r->dest_kind) {
	case SBGW_DEST_ANY:
		snprintf(buf, len, "any");
		return;
	case SBGW_DEST_CIDR:
		cidr = r->cidr;
		sbgw_cidr_normalise(&cidr);
		if (cidr.len == (cidr.addr.family == AF_INET ? 32 : 128))
			snprintf(buf, len, "ip %s", sbgw_addr_format(&cidr.addr, c, sizeof(c)));
		else
			snprintf(buf, len, "cidr %s", sbgw_cidr_format(&cidr, c, sizeof(c)));
		return;
	case SBGW_DEST_GROUP:
		snprintf(buf, len, "group %s", sbgw_group_name(r->group));
		return;
	case SBGW_DEST_DOMAIN:
		snprintf(buf, len, "domain %s", r->name);
		return;
	case SBGW_DEST_SUFFIX:
		snprintf(buf, len, "suffix .%s", r->name);
		return;
	}
	snprintf(buf, len, "?");
}

void sbgw_rule_format(const struct sbgw_rule *r, char *buf, size_t len)
{
	char dest[SBGW_NAME_MAX + 16], proto[16] = "", port[24] = "", line[24] = "";

	if (len == 0)
		return;
	format_dest(r, dest, sizeof(dest));
	if (r->proto != SBGW_PROTO_ANY)
		snprintf(proto, sizeof(proto), " %s", sbgw_proto_name(r->proto));
	if (r->has_port && r->port_lo == r->port_hi)
		snprintf(port, sizeof(port), " port %u", r->port_lo);
	else if (r->has_port)
		snprintf(port, sizeof(port), " port %u-%u", r->port_lo, r->port_hi);
	if (r->line != 0)
		snprintf(line, sizeof(line), " (line %u)", r->line);
	snprintf(buf, len, "%s %s%s%s to %s%s", sbgw_action_name(r->action), dir_name(r->dirs),
		 proto, port, dest, line);
}

void sbgw_policy_dump(const struct sbgw_policy *p, FILE *out, const char *indent)
{
	char buf[SBGW_NAME_MAX + 128];

	if (indent == NULL)
		indent = "";
	fprintf(out, "%sdefault egress %s, default ingress %s, %u rule%s\n", indent,
		sbgw_action_name(p->default_egress), sbgw_action_name(p->default_ingress),
		p->n_rules, p->n_rules == 1 ? "" : "s");
	for (unsigned int i = 0; i < p->n_rules; i++) {
		sbgw_rule_format(&p->rules[i], buf, sizeof(buf));
		fprintf(out, "%s%4u  %s\n", indent, i, buf);
	}
}

void sbgw_policy_dump_compiled(const struct sbgw_policy_compiled *cp, FILE *out,
			       const char *indent)
{
	char buf[SBGW_NAME_MAX + 128];
	unsigned int total;
	size_t bytes;

	if (indent == NULL)
		indent = "";
	sbgw_policy_dump(&cp->policy, out, indent);
	sbgw_policy_stats(cp, &total, &bytes);
	fprintf(out,
		"%scompiled: %u ACL rules (egress IPv4 %u, IPv6 %u; ingress IPv4 %u, IPv6 %u), "
		"%zu KiB\n",
		indent, total, cp->acl_rules[SBGW_EGRESS][FAMILY_V4],
		cp->acl_rules[SBGW_EGRESS][FAMILY_V6], cp->acl_rules[SBGW_INGRESS][FAMILY_V4],
		cp->acl_rules[SBGW_INGRESS][FAMILY_V6], (bytes + 1023) / 1024);
	for (unsigned int k = 0; k < cp->n_sets; k++) {
		/* A set's rules share all but the name: show the first as its shape. */
		sbgw_rule_format(&cp->policy.rules[cp->sets[k].first], buf, sizeof(buf));
		fprintf(out, "%sdomain set %u: rules %u-%u, like \"%s\"\n", indent, k,
			cp->sets[k].first, cp->sets[k].last, buf);
	}
}
