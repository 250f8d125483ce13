/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/policy: the compiled policy shared by the compiler
 * (compile.c, main lcore) and the classifier (classify.c, workers).
 */
#ifndef SBGW_POLICY_COMPILED_H
#define SBGW_POLICY_COMPILED_H

#include <rte_acl.h>

#include "policy.h"

enum {
	FAMILY_V4 = 0,
	FAMILY_V6 = 1,
	FAMILY_COUNT = 2,
	DIR_COUNT = 2,
};

/* A run of consecutive domain/suffix rules equal in everything but the name. */
struct domain_set {
	unsigned int first, last; /* rule indices, inclusive */
};

struct sbgw_policy_compiled {
	struct sbgw_policy policy; /* private copy, CIDRs normalised */
	/* [enum sbgw_dir][FAMILY_*]; NULL when no rule applies there. */
	struct rte_acl_ctx *ctx[DIR_COUNT][FAMILY_COUNT];
	unsigned int acl_rules[DIR_COUNT][FAMILY_COUNT];
	size_t bytes; /* rte_malloc bytes of all contexts */
	unsigned int n_sets;
	struct domain_set sets[SBGW_DOMAIN_SETS_MAX];
	uint8_t *rule_set; /* per rule: its domain set (domain rules only) */
};

/*
 * rte_acl userdata of a match: the policy rule index + 1 (0 is rte_acl's
 * "no match"). For a domain set it is the set's first rule.
 */
static inline uint32_t rule_userdata(unsigned int rule)
{
	return rule + 1;
}

#endif
