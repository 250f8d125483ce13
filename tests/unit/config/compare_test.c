/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/compare.c: what a reload sees as changed, and what it can
 * apply to a running sandbox or must leave for a restart.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define TWO(A, B)                                                          \
	GW_TEXT "sandboxes = (\n{ name = \"a\"; port = \"p0\"; " A " },\n" \
	        "{ name = \"b\"; port = \"p1\"; " B " }\n);\n"

static void compare(const char *before, const char *after, struct sbgw_config **x,
                    struct sbgw_config **y)
{
	*x = must_load(before);
	*y = must_load(after);
}

static void compare_same_file_is_equal(void **state)
{
	struct sbgw_config *x, *y;

	(void)state;
	compare(TWO("", ""), TWO("", ""), &x, &y);
	assert_true(sbgw_sandbox_equal(&x->sandboxes[0], &y->sandboxes[0]));
	assert_true(sbgw_gateway_equal(x, y));
	sbgw_config_free(x);
	sbgw_config_free(y);
}

static void compare_moved_lines_are_equal(void **state)
{
	struct sbgw_config *x, *y;
	const char *rules = "network = { policy = { rules = ( \"allow_dns\", "
	                    "{ action = \"deny\"; destination = \"10.0.0.5\"; } ); }; };";

	(void)state;
	x = must_load(TWO("", "") "\n");
	y = must_load(GW_TEXT "\n\n\nsandboxes = (\n{ name = \"a\"; port = \"p0\"; },\n\n"
	                      "{ name = \"b\"; port = \"p1\"; }\n);\n");
	assert_true(sbgw_sandbox_equal(&x->sandboxes[1], &y->sandboxes[1]));
	sbgw_config_free(x);
	sbgw_config_free(y);
	x = must_load_sandbox(rules);
	{
		char *moved = NULL;

		assert_true(asprintf(&moved,
		                     GW_TEXT "\n\nsandboxes = ( { name = \"sb\"; port = "
		                             "\"p0\";\n\n %s } );\n",
		                     rules) > 0);
		y = must_load(moved);
		free(moved);
	}
	assert_non_null(x);
	assert_true(sbgw_sandbox_equal(&x->sandboxes[0], &y->sandboxes[0]));
	sbgw_config_free(x);
	sbgw_config_free(y);
}

static void compare_rule_change_is_a_change(void **state)
{
	struct sbgw_config *x, *y;

	(void)state;
	compare(TWO("", "network = { policy = \"allow_all\"; };"),
	        TWO("", "network = { policy = \"public_only\"; };"), &x, &y);
	assert_true(sbgw_sandbox_equal(&x->sandboxes[0], &y->sandboxes[0]));
	assert_false(sbgw_sandbox_equal(&x->sandboxes[1], &y->sandboxes[1]));
	assert_null(sbgw_sandbox_restart_reason(&x->sandboxes[1], &y->sandboxes[1]));
	sbgw_config_free(x);
	sbgw_config_free(y);
}

static void compare_dns_and_limits_are_changes(void **state)
{
	struct sbgw_config *x, *y;

	(void)state;
	compare(TWO("", ""),
	        TWO("network = { max_connections = 8; };",
	            "network = { dns = { nameservers = [ \"9.9.9.9\" ]; }; };"),
	        &x, &y);
	assert_false(sbgw_sandbox_equal(&x->sandboxes[0], &y->sandboxes[0]));
	assert_false(sbgw_sandbox_equal(&x->sandboxes[1], &y->sandboxes[1]));
	assert_null(sbgw_sandbox_restart_reason(&x->sandboxes[0], &y->sandboxes[0]));
	sbgw_config_free(x);
	sbgw_config_free(y);
}

static void compare_secret_value_is_a_change(void **state)
{
	struct sbgw_config *x, *y;

	(void)state;
	compare(TWO("", "secrets = ( { env_var = \"K\"; value = \"one\"; allow_hosts = [ \"a.com\" "
	                "]; } );"),
	        TWO("", "secrets = ( { env_var = \"K\"; value = \"two\"; allow_hosts = [ \"a.com\" "
	                "]; } );"),
	        &x, &y);
	assert_false(sbgw_sandbox_equal(&x->sandboxes[1], &y->sandboxes[1]));
	sbgw_config_free(x);
	sbgw_config_free(y);
}

static void compare_port_change_needs_restart(void **state)
{
	struct sbgw_config *x, *y;

	(void)state;
	x = must_load(TWO("", ""));
	y = must_load(GW_TEXT "sandboxes = (\n{ name = \"a\"; port = \"p9\"; },\n"
	                      "{ name = \"b\"; port = \"p1\"; }\n);\n");
	assert_false(sbgw_sandbox_equal(&x->sandboxes[0], &y->sandboxes[0]));
	assert_string_equal(sbgw_sandbox_restart_reason(&x->sandboxes[0], &y->sandboxes[0]),
	                    "its port (device) changed");
	sbgw_config_free(x);
	sbgw_config_free(y);
}

static void compare_pool_change_needs_restart(void **state)
{
	struct sbgw_config *x, *y;

	(void)state;
	compare(TWO("", ""), TWO("network = { ipv4_pool = \"10.0.0.0/24\"; };", ""), &x, &y);
	assert_non_null(strstr(sbgw_sandbox_restart_reason(&x->sandboxes[0], &y->sandboxes[0]),
	                       "addresses change"));
	sbgw_config_free(x);
	sbgw_config_free(y);
}

static void compare_published_ports_need_restart(void **state)
{
	struct sbgw_config *x, *y;

	(void)state;
	compare(TWO("", ""), TWO("network = { ports = ( [ 8080, 80 ] ); };", ""), &x, &y);
	assert_string_equal(sbgw_sandbox_restart_reason(&x->sandboxes[0], &y->sandboxes[0]),
	                    "its published ports changed");
	sbgw_config_free(x);
	sbgw_config_free(y);
}

static void compare_gateway_change_is_seen(void **state)
{
	struct sbgw_config *x, *y;

	(void)state;
	x = must_load(TWO("", ""));
	y = must_load("version = 1;\n"
	              "gateway = { uplink = { device = \"up0\"; address = \"198.51.100.2/24\"; "
	              "next_hop = \"198.51.100.1\"; }; flows = 4096; };\n"
	              "sandboxes = (\n{ name = \"a\"; port = \"p0\"; },\n"
	              "{ name = \"b\"; port = \"p1\"; }\n);\n");
	assert_false(sbgw_gateway_equal(x, y));
	assert_true(sbgw_sandbox_equal(&x->sandboxes[0], &y->sandboxes[0]));
	sbgw_config_free(x);
	sbgw_config_free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(compare_same_file_is_equal),
	        cmocka_unit_test(compare_moved_lines_are_equal),
	        cmocka_unit_test(compare_rule_change_is_a_change),
	        cmocka_unit_test(compare_dns_and_limits_are_changes),
	        cmocka_unit_test(compare_secret_value_is_a_change),
	        cmocka_unit_test(compare_port_change_needs_restart),
	        cmocka_unit_test(compare_pool_change_needs_restart),
	        cmocka_unit_test(compare_published_ports_need_restart),
	        cmocka_unit_test(compare_gateway_change_is_seen),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
