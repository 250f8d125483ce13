/* SPDX-License-Identifier: BSD-3-Clause */
/* Presets (semantics §1.2), Rule.allow_dns() (§1.4), list operations and text forms. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "testrule.h"

static void assert_rule_text(const struct sbgw_rule *r, const char *want)
{
	char buf[512];

	sbgw_rule_format(r, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void preset_none_denies_both_ways(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_NONE), 0);
	assert_int_equal(p.default_egress, SBGW_ACTION_DENY);
	assert_int_equal(p.default_ingress, SBGW_ACTION_DENY);
	assert_int_equal(p.n_rules, 0);
	sbgw_policy_clear(&p);
}

static void preset_allow_all_allows_both_ways(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_ALLOW_ALL), 0);
	assert_int_equal(p.default_egress, SBGW_ACTION_ALLOW);
	assert_int_equal(p.default_ingress, SBGW_ACTION_ALLOW);
	assert_int_equal(p.n_rules, 0);
	sbgw_policy_clear(&p);
}

static void preset_public_only_defaults_deny_allow(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_int_equal(p.default_egress, SBGW_ACTION_DENY);
	assert_int_equal(p.default_ingress, SBGW_ACTION_ALLOW);
	sbgw_policy_clear(&p);
}

static void preset_public_only_rules_dns_then_public(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_int_equal(p.n_rules, 3);
	assert_rule_text(&p.rules[0], "allow egress udp port 53 to group host");
	assert_rule_text(&p.rules[1], "allow egress tcp port 53 to group host");
	assert_rule_text(&p.rules[2], "allow egress to group public");
	sbgw_policy_clear(&p);
}

static void preset_unknown_rejected(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, (enum sbgw_preset)42), -EINVAL);
	assert_int_equal(p.n_rules, 0);
	assert_null(p.rules);
}

/* Configuration starts from public_only and may then apply another preset. */
static void preset_replaces_existing_rules(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_ALLOW_ALL), 0);
	assert_int_equal(p.n_rules, 0);
	assert_null(p.rules);
	assert_int_equal(p.default_egress, SBGW_ACTION_ALLOW);
	/* The sanitizer build reports the first preset's rules if they leaked. */
}

static void copy_into_populated_replaces(void **state)
{
	struct sbgw_policy a = {0}, b = {0};

	(void)state;
	test_policy(&a, "allow/deny", "deny to any", RULES_END);
	assert_int_equal(sbgw_policy_preset(&b, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_int_equal(sbgw_policy_copy(&b, &a), 0);
	assert_int_equal(b.n_rules, 1);
	assert_int_equal(b.default_ingress, SBGW_ACTION_DENY);
	assert_int_equal(b.rules[0].action, SBGW_ACTION_DENY);
	sbgw_policy_clear(&a);
	sbgw_policy_clear(&b);
}

static void copy_onto_itself_unchanged(void **state)
{
	struct sbgw_policy a = {0};

	(void)state;
	test_policy(&a, "deny/allow", "allow to any", RULES_END);
	assert_int_equal(sbgw_policy_copy(&a, &a), 0);
	assert_int_equal(a.n_rules, 1);
	assert_int_equal(a.rules[0].action, SBGW_ACTION_ALLOW);
	sbgw_policy_clear(&a);
}

static void allow_dns_appends_udp_then_tcp_53(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "deny to any", RULES_END);
	assert_int_equal(sbgw_policy_append_allow_dns(&p), 0);
	assert_int_equal(p.n_rules, 3);
	assert_int_equal(p.rules[1].proto, SBGW_PROTO_UDP);
	assert_int_equal(p.rules[2].proto, SBGW_PROTO_TCP);
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(p.rules[i].action, SBGW_ACTION_ALLOW);
		assert_int_equal(p.rules[i].dirs, SBGW_DIR_EGRESS);
		assert_true(p.rules[i].has_port);
		assert_int_equal(p.rules[i].port_lo, 53);
		assert_int_equal(p.rules[i].port_hi, 53);
		assert_int_equal(p.rules[i].dest_kind, SBGW_DEST_GROUP);
		assert_int_equal(p.rules[i].group, SBGW_GROUP_HOST);
	}
	sbgw_policy_clear(&p);
}

/* Rule.allow_dns() does not include DoT (§1.4). */
static void allow_dns_excludes_853(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_append_allow_dns(&p), 0);
	for (unsigned int i = 0; i < p.n_rules; i++)
		assert_true(p.rules[i].port_hi < 853);
	sbgw_policy_clear(&p);
}

static void rule_init_seed_defaults(void **state)
{
	struct sbgw_rule r;

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	sbgw_rule_init(&r, SBGW_ACTION_DENY);
	assert_int_equal(r.action, SBGW_ACTION_DENY);
	assert_int_equal(r.dirs, SBGW_DIR_EGRESS);
	assert_int_equal(r.proto, SBGW_PROTO_ANY);
	assert_false(r.has_port);
	assert_int_equal(r.dest_kind, SBGW_DEST_ANY);
	assert_int_equal(r.line, 0);
}

static void append_keeps_order(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 10.0.0.0/8", "deny to 10.0.0.5", RULES_END);
	assert_int_equal(p.n_rules, 2);
	assert_rule_text(&p.rules[0], "allow egress to cidr 10.0.0.0/8");
	assert_rule_text(&p.rules[1], "deny egress to ip 10.0.0.5");
	sbgw_policy_clear(&p);
}

/* deny_domains go in front of the preset's rules (§1.1 assembly rule 1). */
static void prepend_puts_rules_first_in_order(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_rule deny[2];

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	deny[0] = test_rule("deny to domain evil.com");
	deny[1] = test_rule("deny to suffix .tracker.net");
	assert_int_equal(sbgw_policy_prepend(&p, deny, 2), 0);
	assert_int_equal(p.n_rules, 5);
	assert_rule_text(&p.rules[0], "deny egress to domain evil.com");
	assert_rule_text(&p.rules[1], "deny egress to suffix .tracker.net");
	assert_rule_text(&p.rules[2], "allow egress udp port 53 to group host");
	assert_rule_text(&p.rules[4], "allow egress to group public");
	sbgw_policy_clear(&p);
}

static void prepend_nothing_unchanged(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to any", RULES_END);
	assert_int_equal(sbgw_policy_prepend(&p, NULL, 0), 0);
	assert_int_equal(p.n_rules, 1);
	sbgw_policy_clear(&p);
}

static void prepend_into_empty_policy(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_rule r = test_rule("deny to domain evil.com");

	(void)state;
	assert_int_equal(sbgw_policy_prepend(&p, &r, 1), 0);
	assert_int_equal(p.n_rules, 1);
	assert_string_equal(p.rules[0].name, "evil.com");
	sbgw_policy_clear(&p);
}

static void copy_is_deep(void **state)
{
	struct sbgw_policy a = {0}, b = {0};

	(void)state;
	test_policy(&a, "deny/allow", "allow to group public", RULES_END);
	assert_int_equal(sbgw_policy_copy(&b, &a), 0);
	assert_ptr_not_equal(a.rules, b.rules);
	a.rules[0].action = SBGW_ACTION_DENY;
	assert_int_equal(b.rules[0].action, SBGW_ACTION_ALLOW);
	assert_int_equal(b.default_egress, SBGW_ACTION_DENY);
	assert_int_equal(b.n_rules, 1);
	sbgw_policy_clear(&a);
	sbgw_policy_clear(&b);
}

static void copy_empty_has_no_array(void **state)
{
	struct sbgw_policy a = {0}, b = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&a, SBGW_PRESET_NONE), 0);
	assert_int_equal(sbgw_policy_copy(&b, &a), 0);
	assert_null(b.rules);
	assert_int_equal(b.default_ingress, SBGW_ACTION_DENY);
}

static void clear_frees_and_zeroes(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/deny", "allow to any", RULES_END);
	sbgw_policy_clear(&p);
	assert_null(p.rules);
	assert_int_equal(p.n_rules, 0);
	/* Clearing twice is harmless. */
	sbgw_policy_clear(&p);
}

static void format_port_range_dash(void **state)
{
	struct sbgw_rule r = test_rule("allow tcp port 8000-9000 to any");

	(void)state;
	assert_rule_text(&r, "allow egress tcp port 8000-9000 to any");
}

static void format_direction_any_spelt_any(void **state)
{
	struct sbgw_rule r = test_rule("deny any to domain example.com");

	(void)state;
	assert_rule_text(&r, "deny any to domain example.com");
}

static void format_ingress_ipv6_cidr(void **state)
{
	struct sbgw_rule r = test_rule("deny ingress udp to fd00::/8");

	(void)state;
	assert_rule_text(&r, "deny ingress udp to cidr fd00::/8");
}

static void format_line_number_appended(void **state)
{
	struct sbgw_rule r = test_rule("allow tcp port 443 to group public");

	(void)state;
	r.line = 17;
	assert_rule_text(&r, "allow egress tcp port 443 to group public (line 17)");
}

static void format_mapped_cidr_shown_as_ipv4(void **state)
{
	struct sbgw_rule r;

	(void)state;
	sbgw_rule_init(&r, SBGW_ACTION_ALLOW);
	r.dest_kind = SBGW_DEST_CIDR;
	assert_int_equal(sbgw_cidr_parse("::ffff:10.0.0.0/104", false, &r.cidr, NULL), 0);
	assert_rule_text(&r, "allow egress to cidr 10.0.0.0/8");
}

static void format_small_buffer_truncated(void **state)
{
	struct sbgw_rule r = test_rule("allow tcp port 443 to group public");
	char buf[8];

	(void)state;
	sbgw_rule_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "allow e");
}

static void dump_lists_defaults_and_numbered_rules(void **state)
{
	struct sbgw_policy p = {0};
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	sbgw_policy_dump(&p, f, "  ");
	fclose(f);
	assert_string_equal(text, "  default egress deny, default ingress allow, 3 rules\n"
				  "     0  allow egress udp port 53 to group host\n"
				  "     1  allow egress tcp port 53 to group host\n"
				  "     2  allow egress to group public\n");
	free(text);
	sbgw_policy_clear(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(preset_none_denies_both_ways),
		cmocka_unit_test(preset_allow_all_allows_both_ways),
		cmocka_unit_test(preset_public_only_defaults_deny_allow),
		cmocka_unit_test(preset_public_only_rules_dns_then_public),
		cmocka_unit_test(preset_unknown_rejected),
		cmocka_unit_test(preset_replaces_existing_rules),
		cmocka_unit_test(allow_dns_appends_udp_then_tcp_53),
		cmocka_unit_test(allow_dns_excludes_853),
		cmocka_unit_test(rule_init_seed_defaults),
		cmocka_unit_test(append_keeps_order),
		cmocka_unit_test(prepend_puts_rules_first_in_order),
		cmocka_unit_test(prepend_nothing_unchanged),
		cmocka_unit_test(prepend_into_empty_policy),
		cmocka_unit_test(copy_is_deep),
		cmocka_unit_test(copy_empty_has_no_array),
		cmocka_unit_test(copy_into_populated_replaces),
		cmocka_unit_test(copy_onto_itself_unchanged),
		cmocka_unit_test(clear_frees_and_zeroes),
		cmocka_unit_test(format_port_range_dash),
		cmocka_unit_test(format_direction_any_spelt_any),
		cmocka_unit_test(format_ingress_ipv6_cidr),
		cmocka_unit_test(format_line_number_appended),
		cmocka_unit_test(format_mapped_cidr_shown_as_ipv4),
		cmocka_unit_test(format_small_buffer_truncated),
		cmocka_unit_test(dump_lists_defaults_and_numbered_rules),
	};

	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
