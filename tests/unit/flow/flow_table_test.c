/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table: both keys, bulk lookup, deletion, capacity and the
 * per-sandbox max_connections cap (semantics §2.12).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>

#include "flow_priv.h"
#include "flow_test_util.h"

#define NOW 1000

static void flow_lookup_both_sides_same_flow(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g =
	        flow_test_guest_key(1, IPPROTO_TCP, "172.16.0.6", 40000, "93.184.216.34", 443);
	struct sbgw_flow_key r;
	struct sbgw_flow *f;

	(void)state;
	f = flow_test_create(t, &g, "198.51.100.7", true, NOW);
	assert_non_null(f);
	r = flow_test_reply_key(IPPROTO_TCP, "93.184.216.34", 443, "198.51.100.7", f->nat_port);
	assert_ptr_equal(sbgw_flow_lookup(t, &g), f);
	assert_ptr_equal(sbgw_flow_lookup(t, &r), f);
	assert_memory_equal(&f->uplink_key, &r, sizeof(r));
	assert_memory_equal(&f->guest_key, &g, sizeof(g));
	sbgw_flow_table_free(t);
}

static void flow_lookup_ipv6_both_sides_same_flow(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g =
	        flow_test_guest_key(2, IPPROTO_UDP, "fd42:6d73:62:2::2", 5353, "2001:db8::53", 53);
	struct sbgw_flow_key r;
	struct sbgw_flow *f;

	(void)state;
	f = flow_test_create(t, &g, "2001:db8:ffff::1", false, NOW);
	assert_non_null(f);
	r = flow_test_reply_key(IPPROTO_UDP, "2001:db8::53", 53, "2001:db8:ffff::1", f->nat_port);
	assert_ptr_equal(sbgw_flow_lookup(t, &g), f);
	assert_ptr_equal(sbgw_flow_lookup(t, &r), f);
	sbgw_flow_table_free(t);
}

static void flow_lookup_other_sandbox_or_port_misses(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g =
	        flow_test_guest_key(1, IPPROTO_TCP, "172.16.0.6", 40000, "93.184.216.34", 443);
	struct sbgw_flow_key other_sandbox =
	        flow_test_guest_key(2, IPPROTO_TCP, "172.16.0.6", 40000, "93.184.216.34", 443);
	struct sbgw_flow_key other_proto =
	        flow_test_guest_key(1, IPPROTO_UDP, "172.16.0.6", 40000, "93.184.216.34", 443);
	struct sbgw_flow_key r;
	struct sbgw_flow *f;

	(void)state;
	f = flow_test_create(t, &g, "198.51.100.7", true, NOW);
	assert_non_null(f);
	assert_null(sbgw_flow_lookup(t, &other_sandbox));
	assert_null(sbgw_flow_lookup(t, &other_proto));
	/* A reply from another remote port has no mapping (endpoint-dependent). */
	r = flow_test_reply_key(IPPROTO_TCP, "93.184.216.34", 444, "198.51.100.7", f->nat_port);
	assert_null(sbgw_flow_lookup(t, &r));
	r = flow_test_reply_key(IPPROTO_TCP, "93.184.216.34", 443, "198.51.100.8", f->nat_port);
	assert_null(sbgw_flow_lookup(t, &r));
	sbgw_flow_table_free(t);
}

static void flow_lookup_bulk_mixed_hits_and_misses(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(256);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key keys[64];
	const struct sbgw_flow_key *kp[64];
	struct sbgw_flow *made[64], *found[64];

	(void)state;
	for (unsigned int i = 0; i < 64; i++) {
		struct sbgw_flow_key g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2",
		                                             (uint16_t)(10000 + i), "8.8.8.8", 53);

		made[i] = NULL;
		if (i % 3 == 0) {
			made[i] = flow_test_create(t, &g, "198.51.100.7", false, NOW);
			assert_non_null(made[i]);
		}
		/* Odd entries ask from the uplink side, with the flow's NAT port if any. */
		if (i % 2 == 1 && made[i] == NULL)
			keys[i] = flow_test_reply_key(IPPROTO_UDP, "8.8.8.8", 53, "198.51.100.9",
			                              (uint16_t)(2000 + i));
		else if (i % 2 == 1)
			keys[i] = flow_test_reply_key(IPPROTO_UDP, "8.8.8.8", 53, "198.51.100.7",
			                              made[i]->nat_port);
		else
			keys[i] = g;
		kp[i] = &keys[i];
		found[i] = (struct sbgw_flow *)1; /* must be overwritten, hit or miss */
	}
	assert_int_equal(sbgw_flow_lookup_bulk(t, kp, 64, found), 22);
	for (unsigned int i = 0; i < 64; i++)
		assert_ptr_equal(found[i], made[i]);
	sbgw_flow_table_free(t);
}

static void flow_create_records_fields(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(16);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g =
	        flow_test_guest_key(3, IPPROTO_TCP, "172.16.0.14", 40000, "1.1.1.1", 443);
	struct sbgw_flow *f;

	(void)state;
	f = flow_test_create(t, &g, "198.51.100.7", true, 12345);
	assert_non_null(f);
	assert_int_equal(f->sandbox, 3);
	assert_int_equal(f->rule, 7);
	assert_int_equal(f->last_seen, 12345);
	assert_true(f->counts_connection);
	assert_int_equal(f->tcp_state, SBGW_TCP_NONE);
	assert_int_equal(f->nat_port, f->uplink_key.dst_port);
	assert_true(f->nat_port >= 1024);
	assert_int_equal(f->packets[0] + f->packets[1] + f->bytes[0] + f->bytes[1], 0);
	assert_int_equal(sbgw_flow_count(t), 1);
	assert_int_equal(sbgw_flow_table_counters(t)->created, 1);
	sbgw_flow_table_free(t);
}

static void flow_touch_counts_by_direction(void **state)
{
	struct sbgw_flow f;

	(void)state;
	memset(&f, 0, sizeof(f));
	sbgw_flow_touch(&f, 0, 100, 5);
	sbgw_flow_touch(&f, 1, 1500, 9);
	sbgw_flow_touch(&f, 1, 40, 11);
	assert_int_equal(f.packets[0], 1);
	assert_int_equal(f.bytes[0], 100);
	assert_int_equal(f.packets[1], 2);
	assert_int_equal(f.bytes[1], 1540);
	assert_int_equal(f.last_seen, 11);
}

static void flow_create_table_full_enospc_counted(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(8);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g;

	(void)state;
	for (uint16_t i = 0; i < 8; i++) {
		g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2", (uint16_t)(1000 + i),
		                        "9.9.9.9", 53);
		assert_non_null(flow_test_create(t, &g, "198.51.100.7", false, NOW));
	}
	g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2", 999, "9.9.9.9", 53);
	errno = 0;
	assert_null(flow_test_create(t, &g, "198.51.100.7", false, NOW));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(sbgw_flow_table_counters(t)->table_full, 1);
	assert_int_equal(sbgw_flow_count(t), 8);
	/* The failed create left no key behind. */
	assert_null(sbgw_flow_lookup(t, &g));
	assert_int_equal(flow_test_hash_keys(t), 16);
	sbgw_flow_table_free(t);
}

static void flow_create_existing_guest_key_eexist(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(8);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 1, "9.9.9.9", 1);
	struct sbgw_flow *f;

	(void)state;
	f = flow_test_create(t, &g, "198.51.100.7", true, NOW);
	assert_non_null(f);
	errno = 0;
	assert_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	assert_int_equal(errno, EEXIST);
	assert_ptr_equal(sbgw_flow_lookup(t, &g), f);
	assert_int_equal(sbgw_flow_count(t), 1);
	assert_int_equal(sbgw_flow_connections(t, 0), 1);
	assert_int_equal(flow_test_hash_keys(t), 2);
	sbgw_flow_table_free(t);
}

static void flow_create_bad_arguments_einval(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(8);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key v4 =
	        flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2", 1, "9.9.9.9", 1);
	struct sbgw_flow_key bad_sandbox =
	        flow_test_guest_key(4, IPPROTO_UDP, "172.16.0.2", 1, "9.9.9.9", 1);

	(void)state;
	errno = 0;
	assert_null(flow_test_create(t, &v4, "2001:db8::1", false, NOW));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(flow_test_create(t, &bad_sandbox, "198.51.100.7", false, NOW));
	assert_int_equal(errno, EINVAL);
	v4.family = 0;
	errno = 0;
	assert_null(flow_test_create(t, &v4, "198.51.100.7", false, NOW));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(sbgw_flow_count(t), 0);
	assert_int_equal(flow_test_hash_keys(t), 0);
	sbgw_flow_table_free(t);
}

static void flow_delete_frees_both_keys(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(1);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 1, "9.9.9.9", 1);
	struct sbgw_flow_key g2 =
	        flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 2, "9.9.9.9", 1);
	struct sbgw_flow_key r;
	struct sbgw_flow *f;

	(void)state;
	f = flow_test_create(t, &g, "198.51.100.7", true, NOW);
	assert_non_null(f);
	r = flow_test_reply_key(IPPROTO_TCP, "9.9.9.9", 1, "198.51.100.7", f->nat_port);
	sbgw_flow_delete(t, f);
	assert_null(sbgw_flow_lookup(t, &g));
	assert_null(sbgw_flow_lookup(t, &r));
	assert_int_equal(flow_test_hash_keys(t), 0);
	assert_int_equal(sbgw_flow_count(t), 0);
	assert_int_equal(sbgw_flow_table_counters(t)->deleted, 1);
	/* The one entry is free again. */
	assert_non_null(flow_test_create(t, &g2, "198.51.100.7", true, NOW));
	sbgw_flow_table_free(t);
}

static void flow_delete_twice_frees_once(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(4);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 1, "9.9.9.9", 1);
	struct sbgw_flow *f;

	(void)state;
	f = flow_test_create(t, &g, "198.51.100.7", true, NOW);
	assert_non_null(f);
	sbgw_flow_delete(t, f);
	sbgw_flow_delete(t, f);
	assert_int_equal(sbgw_flow_count(t), 0);
	assert_int_equal(sbgw_flow_connections(t, 0), 0);
	assert_int_equal(sbgw_flow_table_counters(t)->deleted, 1);
	/* Only 4 entries exist: a double free would let a fifth create succeed. */
	for (uint16_t i = 0; i < 4; i++) {
		g.src_port = (uint16_t)(100 + i);
		assert_non_null(flow_test_create(t, &g, "198.51.100.7", false, NOW));
	}
	g.src_port = 200;
	assert_null(flow_test_create(t, &g, "198.51.100.7", false, NOW));
	assert_int_equal(errno, ENOSPC);
	sbgw_flow_table_free(t);
}

static void flow_max_connections_cap_edquot_counted(void **state)
{
	uint32_t caps[4] = {3, 3, 3, 3};
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t;
	struct sbgw_flow_key g;

	(void)state;
	p.max_connections = caps;
	t = flow_test_table(&p);
	for (uint16_t i = 0; i < 3; i++) {
		g = flow_test_guest_key(1, IPPROTO_TCP, "172.16.0.6", (uint16_t)(40000 + i),
		                        "1.1.1.1", 443);
		assert_non_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	}
	assert_int_equal(sbgw_flow_connections(t, 1), 3);
	g = flow_test_guest_key(1, IPPROTO_TCP, "172.16.0.6", 40003, "1.1.1.1", 443);
	errno = 0;
	assert_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	assert_int_equal(errno, EDQUOT);
	assert_int_equal(sbgw_flow_table_counters(t)->max_connections, 1);
	assert_int_equal(sbgw_flow_count(t), 3);
	assert_int_equal(flow_test_hash_keys(t), 6);
	sbgw_flow_table_free(t);
}

static void flow_max_connections_other_sandbox_unaffected(void **state)
{
	uint32_t caps[4] = {1, 1, 0, 5};
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t;
	struct sbgw_flow_key g;

	(void)state;
	p.max_connections = caps;
	t = flow_test_table(&p);
	g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 40000, "1.1.1.1", 443);
	assert_non_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	g.src_port = 40001;
	assert_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	assert_int_equal(errno, EDQUOT);
	/* Same guest address in another sandbox: its own count. */
	g.zone = 1;
	assert_non_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	/* A cap of 0 refuses every guest-initiated connection. */
	g.zone = 2;
	assert_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	assert_int_equal(errno, EDQUOT);
	assert_int_equal(sbgw_flow_connections(t, 0), 1);
	assert_int_equal(sbgw_flow_connections(t, 1), 1);
	assert_int_equal(sbgw_flow_connections(t, 2), 0);
	assert_int_equal(sbgw_flow_table_counters(t)->max_connections, 2);
	sbgw_flow_table_free(t);
}

static void flow_max_connections_freed_after_delete(void **state)
{
	uint32_t caps[4] = {2, 2, 2, 2};
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t;
	struct sbgw_flow_key g;
	struct sbgw_flow *first;

	(void)state;
	p.max_connections = caps;
	t = flow_test_table(&p);
	g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 40000, "1.1.1.1", 443);
	first = flow_test_create(t, &g, "198.51.100.7", true, NOW);
	assert_non_null(first);
	g.src_port = 40001;
	assert_non_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	g.src_port = 40002;
	assert_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	assert_int_equal(errno, EDQUOT);
	sbgw_flow_delete(t, first);
	assert_int_equal(sbgw_flow_connections(t, 0), 1);
	assert_non_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	assert_int_equal(sbgw_flow_connections(t, 0), 2);
	sbgw_flow_table_free(t);
}

static void flow_max_connections_freed_after_expiry(void **state)
{
	uint32_t caps[4] = {1, 1, 1, 1};
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t;
	struct sbgw_flow_key g;
	uint64_t hz = rte_get_tsc_hz();
	uint64_t now = 1000 * hz;
	struct sbgw_flow *f;

	(void)state;
	p.max_connections = caps;
	t = flow_test_table(&p);
	g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 40000, "1.1.1.1", 443);
	f = flow_test_create(t, &g, "198.51.100.7", true, now);
	assert_non_null(f);
	/* Both FINs: TIME-WAIT still holds the connection. */
	sbgw_flow_track_tcp(f, 0, 0x02, now);
	sbgw_flow_track_tcp(f, 1, 0x12, now);
	sbgw_flow_track_tcp(f, 0, 0x10, now);
	sbgw_flow_track_tcp(f, 0, 0x11, now);
	sbgw_flow_track_tcp(f, 1, 0x11, now);
	assert_int_equal(f->tcp_state, SBGW_TCP_CLOSING);
	g.src_port = 40001;
	assert_int_equal(sbgw_flow_expire(t, now + 60 * hz, 64), 0);
	assert_null(flow_test_create(t, &g, "198.51.100.7", true, now + 60 * hz));
	assert_int_equal(errno, EDQUOT);
	/* Past the 120 s TIME-WAIT linger the slot comes back. */
	assert_int_equal(sbgw_flow_expire(t, now + 121 * hz, 64), 1);
	assert_int_equal(sbgw_flow_connections(t, 0), 0);
	assert_non_null(flow_test_create(t, &g, "198.51.100.7", true, now + 121 * hz));
	sbgw_flow_table_free(t);
}

static void flow_max_connections_udp_icmp_uncounted_not_capped(void **state)
{
	uint32_t caps[4] = {1, 1, 1, 1};
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t;
	struct sbgw_flow_key g;

	(void)state;
	p.max_connections = caps;
	t = flow_test_table(&p);
	g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 40000, "1.1.1.1", 443);
	assert_non_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	for (uint16_t i = 0; i < 5; i++) {
		g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2", (uint16_t)(5000 + i),
		                        "1.1.1.1", 53);
		assert_non_null(flow_test_create(t, &g, "198.51.100.7", false, NOW));
		g = flow_test_guest_key(0, IPPROTO_ICMP, "172.16.0.2", (uint16_t)(77 + i),
		                        "1.1.1.1", 0);
		assert_non_null(flow_test_create(t, &g, "198.51.100.7", false, NOW));
		/* Inbound (published-port) TCP does not count either. */
		g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", 8080, "203.0.113.9",
		                        (uint16_t)(30000 + i));
		assert_non_null(flow_test_create(t, &g, "198.51.100.7", false, NOW));
	}
	assert_int_equal(sbgw_flow_connections(t, 0), 1);
	assert_int_equal(sbgw_flow_count(t), 16);
	assert_int_equal(sbgw_flow_table_counters(t)->max_connections, 0);
	sbgw_flow_table_free(t);
}

static void flow_max_connections_unset_defaults_to_256(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(512);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g;

	(void)state;
	for (uint16_t i = 0; i < 256; i++) {
		g = flow_test_guest_key(0, IPPROTO_TCP, "172.16.0.2", (uint16_t)(10000 + i),
		                        "1.1.1.1", 443);
		assert_non_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	}
	g.src_port = 9999;
	assert_null(flow_test_create(t, &g, "198.51.100.7", true, NOW));
	assert_int_equal(errno, EDQUOT);
	sbgw_flow_table_free(t);
}

static void flow_table_create_bad_params_einval(void **state)
{
	struct sbgw_flow_table_params p;

	(void)state;
	p = flow_test_params(0);
	p.name = "flowbad0";
	errno = 0;
	assert_null(sbgw_flow_table_create(&p));
	assert_int_equal(errno, EINVAL);

	p = flow_test_params(16);
	p.name = "flowbad1";
	p.n_workers = 2;
	p.worker = 2;
	errno = 0;
	assert_null(sbgw_flow_table_create(&p));
	assert_int_equal(errno, EINVAL);

	p = flow_test_params(16);
	p.name = "flowbad2";
	p.nat_port_lo = 2000;
	p.nat_port_hi = 1999;
	errno = 0;
	assert_null(sbgw_flow_table_create(&p));
	assert_int_equal(errno, EINVAL);

	/* More workers than ports: some worker would have no slice. */
	p = flow_test_params(16);
	p.name = "flowbad3";
	p.nat_port_lo = 2000;
	p.nat_port_hi = 2002;
	p.n_workers = 4;
	errno = 0;
	assert_null(sbgw_flow_table_create(&p));
	assert_int_equal(errno, EINVAL);
}

/*
 * The key index of a full small table (64 entries, 128 keys in 32 buckets
 * of 8: overflowing buckets are likely) through rounds of deletes in a
 * shuffled order and re-creates: every live flow is found by both keys
 * singly and in bulk, no deleted key is, and once the table is empty
 * every bucket's overflow count is back to zero and no slot is used.
 */
static void flow_index_churn_keeps_chains_exact(void **state)
{
	enum { N = 64 };
	struct sbgw_flow_table_params p = flow_test_params(N);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow_key g[N];
	struct sbgw_flow *f[N];
	uint32_t seed = 7;
	bool chained = false;

	(void)state;
	for (unsigned int i = 0; i < N; i++) {
		g[i] = flow_test_guest_key(i % 4, IPPROTO_UDP, "172.16.0.2", (uint16_t)(2000 + i),
		                           "203.0.113.9", 53);
		f[i] = flow_test_create(t, &g[i], "198.51.100.7", false, NOW);
		assert_non_null(f[i]);
	}
	for (unsigned int round = 0; round < 50; round++) {
		const struct sbgw_flow_key *kp[N];
		struct sbgw_flow *found[N];
		unsigned int order[N], live = 0;

		for (unsigned int i = 0; i < N; i++)
			order[i] = i;
		for (unsigned int i = N - 1; i > 0; i--) {
			unsigned int j, tmp;

			seed = seed * 1103515245u + 12345u;
			j = (seed >> 8) % (i + 1);
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		/* Delete half, in shuffled order. */
		for (unsigned int k = 0; k < N / 2; k++) {
			unsigned int i = order[k];

			sbgw_flow_delete(t, f[i]);
			f[i] = NULL;
		}
		for (unsigned int i = 0; i < N; i++) {
			struct sbgw_flow_key u;

			kp[i] = &g[i];
			if (f[i] == NULL) {
				assert_null(sbgw_flow_lookup(t, &g[i]));
				continue;
			}
			live++;
			u = f[i]->uplink_key;
			assert_ptr_equal(sbgw_flow_lookup(t, &g[i]), f[i]);
			assert_ptr_equal(sbgw_flow_lookup(t, &u), f[i]);
		}
		assert_int_equal(sbgw_flow_lookup_bulk(t, kp, N, found), live);
		for (unsigned int i = 0; i < N; i++)
			assert_ptr_equal(found[i], f[i]);
		assert_int_equal(flow_test_hash_keys(t), 2 * live);
		for (uint32_t b = 0; b <= t->bucket_mask; b++)
			chained |= t->buckets[b].overflow != 0;
		/* Fill up again. */
		for (unsigned int i = 0; i < N; i++) {
			if (f[i] != NULL)
				continue;
			f[i] = flow_test_create(t, &g[i], "198.51.100.7", false, NOW);
			assert_non_null(f[i]);
		}
	}
	/*
	 * 128 keys in 32 buckets under a random hash: some bucket overflowed
	 * in one of the 50 rounds (each round's 32 new uplink keys leave all
	 * buckets within 8 about two times in three: 50 such rounds in a row,
	 * about 1e-8), so chains were walked, not just single buckets.
	 */
	assert_true(chained);
	for (unsigned int i = 0; i < N; i++)
		sbgw_flow_delete(t, f[i]);
	assert_int_equal(flow_test_hash_keys(t), 0);
	for (uint32_t b = 0; b <= t->bucket_mask; b++) {
		assert_int_equal(t->buckets[b].overflow, 0);
		for (unsigned int i = 0; i < FLOW_BUCKET_SLOTS; i++)
			assert_int_equal(t->buckets[b].sig[i], 0);
	}
	sbgw_flow_table_free(t);
}

static void flow_table_create_duplicate_name_eexist(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(16);
	struct sbgw_flow_table *t;

	(void)state;
	p.name = "flowdup";
	t = sbgw_flow_table_create(&p);
	assert_non_null(t);
	errno = 0;
	assert_null(sbgw_flow_table_create(&p));
	assert_int_equal(errno, EEXIST);
	sbgw_flow_table_free(t);
	/* The name is free again once the table is. */
	t = sbgw_flow_table_create(&p);
	assert_non_null(t);
	sbgw_flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(flow_lookup_both_sides_same_flow),
	        cmocka_unit_test(flow_lookup_ipv6_both_sides_same_flow),
	        cmocka_unit_test(flow_lookup_other_sandbox_or_port_misses),
	        cmocka_unit_test(flow_lookup_bulk_mixed_hits_and_misses),
	        cmocka_unit_test(flow_create_records_fields),
	        cmocka_unit_test(flow_touch_counts_by_direction),
	        cmocka_unit_test(flow_create_table_full_enospc_counted),
	        cmocka_unit_test(flow_create_existing_guest_key_eexist),
	        cmocka_unit_test(flow_create_bad_arguments_einval),
	        cmocka_unit_test(flow_delete_frees_both_keys),
	        cmocka_unit_test(flow_delete_twice_frees_once),
	        cmocka_unit_test(flow_max_connections_cap_edquot_counted),
	        cmocka_unit_test(flow_max_connections_other_sandbox_unaffected),
	        cmocka_unit_test(flow_max_connections_freed_after_delete),
	        cmocka_unit_test(flow_max_connections_freed_after_expiry),
	        cmocka_unit_test(flow_max_connections_udp_icmp_uncounted_not_capped),
	        cmocka_unit_test(flow_max_connections_unset_defaults_to_256),
	        cmocka_unit_test(flow_table_create_bad_params_einval),
	        cmocka_unit_test(flow_index_churn_keeps_chains_exact),
	        cmocka_unit_test(flow_table_create_duplicate_name_eexist),
	};

	return cmocka_run_group_tests_name("flow_table", tests, flow_test_eal_setup,
	                                   flow_test_eal_teardown);
}
