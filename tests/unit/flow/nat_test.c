/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Source NAT: per-worker port slices, endpoint-dependent mappings that are
 * never handed out twice, random port choice, ICMP echo identifiers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_common.h>

#include "flow_test_util.h"

#define NOW 1000
#define PORTS 65536

/* A table for worker w of n over [lo, hi]. */
static struct sbgw_flow_table *slice_table(uint32_t capacity, unsigned int w, unsigned int n,
                                           uint16_t lo, uint16_t hi)
{
	struct sbgw_flow_table_params p = flow_test_params(capacity);

	p.worker = w;
	p.n_workers = n;
	p.nat_port_lo = lo;
	p.nat_port_hi = hi;
	return flow_test_table(&p);
}

/*
 * Create flows from distinct guest ports to one remote endpoint until the
 * NAT refuses; record which ports were used. Returns how many succeeded.
 */
static unsigned int fill_endpoint(struct sbgw_flow_table *t, const char *remote,
                                  uint16_t remote_port, bool used[PORTS], unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < max; i++) {
		struct sbgw_flow_key g = flow_test_guest_key(
		        0, IPPROTO_UDP, "172.16.0.2", (uint16_t)(20000 + i), remote, remote_port);
		struct sbgw_flow *f = flow_test_create(t, &g, "198.51.100.7", false, NOW);

		if (f == NULL) {
			assert_int_equal(errno, EADDRINUSE);
			break;
		}
		/* Never the same mapping twice. */
		assert_false(used[f->nat_port]);
		used[f->nat_port] = true;
		n++;
	}
	return n;
}

static void nat_port_within_worker_slice(void **state)
{
	/* 1024..1123 over 3 workers: 34, 33, 33 ports. */
	struct sbgw_flow_table *t = slice_table(256, 1, 3, 1024, 1123);

	(void)state;
	for (uint16_t i = 0; i < 20; i++) {
		struct sbgw_flow_key g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2",
		                                             (uint16_t)(3000 + i), "1.1.1.1", 443);
		struct sbgw_flow *f = flow_test_create(t, &g, "198.51.100.7", true, NOW);

		assert_non_null(f);
		assert_in_range(f->nat_port, 1058, 1090);
	}
	sbgw_flow_table_free(t);
}

static void nat_endpoint_slice_full_eaddrinuse_counted(void **state)
{
	/* Worker 2 of 4 over 1024..1279: 64 ports, 1152..1215. */
	struct sbgw_flow_table *t = slice_table(1024, 2, 4, 1024, 1279);
	static bool used[PORTS];
	struct sbgw_flow_key g;

	(void)state;
	memset(used, 0, sizeof(used));
	assert_int_equal(fill_endpoint(t, "1.1.1.1", 53, used, 1000), 64);
	for (unsigned int port = 1152; port <= 1215; port++)
		assert_true(used[port]);
	assert_int_equal(sbgw_flow_table_counters(t)->nat_ports_exhausted, 1);
	g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2", 9, "1.1.1.1", 53);
	errno = 0;
	assert_null(flow_test_create(t, &g, "198.51.100.7", false, NOW));
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(sbgw_flow_table_counters(t)->nat_ports_exhausted, 2);
	/* Failed creates leave nothing behind. */
	assert_int_equal(sbgw_flow_count(t), 64);
	assert_int_equal(flow_test_hash_keys(t), 128);
	assert_null(sbgw_flow_lookup(t, &g));
	sbgw_flow_table_free(t);
}

static void nat_slice_full_other_endpoint_reuses_ports(void **state)
{
	struct sbgw_flow_table *t = slice_table(1024, 0, 4, 1024, 1279);
	static bool used[PORTS], used_other[PORTS], used_port[PORTS];

	(void)state;
	memset(used, 0, sizeof(used));
	memset(used_other, 0, sizeof(used_other));
	memset(used_port, 0, sizeof(used_port));
	assert_int_equal(fill_endpoint(t, "1.1.1.1", 53, used, 1000), 64);
	/* Another remote address, then the same address on another port: 64 more each. */
	assert_int_equal(fill_endpoint(t, "8.8.8.8", 53, used_other, 1000), 64);
	assert_int_equal(fill_endpoint(t, "1.1.1.1", 853, used_port, 1000), 64);
	assert_int_equal(sbgw_flow_count(t), 192);
	for (unsigned int port = 0; port < PORTS; port++) {
		assert_int_equal(used_other[port], used[port]);
		assert_int_equal(used_port[port], used[port]);
	}
	sbgw_flow_table_free(t);
}

static void nat_slice_full_other_protocol_reuses_ports(void **state)
{
	struct sbgw_flow_table *t = slice_table(1024, 0, 4, 1024, 1279);
	static bool used[PORTS];
	struct sbgw_flow_key g;

	(void)state;
	memset(used, 0, sizeof(used));
	assert_int_equal(fill_endpoint(t, "1.1.1.1", 53, used, 1000), 64);
	g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 20000, "1.1.1.1", 53);
	assert_non_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	sbgw_flow_table_free(t);
}

static void nat_deleted_mapping_port_reused(void **state)
{
	struct sbgw_flow_table *t = slice_table(1024, 0, 4, 1024, 1279);
	static bool used[PORTS];
	struct sbgw_flow_key g, r;
	struct sbgw_flow *f;
	uint16_t freed;

	(void)state;
	memset(used, 0, sizeof(used));
	assert_int_equal(fill_endpoint(t, "1.1.1.1", 53, used, 1000), 64);
	g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2", 20010, "1.1.1.1", 53);
	f = sbgw_flow_lookup(t, &g);
	assert_non_null(f);
	freed = f->nat_port;
	sbgw_flow_delete(t, f);
	g.src_port = 30000;
	f = flow_test_create(t, &g, "198.51.100.7", false, NOW);
	assert_non_null(f);
	assert_int_equal(f->nat_port, freed);
	r = flow_test_reply_key(IPPROTO_UDP, "1.1.1.1", 53, "198.51.100.7", freed);
	assert_ptr_equal(sbgw_flow_lookup(t, &r), f);
	sbgw_flow_table_free(t);
}

static void release(struct sbgw_flow_table *t, struct sbgw_flow *owner[3][PORTS],
                    struct sbgw_flow *f, unsigned int endpoint)
{
	assert_ptr_equal(owner[endpoint][f->nat_port], f);
	owner[endpoint][f->nat_port] = NULL;
	sbgw_flow_delete(t, f);
}

static void nat_mixed_endpoints_mapping_never_shared(void **state)
{
	/* Three endpoints share a 64-port slice, 40 new flows each per round, with churn. */
	static const char *const remotes[] = {"1.1.1.1", "8.8.8.8", "9.9.9.9"};
	struct sbgw_flow_table *t = slice_table(1024, 3, 4, 1024, 1279);
	static struct sbgw_flow *owner[3][PORTS];
	struct sbgw_flow *flows[5][120];

	(void)state;
	memset(owner, 0, sizeof(owner));
	for (unsigned int round = 0; round < 5; round++) {
		for (unsigned int i = 0; i < 120; i++) {
			struct sbgw_flow_key g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2",
			                                             (uint16_t)(1000 * round + i),
			                                             remotes[i % 3], 53);
			struct sbgw_flow *f = flow_test_create(t, &g, "198.51.100.7", false, NOW);

			assert_non_null(f);
			assert_in_range(f->nat_port, 1216, 1279);
			assert_null(owner[i % 3][f->nat_port]);
			owner[i % 3][f->nat_port] = f;
			flows[round][i] = f;
		}
		/* Keep a third of each endpoint's flows until the end of the next round. */
		for (unsigned int i = 0; i < 120; i++) {
			if ((i / 3 + round) % 3 != 0)
				release(t, owner, flows[round][i], i % 3);
			if (round > 0 && (i / 3 + round - 1) % 3 == 0)
				release(t, owner, flows[round - 1][i], i % 3);
		}
	}
	sbgw_flow_table_free(t);
}

static void nat_worker_slices_disjoint_cover_range_match_owner(void **state)
{
	/* 100 ports over 3 workers: the first slice gets the odd port. */
	static unsigned int worker_of[PORTS];
	unsigned int sizes[3] = {0, 0, 0};

	(void)state;
	for (unsigned int p = 0; p < PORTS; p++)
		worker_of[p] = UINT32_MAX;
	for (unsigned int w = 0; w < 3; w++) {
		struct sbgw_flow_table *t = slice_table(256, w, 3, 2000, 2099);
		static bool used[PORTS];

		memset(used, 0, sizeof(used));
		sizes[w] = fill_endpoint(t, "1.1.1.1", 53, used, 1000);
		for (unsigned int p = 0; p < PORTS; p++) {
			if (!used[p])
				continue;
			/* No port in two workers' slices. */
			assert_int_equal(worker_of[p], UINT32_MAX);
			worker_of[p] = w;
			assert_int_equal(sbgw_flow_port_owner(t, (uint16_t)p), w);
		}
		sbgw_flow_table_free(t);
	}
	assert_int_equal(sizes[0], 34);
	assert_int_equal(sizes[1], 33);
	assert_int_equal(sizes[2], 33);
	for (unsigned int p = 2000; p <= 2099; p++)
		assert_int_not_equal(worker_of[p], UINT32_MAX);
}

static void nat_port_owner_every_port_matches_slices(void **state)
{
	static const unsigned int workers[] = {1, 2, 3, 5, 7, 64};

	(void)state;
	for (unsigned int i = 0; i < RTE_DIM(workers); i++) {
		unsigned int n = workers[i];
		struct sbgw_flow_table *t = slice_table(16, 0, n, 0, 0);
		unsigned int prev = 0, changes = 0, count = 0;

		/* Default range 1024..65535: contiguous, in order, sizes differ by at most 1. */
		for (unsigned int p = 1024; p <= 65535; p++) {
			unsigned int w = sbgw_flow_port_owner(t, (uint16_t)p);

			assert_true(w < n);
			if (w != prev) {
				assert_int_equal(w, prev + 1);
				assert_in_range(count, 64512 / n, 64512 / n + 1);
				changes++;
				count = 0;
			}
			prev = w;
			count++;
		}
		assert_int_equal(changes, n - 1);
		assert_int_equal(prev, n - 1);
		sbgw_flow_table_free(t);
	}
}

static void nat_port_owner_outside_range_own_worker(void **state)
{
	(void)state;
	for (unsigned int w = 0; w < 3; w++) {
		struct sbgw_flow_table *t = slice_table(16, w, 3, 2000, 2998);

		assert_int_equal(sbgw_flow_port_owner(t, 0), w);
		assert_int_equal(sbgw_flow_port_owner(t, 1999), w);
		assert_int_equal(sbgw_flow_port_owner(t, 2000), 0);
		assert_int_equal(sbgw_flow_port_owner(t, 2333), 1);
		assert_int_equal(sbgw_flow_port_owner(t, 2998), 2);
		assert_int_equal(sbgw_flow_port_owner(t, 2999), w);
		assert_int_equal(sbgw_flow_port_owner(t, 65535), w);
		sbgw_flow_table_free(t);
	}
}

static void nat_ports_random_not_sequential(void **state)
{
	struct sbgw_flow_table *t = slice_table(1024, 0, 1, 0, 0);
	uint16_t ports[64];
	unsigned int steps_of_one = 0, below_half = 0;

	(void)state;
	for (unsigned int i = 0; i < 64; i++) {
		struct sbgw_flow_key g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2",
		                                             (uint16_t)(40000 + i), "1.1.1.1", 443);
		struct sbgw_flow *f = flow_test_create(t, &g, "198.51.100.7", true, NOW);

		assert_non_null(f);
		ports[i] = f->nat_port;
		if (ports[i] < 1024 + 64512 / 2)
			below_half++;
		if (i > 0 && (uint16_t)(ports[i] - ports[i - 1]) <= 1)
			steps_of_one++;
	}
	/*
	 * A sequential allocator gives 63 steps of one; random ports almost
	 * never (p ~ 1e-3 per step), and spread over the whole range.
	 */
	assert_true(steps_of_one <= 3);
	assert_in_range(below_half, 12, 52);
	sbgw_flow_table_free(t);
}

static void nat_icmp_echo_identifier_mapped(void **state)
{
	struct sbgw_flow_table *t = slice_table(64, 1, 2, 0, 0);
	struct sbgw_flow_key g =
	        flow_test_guest_key(0, IPPROTO_ICMP, "172.16.0.2", 4242, "1.1.1.1", 0);
	struct sbgw_flow_key g6 = flow_test_guest_key(0, IPPROTO_ICMPV6, "fd42:6d73:62::2", 4242,
	                                              "2606:4700::1111", 0);
	struct sbgw_flow_key r;
	struct sbgw_flow *f, *f6;

	(void)state;
	f = flow_test_create(t, &g, "198.51.100.7", false, NOW);
	f6 = flow_test_create(t, &g6, "2001:db8::7", false, NOW);
	assert_non_null(f);
	assert_non_null(f6);
	assert_int_equal(sbgw_flow_port_owner(t, f->nat_port), 1);
	assert_int_equal(sbgw_flow_port_owner(t, f6->nat_port), 1);
	/* The echo reply carries the NAT identifier and no port. */
	r = flow_test_reply_key(IPPROTO_ICMP, "1.1.1.1", 0, "198.51.100.7", f->nat_port);
	assert_ptr_equal(sbgw_flow_lookup(t, &r), f);
	r = flow_test_reply_key(IPPROTO_ICMPV6, "2606:4700::1111", 0, "2001:db8::7", f6->nat_port);
	assert_ptr_equal(sbgw_flow_lookup(t, &r), f6);
	sbgw_flow_table_free(t);
}

static void nat_ipv6_uplink_key_uses_uplink_address(void **state)
{
	struct sbgw_flow_table *t = slice_table(64, 0, 1, 0, 0);
	struct sbgw_flow_key g =
	        flow_test_guest_key(0, IPPROTO_TCP, "fd42:6d73:62::2", 50000, "2001:db8:1::80", 80);
	struct sbgw_flow_key r;
	struct sbgw_flow *f;

	(void)state;
	f = flow_test_create(t, &g, "2001:db8:ffff::7", true, NOW);
	assert_non_null(f);
	r = flow_test_reply_key(IPPROTO_TCP, "2001:db8:1::80", 80, "2001:db8:ffff::7", f->nat_port);
	assert_memory_equal(&f->uplink_key, &r, sizeof(r));
	/* The guest address must not leak into the uplink side. */
	r = flow_test_reply_key(IPPROTO_TCP, "2001:db8:1::80", 80, "fd42:6d73:62::2", f->nat_port);
	assert_null(sbgw_flow_lookup(t, &r));
	sbgw_flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(nat_port_within_worker_slice),
	        cmocka_unit_test(nat_endpoint_slice_full_eaddrinuse_counted),
	        cmocka_unit_test(nat_slice_full_other_endpoint_reuses_ports),
	        cmocka_unit_test(nat_slice_full_other_protocol_reuses_ports),
	        cmocka_unit_test(nat_deleted_mapping_port_reused),
	        cmocka_unit_test(nat_mixed_endpoints_mapping_never_shared),
	        cmocka_unit_test(nat_worker_slices_disjoint_cover_range_match_owner),
	        cmocka_unit_test(nat_port_owner_every_port_matches_slices),
	        cmocka_unit_test(nat_port_owner_outside_range_own_worker),
	        cmocka_unit_test(nat_ports_random_not_sequential),
	        cmocka_unit_test(nat_icmp_echo_identifier_mapped),
	        cmocka_unit_test(nat_ipv6_uplink_key_uses_uplink_address),
	};

	return cmocka_run_group_tests_name("nat", tests, flow_test_eal_setup,
	                                   flow_test_eal_teardown);
}
