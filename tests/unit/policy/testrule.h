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

#endif
