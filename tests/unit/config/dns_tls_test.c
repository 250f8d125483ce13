/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/config/dns_tls.c and pem.c: DnsConfig (nameserver forms of
 * semantics §1.9, Q19) and TlsConfig (presence, ports with Q16, bypass
 * patterns, the CA pair and its files).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static const struct sbgw_network *net_of(const struct sbgw_config *cfg)
{
	return &cfg->sandboxes[0].net;
}

/* The one nameserver text parses into. */
static struct sbgw_nameserver parse_ns(const char *text)
{
	char body[512];
	struct sbgw_config *cfg;
	struct sbgw_nameserver ns;

	snprintf(body, sizeof(body), "network = { dns = { nameservers = [ \"%s\" ]; }; };", text);
	cfg = must_load_sandbox(body);
	assert_int_equal(net_of(cfg)->dns.nameservers.n, 1);
	ns = net_of(cfg)->dns.nameservers.v[0];
	sbgw_config_free(cfg);
	return ns;
}

static void ns_rejected(const char *text)
{
	char body[512], want[512];

	snprintf(body, sizeof(body), "network = { dns = { nameservers = [ \"%s\" ]; }; };", text);
	snprintf(want, sizeof(want),
		 "sandboxes.[0].network.dns.nameservers.[0]: invalid nameserver \"%s\"; expected "
		 "IP, IP:PORT, HOST, or HOST:PORT",
		 text);
	assert_sandbox_fails_with(body, want);
}

/* ---- DnsConfig ---- */

static void dns_group_sets_every_field(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { dns = { rebind_protection = false; query_timeout_ms = 1000; nameservers "
		"= [ \"1.1.1.1\", \"1.0.0.1:53\" ]; }; };");
	const struct sbgw_dns_config *dns = &net_of(cfg)->dns;

	(void)state;
	assert_false(dns->rebind_protection);
	assert_int_equal(dns->query_timeout_ms, 1000);
	assert_int_equal(dns->nameservers.n, 2);
	sbgw_config_free(cfg);
}

static void dns_query_timeout_zero_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { dns = { query_timeout_ms = 0; }; };",
				  "sandboxes.[0].network.dns.query_timeout_ms: query_timeout_ms must "
				  "be at least 1, got 0");
}

static void dns_query_timeout_above_an_hour_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { dns = { query_timeout_ms = 3600001; }; };",
				  "sandboxes.[0].network.dns.query_timeout_ms: query_timeout_ms "
				  "3600001 exceeds 3600000 (one hour)");
}

static void dns_unknown_key_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { dns = { nameserver = [ \"1.1.1.1\" ]; }; };",
				  "sandboxes.[0].network.dns.nameserver: unknown setting (did you "
				  "mean \"nameservers\"?)");
}

static void ns_ipv4_gets_port_53(void **state)
{
	struct sbgw_nameserver ns = parse_ns("1.1.1.1");

	(void)state;
	assert_true(ns.is_ip);
	assert_int_equal(ns.addr.family, AF_INET);
	assert_int_equal(ns.port, 53);
	assert_string_equal(ns.host, "1.1.1.1");
}

static void ns_ipv4_with_port(void **state)
{
	struct sbgw_nameserver ns = parse_ns("1.0.0.1:5353");

	(void)state;
	assert_true(ns.is_ip);
	assert_int_equal(ns.port, 5353);
}

static void ns_bare_ipv6_gets_port_53(void **state)
{
	struct sbgw_nameserver ns = parse_ns("2606:4700::1111");

	(void)state;
	assert_true(ns.is_ip);
	assert_int_equal(ns.addr.family, AF_INET6);
	assert_int_equal(ns.port, 53);
}

static void ns_bracketed_ipv6_with_port(void **state)
{
	struct sbgw_nameserver ns = parse_ns("[2606:4700::1111]:853");

	(void)state;
	assert_int_equal(ns.addr.family, AF_INET6);
	assert_int_equal(ns.port, 853);
	assert_string_equal(ns.host, "2606:4700::1111");
}

static void ns_host_is_kept_unresolved(void **state)
{
	struct sbgw_nameserver ns = parse_ns("DNS.Google");

	(void)state;
	assert_false(ns.is_ip);
	assert_string_equal(ns.host, "dns.google");
	assert_int_equal(ns.port, 53);
}

static void ns_host_with_port(void **state)
{
	struct sbgw_nameserver ns = parse_ns("dns.google:53");

	(void)state;
	assert_false(ns.is_ip);
	assert_int_equal(ns.port, 53);
}

static void ns_bad_port_is_rejected(void **state)
{
	(void)state;
	ns_rejected("1.1.1.1:abc");
}

static void ns_ipv6_with_junk_is_rejected(void **state)
{
	(void)state;
	ns_rejected("2606:4700::1111:53x");
}

static void ns_port_zero_is_rejected(void **state)
{
	(void)state;
	ns_rejected("1.1.1.1:0");
}

static void ns_port_too_large_is_rejected(void **state)
{
	(void)state;
	ns_rejected("dns.google:65536");
}

static void ns_empty_is_rejected(void **state)
{
	(void)state;
	ns_rejected("");
}

static void ns_whitespace_is_rejected(void **state)
{
	(void)state;
	ns_rejected("dns google");
}

static void ns_bracketed_ipv4_is_rejected(void **state)
{
	(void)state;
	ns_rejected("[1.1.1.1]:53");
}

static void ns_url_is_rejected(void **state)
{
	(void)state;
	ns_rejected("https://dns.google");
}

/* ---- TlsConfig ---- */

static void tls_empty_group_turns_interception_on(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { tls = { }; };");
	const struct sbgw_tls_config *tls = &net_of(cfg)->tls;

	(void)state;
	assert_true(tls->enabled);
	assert_true(tls->verify_upstream);
	assert_false(tls->block_quic);
	assert_int_equal(tls->n_intercepted_ports, 1);
	assert_int_equal(tls->intercepted_ports[0], 443);
	assert_int_equal(tls->bypass.n, 0);
	assert_null(tls->ca_cert);
	assert_null(tls->ca_cn);
	sbgw_config_free(cfg);
}

static void tls_fields_are_parsed(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { tls = { verify_upstream = false; block_quic = true; intercepted_ports = [ "
		"443, 8443 ]; ca_cn = \"Acme Test CA\"; }; };");
	const struct sbgw_tls_config *tls = &net_of(cfg)->tls;

	(void)state;
	assert_false(tls->verify_upstream);
	assert_true(tls->block_quic);
	assert_int_equal(tls->n_intercepted_ports, 2);
	assert_int_equal(tls->intercepted_ports[1], 8443);
	assert_string_equal(tls->ca_cn, "Acme Test CA");
	sbgw_config_free(cfg);
}

static void tls_bypass_is_canonical(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox(
		"network = { tls = { bypass = [ \"Pinned-API.Example.com.\", \"*.GOV\" ]; }; };");
	const struct sbgw_strlist *b = &net_of(cfg)->tls.bypass;

	(void)state;
	assert_int_equal(b->n, 2);
	assert_string_equal(b->v[0], "pinned-api.example.com");
	assert_string_equal(b->v[1], "*.gov");
	sbgw_config_free(cfg);
}

static void tls_bypass_leading_dot_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { bypass = [ \".example.com\" ]; }; };",
				  "sandboxes.[0].network.tls.bypass.[0]: invalid bypass pattern "
				  "\".example.com\": a pattern cannot start with \".\"; write "
				  "\"*.example.com\" for a domain and its subdomains");
}

static void tls_bypass_inner_wildcard_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { bypass = [ \"a.*.com\" ]; }; };",
				  "sandboxes.[0].network.tls.bypass.[0]: invalid bypass pattern "
				  "\"a.*.com\": a \"*\" label never matches; write a suffix as "
				  "\".example.com\"");
}

static void tls_intercepted_port_53_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { intercepted_ports = [ 53 ]; }; };",
				  "sandboxes.[0].network.tls.intercepted_ports.[0]: port 53 cannot be "
				  "intercepted: it carries DNS, which the DNS interceptor handles");
}

static void tls_intercepted_port_853_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { intercepted_ports = [ 443, 853 ]; }; };",
				  "sandboxes.[0].network.tls.intercepted_ports.[1]: port 853 cannot "
				  "be intercepted: it carries DNS over TLS, which the DNS interceptor "
				  "handles");
}

static void tls_intercepted_port_zero_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { intercepted_ports = [ 0 ]; }; };",
				  "sandboxes.[0].network.tls.intercepted_ports.[0]: port must be in "
				  "1..65535, got 0");
}

static void tls_intercepted_port_twice_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { intercepted_ports = [ 443, 443 ]; }; };",
				  "sandboxes.[0].network.tls.intercepted_ports.[1]: port 443 is "
				  "listed twice");
}

static void tls_intercepted_ports_empty_is_accepted(void **state)
{
	struct sbgw_config *cfg = must_load_sandbox("network = { tls = { intercepted_ports = [ ]; }; };");

	(void)state;
	assert_true(net_of(cfg)->tls.enabled);
	assert_int_equal(net_of(cfg)->tls.n_intercepted_ports, 0);
	sbgw_config_free(cfg);
}

static void tls_ca_cert_without_key_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { ca_cert = \"ca.pem\"; }; };",
				  "sandboxes.[0].network.tls: ca_cert is set but ca_key is missing");
}

static void tls_ca_key_without_cert_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { ca_key = \"ca.key\"; }; };",
				  "sandboxes.[0].network.tls: ca_key is set but ca_cert is missing");
}

static void tls_ca_pair_loads(void **state)
{
	struct sbgw_config *cfg;

	(void)state;
	write_ca_pair("ca.pem", "ca.key", true, true);
	cfg = must_load_sandbox("network = { tls = { ca_cert = \"ca.pem\"; ca_key = \"ca.key\"; }; };");
	assert_string_equal(net_of(cfg)->tls.ca_cert, "ca.pem");
	assert_string_equal(net_of(cfg)->tls.ca_key, "ca.key");
	sbgw_config_free(cfg);
}

static void tls_ca_cert_unreadable_is_rejected(void **state)
{
	(void)state;
	write_ca_pair("only.pem", "only.key", true, true);
	assert_sandbox_fails_with(
		"network = { tls = { ca_cert = \"missing.pem\"; ca_key = \"only.key\"; }; };",
		"sandboxes.[0].network.tls.ca_cert: failed to read intercept CA certificate "
		"`missing.pem`: No such file or directory");
}

static void tls_ca_key_unreadable_is_rejected(void **state)
{
	(void)state;
	write_ca_pair("only2.pem", "only2.key", true, true);
	assert_sandbox_fails_with(
		"network = { tls = { ca_cert = \"only2.pem\"; ca_key = \"missing.key\"; }; };",
		"sandboxes.[0].network.tls.ca_key: failed to read intercept CA key `missing.key`: No "
		"such file or directory");
}

static void tls_ca_pair_mismatch_is_rejected(void **state)
{
	(void)state;
	write_ca_pair("mis.pem", "mis.key", true, false);
	assert_sandbox_fails_with("network = { tls = { ca_cert = \"mis.pem\"; ca_key = \"mis.key\"; }; };",
				  "sandboxes.[0].network.tls: failed to load intercept CA `mis.pem` / "
				  "`mis.key`: the key does not match the certificate");
}

static void tls_ca_not_a_ca_is_rejected(void **state)
{
	(void)state;
	write_ca_pair("leaf.pem", "leaf.key", false, true);
	assert_sandbox_fails_with(
		"network = { tls = { ca_cert = \"leaf.pem\"; ca_key = \"leaf.key\"; }; };",
		"sandboxes.[0].network.tls.ca_cert: failed to load intercept CA `leaf.pem` / "
		"`leaf.key`: the certificate is not a CA certificate");
}

static void tls_ca_cert_not_pem_is_rejected(void **state)
{
	char *err = NULL;
	struct sbgw_config *cfg;

	(void)state;
	write_ca_pair("np.pem", "np.key", true, true);
	write_file("garbage.pem", "not a certificate\n");
	cfg = load_sandbox("network = { tls = { ca_cert = \"garbage.pem\"; ca_key = \"np.key\"; }; };",
			   &err);
	assert_null(cfg);
	assert_non_null(strstr(err, "t.conf:3: sandboxes.[0].network.tls.ca_cert: failed to load "
				    "intercept CA `garbage.pem` / `np.key`: "));
	free(err);
}

static void tls_ca_key_swapped_is_rejected(void **state)
{
	char *err = NULL;

	(void)state;
	write_ca_pair("sw.pem", "sw.key", true, true);
	assert_null(load_sandbox("network = { tls = { ca_cert = \"sw.pem\"; ca_key = \"sw.pem\"; }; };",
				 &err));
	assert_non_null(strstr(err, "sandboxes.[0].network.tls.ca_key: failed to load intercept "
				    "CA `sw.pem` / `sw.pem`: "));
	free(err);
}

static void tls_ca_paths_are_relative_to_the_config_file(void **state)
{
	struct sbgw_config *cfg;
	char *err = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir("conf", 0700), 0);
	write_ca_pair("conf/ca.pem", "conf/ca.key", true, true);
	write_file("conf/main.conf",
		   GW_TEXT "sandboxes = ( { name = \"sb\"; port = \"p\"; network = { tls = { "
			   "ca_cert = \"ca.pem\"; ca_key = \"ca.key\"; }; }; } );\n");
	f = open_memstream(&err, &len);
	cfg = sbgw_config_load("conf/main.conf", f);
	fclose(f);
	assert_string_equal(err, "");
	assert_non_null(cfg);
	assert_string_equal(net_of(cfg)->tls.ca_cert, "conf/ca.pem");
	sbgw_config_free(cfg);
	free(err);
}

static void tls_ca_cn_with_slash_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { ca_cn = \"a/b\"; }; };",
				  "sandboxes.[0].network.tls.ca_cn: ca_cn must not contain \"/\" or "
				  "control characters (it names a directory under state_dir)");
}

static void tls_ca_cn_empty_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { ca_cn = \"\"; }; };",
				  "sandboxes.[0].network.tls.ca_cn: ca_cn must not be empty");
}

static void tls_ca_cn_dotdot_is_rejected(void **state)
{
	(void)state;
	assert_sandbox_fails_with("network = { tls = { ca_cn = \"..\"; }; };",
				  "sandboxes.[0].network.tls.ca_cn: ca_cn must not be \".\" or \"..\"");
}

static void tls_ca_cn_too_long_is_rejected(void **state)
{
	char body[256];

	(void)state;
	snprintf(body, sizeof(body), "network = { tls = { ca_cn = \"%065d\"; }; };", 0);
	assert_sandbox_fails_with(body, "sandboxes.[0].network.tls.ca_cn: ca_cn is longer than 64 "
					"bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dns_group_sets_every_field),
		cmocka_unit_test(dns_query_timeout_zero_is_rejected),
		cmocka_unit_test(dns_query_timeout_above_an_hour_is_rejected),
		cmocka_unit_test(dns_unknown_key_is_rejected),
		cmocka_unit_test(ns_ipv4_gets_port_53),
		cmocka_unit_test(ns_ipv4_with_port),
		cmocka_unit_test(ns_bare_ipv6_gets_port_53),
		cmocka_unit_test(ns_bracketed_ipv6_with_port),
		cmocka_unit_test(ns_host_is_kept_unresolved),
		cmocka_unit_test(ns_host_with_port),
		cmocka_unit_test(ns_bad_port_is_rejected),
		cmocka_unit_test(ns_ipv6_with_junk_is_rejected),
		cmocka_unit_test(ns_port_zero_is_rejected),
		cmocka_unit_test(ns_port_too_large_is_rejected),
		cmocka_unit_test(ns_empty_is_rejected),
		cmocka_unit_test(ns_whitespace_is_rejected),
		cmocka_unit_test(ns_bracketed_ipv4_is_rejected),
		cmocka_unit_test(ns_url_is_rejected),
		cmocka_unit_test(tls_empty_group_turns_interception_on),
		cmocka_unit_test(tls_fields_are_parsed),
		cmocka_unit_test(tls_bypass_is_canonical),
		cmocka_unit_test(tls_bypass_leading_dot_is_rejected),
		cmocka_unit_test(tls_bypass_inner_wildcard_is_rejected),
		cmocka_unit_test(tls_intercepted_port_53_is_rejected),
		cmocka_unit_test(tls_intercepted_port_853_is_rejected),
		cmocka_unit_test(tls_intercepted_port_zero_is_rejected),
		cmocka_unit_test(tls_intercepted_port_twice_is_rejected),
		cmocka_unit_test(tls_intercepted_ports_empty_is_accepted),
		cmocka_unit_test(tls_ca_cert_without_key_is_rejected),
		cmocka_unit_test(tls_ca_key_without_cert_is_rejected),
		cmocka_unit_test(tls_ca_pair_loads),
		cmocka_unit_test(tls_ca_cert_unreadable_is_rejected),
		cmocka_unit_test(tls_ca_key_unreadable_is_rejected),
		cmocka_unit_test(tls_ca_pair_mismatch_is_rejected),
		cmocka_unit_test(tls_ca_not_a_ca_is_rejected),
		cmocka_unit_test(tls_ca_cert_not_pem_is_rejected),
		cmocka_unit_test(tls_ca_key_swapped_is_rejected),
		cmocka_unit_test(tls_ca_paths_are_relative_to_the_config_file),
		cmocka_unit_test(tls_ca_cn_with_slash_is_rejected),
		cmocka_unit_test(tls_ca_cn_empty_is_rejected),
		cmocka_unit_test(tls_ca_cn_dotdot_is_rejected),
		cmocka_unit_test(tls_ca_cn_too_long_is_rejected),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
