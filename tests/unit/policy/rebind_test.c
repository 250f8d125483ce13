/* SPDX-License-Identifier: BSD-3-Clause */
/* Rebind protection: the reserved list and explicit admission (semantics §3.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy.h"
#include "testrule.h"

static struct sbgw_host_addrs host;

static int setup(void **state)
{
	(void)state;
	host = test_host();
	return 0;
}

static bool reserved(const char *text)
{
	struct sbgw_addr a = test_addr(text);

	return sbgw_addr_is_rebind_reserved(&a);
}

static bool admits(const struct sbgw_policy *p, const char *text)
{
	struct sbgw_addr a = test_addr(text);

	return sbgw_policy_admits_rebind(p, &a, &host);
}

static void assert_reserved_all(const char *const *addrs, size_t n, bool want)
{
	for (size_t i = 0; i < n; i++)
		if (reserved(addrs[i]) != want)
			fail_msg("%s: reserved %d, want %d", addrs[i], !want, want);
}

static void rebind_ipv4_reserved_ranges_reserved(void **state)
{
	static const char *const addrs[] = {
		"0.0.0.0",       "0.255.255.255",   "127.0.0.1",      "10.1.2.3",
		"172.16.0.1",    "172.31.255.255",  "192.168.1.1",    "100.64.0.1",
		"100.127.255.255", "169.254.169.254", "192.0.0.8",     "192.0.2.1",
		"192.88.99.1",   "198.18.0.1",      "198.19.255.255", "198.51.100.7",
		"203.0.113.9",   "224.0.0.251",     "239.255.255.250", "240.0.0.1",
		"255.255.255.255",
	};

	(void)state;
	assert_reserved_all(addrs, sizeof(addrs) / sizeof(addrs[0]), true);
}

static void rebind_ipv4_public_not_reserved(void **state)
{
	static const char *const addrs[] = {
		"1.1.1.1",    "8.8.8.8",      "93.184.216.34", "172.32.0.1", "100.128.0.1",
		"192.0.1.255", "192.88.98.1", "198.20.0.1",    "223.255.255.255",
	};

	(void)state;
	assert_reserved_all(addrs, sizeof(addrs) / sizeof(addrs[0]), false);
}

static void rebind_ipv6_reserved_ranges_reserved(void **state)
{
	static const char *const addrs[] = {
		"::1",         "::",          "ff02::fb",        "fc00::1",       "fd42:6d73:62::2",
		"fe80::1",     "fec0::1",     "100::1",          "100::ffff:ffff:ffff:ffff",
		"64:ff9b:1::1", "2001:db8::1", "3fff::1",        "3fff:fff::1",
	};

	(void)state;
	assert_reserved_all(addrs, sizeof(addrs) / sizeof(addrs[0]), true);
}

static void rebind_ipv6_public_not_reserved(void **state)
{
	static const char *const addrs[] = {
		"2606:4700:4700::1111", "2001:4860:4860::8888", "64:ff9b::808:808", "100:0:0:1::",
		"2001:db9::1",          "3fff:1000::1",         "::2",
	};

	(void)state;
	assert_reserved_all(addrs, sizeof(addrs) / sizeof(addrs[0]), false);
}

static void rebind_mapped_private_reserved(void **state)
{
	(void)state;
	assert_true(reserved("::ffff:10.0.0.1"));
	assert_true(reserved("::ffff:127.0.0.1"));
}

static void rebind_mapped_public_not_reserved(void **state)
{
	(void)state;
	assert_false(reserved("::ffff:8.8.8.8"));
}

/* allow_all admits nothing: defaults never count. */
static void rebind_allow_all_private_not_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_ALLOW_ALL), 0);
	assert_false(admits(&p, "10.0.0.1"));
	assert_false(admits(&p, "192.168.1.1"));
	sbgw_policy_clear(&p);
}

static void rebind_public_only_private_not_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_false(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

static void rebind_allow_private_admits_private(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	struct sbgw_rule r = test_rule("allow to group private");
	assert_int_equal(sbgw_policy_append(&p, &r), 0);
	assert_true(admits(&p, "10.1.2.3"));
	assert_true(admits(&p, "fd00::5"));
	sbgw_policy_clear(&p);
}

static void rebind_allow_private_loopback_not_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to group public", "allow to group private", RULES_END);
	assert_int_equal(sbgw_policy_append_allow_dns(&p), 0);
	assert_false(admits(&p, "127.0.0.1"));
	assert_false(admits(&p, "169.254.1.1"));
	assert_false(admits(&p, "0.0.0.0"));
	sbgw_policy_clear(&p);
}

static void rebind_earlier_deny_wins_not_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "deny to 10.20.30.40/32", "allow to group private", RULES_END);
	assert_false(admits(&p, "10.20.30.40"));
	assert_true(admits(&p, "10.20.30.41"));
	sbgw_policy_clear(&p);
}

static void rebind_port_scoped_allow_not_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp port 443 to 10.0.0.0/8", RULES_END);
	assert_false(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

/* A port-scoped deny is skipped, so it cannot shadow a later allow. */
static void rebind_port_scoped_deny_skipped_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "deny tcp port 22 to 10.0.0.0/8", "allow to 10.0.0.0/8", RULES_END);
	assert_true(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

static void rebind_any_destination_not_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to any", RULES_END);
	assert_false(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

static void rebind_domain_rule_not_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to domain internal.example", RULES_END);
	assert_false(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

static void rebind_ingress_allow_not_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow ingress to 10.0.0.0/8", RULES_END);
	assert_false(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

static void rebind_any_direction_allow_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow any to 10.0.0.0/8", RULES_END);
	assert_true(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

/* TCP is walked first, then UDP: a UDP-only allow behind a TCP deny still admits. */
static void rebind_udp_allow_after_tcp_deny_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "deny tcp to 10.0.0.0/8", "allow udp to 10.0.0.0/8", RULES_END);
	assert_true(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

static void rebind_deny_any_protocol_blocks_both(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "deny to 10.0.0.0/8", "allow udp to 10.0.0.0/8",
		    "allow tcp to 10.0.0.0/8", RULES_END);
	assert_false(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

static void rebind_icmp_allow_not_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow icmpv4 to 10.0.0.0/8", RULES_END);
	assert_false(admits(&p, "10.0.0.1"));
	sbgw_policy_clear(&p);
}

static void rebind_mapped_answer_ipv4_rule_admitted(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 192.168.0.0/16", RULES_END);
	assert_true(admits(&p, "::ffff:192.168.7.7"));
	sbgw_policy_clear(&p);
}

static void rebind_host_group_uses_gateway_addrs(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to group host", RULES_END);
	assert_true(admits(&p, "172.16.0.1"));
	assert_true(admits(&p, "fd42:6d73:62::1"));
	assert_false(admits(&p, "172.16.0.2"));
	sbgw_policy_clear(&p);
}

static void rebind_zero_cidr_admits_unspecified(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 0.0.0.0/0", RULES_END);
	assert_true(admits(&p, "0.0.0.0"));
	sbgw_policy_clear(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rebind_ipv4_reserved_ranges_reserved),
		cmocka_unit_test(rebind_ipv4_public_not_reserved),
		cmocka_unit_test(rebind_ipv6_reserved_ranges_reserved),
		cmocka_unit_test(rebind_ipv6_public_not_reserved),
		cmocka_unit_test(rebind_mapped_private_reserved),
		cmocka_unit_test(rebind_mapped_public_not_reserved),
		cmocka_unit_test(rebind_allow_all_private_not_admitted),
		cmocka_unit_test(rebind_public_only_private_not_admitted),
		cmocka_unit_test(rebind_allow_private_admits_private),
		cmocka_unit_test(rebind_allow_private_loopback_not_admitted),
		cmocka_unit_test(rebind_earlier_deny_wins_not_admitted),
		cmocka_unit_test(rebind_port_scoped_allow_not_admitted),
		cmocka_unit_test(rebind_port_scoped_deny_skipped_admitted),
		cmocka_unit_test(rebind_any_destination_not_admitted),
		cmocka_unit_test(rebind_domain_rule_not_admitted),
		cmocka_unit_test(rebind_ingress_allow_not_admitted),
		cmocka_unit_test(rebind_any_direction_allow_admitted),
		cmocka_unit_test(rebind_udp_allow_after_tcp_deny_admitted),
		cmocka_unit_test(rebind_deny_any_protocol_blocks_both),
		cmocka_unit_test(rebind_icmp_allow_not_admitted),
		cmocka_unit_test(rebind_mapped_answer_ipv4_rule_admitted),
		cmocka_unit_test(rebind_host_group_uses_gateway_addrs),
		cmocka_unit_test(rebind_zero_cidr_admits_unspecified),
	};

	return cmocka_run_group_tests_name("rebind", tests, setup, NULL);
}
