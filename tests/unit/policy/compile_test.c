/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compiled policy (rte_acl) against the worked examples of semantics
 * §1.2, §1.4, §2.2–§2.10, and the compiler's own contract (domain sets,
 * errors, statistics, batch classification).
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eal.h"
#include "policy.h"
#include "testrule.h"

static struct sbgw_host_addrs host;

static int setup(void **state)
{
	host = test_host();
	return test_eal_setup(state);
}

/* §2.3: first match wins. */
static void compile_earlier_allow_shadows_deny_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 10.0.0.0/8", "deny to 10.0.0.5", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "10.0.0.5", IPPROTO_TCP, 80), SBGW_ACTION_ALLOW, 0);
	sbgw_policy_clear(&p);
}

static void compile_no_match_egress_default(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 10.0.0.0/8", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "11.0.0.1", IPPROTO_TCP, 80), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_port_range_inside_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp port 8000-9000 to any", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_TCP, 8080), SBGW_ACTION_ALLOW, 0);
	sbgw_policy_clear(&p);
}

static void compile_port_range_outside_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp port 8000-9000 to any", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_TCP, 9001), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_port_range_edges_inclusive(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow udp port 0-0 to any", "allow udp port 65535 to any",
		    RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_UDP, 0), SBGW_ACTION_ALLOW, 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_UDP, 65535), SBGW_ACTION_ALLOW,
		       1);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_UDP, 1), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

/* §1.4: a port filter without a protocol covers TCP and UDP. */
static void compile_port_without_protocol_matches_udp(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow port 5000 to any", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_UDP, 5000), SBGW_ACTION_ALLOW, 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_TCP, 5000), SBGW_ACTION_ALLOW, 0);
	sbgw_policy_clear(&p);
}

/* §1.4: a port filter never matches ICMP. */
static void compile_port_rule_icmp_not_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny port 0-65535 to any", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_ICMP, 0), SBGW_ACTION_ALLOW, -1);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "2001:4860::8888", IPPROTO_ICMPV6, 0),
		       SBGW_ACTION_ALLOW, -1);
	sbgw_policy_clear(&p);
}

static void compile_port_rule_other_protocol_not_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny port 0-65535 to any", RULES_END);
	/* GRE has no ports either. */
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", 47, 0), SBGW_ACTION_ALLOW, -1);
	sbgw_policy_clear(&p);
}

static void compile_icmp_deny_under_allow_all_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny icmpv4 to any", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_ICMP, 0), SBGW_ACTION_DENY, 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_TCP, 443), SBGW_ACTION_ALLOW, -1);
	sbgw_policy_clear(&p);
}

static void compile_icmpv4_rule_ipv6_ping_not_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny icmpv4 to any", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "2001:4860::8888", IPPROTO_ICMPV6, 0),
		       SBGW_ACTION_ALLOW, -1);
	sbgw_policy_clear(&p);
}

static void compile_icmpv6_rule_ipv6_ping_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny icmpv6 to any", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "2001:4860::8888", IPPROTO_ICMPV6, 0),
		       SBGW_ACTION_DENY, 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_ICMP, 0), SBGW_ACTION_ALLOW, -1);
	sbgw_policy_clear(&p);
}

/* An ICMP rule with a port can never match: it compiles to nothing. */
static void compile_icmp_rule_with_port_no_acl_rules(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	unsigned int n = 99;

	(void)state;
	test_policy(&p, "allow/allow", "deny icmpv4 port 0 to any", RULES_END);
	cp = test_compile(&p);
	sbgw_policy_stats(cp, &n, NULL);
	assert_int_equal(n, 0);
	sbgw_policy_free(cp);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_ICMP, 0), SBGW_ACTION_ALLOW, -1);
	sbgw_policy_clear(&p);
}

/* §2.5: the unspecified address is in no group, not even public. */
static void compile_unspecified_v4_not_public(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to group public", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "0.0.0.0", IPPROTO_TCP, 80), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_unspecified_v6_not_public(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to group public", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "::", IPPROTO_TCP, 80), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_unspecified_matches_zero_cidr(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 0.0.0.0/0", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "0.0.0.0", IPPROTO_TCP, 80), SBGW_ACTION_ALLOW, 0);
	sbgw_policy_clear(&p);
}

static void compile_unspecified_matches_any(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to any", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "::", IPPROTO_UDP, 80), SBGW_ACTION_ALLOW, 0);
	sbgw_policy_clear(&p);
}

/* §2.4: ::ffff:169.254.169.254 is the metadata address. */
static void compile_mapped_metadata_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny to group metadata", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "::ffff:169.254.169.254", IPPROTO_TCP, 80),
		       SBGW_ACTION_DENY, 0);
	sbgw_policy_clear(&p);
}

static void compile_mapped_address_ipv4_cidr_matches(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 10.0.0.0/8", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "::ffff:10.1.2.3", IPPROTO_TCP, 80),
		       SBGW_ACTION_ALLOW, 0);
	sbgw_policy_clear(&p);
}

static void compile_mapped_cidr_matches_ipv4(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_rule r;

	(void)state;
	test_policy(&p, "deny/allow", RULES_END);
	sbgw_rule_init(&r, SBGW_ACTION_ALLOW);
	r.dest_kind = SBGW_DEST_CIDR;
	/* Not normalised on purpose: the compiler must do it. */
	assert_int_equal(sbgw_cidr_parse("::ffff:10.0.0.0/104", false, &r.cidr, NULL), 0);
	assert_int_equal(sbgw_policy_append(&p, &r), 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "10.9.9.9", IPPROTO_TCP, 80), SBGW_ACTION_ALLOW, 0);
	sbgw_policy_clear(&p);
}

/* §2.6: families never cross. */
static void compile_ipv4_cidr_ipv6_packet_not_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 0.0.0.0/0", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "2001:4860::8888", IPPROTO_TCP, 80),
		       SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_ipv6_zero_cidr_ipv4_packet_not_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to ::/0", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_TCP, 80), SBGW_ACTION_DENY, -1);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "2001:4860::8888", IPPROTO_TCP, 80),
		       SBGW_ACTION_ALLOW, 0);
	sbgw_policy_clear(&p);
}

static void compile_ipv6_odd_prefix_bounds(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to 2001:db8:abcd::/47", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "2001:db8:abcc:ffff::1", IPPROTO_TCP, 80),
		       SBGW_ACTION_ALLOW, 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "2001:db8:abce::", IPPROTO_TCP, 80),
		       SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_host_bits_in_rule_ignored(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	/* cidr("10.0.0.5/8") is 10.0.0.0/8 for matching (§1.5.1). */
	test_policy(&p, "deny/allow", "allow to 10.0.0.5/8", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "10.200.0.1", IPPROTO_TCP, 80), SBGW_ACTION_ALLOW,
		       0);
	sbgw_policy_clear(&p);
}

/* §2.5: the gateway is "host", not "private". */
static void compile_gateway_host_not_private(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny to group private", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "172.16.0.1", IPPROTO_TCP, 80), SBGW_ACTION_ALLOW,
		       -1);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "172.16.0.2", IPPROTO_TCP, 80), SBGW_ACTION_DENY,
		       0);
	sbgw_policy_clear(&p);
}

static void compile_host_group_ipv6_gateway_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "deny/allow", "allow to group host", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "fd42:6d73:62::1", IPPROTO_TCP, 22),
		       SBGW_ACTION_ALLOW, 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "fd42:6d73:62::2", IPPROTO_TCP, 22),
		       SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_public_only_public_tcp_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "93.184.216.34", IPPROTO_TCP, 443),
		       SBGW_ACTION_ALLOW, 2);
	sbgw_policy_clear(&p);
}

static void compile_public_only_private_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "10.0.0.1", IPPROTO_TCP, 443), SBGW_ACTION_DENY, -1);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "169.254.169.254", IPPROTO_TCP, 80),
		       SBGW_ACTION_DENY, -1);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "127.0.0.1", IPPROTO_TCP, 80), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_public_only_gateway_dns_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "172.16.0.1", IPPROTO_UDP, 53), SBGW_ACTION_ALLOW, 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "172.16.0.1", IPPROTO_TCP, 53), SBGW_ACTION_ALLOW, 1);
	sbgw_policy_clear(&p);
}

/* §2.10: under public_only the gateway does not answer ping. */
static void compile_public_only_gateway_ping_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "172.16.0.1", IPPROTO_ICMP, 0), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_public_only_gateway_http_denied(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "172.16.0.1", IPPROTO_TCP, 80), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

static void compile_public_only_ingress_allowed(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_verdict(test_judge(&p, SBGW_INGRESS, "127.0.0.1", IPPROTO_TCP, 8080), SBGW_ACTION_ALLOW,
		       -1);
	sbgw_policy_clear(&p);
}

static void compile_none_preset_denied_both_ways(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_NONE), 0);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_TCP, 443), SBGW_ACTION_DENY, -1);
	assert_verdict(test_judge(&p, SBGW_INGRESS, "127.0.0.1", IPPROTO_TCP, 80), SBGW_ACTION_DENY, -1);
	sbgw_policy_clear(&p);
}

/* §2.2: an ingress rule is not considered for egress, and vice versa. */
static void compile_ingress_rule_egress_not_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny ingress to any", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_TCP, 80), SBGW_ACTION_ALLOW, -1);
	assert_verdict(test_judge(&p, SBGW_INGRESS, "8.8.8.8", IPPROTO_TCP, 80), SBGW_ACTION_DENY, 0);
	sbgw_policy_clear(&p);
}

static void compile_any_direction_both_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny any tcp to 192.0.2.0/24", RULES_END);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "192.0.2.7", IPPROTO_TCP, 80), SBGW_ACTION_DENY, 0);
	assert_verdict(test_judge(&p, SBGW_INGRESS, "192.0.2.7", IPPROTO_TCP, 80), SBGW_ACTION_DENY, 0);
	sbgw_policy_clear(&p);
}

/* §2.9: ingress matches the peer address and the guest port. */
static void compile_ingress_peer_and_guest_port_matched(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	test_policy(&p, "allow/allow", "deny ingress tcp port 8080 to group loopback", RULES_END);
	assert_verdict(test_judge(&p, SBGW_INGRESS, "127.0.0.1", IPPROTO_TCP, 8080), SBGW_ACTION_DENY,
		       0);
	assert_verdict(test_judge(&p, SBGW_INGRESS, "127.0.0.1", IPPROTO_TCP, 8081), SBGW_ACTION_ALLOW,
		       -1);
	sbgw_policy_clear(&p);
}

static void compile_empty_policy_defaults_only(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	unsigned int n = 99;
	size_t bytes = 99;

	(void)state;
	test_policy(&p, "deny/allow", RULES_END);
	cp = test_compile(&p);
	sbgw_policy_stats(cp, &n, &bytes);
	assert_int_equal(n, 0);
	assert_int_equal(bytes, 0);
	sbgw_policy_free(cp);
	assert_verdict(test_judge(&p, SBGW_EGRESS, "8.8.8.8", IPPROTO_TCP, 80), SBGW_ACTION_DENY, -1);
	assert_verdict(test_judge(&p, SBGW_INGRESS, "8.8.8.8", IPPROTO_TCP, 80), SBGW_ACTION_ALLOW, -1);
	sbgw_policy_clear(&p);
}

/* public_only: 3 ACL rules per family, egress only. */
static void compile_stats_count_acl_rules(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	unsigned int n = 0;
	size_t bytes = 0;

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	cp = test_compile(&p);
	sbgw_policy_stats(cp, &n, &bytes);
	assert_int_equal(n, 6);
	assert_true(bytes > 0);
	assert_false(sbgw_policy_has_domain_rules(cp));
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void compile_reversed_port_range_einval(void **state)
{
	struct sbgw_policy p = {0};
	char err[256] = "";

	(void)state;
	test_policy(&p, "deny/allow", "allow to any", "allow tcp port 90-80 to any", RULES_END);
	errno = 0;
	assert_null(sbgw_policy_compile(&p, "bad", err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "rule #1"));
	sbgw_policy_clear(&p);
}

static void compile_group_none_einval(void **state)
{
	struct sbgw_policy p = {0};
	char err[256] = "";

	(void)state;
	test_policy(&p, "deny/allow", "allow to group public", RULES_END);
	p.rules[0].group = SBGW_GROUP_NONE;
	errno = 0;
	assert_null(sbgw_policy_compile(&p, "bad", err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "group"));
	sbgw_policy_clear(&p);
}

static void compile_no_direction_einval(void **state)
{
	struct sbgw_policy p = {0};
	char err[256] = "";

	(void)state;
	test_policy(&p, "deny/allow", "allow to any", RULES_END);
	p.rules[0].dirs = 0;
	errno = 0;
	assert_null(sbgw_policy_compile(&p, "bad", err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	sbgw_policy_clear(&p);
}

/* rte_acl_create() hands back an existing context of the same name. */
static void compile_same_name_twice_independent(void **state)
{
	struct sbgw_policy a = {0}, b = {0};
	struct sbgw_policy_compiled *ca, *cb;
	struct sbgw_policy_packet pkt = {.ip_proto = IPPROTO_TCP, .port = 80};

	(void)state;
	test_policy(&a, "deny/allow", "allow to 10.0.0.0/8", RULES_END);
	test_policy(&b, "deny/allow", "deny to 10.0.0.0/8", RULES_END);
	pkt.addr = test_addr("10.1.1.1");
	ca = test_compile(&a);
	cb = test_compile(&b);
	assert_verdict(sbgw_policy_evaluate(ca, SBGW_EGRESS, &pkt, &host, NULL), SBGW_ACTION_ALLOW,
		       0);
	assert_verdict(sbgw_policy_evaluate(cb, SBGW_EGRESS, &pkt, &host, NULL), SBGW_ACTION_DENY,
		       0);
	sbgw_policy_free(ca);
	sbgw_policy_free(cb);
	sbgw_policy_clear(&a);
	sbgw_policy_clear(&b);
}

static void compile_long_name_accepted(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	char err[256];

	(void)state;
	test_policy(&p, "deny/allow", "allow to any", RULES_END);
	cp = sbgw_policy_compile(&p, "a-sandbox-name-much-longer-than-rte-acl-allows", err,
				 sizeof(err));
	assert_non_null(cp);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void compile_source_is_private_copy(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;

	(void)state;
	test_policy(&p, "deny/allow", "allow to any", RULES_END);
	cp = test_compile(&p);
	p.rules[0].action = SBGW_ACTION_DENY;
	assert_int_equal(sbgw_policy_source(cp)->rules[0].action, SBGW_ACTION_ALLOW);
	assert_ptr_not_equal(sbgw_policy_source(cp)->rules, p.rules);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void classify_burst_matches_single(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	struct sbgw_policy_key keys[64];
	const struct sbgw_policy_key *kp[64];
	struct sbgw_policy_packet pkt = {.ip_proto = IPPROTO_TCP};
	uint32_t results[64];

	(void)state;
	test_policy(&p, "deny/allow", "deny tcp port 100-199 to any", "allow to 10.0.0.0/8",
		    "allow tcp to group public", RULES_END);
	cp = test_compile(&p);
	for (unsigned int i = 0; i < 64; i++) {
		char text[32];

		snprintf(text, sizeof(text), "%u.0.0.%u", i % 2 ? 10u : 8u, i);
		pkt.addr = test_addr(text);
		pkt.port = (uint16_t)(i * 5);
		sbgw_policy_key_init(&keys[i], &pkt, &host);
		kp[i] = &keys[i];
	}
	assert_int_equal(sbgw_policy_classify(cp, SBGW_EGRESS, AF_INET, kp, results, 64), 0);
	for (unsigned int i = 0; i < 64; i++) {
		struct sbgw_verdict v = sbgw_policy_verdict(cp, SBGW_EGRESS, results[i], NULL);
		int want = i * 5 >= 100 && i * 5 < 200 ? 0 : i % 2 ? 1 : 2;

		assert_int_equal(v.rule, want);
	}
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void classify_bad_family_einval(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	uint32_t result;

	(void)state;
	test_policy(&p, "deny/allow", "allow to any", RULES_END);
	cp = test_compile(&p);
	assert_int_equal(sbgw_policy_classify(cp, SBGW_EGRESS, 0, NULL, &result, 0), -EINVAL);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

/* Without rules for a direction, classify reports "no match" and the default decides. */
static void classify_empty_context_no_match(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	struct sbgw_policy_key key;
	const struct sbgw_policy_key *kp[1] = {&key};
	struct sbgw_policy_packet pkt = {.ip_proto = IPPROTO_TCP, .port = 80};
	uint32_t result = 12345;

	(void)state;
	test_policy(&p, "deny/allow", "allow egress to any", RULES_END);
	cp = test_compile(&p);
	pkt.addr = test_addr("8.8.8.8");
	sbgw_policy_key_init(&key, &pkt, &host);
	assert_int_equal(sbgw_policy_classify(cp, SBGW_INGRESS, AF_INET, kp, &result, 1), 0);
	assert_int_equal(result, 0);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

static void key_init_mapped_address_ipv4_family(void **state)
{
	struct sbgw_policy_key key;
	struct sbgw_policy_packet pkt = {.ip_proto = IPPROTO_UDP, .port = 53};

	(void)state;
	pkt.addr = test_addr("::ffff:10.1.2.3");
	sbgw_policy_key_init(&key, &pkt, &host);
	assert_int_equal(key.family, AF_INET);
	assert_memory_equal(&key.addr[0], "\x0a\x01\x02\x03", 4);
	assert_memory_equal(&key.port, "\x00\x35", 2);
}

static void dump_compiled_shows_contexts_and_sets(void **state)
{
	struct sbgw_policy p = {0};
	struct sbgw_policy_compiled *cp;
	struct sbgw_rule deny[2] = {test_rule("deny to domain a.example"),
				    test_rule("deny to suffix .b.example")};
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_PUBLIC_ONLY), 0);
	assert_int_equal(sbgw_policy_prepend(&p, deny, 2), 0);
	cp = test_compile(&p);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	sbgw_policy_dump_compiled(cp, f, "");
	fclose(f);
	/* 3 rules per family for public_only, one per family for the domain set. */
	if (strstr(text, "compiled: 8 ACL rules (egress IPv4 4, IPv6 4; ingress IPv4 0, IPv6 0)") ==
		    NULL ||
	    strstr(text, "domain set 0: rules 0-1, like \"deny egress to domain a.example\"") ==
		    NULL)
		fail_msg("unexpected dump:\n%s", text);
	free(text);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compile_earlier_allow_shadows_deny_allowed),
		cmocka_unit_test(compile_no_match_egress_default),
		cmocka_unit_test(compile_port_range_inside_allowed),
		cmocka_unit_test(compile_port_range_outside_denied),
		cmocka_unit_test(compile_port_range_edges_inclusive),
		cmocka_unit_test(compile_port_without_protocol_matches_udp),
		cmocka_unit_test(compile_port_rule_icmp_not_matched),
		cmocka_unit_test(compile_port_rule_other_protocol_not_matched),
		cmocka_unit_test(compile_icmp_deny_under_allow_all_denied),
		cmocka_unit_test(compile_icmpv4_rule_ipv6_ping_not_matched),
		cmocka_unit_test(compile_icmpv6_rule_ipv6_ping_denied),
		cmocka_unit_test(compile_icmp_rule_with_port_no_acl_rules),
		cmocka_unit_test(compile_unspecified_v4_not_public),
		cmocka_unit_test(compile_unspecified_v6_not_public),
		cmocka_unit_test(compile_unspecified_matches_zero_cidr),
		cmocka_unit_test(compile_unspecified_matches_any),
		cmocka_unit_test(compile_mapped_metadata_denied),
		cmocka_unit_test(compile_mapped_address_ipv4_cidr_matches),
		cmocka_unit_test(compile_mapped_cidr_matches_ipv4),
		cmocka_unit_test(compile_ipv4_cidr_ipv6_packet_not_matched),
		cmocka_unit_test(compile_ipv6_zero_cidr_ipv4_packet_not_matched),
		cmocka_unit_test(compile_ipv6_odd_prefix_bounds),
		cmocka_unit_test(compile_host_bits_in_rule_ignored),
		cmocka_unit_test(compile_gateway_host_not_private),
		cmocka_unit_test(compile_host_group_ipv6_gateway_matched),
		cmocka_unit_test(compile_public_only_public_tcp_allowed),
		cmocka_unit_test(compile_public_only_private_denied),
		cmocka_unit_test(compile_public_only_gateway_dns_allowed),
		cmocka_unit_test(compile_public_only_gateway_ping_denied),
		cmocka_unit_test(compile_public_only_gateway_http_denied),
		cmocka_unit_test(compile_public_only_ingress_allowed),
		cmocka_unit_test(compile_none_preset_denied_both_ways),
		cmocka_unit_test(compile_ingress_rule_egress_not_matched),
		cmocka_unit_test(compile_any_direction_both_matched),
		cmocka_unit_test(compile_ingress_peer_and_guest_port_matched),
		cmocka_unit_test(compile_empty_policy_defaults_only),
		cmocka_unit_test(compile_stats_count_acl_rules),
		cmocka_unit_test(compile_reversed_port_range_einval),
		cmocka_unit_test(compile_group_none_einval),
		cmocka_unit_test(compile_no_direction_einval),
		cmocka_unit_test(compile_same_name_twice_independent),
		cmocka_unit_test(compile_long_name_accepted),
		cmocka_unit_test(compile_source_is_private_copy),
		cmocka_unit_test(classify_burst_matches_single),
		cmocka_unit_test(classify_bad_family_einval),
		cmocka_unit_test(classify_empty_context_no_match),
		cmocka_unit_test(key_init_mapped_address_ipv4_family),
		cmocka_unit_test(dump_compiled_shows_contexts_and_sets),
	};

	return cmocka_run_group_tests_name("compile", tests, setup, test_eal_teardown);
}
