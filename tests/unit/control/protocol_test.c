/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/control/protocol.c: parsing control requests (one JSON object per
 * line) and formatting them the way sbgwctl sends them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol.h"

static char err[512];

static int parse(const char *line, struct sbgw_ctl_request *req)
{
	err[0] = '\0';
	return sbgw_ctl_parse_request(line, strlen(line), req, err, sizeof(err));
}

static void expect_error(const char *line, const char *message)
{
	struct sbgw_ctl_request req;

	assert_int_equal(parse(line, &req), -EINVAL);
	if (strstr(err, message) == NULL)
		fail_msg("\"%s\": expected \"%s\" in \"%s\"", line, message, err);
	sbgw_ctl_request_clear(&req);
}

static void protocol_list_parses(void **state)
{
	struct sbgw_ctl_request req;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"list\"}\n", &req), 0);
	assert_int_equal(req.cmd, SBGW_CTL_LIST);
	assert_null(req.text);
	sbgw_ctl_request_clear(&req);
}

static void protocol_show_takes_its_name(void **state)
{
	struct sbgw_ctl_request req;

	(void)state;
	assert_int_equal(parse("{\"cmd\": \"show\", \"name\": \"api-1\"}", &req), 0);
	assert_int_equal(req.cmd, SBGW_CTL_SHOW);
	assert_string_equal(req.name, "api-1");
	sbgw_ctl_request_clear(&req);
}

static void protocol_policy_takes_text_and_origin(void **state)
{
	struct sbgw_ctl_request req;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"policy\",\"name\":\"a\",\"network\":\"policy = "
	                       "\\\"allow_all\\\";\\n\",\"origin\":\"a.net\"}",
	                       &req),
	                 0);
	assert_int_equal(req.cmd, SBGW_CTL_POLICY);
	assert_string_equal(req.text, "policy = \"allow_all\";\n");
	assert_string_equal(req.origin, "a.net");
	sbgw_ctl_request_clear(&req);
}

static void protocol_origin_defaults_to_dash(void **state)
{
	struct sbgw_ctl_request req;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"replace\",\"sandbox\":\"{ name = \\\"a\\\"; }\"}", &req),
	                 0);
	assert_int_equal(req.cmd, SBGW_CTL_REPLACE);
	assert_string_equal(req.origin, "-");
	sbgw_ctl_request_clear(&req);
}

static void protocol_not_json_is_rejected(void **state)
{
	(void)state;
	expect_error("list", "not JSON");
	expect_error("{\"cmd\":\"list\"", "not JSON");
}

static void protocol_empty_line_is_rejected(void **state)
{
	(void)state;
	expect_error("\n", "empty request");
}

static void protocol_non_object_is_rejected(void **state)
{
	(void)state;
	expect_error("[\"list\"]", "a request is a JSON object");
	expect_error("\"list\"", "a request is a JSON object");
}

static void protocol_missing_cmd_is_rejected(void **state)
{
	(void)state;
	expect_error("{\"name\":\"a\"}", "\"cmd\" is required");
}

static void protocol_cmd_must_be_a_string(void **state)
{
	(void)state;
	expect_error("{\"cmd\":1}", "\"cmd\" must be a string");
}

static void protocol_unknown_cmd_is_rejected(void **state)
{
	(void)state;
	expect_error("{\"cmd\":\"frobnicate\"}", "unknown command \"frobnicate\"");
}

static void protocol_unknown_key_is_rejected(void **state)
{
	(void)state;
	expect_error("{\"cmd\":\"show\",\"name\":\"a\",\"nmae\":\"b\"}", "unknown key \"nmae\"");
	/* A key another command takes is still unknown to this one. */
	expect_error("{\"cmd\":\"list\",\"name\":\"a\"}", "list: unknown key \"name\"");
}

static void protocol_missing_name_is_rejected(void **state)
{
	(void)state;
	expect_error("{\"cmd\":\"show\"}", "\"name\" is required");
	expect_error("{\"cmd\":\"remove\"}", "\"name\" is required");
}

static void protocol_name_must_be_a_string(void **state)
{
	(void)state;
	expect_error("{\"cmd\":\"show\",\"name\":7}", "\"name\" must be a string");
}

static void protocol_invalid_name_is_rejected(void **state)
{
	(void)state;
	expect_error("{\"cmd\":\"show\",\"name\":\"Upper\"}", "is not a sandbox name");
	expect_error("{\"cmd\":\"show\",\"name\":\"-lead\"}", "is not a sandbox name");
	expect_error("{\"cmd\":\"show\",\"name\":\"\"}", "is not a sandbox name");
	expect_error("{\"cmd\":\"show\",\"name\":\"a/../b\"}", "is not a sandbox name");
	expect_error("{\"cmd\":\"show\",\"name\":"
	             "\"a123456789012345678901234567890123456789012345678901234567890123\"}",
	             "is not a sandbox name");
}

static void protocol_missing_text_is_rejected(void **state)
{
	(void)state;
	expect_error("{\"cmd\":\"policy\",\"name\":\"a\"}", "\"network\" is required");
	expect_error("{\"cmd\":\"add\"}", "\"sandbox\" is required");
}

static void protocol_embedded_nul_is_rejected(void **state)
{
	struct sbgw_ctl_request req;
	const char line[] = "{\"cmd\":\"add\",\"sandbox\":\"a\\u0000b\"}";

	(void)state;
	/* jansson rejects \u0000 unless asked to allow it: either way, an error. */
	assert_int_equal(sbgw_ctl_parse_request(line, sizeof(line) - 1, &req, err, sizeof(err)),
	                 -EINVAL);
	sbgw_ctl_request_clear(&req);
}

static void protocol_duplicate_key_is_rejected(void **state)
{
	(void)state;
	expect_error("{\"cmd\":\"show\",\"name\":\"a\",\"name\":\"b\"}", "not JSON");
}

static void protocol_format_round_trips(void **state)
{
	struct sbgw_ctl_request req, back;
	char *line;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.cmd = SBGW_CTL_POLICY;
	strcpy(req.name, "web");
	req.text = strdup("policy = { rules = ( \"allow_dns\" ); };\n# \"quoted\" \\ text\n");
	req.origin = strdup("web.net");
	line = sbgw_ctl_format_request(&req);
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1); /* one line */
	assert_int_equal(parse(line, &back), 0);
	assert_int_equal(back.cmd, SBGW_CTL_POLICY);
	assert_string_equal(back.name, "web");
	assert_string_equal(back.text, req.text);
	assert_string_equal(back.origin, "web.net");
	free(line);
	sbgw_ctl_request_clear(&back);
	sbgw_ctl_request_clear(&req);
}

static void protocol_format_of_reload_has_only_cmd(void **state)
{
	struct sbgw_ctl_request req;
	char *line;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.cmd = SBGW_CTL_RELOAD;
	line = sbgw_ctl_format_request(&req);
	assert_string_equal(line, "{\"cmd\":\"reload\"}\n");
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(protocol_list_parses),
	        cmocka_unit_test(protocol_show_takes_its_name),
	        cmocka_unit_test(protocol_policy_takes_text_and_origin),
	        cmocka_unit_test(protocol_origin_defaults_to_dash),
	        cmocka_unit_test(protocol_not_json_is_rejected),
	        cmocka_unit_test(protocol_empty_line_is_rejected),
	        cmocka_unit_test(protocol_non_object_is_rejected),
	        cmocka_unit_test(protocol_missing_cmd_is_rejected),
	        cmocka_unit_test(protocol_cmd_must_be_a_string),
	        cmocka_unit_test(protocol_unknown_cmd_is_rejected),
	        cmocka_unit_test(protocol_unknown_key_is_rejected),
	        cmocka_unit_test(protocol_missing_name_is_rejected),
	        cmocka_unit_test(protocol_name_must_be_a_string),
	        cmocka_unit_test(protocol_invalid_name_is_rejected),
	        cmocka_unit_test(protocol_missing_text_is_rejected),
	        cmocka_unit_test(protocol_embedded_nul_is_rejected),
	        cmocka_unit_test(protocol_duplicate_key_is_rejected),
	        cmocka_unit_test(protocol_format_round_trips),
	        cmocka_unit_test(protocol_format_of_reload_has_only_cmd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
