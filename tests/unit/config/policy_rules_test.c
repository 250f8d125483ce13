/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/policy_rules.c: presets, the policy group, rules, the port
 * grammar and destinations in both forms (semantics §1.2-§1.5).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* Load one sandbox whose policy has exactly the rule group rule. */
static struct sbgw_config *load_rule(const char *rule)
{
	char body[1024];

	snprintf(body, sizeof(body), "network = { policy = { rules = ( %s ); }; };", rule);
	return must_load_sandbox(body);
}

static const struct sbgw_policy *policy_of(const struct sbgw_config *cfg)
{
	return &cfg->sandboxes[0].net.policy;
}

/* A single-rule policy's rule with a string destination. */
static struct sbgw_rule dest_rule(const char *dest)
{
	char rule[512];
	struct sbgw_config *cfg;
	struct sbgw_rule r;

	snprintf(rule, sizeof(rule), "{ action = \"allow\"; destination = %s; }", dest);
	cfg = load_rule(rule);
	assert_int_equal(policy_of(cfg)->n_rules, 1);
	r = policy_of(cfg)->rules[0];
	sbgw_config_free(cfg);
	return r;
}

static void rule_fails_with(const char *rule, const char *expected)
{
	char body[1024];

	snprintf(body, sizeof(body), "network = { policy = { rules = ( %s ); }; };", rule);
	assert_sandbox_fails_with(body, expected);
}

static void format_cidr(const struct sbgw_rule *r, char *buf)
{
	sbgw_cidr_format(&r->cidr, buf, SBGW_CIDR_STRLEN);
}

/* ---- Presets ---- */

static void preset_public_only_has_dns_and_public_rules(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { policy = \"public_only\"; };");
	const struct sbgw_policy *p = policy_of(cfg);

	(void)state;
	assert_true(cfg->sandboxes[0].net.has_policy_preset);
	assert_int_equal(cfg->sandboxes[0].net.preset, SBGW_PRESET_PUBLIC_ONLY);
	assert_int_equal(p->default_egress, SBGW_ACTION_DENY);
	assert_int_equal(p->default_ingress, SBGW_ACTION_ALLOW);
	assert_int_equal(p->n_rules, 3);
	assert_int_equal(p->rules[2].group, SBGW_GROUP_PUBLIC);
	assert_int_equal(p->rules[2].line, SB_LINE);
	sbgw_config_free(cfg);
}

static void preset_public_only_hyphen_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { policy = \"public-only\"; };");

	(void)state;
	assert_int_equal(cfg->sandboxes[0].net.preset, SBGW_PRESET_PUBLIC_ONLY);
	sbgw_config_free(cfg);
}

static void preset_allow_all_allows_both_directions(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { policy = \"allow-all\"; };");
	const struct sbgw_policy *p = policy_of(cfg);

	(void)state;
	assert_int_equal(cfg->sandboxes[0].net.preset, SBGW_PRESET_ALLOW_ALL);
	assert_int_equal(p->default_egress, SBGW_ACTION_ALLOW);
	assert_int_equal(p->default_ingress, SBGW_ACTION_ALLOW);
	assert_int_equal(p->n_rules, 0);
	sbgw_config_free(cfg);
}

static void preset_allow_all_underscore_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { policy = \"allow_all\"; };");

	(void)state;
	assert_int_equal(cfg->sandboxes[0].net.preset, SBGW_PRESET_ALLOW_ALL);
	sbgw_config_free(cfg);
}

static void preset_unknown_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { policy = \"bogus\"; };",
				  "sandboxes.[0].network.policy: unknown network policy preset: "
				  "bogus");
}

static void preset_is_case_sensitive(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { policy = \"Public_Only\"; };",
				  "sandboxes.[0].network.policy: unknown network policy preset: "
				  "Public_Only");
}

/* ---- Policy group ---- */

static void policy_group_defaults_are_deny_allow(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { policy = { }; };");
	const struct sbgw_policy *p = policy_of(cfg);

	(void)state;
	assert_false(cfg->sandboxes[0].net.has_policy_preset);
	assert_int_equal(p->default_egress, SBGW_ACTION_DENY);
	assert_int_equal(p->default_ingress, SBGW_ACTION_ALLOW);
	/* No implicit rules in a custom policy (semantics §1.1 rule 4). */
	assert_int_equal(p->n_rules, 0);
	sbgw_config_free(cfg);
}

static void policy_group_defaults_are_set(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { policy = { default_egress = \"allow\"; default_ingress = \"deny\"; }; };");

	(void)state;
	assert_int_equal(policy_of(cfg)->default_egress, SBGW_ACTION_ALLOW);
	assert_int_equal(policy_of(cfg)->default_ingress, SBGW_ACTION_DENY);
	sbgw_config_free(cfg);
}

static void policy_default_egress_unknown_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { policy = { default_egress = \"drop\"; }; };",
				  "sandboxes.[0].network.policy.default_egress: unknown "
				  "default_egress: drop");
}

static void policy_default_ingress_unknown_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { policy = { default_ingress = \"ALLOW\"; }; };",
				  "sandboxes.[0].network.policy.default_ingress: unknown "
				  "default_ingress: ALLOW");
}

static void policy_allow_dns_expands_to_two_rules(void **state)
{
	struct sbgw_config *cfg = load_rule("\"allow_dns\"");
	const struct sbgw_policy *p = policy_of(cfg);

	(void)state;
	assert_int_equal(p->n_rules, 2);
	assert_int_equal(p->rules[0].proto, SBGW_PROTO_UDP);
	assert_int_equal(p->rules[1].proto, SBGW_PROTO_TCP);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(p->rules[i].action, SBGW_ACTION_ALLOW);
		assert_int_equal(p->rules[i].dirs, SBGW_DIR_EGRESS);
		assert_int_equal(p->rules[i].dest_kind, SBGW_DEST_GROUP);
		assert_int_equal(p->rules[i].group, SBGW_GROUP_HOST);
		assert_int_equal(p->rules[i].port_lo, 53);
		assert_int_equal(p->rules[i].port_hi, 53);
		assert_int_equal(p->rules[i].line, SB_LINE);
	}
	sbgw_config_free(cfg);
}

static void policy_allow_dns_keeps_its_place(void **state)
{
	struct sbgw_config *cfg =
		load_rule("{ action = \"deny\"; destination = \"10.0.0.1\"; }, \"allow_dns\", "
			  "{ action = \"allow\"; destination = \"public\"; }");
	const struct sbgw_policy *p = policy_of(cfg);

	(void)state;
	assert_int_equal(p->n_rules, 4);
	assert_int_equal(p->rules[0].dest_kind, SBGW_DEST_CIDR);
	assert_int_equal(p->rules[1].group, SBGW_GROUP_HOST);
	assert_int_equal(p->rules[2].group, SBGW_GROUP_HOST);
	assert_int_equal(p->rules[3].group, SBGW_GROUP_PUBLIC);
	sbgw_config_free(cfg);
}

static void policy_unknown_rule_string_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("\"allow_all\"",
			"sandboxes.[0].network.policy.rules.[0]: unknown rule \"allow_all\"; the only "
			"rule written as a string is \"allow_dns\"");
}

static void policy_rule_must_be_group_or_string(void **state)
{
	(void)state;
	rule_fails_with("5", "sandboxes.[0].network.policy.rules.[0]: expected a rule group or "
			     "\"allow_dns\"");
}

static void policy_rules_keep_file_lines(void **state)
{
	struct sbgw_config *cfg = must_load(
		GW_TEXT "sandboxes = ( { name = \"sb\"; port = \"p\";\n"
			"  network = { policy = { rules = (\n"
			"    { action = \"allow\"; },\n"
			"    { action = \"deny\"; }\n"
			"  ); }; };\n"
			"} );\n");

	(void)state;
	assert_int_equal(policy_of(cfg)->rules[0].line, 5);
	assert_int_equal(policy_of(cfg)->rules[1].line, 6);
	sbgw_config_free(cfg);
}

/* ---- Rule fields ---- */

static void rule_defaults_are_egress_any(void **state)
{
	struct sbgw_config *cfg = load_rule("{ action = \"deny\"; }");
	const struct sbgw_rule *r = &policy_of(cfg)->rules[0];

	(void)state;
	assert_int_equal(r->action, SBGW_ACTION_DENY);
	assert_int_equal(r->dirs, SBGW_DIR_EGRESS);
	assert_int_equal(r->proto, SBGW_PROTO_ANY);
	assert_false(r->has_port);
	assert_int_equal(r->dest_kind, SBGW_DEST_ANY);
	sbgw_config_free(cfg);
}

static void rule_action_is_required(void **state)
{
	(void)state;
	rule_fails_with("{ protocol = \"tcp\"; }",
			"sandboxes.[0].network.policy.rules.[0].action: required setting is missing");
}

static void rule_action_unknown_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"permit\"; }",
			"sandboxes.[0].network.policy.rules.[0].action: unknown rule action: permit");
}

static void rule_direction_any_sets_both_bits(void **state)
{
	struct sbgw_config *cfg = load_rule("{ action = \"deny\"; direction = \"any\"; }");

	(void)state;
	assert_int_equal(policy_of(cfg)->rules[0].dirs, SBGW_DIR_ANY);
	sbgw_config_free(cfg);
}

static void rule_direction_ingress_is_parsed(void **state)
{
	struct sbgw_config *cfg = load_rule("{ action = \"deny\"; direction = \"ingress\"; }");

	(void)state;
	assert_int_equal(policy_of(cfg)->rules[0].dirs, SBGW_DIR_INGRESS);
	sbgw_config_free(cfg);
}

static void rule_direction_unknown_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"deny\"; direction = \"inbound\"; }",
			"sandboxes.[0].network.policy.rules.[0].direction: unknown direction: "
			"inbound");
}

static void rule_protocol_unknown_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"deny\"; protocol = \"icmp\"; }",
			"sandboxes.[0].network.policy.rules.[0].protocol: unknown protocol: icmp");
}

static void rule_icmp_ingress_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; direction = \"ingress\"; protocol = \"icmpv4\"; }",
			"sandboxes.[0].network.policy.rules.[0].protocol: rule #0: ICMP protocols "
			"are egress-only; ingress and any-direction rules cannot include icmpv4 or "
			"icmpv6");
}

static void rule_icmpv6_any_direction_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("\"allow_dns\", { action = \"deny\"; direction = \"any\"; protocol = "
			"\"icmpv6\"; }",
			"sandboxes.[0].network.policy.rules.[1].protocol: rule #1: ICMP protocols "
			"are egress-only; ingress and any-direction rules cannot include icmpv4 or "
			"icmpv6");
}

static void rule_icmp_egress_with_port_is_accepted(void **state)
{
	/* Conformance 25: a dead rule, but the seed accepts it. */
	struct sbgw_config *cfg = load_rule("{ action = \"deny\"; protocol = \"icmpv4\"; port = 1; }");

	(void)state;
	assert_int_equal(policy_of(cfg)->rules[0].proto, SBGW_PROTO_ICMPV4);
	assert_true(policy_of(cfg)->rules[0].has_port);
	sbgw_config_free(cfg);
}

/* ---- Port grammar ---- */

static void port_integer_is_single_port(void **state)
{
	struct sbgw_config *cfg = load_rule("{ action = \"allow\"; port = 443; }");
	const struct sbgw_rule *r = &policy_of(cfg)->rules[0];

	(void)state;
	assert_true(r->has_port);
	assert_int_equal(r->port_lo, 443);
	assert_int_equal(r->port_hi, 443);
	sbgw_config_free(cfg);
}

static void port_zero_is_accepted_in_rules(void **state)
{
	struct sbgw_config *cfg = load_rule("{ action = \"allow\"; port = 0; }");

	(void)state;
	assert_int_equal(policy_of(cfg)->rules[0].port_hi, 0);
	sbgw_config_free(cfg);
}

static void port_decimal_string_is_single_port(void **state)
{
	struct sbgw_config *cfg = load_rule("{ action = \"allow\"; port = \"8080\"; }");

	(void)state;
	assert_int_equal(policy_of(cfg)->rules[0].port_lo, 8080);
	assert_int_equal(policy_of(cfg)->rules[0].port_hi, 8080);
	sbgw_config_free(cfg);
}

static void port_range_is_inclusive(void **state)
{
	struct sbgw_config *cfg = load_rule("{ action = \"allow\"; port = \"8000-9000\"; }");

	(void)state;
	assert_int_equal(policy_of(cfg)->rules[0].port_lo, 8000);
	assert_int_equal(policy_of(cfg)->rules[0].port_hi, 9000);
	sbgw_config_free(cfg);
}

static void port_range_reversed_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; port = \"9000-8000\"; }",
			"sandboxes.[0].network.policy.rules.[0].port: \"9000-8000\": range start "
			"must be <= end");
}

static void port_integer_above_65535_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; port = 70000; }",
			"sandboxes.[0].network.policy.rules.[0].port: 70000: port must be in "
			"0..65535");
}

static void port_negative_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; port = -1; }",
			"sandboxes.[0].network.policy.rules.[0].port: -1: port must be in 0..65535");
}

static void port_string_above_65535_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; port = \"1-70000\"; }",
			"sandboxes.[0].network.policy.rules.[0].port: \"1-70000\": port must be in "
			"0..65535");
}

static void port_word_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; port = \"any\"; }",
			"sandboxes.[0].network.policy.rules.[0].port: \"any\": invalid port; "
			"expected a number or a range \"LO-HI\"");
}

static void port_open_range_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; port = \"80-\"; }",
			"sandboxes.[0].network.policy.rules.[0].port: \"80-\": invalid port; "
			"expected a number or a range \"LO-HI\"");
}

static void port_with_spaces_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; port = \"80 - 90\"; }",
			"sandboxes.[0].network.policy.rules.[0].port: \"80 - 90\": invalid port; "
			"expected a number or a range \"LO-HI\"");
}

static void port_bool_is_wrong_type(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; port = true; }",
			"sandboxes.[0].network.policy.rules.[0].port: expected an integer or a "
			"string, got a boolean");
}

/* ---- Destination shorthand (semantics §1.5.2 order) ---- */

static void shorthand_star_is_any(void **state)
{
	(void)state;
	assert_int_equal(dest_rule("\"*\"").dest_kind, SBGW_DEST_ANY);
}

static void shorthand_domain_prefix_escapes_group_keyword(void **state)
{
	struct sbgw_rule r = dest_rule("\"domain=public\"");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_DOMAIN);
	assert_string_equal(r.name, "public");
}

static void shorthand_suffix_prefix_is_suffix(void **state)
{
	struct sbgw_rule r = dest_rule("\"suffix=Example.COM\"");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_SUFFIX);
	assert_string_equal(r.name, "example.com");
}

static void shorthand_group_keyword_is_group(void **state)
{
	struct sbgw_rule r = dest_rule("\"public\"");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_GROUP);
	assert_int_equal(r.group, SBGW_GROUP_PUBLIC);
}

static void shorthand_link_local_underscore_is_group(void **state)
{
	struct sbgw_rule r = dest_rule("\"link_local\"");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_GROUP);
	assert_int_equal(r.group, SBGW_GROUP_LINK_LOCAL);
}

static void shorthand_capitalised_group_is_domain(void **state)
{
	struct sbgw_rule r = dest_rule("\"Public\"");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_DOMAIN);
	assert_string_equal(r.name, "public");
}

static void shorthand_leading_dot_is_suffix(void **state)
{
	struct sbgw_rule r = dest_rule("\".example.com\"");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_SUFFIX);
	assert_string_equal(r.name, "example.com");
}

static void shorthand_single_label_suffix_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = \".com\"; }",
			"sandboxes.[0].network.policy.rules.[0].destination: invalid domain suffix "
			"\".com\": suffix is a single DNS label and would match every domain under "
			"that TLD; add at least one parent label");
}

static void shorthand_slash_is_cidr(void **state)
{
	struct sbgw_rule r = dest_rule("\"10.0.0.5/8\"");
	char buf[SBGW_CIDR_STRLEN];

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_CIDR);
	format_cidr(&r, buf);
	assert_string_equal(buf, "10.0.0.0/8");
}

static void shorthand_bad_cidr_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = \"10.0.0.0/33\"; }",
			"sandboxes.[0].network.policy.rules.[0].destination: invalid CIDR "
			"\"10.0.0.0/33\"");
}

static void shorthand_ipv4_literal_is_host_cidr(void **state)
{
	struct sbgw_rule r = dest_rule("\"1.1.1.1\"");
	char buf[SBGW_CIDR_STRLEN];

	(void)state;
	format_cidr(&r, buf);
	assert_string_equal(buf, "1.1.1.1/32");
}

static void shorthand_ipv6_literal_is_host_cidr(void **state)
{
	struct sbgw_rule r = dest_rule("\"2606:4700::1111\"");
	char buf[SBGW_CIDR_STRLEN];

	(void)state;
	format_cidr(&r, buf);
	assert_string_equal(buf, "2606:4700::1111/128");
}

static void shorthand_mapped_ipv6_is_normalised_to_ipv4(void **state)
{
	struct sbgw_rule r = dest_rule("\"::ffff:10.0.0.5\"");
	char buf[SBGW_CIDR_STRLEN];

	(void)state;
	format_cidr(&r, buf);
	assert_string_equal(buf, "10.0.0.5/32");
}

static void shorthand_name_is_canonical_domain(void **state)
{
	struct sbgw_rule r = dest_rule("\"API.Example.com.\"");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_DOMAIN);
	assert_string_equal(r.name, "api.example.com");
}

static void shorthand_unicode_name_becomes_punycode(void **state)
{
	struct sbgw_rule r = dest_rule("\"bücher.example\"");

	(void)state;
	assert_string_equal(r.name, "xn--bcher-kva.example");
}

static void shorthand_wildcard_domain_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = \"*.example.com\"; }",
			"sandboxes.[0].network.policy.rules.[0].destination: invalid domain "
			"\"*.example.com\": a \"*\" label never matches; write a suffix as "
			"\".example.com\"");
}

static void shorthand_url_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = \"https://example.com\"; }",
			"sandboxes.[0].network.policy.rules.[0].destination: invalid CIDR "
			"\"https://example.com\"");
}

/* ---- Typed destinations ---- */

static void typed_any_is_any(void **state)
{
	(void)state;
	assert_int_equal(dest_rule("{ kind = \"any\"; }").dest_kind, SBGW_DEST_ANY);
}

static void typed_any_with_value_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = { kind = \"any\"; value = \"x\"; }; }",
			"sandboxes.[0].network.policy.rules.[0].destination.value: destination "
			"kind `any` takes no value");
}

static void typed_ip_is_host_cidr(void **state)
{
	struct sbgw_rule r = dest_rule("{ kind = \"ip\"; value = \"10.0.0.5\"; }");
	char buf[SBGW_CIDR_STRLEN];

	(void)state;
	format_cidr(&r, buf);
	assert_string_equal(buf, "10.0.0.5/32");
}

static void typed_ip_rejects_cidr(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = { kind = \"ip\"; value = "
			"\"10.0.0.0/8\"; }; }",
			"sandboxes.[0].network.policy.rules.[0].destination.value: invalid IP "
			"address \"10.0.0.0/8\"");
}

static void typed_cidr_accepts_bare_address(void **state)
{
	struct sbgw_rule r = dest_rule("{ kind = \"cidr\"; value = \"fd00::1\"; }");
	char buf[SBGW_CIDR_STRLEN];

	(void)state;
	format_cidr(&r, buf);
	assert_string_equal(buf, "fd00::1/128");
}

static void typed_cidr_invalid_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = { kind = \"cidr\"; value = "
			"\"example.com\"; }; }",
			"sandboxes.[0].network.policy.rules.[0].destination.value: invalid CIDR "
			"\"example.com\"");
}

static void typed_domain_accepts_group_keyword(void **state)
{
	struct sbgw_rule r = dest_rule("{ kind = \"domain\"; value = \"host\"; }");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_DOMAIN);
	assert_string_equal(r.name, "host");
}

static void typed_domain_invalid_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = { kind = \"domain\"; value = "
			"\"a..b\"; }; }",
			"sandboxes.[0].network.policy.rules.[0].destination.value: invalid domain "
			"\"a..b\": domain name has an empty label (two dots in a row)");
}

static void typed_domain_suffix_hyphen_is_accepted(void **state)
{
	struct sbgw_rule r = dest_rule("{ kind = \"domain-suffix\"; value = \".example.com\"; }");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_SUFFIX);
	assert_string_equal(r.name, "example.com");
}

static void typed_domain_suffix_single_label_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = { kind = \"domain_suffix\"; value = "
			"\"internal\"; }; }",
			"sandboxes.[0].network.policy.rules.[0].destination.value: invalid domain "
			"suffix \"internal\": suffix is a single DNS label and would match every "
			"domain under that TLD; add at least one parent label");
}

static void typed_group_is_group(void **state)
{
	struct sbgw_rule r = dest_rule("{ kind = \"group\"; value = \"metadata\"; }");

	(void)state;
	assert_int_equal(r.dest_kind, SBGW_DEST_GROUP);
	assert_int_equal(r.group, SBGW_GROUP_METADATA);
}

static void typed_group_unknown_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = { kind = \"group\"; value = "
			"\"bogus\"; }; }",
			"sandboxes.[0].network.policy.rules.[0].destination.value: unknown "
			"destination group: bogus");
}

static void typed_kind_unknown_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = { kind = \"url\"; value = \"x\"; }; }",
			"sandboxes.[0].network.policy.rules.[0].destination.kind: unknown "
			"destination kind: url");
}

static void typed_value_missing_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = { kind = \"domain\"; }; }",
			"sandboxes.[0].network.policy.rules.[0].destination: destination is "
			"required for destination kind `domain`");
}

static void typed_kind_missing_is_rejected(void **state)
{
	(void)state;
	rule_fails_with("{ action = \"allow\"; destination = { value = \"x.com\"; }; }",
			"sandboxes.[0].network.policy.rules.[0].destination.kind: required setting "
			"is missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(preset_public_only_has_dns_and_public_rules),
		cmocka_unit_test(preset_public_only_hyphen_is_accepted),
		cmocka_unit_test(preset_allow_all_allows_both_directions),
		cmocka_unit_test(preset_allow_all_underscore_is_accepted),
		cmocka_unit_test(preset_unknown_is_rejected),
		cmocka_unit_test(preset_is_case_sensitive),
		cmocka_unit_test(policy_group_defaults_are_deny_allow),
		cmocka_unit_test(policy_group_defaults_are_set),
		cmocka_unit_test(policy_default_egress_unknown_is_rejected),
		cmocka_unit_test(policy_default_ingress_unknown_is_rejected),
		cmocka_unit_test(policy_allow_dns_expands_to_two_rules),
		cmocka_unit_test(policy_allow_dns_keeps_its_place),
		cmocka_unit_test(policy_unknown_rule_string_is_rejected),
		cmocka_unit_test(policy_rule_must_be_group_or_string),
		cmocka_unit_test(policy_rules_keep_file_lines),
		cmocka_unit_test(rule_defaults_are_egress_any),
		cmocka_unit_test(rule_action_is_required),
		cmocka_unit_test(rule_action_unknown_is_rejected),
		cmocka_unit_test(rule_direction_any_sets_both_bits),
		cmocka_unit_test(rule_direction_ingress_is_parsed),
		cmocka_unit_test(rule_direction_unknown_is_rejected),
		cmocka_unit_test(rule_protocol_unknown_is_rejected),
		cmocka_unit_test(rule_icmp_ingress_is_rejected),
		cmocka_unit_test(rule_icmpv6_any_direction_is_rejected),
		cmocka_unit_test(rule_icmp_egress_with_port_is_accepted),
		cmocka_unit_test(port_integer_is_single_port),
		cmocka_unit_test(port_zero_is_accepted_in_rules),
		cmocka_unit_test(port_decimal_string_is_single_port),
		cmocka_unit_test(port_range_is_inclusive),
		cmocka_unit_test(port_range_reversed_is_rejected),
		cmocka_unit_test(port_integer_above_65535_is_rejected),
		cmocka_unit_test(port_negative_is_rejected),
		cmocka_unit_test(port_string_above_65535_is_rejected),
		cmocka_unit_test(port_word_is_rejected),
		cmocka_unit_test(port_open_range_is_rejected),
		cmocka_unit_test(port_with_spaces_is_rejected),
		cmocka_unit_test(port_bool_is_wrong_type),
		cmocka_unit_test(shorthand_star_is_any),
		cmocka_unit_test(shorthand_domain_prefix_escapes_group_keyword),
		cmocka_unit_test(shorthand_suffix_prefix_is_suffix),
		cmocka_unit_test(shorthand_group_keyword_is_group),
		cmocka_unit_test(shorthand_link_local_underscore_is_group),
		cmocka_unit_test(shorthand_capitalised_group_is_domain),
		cmocka_unit_test(shorthand_leading_dot_is_suffix),
		cmocka_unit_test(shorthand_single_label_suffix_is_rejected),
		cmocka_unit_test(shorthand_slash_is_cidr),
		cmocka_unit_test(shorthand_bad_cidr_is_rejected),
		cmocka_unit_test(shorthand_ipv4_literal_is_host_cidr),
		cmocka_unit_test(shorthand_ipv6_literal_is_host_cidr),
		cmocka_unit_test(shorthand_mapped_ipv6_is_normalised_to_ipv4),
		cmocka_unit_test(shorthand_name_is_canonical_domain),
		cmocka_unit_test(shorthand_unicode_name_becomes_punycode),
		cmocka_unit_test(shorthand_wildcard_domain_is_rejected),
		cmocka_unit_test(shorthand_url_is_rejected),
		cmocka_unit_test(typed_any_is_any),
		cmocka_unit_test(typed_any_with_value_is_rejected),
		cmocka_unit_test(typed_ip_is_host_cidr),
		cmocka_unit_test(typed_ip_rejects_cidr),
		cmocka_unit_test(typed_cidr_accepts_bare_address),
		cmocka_unit_test(typed_cidr_invalid_is_rejected),
		cmocka_unit_test(typed_domain_accepts_group_keyword),
		cmocka_unit_test(typed_domain_invalid_is_rejected),
		cmocka_unit_test(typed_domain_suffix_hyphen_is_accepted),
		cmocka_unit_test(typed_domain_suffix_single_label_is_rejected),
		cmocka_unit_test(typed_group_is_group),
		cmocka_unit_test(typed_group_unknown_is_rejected),
		cmocka_unit_test(typed_kind_unknown_is_rejected),
		cmocka_unit_test(typed_value_missing_is_rejected),
		cmocka_unit_test(typed_kind_missing_is_rejected),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
