/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP flows under domain rules (semantics §2.7.2–§2.7.3): which SYN
 * verdicts must wait for the first flight, and the walk with the name the
 * first flight carried (deny rules on the name alone, allow rules on the
 * name and an agreeing pin, no name: pins alone).
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "testrule.h"

/* The names the destination is pinned to, for the pinned() callback. */
struct pins {
	const char *const *names;
	unsigned int n;
};

static bool pinned(const struct sbgw_rule *r, void *arg)
{
	const struct pins *p = arg;

	for (unsigned int i = 0; i < p->n; i++)
		if (sbgw_rule_name_matches(r, p->names[i]))
			return true;
	return false;
}

static struct sbgw_verdict walk(const struct sbgw_policy *p, const char *addr, uint16_t port,
				const char *name, const struct pins *pins)
{
	struct sbgw_host_addrs host = test_host();
	struct sbgw_named_flow f;

	memset(&f, 0, sizeof(f));
	f.addr = test_addr(addr);
	f.port = port;
	f.name = name;
	f.pinned = pinned;
	f.arg = (void *)pins;
	return sbgw_policy_judge_named(p, &f, &host);
}

static const struct pins no_pins = {NULL, 0};

static void defers_address_rules_only_never(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp to group public", RULES_END);
	assert_false(sbgw_policy_defers(&p, (struct sbgw_verdict){SBGW_ACTION_ALLOW, 0}, 443));
	sbgw_policy_clear(&p);
}

static void defers_allowed_by_domain_rule(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp port 443 to domain api.test", RULES_END);
	assert_true(sbgw_policy_defers(&p, (struct sbgw_verdict){SBGW_ACTION_ALLOW, 0}, 443));
	sbgw_policy_clear(&p);
}

static void defers_deny_domain_before_allow(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "deny to domain blocked.test", "allow to group public",
		    RULES_END);
	assert_true(sbgw_policy_defers(&p, (struct sbgw_verdict){SBGW_ACTION_ALLOW, 1}, 80));
	sbgw_policy_clear(&p);
}

static void defers_deny_domain_after_allow_no(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "allow to group public", "deny to domain blocked.test",
		    RULES_END);
	assert_false(sbgw_policy_defers(&p, (struct sbgw_verdict){SBGW_ACTION_ALLOW, 0}, 80));
	sbgw_policy_clear(&p);
}

static void defers_deny_domain_other_port_no(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "deny tcp port 443 to domain blocked.test",
		    "allow to group public", RULES_END);
	assert_false(sbgw_policy_defers(&p, (struct sbgw_verdict){SBGW_ACTION_ALLOW, 1}, 80));
	assert_true(sbgw_policy_defers(&p, (struct sbgw_verdict){SBGW_ACTION_ALLOW, 1}, 443));
	sbgw_policy_clear(&p);
}

static void defers_default_allow_after_deny_domain(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "allow/allow", "deny udp to domain blocked.test", RULES_END);
	assert_false(sbgw_policy_defers(&p, (struct sbgw_verdict){SBGW_ACTION_ALLOW, -1}, 80));
	sbgw_policy_clear(&p);
	test_policy(&p, "allow/allow", "deny to suffix blocked.test", RULES_END);
	assert_true(sbgw_policy_defers(&p, (struct sbgw_verdict){SBGW_ACTION_ALLOW, -1}, 80));
	sbgw_policy_clear(&p);
}

static void defers_denied_syn_never(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "allow to domain api.test", RULES_END);
	assert_false(sbgw_policy_defers(&p, (struct sbgw_verdict){SBGW_ACTION_DENY, -1}, 80));
	sbgw_policy_clear(&p);
}

static void named_deny_rule_matches_name_without_pin(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "deny to domain blocked.test", "allow to group public",
		    RULES_END);
	assert_verdict(walk(&p, "203.0.113.10", 443, "blocked.test", &no_pins), SBGW_ACTION_DENY,
		       0);
	assert_verdict(walk(&p, "203.0.113.10", 443, "ok.test", &no_pins), SBGW_ACTION_ALLOW, 1);
	sbgw_policy_clear(&p);
}

static void named_allow_rule_needs_name_and_pin(void **state)
{
	static const char *const api[] = {"api.test"};
	const struct pins pinned_api = {api, 1};
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp to domain api.test", RULES_END);
	assert_verdict(walk(&p, "8.8.8.8", 443, "api.test", &pinned_api), SBGW_ACTION_ALLOW, 0);
	/* The name alone (no pin for this address): the walk goes on to the default. */
	assert_verdict(walk(&p, "8.8.8.8", 443, "api.test", &no_pins), SBGW_ACTION_DENY, -1);
	/* The pin alone, with another name in the ClientHello. */
	assert_verdict(walk(&p, "8.8.8.8", 443, "evil.test", &pinned_api), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void named_suffix_allow_sibling_pin_suffices(void **state)
{
	static const char *const sib[] = {"a.sfx.test"};
	const struct pins pinned_sib = {sib, 1};
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp to suffix sfx.test", RULES_END);
	assert_verdict(walk(&p, "1.1.1.1", 443, "b.sfx.test", &pinned_sib), SBGW_ACTION_ALLOW, 0);
	assert_verdict(walk(&p, "1.1.1.1", 443, "evilsfx.test", &pinned_sib), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void named_without_name_uses_pins(void **state)
{
	static const char *const api[] = {"api.test"};
	const struct pins pinned_api = {api, 1};
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp to domain api.test", RULES_END);
	assert_verdict(walk(&p, "8.8.8.8", 80, NULL, &pinned_api), SBGW_ACTION_ALLOW, 0);
	assert_verdict(walk(&p, "8.8.8.8", 80, "", &no_pins), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void named_address_rules_as_at_syn(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "deny to domain blocked.test", "deny to cidr 203.0.113.0/24",
		    "allow to group public", RULES_END);
	assert_verdict(walk(&p, "203.0.113.10", 80, "ok.test", &no_pins), SBGW_ACTION_DENY, 1);
	assert_verdict(walk(&p, "8.8.8.8", 80, "ok.test", &no_pins), SBGW_ACTION_ALLOW, 2);
	assert_verdict(walk(&p, "10.1.2.3", 80, "ok.test", &no_pins), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defers_address_rules_only_never),
		cmocka_unit_test(defers_allowed_by_domain_rule),
		cmocka_unit_test(defers_deny_domain_before_allow),
		cmocka_unit_test(defers_deny_domain_after_allow_no),
		cmocka_unit_test(defers_deny_domain_other_port_no),
		cmocka_unit_test(defers_default_allow_after_deny_domain),
		cmocka_unit_test(defers_denied_syn_never),
		cmocka_unit_test(named_deny_rule_matches_name_without_pin),
		cmocka_unit_test(named_allow_rule_needs_name_and_pin),
		cmocka_unit_test(named_suffix_allow_sibling_pin_suffices),
		cmocka_unit_test(named_without_name_uses_pins),
		cmocka_unit_test(named_address_rules_as_at_syn),
	};

	return cmocka_run_group_tests_name("named", tests, NULL, NULL);
}
