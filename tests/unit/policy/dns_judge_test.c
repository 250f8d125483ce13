/* SPDX-License-Identifier: BSD-3-Clause */
/* DNS queries judged as egress by name (semantics §2.8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy.h"
#include "testrule.h"

static void dns_public_only_udp_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_ALLOW,
		       0);
	sbgw_policy_clear(&p);
}

static void dns_public_only_tcp_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_TCP), SBGW_ACTION_ALLOW,
		       1);
	sbgw_policy_clear(&p);
}

/* allow_dns() has no 853, and "public" never matches a query. */
static void dns_public_only_dot_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_DOT), SBGW_ACTION_DENY,
		       -1);
	sbgw_policy_clear(&p);
}

static void dns_dot_rule_tcp_853_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	struct sbgw_rule dot = test_rule("allow tcp port 853 to group host");
	assert_int_equal(sbgw_policy_append(&p, &dot), 0);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_DOT), SBGW_ACTION_ALLOW,
		       3);
	sbgw_policy_clear(&p);
}

static void dns_custom_deny_without_allow_dns_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to group public", "allow tcp port 443 to 10.0.0.0/8",
		    RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_DENY,
		       -1);
	sbgw_policy_clear(&p);
}

/* A domain allow scoped to tcp/443 still grants the lookup of that name. */
static void dns_domain_rule_port_scoped_still_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp port 443 to domain api.example.com", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "api.example.com", SBGW_DNS_UDP),
		       SBGW_ACTION_ALLOW, 0);
	assert_verdict(sbgw_policy_judge_dns(&p, "www.example.com", SBGW_DNS_UDP),
		       SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void dns_domain_deny_any_port_blocks_lookup(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	struct sbgw_rule deny = test_rule("deny udp port 9999 to domain evil.com");
	assert_int_equal(sbgw_policy_prepend(&p, &deny, 1), 0);
	assert_verdict(sbgw_policy_judge_dns(&p, "evil.com", SBGW_DNS_TCP), SBGW_ACTION_DENY, 0);
	sbgw_policy_clear(&p);
}

static void dns_suffix_rule_subdomain_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny to suffix .example.com", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "a.b.example.com", SBGW_DNS_UDP),
		       SBGW_ACTION_DENY, 0);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_DENY,
		       0);
	sbgw_policy_clear(&p);
}

static void dns_suffix_unaligned_not_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny to suffix .example.com", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "evilexample.com", SBGW_DNS_UDP),
		       SBGW_ACTION_ALLOW, -1);
	sbgw_policy_clear(&p);
}

/* Rule.deny() with nothing else denies DNS too. */
static void dns_bare_deny_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny to any", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_DENY, 0);
	sbgw_policy_clear(&p);
}

static void dns_any_rule_wrong_protocol_skipped(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp to any", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_DENY,
		       -1);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_TCP), SBGW_ACTION_ALLOW,
		       0);
	sbgw_policy_clear(&p);
}

static void dns_any_rule_wrong_port_skipped(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow port 1-52 to any", "allow port 54-65535 to any", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_DENY,
		       -1);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_DOT), SBGW_ACTION_ALLOW,
		       1);
	sbgw_policy_clear(&p);
}

static void dns_icmp_any_rule_never_matches(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow icmpv4 to any", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_DENY,
		       -1);
	sbgw_policy_clear(&p);
}

/* CIDR and non-host groups have no resolved address to match. */
static void dns_cidr_and_public_rules_never_match(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 0.0.0.0/0", "allow to ::/0",
		    "allow to group public", "allow to group private", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_DENY,
		       -1);
	sbgw_policy_clear(&p);
}

static void dns_ingress_rules_ignored(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny ingress to any", "deny ingress to domain example.com",
		    RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_ALLOW,
		       -1);
	sbgw_policy_clear(&p);
}

static void dns_any_direction_rule_considered(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny any to domain example.com", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_DENY, 0);
	sbgw_policy_clear(&p);
}

static void dns_first_match_wins(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to domain example.com", "deny to any", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_ALLOW,
		       0);
	assert_verdict(sbgw_policy_judge_dns(&p, "other.com", SBGW_DNS_UDP), SBGW_ACTION_DENY, 1);
	sbgw_policy_clear(&p);
}

static void dns_trailing_dot_and_case_tolerated(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny to domain example.com", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "Example.COM.", SBGW_DNS_UDP), SBGW_ACTION_DENY,
		       0);
	sbgw_policy_clear(&p);
}

/* A name that does not parse only meets "any" and "host" rows. */
static void dns_unparsable_name_skips_domain_rows(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to suffix .example.com", "allow udp port 53 to group host",
		    RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "bad name.example.com", SBGW_DNS_UDP),
		       SBGW_ACTION_ALLOW, 1);
	sbgw_policy_clear(&p);
}

static void dns_unparsable_name_default_without_any_rows(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to suffix .example.com", RULES_END);
	assert_verdict(sbgw_policy_judge_dns(&p, "bad name.example.com", SBGW_DNS_UDP),
		       SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void dns_allow_all_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_ALLOW_ALL), 0);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_DOT), SBGW_ACTION_ALLOW,
		       -1);
	sbgw_policy_clear(&p);
}

static void dns_none_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_NONE), 0);
	assert_verdict(sbgw_policy_judge_dns(&p, "example.com", SBGW_DNS_UDP), SBGW_ACTION_DENY,
		       -1);
	sbgw_policy_clear(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dns_public_only_udp_allowed),
		cmocka_unit_test(dns_public_only_tcp_allowed),
		cmocka_unit_test(dns_public_only_dot_denied),
		cmocka_unit_test(dns_dot_rule_tcp_853_allowed),
		cmocka_unit_test(dns_custom_deny_without_allow_dns_denied),
		cmocka_unit_test(dns_domain_rule_port_scoped_still_allowed),
		cmocka_unit_test(dns_domain_deny_any_port_blocks_lookup),
		cmocka_unit_test(dns_suffix_rule_subdomain_matched),
		cmocka_unit_test(dns_suffix_unaligned_not_matched),
		cmocka_unit_test(dns_bare_deny_denied),
		cmocka_unit_test(dns_any_rule_wrong_protocol_skipped),
		cmocka_unit_test(dns_any_rule_wrong_port_skipped),
		cmocka_unit_test(dns_icmp_any_rule_never_matches),
		cmocka_unit_test(dns_cidr_and_public_rules_never_match),
		cmocka_unit_test(dns_ingress_rules_ignored),
		cmocka_unit_test(dns_any_direction_rule_considered),
		cmocka_unit_test(dns_first_match_wins),
		cmocka_unit_test(dns_trailing_dot_and_case_tolerated),
		cmocka_unit_test(dns_unparsable_name_skips_domain_rows),
		cmocka_unit_test(dns_unparsable_name_default_without_any_rows),
		cmocka_unit_test(dns_allow_all_allowed),
		cmocka_unit_test(dns_none_denied),
	};

	return cmocka_run_group_tests_name("dns_judge", tests, NULL, NULL);
}
