/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/load.c and schema.c: reading the file, reporting every
 * problem as FILE:LINE: path: message in file order, unknown keys, types.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"

static void load_syntax_error_reports_file_and_line(void **state)
{
	(void)state;
	assert_load_fails_with("version = 1;\ngateway = {\n  flows = ;\n};\n",
			       "t.conf:3: syntax error\n");
}

static void load_duplicate_key_reports_libconfig_message(void **state)
{
	(void)state;
	assert_load_fails_with("version = 1;\nversion = 1;\n",
			       "t.conf:2: duplicate setting name\n");
}

static void load_missing_file_reports_cannot_read(void **state)
{
	char *err = NULL;
	size_t len;
	FILE *f = open_memstream(&err, &len);

	(void)state;
	assert_null(sbgw_config_load("does-not-exist.conf", f));
	assert_int_equal(errno, ENOENT);
	fclose(f);
	assert_string_equal(err, "does-not-exist.conf: cannot read: No such file or directory\n");
	free(err);
}

static void load_minimal_gateway_succeeds(void **state)
{
	struct sbgw_config *cfg = must_load(GW_TEXT);

	(void)state;
	assert_string_equal(cfg->path, "t.conf");
	assert_int_equal(cfg->n_sandboxes, 0);
	sbgw_config_free(cfg);
}

static void load_failure_sets_errno_einval(void **state)
{
	char *err = NULL;

	(void)state;
	errno = 0;
	assert_null(load_text("version = 2;\n", &err));
	assert_int_equal(errno, EINVAL);
	free(err);
}

static void load_version_missing_is_reported_on_line_1(void **state)
{
	(void)state;
	assert_load_fails_with("gateway = { uplink = { device = \"u\"; address = \"192.0.2.2/24\"; "
			       "next_hop = \"192.0.2.1\"; }; };\n",
			       "t.conf:1: version: required setting is missing\n");
}

static void load_version_2_is_rejected(void **state)
{
	(void)state;
	assert_load_fails_with(
		"version = 2;\n"
		"gateway = { uplink = { device = \"u\"; address = \"192.0.2.2/24\"; next_hop = "
		"\"192.0.2.1\"; }; };\n",
		"t.conf:1: version: unsupported configuration version 2 (this sbgw reads version 1)\n");
}

static void load_gateway_missing_is_required(void **state)
{
	(void)state;
	assert_load_fails_with("version = 1;\n", "t.conf:1: gateway: required setting is missing\n");
}

static void load_unknown_key_suggests_closest(void **state)
{
	(void)state;
	assert_load_fails_with(
		"version = 1;\ngateway = {\n  uplink = {\n    device = \"u\";\n"
		"    adress = \"192.0.2.2/24\";\n    next_hop = \"192.0.2.1\";\n  };\n};\n",
		"t.conf:5: gateway.uplink.adress: unknown setting (did you mean \"address\"?)\n"
		"t.conf:3: gateway.uplink.address: required setting is missing\n");
}

static void load_unknown_key_far_from_all_has_no_suggestion(void **state)
{
	(void)state;
	assert_load_fails_with(GW_TEXT "colour = \"blue\";\n", "t.conf:3: colour: unknown setting\n");
}

static void load_unknown_key_with_hyphen_suggests_underscore(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { max-connections = 5; };",
				  "sandboxes.[0].network.max-connections: unknown setting (did you "
				  "mean \"max_connections\"?)");
}

static void load_unknown_key_case_suggests_lowercase(void **state)
{
	(void)state;
	assert_sandbox_fails_with("Network = { };",
				  "sandboxes.[0].Network: unknown setting (did you mean "
				  "\"network\"?)");
}

static void load_wrong_type_string_for_int_is_reported(void **state)
{
	(void)state;
	assert_load_fails_with("version = \"1\";\ngateway = { uplink = { device = \"u\"; address = "
			       "\"192.0.2.2/24\"; next_hop = \"192.0.2.1\"; }; };\n",
			       "t.conf:1: version: expected an integer, got a string\n");
}

static void load_wrong_type_names_every_accepted_type(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { policy = 3; };",
				  "sandboxes.[0].network.policy: expected a string or a group ({ ... "
				  "}), got an integer");
}

static void load_wrong_type_list_expected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { deny_domains = \"a.com\"; };",
				  "sandboxes.[0].network.deny_domains: expected a list ([ ... ] or ( "
				  "... )), got a string");
}

static void load_float_is_not_an_integer(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { max_connections = 1.5; };",
				  "sandboxes.[0].network.max_connections: expected an integer, got "
				  "a float");
}

static void load_int64_accepted_where_int_expected(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { max_connections = 100L; };");

	(void)state;
	assert_int_equal(cfg->sandboxes[0].net.max_connections, 100);
	sbgw_config_free(cfg);
}

static void load_int64_out_of_range_is_reported(void **state)
{
	(void)state;
	assert_load_fails_with(
		"version = 1;\ngateway = { flows = 5000000000L; uplink = { device = \"u\"; address "
		"= \"192.0.2.2/24\"; next_hop = \"192.0.2.1\"; }; };\n",
		"t.conf:2: gateway.flows: 5000000000 is out of range 1..268435456\n");
}

static void load_all_problems_reported_in_file_order(void **state)
{
	(void)state;
	assert_load_fails_with(
		GW_TEXT "sandboxes = (\n"
			"  { name = \"a\"; port = \"p0\";\n"
			"    network = {\n"
			"      max_connections = 5000;\n"
			"      policy = { rules = ( { action = \"allow\"; port = \"9000-8000\"; } ); };\n"
			"    };\n"
			"  },\n"
			"  { name = \"A\"; port = \"p1\"; }\n"
			");\n",
		"t.conf:6: sandboxes.[0].network.max_connections: max_connections 5000 exceeds hard "
		"limit 4096\n"
		"t.conf:7: sandboxes.[0].network.policy.rules.[0].port: \"9000-8000\": range start "
		"must be <= end\n"
		"t.conf:10: sandboxes.[1].name: invalid sandbox name \"A\": must match "
		"[a-z0-9][a-z0-9_-]{0,62}\n");
}

static void load_list_element_path_uses_brackets(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { deny_domains = [ \"ok.com\", \"bad host\" ]; };",
				  "sandboxes.[0].network.deny_domains.[1]: deny_domains[\"bad "
				  "host\"]: domain name contains whitespace");
}

static void load_missing_key_reports_parent_line(void **state)
{
	(void)state;
	assert_load_fails_with(GW_TEXT "sandboxes = (\n  {\n    port = \"p0\";\n  }\n);\n",
			       "t.conf:4: sandboxes.[0].name: required setting is missing\n");
}

static void load_include_is_relative_to_main_file(void **state)
{
	struct sbgw_config *cfg;
	char *err = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir("etc", 0700), 0);
	write_file("etc/main.conf", GW_TEXT "@include \"sandboxes.conf\"\n");
	write_file("etc/sandboxes.conf", "sandboxes = ( { name = \"inc\"; port = \"p0\"; } );\n");
	f = open_memstream(&err, &len);
	cfg = sbgw_config_load("etc/main.conf", f);
	fclose(f);
	assert_string_equal(err, "");
	assert_non_null(cfg);
	assert_string_equal(cfg->sandboxes[0].name, "inc");
	sbgw_config_free(cfg);
	free(err);
}

static void load_include_problem_names_included_file(void **state)
{
	char *err = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir("inc", 0700), 0);
	write_file("inc/main.conf", GW_TEXT "@include \"sb.conf\"\n");
	write_file("inc/sb.conf", "\nsandboxes = ( { name = \"x\"; port = \"p0\"; bogus = 1; } );\n");
	f = open_memstream(&err, &len);
	assert_null(sbgw_config_load("inc/main.conf", f));
	fclose(f);
	assert_string_equal(err, "inc/sb.conf:2: sandboxes.[0].bogus: unknown setting\n");
	free(err);
}

static void load_include_missing_file_is_reported(void **state)
{
	(void)state;
	assert_load_fails_with(GW_TEXT "@include \"nope.conf\"\n",
			       "t.conf:3: cannot open include file\n");
}

/*
 * Found by tests/fuzz/config_fuzz: libconfig 1.5 opens what an @include
 * names, and a directory made its scanner exit() the whole process
 * ("input in flex scanner failed"); a device such as /dev/zero never
 * ends. Every included file must be a regular file, at any depth.
 */
static void load_include_of_directory_is_refused(void **state)
{
	(void)state;
	assert_int_equal(mkdir("adir", 0700), 0);
	assert_load_fails_with(GW_TEXT "@include \"adir\"\n",
			       "t.conf:3: @include \"adir\": not a regular file\n");
}

static void load_include_of_empty_name_is_refused(void **state)
{
	char *err = NULL;
	size_t len;
	FILE *f;

	(void)state;
	/* Relative to the main file's directory, an empty name names that directory. */
	assert_int_equal(mkdir("empty", 0700), 0);
	write_file("empty/main.conf", GW_TEXT "  @include  \"\"\n");
	f = open_memstream(&err, &len);
	assert_null(sbgw_config_load("empty/main.conf", f));
	fclose(f);
	assert_string_equal(err, "empty/main.conf:3: @include \"\": not a regular file\n");
	free(err);
}

static void load_nested_include_of_device_is_refused(void **state)
{
	(void)state;
	write_file("outer.inc", "\n@include \"/dev/zero\"\n");
	assert_load_fails_with(GW_TEXT "@include \"outer.inc\"\n",
			       "outer.inc:2: @include \"/dev/zero\": not a regular file\n");
}

static void load_main_file_not_regular_is_refused(void **state)
{
	char *err = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir("conf.d", 0700), 0);
	f = open_memstream(&err, &len);
	assert_null(sbgw_config_load("conf.d", f));
	fclose(f);
	assert_string_equal(err, "conf.d: cannot read: not a regular file\n");
	free(err);
}

static void load_sandboxes_entry_must_be_group(void **state)
{
	(void)state;
	assert_load_fails_with(GW_TEXT "sandboxes = ( \"sb\" );\n",
			       "t.conf:3: sandboxes.[0]: expected a group ({ ... }), got a string\n");
}

static void load_empty_sandboxes_list_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load(GW_TEXT "sandboxes = ();\n");

	(void)state;
	assert_int_equal(cfg->n_sandboxes, 0);
	sbgw_config_free(cfg);
}

static void load_message_escapes_control_characters(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { policy = \"a\\nb\"; };",
				  "sandboxes.[0].network.policy: unknown network policy preset: "
				  "a\\x0ab");
}

static void load_null_errors_stream_is_allowed(void **state)
{
	(void)state;
	write_file("t.conf", "version = 3;\n");
	assert_null(sbgw_config_load("t.conf", NULL));
}

static void load_free_null_is_noop(void **state)
{
	(void)state;
	sbgw_config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_syntax_error_reports_file_and_line),
		cmocka_unit_test(load_duplicate_key_reports_libconfig_message),
		cmocka_unit_test(load_missing_file_reports_cannot_read),
		cmocka_unit_test(load_minimal_gateway_succeeds),
		cmocka_unit_test(load_failure_sets_errno_einval),
		cmocka_unit_test(load_version_missing_is_reported_on_line_1),
		cmocka_unit_test(load_version_2_is_rejected),
		cmocka_unit_test(load_gateway_missing_is_required),
		cmocka_unit_test(load_unknown_key_suggests_closest),
		cmocka_unit_test(load_unknown_key_far_from_all_has_no_suggestion),
		cmocka_unit_test(load_unknown_key_with_hyphen_suggests_underscore),
		cmocka_unit_test(load_unknown_key_case_suggests_lowercase),
		cmocka_unit_test(load_wrong_type_string_for_int_is_reported),
		cmocka_unit_test(load_wrong_type_names_every_accepted_type),
		cmocka_unit_test(load_wrong_type_list_expected),
		cmocka_unit_test(load_float_is_not_an_integer),
		cmocka_unit_test(load_int64_accepted_where_int_expected),
		cmocka_unit_test(load_int64_out_of_range_is_reported),
		cmocka_unit_test(load_all_problems_reported_in_file_order),
		cmocka_unit_test(load_list_element_path_uses_brackets),
		cmocka_unit_test(load_missing_key_reports_parent_line),
		cmocka_unit_test(load_include_is_relative_to_main_file),
		cmocka_unit_test(load_include_problem_names_included_file),
		cmocka_unit_test(load_include_missing_file_is_reported),
		cmocka_unit_test(load_include_of_directory_is_refused),
		cmocka_unit_test(load_include_of_empty_name_is_refused),
		cmocka_unit_test(load_nested_include_of_device_is_refused),
		cmocka_unit_test(load_main_file_not_regular_is_refused),
		cmocka_unit_test(load_sandboxes_entry_must_be_group),
		cmocka_unit_test(load_empty_sandboxes_list_is_accepted),
		cmocka_unit_test(load_message_escapes_control_characters),
		cmocka_unit_test(load_null_errors_stream_is_allowed),
		cmocka_unit_test(load_free_null_is_noop),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
