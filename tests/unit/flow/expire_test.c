/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Expiry: idle timeouts by protocol and TCP state, the work budget, and a
 * churn of a million flows through a table of 65,536.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_tcp.h>

#include "flow_test_util.h"

#define GUEST 0
#define REMOTE 1
#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define FIN RTE_TCP_FIN_FLAG
#define RST RTE_TCP_RST_FLAG

enum setup { UNTRACKED, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSING, CLOSED };

static uint64_t hz;
static uint64_t base;

static int group_setup(void **state)
{
	if (flow_test_eal_setup(state) < 0)
		return -1;
	hz = rte_get_tsc_hz();
	base = 100000 * hz; /* any TSC value well away from 0 */
	return 0;
}

static struct sbgw_flow *flow_in(struct sbgw_flow_table *t, uint8_t proto, enum setup s)
{
	struct sbgw_flow_key g = flow_test_guest_key(0, proto, "172.16.0.2", 40000, "1.1.1.1", 443);
	struct sbgw_flow *f = flow_test_create(t, &g, "198.51.100.7", proto == IPPROTO_TCP, base);

	assert_non_null(f);
	if (s >= SYN_SENT && s != CLOSED)
		sbgw_flow_track_tcp(f, GUEST, SYN, base);
	if (s >= SYN_RECV && s != CLOSED)
		sbgw_flow_track_tcp(f, REMOTE, SYN | ACK, base);
	if (s >= ESTABLISHED && s != CLOSED)
		sbgw_flow_track_tcp(f, GUEST, ACK, base);
	if (s >= FIN_WAIT && s != CLOSED)
		sbgw_flow_track_tcp(f, GUEST, FIN | ACK, base);
	if (s == CLOSING)
		sbgw_flow_track_tcp(f, REMOTE, FIN | ACK, base);
	if (s == CLOSED)
		sbgw_flow_track_tcp(f, REMOTE, RST, base);
	return f;
}

/* The flow is kept while idle for exactly `seconds` and goes one cycle later. */
static void assert_idle_limit(struct sbgw_flow_table *t, struct sbgw_flow *f, uint64_t seconds)
{
	struct sbgw_flow_key g = f->guest_key, u = f->uplink_key;
	uint64_t limit = f->last_seen + seconds * hz;

	assert_int_equal(sbgw_flow_expire(t, limit - hz, UINT_MAX), 0);
	assert_int_equal(sbgw_flow_expire(t, limit, UINT_MAX), 0);
	assert_ptr_equal(sbgw_flow_lookup(t, &g), f);
	assert_int_equal(sbgw_flow_expire(t, limit + 1, UINT_MAX), 1);
	assert_null(sbgw_flow_lookup(t, &g));
	assert_null(sbgw_flow_lookup(t, &u));
	assert_int_equal(flow_test_hash_keys(t), 0);
	assert_int_equal(sbgw_flow_count(t), 0);
	assert_int_equal(sbgw_flow_connections(t, 0), 0);
	assert_int_equal(sbgw_flow_table_counters(t)->expired, 1);
}

static void check_default(uint8_t proto, enum setup s, enum sbgw_tcp_state want, uint64_t seconds)
{
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow *f = flow_in(t, proto, s);

	if (proto == IPPROTO_TCP)
		assert_int_equal(f->tcp_state, want);
	assert_idle_limit(t, f, seconds);
	sbgw_flow_table_free(t);
}

static void expire_udp_idle_after_60s(void **state)
{
	(void)state;
	check_default(IPPROTO_UDP, UNTRACKED, SBGW_TCP_NONE, 60);
}

static void expire_icmp_idle_after_30s(void **state)
{
	(void)state;
	check_default(IPPROTO_ICMP, UNTRACKED, SBGW_TCP_NONE, 30);
}

static void expire_tcp_untracked_after_30s(void **state)
{
	(void)state;
	check_default(IPPROTO_TCP, UNTRACKED, SBGW_TCP_NONE, 30);
}

static void expire_tcp_syn_sent_after_30s(void **state)
{
	(void)state;
	check_default(IPPROTO_TCP, SYN_SENT, SBGW_TCP_SYN_SENT, 30);
}

static void expire_tcp_syn_recv_after_30s(void **state)
{
	(void)state;
	check_default(IPPROTO_TCP, SYN_RECV, SBGW_TCP_SYN_RECV, 30);
}

static void expire_tcp_established_after_7440s(void **state)
{
	(void)state;
	check_default(IPPROTO_TCP, ESTABLISHED, SBGW_TCP_ESTABLISHED, 7440);
}

static void expire_tcp_fin_wait_after_7440s(void **state)
{
	(void)state;
	check_default(IPPROTO_TCP, FIN_WAIT, SBGW_TCP_FIN_WAIT, 7440);
}

static void expire_tcp_closing_after_120s(void **state)
{
	(void)state;
	check_default(IPPROTO_TCP, CLOSING, SBGW_TCP_CLOSING, 120);
}

static void expire_tcp_closed_after_10s(void **state)
{
	(void)state;
	check_default(IPPROTO_TCP, CLOSED, SBGW_TCP_CLOSED, 10);
}

static void expire_configured_timeouts_override_defaults(void **state)
{
	static const struct {
		uint8_t proto;
		enum setup s;
		uint64_t seconds;
	} cases[] = {
	        {IPPROTO_TCP, SYN_SENT, 3},   {IPPROTO_TCP, ESTABLISHED, 4},
	        {IPPROTO_TCP, FIN_WAIT, 4},   {IPPROTO_TCP, CLOSING, 5},
	        {IPPROTO_TCP, CLOSED, 6},     {IPPROTO_UDP, UNTRACKED, 7},
	        {IPPROTO_ICMP, UNTRACKED, 8}, {IPPROTO_ICMPV6, UNTRACKED, 8},
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbgw_flow_table_params p = flow_test_params(64);
		struct sbgw_flow_table *t;
		struct sbgw_flow_key g;
		struct sbgw_flow *f;

		p.timeouts = (struct sbgw_flow_timeouts){3, 4, 5, 6, 7, 8};
		t = flow_test_table(&p);
		if (cases[i].proto == IPPROTO_ICMPV6) {
			g = flow_test_guest_key(0, IPPROTO_ICMPV6, "fd42::2", 7, "2001:db8::1", 0);
			f = flow_test_create(t, &g, "2001:db8::7", false, base);
			assert_non_null(f);
		} else {
			f = flow_in(t, cases[i].proto, cases[i].s);
		}
		assert_idle_limit(t, f, cases[i].seconds);
		sbgw_flow_table_free(t);
	}
}

static void expire_active_flow_kept(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow *f = flow_in(t, IPPROTO_UDP, UNTRACKED);

	(void)state;
	/* A packet every 50 s keeps a UDP flow for ever. */
	for (uint64_t s = 50; s <= 500; s += 50) {
		assert_int_equal(sbgw_flow_expire(t, base + s * hz, UINT_MAX), 0);
		sbgw_flow_touch(f, s % 100 == 0 ? REMOTE : GUEST, 100, base + s * hz);
	}
	assert_int_equal(sbgw_flow_count(t), 1);
	assert_int_equal(sbgw_flow_expire(t, base + 561 * hz, UINT_MAX), 1);
	sbgw_flow_table_free(t);
}

static void expire_now_before_last_seen_kept(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(64);
	struct sbgw_flow_table *t = flow_test_table(&p);

	(void)state;
	flow_in(t, IPPROTO_UDP, UNTRACKED);
	/* A TSC read earlier than the last packet's must not look like a huge idle time. */
	assert_int_equal(sbgw_flow_expire(t, base - 1, UINT_MAX), 0);
	assert_int_equal(sbgw_flow_count(t), 1);
	sbgw_flow_table_free(t);
}

static void expire_budget_limits_expired_per_call(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(1000);
	struct sbgw_flow_table *t = flow_test_table(&p);
	uint64_t later = base + 3600 * hz;

	(void)state;
	for (uint16_t i = 0; i < 50; i++) {
		struct sbgw_flow_key g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2",
		                                             (uint16_t)(1000 + i), "1.1.1.1", 53);

		assert_non_null(flow_test_create(t, &g, "198.51.100.7", false, base));
	}
	assert_int_equal(sbgw_flow_expire(t, later, 0), 0);
	assert_int_equal(sbgw_flow_expire(t, later, 20), 20);
	assert_int_equal(sbgw_flow_count(t), 30);
	assert_int_equal(sbgw_flow_expire(t, later, 20), 20);
	assert_int_equal(sbgw_flow_expire(t, later, 20), 10);
	assert_int_equal(sbgw_flow_count(t), 0);
	assert_int_equal(sbgw_flow_table_counters(t)->expired, 50);
	sbgw_flow_table_free(t);
}

static void expire_budget_counts_free_entries(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(100);
	struct sbgw_flow_table *t = flow_test_table(&p);
	struct sbgw_flow *flows[100];
	uint64_t later = base + 3600 * hz;
	unsigned int expired = 0;

	(void)state;
	for (uint16_t i = 0; i < 100; i++) {
		struct sbgw_flow_key g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2",
		                                             (uint16_t)(1000 + i), "1.1.1.1", 53);

		flows[i] = flow_test_create(t, &g, "198.51.100.7", false, base);
		assert_non_null(flows[i]);
	}
	/* Keep only the entry farthest from the cursor. */
	for (unsigned int i = 0; i < 99; i++)
		sbgw_flow_delete(t, flows[i]);
	for (unsigned int call = 0; call < 9; call++)
		assert_int_equal(sbgw_flow_expire(t, later, 10), 0);
	assert_int_equal(sbgw_flow_expire(t, later, 10), 1);
	/* The cursor wraps: a new flow anywhere is found within the next turn. */
	flow_in(t, IPPROTO_UDP, UNTRACKED);
	for (unsigned int call = 0; call < 10; call++)
		expired += sbgw_flow_expire(t, later, 10);
	assert_int_equal(expired, 1);
	sbgw_flow_table_free(t);
}

#define CHURN_FLOWS 1000000u
#define CHURN_CAPACITY 65536u
#define CHURN_RATE 32768u /* creates per second of fake time */
#define CHURN_BUDGET 4u   /* a full sweep every 16384 creates = 0.5 s */

static void churn_key(struct sbgw_flow_key *k, uint32_t i)
{
	k->zone = i % 4;
	k->src_port = (uint16_t)i;
	k->dst[3] = (uint8_t)(i >> 16);
}

static void expire_churn_1m_flows_no_leaks_no_stale_keys(void **state)
{
	struct sbgw_flow_table_params p = flow_test_params(CHURN_CAPACITY);
	struct sbgw_flow_table *t;
	static uint16_t nat_of[CHURN_CAPACITY];
	struct sbgw_flow_key g, r;
	struct sbgw_flow_create c;
	struct sbgw_addr up;
	uint64_t tick, now = base;
	uint32_t most = 0;

	(void)state;
	p.timeouts.udp = 1;
	t = flow_test_table(&p);
	tick = hz / CHURN_RATE;
	g = flow_test_guest_key(0, IPPROTO_UDP, "172.16.0.2", 0, "203.0.113.0", 443);
	r = flow_test_reply_key(IPPROTO_UDP, "203.0.113.0", 443, "198.51.100.7", 0);
	assert_int_equal(sbgw_addr_parse("198.51.100.7", &up), 0);
	memset(&c, 0, sizeof(c));
	c.guest_key = &g;
	c.uplink_addr = &up;
	c.rule = -1;

	for (uint32_t i = 0; i < CHURN_FLOWS; i++) {
		struct sbgw_flow *f;

		now = base + i * tick;
		/*
		 * Flow i - 65536 idled 2 s (> 1 s + a 0.5 s sweep): its guest
		 * key is gone, and its reply key leads nowhere or to a newer
		 * flow that got the freed mapping.
		 */
		if (i >= CHURN_CAPACITY) {
			struct sbgw_flow *old;

			churn_key(&g, i - CHURN_CAPACITY);
			r.dst_port = nat_of[i % CHURN_CAPACITY];
			r.src[3] = g.dst[3];
			if (sbgw_flow_lookup(t, &g) != NULL)
				fail_msg("flow %u guest key still present at %u",
				         i - CHURN_CAPACITY, i);
			old = sbgw_flow_lookup(t, &r);
			if (old != NULL && memcmp(&old->guest_key, &g, sizeof(g)) == 0)
				fail_msg("flow %u reply key still present at %u",
				         i - CHURN_CAPACITY, i);
		}
		churn_key(&g, i);
		c.sandbox = g.zone;
		f = sbgw_flow_create(t, &c, now);
		if (f == NULL) {
			fail_msg("create %u failed: errno %d, %u live", i, errno,
			         sbgw_flow_count(t));
			return;
		}
		nat_of[i % CHURN_CAPACITY] = f->nat_port;
		sbgw_flow_expire(t, now, CHURN_BUDGET);
		if (sbgw_flow_count(t) > most)
			most = sbgw_flow_count(t);
	}
	/* 1.5 s of flows at most: the table never came close to full. */
	assert_in_range(most, CHURN_RATE, CHURN_RATE * 3 / 2 + CHURN_BUDGET);

	assert_int_equal(sbgw_flow_expire(t, now + 10 * hz, UINT_MAX),
	                 CHURN_FLOWS - sbgw_flow_table_counters(t)->expired);
	assert_int_equal(sbgw_flow_count(t), 0);
	assert_int_equal(flow_test_hash_keys(t), 0);
	assert_int_equal(sbgw_flow_table_counters(t)->created, CHURN_FLOWS);
	assert_int_equal(sbgw_flow_table_counters(t)->expired, CHURN_FLOWS);
	assert_int_equal(sbgw_flow_table_counters(t)->table_full, 0);
	assert_int_equal(sbgw_flow_table_counters(t)->nat_ports_exhausted, 0);
	for (uint32_t s = 0; s < 4; s++)
		assert_int_equal(sbgw_flow_connections(t, s), 0);

	/*
	 * No entry leaked: the whole capacity can be filled once more, and no
	 * more (over 8 remote ports: one endpoint has fewer NAT ports than that).
	 */
	for (uint32_t i = 0; i < CHURN_CAPACITY; i++) {
		churn_key(&g, i);
		g.dst_port = (uint16_t)(443 + i % 8);
		c.sandbox = g.zone;
		if (sbgw_flow_create(t, &c, now) == NULL)
			fail_msg("refill %u failed: errno %d", i, errno);
	}
	churn_key(&g, CHURN_CAPACITY);
	c.sandbox = g.zone;
	assert_null(sbgw_flow_create(t, &c, now));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(flow_test_hash_keys(t), 2 * CHURN_CAPACITY);
	sbgw_flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(expire_udp_idle_after_60s),
	        cmocka_unit_test(expire_icmp_idle_after_30s),
	        cmocka_unit_test(expire_tcp_untracked_after_30s),
	        cmocka_unit_test(expire_tcp_syn_sent_after_30s),
	        cmocka_unit_test(expire_tcp_syn_recv_after_30s),
	        cmocka_unit_test(expire_tcp_established_after_7440s),
	        cmocka_unit_test(expire_tcp_fin_wait_after_7440s),
	        cmocka_unit_test(expire_tcp_closing_after_120s),
	        cmocka_unit_test(expire_tcp_closed_after_10s),
	        cmocka_unit_test(expire_configured_timeouts_override_defaults),
	        cmocka_unit_test(expire_active_flow_kept),
	        cmocka_unit_test(expire_now_before_last_seen_kept),
	        cmocka_unit_test(expire_budget_limits_expired_per_call),
	        cmocka_unit_test(expire_budget_counts_free_entries),
	        cmocka_unit_test(expire_churn_1m_flows_no_leaks_no_stale_keys),
	};

	return cmocka_run_group_tests_name("expire", tests, group_setup, flow_test_eal_teardown);
}
