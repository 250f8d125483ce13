/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A plain linear evaluator of a normalised policy (semantics §2.2–§2.7,
 * cache-only domain matching), written straight from the specification
 * and independent of the compiler: the oracle of the differential test
 * and the baseline of the classifier benchmark. Tests and benchmarks only.
 */
#ifndef SBGW_TESTS_POLICY_REFERENCE_H
#define SBGW_TESTS_POLICY_REFERENCE_H

#include "policy.h"

/*
 * The verdict for pkt (its domain_bits are ignored) in direction dir.
 * names[0..n_names) are the canonical names pinned to the address.
 */
struct sbgw_verdict ref_evaluate(const struct sbgw_policy *p, enum sbgw_dir dir,
				 const struct sbgw_policy_packet *pkt,
				 const struct sbgw_host_addrs *host, const char *const *names,
				 unsigned int n_names);

/* The group of an address, from the table in semantics §2.5. */
enum sbgw_group ref_group(const struct sbgw_addr *a, const struct sbgw_host_addrs *host);

#endif
