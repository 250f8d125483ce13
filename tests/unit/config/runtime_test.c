/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/runtime.c: a sandbox defined at run time against a running
 * configuration (config.md "Run-time changes").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define RUNNING                                                                                    \
	GW_TEXT "sandboxes = (\n"                                                                  \
		"{ name = \"a\"; port = \"p0\"; network = { ports = ( [ 8080, 80 ] ); }; },\n"     \
		"{ name = \"b\"; port = \"p1\"; }\n"                                               \
		");\n"

/* Parse text against the RUNNING configuration; *err gets the problems. */
static struct sbgw_sandbox *parse(struct sbgw_config **running, const char *text, char **err)
{
	struct sbgw_sandbox *sb;
	size_t len;
	FILE *f;

	*running = must_load(RUNNING);
	f = open_memstream(err, &len);
	sb = sbgw_config_parse_sandbox(*running, text, "control", f);
	fclose(f);
	return sb;
}

static void runtime_new_sandbox_takes_lowest_free_slot(void **state)
{
	struct sbgw_config *running;
	struct sbgw_sandbox *sb;
	char *err = NULL;

	(void)state;
	sb = parse(&running, "{ name = \"c\"; port = \"p2\"; }", &err);
	assert_string_equal(err, "");
	assert_non_null(sb);
	assert_string_equal(sb->name, "c");
	assert_int_equal(sb->link.slot4, 2);
	assert_int_equal(sb->net.policy.n_rules, 3);
	sbgw_sandbox_free(sb);
	sbgw_config_free(running);
	free(err);
}

/* A sandbox definition from the control socket names no files: no @include. */
static void runtime_include_is_refused(void **state)
{
	struct sbgw_config *running;
	struct sbgw_sandbox *sb;
	char *err = NULL;

	(void)state;
	sb = parse(&running, "{ name = \"c\";\n@include \"/\"\n port = \"p2\"; }", &err);
	assert_null(sb);
	assert_string_equal(err, "control:2: @include is not allowed in a sandbox definition\n");
	sbgw_config_free(running);
	free(err);
}

static void runtime_replacement_keeps_its_addresses(void **state)
{
	struct sbgw_config *running;
	struct sbgw_sandbox *sb;
	char *err = NULL;

	(void)state;
	sb = parse(&running, "{ name = \"a\"; port = \"p0\"; network = { policy = \"allow_all\"; }; }",
		   &err);
	assert_string_equal(err, "");
	assert_non_null(sb);
	assert_int_equal(sb->link.slot4, 0);
	assert_true(sbgw_addr_equal(&sb->link.guest4, &running->sandboxes[0].link.guest4));
	assert_int_equal(sb->net.preset, SBGW_PRESET_ALLOW_ALL);
	sbgw_sandbox_free(sb);
	sbgw_config_free(running);
	free(err);
}

static void runtime_replacement_may_reuse_its_own_ports(void **state)
{
	struct sbgw_config *running;
	struct sbgw_sandbox *sb;
	char *err = NULL;

	(void)state;
	sb = parse(&running, "{ name = \"a\"; port = \"p0\"; network = { ports = ( [ 8080, 81 ] ); }; }",
		   &err);
	assert_string_equal(err, "");
	assert_non_null(sb);
	sbgw_sandbox_free(sb);
	sbgw_config_free(running);
	free(err);
}

static void runtime_port_clash_is_rejected(void **state)
{
	struct sbgw_config *running;
	char *err = NULL;

	(void)state;
	assert_null(parse(&running, "{ name = \"c\";\n  port = \"p1\"; }", &err));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "control:2: sandbox.port: port \"p1\" is already the port of "
				 "sandbox \"b\"\n");
	sbgw_config_free(running);
	free(err);
}

static void runtime_published_port_clash_is_rejected(void **state)
{
	struct sbgw_config *running;
	char *err = NULL;

	(void)state;
	assert_null(parse(&running,
			  "{ name = \"c\"; port = \"p2\"; network = { ports = ( [ 8080, 80 ] ); }; }",
			  &err));
	assert_string_equal(err, "control:1: sandbox.network.ports.[0]: host port "
				 "127.0.0.1:8080/tcp is already published by sandbox \"a\"\n");
	sbgw_config_free(running);
	free(err);
}

static void runtime_syntax_error_is_reported(void **state)
{
	struct sbgw_config *running;
	char *err = NULL;

	(void)state;
	assert_null(parse(&running, "{ name = \"c\"\n port = ; }", &err));
	assert_string_equal(err, "control:2: syntax error\n");
	sbgw_config_free(running);
	free(err);
}

static void runtime_invalid_entry_reports_every_problem(void **state)
{
	struct sbgw_config *running;
	char *err = NULL;

	(void)state;
	assert_null(parse(&running, "{ name = \"C\"; network = { max_connections = 9999; }; }", &err));
	assert_string_equal(err, "control:1: sandbox.name: invalid sandbox name \"C\": must match "
				 "[a-z0-9][a-z0-9_-]{0,62}\n"
				 "control:1: sandbox.network.max_connections: max_connections 9999 "
				 "exceeds hard limit 4096\n"
				 "control:1: sandbox.port: required setting is missing (every sandbox "
				 "needs a guest port unless its policy is \"none\")\n");
	sbgw_config_free(running);
	free(err);
}

static void runtime_leaves_running_untouched(void **state)
{
	struct sbgw_config *running;
	struct sbgw_sandbox *sb;
	char *before, *after, *err = NULL;

	(void)state;
	sb = parse(&running, "{ name = \"b\"; port = \"p9\"; network = { ipv4_pool = \"10.0.0.0/24\"; }; }",
		   &err);
	assert_non_null(sb);
	before = dump_text(running);
	sbgw_sandbox_free(sb);
	after = dump_text(running);
	assert_string_equal(before, after);
	assert_non_null(strstr(after, "sandbox \"b\""));
	free(before);
	free(after);
	sbgw_config_free(running);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runtime_new_sandbox_takes_lowest_free_slot),
		cmocka_unit_test(runtime_replacement_keeps_its_addresses),
		cmocka_unit_test(runtime_include_is_refused),
		cmocka_unit_test(runtime_replacement_may_reuse_its_own_ports),
		cmocka_unit_test(runtime_port_clash_is_rejected),
		cmocka_unit_test(runtime_published_port_clash_is_rejected),
		cmocka_unit_test(runtime_syntax_error_is_reported),
		cmocka_unit_test(runtime_invalid_entry_reports_every_problem),
		cmocka_unit_test(runtime_leaves_running_untouched),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
