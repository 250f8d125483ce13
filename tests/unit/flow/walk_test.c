/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/flow/walk.c: the slices a worker re-judges its flows in after a
 * policy swap, the operator's snapshot, and a max_connections change.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "flow_test_util.h"

#define CAPACITY 64

static void count_visit(struct sbgw_flow_table *t, struct sbgw_flow *f, void *arg)
{
	(void)t;
	(void)f;
	(*(unsigned int *)arg)++;
}

static void delete_sandbox_1(struct sbgw_flow_table *t, struct sbgw_flow *f, void *arg)
{
	(void)arg;
	if (f->sandbox == 1)
		sbgw_flow_delete(t, f);
}

/* n flows, sandbox i % 2, guest ports 1000 + i. */
static struct sbgw_flow_table *table_with(unsigned int n)
{
	struct sbgw_flow_table_params p = flow_test_params(CAPACITY);
	struct sbgw_flow_table *t = flow_test_table(&p);

	for (unsigned int i = 0; i < n; i++) {
		struct sbgw_flow_key k = flow_test_guest_key(
		        i % 2, IPPROTO_TCP, "172.16.0.2", (uint16_t)(1000 + i), "203.0.113.10", 80);

		assert_non_null(flow_test_create(t, &k, "198.51.100.2", true, 1));
	}
	return t;
}

static void walk_slices_cover_every_flow_once(void **state)
{
	struct sbgw_flow_table *t = table_with(10);
	unsigned int seen = 0, slices = 0;
	uint32_t cursor = 5, left;

	(void)state;
	left = sbgw_flow_capacity(t);
	assert_int_equal(left, CAPACITY);
	/* As a worker sweeps: slices of 7 from wherever the cursor is, capacity in all. */
	while (left > 0) {
		left -= sbgw_flow_walk(t, &cursor, left < 7 ? left : 7, count_visit, &seen);
		slices++;
	}
	assert_int_equal(slices, 10);
	assert_int_equal(seen, 10);
	assert_int_equal(cursor, 5);
	sbgw_flow_table_free(t);
}

static void walk_budget_above_capacity_visits_each_once(void **state)
{
	struct sbgw_flow_table *t = table_with(5);
	unsigned int seen = 0;
	uint32_t cursor = 3;

	(void)state;
	assert_int_equal(sbgw_flow_walk(t, &cursor, 10 * CAPACITY, count_visit, &seen), CAPACITY);
	assert_int_equal(seen, 5);
	assert_int_equal(cursor, 3);
	sbgw_flow_table_free(t);
}

static void walk_may_delete_the_visited_flow(void **state)
{
	struct sbgw_flow_table *t = table_with(10);
	unsigned int seen = 0;
	uint32_t cursor = 0;

	(void)state;
	sbgw_flow_walk(t, &cursor, CAPACITY, delete_sandbox_1, NULL);
	assert_int_equal(sbgw_flow_count(t), 5);
	assert_int_equal(flow_test_hash_keys(t), 10); /* both keys of the 5 left */
	assert_int_equal(sbgw_flow_connections(t, 1), 0);
	assert_int_equal(sbgw_flow_connections(t, 0), 5);
	sbgw_flow_walk(t, &cursor, CAPACITY, count_visit, &seen);
	assert_int_equal(seen, 5);
	sbgw_flow_table_free(t);
}

static void snapshot_keeps_to_its_sandbox(void **state)
{
	struct sbgw_flow_table *t = table_with(9);
	struct sbgw_flow out[CAPACITY];
	unsigned int n;

	(void)state;
	n = sbgw_flow_snapshot(t, 0, out, CAPACITY);
	assert_int_equal(n, 5);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(out[i].sandbox, 0);
		assert_int_equal(out[i].guest_key.dst_port, 80);
	}
	assert_int_equal(sbgw_flow_snapshot(t, 1, out, 2), 2); /* at most max */
	assert_int_equal(sbgw_flow_snapshot(t, 3, out, CAPACITY), 0);
	sbgw_flow_table_free(t);
}

static void lowered_max_connections_refuses_new_ones(void **state)
{
	struct sbgw_flow_table *t = table_with(4); /* sandbox 0 holds 2 */
	struct sbgw_flow_key k =
	        flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 2000, "203.0.113.10", 80);

	(void)state;
	sbgw_flow_set_max_connections(t, 0, 2);
	assert_null(flow_test_create(t, &k, "198.51.100.2", true, 1));
	assert_int_equal(errno, EDQUOT);
	assert_int_equal(sbgw_flow_count(t), 4); /* the ones above the cap stay */
	sbgw_flow_set_max_connections(t, 0, 3);
	assert_non_null(flow_test_create(t, &k, "198.51.100.2", true, 1));
	sbgw_flow_set_max_connections(t, 99, 1); /* out of range: ignored */
	sbgw_flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(walk_slices_cover_every_flow_once),
	        cmocka_unit_test(walk_budget_above_capacity_visits_each_once),
	        cmocka_unit_test(walk_may_delete_the_visited_flow),
	        cmocka_unit_test(snapshot_keeps_to_its_sandbox),
	        cmocka_unit_test(lowered_max_connections_refuses_new_ones),
	};

	return cmocka_run_group_tests(tests, flow_test_eal_setup, flow_test_eal_teardown);
}
