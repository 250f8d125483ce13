/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domain and suffix rules in the compiled policy (semantics §2.7,
 * cache-only matching through pins): domain sets, domain hits, the exact
 * rule in verdicts and the 64-set limit.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "eal.h"
#include "policy.h"
#include "testrule.h"

static void domain_pinned_name_allowed(void **state)
{
	static const char *const names[] = {"example.com"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp port 443 to domain example.com", RULES_END);
	cp = test_compile(&p);
	assert_true(sbgw_policy_has_domain_rules(cp));
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "93.184.216.34", IPPROTO_TCP, 443, names, 1,
				    true),
		       SBGW_ACTION_ALLOW, 0);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void domain_without_pin_denied(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "deny/allow", "allow to domain example.com", RULES_END);
	cp = test_compile(&p);
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "93.184.216.34", IPPROTO_TCP, 443, NULL, 0,
				    true),
		       SBGW_ACTION_DENY, -1);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void domain_other_pin_denied(void **state)
{
	static const char *const names[] = {"www.example.com"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "deny/allow", "allow to domain example.com", RULES_END);
	cp = test_compile(&p);
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "93.184.216.34", IPPROTO_TCP, 443, names, 1,
				    true),
		       SBGW_ACTION_DENY, -1);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void domain_suffix_subdomain_pin_allowed(void **state)
{
	static const char *const names[] = {"api.example.com"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "deny/allow", "allow to suffix .example.com", RULES_END);
	cp = test_compile(&p);
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "93.184.216.34", IPPROTO_UDP, 443, names, 1,
				    true),
		       SBGW_ACTION_ALLOW, 0);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

/* §2.7.1: label aligned. */
static void domain_suffix_unaligned_pin_denied(void **state)
{
	static const char *const names[] = {"evilexample.com"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "deny/allow", "allow to suffix .example.com", RULES_END);
	cp = test_compile(&p);
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "93.184.216.34", IPPROTO_TCP, 443, names, 1,
				    true),
		       SBGW_ACTION_DENY, -1);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

/* A deny_domains rule outranks the preset's allow public. */
static void domain_deny_before_public_denied(void **state)
{
	static const char *const names[] = {"evil.com"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	struct sbgw_rule deny = test_rule("deny to domain evil.com");

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_int_equal(sbgw_policy_prepend(&p, &deny, 1), 0);
	cp = test_compile(&p);
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "93.184.216.34", IPPROTO_TCP, 443, names, 1,
				    true),
		       SBGW_ACTION_DENY, 0);
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "93.184.216.34", IPPROTO_TCP, 443, NULL, 0,
				    true),
		       SBGW_ACTION_ALLOW, 3);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void domain_set_exact_rule_reported(void **state)
{
	static const char *const names[] = {"b.example"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "deny/allow", "allow to domain a.example", "allow to domain b.example",
		    RULES_END);
	cp = test_compile(&p);
	assert_int_equal(sbgw_policy_domain_sets(cp), 1);
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "192.0.2.1", IPPROTO_TCP, 80, names, 1, true),
		       SBGW_ACTION_ALLOW, 1);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void domain_set_without_hits_first_rule(void **state)
{
	static const char *const names[] = {"b.example"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "deny/allow", "allow to domain a.example", "allow to domain b.example",
		    RULES_END);
	cp = test_compile(&p);
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "192.0.2.1", IPPROTO_TCP, 80, names, 1, false),
		       SBGW_ACTION_ALLOW, 0);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void domain_sets_split_on_ports(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp port 443 to domain a.example",
		    "allow tcp port 443 to suffix .b.example", "allow tcp port 80 to domain c.example",
		    "allow to group public", "allow tcp port 80 to domain d.example", RULES_END);
	cp = test_compile(&p);
	assert_int_equal(sbgw_policy_domain_sets(cp), 3);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

/* A later set of the same action does not capture names of an earlier set's rule. */
static void domain_hits_first_matching_rule(void **state)
{
	static const char *const names[] = {"x.b.example", "a.example"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	struct sbgw_domain_hits hits;

	(void)state;
	test_policy(&p, "deny/allow", "deny to domain z.example", "deny to suffix .b.example",
		    "deny to domain a.example", "allow udp to domain a.example", RULES_END);
	cp = test_compile(&p);
	sbgw_policy_domain_hits(cp, names, 2, &hits);
	assert_int_equal(hits.bits, 0x3);
	assert_int_equal(hits.first_rule[0], 1);
	assert_int_equal(hits.first_rule[1], 3);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

/* §2.9, §9 Q23: domain rules in ingress match the peer's pins. */
static void domain_ingress_peer_pin_denied(void **state)
{
	static const char *const names[] = {"peer.example"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "allow/allow", "deny ingress to domain peer.example", RULES_END);
	cp = test_compile(&p);
	assert_verdict(test_judge_pinned(cp, SBGW_INGRESS, "192.0.2.9", IPPROTO_TCP, 8080, names, 1,
				    true),
		       SBGW_ACTION_DENY, 0);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

/* Build n domain rules alternating actions: n domain sets. */
static void alternating_domain_rules(struct sbgw_policy *p, unsigned int n)
{
	test_policy(p, "deny/allow", RULES_END);
	for (unsigned int i = 0; i < n; i++) {
		struct sbgw_rule r = test_rule(i % 2 ? "allow to domain x.example"
						     : "deny to domain x.example");

		snprintf(r.name, sizeof(r.name), "d%u.example", i);
		assert_int_equal(sbgw_policy_append(p, &r), 0);
	}
}

static void domain_64_sets_accepted(void **state)
{
	static const char *const names[] = {"d63.example"};
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	alternating_domain_rules(&p, 64);
	cp = test_compile(&p);
	assert_int_equal(sbgw_policy_domain_sets(cp), 64);
	/* The last set lives in the high word of the key. */
	assert_verdict(test_judge_pinned(cp, SBGW_EGRESS, "192.0.2.1", IPPROTO_TCP, 80, names, 1, true),
		       SBGW_ACTION_ALLOW, 63);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void domain_65_sets_e2big(void **state)
{
	struct sbgw_policy p = {0};
	char err[256] = "";

	(void)state;
	alternating_domain_rules(&p, 65);
	errno = 0;
	assert_null(sbgw_policy_compile(&p, "big", err, sizeof(err)));
	assert_int_equal(errno, E2BIG);
	assert_non_null(strstr(err, "domain sets"));
	assert_non_null(strstr(err, "rule #64"));
	sbgw_policy_clear(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(domain_pinned_name_allowed),
		cmocka_unit_test(domain_without_pin_denied),
		cmocka_unit_test(domain_other_pin_denied),
		cmocka_unit_test(domain_suffix_subdomain_pin_allowed),
		cmocka_unit_test(domain_suffix_unaligned_pin_denied),
		cmocka_unit_test(domain_deny_before_public_denied),
		cmocka_unit_test(domain_set_exact_rule_reported),
		cmocka_unit_test(domain_set_without_hits_first_rule),
		cmocka_unit_test(domain_sets_split_on_ports),
		cmocka_unit_test(domain_hits_first_matching_rule),
		cmocka_unit_test(domain_ingress_peer_pin_denied),
		cmocka_unit_test(domain_64_sets_accepted),
		cmocka_unit_test(domain_65_sets_e2big),
	};

	return cmocka_run_group_tests_name("domain", tests, test_eal_setup, test_eal_teardown);
}
