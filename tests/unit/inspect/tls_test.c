/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * First-flight parsing of TLS ClientHellos: real ones captured from
 * openssl s_client, curl and Python (data/), the same re-split into many
 * records, and hand-built adversarial ones (names with NULs, over-long
 * labels, duplicate extensions, lengths that lie).
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

/* ---- Building ClientHellos ------------------------------------------------ */

struct builder {
	uint8_t b[70000];
	size_t len;
};

static void put(struct builder *w, const void *p, size_t n)
{
	assert_true(w->len + n <= sizeof(w->b));
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

static void put8(struct builder *w, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(w, &b, 1);
}

static void put16(struct builder *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v);
}

static void put24(struct builder *w, unsigned v)
{
	put8(w, v >> 16);
	put16(w, v);
}

/* An extension of type with body [body, body+len). */
static void put_ext(struct builder *w, unsigned type, const void *body, size_t len)
{
	put16(w, type);
	put16(w, (unsigned)len);
	put(w, body, len);
}

/* A server_name extension body with one host_name of len bytes. */
static size_t sni_body(uint8_t *out, const void *name, size_t len)
{
	out[0] = (uint8_t)((len + 3) >> 8);
	out[1] = (uint8_t)(len + 3);
	out[2] = 0; /* host_name */
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	memcpy(out + 5, name, len);
	return len + 5;
}

/* A ClientHello body with the given extensions block (NULL: none at all). */
static void hello_body(struct builder *w, const struct builder *exts)
{
	static const uint8_t random[32] = {1, 2, 3};

	put16(w, 0x0303);
	put(w, random, sizeof(random));
	put8(w, 0); /* session id */
	put16(w, 4);
	put16(w, 0x1301);
	put16(w, 0x002f);
	put8(w, 1);
	put8(w, 0); /* null compression */
	if (exts != NULL) {
		put16(w, (unsigned)exts->len);
		put(w, exts->b, exts->len);
	}
}

/* body wrapped as a ClientHello handshake message in one record. */
static struct bytes one_record(const struct builder *body)
{
	static struct builder w;
	struct bytes b;

	w.len = 0;
	put8(&w, 0x16);
	put16(&w, 0x0301);
	put16(&w, (unsigned)body->len + 4);
	put8(&w, 1);
	put24(&w, (unsigned)body->len);
	put(&w, body->b, body->len);
	b = bytes_of(w.b, w.len);
	return b;
}

/* A whole record holding a ClientHello with these extensions. */
static struct bytes hello_with(const struct builder *exts)
{
	static struct builder body;

	body.len = 0;
	hello_body(&body, exts);
	return one_record(&body);
}

/* A ClientHello whose only extension is a server_name of name[0..len). */
static struct bytes hello_with_sni(const void *name, size_t len)
{
	static struct builder exts;
	uint8_t sni[1024];

	assert_true(len + 5 <= sizeof(sni));
	exts.len = 0;
	put_ext(&exts, 0, sni, sni_body(sni, name, len));
	return hello_with(&exts);
}

/*
 * The handshake bytes of a one-record hello re-split into records of at
 * most chunk bytes each, as a client may send them.
 */
static struct bytes resplit(const struct bytes *hello, size_t chunk)
{
	static struct builder w;
	size_t hs_len = hello->len - 5;
	const uint8_t *hs = hello->data + 5;

	w.len = 0;
	for (size_t off = 0; off < hs_len; off += chunk) {
		size_t n = hs_len - off < chunk ? hs_len - off : chunk;

		put8(&w, 0x16);
		put16(&w, 0x0303);
		put16(&w, (unsigned)n);
		put(&w, hs + off, n);
	}
	return bytes_of(w.b, w.len);
}

static enum sbgw_first_flight_kind parse(const struct bytes *b, struct sbgw_first_flight *ff)
{
	return sbgw_first_flight_parse(b->data, b->len, ff);
}

/* ---- Real ClientHellos ---------------------------------------------------- */

static void openssl_sni_alpn_parsed(void **state)
{
	struct bytes b = fixture("openssl_sni_alpn.bin");
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_null(ff.reason);
	assert_string_equal(ff.name, "example.com"); /* sent as Example.COM */
	assert_false(ff.name_is_ip);
	assert_int_equal(ff.length, b.len);
	assert_int_equal(ff.tls.legacy_version, 0x0303);
	assert_int_equal(ff.tls.alpn_count, 2);
	assert_false(ff.tls.alpn_truncated);
	assert_string_equal(ff.tls.alpn[0].name, "h2");
	assert_int_equal(ff.tls.alpn[0].len, 2);
	assert_string_equal(ff.tls.alpn[1].name, "http/1.1");
	bytes_free(&b);
}

static void openssl_tls12_without_sni_has_no_name(void **state)
{
	struct bytes b = fixture("openssl_tls12_nosni.bin");
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_string_equal(ff.name, "");
	assert_int_equal(ff.tls.alpn_count, 0);
	assert_int_equal(ff.length, b.len);
	bytes_free(&b);
}

static void curl_hello_parsed(void **state)
{
	struct bytes b = fixture("curl_sni.bin");
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_string_equal(ff.name, "www.example.org");
	assert_int_equal(ff.length, b.len);
	bytes_free(&b);
}

static void python_hello_trailing_dot_removed(void **state)
{
	struct bytes b = fixture("python_sni.bin");
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_string_equal(ff.name, "api.sandbox-test.dev");
	assert_int_equal(ff.tls.alpn_count, 1);
	assert_string_equal(ff.tls.alpn[0].name, "http/1.1");
	bytes_free(&b);
}

static void every_prefix_needs_more(void **state)
{
	static const char *const files[] = {"openssl_sni_alpn.bin", "curl_sni.bin",
					    "openssl_tls12_nosni.bin"};
	struct sbgw_first_flight ff;

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct bytes whole = fixture(files[f]);

		for (size_t n = 0; n < whole.len; n++) {
			struct bytes prefix = bytes_of(whole.data, n);

			if (parse(&prefix, &ff) != SBGW_FIRST_FLIGHT_NEED_MORE)
				fail_msg("%s: %zu of %zu bytes gave %s (%s)", files[f], n, whole.len,
					 sbgw_first_flight_kind_name(ff.kind), ff.reason);
			assert_string_equal(ff.name, "");
			bytes_free(&prefix);
		}
		bytes_free(&whole);
	}
}

static void bytes_after_hello_not_counted(void **state)
{
	struct bytes hello = fixture("curl_sni.bin");
	uint8_t more[2048];
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	memcpy(more, hello.data, hello.len);
	/* An early application-data record right behind the hello. */
	memcpy(more + hello.len, "\x17\x03\x03\x00\x02hi", 7);
	b = bytes_of(more, hello.len + 7);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_int_equal(ff.length, hello.len);
	assert_string_equal(ff.name, "www.example.org");
	bytes_free(&b);
	bytes_free(&hello);
}

/* ---- Records -------------------------------------------------------------- */

static void hello_split_across_records_reassembled(void **state)
{
	static const size_t chunks[] = {1, 2, 3, 4, 5, 7, 100, 300};
	struct bytes hello = fixture("openssl_sni_alpn.bin");
	struct sbgw_first_flight ff;

	(void)state;
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct bytes split = resplit(&hello, chunks[i]);

		assert_int_equal(parse(&split, &ff), SBGW_FIRST_FLIGHT_TLS);
		assert_string_equal(ff.name, "example.com");
		assert_int_equal(ff.tls.alpn_count, 2);
		assert_int_equal(ff.length, split.len);
		/* Every prefix of the split form is incomplete, too. */
		for (size_t n = 0; n < split.len; n += 3) {
			struct bytes prefix = bytes_of(split.data, n);

			assert_int_equal(parse(&prefix, &ff), SBGW_FIRST_FLIGHT_NEED_MORE);
			bytes_free(&prefix);
		}
		bytes_free(&split);
	}
	bytes_free(&hello);
}

static void alert_between_fragments_malformed(void **state)
{
	struct bytes hello = fixture("openssl_sni_alpn.bin");
	struct bytes split = resplit(&hello, 100);
	struct sbgw_first_flight ff;

	(void)state;
	split.data[105] = 0x15; /* the second record becomes an alert */
	assert_int_equal(parse(&split, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	assert_non_null(ff.reason);
	assert_string_equal(ff.name, "");
	bytes_free(&split);
	bytes_free(&hello);
}

static void empty_record_malformed(void **state)
{
	static const uint8_t rec[] = {0x16, 3, 1, 0, 0, 0x16, 3, 1, 0, 4, 1, 0, 0, 0};
	struct bytes b = bytes_of(rec, sizeof(rec));
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

static void record_version_not_tls_malformed(void **state)
{
	struct bytes b = fixture("curl_sni.bin");
	struct sbgw_first_flight ff;

	(void)state;
	b.data[1] = 2;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

static void server_hello_malformed(void **state)
{
	struct bytes b = fixture("curl_sni.bin");
	struct sbgw_first_flight ff;

	(void)state;
	b.data[5] = 2; /* handshake type ServerHello */
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	/* Known at once, with only the first byte of the message. */
	b.len = 6;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

static void hello_over_16k_malformed_early(void **state)
{
	/* A header announcing 20000 bytes: no need to wait for them. */
	static const uint8_t rec[] = {0x16, 3, 1, 0x40, 0x00, 1, 0x00, 0x4e, 0x20};
	uint8_t *buf = calloc(1, 5 + 0x4000);
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, rec, sizeof(rec));
	b = bytes_of(buf, 5 + 0x4000);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	b.len = 100;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_NEED_MORE); /* record incomplete */
	bytes_free(&b);
	free(buf);
}

static void incomplete_at_16k_malformed(void **state)
{
	/*
	 * A 16000-byte hello in records of 100 bytes: with the record headers
	 * it needs 16809 bytes, more than the 16384 looked at.
	 */
	static struct builder w;
	static uint8_t hs[16004] = {1, 0, 0x3e, 0x80};
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	w.len = 0;
	for (size_t off = 0; off < sizeof(hs); off += 100) {
		size_t n = sizeof(hs) - off < 100 ? sizeof(hs) - off : 100;

		put8(&w, 0x16);
		put16(&w, 0x0303);
		put16(&w, (unsigned)n);
		put(&w, hs + off, n);
	}
	assert_int_equal(w.len, 16809);
	b = bytes_of(w.b, 16383);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_NEED_MORE);
	bytes_free(&b);
	b = bytes_of(w.b, 16384);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	assert_string_equal(ff.reason, "first flight is incomplete after 16384 bytes");
	bytes_free(&b);
	b = bytes_of(w.b, w.len);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

static void sslv2_hello_other(void **state)
{
	static const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x03, 0x01};
	struct bytes b = bytes_of(v2, sizeof(v2));
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_OTHER);
	assert_non_null(ff.reason);
	bytes_free(&b);
}

static void empty_input_needs_more(void **state)
{
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(sbgw_first_flight_parse(NULL, 0, &ff), SBGW_FIRST_FLIGHT_NEED_MORE);
	assert_int_equal(ff.kind, SBGW_FIRST_FLIGHT_NEED_MORE);
}

/* ---- The ClientHello body ------------------------------------------------- */

static void hello_without_extensions_parsed(void **state)
{
	struct bytes b = hello_with(NULL);
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_string_equal(ff.name, "");
	bytes_free(&b);
}

static void extension_length_past_end_malformed(void **state)
{
	static struct builder exts;
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	exts.len = 0;
	put16(&exts, 0);
	put16(&exts, 200); /* claims 200 bytes, has 3 */
	put(&exts, "abc", 3);
	b = hello_with(&exts);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

static void bytes_after_extensions_malformed(void **state)
{
	static struct builder body;
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	body.len = 0;
	hello_body(&body, &(struct builder){.len = 0});
	put(&body, "xyz", 3);
	b = one_record(&body);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

static void odd_cipher_suites_malformed(void **state)
{
	static struct builder body;
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	body.len = 0;
	hello_body(&body, NULL);
	body.b[2 + 32 + 1 + 1] = 3; /* cipher suites: 3 bytes */
	b = one_record(&body);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

/* ---- Server names --------------------------------------------------------- */

static void sni_nul_byte_malformed(void **state)
{
	static const char name[] = "allowed.example\0.evil.example";
	struct bytes b = hello_with_sni(name, sizeof(name) - 1);
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	assert_string_equal(ff.reason, "host name contains a NUL byte");
	assert_string_equal(ff.name, "");
	bytes_free(&b);
}

static void sni_label_lengths_checked(void **state)
{
	char name[80];
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	memset(name, 'a', 63);
	memcpy(name + 63, ".com", 4);
	b = hello_with_sni(name, 67);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_int_equal(strlen(ff.name), 67);
	bytes_free(&b);

	memset(name, 'a', 64);
	memcpy(name + 64, ".com", 4);
	b = hello_with_sni(name, 68);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	assert_string_equal(ff.reason, "host name has a label longer than 63 characters");
	bytes_free(&b);
}

static void sni_name_lengths_checked(void **state)
{
	char name[300];
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	/* 4 labels of 62 + dots = 251, then ".x" = 253: the longest name. */
	for (size_t i = 0; i < 4; i++) {
		memset(name + i * 63, 'a' + (char)i, 62);
		name[i * 63 + 62] = '.';
	}
	memcpy(name + 252, "x", 1);
	b = hello_with_sni(name, 253);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_int_equal(strlen(ff.name), 253);
	bytes_free(&b);

	/* The same with a trailing dot is still 253 characters. */
	name[253] = '.';
	b = hello_with_sni(name, 254);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_int_equal(strlen(ff.name), 253);
	bytes_free(&b);

	memcpy(name + 252, "xy", 2);
	b = hello_with_sni(name, 254);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);

	memset(name, 'a', 300);
	b = hello_with_sni(name, 300);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

static void sni_bad_characters_malformed(void **state)
{
	static const char *const names[] = {"a..b", ".a.b", "a b.com", "a/b.com", "a:443",
					    "caf\xc3\xa9.com", ".", "", "a.b..", "x%2e.com"};
	struct sbgw_first_flight ff;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct bytes b = hello_with_sni(names[i], strlen(names[i]));

		if (parse(&b, &ff) != SBGW_FIRST_FLIGHT_MALFORMED)
			fail_msg("\"%s\" gave %s", names[i], sbgw_first_flight_kind_name(ff.kind));
		bytes_free(&b);
	}
}

static void sni_canonical_and_ip_flagged(void **state)
{
	struct bytes b = hello_with_sni("My_Host.Example.", 16);
	struct sbgw_first_flight ff;

	(void)state;
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_string_equal(ff.name, "my_host.example");
	assert_false(ff.name_is_ip);
	bytes_free(&b);
	b = hello_with_sni("192.0.2.7", 9);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_string_equal(ff.name, "192.0.2.7");
	assert_true(ff.name_is_ip);
	bytes_free(&b);
}

static void two_sni_extensions_malformed(void **state)
{
	static struct builder exts;
	uint8_t sni[64];
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	exts.len = 0;
	put_ext(&exts, 0, sni, sni_body(sni, "allowed.example", 15));
	put_ext(&exts, 0, sni, sni_body(sni, "evil.example", 12));
	b = hello_with(&exts);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	assert_string_equal(ff.reason, "two server_name extensions");
	bytes_free(&b);
}

static void two_host_names_malformed(void **state)
{
	static struct builder exts, body;
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	body.len = 0;
	put16(&body, 2 * (3 + 5));
	put8(&body, 0);
	put16(&body, 5);
	put(&body, "a.com", 5);
	put8(&body, 0);
	put16(&body, 5);
	put(&body, "b.com", 5);
	exts.len = 0;
	put_ext(&exts, 0, body.b, body.len);
	b = hello_with(&exts);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	assert_string_equal(ff.reason, "server_name has two host_name entries");
	bytes_free(&b);
}

static void unknown_name_type_skipped(void **state)
{
	static struct builder exts, body;
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	body.len = 0;
	put16(&body, 2 * (3 + 5));
	put8(&body, 7);
	put16(&body, 5);
	put(&body, "\0\0\0\0\0", 5);
	put8(&body, 0);
	put16(&body, 5);
	put(&body, "b.com", 5);
	exts.len = 0;
	put_ext(&exts, 0, body.b, body.len);
	b = hello_with(&exts);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_string_equal(ff.name, "b.com");
	bytes_free(&b);
}

static void sni_list_length_lies_malformed(void **state)
{
	static const uint8_t sni[] = {0, 50, 0, 0, 3, 'a', '.', 'b'};
	static struct builder exts;
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	exts.len = 0;
	put_ext(&exts, 0, sni, sizeof(sni));
	b = hello_with(&exts);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
	/* An empty server_name extension is what servers send, not clients. */
	exts.len = 0;
	put_ext(&exts, 0, "", 0);
	b = hello_with(&exts);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

/* ---- ALPN ----------------------------------------------------------------- */

static void alpn_many_and_long_truncated(void **state)
{
	static struct builder exts, list;
	uint8_t body[1024];
	char proto[40];
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	list.len = 0;
	for (int i = 0; i < 10; i++) {
		int n = snprintf(proto, sizeof(proto), "proto-%d", i);

		put8(&list, (unsigned)n);
		put(&list, proto, (size_t)n);
	}
	memset(proto, 'l', 35);
	put8(&list, 35);
	put(&list, proto, 35);
	body[0] = (uint8_t)(list.len >> 8);
	body[1] = (uint8_t)list.len;
	memcpy(body + 2, list.b, list.len);
	exts.len = 0;
	put_ext(&exts, 16, body, list.len + 2);
	b = hello_with(&exts);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_TLS);
	assert_int_equal(ff.tls.alpn_count, SBGW_FIRST_FLIGHT_ALPN_MAX);
	assert_true(ff.tls.alpn_truncated);
	assert_string_equal(ff.tls.alpn[7].name, "proto-7");
	bytes_free(&b);
}

static void alpn_empty_protocol_malformed(void **state)
{
	static const uint8_t alpn[] = {0, 4, 2, 'h', '2', 0};
	static struct builder exts;
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	exts.len = 0;
	put_ext(&exts, 16, alpn, sizeof(alpn));
	b = hello_with(&exts);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	assert_string_equal(ff.reason, "ALPN protocol is empty");
	bytes_free(&b);
}

static void two_alpn_extensions_malformed(void **state)
{
	static const uint8_t alpn[] = {0, 3, 2, 'h', '2'};
	static struct builder exts;
	struct bytes b;
	struct sbgw_first_flight ff;

	(void)state;
	exts.len = 0;
	put_ext(&exts, 16, alpn, sizeof(alpn));
	put_ext(&exts, 16, alpn, sizeof(alpn));
	b = hello_with(&exts);
	assert_int_equal(parse(&b, &ff), SBGW_FIRST_FLIGHT_MALFORMED);
	bytes_free(&b);
}

/* Every single-byte corruption of a real hello gives a sound answer. */
static void corrupted_hello_answers_soundly(void **state)
{
	struct bytes hello = fixture("openssl_sni_alpn.bin");
	struct sbgw_first_flight ff;
	static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};

	(void)state;
	for (size_t i = 0; i < hello.len; i++) {
		for (size_t v = 0; v < sizeof(values); v++) {
			struct bytes b = bytes_of(hello.data, hello.len);
			enum sbgw_first_flight_kind kind;

			b.data[i] = values[v];
			kind = parse(&b, &ff);
			assert_int_equal(kind, ff.kind);
			if (kind == SBGW_FIRST_FLIGHT_TLS) {
				char canon[SBGW_FIRST_FLIGHT_NAME_MAX];
				const char *reason;

				assert_true(ff.length <= b.len);
				if (ff.name[0] != '\0')
					assert_int_equal(sbgw_first_flight_name(ff.name, strlen(ff.name),
										canon, &reason),
							 0);
			} else if (kind != SBGW_FIRST_FLIGHT_NEED_MORE) {
				assert_non_null(ff.reason);
				assert_int_equal(ff.length, 0);
			}
			bytes_free(&b);
		}
	}
	bytes_free(&hello);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(openssl_sni_alpn_parsed),
		cmocka_unit_test(openssl_tls12_without_sni_has_no_name),
		cmocka_unit_test(curl_hello_parsed),
		cmocka_unit_test(python_hello_trailing_dot_removed),
		cmocka_unit_test(every_prefix_needs_more),
		cmocka_unit_test(bytes_after_hello_not_counted),
		cmocka_unit_test(hello_split_across_records_reassembled),
		cmocka_unit_test(alert_between_fragments_malformed),
		cmocka_unit_test(empty_record_malformed),
		cmocka_unit_test(record_version_not_tls_malformed),
		cmocka_unit_test(server_hello_malformed),
		cmocka_unit_test(hello_over_16k_malformed_early),
		cmocka_unit_test(incomplete_at_16k_malformed),
		cmocka_unit_test(sslv2_hello_other),
		cmocka_unit_test(empty_input_needs_more),
		cmocka_unit_test(hello_without_extensions_parsed),
		cmocka_unit_test(extension_length_past_end_malformed),
		cmocka_unit_test(bytes_after_extensions_malformed),
		cmocka_unit_test(odd_cipher_suites_malformed),
		cmocka_unit_test(sni_nul_byte_malformed),
		cmocka_unit_test(sni_label_lengths_checked),
		cmocka_unit_test(sni_name_lengths_checked),
		cmocka_unit_test(sni_bad_characters_malformed),
		cmocka_unit_test(sni_canonical_and_ip_flagged),
		cmocka_unit_test(two_sni_extensions_malformed),
		cmocka_unit_test(two_host_names_malformed),
		cmocka_unit_test(unknown_name_type_skipped),
		cmocka_unit_test(sni_list_length_lies_malformed),
		cmocka_unit_test(alpn_many_and_long_truncated),
		cmocka_unit_test(alpn_empty_protocol_malformed),
		cmocka_unit_test(two_alpn_extensions_malformed),
		cmocka_unit_test(corrupted_hello_answers_soundly),
	};

	return cmocka_run_group_tests_name("first-flight TLS", tests, NULL, NULL);
}
