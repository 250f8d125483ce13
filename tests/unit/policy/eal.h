/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL for unit tests that need rte_acl (which allocates with rte_malloc).
 * No hugepages, no shared files and no IPC, so any number of test
 * processes can run at once.
 */
#ifndef SBGW_TESTS_POLICY_EAL_H
#define SBGW_TESTS_POLICY_EAL_H

/* CMocka group setup and teardown. */
int test_eal_setup(void **state);
int test_eal_teardown(void **state);

#endif
