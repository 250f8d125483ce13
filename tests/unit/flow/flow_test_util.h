/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/flow unit tests: EAL set-up for a CMocka group, and
 * keys built the way the datapath sees packets, independently of how
 * lib/flow builds them, so that a wrong key layout fails the tests.
 */
#ifndef SBGW_TEST_FLOW_UTIL_H
#define SBGW_TEST_FLOW_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "flow.h"

int flow_test_eal_setup(void **state);
int flow_test_eal_teardown(void **state);

/* 1 worker, default NAT range, 4 sandboxes at the default cap, default timeouts. */
struct sbgw_flow_table_params flow_test_params(uint32_t capacity);
/* Create with a fresh unique name; fails the test on error. */
struct sbgw_flow_table *flow_test_table(struct sbgw_flow_table_params *p);

/* A guest-side key: zone = sandbox, guest address/port → remote address/port. */
struct sbgw_flow_key flow_test_guest_key(uint32_t sandbox, uint8_t proto, const char *guest,
                                         uint16_t guest_port, const char *remote,
                                         uint16_t remote_port);
/* The key of a reply from remote to uplink:nat_port, as it arrives on the uplink. */
struct sbgw_flow_key flow_test_reply_key(uint8_t proto, const char *remote, uint16_t remote_port,
                                         const char *uplink, uint16_t nat_port);

/* Create a flow for key from uplink (a literal); NULL and errno as sbgw_flow_create. */
struct sbgw_flow *flow_test_create(struct sbgw_flow_table *t, const struct sbgw_flow_key *key,
                                   const char *uplink, bool counts_connection, uint64_t now);

/* Keys still in the table's hash (both sides of every flow). */
int32_t flow_test_hash_keys(const struct sbgw_flow_table *t);

#endif
