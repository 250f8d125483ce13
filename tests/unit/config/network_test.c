/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/network.c: the network group (semantics §1.1): defaults,
 * published ports in both forms, pools, max_connections, deny_domains
 * assembly (D2) and on_secret_violation.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static const struct sbgw_network *net_of(const struct sbgw_config *cfg)
{
	return &cfg->sandboxes[0].net;
}

static void network_omitted_is_public_only_with_defaults(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("");
	const struct sbgw_network *net = net_of(cfg);
	char a[SBGW_CIDR_STRLEN];

	(void)state;
	assert_true(net->has_policy_preset);
	assert_int_equal(net->preset, SBGW_PRESET_PUBLIC_ONLY);
	assert_int_equal(net->policy.n_rules, 3);
	assert_int_equal(net->n_ports, 0);
	assert_int_equal(net->max_connections, SBGW_MAX_CONNECTIONS_DEFAULT);
	assert_int_equal(net->on_secret_violation.action, SBGW_VIOLATION_BLOCK_AND_LOG);
	assert_string_equal(sbgw_cidr_format(&net->ipv4_pool, a, sizeof(a)), "172.16.0.0/12");
	assert_string_equal(sbgw_cidr_format(&net->ipv6_pool, a, sizeof(a)), "fd42:6d73:62::/48");
	assert_true(net->dns.rebind_protection);
	assert_int_equal(net->dns.query_timeout_ms, SBGW_DNS_TIMEOUT_MS_DEFAULT);
	assert_false(net->tls.enabled);
	sbgw_config_free(cfg);
}

static void network_empty_group_equals_omitted(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { };");

	(void)state;
	assert_int_equal(net_of(cfg)->preset, SBGW_PRESET_PUBLIC_ONLY);
	assert_int_equal(net_of(cfg)->policy.n_rules, 3);
	sbgw_config_free(cfg);
}

/* ---- Published ports ---- */

static void ports_pair_is_tcp_on_loopback(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { ports = ( [ 8080, 80 ] ); };");
	const struct sbgw_port_binding *b = &net_of(cfg)->ports[0];
	char a[SBGW_ADDR_STRLEN];

	(void)state;
	assert_int_equal(net_of(cfg)->n_ports, 1);
	assert_int_equal(b->host_port, 8080);
	assert_int_equal(b->guest_port, 80);
	assert_int_equal(b->proto, SBGW_PORT_TCP);
	assert_string_equal(sbgw_addr_format(&b->bind, a, sizeof(a)), "127.0.0.1");
	assert_int_equal(b->line, SB_LINE);
	sbgw_config_free(cfg);
}

static void ports_group_defaults_to_tcp_loopback(void **state)
{
	struct sbgw_config *cfg =
		must_load_sandbox("network = { ports = ( { host_port = 8080; guest_port = 80; } ); };");
	const struct sbgw_port_binding *b = &net_of(cfg)->ports[0];

	(void)state;
	assert_int_equal(b->proto, SBGW_PORT_TCP);
	assert_int_equal(b->bind.family, AF_INET);
	assert_int_equal(b->bind.v4, 0x7f000001);
	sbgw_config_free(cfg);
}

static void ports_group_udp_with_bind(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { ports = ( { host_port = 5353; guest_port = 53; bind = \"::\"; protocol = "
		"\"udp\"; } ); };");
	const struct sbgw_port_binding *b = &net_of(cfg)->ports[0];

	(void)state;
	assert_int_equal(b->proto, SBGW_PORT_UDP);
	assert_int_equal(b->bind.family, AF_INET6);
	sbgw_config_free(cfg);
}

static void ports_mixed_forms_keep_order(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { ports = ( [ 8080, 80 ], { host_port = 8443; guest_port = 443; } ); };");

	(void)state;
	assert_int_equal(net_of(cfg)->n_ports, 2);
	assert_int_equal(net_of(cfg)->ports[1].host_port, 8443);
	assert_int_equal(net_of(cfg)->ports[1].index, 1);
	sbgw_config_free(cfg);
}

static void ports_host_port_zero_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ports = ( [ 0, 80 ] ); };",
				  "sandboxes.[0].network.ports.[0].[0]: port must be in 1..65535, "
				  "got 0");
}

static void ports_guest_port_too_large_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ports = ( { host_port = 80; guest_port = 65536; } ); };",
				  "sandboxes.[0].network.ports.[0].guest_port: port must be in "
				  "1..65535, got 65536");
}

static void ports_group_requires_guest_port(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ports = ( { host_port = 80; } ); };",
				  "sandboxes.[0].network.ports.[0].guest_port: required setting is "
				  "missing");
}

static void ports_pair_needs_two_elements(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ports = ( [ 80, 80, 80 ] ); };",
				  "sandboxes.[0].network.ports.[0]: a port pair is [ host_port, "
				  "guest_port ], got 3 elements");
}

static void ports_pair_of_strings_is_rejected(void **state)
{
	(void)state;
	assert_load_fails_with(GW_TEXT "sandboxes = ( { name = \"sb\"; port = \"p0\"; network = { "
				       "ports = ( [ \"80\", \"80\" ] ); }; } );\n",
			       "t.conf:3: sandboxes.[0].network.ports.[0].[0]: expected an integer, "
			       "got a string\n"
			       "t.conf:3: sandboxes.[0].network.ports.[0].[1]: expected an integer, "
			       "got a string\n");
}

static void ports_scalar_entry_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ports = [ 8080 ]; };",
				  "sandboxes.[0].network.ports.[0]: expected a port binding group or "
				  "a [ host_port, guest_port ] pair, got a scalar");
}

static void ports_bind_invalid_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with(
		"network = { ports = ( { host_port = 80; guest_port = 80; bind = \"localhost\"; } ); };",
		"sandboxes.[0].network.ports.[0].bind: invalid bind address: localhost");
}

static void ports_protocol_invalid_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with(
		"network = { ports = ( { host_port = 80; guest_port = 80; protocol = \"sctp\"; } ); };",
		"sandboxes.[0].network.ports.[0].protocol: invalid port protocol: sctp");
}

static void ports_duplicate_in_one_sandbox_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with(
		"network = { ports = ( [ 8080, 80 ], { host_port = 8080; guest_port = 81; } ); };",
		"sandboxes.[0].network.ports.[1]: host port 127.0.0.1:8080/tcp is already published "
		"by ports.[0]");
}

static void ports_same_port_other_protocol_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { ports = ( [ 53, 53 ], { host_port = 53; guest_port = 53; protocol = "
		"\"udp\"; } ); };");

	(void)state;
	assert_int_equal(net_of(cfg)->n_ports, 2);
	sbgw_config_free(cfg);
}

static void ports_wildcard_bind_conflicts_with_specific(void **state)
{
	(void)state;
	assert_sandbox_fails_with(
		"network = { ports = ( [ 8080, 80 ], { host_port = 8080; guest_port = 80; bind = "
		"\"0.0.0.0\"; } ); };",
		"sandboxes.[0].network.ports.[1]: host port 0.0.0.0:8080/tcp is already published by "
		"ports.[0] (as 127.0.0.1:8080/tcp)");
}

static void ports_other_family_wildcard_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { ports = ( { host_port = 80; guest_port = 80; bind = \"0.0.0.0\"; }, { "
		"host_port = 80; guest_port = 80; bind = \"::\"; } ); };");

	(void)state;
	assert_int_equal(net_of(cfg)->n_ports, 2);
	sbgw_config_free(cfg);
}

static void ports_with_policy_none_are_rejected(void **state)
{
	(void)state;
	assert_load_fails_with(GW_TEXT "sandboxes = ( { name = \"sb\"; network = { policy = "
				       "\"none\"; ports = ( [ 8080, 80 ] ); }; } );\n",
			       "t.conf:3: sandboxes.[0].network.ports: ports cannot be published "
			       "with policy \"none\": it attaches no network interface\n");
}

/* ---- Pools ---- */

static void pool_ipv4_custom_is_used(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { ipv4_pool = \"10.200.0.0/16\"; };");
	char a[SBGW_ADDR_STRLEN];

	(void)state;
	assert_string_equal(sbgw_addr_format(&cfg->sandboxes[0].link.guest4, a, sizeof(a)),
			    "10.200.0.2");
	sbgw_config_free(cfg);
}

static void pool_ipv4_slash_31_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ipv4_pool = \"10.0.0.0/31\"; };",
				  "sandboxes.[0].network.ipv4_pool: invalid IPv4 pool `10.0.0.0/31`: "
				  "prefix must be /30 or shorter");
}

static void pool_ipv4_slash_30_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { ipv4_pool = \"10.0.0.0/30\"; };");

	(void)state;
	assert_int_equal(cfg->sandboxes[0].link.slot4, 0);
	sbgw_config_free(cfg);
}

static void pool_ipv6_slash_96_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ipv6_pool = \"fd00::/96\"; };",
				  "sandboxes.[0].network.ipv6_pool: invalid IPv6 pool `fd00::/96`: "
				  "prefix must be /64 or shorter");
}

static void pool_host_bits_are_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ipv4_pool = \"10.0.0.1/16\"; };",
				  "sandboxes.[0].network.ipv4_pool: invalid ipv4_pool "
				  "\"10.0.0.1/16\": host bits are set (the network is 10.0.0.0/16)");
}

static void pool_wrong_family_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ipv4_pool = \"fd00::/48\"; };",
				  "sandboxes.[0].network.ipv4_pool: invalid ipv4_pool \"fd00::/48\": "
				  "expected an IPv4 network such as 172.16.0.0/12");
}

static void pool_bare_address_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { ipv6_pool = \"fd00::\"; };",
				  "sandboxes.[0].network.ipv6_pool: invalid ipv6_pool \"fd00::\": "
				  "expected an IPv6 network such as fd42:6d73:62::/48");
}

/* ---- max_connections ---- */

static void max_connections_zero_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { max_connections = 0; };");

	(void)state;
	assert_int_equal(net_of(cfg)->max_connections, 0);
	sbgw_config_free(cfg);
}

static void max_connections_4096_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { max_connections = 4096; };");

	(void)state;
	assert_int_equal(net_of(cfg)->max_connections, 4096);
	sbgw_config_free(cfg);
}

static void max_connections_above_limit_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { max_connections = 5000; };",
				  "sandboxes.[0].network.max_connections: max_connections 5000 "
				  "exceeds hard limit 4096");
}

static void max_connections_negative_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { max_connections = -1; };",
				  "sandboxes.[0].network.max_connections: max_connections must not "
				  "be negative, got -1");
}

/* ---- deny_domains (semantics §1.1 assembly, D2) ---- */

static void deny_domains_without_policy_prepend_public_only(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { deny_domains = [ \"Blocked.Test\" ]; };");
	const struct sbgw_policy *p = &net_of(cfg)->policy;

	(void)state;
	assert_int_equal(p->n_rules, 4);
	assert_int_equal(p->rules[0].action, SBGW_ACTION_DENY);
	assert_int_equal(p->rules[0].dirs, SBGW_DIR_EGRESS);
	assert_int_equal(p->rules[0].dest_kind, SBGW_DEST_DOMAIN);
	assert_string_equal(p->rules[0].name, "blocked.test");
	/* D2: public_only's defaults stay, unlike microsandbox's allow/allow. */
	assert_int_equal(p->default_egress, SBGW_ACTION_DENY);
	assert_int_equal(p->rules[3].group, SBGW_GROUP_PUBLIC);
	sbgw_config_free(cfg);
}

static void deny_domains_come_before_suffixes(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { deny_domain_suffixes = [ \".tracking.com\" ]; deny_domains = [ \"a.com\", "
		"\"b.com\" ]; };");
	const struct sbgw_policy *p = &net_of(cfg)->policy;

	(void)state;
	assert_string_equal(p->rules[0].name, "a.com");
	assert_string_equal(p->rules[1].name, "b.com");
	assert_int_equal(p->rules[2].dest_kind, SBGW_DEST_SUFFIX);
	assert_string_equal(p->rules[2].name, "tracking.com");
	sbgw_config_free(cfg);
}

static void deny_domains_prepend_custom_policy(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { policy = { default_egress = \"allow\"; rules = ( { action = \"allow\"; "
		"destination = \"a.com\"; } ); }; deny_domains = [ \"a.com\" ]; };");
	const struct sbgw_policy *p = &net_of(cfg)->policy;

	(void)state;
	assert_int_equal(p->n_rules, 2);
	assert_int_equal(p->rules[0].action, SBGW_ACTION_DENY);
	assert_int_equal(p->rules[1].action, SBGW_ACTION_ALLOW);
	assert_int_equal(p->default_egress, SBGW_ACTION_ALLOW);
	sbgw_config_free(cfg);
}

static void deny_domains_prepend_allow_all(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { policy = \"allow_all\"; deny_domains = [ \"a.com\" ]; };");

	(void)state;
	assert_int_equal(net_of(cfg)->policy.n_rules, 1);
	assert_int_equal(net_of(cfg)->policy.default_egress, SBGW_ACTION_ALLOW);
	sbgw_config_free(cfg);
}

static void deny_domains_invalid_uses_seed_message(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { deny_domains = [ \"http://x.com\" ]; };",
				  "sandboxes.[0].network.deny_domains.[0]: "
				  "deny_domains[\"http://x.com\"]: domain name contains ':'; write "
				  "the name without a URL scheme or port");
}

static void deny_domain_suffixes_single_label_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { deny_domain_suffixes = [ \".com\" ]; };",
				  "sandboxes.[0].network.deny_domain_suffixes.[0]: "
				  "deny_domain_suffixes[\".com\"]: suffix is a single DNS label and "
				  "would match every domain under that TLD; add at least one parent "
				  "label");
}

static void deny_domains_entries_must_be_strings(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { deny_domains = [ 1 ]; };",
				  "sandboxes.[0].network.deny_domains.[0]: expected a string, got an "
				  "integer");
}

/* ---- on_secret_violation ---- */

static void on_secret_violation_hyphen_string(void **state)
{
	struct sbgw_config *cfg =
		must_load_sandbox("network = { on_secret_violation = \"block-and-terminate\"; };");

	(void)state;
	assert_int_equal(net_of(cfg)->on_secret_violation.action,
			 SBGW_VIOLATION_BLOCK_AND_TERMINATE);
	sbgw_config_free(cfg);
}

static void on_secret_violation_group_passthrough_hosts(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { on_secret_violation = { passthrough_hosts = [ \"Example.com\" ]; }; };");
	const struct sbgw_violation *v = &net_of(cfg)->on_secret_violation;

	(void)state;
	assert_int_equal(v->action, SBGW_VIOLATION_PASSTHROUGH);
	assert_false(v->all_hosts);
	assert_int_equal(v->hosts.n, 1);
	assert_string_equal(v->hosts.v[0], "example.com");
	sbgw_config_free(cfg);
}

static void on_secret_violation_unknown_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { on_secret_violation = \"log\"; };",
				  "sandboxes.[0].network.on_secret_violation: unknown violation "
				  "action: log");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(network_omitted_is_public_only_with_defaults),
		cmocka_unit_test(network_empty_group_equals_omitted),
		cmocka_unit_test(ports_pair_is_tcp_on_loopback),
		cmocka_unit_test(ports_group_defaults_to_tcp_loopback),
		cmocka_unit_test(ports_group_udp_with_bind),
		cmocka_unit_test(ports_mixed_forms_keep_order),
		cmocka_unit_test(ports_host_port_zero_is_rejected),
		cmocka_unit_test(ports_guest_port_too_large_is_rejected),
		cmocka_unit_test(ports_group_requires_guest_port),
		cmocka_unit_test(ports_pair_needs_two_elements),
		cmocka_unit_test(ports_pair_of_strings_is_rejected),
		cmocka_unit_test(ports_scalar_entry_is_rejected),
		cmocka_unit_test(ports_bind_invalid_is_rejected),
		cmocka_unit_test(ports_protocol_invalid_is_rejected),
		cmocka_unit_test(ports_duplicate_in_one_sandbox_is_rejected),
		cmocka_unit_test(ports_same_port_other_protocol_is_accepted),
		cmocka_unit_test(ports_wildcard_bind_conflicts_with_specific),
		cmocka_unit_test(ports_other_family_wildcard_is_accepted),
		cmocka_unit_test(ports_with_policy_none_are_rejected),
		cmocka_unit_test(pool_ipv4_custom_is_used),
		cmocka_unit_test(pool_ipv4_slash_31_is_rejected),
		cmocka_unit_test(pool_ipv4_slash_30_is_accepted),
		cmocka_unit_test(pool_ipv6_slash_96_is_rejected),
		cmocka_unit_test(pool_host_bits_are_rejected),
		cmocka_unit_test(pool_wrong_family_is_rejected),
		cmocka_unit_test(pool_bare_address_is_rejected),
		cmocka_unit_test(max_connections_zero_is_accepted),
		cmocka_unit_test(max_connections_4096_is_accepted),
		cmocka_unit_test(max_connections_above_limit_is_rejected),
		cmocka_unit_test(max_connections_negative_is_rejected),
		cmocka_unit_test(deny_domains_without_policy_prepend_public_only),
		cmocka_unit_test(deny_domains_come_before_suffixes),
		cmocka_unit_test(deny_domains_prepend_custom_policy),
		cmocka_unit_test(deny_domains_prepend_allow_all),
		cmocka_unit_test(deny_domains_invalid_uses_seed_message),
		cmocka_unit_test(deny_domain_suffixes_single_label_is_rejected),
		cmocka_unit_test(deny_domains_entries_must_be_strings),
		cmocka_unit_test(on_secret_violation_hyphen_string),
		cmocka_unit_test(on_secret_violation_group_passthrough_hosts),
		cmocka_unit_test(on_secret_violation_unknown_is_rejected),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
