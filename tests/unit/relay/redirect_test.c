/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The redirect table: entries found by their guest address and port,
 * replaced by a new SYN, expiring unless held, released with a grace
 * period, a full neighbourhood refused, and readers that never see a torn
 * entry while another thread writes; each sandbox's connections counted
 * (pending from SYN to accept or expiry, held until released).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "redirect.h"

#define NOW 1000000ull
#define TTL 1000ull

static struct sbgw_redirect_entry entry(const char *guest, uint16_t port, const char *dst,
					uint16_t dport)
{
	struct sbgw_redirect_entry e;

	memset(&e, 0, sizeof(e));
	e.family = strchr(guest, ':') ? AF_INET6 : AF_INET;
	e.kind = SBGW_REDIRECT_DNS;
	e.guest_port = port;
	e.dst_port = dport;
	e.sandbox = 3;
	inet_pton(e.family, guest, e.guest);
	inet_pton(e.family, dst, e.dst);
	return e;
}

static void redirect_added_entry_is_found(void **state)
{
	struct sbgw_redirect *t = sbgw_redirect_create(1024, 0);
	struct sbgw_redirect_entry e = entry("172.16.0.2", 40000, "1.1.1.1", 53), got;

	(void)state;
	assert_int_equal(sbgw_redirect_add(t, &e, NOW, TTL), 0);
	assert_true(sbgw_redirect_lookup(t, AF_INET, e.guest, 40000, NOW + 1, &got, NULL));
	assert_memory_equal(got.dst, e.dst, 4);
	assert_int_equal(got.dst_port, 53);
	assert_int_equal(got.sandbox, 3);
	assert_false(sbgw_redirect_lookup(t, AF_INET, e.guest, 40001, NOW + 1, &got, NULL));
	sbgw_redirect_free(t);
}

static void redirect_ipv6_key_is_whole_address(void **state)
{
	struct sbgw_redirect *t = sbgw_redirect_create(1024, 0);
	struct sbgw_redirect_entry a = entry("fd42::2", 1000, "2001:db8::1", 53);
	struct sbgw_redirect_entry b = entry("fd42::3", 1000, "2001:db8::2", 53), got;

	(void)state;
	assert_int_equal(sbgw_redirect_add(t, &a, NOW, TTL), 0);
	assert_int_equal(sbgw_redirect_add(t, &b, NOW, TTL), 0);
	assert_true(sbgw_redirect_lookup(t, AF_INET6, b.guest, 1000, NOW, &got, NULL));
	assert_memory_equal(got.dst, b.dst, 16);
	sbgw_redirect_free(t);
}

static void redirect_same_key_is_replaced(void **state)
{
	struct sbgw_redirect *t = sbgw_redirect_create(1024, 0);
	struct sbgw_redirect_entry a = entry("172.16.0.2", 40000, "1.1.1.1", 53);
	struct sbgw_redirect_entry b = entry("172.16.0.2", 40000, "8.8.8.8", 53), got;

	(void)state;
	assert_int_equal(sbgw_redirect_add(t, &a, NOW, TTL), 0);
	assert_int_equal(sbgw_redirect_add(t, &b, NOW, TTL), 0);
	assert_true(sbgw_redirect_lookup(t, AF_INET, a.guest, 40000, NOW, &got, NULL));
	assert_memory_equal(got.dst, b.dst, 4);
	assert_int_equal(sbgw_redirect_live(t, NOW), 1);
	sbgw_redirect_free(t);
}

static void redirect_unheld_entry_expires(void **state)
{
	struct sbgw_redirect *t = sbgw_redirect_create(1024, 0);
	struct sbgw_redirect_entry e = entry("172.16.0.2", 40000, "1.1.1.1", 53), got;

	(void)state;
	assert_int_equal(sbgw_redirect_add(t, &e, NOW, TTL), 0);
	assert_false(sbgw_redirect_lookup(t, AF_INET, e.guest, 40000, NOW + TTL + 1, &got, NULL));
	sbgw_redirect_free(t);
}

static void redirect_held_entry_outlives_ttl_until_released(void **state)
{
	struct sbgw_redirect *t = sbgw_redirect_create(1024, 0);
	struct sbgw_redirect_entry e = entry("172.16.0.2", 40000, "1.1.1.1", 53), got;
	struct sbgw_redirect_ref ref;

	(void)state;
	assert_int_equal(sbgw_redirect_add(t, &e, NOW, TTL), 0);
	assert_true(sbgw_redirect_lookup(t, AF_INET, e.guest, 40000, NOW, &got, &ref));
	sbgw_redirect_hold(t, &ref);
	/* A retransmitted SYN does not shorten it. */
	assert_int_equal(sbgw_redirect_add(t, &e, NOW, TTL), 0);
	assert_true(sbgw_redirect_lookup(t, AF_INET, e.guest, 40000, NOW + 100 * TTL, &got, &ref));
	sbgw_redirect_release(t, &ref, NOW + 100 * TTL + 5);
	assert_true(sbgw_redirect_lookup(t, AF_INET, e.guest, 40000, NOW + 100 * TTL + 4, &got, NULL));
	assert_false(sbgw_redirect_lookup(t, AF_INET, e.guest, 40000, NOW + 100 * TTL + 6, &got, NULL));
	sbgw_redirect_free(t);
}

static void redirect_full_neighbourhood_is_refused(void **state)
{
	struct sbgw_redirect *t = sbgw_redirect_create(8, 0); /* one neighbourhood: 8 slots */
	int added = 0, rc = 0;

	(void)state;
	for (uint16_t p = 1; p <= 9; p++) {
		struct sbgw_redirect_entry e = entry("172.16.0.2", p, "1.1.1.1", 53);

		rc = sbgw_redirect_add(t, &e, NOW, TTL);
		if (rc == 0)
			added++;
	}
	assert_int_equal(added, 8);
	assert_int_equal(rc, -ENOSPC);
	/* Once they expire the slots are reused. */
	{
		struct sbgw_redirect_entry e = entry("172.16.0.2", 100, "1.1.1.1", 53);

		assert_int_equal(sbgw_redirect_add(t, &e, NOW + TTL + 1, TTL), 0);
	}
	sbgw_redirect_free(t);
}

static void redirect_counts_pending_and_held_per_sandbox(void **state)
{
	struct sbgw_redirect *t = sbgw_redirect_create(1024, 0);
	struct sbgw_redirect_entry a = entry("172.16.0.2", 1, "1.1.1.1", 53);
	struct sbgw_redirect_entry b = entry("172.16.0.2", 2, "1.1.1.1", 53);
	struct sbgw_redirect_entry other = entry("172.16.0.6", 1, "1.1.1.1", 53), got;
	struct sbgw_redirect_ref ref;

	(void)state;
	assert_int_equal(sbgw_redirect_track(t, 8), 0);
	other.sandbox = 4;
	assert_int_equal(sbgw_redirect_add(t, &a, NOW, TTL), 0);
	assert_int_equal(sbgw_redirect_add(t, &b, NOW, TTL), 0);
	assert_int_equal(sbgw_redirect_add(t, &other, NOW, TTL), 0);
	/* A retransmitted SYN is the same connection. */
	assert_int_equal(sbgw_redirect_add(t, &a, NOW + 1, TTL), 0);
	assert_int_equal(sbgw_redirect_in_use(t, 3), 2);
	assert_int_equal(sbgw_redirect_in_use(t, 4), 1);
	assert_int_equal(sbgw_redirect_in_use(t, 9), 0); /* not tracked */
	/* Accepted: held instead of pending, still one connection. */
	assert_true(sbgw_redirect_lookup(t, AF_INET, a.guest, 1, NOW + 2, &got, &ref));
	assert_int_equal(ref.sandbox, 3);
	sbgw_redirect_hold(t, &ref);
	assert_int_equal(sbgw_redirect_in_use(t, 3), 2);
	/* b never completes: the sweep stops counting it once it expired, not before. */
	sbgw_redirect_sweep(t, NOW + TTL / 2, 1024);
	assert_int_equal(sbgw_redirect_in_use(t, 3), 2);
	sbgw_redirect_sweep(t, NOW + 2 * TTL, 1024);
	assert_int_equal(sbgw_redirect_in_use(t, 3), 1);
	assert_int_equal(sbgw_redirect_in_use(t, 4), 0);
	/* Closed: the grace period does not count. */
	sbgw_redirect_release(t, &ref, NOW + 3 * TTL);
	assert_int_equal(sbgw_redirect_in_use(t, 3), 0);
	sbgw_redirect_free(t);
}

static void redirect_reused_expired_slot_stops_counting_old_entry(void **state)
{
	struct sbgw_redirect *t = sbgw_redirect_create(8, 0); /* one neighbourhood */
	struct sbgw_redirect_entry e;

	(void)state;
	assert_int_equal(sbgw_redirect_track(t, 8), 0);
	for (uint16_t p = 1; p <= 8; p++) {
		e = entry("172.16.0.2", p, "1.1.1.1", 53);
		assert_int_equal(sbgw_redirect_add(t, &e, NOW, TTL), 0);
	}
	assert_int_equal(sbgw_redirect_in_use(t, 3), 8);
	/* All expired, none swept: a new SYN (another sandbox) reuses a slot. */
	e = entry("172.16.0.6", 100, "1.1.1.1", 53);
	e.sandbox = 5;
	assert_int_equal(sbgw_redirect_add(t, &e, NOW + TTL + 1, TTL), 0);
	assert_int_equal(sbgw_redirect_in_use(t, 3), 7);
	assert_int_equal(sbgw_redirect_in_use(t, 5), 1);
	sbgw_redirect_sweep(t, NOW + TTL + 2, 8);
	assert_int_equal(sbgw_redirect_in_use(t, 3), 0);
	assert_int_equal(sbgw_redirect_in_use(t, 5), 1);
	sbgw_redirect_free(t);
}

/* A writer keeps replacing one key's destination; the reader must only see whole entries. */
struct race {
	struct sbgw_redirect *t;
	volatile int stop;
};

static void *writer(void *arg)
{
	struct race *r = arg;
	uint32_t i = 0;

	while (!r->stop) {
		struct sbgw_redirect_entry e = entry("172.16.0.2", 40000, "0.0.0.0", 53);
		uint32_t v = i++;

		/* dst (all four bytes equal) and dst_port always agree. */
		memset(e.dst, (int)(v & 0xff), 4);
		e.dst_port = (uint16_t)(v & 0xff);
		sbgw_redirect_add(r->t, &e, NOW, TTL);
	}
	return NULL;
}

static void redirect_reader_never_sees_torn_entry(void **state)
{
	struct race r = {.t = sbgw_redirect_create(1024, 0)};
	struct sbgw_redirect_entry first = entry("172.16.0.2", 40000, "0.0.0.0", 53), got;
	pthread_t th;
	unsigned int seen = 0;

	(void)state;
	first.dst_port = 0;
	assert_int_equal(sbgw_redirect_add(r.t, &first, NOW, TTL), 0);
	assert_int_equal(pthread_create(&th, NULL, writer, &r), 0);
	for (int i = 0; i < 2000000; i++) {
		if (!sbgw_redirect_lookup(r.t, AF_INET, first.guest, 40000, NOW, &got, NULL))
			continue;
		seen++;
		assert_int_equal(got.dst[0], got.dst_port);
		assert_int_equal(got.dst[3], got.dst_port);
	}
	r.stop = 1;
	pthread_join(th, NULL);
	assert_true(seen > 0);
	sbgw_redirect_free(r.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redirect_added_entry_is_found),
		cmocka_unit_test(redirect_ipv6_key_is_whole_address),
		cmocka_unit_test(redirect_same_key_is_replaced),
		cmocka_unit_test(redirect_unheld_entry_expires),
		cmocka_unit_test(redirect_held_entry_outlives_ttl_until_released),
		cmocka_unit_test(redirect_full_neighbourhood_is_refused),
		cmocka_unit_test(redirect_reader_never_sees_torn_entry),
		cmocka_unit_test(redirect_counts_pending_and_held_per_sandbox),
		cmocka_unit_test(redirect_reused_expired_slot_stops_counting_old_entry),
	};

	return cmocka_run_group_tests_name("redirect", tests, NULL, NULL);
}
