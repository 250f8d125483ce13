/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policies (the seed's NetworkPolicy, semantics §1.2-§1.5): presets, the
 * policy group, rules with the port grammar, and destinations in the typed
 * group form and the string shorthand, resolved in the seed's order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PORT_MAX 65535
#define PORT_DIGITS_MAX 5

static const struct cfg_key policy_keys[] = {
	{"default_egress", CFG_T_STRING, false},
	{"default_ingress", CFG_T_STRING, false},
	{"rules", CFG_T_SEQ, false},
	{NULL, 0, false},
};

static const struct cfg_key rule_keys[] = {
	{"action", CFG_T_STRING, true},
	{"direction", CFG_T_STRING, false},
	{"protocol", CFG_T_STRING, false},
	{"port", CFG_T_INT | CFG_T_STRING, false},
	{"destination", CFG_T_STRING | CFG_T_GROUP, false},
	{NULL, 0, false},
};

static const struct cfg_key dest_keys[] = {
	{"kind", CFG_T_STRING, true},
	{"value", CFG_T_STRING, false},
	{NULL, 0, false},
};

int cfg_preset_parse(const char *text)
{
	if (strcmp(text, "none") == 0)
		return SBGW_PRESET_NONE;
	if (strcmp(text, "public_only") == 0 || strcmp(text, "public-only") == 0)
		return SBGW_PRESET_PUBLIC_ONLY;
	if (strcmp(text, "allow_all") == 0 || strcmp(text, "allow-all") == 0)
		return SBGW_PRESET_ALLOW_ALL;
	return -EINVAL;
}

const char *cfg_preset_name(enum sbgw_preset p)
{
	switch (p) {
	case SBGW_PRESET_NONE:
		return "none";
	case SBGW_PRESET_PUBLIC_ONLY:
		return "public_only";
	case SBGW_PRESET_ALLOW_ALL:
		return "allow_all";
	}
	return "?";
}

static int action_parse(const char *text)
{
	if (strcmp(text, "allow") == 0)
		return SBGW_ACTION_ALLOW;
	if (strcmp(text, "deny") == 0)
		return SBGW_ACTION_DENY;
	return -EINVAL;
}

static int direction_parse(const char *text)
{
	if (strcmp(text, "egress") == 0)
		return SBGW_DIR_EGRESS;
	if (strcmp(text, "ingress") == 0)
		return SBGW_DIR_INGRESS;
	if (strcmp(text, "any") == 0)
		return SBGW_DIR_ANY;
	return -EINVAL;
}

static int proto_parse(const char *text)
{
	static const char *const names[] = {
		[SBGW_PROTO_TCP] = "tcp",
		[SBGW_PROTO_UDP] = "udp",
		[SBGW_PROTO_ICMPV4] = "icmpv4",
		[SBGW_PROTO_ICMPV6] = "icmpv6",
	};

	for (int p = SBGW_PROTO_TCP; p <= SBGW_PROTO_ICMPV6; p++)
		if (strcmp(text, names[p]) == 0)
			return p;
	return -EINVAL;
}

/* A decimal u16 of at most five digits and nothing else; -1 otherwise. */
static long decimal_port(const char *s, size_t len)
{
	long v = 0;

	if (len == 0 || len > PORT_DIGITS_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Port grammar of semantics §1.4: an integer, "N" or "LO-HI", all 0..65535. */
static int parse_rule_port(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_rule *r)
{
	const char *text, *dash;
	long lo, hi;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		long long v = config_setting_type(s) == CONFIG_TYPE_INT
				      ? config_setting_get_int(s)
				      : config_setting_get_int64(s);

		if (v < 0 || v > PORT_MAX) {
			cfg_error(ctx, s, "%lld: port must be in 0..65535", v);
			return -EINVAL;
		}
		lo = hi = (long)v;
		goto done;
	}
	text = config_setting_get_string(s);
	dash = strchr(text, '-');
	if (dash == NULL) {
		lo = hi = decimal_port(text, strlen(text));
	} else {
		lo = decimal_port(text, (size_t)(dash - text));
		hi = decimal_port(dash + 1, strlen(dash + 1));
	}
	if (lo < 0 || hi < 0) {
		cfg_error(ctx, s, "\"%s\": invalid port; expected a number or a range \"LO-HI\"",
			  CFG_Q(text));
		return -EINVAL;
	}
	if (lo > PORT_MAX || hi > PORT_MAX) {
		cfg_error(ctx, s, "\"%s\": port must be in 0..65535", CFG_Q(text));
		return -EINVAL;
	}
	if (lo > hi) {
		/* config.md's form of semantics' "invalid port range LO..HI; lo must be <= hi". */
		cfg_error(ctx, s, "\"%s\": range start must be <= end", CFG_Q(text));
		return -EINVAL;
	}
done:
	r->has_port = true;
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	return 0;
}

static int dest_ip(struct cfg_ctx *ctx, const config_setting_t *s, const char *text,
		   struct sbgw_rule *r)
{
	struct sbgw_addr a;

	if (sbgw_addr_parse(text, &a) < 0) {
		cfg_error(ctx, s, "invalid IP address \"%s\"", CFG_Q(text));
		return -EINVAL;
	}
	r->dest_kind = SBGW_DEST_CIDR;
	r->cidr.addr = a;
	r->cidr.len = a.family == AF_INET ? 32 : 128;
	sbgw_cidr_normalise(&r->cidr);
	return 0;
}

static int dest_cidr(struct cfg_ctx *ctx, const config_setting_t *s, const char *text,
		     struct sbgw_rule *r)
{
	/* Host bits may be set: 10.0.0.5/8 matches as 10.0.0.0/8 (semantics §1.5.1). */
	if (sbgw_cidr_parse(text, false, &r->cidr, NULL) < 0) {
		cfg_error(ctx, s, "invalid CIDR \"%s\"", CFG_Q(text));
		return -EINVAL;
	}
	r->dest_kind = SBGW_DEST_CIDR;
	sbgw_cidr_normalise(&r->cidr);
	return 0;
}

static int dest_name(struct cfg_ctx *ctx, const config_setting_t *s, const char *text,
		     bool suffix, struct sbgw_rule *r)
{
	const char *reason;
	int rc;

	rc = suffix ? sbgw_suffix_canonical(text, r->name, &reason)
		    : sbgw_name_canonical(text, r->name, &reason);
	if (rc < 0) {
		cfg_error(ctx, s, "invalid domain%s \"%s\": %s", suffix ? " suffix" : "",
			  CFG_Q(text), reason);
		return -EINVAL;
	}
	r->dest_kind = suffix ? SBGW_DEST_SUFFIX : SBGW_DEST_DOMAIN;
	return 0;
}

static int dest_group(struct cfg_ctx *ctx, const config_setting_t *s, const char *text,
		      struct sbgw_rule *r)
{
	int g = sbgw_group_parse(text);

	if (g < 0) {
		cfg_error(ctx, s, "unknown destination group: %s", CFG_Q(text));
		return -EINVAL;
	}
	r->dest_kind = SBGW_DEST_GROUP;
	r->group = (uint8_t)g;
	return 0;
}

/* The seed's string shorthand, in its resolution order (semantics §1.5.2). */
static int dest_shorthand(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_rule *r)
{
	const char *text = config_setting_get_string(s);
	struct sbgw_addr a;

	if (strcmp(text, "*") == 0) {
		r->dest_kind = SBGW_DEST_ANY;
		return 0;
	}
	if (strncmp(text, "domain=", strlen("domain=")) == 0)
		return dest_name(ctx, s, text + strlen("domain="), false, r);
	if (strncmp(text, "suffix=", strlen("suffix=")) == 0)
		return dest_name(ctx, s, text + strlen("suffix="), true, r);
	/* Case-sensitive: "Public" falls through to a domain, as in the seed. */
	if (sbgw_group_parse(text) >= 0)
		return dest_group(ctx, s, text, r);
	if (text[0] == '.')
		return dest_name(ctx, s, text, true, r);
	if (strchr(text, '/') != NULL)
		return dest_cidr(ctx, s, text, r);
	if (sbgw_addr_parse(text, &a) == 0)
		return dest_ip(ctx, s, text, r);
	return dest_name(ctx, s, text, false, r);
}

/* The typed form, the seed's NetworkDestination(kind, value). */
static int dest_typed(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_rule *r)
{
	const config_setting_t *km, *vm;
	const char *kind, *value;

	cfg_check_keys(ctx, s, dest_keys);
	km = cfg_member(s, "kind", CFG_T_STRING);
	vm = cfg_member(s, "value", CFG_T_STRING);
	if (km == NULL)
		return -EINVAL;
	kind = config_setting_get_string(km);
	if (strcmp(kind, "any") == 0) {
		if (vm != NULL) {
			/* It would be ignored; say so rather than guess what was meant. */
			cfg_error(ctx, vm, "destination kind `any` takes no value");
			return -EINVAL;
		}
		r->dest_kind = SBGW_DEST_ANY;
		return 0;
	}
	if (strcmp(kind, "ip") != 0 && strcmp(kind, "cidr") != 0 && strcmp(kind, "domain") != 0 &&
	    strcmp(kind, "domain_suffix") != 0 && strcmp(kind, "domain-suffix") != 0 &&
	    strcmp(kind, "group") != 0) {
		cfg_error(ctx, km, "unknown destination kind: %s", CFG_Q(kind));
		return -EINVAL;
	}
	if (vm == NULL) {
		if (config_setting_get_member(s, "value") == NULL)
			cfg_error(ctx, s, "destination is required for destination kind `%s`",
				  kind);
		return -EINVAL;
	}
	value = config_setting_get_string(vm);
	if (strcmp(kind, "ip") == 0)
		return dest_ip(ctx, vm, value, r);
	if (strcmp(kind, "cidr") == 0)
		return dest_cidr(ctx, vm, value, r);
	if (strcmp(kind, "domain") == 0)
		return dest_name(ctx, vm, value, false, r);
	if (strcmp(kind, "group") == 0)
		return dest_group(ctx, vm, value, r);
	return dest_name(ctx, vm, value, true, r);
}

/* A member string parsed by fn; reported as "unknown <what>: <s>". */
static int enum_member(struct cfg_ctx *ctx, const config_setting_t *s, const char *key,
		       int (*fn)(const char *), const char *what, int *out)
{
	const config_setting_t *m = cfg_member(s, key, CFG_T_STRING);
	int v;

	if (m == NULL)
		return config_setting_get_member(s, key) == NULL ? 0 : -EINVAL;
	v = fn(config_setting_get_string(m));
	if (v < 0) {
		cfg_error(ctx, m, "unknown %s: %s", what, CFG_Q(config_setting_get_string(m)));
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_rule(struct cfg_ctx *ctx, const config_setting_t *s, unsigned int index,
		      struct sbgw_rule *r)
{
	const config_setting_t *m;
	int action = SBGW_ACTION_DENY, dirs = SBGW_DIR_EGRESS, proto = SBGW_PROTO_ANY;
	int rc = 0;

	cfg_check_keys(ctx, s, rule_keys);
	if (cfg_member(s, "action", CFG_T_STRING) == NULL)
		rc = -EINVAL;
	if (enum_member(ctx, s, "action", action_parse, "rule action", &action) < 0)
		rc = -EINVAL;
	sbgw_rule_init(r, (enum sbgw_action)action);
	if (enum_member(ctx, s, "direction", direction_parse, "direction", &dirs) < 0)
		rc = -EINVAL;
	if (enum_member(ctx, s, "protocol", proto_parse, "protocol", &proto) < 0)
		rc = -EINVAL;
	r->dirs = (uint8_t)dirs;
	r->proto = (uint8_t)proto;
	r->line = cfg_line(s);
	/* Deviation D4: there is no inbound ICMP path, so such a rule could never match. */
	if ((dirs & SBGW_DIR_INGRESS) && (proto == SBGW_PROTO_ICMPV4 || proto == SBGW_PROTO_ICMPV6)) {
		cfg_error(ctx, cfg_member(s, "protocol", CFG_T_STRING),
			  "rule #%u: ICMP protocols are egress-only; ingress and any-direction "
			  "rules cannot include icmpv4 or icmpv6",
			  index);
		rc = -EINVAL;
	}
	m = cfg_member(s, "port", CFG_T_INT | CFG_T_STRING);
	if (m != NULL && parse_rule_port(ctx, m, r) < 0)
		rc = -EINVAL;
	m = cfg_member(s, "destination", CFG_T_STRING | CFG_T_GROUP);
	if (m != NULL) {
		int d = config_setting_is_group(m) ? dest_typed(ctx, m, r) : dest_shorthand(ctx, m, r);

		if (d < 0)
			rc = -EINVAL;
	}
	return rc;
}

static void set_lines(struct sbgw_policy *p, unsigned int from, unsigned int line)
{
	for (unsigned int i = from; i < p->n_rules; i++)
		p->rules[i].line = line;
}

static int parse_rules(struct cfg_ctx *ctx, const config_setting_t *seq, struct sbgw_policy *p)
{
	int n = config_setting_length(seq);

	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned int)i);
		unsigned int before = p->n_rules;
		struct sbgw_rule r;

		if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			const char *text = config_setting_get_string(e);

			if (strcmp(text, "allow_dns") != 0) {
				cfg_error(ctx, e, "unknown rule \"%s\"; the only rule written as a "
						  "string is \"allow_dns\"",
					  CFG_Q(text));
				continue;
			}
			/* Rule.allow_dns(): its two rules, in place. */
			if (sbgw_policy_append_allow_dns(p) < 0)
				return cfg_oom(ctx, e);
			set_lines(p, before, cfg_line(e));
			continue;
		}
		if (!config_setting_is_group(e)) {
			cfg_error(ctx, e, "expected a rule group or \"allow_dns\"");
			continue;
		}
		if (parse_rule(ctx, e, (unsigned int)i, &r) < 0)
			continue;
		if (sbgw_policy_append(p, &r) < 0)
			return cfg_oom(ctx, e);
	}
	return 0;
}

int cfg_parse_policy(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_policy *p,
		     bool *has_preset, enum sbgw_preset *preset_out)
{
	const config_setting_t *m;
	int preset, def;

	memset(p, 0, sizeof(*p));
	*has_preset = false;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		preset = cfg_preset_parse(config_setting_get_string(s));
		if (preset < 0) {
			cfg_error(ctx, s, "unknown network policy preset: %s",
				  CFG_Q(config_setting_get_string(s)));
			/* Keep going with the default so that later checks still run. */
			preset = SBGW_PRESET_PUBLIC_ONLY;
		} else {
			*has_preset = true;
		}
		*preset_out = (enum sbgw_preset)preset;
		if (sbgw_policy_preset(p, (enum sbgw_preset)preset) < 0)
			return cfg_oom(ctx, s);
		set_lines(p, 0, cfg_line(s));
		return 0;
	}
	cfg_check_keys(ctx, s, policy_keys);
	/* The seed's NetworkPolicy() defaults, not the engine's deny/deny. */
	p->default_egress = SBGW_ACTION_DENY;
	p->default_ingress = SBGW_ACTION_ALLOW;
	def = p->default_egress;
	if (enum_member(ctx, s, "default_egress", action_parse, "default_egress", &def) == 0)
		p->default_egress = (uint8_t)def;
	def = p->default_ingress;
	if (enum_member(ctx, s, "default_ingress", action_parse, "default_ingress", &def) == 0)
		p->default_ingress = (uint8_t)def;
	m = cfg_member(s, "rules", CFG_T_SEQ);
	if (m != NULL)
		return parse_rules(ctx, m, p);
	return 0;
}

int cfg_parse_deny_list(struct cfg_ctx *ctx, const config_setting_t *seq, bool suffix,
			struct sbgw_policy *rules)
{
	const char *list = suffix ? "deny_domain_suffixes" : "deny_domains";
	int n = config_setting_length(seq);

	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned int)i);
		const char *text, *reason;
		struct sbgw_rule r;
		int rc;

		if (!cfg_expect(ctx, e, CFG_T_STRING))
			continue;
		text = config_setting_get_string(e);
		sbgw_rule_init(&r, SBGW_ACTION_DENY);
		rc = suffix ? sbgw_suffix_canonical(text, r.name, &reason)
			    : sbgw_name_canonical(text, r.name, &reason);
		if (rc < 0) {
			cfg_error(ctx, e, "%s[\"%s\"]: %s", list, CFG_Q(text), reason);
			continue;
		}
		r.dest_kind = suffix ? SBGW_DEST_SUFFIX : SBGW_DEST_DOMAIN;
		r.line = cfg_line(e);
		if (sbgw_policy_append(rules, &r) < 0)
			return cfg_oom(ctx, e);
	}
	return 0;
}
