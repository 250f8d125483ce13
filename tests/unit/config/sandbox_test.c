/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/sandbox.c: one sandboxes entry and the rules between
 * entries (unique names, guest ports, published ports).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static void sandboxes_fail_with(const char *entries, const char *expected)
{
	char text[2048];

	snprintf(text, sizeof(text), GW_TEXT "sandboxes = (\n%s\n);\n", entries);
	assert_load_fails_with(text, expected);
}

static void sandbox_minimal_entry_loads(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("");

	(void)state;
	assert_int_equal(cfg->n_sandboxes, 1);
	assert_string_equal(cfg->sandboxes[0].name, "sb");
	assert_string_equal(cfg->sandboxes[0].port, "p0");
	assert_int_equal(cfg->sandboxes[0].line, SB_LINE);
	assert_true(cfg->sandboxes[0].link.nic_present);
	sbgw_config_free(cfg);
}

static void sandbox_name_longest_is_accepted(void **state)
{
	char text[512];
	struct sbgw_config *cfg;

	(void)state;
	snprintf(text, sizeof(text), GW_TEXT "sandboxes = ( { name = \"a%062d\"; port = \"p\"; } );\n",
		 0);
	cfg = must_load(text);
	assert_int_equal(strlen(cfg->sandboxes[0].name), 63);
	sbgw_config_free(cfg);
}

static void sandbox_name_too_long_is_rejected(void **state)
{
	char text[512], want[512];

	(void)state;
	snprintf(text, sizeof(text), GW_TEXT "sandboxes = ( { name = \"a%063d\"; port = \"p\"; } );\n",
		 0);
	snprintf(want, sizeof(want),
		 "t.conf:3: sandboxes.[0].name: invalid sandbox name \"a%063d\": must match "
		 "[a-z0-9][a-z0-9_-]{0,62}\n",
		 0);
	assert_load_fails_with(text, want);
}

static void sandbox_name_leading_hyphen_is_rejected(void **state)
{
	(void)state;
	sandboxes_fail_with("{ name = \"-a\"; port = \"p\"; }",
			    "t.conf:4: sandboxes.[0].name: invalid sandbox name \"-a\": must match "
			    "[a-z0-9][a-z0-9_-]{0,62}\n");
}

static void sandbox_name_uppercase_is_rejected(void **state)
{
	(void)state;
	sandboxes_fail_with("{ name = \"Api\"; port = \"p\"; }",
			    "t.conf:4: sandboxes.[0].name: invalid sandbox name \"Api\": must "
			    "match [a-z0-9][a-z0-9_-]{0,62}\n");
}

static void sandbox_name_empty_is_rejected(void **state)
{
	(void)state;
	sandboxes_fail_with("{ name = \"\"; port = \"p\"; }",
			    "t.conf:4: sandboxes.[0].name: invalid sandbox name \"\": must match "
			    "[a-z0-9][a-z0-9_-]{0,62}\n");
}

static void sandbox_name_inner_punctuation_is_accepted(void **state)
{
	struct sbgw_config *cfg =
		must_load(GW_TEXT "sandboxes = ( { name = \"0a_b-c\"; port = \"p\"; } );\n");

	(void)state;
	assert_string_equal(cfg->sandboxes[0].name, "0a_b-c");
	sbgw_config_free(cfg);
}

static void sandbox_name_is_required(void **state)
{
	(void)state;
	sandboxes_fail_with("{ port = \"p\"; }",
			    "t.conf:4: sandboxes.[0].name: required setting is missing\n");
}

static void sandbox_name_duplicate_is_rejected(void **state)
{
	(void)state;
	sandboxes_fail_with("{ name = \"a\"; port = \"p0\"; },\n{ name = \"a\"; port = \"p1\"; }",
			    "t.conf:5: sandboxes.[1].name: duplicate sandbox name \"a\" (first "
			    "defined on line 4)\n");
}

static void sandbox_port_is_required(void **state)
{
	(void)state;
	sandboxes_fail_with("{ name = \"a\"; }",
			    "t.conf:4: sandboxes.[0].port: required setting is missing (every "
			    "sandbox needs a guest port unless its policy is \"none\")\n");
}

static void sandbox_port_empty_is_rejected(void **state)
{
	(void)state;
	sandboxes_fail_with("{ name = \"a\"; port = \"\"; }",
			    "t.conf:4: sandboxes.[0].port: port must not be empty\n");
}

static void sandbox_port_duplicate_is_rejected(void **state)
{
	(void)state;
	sandboxes_fail_with("{ name = \"a\"; port = \"p0\"; },\n{ name = \"b\"; port = \"p0\"; }",
			    "t.conf:5: sandboxes.[1].port: port \"p0\" is already the port of "
			    "sandbox \"a\"\n");
}

static void sandbox_port_equal_to_uplink_is_rejected(void **state)
{
	(void)state;
	sandboxes_fail_with("{ name = \"a\"; port = \"up0\"; }",
			    "t.conf:4: sandboxes.[0].port: port \"up0\" is the gateway's uplink "
			    "device\n");
}

static void sandbox_none_needs_no_port(void **state)
{
	struct sbgw_config *cfg =
		must_load(GW_TEXT "sandboxes = ( { name = \"off\"; network = { policy = \"none\"; }; } );\n");

	(void)state;
	assert_null(cfg->sandboxes[0].port);
	assert_false(cfg->sandboxes[0].link.nic_present);
	sbgw_config_free(cfg);
}

static void sandbox_none_with_port_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { policy = \"none\"; };",
				  "sandboxes.[0].port: policy \"none\" attaches no network "
				  "interface; remove port");
}

static void sandbox_published_port_clash_across_sandboxes_is_rejected(void **state)
{
	(void)state;
	sandboxes_fail_with(
		"{ name = \"a\"; port = \"p0\"; network = { ports = ( [ 8080, 80 ] ); }; },\n"
		"{ name = \"b\"; port = \"p1\"; network = { ports = ( [ 9090, 90 ], [ 8080, 81 ] ); }; }",
		"t.conf:5: sandboxes.[1].network.ports.[1]: host port 127.0.0.1:8080/tcp is already "
		"published by sandbox \"a\"\n");
}

static void sandbox_published_port_other_bind_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load(
		GW_TEXT "sandboxes = (\n"
			"{ name = \"a\"; port = \"p0\"; network = { ports = ( [ 8080, 80 ] ); }; },\n"
			"{ name = \"b\"; port = \"p1\"; network = { ports = ( { host_port = 8080; "
			"guest_port = 80; bind = \"127.0.0.2\"; } ); }; }\n);\n");

	(void)state;
	assert_int_equal(cfg->n_sandboxes, 2);
	sbgw_config_free(cfg);
}

static void sandbox_unknown_key_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("secret = ( );",
				  "sandboxes.[0].secret: unknown setting (did you mean \"secrets\"?)");
}

static void sandbox_secrets_turn_tls_on(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"secrets = ( { env_var = \"K\"; value = \"v\"; allow_hosts = [ \"a.com\" ]; } );");

	(void)state;
	assert_true(cfg->sandboxes[0].net.tls.enabled);
	assert_int_equal(cfg->sandboxes[0].net.tls.n_intercepted_ports, 1);
	assert_int_equal(cfg->sandboxes[0].net.tls.intercepted_ports[0], 443);
	sbgw_config_free(cfg);
}

static void sandbox_errors_of_two_sandboxes_are_all_reported(void **state)
{
	(void)state;
	sandboxes_fail_with("{ name = \"a\"; },\n{ port = \"p\"; }",
			    "t.conf:4: sandboxes.[0].port: required setting is missing (every "
			    "sandbox needs a guest port unless its policy is \"none\")\n"
			    "t.conf:5: sandboxes.[1].name: required setting is missing\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sandbox_minimal_entry_loads),
		cmocka_unit_test(sandbox_name_longest_is_accepted),
		cmocka_unit_test(sandbox_name_too_long_is_rejected),
		cmocka_unit_test(sandbox_name_leading_hyphen_is_rejected),
		cmocka_unit_test(sandbox_name_uppercase_is_rejected),
		cmocka_unit_test(sandbox_name_empty_is_rejected),
		cmocka_unit_test(sandbox_name_inner_punctuation_is_accepted),
		cmocka_unit_test(sandbox_name_is_required),
		cmocka_unit_test(sandbox_name_duplicate_is_rejected),
		cmocka_unit_test(sandbox_port_is_required),
		cmocka_unit_test(sandbox_port_empty_is_rejected),
		cmocka_unit_test(sandbox_port_duplicate_is_rejected),
		cmocka_unit_test(sandbox_port_equal_to_uplink_is_rejected),
		cmocka_unit_test(sandbox_none_needs_no_port),
		cmocka_unit_test(sandbox_none_with_port_is_rejected),
		cmocka_unit_test(sandbox_published_port_clash_across_sandboxes_is_rejected),
		cmocka_unit_test(sandbox_published_port_other_bind_is_accepted),
		cmocka_unit_test(sandbox_unknown_key_is_rejected),
		cmocka_unit_test(sandbox_secrets_turn_tls_on),
		cmocka_unit_test(sandbox_errors_of_two_sandboxes_are_all_reported),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
