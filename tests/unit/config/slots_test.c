/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/slots.c: address slots (semantics §7, deviation D9):
 * deterministic, gateway-wide unique, MACs from the IPv4 slot, pool
 * exhaustion.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static const char *addr_str(const struct sbgw_addr *a)
{
	static char buf[4][SBGW_ADDR_STRLEN];
	static unsigned int next;

	return sbgw_addr_format(a, buf[next++ % 4], SBGW_ADDR_STRLEN);
}

static const char *mac_str(const struct sbgw_mac *m)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2],
		 m->b[3], m->b[4], m->b[5]);
	return buf;
}

/* GW_TEXT and the given sandboxes list entries. */
static struct sbgw_config *load_sandboxes(const char *entries)
{
	char text[4096];

	snprintf(text, sizeof(text), GW_TEXT "sandboxes = (\n%s\n);\n", entries);
	return must_load(text);
}

static void slots_first_sandbox_gets_slot_zero(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("");
	const struct sbgw_link *l = &cfg->sandboxes[0].link;
	char n[SBGW_CIDR_STRLEN];

	(void)state;
	assert_true(l->nic_present);
	assert_int_equal(l->slot4, 0);
	assert_int_equal(l->slot6, 0);
	assert_string_equal(sbgw_cidr_format(&l->net4, n, sizeof(n)), "172.16.0.0/30");
	assert_string_equal(addr_str(&l->gw4), "172.16.0.1");
	assert_string_equal(addr_str(&l->guest4), "172.16.0.2");
	assert_string_equal(sbgw_cidr_format(&l->net6, n, sizeof(n)), "fd42:6d73:62::/64");
	assert_string_equal(addr_str(&l->gw6), "fd42:6d73:62::1");
	assert_string_equal(addr_str(&l->guest6), "fd42:6d73:62::2");
	assert_int_equal(l->mtu, 1500);
	sbgw_config_free(cfg);
}

static void slots_second_sandbox_gets_slot_one(void **state)
{
	struct sbgw_config *cfg = load_sandboxes("{ name = \"a\"; port = \"p0\"; },\n"
						 "{ name = \"b\"; port = \"p1\"; }");
	const struct sbgw_link *l = &cfg->sandboxes[1].link;

	(void)state;
	assert_int_equal(l->slot4, 1);
	assert_string_equal(addr_str(&l->guest4), "172.16.0.6");
	assert_string_equal(addr_str(&l->gw4), "172.16.0.5");
	assert_string_equal(addr_str(&l->guest6), "fd42:6d73:62:1::2");
	assert_string_equal(addr_str(&l->gw6), "fd42:6d73:62:1::1");
	sbgw_config_free(cfg);
}

static void slots_macs_follow_ipv4_slot(void **state)
{
	struct sbgw_config *cfg = load_sandboxes("{ name = \"a\"; port = \"p0\"; },\n"
						 "{ name = \"b\"; port = \"p1\"; }");

	(void)state;
	assert_string_equal(mac_str(&cfg->sandboxes[0].link.gw_mac), "02:6d:73:00:00:01");
	assert_string_equal(mac_str(&cfg->sandboxes[0].link.guest_mac), "02:6d:73:00:00:02");
	assert_string_equal(mac_str(&cfg->sandboxes[1].link.gw_mac), "02:6d:73:00:01:01");
	assert_string_equal(mac_str(&cfg->sandboxes[1].link.guest_mac), "02:6d:73:00:01:02");
	sbgw_config_free(cfg);
}

static void slots_host_addrs_are_the_gateway(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("");
	const struct sbgw_sandbox *sb = &cfg->sandboxes[0];

	(void)state;
	assert_true(sbgw_addr_equal(&sb->host.v4, &sb->link.gw4));
	assert_true(sbgw_addr_equal(&sb->host.v6, &sb->link.gw6));
	sbgw_config_free(cfg);
}

static void slots_none_takes_no_slot(void **state)
{
	struct sbgw_config *cfg = load_sandboxes(
		"{ name = \"off\"; network = { policy = \"none\"; }; },\n{ name = \"b\"; port = \"p1\"; }");

	(void)state;
	assert_false(cfg->sandboxes[0].link.nic_present);
	assert_int_equal(cfg->sandboxes[0].host.v4.family, 0);
	assert_int_equal(cfg->sandboxes[1].link.slot4, 0);
	sbgw_config_free(cfg);
}

static void slots_overlapping_pools_never_share(void **state)
{
	struct sbgw_config *cfg = load_sandboxes(
		"{ name = \"a\"; port = \"p0\"; network = { ipv4_pool = \"10.0.0.0/16\"; }; },\n"
		"{ name = \"b\"; port = \"p1\"; network = { ipv4_pool = \"10.0.0.0/24\"; }; }");

	(void)state;
	assert_string_equal(addr_str(&cfg->sandboxes[0].link.guest4), "10.0.0.2");
	assert_int_equal(cfg->sandboxes[1].link.slot4, 1);
	assert_string_equal(addr_str(&cfg->sandboxes[1].link.guest4), "10.0.0.6");
	sbgw_config_free(cfg);
}

static void slots_nested_pool_skips_taken_slots(void **state)
{
	struct sbgw_config *cfg = load_sandboxes(
		"{ name = \"a\"; port = \"p0\"; network = { ipv4_pool = \"10.0.0.4/30\"; }; },\n"
		"{ name = \"b\"; port = \"p1\"; network = { ipv4_pool = \"10.0.0.0/29\"; }; },\n"
		"{ name = \"c\"; port = \"p2\"; network = { ipv4_pool = \"10.0.0.0/28\"; }; }");

	(void)state;
	assert_string_equal(addr_str(&cfg->sandboxes[0].link.guest4), "10.0.0.6");
	assert_string_equal(addr_str(&cfg->sandboxes[1].link.guest4), "10.0.0.2");
	assert_int_equal(cfg->sandboxes[2].link.slot4, 2);
	assert_string_equal(addr_str(&cfg->sandboxes[2].link.guest4), "10.0.0.10");
	sbgw_config_free(cfg);
}

static void slots_disjoint_pools_both_start_at_zero(void **state)
{
	struct sbgw_config *cfg = load_sandboxes(
		"{ name = \"a\"; port = \"p0\"; },\n"
		"{ name = \"b\"; port = \"p1\"; network = { ipv4_pool = \"10.9.0.0/16\"; ipv6_pool = "
		"\"fd00:9::/48\"; }; }");

	(void)state;
	assert_int_equal(cfg->sandboxes[1].link.slot4, 0);
	assert_int_equal(cfg->sandboxes[1].link.slot6, 0);
	assert_string_equal(addr_str(&cfg->sandboxes[1].link.guest6), "fd00:9::2");
	sbgw_config_free(cfg);
}

static void slots_ipv4_and_ipv6_slots_are_independent(void **state)
{
	struct sbgw_config *cfg = load_sandboxes(
		"{ name = \"a\"; port = \"p0\"; network = { ipv4_pool = \"10.0.0.0/24\"; }; },\n"
		"{ name = \"b\"; port = \"p1\"; network = { ipv4_pool = \"10.1.0.0/24\"; }; }");

	(void)state;
	assert_int_equal(cfg->sandboxes[1].link.slot4, 0);
	assert_int_equal(cfg->sandboxes[1].link.slot6, 1);
	sbgw_config_free(cfg);
}

static void slots_ipv4_pool_exhausted_is_rejected(void **state)
{
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text),
		 GW_TEXT "sandboxes = (\n"
			 "{ name = \"a\"; port = \"p0\"; network = { ipv4_pool = \"10.0.0.0/30\"; }; },\n"
			 "{ name = \"b\"; port = \"p1\"; network = { ipv4_pool = \"10.0.0.0/30\"; }; }\n"
			 ");\n");
	assert_load_fails_with(text, "t.conf:5: sandboxes.[1].network.ipv4_pool: IPv4 pool "
				     "10.0.0.0/30 is exhausted: every /30 is taken by another "
				     "sandbox\n");
}

static void slots_ipv6_pool_exhausted_is_rejected(void **state)
{
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text),
		 GW_TEXT "sandboxes = (\n"
			 "{ name = \"a\"; port = \"p0\"; network = { ipv6_pool = \"fd00::/64\"; }; },\n"
			 "{ name = \"b\"; port = \"p1\"; network = { ipv6_pool = \"fd00::/63\"; }; },\n"
			 "{ name = \"c\"; port = \"p2\"; network = { ipv6_pool = \"fd00::/63\"; }; }\n"
			 ");\n");
	assert_load_fails_with(text, "t.conf:6: sandboxes.[2].network.ipv6_pool: IPv6 pool "
				     "fd00::/63 is exhausted: every /64 is taken by another "
				     "sandbox\n");
}

static void slots_invalid_sandbox_takes_no_slot(void **state)
{
	char *err = NULL;

	(void)state;
	/* Only the real problem is reported, not an exhaustion that follows from it. */
	assert_null(load_text(GW_TEXT "sandboxes = (\n"
				      "{ name = \"a\"; port = \"p0\"; network = { ipv4_pool = "
				      "\"10.0.0.0/30\"; max_connections = -1; }; },\n"
				      "{ name = \"b\"; port = \"p1\"; network = { ipv4_pool = "
				      "\"10.0.0.0/30\"; }; }\n);\n",
			      &err));
	assert_string_equal(err, "t.conf:4: sandboxes.[0].network.max_connections: "
				 "max_connections must not be negative, got -1\n");
	free(err);
}

static void slots_pool_capacity_is_capped_at_65536(void **state)
{
	struct sbgw_cidr pool;

	(void)state;
	assert_int_equal(sbgw_cidr_parse("172.16.0.0/12", true, &pool, NULL), 0);
	assert_int_equal(sbgw_pool_slots(&pool), SBGW_SLOTS_MAX);
	assert_int_equal(sbgw_cidr_parse("10.0.0.0/24", true, &pool, NULL), 0);
	assert_int_equal(sbgw_pool_slots(&pool), 64);
	assert_int_equal(sbgw_cidr_parse("fd00::/60", true, &pool, NULL), 0);
	assert_int_equal(sbgw_pool_slots(&pool), 16);
}

static void slots_link_fill_high_slot(void **state)
{
	struct sbgw_cidr p4, p6;
	struct sbgw_link l;

	(void)state;
	assert_int_equal(sbgw_cidr_parse("172.16.0.0/12", true, &p4, NULL), 0);
	assert_int_equal(sbgw_cidr_parse("fd42:6d73:62::/48", true, &p6, NULL), 0);
	sbgw_link_fill(&l, &p4, 0x1234, &p6, 0xfffe);
	assert_string_equal(addr_str(&l.guest4), "172.16.72.210");
	assert_string_equal(addr_str(&l.gw6), "fd42:6d73:62:fffe::1");
	assert_string_equal(mac_str(&l.guest_mac), "02:6d:73:12:34:02");
}

static void slots_allocate_reports_exhausted_family(void **state)
{
	struct sbgw_sandbox taken[1], sb;
	int family = 0;

	(void)state;
	memset(taken, 0, sizeof(taken));
	memset(&sb, 0, sizeof(sb));
	assert_int_equal(sbgw_cidr_parse("10.0.0.0/30", true, &sb.net.ipv4_pool, NULL), 0);
	assert_int_equal(sbgw_cidr_parse("fd00::/64", true, &sb.net.ipv6_pool, NULL), 0);
	assert_int_equal(sbgw_link_allocate(&sb, taken, 0, &family), 0);
	taken[0] = sb;
	assert_int_equal(sbgw_cidr_parse("10.0.1.0/30", true, &sb.net.ipv4_pool, NULL), 0);
	assert_int_equal(sbgw_link_allocate(&sb, taken, 1, &family), -ENOSPC);
	assert_int_equal(family, AF_INET6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slots_first_sandbox_gets_slot_zero),
		cmocka_unit_test(slots_second_sandbox_gets_slot_one),
		cmocka_unit_test(slots_macs_follow_ipv4_slot),
		cmocka_unit_test(slots_host_addrs_are_the_gateway),
		cmocka_unit_test(slots_none_takes_no_slot),
		cmocka_unit_test(slots_overlapping_pools_never_share),
		cmocka_unit_test(slots_nested_pool_skips_taken_slots),
		cmocka_unit_test(slots_disjoint_pools_both_start_at_zero),
		cmocka_unit_test(slots_ipv4_and_ipv6_slots_are_independent),
		cmocka_unit_test(slots_ipv4_pool_exhausted_is_rejected),
		cmocka_unit_test(slots_ipv6_pool_exhausted_is_rejected),
		cmocka_unit_test(slots_invalid_sandbox_takes_no_slot),
		cmocka_unit_test(slots_pool_capacity_is_capped_at_65536),
		cmocka_unit_test(slots_link_fill_high_slot),
		cmocka_unit_test(slots_allocate_reports_exhausted_family),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
