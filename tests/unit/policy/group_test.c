/* SPDX-License-Identifier: BSD-3-Clause */
/* Group classification (semantics §1.6, §2.4, §2.5) and enum names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

/* The default pool's slot 0 (semantics §7). */
static struct sbgw_host_addrs host;

static int setup(void **state)
{
	(void)state;
	if (sbgw_addr_parse("172.16.0.1", &host.v4) < 0 ||
	    sbgw_addr_parse("fd42:6d73:62::1", &host.v6) < 0)
		return -1;
	return 0;
}

static enum sbgw_group group_of(const char *text, const struct sbgw_host_addrs *h)
{
	struct sbgw_addr a;

	if (sbgw_addr_parse(text, &a) < 0)
		fail_msg("bad address %s", text);
	return sbgw_addr_group(&a, h);
}

static void assert_group(const char *text, enum sbgw_group want)
{
	enum sbgw_group got = group_of(text, &host);

	if (got != want)
		fail_msg("%s: group %s, want %s", text, sbgw_group_name(got),
			 sbgw_group_name(want));
}

static void group_unspecified_v4_none(void **state)
{
	(void)state;
	assert_group("0.0.0.0", SBGW_GROUP_NONE);
}

static void group_unspecified_v6_none(void **state)
{
	(void)state;
	assert_group("::", SBGW_GROUP_NONE);
}

static void group_unspecified_mapped_none(void **state)
{
	(void)state;
	assert_group("::ffff:0.0.0.0", SBGW_GROUP_NONE);
}

static void group_host_v4_wins_over_private(void **state)
{
	(void)state;
	assert_group("172.16.0.1", SBGW_GROUP_HOST);
}

static void group_host_v6_wins_over_private(void **state)
{
	(void)state;
	assert_group("fd42:6d73:62::1", SBGW_GROUP_HOST);
}

static void group_host_mapped_is_host(void **state)
{
	(void)state;
	assert_group("::ffff:172.16.0.1", SBGW_GROUP_HOST);
}

static void group_guest_address_private(void **state)
{
	(void)state;
	assert_group("172.16.0.2", SBGW_GROUP_PRIVATE);
}

static void group_other_sandbox_gateway_private(void **state)
{
	(void)state;
	assert_group("172.16.0.5", SBGW_GROUP_PRIVATE);
}

static void group_no_host_gateway_private(void **state)
{
	(void)state;
	assert_int_equal(group_of("172.16.0.1", NULL), SBGW_GROUP_PRIVATE);
}

static void group_host_without_v6_v6_gateway_private(void **state)
{
	struct sbgw_host_addrs v4only = {.v4 = host.v4};

	(void)state;
	assert_int_equal(group_of("fd42:6d73:62::1", &v4only), SBGW_GROUP_PRIVATE);
}

static void group_metadata_v4_metadata(void **state)
{
	(void)state;
	assert_group("169.254.169.254", SBGW_GROUP_METADATA);
}

static void group_metadata_mapped_metadata(void **state)
{
	(void)state;
	assert_group("::ffff:169.254.169.254", SBGW_GROUP_METADATA);
}

static void group_metadata_neighbours_link_local(void **state)
{
	(void)state;
	assert_group("169.254.169.253", SBGW_GROUP_LINK_LOCAL);
	assert_group("169.254.169.255", SBGW_GROUP_LINK_LOCAL);
}

static void group_link_local_v4_bounds_link_local(void **state)
{
	(void)state;
	assert_group("169.254.0.0", SBGW_GROUP_LINK_LOCAL);
	assert_group("169.254.255.255", SBGW_GROUP_LINK_LOCAL);
	assert_group("169.253.255.255", SBGW_GROUP_PUBLIC);
	assert_group("169.255.0.0", SBGW_GROUP_PUBLIC);
}

static void group_link_local_v6_bounds_link_local(void **state)
{
	(void)state;
	assert_group("fe80::1", SBGW_GROUP_LINK_LOCAL);
	assert_group("febf:ffff::1", SBGW_GROUP_LINK_LOCAL);
	assert_group("fec0::1", SBGW_GROUP_PUBLIC);
}

static void group_loopback_v4_loopback(void **state)
{
	(void)state;
	assert_group("127.0.0.1", SBGW_GROUP_LOOPBACK);
	assert_group("127.255.255.255", SBGW_GROUP_LOOPBACK);
	assert_group("128.0.0.0", SBGW_GROUP_PUBLIC);
}

static void group_loopback_v6_loopback(void **state)
{
	(void)state;
	assert_group("::1", SBGW_GROUP_LOOPBACK);
	assert_group("::2", SBGW_GROUP_PUBLIC);
}

static void group_mapped_loopback_loopback(void **state)
{
	(void)state;
	assert_group("::ffff:127.0.0.1", SBGW_GROUP_LOOPBACK);
}

static void group_private_10_bounds_private(void **state)
{
	(void)state;
	assert_group("10.0.0.0", SBGW_GROUP_PRIVATE);
	assert_group("10.255.255.255", SBGW_GROUP_PRIVATE);
	assert_group("9.255.255.255", SBGW_GROUP_PUBLIC);
	assert_group("11.0.0.0", SBGW_GROUP_PUBLIC);
}

static void group_private_172_bounds_private(void **state)
{
	(void)state;
	assert_group("172.16.0.0", SBGW_GROUP_PRIVATE);
	assert_group("172.31.255.255", SBGW_GROUP_PRIVATE);
	assert_group("172.15.255.255", SBGW_GROUP_PUBLIC);
	assert_group("172.32.0.0", SBGW_GROUP_PUBLIC);
}

static void group_private_192_168_bounds_private(void **state)
{
	(void)state;
	assert_group("192.168.0.0", SBGW_GROUP_PRIVATE);
	assert_group("192.168.255.255", SBGW_GROUP_PRIVATE);
	assert_group("192.167.255.255", SBGW_GROUP_PUBLIC);
	assert_group("192.169.0.0", SBGW_GROUP_PUBLIC);
}

static void group_private_cgnat_bounds_private(void **state)
{
	(void)state;
	assert_group("100.64.0.0", SBGW_GROUP_PRIVATE);
	assert_group("100.127.255.255", SBGW_GROUP_PRIVATE);
	assert_group("100.63.255.255", SBGW_GROUP_PUBLIC);
	assert_group("100.128.0.0", SBGW_GROUP_PUBLIC);
}

static void group_private_ula_bounds_private(void **state)
{
	(void)state;
	assert_group("fc00::", SBGW_GROUP_PRIVATE);
	assert_group("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SBGW_GROUP_PRIVATE);
	assert_group("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SBGW_GROUP_PUBLIC);
	assert_group("fe00::", SBGW_GROUP_PUBLIC);
}

static void group_mapped_private_private(void **state)
{
	(void)state;
	assert_group("::ffff:10.0.0.1", SBGW_GROUP_PRIVATE);
}

static void group_multicast_bounds_multicast(void **state)
{
	(void)state;
	assert_group("224.0.0.0", SBGW_GROUP_MULTICAST);
	assert_group("239.255.255.255", SBGW_GROUP_MULTICAST);
	assert_group("223.255.255.255", SBGW_GROUP_PUBLIC);
	assert_group("240.0.0.0", SBGW_GROUP_PUBLIC);
	assert_group("ff02::1", SBGW_GROUP_MULTICAST);
}

/* "Public" is the complement: reserved and documentation ranges are in it (§2.5). */
static void group_reserved_ranges_public(void **state)
{
	static const char *const addrs[] = {
		"0.1.2.3",      "192.0.0.1", "192.0.2.1",  "198.18.0.1", "198.51.100.1",
		"203.0.113.1",  "240.0.0.1", "255.255.255.255", "fec0::1", "100::1",
		"2001:db8::1",  "64:ff9b::1", "2002::1",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		assert_group(addrs[i], SBGW_GROUP_PUBLIC);
}

static void group_global_addresses_public(void **state)
{
	(void)state;
	assert_group("8.8.8.8", SBGW_GROUP_PUBLIC);
	assert_group("2606:4700:4700::1111", SBGW_GROUP_PUBLIC);
}

static void group_unset_family_none(void **state)
{
	struct sbgw_addr a = {0};

	(void)state;
	assert_int_equal(sbgw_addr_group(&a, &host), SBGW_GROUP_NONE);
}

static void group_names_match_config_spelling(void **state)
{
	(void)state;
	assert_string_equal(sbgw_group_name(SBGW_GROUP_PUBLIC), "public");
	assert_string_equal(sbgw_group_name(SBGW_GROUP_PRIVATE), "private");
	assert_string_equal(sbgw_group_name(SBGW_GROUP_LOOPBACK), "loopback");
	assert_string_equal(sbgw_group_name(SBGW_GROUP_LINK_LOCAL), "link-local");
	assert_string_equal(sbgw_group_name(SBGW_GROUP_METADATA), "metadata");
	assert_string_equal(sbgw_group_name(SBGW_GROUP_MULTICAST), "multicast");
	assert_string_equal(sbgw_group_name(SBGW_GROUP_HOST), "host");
}

static void group_parse_every_name_roundtrips(void **state)
{
	(void)state;
	for (int g = SBGW_GROUP_PUBLIC; g < SBGW_GROUP_COUNT; g++)
		assert_int_equal(sbgw_group_parse(sbgw_group_name((enum sbgw_group)g)), g);
}

static void group_parse_underscore_link_local(void **state)
{
	(void)state;
	assert_int_equal(sbgw_group_parse("link_local"), SBGW_GROUP_LINK_LOCAL);
}

static void group_parse_capitalised_rejected(void **state)
{
	(void)state;
	assert_int_equal(sbgw_group_parse("Public"), -EINVAL);
}

static void group_parse_none_rejected(void **state)
{
	(void)state;
	assert_int_equal(sbgw_group_parse("none"), -EINVAL);
}

static void proto_names_match_config_spelling(void **state)
{
	(void)state;
	assert_string_equal(sbgw_proto_name(SBGW_PROTO_ANY), "any");
	assert_string_equal(sbgw_proto_name(SBGW_PROTO_TCP), "tcp");
	assert_string_equal(sbgw_proto_name(SBGW_PROTO_UDP), "udp");
	assert_string_equal(sbgw_proto_name(SBGW_PROTO_ICMPV4), "icmpv4");
	assert_string_equal(sbgw_proto_name(SBGW_PROTO_ICMPV6), "icmpv6");
}

static void action_names_match_config_spelling(void **state)
{
	(void)state;
	assert_string_equal(sbgw_action_name(SBGW_ACTION_ALLOW), "allow");
	assert_string_equal(sbgw_action_name(SBGW_ACTION_DENY), "deny");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(group_unspecified_v4_none),
		cmocka_unit_test(group_unspecified_v6_none),
		cmocka_unit_test(group_unspecified_mapped_none),
		cmocka_unit_test(group_host_v4_wins_over_private),
		cmocka_unit_test(group_host_v6_wins_over_private),
		cmocka_unit_test(group_host_mapped_is_host),
		cmocka_unit_test(group_guest_address_private),
		cmocka_unit_test(group_other_sandbox_gateway_private),
		cmocka_unit_test(group_no_host_gateway_private),
		cmocka_unit_test(group_host_without_v6_v6_gateway_private),
		cmocka_unit_test(group_metadata_v4_metadata),
		cmocka_unit_test(group_metadata_mapped_metadata),
		cmocka_unit_test(group_metadata_neighbours_link_local),
		cmocka_unit_test(group_link_local_v4_bounds_link_local),
		cmocka_unit_test(group_link_local_v6_bounds_link_local),
		cmocka_unit_test(group_loopback_v4_loopback),
		cmocka_unit_test(group_loopback_v6_loopback),
		cmocka_unit_test(group_mapped_loopback_loopback),
		cmocka_unit_test(group_private_10_bounds_private),
		cmocka_unit_test(group_private_172_bounds_private),
		cmocka_unit_test(group_private_192_168_bounds_private),
		cmocka_unit_test(group_private_cgnat_bounds_private),
		cmocka_unit_test(group_private_ula_bounds_private),
		cmocka_unit_test(group_mapped_private_private),
		cmocka_unit_test(group_multicast_bounds_multicast),
		cmocka_unit_test(group_reserved_ranges_public),
		cmocka_unit_test(group_global_addresses_public),
		cmocka_unit_test(group_unset_family_none),
		cmocka_unit_test(group_names_match_config_spelling),
		cmocka_unit_test(group_parse_every_name_roundtrips),
		cmocka_unit_test(group_parse_underscore_link_local),
		cmocka_unit_test(group_parse_capitalised_rejected),
		cmocka_unit_test(group_parse_none_rejected),
		cmocka_unit_test(proto_names_match_config_spelling),
		cmocka_unit_test(action_names_match_config_spelling),
	};

	return cmocka_run_group_tests_name("group", tests, setup, NULL);
}
