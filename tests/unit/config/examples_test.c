/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config/sbgw.conf and config/examples/: every shipped file loads, and
 * each seed example normalises to what its Python means.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#ifndef SBGW_SOURCE_ROOT
#error "SBGW_SOURCE_ROOT must name the source tree"
#endif

static struct sbgw_config *load_example(const char *name)
{
	struct sbgw_config *cfg;
	char path[512], *err = NULL;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/config/%s", SBGW_SOURCE_ROOT, name);
	f = open_memstream(&err, &len);
	cfg = sbgw_config_load(path, f);
	fclose(f);
	if (cfg == NULL)
		print_error("%s", err);
	assert_non_null(cfg);
	assert_string_equal(err, "");
	free(err);
	return cfg;
}

static const struct sbgw_policy *policy0(const struct sbgw_config *cfg)
{
	return &cfg->sandboxes[0].net.policy;
}

static void example_default_config_loads(void **state)
{
	struct sbgw_config *cfg = load_example("sbgw.conf");

	(void)state;
	assert_string_equal(cfg->gw.uplink.device, "net_af_packet0,iface=sbgw-up");
	assert_int_equal(cfg->gw.dns_nameservers.n, 1);
	assert_string_equal(cfg->sandboxes[0].name, "demo");
	assert_string_equal(cfg->sandboxes[0].port, "net_af_packet1,iface=sbgw-g0");
	/* public_only with one deny_domains rule in front. */
	assert_int_equal(policy0(cfg)->n_rules, 4);
	assert_int_equal(policy0(cfg)->rules[0].dest_kind, SBGW_DEST_DOMAIN);
	sbgw_config_free(cfg);
}

static void example_typical_flow_matches_seed(void **state)
{
	struct sbgw_config *cfg = load_example("examples/typical-flow.conf");
	const struct sbgw_policy *p = policy0(cfg);
	const struct sbgw_network *net = &cfg->sandboxes[0].net;

	(void)state;
	assert_string_equal(cfg->sandboxes[0].name, "api");
	assert_int_equal(p->default_egress, SBGW_ACTION_DENY);
	assert_int_equal(p->default_ingress, SBGW_ACTION_ALLOW);
	assert_int_equal(p->n_rules, 3);
	assert_int_equal(p->rules[0].group, SBGW_GROUP_HOST);
	assert_int_equal(p->rules[2].proto, SBGW_PROTO_TCP);
	assert_int_equal(p->rules[2].port_lo, 443);
	assert_int_equal(p->rules[2].group, SBGW_GROUP_PUBLIC);
	assert_int_equal(net->n_ports, 1);
	assert_int_equal(net->ports[0].host_port, 8080);
	assert_int_equal(net->ports[0].guest_port, 80);
	sbgw_config_free(cfg);
}

static void example_rule_order_keeps_order(void **state)
{
	struct sbgw_config *cfg = load_example("examples/rule-order.conf");
	const struct sbgw_policy *p = policy0(cfg);

	(void)state;
	assert_int_equal(p->n_rules, 2);
	assert_int_equal(p->rules[0].action, SBGW_ACTION_ALLOW);
	assert_int_equal(p->rules[0].cidr.len, 8);
	assert_int_equal(p->rules[1].action, SBGW_ACTION_DENY);
	assert_int_equal(p->rules[1].cidr.len, 32);
	sbgw_config_free(cfg);
}

static void example_rule_factory_uses_typed_destinations(void **state)
{
	struct sbgw_config *cfg = load_example("examples/rule-factory.conf");
	const struct sbgw_policy *p = policy0(cfg);

	(void)state;
	assert_int_equal(p->n_rules, 2);
	assert_int_equal(p->rules[0].dest_kind, SBGW_DEST_CIDR);
	assert_int_equal(p->rules[0].cidr.addr.v4, 0x01010101);
	assert_int_equal(p->rules[1].dest_kind, SBGW_DEST_DOMAIN);
	assert_string_equal(p->rules[1].name, "api.example.com");
	sbgw_config_free(cfg);
}

static void example_allow_dns_expands(void **state)
{
	struct sbgw_config *cfg = load_example("examples/allow-dns.conf");
	const struct sbgw_policy *p = policy0(cfg);

	(void)state;
	assert_int_equal(p->n_rules, 3);
	assert_int_equal(p->rules[0].proto, SBGW_PROTO_UDP);
	assert_int_equal(p->rules[1].proto, SBGW_PROTO_TCP);
	sbgw_config_free(cfg);
}

static void example_deny_domains_prepends_public_only(void **state)
{
	struct sbgw_config *cfg = load_example("examples/deny-domains.conf");
	const struct sbgw_policy *p = policy0(cfg);

	(void)state;
	assert_int_equal(p->n_rules, 5);
	assert_int_equal(p->rules[0].dest_kind, SBGW_DEST_DOMAIN);
	assert_int_equal(p->rules[1].dest_kind, SBGW_DEST_SUFFIX);
	assert_int_equal(p->rules[4].group, SBGW_GROUP_PUBLIC);
	assert_int_equal(p->default_egress, SBGW_ACTION_DENY);
	sbgw_config_free(cfg);
}

static void example_pinned_nameservers_are_parsed(void **state)
{
	struct sbgw_config *cfg = load_example("examples/pinned-nameservers.conf");
	const struct sbgw_dns_config *dns = &cfg->sandboxes[0].net.dns;

	(void)state;
	assert_int_equal(dns->nameservers.n, 2);
	assert_int_equal(dns->nameservers.v[1].port, 5353);
	assert_int_equal(dns->query_timeout_ms, 2000);
	sbgw_config_free(cfg);
}

static void example_tls_bypass_turns_tls_on(void **state)
{
	struct sbgw_config *cfg = load_example("examples/tls-bypass.conf");
	const struct sbgw_tls_config *tls = &cfg->sandboxes[0].net.tls;

	(void)state;
	assert_true(tls->enabled);
	assert_int_equal(tls->bypass.n, 2);
	assert_string_equal(tls->bypass.v[1], "*.gov");
	sbgw_config_free(cfg);
}

static void example_published_ports_has_three(void **state)
{
	struct sbgw_config *cfg = load_example("examples/published-ports.conf");
	const struct sbgw_network *net = &cfg->sandboxes[0].net;

	(void)state;
	assert_int_equal(net->n_ports, 3);
	assert_true(sbgw_addr_is_unspecified(&net->ports[0].bind));
	assert_int_equal(net->ports[1].proto, SBGW_PORT_UDP);
	assert_int_equal(net->ports[2].bind.v4, 0x7f000001);
	sbgw_config_free(cfg);
}

static void example_none_has_no_nic(void **state)
{
	struct sbgw_config *cfg = load_example("examples/none.conf");

	(void)state;
	assert_false(cfg->sandboxes[0].link.nic_present);
	assert_null(cfg->sandboxes[0].port);
	assert_int_equal(policy0(cfg)->default_egress, SBGW_ACTION_DENY);
	assert_int_equal(policy0(cfg)->default_ingress, SBGW_ACTION_DENY);
	sbgw_config_free(cfg);
}

static void example_allow_all_allows(void **state)
{
	struct sbgw_config *cfg = load_example("examples/allow-all.conf");

	(void)state;
	assert_int_equal(policy0(cfg)->default_egress, SBGW_ACTION_ALLOW);
	assert_int_equal(policy0(cfg)->n_rules, 0);
	sbgw_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_default_config_loads),
		cmocka_unit_test(example_typical_flow_matches_seed),
		cmocka_unit_test(example_rule_order_keeps_order),
		cmocka_unit_test(example_rule_factory_uses_typed_destinations),
		cmocka_unit_test(example_allow_dns_expands),
		cmocka_unit_test(example_deny_domains_prepends_public_only),
		cmocka_unit_test(example_pinned_nameservers_are_parsed),
		cmocka_unit_test(example_tls_bypass_turns_tls_on),
		cmocka_unit_test(example_published_ports_has_three),
		cmocka_unit_test(example_none_has_no_nic),
		cmocka_unit_test(example_allow_all_allows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
