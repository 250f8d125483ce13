/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/secrets.c: secret entries (semantics §1.11), their value
 * sources, and violation actions in both forms (Q7). Also that a secret's
 * value never shows in any message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define SECRET "s3cr3t-VALUE-never-printed"

static struct sbgw_config *load_secret(const char *fields)
{
	char body[4096];

	snprintf(body, sizeof(body), "secrets = ( { env_var = \"API_KEY\"; %s } );", fields);
	return must_load_sandbox(body);
}

static void secret_fails_with(const char *fields, const char *expected)
{
	char body[4096];

	snprintf(body, sizeof(body), "secrets = ( { env_var = \"API_KEY\"; %s } );", fields);
	assert_sandbox_fails_with(body, expected);
}

static const struct sbgw_secret *secret_of(const struct sbgw_config *cfg)
{
	assert_int_equal(cfg->sandboxes[0].n_secrets, 1);
	return &cfg->sandboxes[0].secrets[0];
}

/* ---- Values ---- */

static void secret_inline_value_and_defaults(void **state)
{
	struct sbgw_config *cfg =
		load_secret("value = \"" SECRET "\"; allow_hosts = [ \"API.Example.com\" ];");
	const struct sbgw_secret *s = secret_of(cfg);

	(void)state;
	assert_string_equal(s->env_var, "API_KEY");
	assert_string_equal(s->value, SECRET);
	assert_int_equal(s->value_len, strlen(SECRET));
	assert_string_equal(s->placeholder, "$MSB_API_KEY");
	assert_string_equal(s->allow_hosts.v[0], "api.example.com");
	assert_true(s->require_tls);
	assert_true(s->injection.headers);
	assert_true(s->injection.basic_auth);
	assert_false(s->injection.query_params);
	assert_false(s->injection.body);
	assert_false(s->has_on_violation);
	assert_int_equal(s->line, SB_LINE);
	sbgw_config_free(cfg);
}

static void secret_value_file_strips_trailing_newline(void **state)
{
	struct sbgw_config *cfg;

	(void)state;
	write_file("key.txt", "tok\n");
	cfg = load_secret("value_file = \"key.txt\"; allow_hosts = [ \"a.com\" ];");
	assert_int_equal(secret_of(cfg)->value_len, 3);
	assert_string_equal(secret_of(cfg)->value, "tok");
	sbgw_config_free(cfg);
}

static void secret_value_file_strips_only_one_newline(void **state)
{
	(void)state;
	/* The second newline stays part of the value, which may not hold one. */
	write_file("key2.txt", "tok\n\n");
	secret_fails_with("value_file = \"key2.txt\"; allow_hosts = [ \"a.com\" ];",
			  "sandboxes.[0].secrets.[0].value_file: the secret value must not contain "
			  "NUL, CR or LF");
}

static void secret_value_file_strips_crlf(void **state)
{
	struct sbgw_config *cfg;

	(void)state;
	write_file("crlf.txt", "tok\r\n");
	cfg = load_secret("value_file = \"crlf.txt\"; allow_hosts = [ \"a.com\" ];");
	assert_string_equal(secret_of(cfg)->value, "tok");
	sbgw_config_free(cfg);
}

static void secret_value_file_without_newline_is_kept(void **state)
{
	struct sbgw_config *cfg;

	(void)state;
	write_file("plain.txt", "tok");
	cfg = load_secret("value_file = \"plain.txt\"; allow_hosts = [ \"a.com\" ];");
	assert_string_equal(secret_of(cfg)->value, "tok");
	sbgw_config_free(cfg);
}

static void secret_value_file_missing_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value_file = \"nope.txt\"; allow_hosts = [ \"a.com\" ];",
			  "sandboxes.[0].secrets.[0].value_file: cannot read value_file "
			  "`nope.txt`: No such file or directory");
}

static void secret_value_file_too_long_is_rejected(void **state)
{
	char *big = malloc(SBGW_SECRET_VALUE_MAX + 2);

	(void)state;
	memset(big, 'x', SBGW_SECRET_VALUE_MAX + 1);
	big[SBGW_SECRET_VALUE_MAX + 1] = '\0';
	write_file("big.txt", big);
	free(big);
	secret_fails_with("value_file = \"big.txt\"; allow_hosts = [ \"a.com\" ];",
			  "sandboxes.[0].secrets.[0].value_file: value_file `big.txt` is longer "
			  "than 65536 bytes");
}

static void secret_value_with_inner_newline_is_rejected(void **state)
{
	(void)state;
	write_file("two.txt", "line1\nline2\n");
	secret_fails_with("value_file = \"two.txt\"; allow_hosts = [ \"a.com\" ];",
			  "sandboxes.[0].secrets.[0].value_file: the secret value must not contain "
			  "NUL, CR or LF");
}

static void secret_value_env_is_read(void **state)
{
	struct sbgw_config *cfg;

	(void)state;
	setenv("SBGW_TEST_SECRET", "from-env", 1);
	cfg = load_secret("value_env = \"SBGW_TEST_SECRET\"; allow_hosts = [ \"a.com\" ];");
	assert_string_equal(secret_of(cfg)->value, "from-env");
	sbgw_config_free(cfg);
	unsetenv("SBGW_TEST_SECRET");
}

static void secret_value_env_unset_is_rejected(void **state)
{
	(void)state;
	unsetenv("SBGW_TEST_UNSET");
	secret_fails_with("value_env = \"SBGW_TEST_UNSET\"; allow_hosts = [ \"a.com\" ];",
			  "sandboxes.[0].secrets.[0].value_env: environment variable "
			  "\"SBGW_TEST_UNSET\" is not set");
}

static void secret_without_value_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("allow_hosts = [ \"a.com\" ];",
			  "sandboxes.[0].secrets.[0]: exactly one of value, value_file or "
			  "value_env is required");
}

static void secret_two_value_sources_are_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; value_env = \"HOME\"; allow_hosts = [ \"a.com\" ];",
			  "sandboxes.[0].secrets.[0]: value, value_file and value_env are "
			  "exclusive; set exactly one");
}

/* ---- Entry fields ---- */

static void secret_env_var_empty_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("secrets = ( { env_var = \"\"; value = \"v\"; allow_hosts = [ "
				  "\"a.com\" ]; } );",
				  "sandboxes.[0].secrets.[0].env_var: secret #0: env_var must not be "
				  "empty");
}

static void secret_env_var_with_equals_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("secrets = ( { env_var = \"A=B\"; value = \"v\"; allow_hosts = [ "
				  "\"a.com\" ]; } );",
				  "sandboxes.[0].secrets.[0].env_var: secret #0: env_var must not "
				  "contain `=`");
}

static void secret_env_var_is_required(void **state)
{
	(void)state;
	assert_sandbox_fails_with("secrets = ( { value = \"v\"; allow_hosts = [ \"a.com\" ]; } );",
				  "sandboxes.[0].secrets.[0].env_var: required setting is missing");
}

static void secret_env_var_twice_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with(
		"secrets = ( { env_var = \"K\"; value = \"a\"; allow_hosts = [ \"a.com\" ]; }, { "
		"env_var = \"K\"; value = \"b\"; allow_hosts = [ \"b.com\" ]; } );",
		"sandboxes.[0].secrets.[1].env_var: env_var \"K\" is already used by secret #0");
}

static void secret_without_hosts_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\";",
			  "sandboxes.[0].secrets.[0]: secret #0 requires at least one allowed host "
			  "or allowed host pattern (allow_hosts or allow_host_patterns)");
}

static void secret_with_empty_host_lists_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; allow_hosts = [ ]; allow_host_patterns = [ ];",
			  "sandboxes.[0].secrets.[0]: secret #0 requires at least one allowed host "
			  "or allowed host pattern (allow_hosts or allow_host_patterns)");
}

static void secret_patterns_are_canonical(void **state)
{
	struct sbgw_config *cfg = load_secret(
		"value = \"v\"; allow_host_patterns = [ \"*.Example.COM\", \"exact.example.org\" ];");
	const struct sbgw_secret *s = secret_of(cfg);

	(void)state;
	assert_int_equal(s->allow_host_patterns.n, 2);
	assert_string_equal(s->allow_host_patterns.v[0], "*.example.com");
	assert_string_equal(s->allow_host_patterns.v[1], "exact.example.org");
	sbgw_config_free(cfg);
}

static void secret_pattern_in_allow_hosts_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; allow_hosts = [ \"*.example.com\" ];",
			  "sandboxes.[0].secrets.[0].allow_hosts.[0]: \"*.example.com\" is a "
			  "pattern; list it in allow_host_patterns");
}

static void secret_invalid_host_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; allow_hosts = [ \"api.example.com:443\" ];",
			  "sandboxes.[0].secrets.[0].allow_hosts.[0]: invalid host "
			  "\"api.example.com:443\": domain name contains ':'; write the name "
			  "without a URL scheme or port");
}

static void secret_placeholder_is_kept(void **state)
{
	struct sbgw_config *cfg =
		load_secret("value = \"v\"; placeholder = \"{{KEY}}\"; allow_hosts = [ \"a.com\" ];");

	(void)state;
	assert_string_equal(secret_of(cfg)->placeholder, "{{KEY}}");
	sbgw_config_free(cfg);
}

static void secret_placeholder_with_newline_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; placeholder = \"a\\nb\"; allow_hosts = [ \"a.com\" ];",
			  "sandboxes.[0].secrets.[0].placeholder: placeholder must not contain CR "
			  "or LF");
}

static void secret_placeholder_empty_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; placeholder = \"\"; allow_hosts = [ \"a.com\" ];",
			  "sandboxes.[0].secrets.[0].placeholder: placeholder must not be empty");
}

static void secret_placeholder_1025_bytes_is_rejected(void **state)
{
	char fields[2048];

	(void)state;
	snprintf(fields, sizeof(fields),
		 "value = \"v\"; placeholder = \"%01025d\"; allow_hosts = [ \"a.com\" ];", 0);
	secret_fails_with(fields, "sandboxes.[0].secrets.[0].placeholder: placeholder must be at "
				  "most 1024 bytes, got 1025");
}

static void secret_default_placeholder_too_long_is_rejected(void **state)
{
	char body[2048];

	(void)state;
	snprintf(body, sizeof(body),
		 "secrets = ( { env_var = \"%01020d\"; value = \"v\"; allow_hosts = [ \"a.com\" ]; } );",
		 0);
	assert_sandbox_fails_with(body, "sandboxes.[0].secrets.[0]: placeholder must be at most "
					"1024 bytes, got 1025");
}

static void secret_injection_and_require_tls(void **state)
{
	struct sbgw_config *cfg = load_secret(
		"value = \"v\"; allow_hosts = [ \"a.com\" ]; require_tls = false; injection = { headers "
		"= false; basic_auth = false; query_params = true; body = true; };");
	const struct sbgw_secret *s = secret_of(cfg);

	(void)state;
	assert_false(s->require_tls);
	assert_false(s->injection.headers);
	assert_false(s->injection.basic_auth);
	assert_true(s->injection.query_params);
	assert_true(s->injection.body);
	sbgw_config_free(cfg);
}

static void secret_injection_unknown_key_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; allow_hosts = [ \"a.com\" ]; injection = { header = true; };",
			  "sandboxes.[0].secrets.[0].injection.header: unknown setting (did you "
			  "mean \"headers\"?)");
}

/* ---- Violation actions ---- */

static void violation_underscore_string(void **state)
{
	struct sbgw_config *cfg = load_secret(
		"value = \"v\"; allow_hosts = [ \"a.com\" ]; on_violation = \"block_and_terminate\";");

	(void)state;
	assert_true(secret_of(cfg)->has_on_violation);
	assert_int_equal(secret_of(cfg)->on_violation.action, SBGW_VIOLATION_BLOCK_AND_TERMINATE);
	sbgw_config_free(cfg);
}

static void violation_block_string(void **state)
{
	struct sbgw_config *cfg =
		load_secret("value = \"v\"; allow_hosts = [ \"a.com\" ]; on_violation = \"block\";");

	(void)state;
	assert_int_equal(secret_of(cfg)->on_violation.action, SBGW_VIOLATION_BLOCK);
	sbgw_config_free(cfg);
}

static void violation_bare_passthrough_is_all_hosts(void **state)
{
	struct sbgw_config *cfg = load_secret(
		"value = \"v\"; allow_hosts = [ \"a.com\" ]; on_violation = \"passthrough\";");

	(void)state;
	assert_int_equal(secret_of(cfg)->on_violation.action, SBGW_VIOLATION_PASSTHROUGH);
	assert_true(secret_of(cfg)->on_violation.all_hosts);
	sbgw_config_free(cfg);
}

static void violation_group_without_passthrough_is_fallback(void **state)
{
	struct sbgw_config *cfg = load_secret("value = \"v\"; allow_hosts = [ \"a.com\" ]; "
					      "on_violation = { fallback = \"block\"; };");

	(void)state;
	assert_int_equal(secret_of(cfg)->on_violation.action, SBGW_VIOLATION_BLOCK);
	sbgw_config_free(cfg);
}

static void violation_group_passthrough_patterns(void **state)
{
	struct sbgw_config *cfg = load_secret(
		"value = \"v\"; allow_hosts = [ \"a.com\" ]; on_violation = { "
		"passthrough_host_patterns = [ \"*.Example.com\" ]; };");
	const struct sbgw_violation *v = &secret_of(cfg)->on_violation;

	(void)state;
	assert_int_equal(v->action, SBGW_VIOLATION_PASSTHROUGH);
	assert_int_equal(v->patterns.n, 1);
	assert_string_equal(v->patterns.v[0], "*.example.com");
	sbgw_config_free(cfg);
}

static void violation_group_all_hosts(void **state)
{
	struct sbgw_config *cfg = load_secret("value = \"v\"; allow_hosts = [ \"a.com\" ]; "
					      "on_violation = { passthrough_all_hosts = true; };");

	(void)state;
	assert_int_equal(secret_of(cfg)->on_violation.action, SBGW_VIOLATION_PASSTHROUGH);
	assert_true(secret_of(cfg)->on_violation.all_hosts);
	sbgw_config_free(cfg);
}

static void violation_passthrough_fallback_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; allow_hosts = [ \"a.com\" ]; on_violation = { fallback = "
			  "\"passthrough\"; };",
			  "sandboxes.[0].secrets.[0].on_violation.fallback: passthrough fallback "
			  "must be a blocking action");
}

static void violation_fallback_with_passthrough_hosts_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; allow_hosts = [ \"a.com\" ]; on_violation = { fallback = "
			  "\"block\"; passthrough_hosts = [ \"b.com\" ]; };",
			  "sandboxes.[0].secrets.[0].on_violation.fallback: fallback has no effect "
			  "together with passthrough hosts (hosts outside them get "
			  "on_secret_violation); remove it");
}

static void violation_default_fallback_with_passthrough_is_accepted(void **state)
{
	struct sbgw_config *cfg = load_secret(
		"value = \"v\"; allow_hosts = [ \"a.com\" ]; on_violation = { fallback = "
		"\"block-and-log\"; passthrough_hosts = [ \"b.com\" ]; };");

	(void)state;
	assert_int_equal(secret_of(cfg)->on_violation.action, SBGW_VIOLATION_PASSTHROUGH);
	sbgw_config_free(cfg);
}

static void violation_unknown_fallback_is_rejected(void **state)
{
	(void)state;
	secret_fails_with("value = \"v\"; allow_hosts = [ \"a.com\" ]; on_violation = { fallback = "
			  "\"drop\"; };",
			  "sandboxes.[0].secrets.[0].on_violation.fallback: unknown violation "
			  "action: drop");
}

/* ---- Secrecy ---- */

static void secret_value_never_in_errors(void **state)
{
	struct sbgw_config *cfg;
	char *err = NULL;

	(void)state;
	/* Every problem a secret entry can have, next to its value. */
	cfg = load_sandbox("secrets = ( { env_var = \"A=B\"; value = \"" SECRET "\"; value_env = "
			   "\"X\"; placeholder = \"a\\nb\"; bogus = 1; on_violation = \"x\"; }, { "
			   "env_var = \"C\"; value = 5; }, { env_var = \"D\"; value = \"" SECRET
			   "\\n\"; allow_hosts = [ \"a.com\" ]; } );",
			   &err);
	assert_null(cfg);
	assert_true(strlen(err) > 0);
	assert_null(strstr(err, SECRET));
	assert_null(strstr(err, "s3cr3t"));
	free(err);
}

static void secret_value_file_content_never_in_errors(void **state)
{
	char *err = NULL;

	(void)state;
	write_file("bad.txt", SECRET "\r\nmore\n");
	assert_null(load_sandbox("secrets = ( { env_var = \"K\"; value_file = \"bad.txt\"; "
				 "allow_hosts = [ \"a.com\" ]; } );",
				 &err));
	assert_non_null(strstr(err, "must not contain NUL, CR or LF"));
	assert_null(strstr(err, "s3cr3t"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(secret_inline_value_and_defaults),
		cmocka_unit_test(secret_value_file_strips_trailing_newline),
		cmocka_unit_test(secret_value_file_strips_only_one_newline),
		cmocka_unit_test(secret_value_file_strips_crlf),
		cmocka_unit_test(secret_value_file_without_newline_is_kept),
		cmocka_unit_test(secret_value_file_missing_is_rejected),
		cmocka_unit_test(secret_value_file_too_long_is_rejected),
		cmocka_unit_test(secret_value_with_inner_newline_is_rejected),
		cmocka_unit_test(secret_value_env_is_read),
		cmocka_unit_test(secret_value_env_unset_is_rejected),
		cmocka_unit_test(secret_without_value_is_rejected),
		cmocka_unit_test(secret_two_value_sources_are_rejected),
		cmocka_unit_test(secret_env_var_empty_is_rejected),
		cmocka_unit_test(secret_env_var_with_equals_is_rejected),
		cmocka_unit_test(secret_env_var_is_required),
		cmocka_unit_test(secret_env_var_twice_is_rejected),
		cmocka_unit_test(secret_without_hosts_is_rejected),
		cmocka_unit_test(secret_with_empty_host_lists_is_rejected),
		cmocka_unit_test(secret_patterns_are_canonical),
		cmocka_unit_test(secret_pattern_in_allow_hosts_is_rejected),
		cmocka_unit_test(secret_invalid_host_is_rejected),
		cmocka_unit_test(secret_placeholder_is_kept),
		cmocka_unit_test(secret_placeholder_with_newline_is_rejected),
		cmocka_unit_test(secret_placeholder_empty_is_rejected),
		cmocka_unit_test(secret_placeholder_1025_bytes_is_rejected),
		cmocka_unit_test(secret_default_placeholder_too_long_is_rejected),
		cmocka_unit_test(secret_injection_and_require_tls),
		cmocka_unit_test(secret_injection_unknown_key_is_rejected),
		cmocka_unit_test(violation_underscore_string),
		cmocka_unit_test(violation_block_string),
		cmocka_unit_test(violation_bare_passthrough_is_all_hosts),
		cmocka_unit_test(violation_group_without_passthrough_is_fallback),
		cmocka_unit_test(violation_group_passthrough_patterns),
		cmocka_unit_test(violation_group_all_hosts),
		cmocka_unit_test(violation_passthrough_fallback_is_rejected),
		cmocka_unit_test(violation_fallback_with_passthrough_hosts_is_rejected),
		cmocka_unit_test(violation_default_fallback_with_passthrough_is_accepted),
		cmocka_unit_test(violation_unknown_fallback_is_rejected),
		cmocka_unit_test(secret_value_never_in_errors),
		cmocka_unit_test(secret_value_file_content_never_in_errors),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
