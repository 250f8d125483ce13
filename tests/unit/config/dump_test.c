/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/dump.c: the normalised configuration as text, and no secret
 * value in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define SECRET "dump-secret-9f8e7d"

static char *dump_of(const char *body)
{
	struct sbgw_config *cfg = must_load_sandbox(body);
	char *out = dump_text(cfg);

	sbgw_config_free(cfg);
	return out;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		print_error("\"%s\" not in:\n%s\n", needle, haystack);
	assert_non_null(strstr(haystack, needle));
}

static void dump_names_gateway_settings(void **state)
{
	char *out = dump_of("");

	(void)state;
	assert_contains(out, "configuration \"t.conf\"\n");
	assert_contains(out, "  uplink: device \"up0\" address 198.51.100.2/24 next_hop "
			     "198.51.100.1\n");
	assert_contains(out, "  control socket: \"/run/sbgw/control.sock\"\n");
	assert_contains(out, "  flows: 1048576\n");
	free(out);
}

static void dump_shows_link_addresses_and_macs(void **state)
{
	char *out = dump_of("");

	(void)state;
	assert_contains(out, "sandbox \"sb\" (line 3):\n");
	assert_contains(out, "gateway mac 02:6d:73:00:00:01, guest mac 02:6d:73:00:00:02");
	assert_contains(out, "ipv4 slot 0: 172.16.0.0/30 gateway 172.16.0.1 guest 172.16.0.2\n");
	assert_contains(out, "ipv6 slot 0: fd42:6d73:62::/64 gateway fd42:6d73:62::1 guest "
			     "fd42:6d73:62::2\n");
	free(out);
}

static void dump_shows_policy_rules(void **state)
{
	char *out = dump_of("network = { deny_domains = [ \"bad.example\" ]; };");

	(void)state;
	assert_contains(out, "  policy: preset public_only\n");
	assert_contains(out, "bad.example");
	free(out);
}

static void dump_shows_ports_dns_and_tls(void **state)
{
	char *out = dump_of("network = { ports = ( [ 8080, 80 ] ); dns = { nameservers = [ "
			    "\"[2001:db8::53]:5353\" ]; }; tls = { bypass = [ \"*.gov\" ]; }; };");

	(void)state;
	assert_contains(out, "  ports: 127.0.0.1:8080/tcp->80\n");
	assert_contains(out, "nameservers [2001:db8::53]:5353\n");
	assert_contains(out, "  tls: on, intercepted ports 443, verify_upstream yes, block_quic no\n");
	assert_contains(out, "    bypass \"*.gov\"\n");
	free(out);
}

static void dump_redacts_secret_value(void **state)
{
	char *out = dump_of("secrets = ( { env_var = \"API_KEY\"; value = \"" SECRET
			    "\"; allow_hosts = [ \"api.example.com\" ]; } );");

	(void)state;
	assert_contains(out, "API_KEY (line 3): value <redacted, 18 bytes>, placeholder "
			     "\"$MSB_API_KEY\"\n");
	assert_null(strstr(out, SECRET));
	free(out);
}

static void dump_redacts_secret_read_from_file(void **state)
{
	char *out;

	(void)state;
	write_file("v.txt", SECRET "\n");
	out = dump_of("secrets = ( { env_var = \"K\"; value_file = \"v.txt\"; allow_hosts = [ "
		      "\"a.com\" ]; } );");
	assert_contains(out, "value <redacted, 18 bytes>");
	assert_null(strstr(out, SECRET));
	free(out);
}

static void dump_shows_none_sandbox_without_link(void **state)
{
	struct sbgw_config *cfg = must_load(GW_TEXT "sandboxes = ( { name = \"off\"; network = { "
						    "policy = \"none\"; }; } );\n");
	char *out = dump_text(cfg);

	(void)state;
	assert_contains(out, "  link: (none: policy \"none\" attaches no NIC)\n");
	assert_contains(out, "  port: (none)\n");
	free(out);
	sbgw_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dump_names_gateway_settings),
		cmocka_unit_test(dump_shows_link_addresses_and_macs),
		cmocka_unit_test(dump_shows_policy_rules),
		cmocka_unit_test(dump_shows_ports_dns_and_tls),
		cmocka_unit_test(dump_redacts_secret_value),
		cmocka_unit_test(dump_redacts_secret_read_from_file),
		cmocka_unit_test(dump_shows_none_sandbox_without_link),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
