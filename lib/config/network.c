/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A sandbox's network group (the seed's Network, semantics §1.1): the
 * policy with deny_domains prepended, published ports, address pools,
 * limits and the sandbox-wide secret violation action. DNS and TLS are in
 * dns_tls.c, rules in policy_rules.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define IPV4_SLOT_PREFIX 30
#define IPV6_SLOT_PREFIX 64
#define DEFAULT_IPV4_POOL "172.16.0.0/12"
#define DEFAULT_IPV6_POOL "fd42:6d73:62::/48"
#define DEFAULT_BIND "127.0.0.1"
#define PORT_MAX 65535

static const struct cfg_key network_keys[] = {
	{"policy", CFG_T_STRING | CFG_T_GROUP, false},
	{"ports", CFG_T_SEQ, false},
	{"deny_domains", CFG_T_SEQ, false},
	{"deny_domain_suffixes", CFG_T_SEQ, false},
	{"dns", CFG_T_GROUP, false},
	{"tls", CFG_T_GROUP, false},
	{"ipv4_pool", CFG_T_STRING, false},
	{"ipv6_pool", CFG_T_STRING, false},
	{"max_connections", CFG_T_INT, false},
	{"on_secret_violation", CFG_T_STRING | CFG_T_GROUP, false},
	{NULL, 0, false},
};

static const struct cfg_key binding_keys[] = {
	{"host_port", CFG_T_INT, true},
	{"guest_port", CFG_T_INT, true},
	{"bind", CFG_T_STRING, false},
	{"protocol", CFG_T_STRING, false},
	{NULL, 0, false},
};

/* Everything but the policy, which needs an allocation. */
static void scalar_defaults(struct sbgw_network *net)
{
	bool unused;

	sbgw_cidr_parse(DEFAULT_IPV4_POOL, true, &net->ipv4_pool, &unused);
	sbgw_cidr_parse(DEFAULT_IPV6_POOL, true, &net->ipv6_pool, &unused);
	net->max_connections = SBGW_MAX_CONNECTIONS_DEFAULT;
	net->on_secret_violation.action = SBGW_VIOLATION_BLOCK_AND_LOG;
	cfg_dns_defaults(&net->dns);
}

int cfg_network_defaults(struct sbgw_network *net)
{
	int rc;

	memset(net, 0, sizeof(*net));
	scalar_defaults(net);
	rc = cfg_tls_defaults(&net->tls);
	if (rc < 0)
		return rc;
	net->has_policy_preset = true;
	net->preset = SBGW_PRESET_PUBLIC_ONLY;
	return sbgw_policy_preset(&net->policy, SBGW_PRESET_PUBLIC_ONLY);
}

void cfg_network_free(struct sbgw_network *net)
{
	sbgw_policy_clear(&net->policy);
	free(net->ports);
	cfg_dns_free(&net->dns);
	cfg_tls_free(&net->tls);
	cfg_violation_free(&net->on_secret_violation);
	memset(net, 0, sizeof(*net));
}

bool cfg_ports_conflict(const struct sbgw_port_binding *a, const struct sbgw_port_binding *b)
{
	if (a->proto != b->proto || a->host_port != b->host_port)
		return false;
	if (sbgw_addr_equal(&a->bind, &b->bind))
		return true;
	/* 0.0.0.0 takes the port on every IPv4 address, :: on every IPv6 one. */
	return a->bind.family == b->bind.family &&
	       (sbgw_addr_is_unspecified(&a->bind) || sbgw_addr_is_unspecified(&b->bind));
}

const char *cfg_port_clash_hint(const struct sbgw_port_binding *b,
				const struct sbgw_port_binding *other, char *hint, size_t len)
{
	char buf[CFG_PORT_STRLEN];

	if (sbgw_addr_equal(&b->bind, &other->bind))
		return "";
	snprintf(hint, len, " (as %s)", cfg_port_format(other, buf, sizeof(buf)));
	return hint;
}

const char *cfg_port_format(const struct sbgw_port_binding *b, char *buf, size_t len)
{
	char a[SBGW_ADDR_STRLEN];
	const char *proto = b->proto == SBGW_PORT_UDP ? "udp" : "tcp";

	sbgw_addr_format(&b->bind, a, sizeof(a));
	if (b->bind.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u/%s", a, b->host_port, proto);
	else
		snprintf(buf, len, "%s:%u/%s", a, b->host_port, proto);
	return buf;
}

/* A published port number: 1..65535 (semantics Q26 rejects 0). */
static int port_number(struct cfg_ctx *ctx, const config_setting_t *s, uint16_t *out)
{
	long long v;

	if (!cfg_expect(ctx, s, CFG_T_INT))
		return -EINVAL;
	v = config_setting_type(s) == CONFIG_TYPE_INT ? config_setting_get_int(s)
						       : config_setting_get_int64(s);
	if (v < 1 || v > PORT_MAX) {
		cfg_error(ctx, s, "port must be in 1..65535, got %lld", v);
		return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

static int parse_binding_group(struct cfg_ctx *ctx, const config_setting_t *s,
			       struct sbgw_port_binding *b)
{
	const config_setting_t *m;
	int rc = 0;

	cfg_check_keys(ctx, s, binding_keys);
	sbgw_addr_parse(DEFAULT_BIND, &b->bind);
	b->proto = SBGW_PORT_TCP;
	m = cfg_member(s, "host_port", CFG_T_INT);
	if (m == NULL || port_number(ctx, m, &b->host_port) < 0)
		rc = -EINVAL;
	m = cfg_member(s, "guest_port", CFG_T_INT);
	if (m == NULL || port_number(ctx, m, &b->guest_port) < 0)
		rc = -EINVAL;
	m = cfg_member(s, "bind", CFG_T_STRING);
	if (m != NULL && sbgw_addr_parse(config_setting_get_string(m), &b->bind) < 0) {
		cfg_error(ctx, m, "invalid bind address: %s", CFG_Q(config_setting_get_string(m)));
		rc = -EINVAL;
	}
	m = cfg_member(s, "protocol", CFG_T_STRING);
	if (m != NULL) {
		const char *p = config_setting_get_string(m);

		if (strcmp(p, "tcp") == 0) {
			b->proto = SBGW_PORT_TCP;
		} else if (strcmp(p, "udp") == 0) {
			b->proto = SBGW_PORT_UDP;
		} else {
			cfg_error(ctx, m, "invalid port protocol: %s", CFG_Q(p));
			rc = -EINVAL;
		}
	}
	/* A bind written as ::ffff:a.b.c.d is the IPv4 listener. */
	sbgw_addr_normalise(&b->bind);
	return rc;
}

/* The seed's mapping shorthand {host: guest} written as [ host, guest ]: TCP on 127.0.0.1. */
static int parse_binding_pair(struct cfg_ctx *ctx, const config_setting_t *s,
			      struct sbgw_port_binding *b)
{
	int rc = 0;

	if (config_setting_length(s) != 2) {
		cfg_error(ctx, s, "a port pair is [ host_port, guest_port ], got %d elements",
			  config_setting_length(s));
		return -EINVAL;
	}
	sbgw_addr_parse(DEFAULT_BIND, &b->bind);
	b->proto = SBGW_PORT_TCP;
	if (port_number(ctx, config_setting_get_elem(s, 0), &b->host_port) < 0)
		rc = -EINVAL;
	if (port_number(ctx, config_setting_get_elem(s, 1), &b->guest_port) < 0)
		rc = -EINVAL;
	return rc;
}

static int parse_ports(struct cfg_ctx *ctx, const config_setting_t *seq, bool is_none,
		       struct sbgw_network *net)
{
	char buf[CFG_PORT_STRLEN], hint[CFG_PORT_HINT_LEN];
	int n = config_setting_length(seq);

	if (n <= 0)
		return 0;
	if (is_none) {
		/* Deviation D1: with no NIC a published port can never reach the guest. */
		cfg_error(ctx, seq, "ports cannot be published with policy \"none\": it attaches "
				    "no network interface");
		return 0;
	}
	net->ports = calloc((size_t)n, sizeof(*net->ports));
	if (net->ports == NULL)
		return cfg_oom(ctx, seq);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned int)i);
		struct sbgw_port_binding *b = &net->ports[net->n_ports];
		int rc;

		memset(b, 0, sizeof(*b));
		if (config_setting_is_group(e)) {
			rc = parse_binding_group(ctx, e, b);
		} else if (config_setting_is_array(e)) {
			rc = parse_binding_pair(ctx, e, b);
		} else {
			cfg_error(ctx, e, "expected a port binding group or a [ host_port, "
					  "guest_port ] pair, got %s",
				  config_setting_is_list(e) ? "a list" : "a scalar");
			continue;
		}
		if (rc < 0)
			continue;
		b->line = cfg_line(e);
		b->index = (unsigned int)i;
		for (unsigned int j = 0; j < net->n_ports; j++) {
			if (!cfg_ports_conflict(b, &net->ports[j]))
				continue;
			cfg_error(ctx, e, "host port %s is already published by ports.[%u]%s",
				  cfg_port_format(b, buf, sizeof(buf)), net->ports[j].index,
				  cfg_port_clash_hint(b, &net->ports[j], hint, sizeof(hint)));
			rc = -EINVAL;
			break;
		}
		if (rc == 0)
			net->n_ports++;
	}
	return 0;
}

static void parse_pool(struct cfg_ctx *ctx, const config_setting_t *s, int family,
		       struct sbgw_cidr *out)
{
	const char *text = config_setting_get_string(s);
	const char *name = family == AF_INET ? "ipv4_pool" : "ipv6_pool";
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	unsigned int max = family == AF_INET ? IPV4_SLOT_PREFIX : IPV6_SLOT_PREFIX;
	struct sbgw_cidr c;
	bool host_bits;
	int rc;

	rc = sbgw_cidr_parse(text, true, &c, &host_bits);
	if (rc < 0 && host_bits) {
		char net[SBGW_CIDR_STRLEN];

		cfg_error(ctx, s, "invalid %s \"%s\": host bits are set (the network is %s)", name,
			  CFG_Q(text), sbgw_cidr_format(&c, net, sizeof(net)));
		return;
	}
	if (rc < 0 || c.addr.family != family || strchr(text, '/') == NULL) {
		cfg_error(ctx, s, "invalid %s \"%s\": expected an %s network such as %s", name,
			  CFG_Q(text), fam, family == AF_INET ? DEFAULT_IPV4_POOL : DEFAULT_IPV6_POOL);
		return;
	}
	if (c.len > max) {
		cfg_error(ctx, s, "invalid %s pool `%s`: prefix must be /%u or shorter", fam,
			  CFG_Q(text), max);
		return;
	}
	*out = c;
}

static void parse_max_connections(struct cfg_ctx *ctx, const config_setting_t *s,
				  struct sbgw_network *net)
{
	long long v = config_setting_type(s) == CONFIG_TYPE_INT ? config_setting_get_int(s)
								: config_setting_get_int64(s);

	if (v < 0)
		cfg_error(ctx, s, "max_connections must not be negative, got %lld", v);
	else if (v > SBGW_MAX_CONNECTIONS_LIMIT)
		cfg_error(ctx, s, "max_connections %lld exceeds hard limit %d", v,
			  SBGW_MAX_CONNECTIONS_LIMIT);
	else
		net->max_connections = (uint32_t)v;
}

/*
 * deny_domains then deny_domain_suffixes, in front of every other rule
 * (semantics §1.1 assembly rule 1; with no policy they go in front of
 * public_only, deviation D2).
 */
static int prepend_denies(struct cfg_ctx *ctx, const config_setting_t *s,
			  struct sbgw_network *net)
{
	struct sbgw_policy denies = {0};
	const config_setting_t *m;
	int rc = 0;

	m = cfg_member(s, "deny_domains", CFG_T_SEQ);
	if (m != NULL)
		rc = cfg_parse_deny_list(ctx, m, false, &denies);
	m = cfg_member(s, "deny_domain_suffixes", CFG_T_SEQ);
	if (rc == 0 && m != NULL)
		rc = cfg_parse_deny_list(ctx, m, true, &denies);
	if (rc == 0 && sbgw_policy_prepend(&net->policy, denies.rules, denies.n_rules) < 0)
		rc = cfg_oom(ctx, s);
	sbgw_policy_clear(&denies);
	return rc;
}

static int parse_policy_member(struct cfg_ctx *ctx, const config_setting_t *s,
			       struct sbgw_network *net)
{
	const config_setting_t *m = cfg_member(s, "policy", CFG_T_STRING | CFG_T_GROUP);

	if (m == NULL) {
		net->has_policy_preset = true;
		net->preset = SBGW_PRESET_PUBLIC_ONLY;
		if (sbgw_policy_preset(&net->policy, SBGW_PRESET_PUBLIC_ONLY) < 0)
			return cfg_oom(ctx, s);
		return 0;
	}
	return cfg_parse_policy(ctx, m, &net->policy, &net->has_policy_preset, &net->preset);
}

int cfg_parse_network(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_network *net,
		      bool *is_none)
{
	const config_setting_t *m;
	int rc;

	memset(net, 0, sizeof(*net));
	scalar_defaults(net);
	if (cfg_tls_defaults(&net->tls) < 0)
		return cfg_oom(ctx, s);
	cfg_check_keys(ctx, s, network_keys);
	rc = parse_policy_member(ctx, s, net);
	if (rc < 0)
		return rc;
	*is_none = net->has_policy_preset && net->preset == SBGW_PRESET_NONE;
	rc = prepend_denies(ctx, s, net);
	if (rc < 0)
		return rc;
	m = cfg_member(s, "ports", CFG_T_SEQ);
	if (m != NULL) {
		rc = parse_ports(ctx, m, *is_none, net);
		if (rc < 0)
			return rc;
	}
	m = cfg_member(s, "dns", CFG_T_GROUP);
	if (m != NULL) {
		rc = cfg_parse_dns(ctx, m, &net->dns);
		if (rc < 0)
			return rc;
	}
	m = cfg_member(s, "tls", CFG_T_GROUP);
	if (m != NULL) {
		rc = cfg_parse_tls(ctx, m, &net->tls);
		if (rc < 0)
			return rc;
	}
	m = cfg_member(s, "ipv4_pool", CFG_T_STRING);
	if (m != NULL)
		parse_pool(ctx, m, AF_INET, &net->ipv4_pool);
	m = cfg_member(s, "ipv6_pool", CFG_T_STRING);
	if (m != NULL)
		parse_pool(ctx, m, AF_INET6, &net->ipv6_pool);
	m = cfg_member(s, "max_connections", CFG_T_INT);
	if (m != NULL)
		parse_max_connections(ctx, m, net);
	m = cfg_member(s, "on_secret_violation", CFG_T_STRING | CFG_T_GROUP);
	if (m != NULL)
		return cfg_parse_violation(ctx, m, &net->on_secret_violation);
	return 0;
}
