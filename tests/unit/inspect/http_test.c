/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * First-flight parsing of HTTP/1.x request heads: requests captured from
 * curl (data/), and hand-written ones that probe the Host header, the
 * request-target forms and the framing (folding, bare LF, NULs, size).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "first_flight.h"
#include "fixture.h"

static enum sbgw_first_flight_kind parse_str(const char *text, struct sbgw_first_flight *ff)
{
	struct bytes b = bytes_of_str(text);
	enum sbgw_first_flight_kind kind = sbgw_first_flight_parse(b.data, b.len, ff);

	bytes_free(&b);
	return kind;
}

/* Parse text, expecting kind; on a mismatch say what came out instead. */
static void expect(const char *text, enum sbgw_first_flight_kind kind,
		   struct sbgw_first_flight *ff)
{
	if (parse_str(text, ff) != kind)
		fail_msg("\"%s\": %s (%s), expected %s", text, sbgw_first_flight_kind_name(ff->kind),
			 ff->reason ? ff->reason : "-", sbgw_first_flight_kind_name(kind));
}

/* ---- Real requests -------------------------------------------------------- */

static void curl_request_parsed(void **state)
{
	struct bytes b = fixture("curl_http.bin");
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(sbgw_first_flight_parse(b.data, b.len, &ff), SBGW_FIRST_FLIGHT_HTTP);
	assert_null(ff.reason);
	assert_string_equal(ff.name, "example.net"); /* Host: Example.NET:PORT */
	assert_false(ff.name_is_ip);
	assert_string_equal(ff.http.method, "GET");
	assert_int_equal(ff.http.version_minor, 1);
	assert_int_equal(ff.http.target_form, SBGW_HTTP_TARGET_ORIGIN);
	assert_true(ff.http.has_host);
	assert_int_equal(ff.length, b.len);
	bytes_free(&b);
}

static void curl_proxy_request_absolute_form(void **state)
{
	struct bytes b = fixture("curl_proxy_absolute.bin");
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(sbgw_first_flight_parse(b.data, b.len, &ff), SBGW_FIRST_FLIGHT_HTTP);
	assert_int_equal(ff.http.target_form, SBGW_HTTP_TARGET_ABSOLUTE);
	assert_string_equal(ff.http.target_host, "proxied.example");
	assert_string_equal(ff.name, "proxied.example");
	bytes_free(&b);
}

static void every_prefix_needs_more(void **state)
{
	static const char *const files[] = {"curl_http.bin", "curl_proxy_absolute.bin"};
	struct sbgw_first_flight ff;

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct bytes whole = fixture(files[f]);

		for (size_t n = 0; n < whole.len; n++) {
			struct bytes prefix = bytes_of(whole.data, n);

			if (sbgw_first_flight_parse(prefix.data, prefix.len, &ff) !=
			    SBGW_FIRST_FLIGHT_NEED_MORE)
				fail_msg("%s: %zu bytes gave %s (%s)", files[f], n,
					 sbgw_first_flight_kind_name(ff.kind), ff.reason);
			bytes_free(&prefix);
		}
		bytes_free(&whole);
	}
}

static void body_after_head_not_counted(void **state)
{
	static const char head[] = "POST /up HTTP/1.1\r\nHost: a.example\r\nContent-Length: 4\r\n\r\n";
	struct sbgw_first_flight ff;
	char text[256];

	(void)state;
	snprintf(text, sizeof(text), "%sbody", head);
	expect(text, SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_int_equal(ff.length, strlen(head));
	assert_string_equal(ff.http.method, "POST");
}

/* ---- Host ----------------------------------------------------------------- */

static void host_port_removed_and_lowercased(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	expect("GET / HTTP/1.1\r\nhOsT:   WWW.Example.com.:8443  \r\n\r\n", SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_string_equal(ff.name, "www.example.com");
}

static void host_ip_literals_flagged(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	expect("GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n", SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_string_equal(ff.name, "192.0.2.1");
	assert_true(ff.name_is_ip);
	expect("GET / HTTP/1.1\r\nHost: [2001:DB8::1]:8080\r\n\r\n", SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_string_equal(ff.name, "2001:db8::1");
	assert_true(ff.name_is_ip);
	expect("GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_string_equal(ff.name, "::1");
}

static void bad_hosts_malformed(void **state)
{
	static const char *const hosts[] = {
		"a..example",      "exa mple.com",    "example.com:",   "example.com:99999",
		"example.com:8x",  "[::1",            "[example.com]",  "[::1]x",
		"user@example.com", "caf\xc3\xa9.com", "a:b:c",         "[192.0.2.1]",
		"xn--caf-dma.com:1:2",
	};
	struct sbgw_first_flight ff;
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", hosts[i]);
		expect(text, SBGW_FIRST_FLIGHT_MALFORMED, &ff);
		assert_non_null(ff.reason);
		assert_string_equal(ff.name, "");
	}
}

static void host_label_over_63_malformed(void **state)
{
	struct sbgw_first_flight ff;
	char text[256], label[70];

	(void)state;
	memset(label, 'x', 64);
	label[64] = '\0';
	snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nHost: %s.com\r\n\r\n", label);
	expect(text, SBGW_FIRST_FLIGHT_MALFORMED, &ff);
	assert_string_equal(ff.reason, "host name has a label longer than 63 characters");
	label[63] = '\0';
	snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nHost: %s.com\r\n\r\n", label);
	expect(text, SBGW_FIRST_FLIGHT_HTTP, &ff);
}

static void host_with_nul_malformed(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: good.example\0.evil\r\n\r\n";
	struct bytes b = bytes_of(req, sizeof(req) - 1);
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(sbgw_first_flight_parse(b.data, b.len, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	assert_string_equal(ff.name, "");
	bytes_free(&b);
}

static void two_hosts_malformed(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	expect("GET / HTTP/1.1\r\nHost: a.example\r\nHOST: b.example\r\n\r\n",
	       SBGW_FIRST_FLIGHT_MALFORMED, &ff);
	assert_string_equal(ff.reason, "more than one Host header");
	/* Even the same name twice. */
	expect("GET / HTTP/1.1\r\nHost: a.example\r\nHost: a.example\r\n\r\n",
	       SBGW_FIRST_FLIGHT_MALFORMED, &ff);
}

static void missing_host_by_version(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	expect("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", SBGW_FIRST_FLIGHT_MALFORMED, &ff);
	expect("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_string_equal(ff.name, "");
	assert_false(ff.http.has_host);
	assert_int_equal(ff.http.version_minor, 0);
	expect("GET / HTTP/1.1\r\nHost:\r\n\r\n", SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_true(ff.http.has_host);
	assert_string_equal(ff.name, "");
}

/* ---- Request targets ------------------------------------------------------ */

static void absolute_form_takes_target_host(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	expect("GET HTTPS://Foo.Example:443?x HTTP/1.1\r\nHost: foo.example\r\n\r\n",
	       SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_int_equal(ff.http.target_form, SBGW_HTTP_TARGET_ABSOLUTE);
	assert_string_equal(ff.http.target_host, "foo.example");
	assert_string_equal(ff.name, "foo.example");
	/* HTTP/1.0 without Host: the target names the host. */
	expect("GET http://bar.example/ HTTP/1.0\r\n\r\n", SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_string_equal(ff.name, "bar.example");
}

static void absolute_form_other_host_malformed(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	expect("GET http://evil.example/ HTTP/1.1\r\nHost: allowed.example\r\n\r\n",
	       SBGW_FIRST_FLIGHT_MALFORMED, &ff);
	assert_string_equal(ff.reason, "Host header and request target name different hosts");
	expect("GET http://evil.example/ HTTP/1.1\r\nHost:\r\n\r\n", SBGW_FIRST_FLIGHT_MALFORMED, &ff);
}

static void absolute_form_userinfo_and_schemes_malformed(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	expect("GET http://allowed.example@evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n",
	       SBGW_FIRST_FLIGHT_MALFORMED, &ff);
	assert_string_equal(ff.reason, "absolute-form target carries userinfo");
	expect("GET ftp://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", SBGW_FIRST_FLIGHT_MALFORMED,
	       &ff);
	expect("GET http:// HTTP/1.1\r\nHost: a.example\r\n\r\n", SBGW_FIRST_FLIGHT_MALFORMED, &ff);
	expect("GET a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", SBGW_FIRST_FLIGHT_MALFORMED, &ff);
}

static void connect_authority_form(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	expect("CONNECT Tunnel.Example:443 HTTP/1.1\r\nHost: tunnel.example:443\r\n\r\n",
	       SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_int_equal(ff.http.target_form, SBGW_HTTP_TARGET_AUTHORITY);
	assert_string_equal(ff.http.target_host, "tunnel.example");
	assert_string_equal(ff.name, "tunnel.example");
	expect("CONNECT tunnel.example HTTP/1.1\r\nHost: tunnel.example\r\n\r\n",
	       SBGW_FIRST_FLIGHT_MALFORMED, &ff);
	assert_string_equal(ff.reason, "CONNECT target has no port");
}

static void asterisk_form_only_for_options(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	expect("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n", SBGW_FIRST_FLIGHT_HTTP, &ff);
	assert_int_equal(ff.http.target_form, SBGW_HTTP_TARGET_ASTERISK);
	expect("GET * HTTP/1.1\r\nHost: a.example\r\n\r\n", SBGW_FIRST_FLIGHT_MALFORMED, &ff);
}

/* ---- Framing -------------------------------------------------------------- */

static void framing_errors_malformed(void **state)
{
	static const char *const reqs[] = {
		"GET / HTTP/1.1\r\nHost: a.example\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a.example\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.example\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.example\r\nX: 1\r\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.example\r\n\r\r",
		"GET / HTTP/1.1\r\n: empty name\r\n\r\n",
		"GET / HTTP/1.1\r\nBad(name): 1\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\x01" "b\r\n\r\n",
		"GET / HTTP/1.1\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		"GET / HTTP/2.0\r\nHost: a.example\r\n\r\n",
		"GET / HTTP/1.2\r\nHost: a.example\r\n\r\n",
		"GET / HTTP/x.y\r\nHost: a.example\r\n\r\n",
	};
	struct sbgw_first_flight ff;

	(void)state;
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		expect(reqs[i], SBGW_FIRST_FLIGHT_MALFORMED, &ff);
		assert_non_null(ff.reason);
		assert_int_equal(ff.length, 0);
	}
}

static void not_http_other(void **state)
{
	static const char *const texts[] = {
		"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"HELO mail.example\r\n",
		"GET /\r\n", /* HTTP/0.9 */
		"GET  / HTTP/1.1\r\n",
		"\x00\x01\x02\x03",
		"get / HTTP/1.1\r\n",
		"GET\t/ HTTP/1.1\r\n",
		"AVERYLONGMETHODNAME / HTTP/1.1\r\n",
	};
	struct sbgw_first_flight ff;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct bytes b = bytes_of(texts[i], i == 5 ? 4 : strlen(texts[i]));

		if (sbgw_first_flight_parse(b.data, b.len, &ff) != SBGW_FIRST_FLIGHT_OTHER)
			fail_msg("text %zu: %s", i, sbgw_first_flight_kind_name(ff.kind));
		assert_non_null(ff.reason);
		bytes_free(&b);
	}
}

static void head_over_16k_malformed(void **state)
{
	size_t size = SBGW_FIRST_FLIGHT_MAX + 100;
	char *text = malloc(size + 1);
	struct sbgw_first_flight ff;
	size_t off;

	(void)state;
	assert_non_null(text);
	off = (size_t)snprintf(text, size, "GET / HTTP/1.1\r\nHost: a.example\r\n");
	while (off + 12 < size)
		off += (size_t)snprintf(text + off, size - off, "X-Pad: abc\r\n");
	text[off] = '\0';
	expect(text, SBGW_FIRST_FLIGHT_MALFORMED, &ff);
	assert_string_equal(ff.reason, "first flight is incomplete after 16384 bytes");
	text[SBGW_FIRST_FLIGHT_MAX - 1] = '\0';
	expect(text, SBGW_FIRST_FLIGHT_NEED_MORE, &ff);
	free(text);
}

static void name_helper_checks(void **state)
{
	char out[SBGW_FIRST_FLIGHT_NAME_MAX];
	const char *reason = NULL;

	(void)state;
	assert_int_equal(sbgw_first_flight_name("A-B_c.Example.", 14, out, &reason), 0);
	assert_string_equal(out, "a-b_c.example");
	assert_int_equal(sbgw_first_flight_name("a.b", 0, out, &reason), -22);
	assert_string_equal(reason, "host name is empty");
	assert_int_equal(sbgw_first_flight_name("a\0b", 3, out, &reason), -22);
	assert_string_equal(reason, "host name contains a NUL byte");
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(curl_request_parsed),
		cmocka_unit_test(curl_proxy_request_absolute_form),
		cmocka_unit_test(every_prefix_needs_more),
		cmocka_unit_test(body_after_head_not_counted),
		cmocka_unit_test(host_port_removed_and_lowercased),
		cmocka_unit_test(host_ip_literals_flagged),
		cmocka_unit_test(bad_hosts_malformed),
		cmocka_unit_test(host_label_over_63_malformed),
		cmocka_unit_test(host_with_nul_malformed),
		cmocka_unit_test(two_hosts_malformed),
		cmocka_unit_test(missing_host_by_version),
		cmocka_unit_test(absolute_form_takes_target_host),
		cmocka_unit_test(absolute_form_other_host_malformed),
		cmocka_unit_test(absolute_form_userinfo_and_schemes_malformed),
		cmocka_unit_test(connect_authority_form),
		cmocka_unit_test(asterisk_form_only_for_options),
		cmocka_unit_test(framing_errors_malformed),
		cmocka_unit_test(not_http_other),
		cmocka_unit_test(head_over_16k_malformed),
		cmocka_unit_test(name_helper_checks),
	};

	return cmocka_run_group_tests_name("first-flight HTTP", tests, NULL, NULL);
}
