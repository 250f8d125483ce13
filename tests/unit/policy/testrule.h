/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules for tests, written the way sbgw_rule_format() prints them:
 *   "<allow|deny> [egress|ingress|any] [tcp|udp|icmpv4|icmpv6] [port N[-M]]
 *    to <any | group G | domain D | suffix S | ip A | cidr A/L | A | A/L>"
 * Direction defaults to egress. Parse errors abort the test.
 */
#ifndef SBGW_TESTS_POLICY_TESTRULE_H
#define SBGW_TESTS_POLICY_TESTRULE_H

#include "policy.h"

struct sbgw_rule test_rule(const char *text);

/*
 * Fill p (overwritten) with the defaults "<egress>/<ingress>", e.g.
 * "deny/allow", and the rules given as text, terminated by RULES_END.
 */
#define RULES_END ((const char *)NULL)
void test_policy(struct sbgw_policy *p, const char *defaults, ...);

/* The default host of the tests: 172.16.0.1 and fd42:6d73:62::1 (semantics §7, slot 0). */
struct sbgw_host_addrs test_host(void);

/* Parse an address literal or abort. */
struct sbgw_addr test_addr(const char *text);

/*
 * Helpers for tests that include <cmocka.h> and run with EAL (test_eal_setup()).
 */

/* Compile p or fail the test. */
struct sbgw_policy_compiled *test_compile(const struct sbgw_policy *p);

/* Compile p, judge one packet to/from addr for test_host(), free. */
struct sbgw_verdict test_judge(const struct sbgw_policy *p, enum sbgw_dir dir, const char *addr,
			       uint8_t ip_proto, uint16_t port);

/*
 * Judge a packet whose address is pinned to names[0..n), through
 * sbgw_policy_domain_hits(); exact passes the hits on to the verdict.
 */
struct sbgw_verdict test_judge_pinned(const struct sbgw_policy_compiled *cp, enum sbgw_dir dir,
				      const char *addr, uint8_t ip_proto, uint16_t port,
				      const char *const *names, unsigned int n, bool exact);

#define assert_verdict(v, act, idx)                                                                \
	do {                                                                                       \
		struct sbgw_verdict v_ = (v);                                                      \
		if (v_.action != (act) || v_.rule != (idx))                                        \
			fail_msg("verdict %s rule %d, want %s rule %d",                            \
				 sbgw_action_name(v_.action), v_.rule, sbgw_action_name(act),      \
				 (idx));                                                           \
	} while (0)

#endif
