/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS messages (semantics §3.2, §3.6): parsing the guest's query, the
 * gateway's own answers, matching the upstream's answer, finishing it for
 * the guest. Rebind and pin tests are in message_filter_test.c.
 *
 * Every message handed to the code under test sits in a heap buffer of
 * exactly its length, so AddressSanitizer sees any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "message.h"
#include "message_test_util.h"
#include "testrule.h"

/* ---- Parsing the guest's query ------------------------------------------ */

static void parse_garbage_malformed(void **state)
{
	/* A header asking for one question, then a label longer than what follows. */
	static const uint8_t bytes[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 'a'};
	struct sbgw_dns_question q;
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_MALFORMED);
	assert_non_null(q.reason);
	wire_free(&w);
}

static void parse_short_header_malformed(void **state)
{
	static const uint8_t bytes[11] = {0x12, 0x34, 0x01};
	struct sbgw_dns_question q;
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_MALFORMED);
	assert_int_equal(sbgw_dns_parse_query(w.data, 0, &q), SBGW_DNS_QUERY_MALFORMED);
	assert_int_equal(sbgw_dns_parse_query(NULL, 0, &q), SBGW_DNS_QUERY_MALFORMED);
	wire_free(&w);
}

static void parse_qr_set_malformed(void **state)
{
	ldns_pkt *pkt = query_pkt("example.com", LDNS_RR_TYPE_A, 7, true);
	struct sbgw_dns_question q;
	struct wire w;

	(void)state;
	ldns_pkt_set_qr(pkt, true);
	w = wire_of_pkt(pkt);
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_MALFORMED);
	wire_free(&w);
}

static void parse_truncated_question_malformed(void **state)
{
	struct wire full = query_wire("example.com", LDNS_RR_TYPE_A, 7, true);
	struct wire w = wire_of_bytes(full.data, full.len - 2); /* class cut off */
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_MALFORMED);
	wire_free(&w);
	wire_free(&full);
}

static void parse_no_question_formerr(void **state)
{
	static const uint8_t bytes[12] = {0xab, 0xcd, 0x01, 0x00};
	struct sbgw_dns_question q;
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_FORMERR);
	assert_int_equal(q.id, 0xabcd);
	assert_true(q.rd);
	assert_int_equal(q.question_len, 0);
	assert_non_null(q.reason);
	wire_free(&w);
}

static void parse_two_questions_formerr(void **state)
{
	ldns_pkt *pkt = query_pkt("first.example", LDNS_RR_TYPE_A, 0x4242, true);
	struct sbgw_dns_question q;
	struct wire w;

	(void)state;
	push_question(pkt, "second.example", LDNS_RR_TYPE_AAAA);
	w = wire_of_pkt(pkt);
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_FORMERR);
	assert_int_equal(q.id, 0x4242);
	assert_string_equal(q.name, "first.example");
	assert_int_equal(q.qtype, LDNS_RR_TYPE_A);
	assert_true(q.question_len > 0);
	wire_free(&w);
}

/*
 * Found by tests/fuzz/dns_query_fuzz: a question name that points into
 * the header reads the ID as part of the name, so the query forwarded
 * under a new ID named something else than what the policy judged.
 */
static void parse_question_pointer_into_header_formerr(void **state)
{
	/* ID 0x0009, RD, one question: "a\\" then a pointer to offset 1. */
	static const uint8_t bytes[] = {0x00, 0x09, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					0x02, 'a', '\\', 0xc0, 0x01, 0x00, 0x01, 0x00, 0x01};
	struct sbgw_dns_question q;
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_FORMERR);
	assert_non_null(q.reason);
	assert_int_equal(q.id, 9);
	wire_free(&w);
}

static void parse_question_pointer_to_itself_not_ok(void **state)
{
	/* "www" then a pointer back to offset 12, its own start: a loop. */
	static const uint8_t bytes[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					0x03, 'w', 'w', 'w', 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01};
	struct sbgw_dns_question q;
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));

	(void)state;
	assert_int_not_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	wire_free(&w);
}

static void parse_simple_query_ok(void **state)
{
	struct wire w = query_wire("www.example.com", LDNS_RR_TYPE_AAAA, 0x1234, true);
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.opcode, LDNS_PACKET_QUERY);
	assert_true(q.rd);
	assert_string_equal(q.name, "www.example.com");
	assert_true(q.name_valid);
	assert_int_equal(q.qtype, LDNS_RR_TYPE_AAAA);
	assert_int_equal(q.qclass, LDNS_RR_CLASS_IN);
	assert_false(q.has_edns);
	assert_null(q.reason);
	/* The question section is the rest of this message, byte for byte. */
	assert_int_equal(q.question_len, w.len - LDNS_HEADER_SIZE);
	assert_memory_equal(q.question, w.data + LDNS_HEADER_SIZE, q.question_len);
	wire_free(&w);
}

static void parse_rd_clear_read(void **state)
{
	struct wire w = query_wire("example.com", LDNS_RR_TYPE_A, 1, false);
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_false(q.rd);
	wire_free(&w);
}

static void parse_no_opt_udp_size_512(void **state)
{
	struct wire w = query_wire("example.com", LDNS_RR_TYPE_A, 1, true);
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_false(q.has_edns);
	assert_int_equal(q.udp_size, 512);
	wire_free(&w);
}

static uint16_t parsed_udp_size(uint16_t advertised, bool do_bit, bool *has_edns)
{
	ldns_pkt *pkt = query_pkt("example.com", LDNS_RR_TYPE_A, 1, true);
	struct sbgw_dns_question q;
	struct wire w;

	ldns_pkt_set_edns_udp_size(pkt, advertised);
	ldns_pkt_set_edns_do(pkt, do_bit);
	w = wire_of_pkt(pkt);
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	wire_free(&w);
	*has_edns = q.has_edns;
	return q.udp_size;
}

static void parse_edns_udp_size_read(void **state)
{
	bool edns;

	(void)state;
	assert_int_equal(parsed_udp_size(1232, false, &edns), 1232);
	assert_true(edns);
}

static void parse_edns_small_udp_size_512(void **state)
{
	bool edns;

	(void)state;
	assert_int_equal(parsed_udp_size(100, false, &edns), 512);
	assert_true(edns);
	/* An OPT with class 0 (only the DO bit set) still counts as EDNS. */
	assert_int_equal(parsed_udp_size(0, true, &edns), 512);
	assert_true(edns);
}

static void parse_edns_huge_udp_size_clamped(void **state)
{
	bool edns;

	(void)state;
	assert_int_equal(parsed_udp_size(65535, false, &edns), SBGW_DNS_MAX_MESSAGE);
}

static void parse_uppercase_name_lowercased_question_kept(void **state)
{
	struct wire w = query_wire("WWW.Example.COM", LDNS_RR_TYPE_A, 1, true);
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_string_equal(q.name, "www.example.com");
	assert_true(q.name_valid);
	/* Echoed as written: some stubs compare the question case-sensitively. */
	assert_memory_equal(q.question, "\3WWW\7Example\3COM", 17);
	wire_free(&w);
}

static void parse_trailing_dot_dropped(void **state)
{
	struct wire w = query_wire("example.com.", LDNS_RR_TYPE_A, 1, true);
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_string_equal(q.name, "example.com");
	wire_free(&w);
}

static void parse_root_name_empty(void **state)
{
	struct wire w = query_wire(".", LDNS_RR_TYPE_NS, 1, true);
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_string_equal(q.name, "");
	assert_false(q.name_valid);
	assert_int_equal(q.question_len, 1 + 4);
	wire_free(&w);
}

static void parse_space_in_label_escaped_invalid(void **state)
{
	static const uint8_t name[] = "\3a b\3com";
	struct wire w = raw_query(name, sizeof(name), 1);
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_string_equal(q.name, "a\\032b.com");
	assert_false(q.name_valid);
	wire_free(&w);
}

static void parse_dot_in_label_escaped_invalid(void **state)
{
	/* One label "a.b": it must not read as the two-label name a.b.com. */
	static const uint8_t name[] = "\3a.b\3com";
	struct wire w = raw_query(name, sizeof(name), 1);
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_string_equal(q.name, "a\\.b.com");
	assert_false(q.name_valid);
	wire_free(&w);
}

static void parse_wildcard_name_invalid(void **state)
{
	struct wire w = query_wire("*.example.com", LDNS_RR_TYPE_A, 1, true);
	struct sbgw_dns_question q;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_string_equal(q.name, "*.example.com");
	assert_false(q.name_valid);
	wire_free(&w);
}

static void parse_long_escaped_name_cut_invalid(void **state)
{
	/* 255 octets of \001 labels: four times longer as text than the field. */
	uint8_t name[255];
	struct sbgw_dns_question q;
	size_t pos = 0;
	struct wire w;

	(void)state;
	for (int l = 0; l < 4; l++) {
		uint8_t len = l < 3 ? 63 : 61;

		name[pos++] = len;
		memset(name + pos, 1, len);
		pos += len;
	}
	name[pos++] = 0;
	assert_int_equal(pos, sizeof(name));
	w = raw_query(name, sizeof(name), 1);
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_true(strlen(q.name) >= SBGW_NAME_MAX - 4 && strlen(q.name) < SBGW_NAME_MAX);
	assert_int_equal(q.name[strlen(q.name) - 1], '\\');
	assert_false(q.name_valid);
	assert_int_equal(q.question_len, sizeof(name) + 4);
	wire_free(&w);
}

/* ---- The gateway's own answers --------------------------------------------- */

static void parse_ok(const struct wire *w, struct sbgw_dns_question *q)
{
	assert_int_equal(sbgw_dns_parse_query(w->data, w->len, q), SBGW_DNS_QUERY_OK);
}

/* Check what every synthesised answer shares (semantics §3.2). */
static ldns_pkt *check_synthesised(const uint8_t *out, size_t len,
				   const struct sbgw_dns_question *q, uint8_t rcode)
{
	ldns_pkt *r = pkt_of(out, len);

	assert_int_equal(ldns_pkt_id(r), q->id);
	assert_true(ldns_pkt_qr(r));
	assert_int_equal(ldns_pkt_get_opcode(r), q->opcode);
	assert_int_equal(ldns_pkt_rd(r), q->rd);
	assert_true(ldns_pkt_ra(r));
	assert_false(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_get_rcode(r), rcode);
	assert_int_equal(ldns_pkt_qdcount(r), q->question_len > 0 ? 1 : 0);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_int_equal(ldns_pkt_nscount(r), 0);
	assert_int_equal(ldns_pkt_arcount(r), 0);
	assert_false(ldns_pkt_edns(r));
	assert_int_equal(len, LDNS_HEADER_SIZE + q->question_len);
	assert_memory_equal(out + LDNS_HEADER_SIZE, q->question, q->question_len);
	return r;
}

static void synthesize_nxdomain_echoes_query_without_authority(void **state)
{
	struct wire w = query_wire("Denied.Example", LDNS_RR_TYPE_A, 0xbeef, true);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	ldns_pkt *r;
	size_t n;

	(void)state;
	parse_ok(&w, &q);
	n = sbgw_dns_synthesize(&q, LDNS_RCODE_NXDOMAIN, out, sizeof(out));
	assert_true(n > 0);
	r = check_synthesised(out, n, &q, LDNS_RCODE_NXDOMAIN);
	assert_false(ldns_pkt_aa(r));
	ldns_pkt_free(r);
	wire_free(&w);
}

static void synthesize_rd_clear_echoed(void **state)
{
	struct wire w = query_wire("example.com", LDNS_RR_TYPE_A, 3, false);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	size_t n;

	(void)state;
	parse_ok(&w, &q);
	n = sbgw_dns_synthesize(&q, LDNS_RCODE_NXDOMAIN, out, sizeof(out));
	ldns_pkt_free(check_synthesised(out, n, &q, LDNS_RCODE_NXDOMAIN));
	wire_free(&w);
}

static void synthesize_servfail_rcode_set(void **state)
{
	struct wire w = query_wire("example.com", LDNS_RR_TYPE_MX, 3, true);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	size_t n;

	(void)state;
	parse_ok(&w, &q);
	n = sbgw_dns_synthesize(&q, LDNS_RCODE_SERVFAIL, out, sizeof(out));
	ldns_pkt_free(check_synthesised(out, n, &q, LDNS_RCODE_SERVFAIL));
	wire_free(&w);
}

static void synthesize_empty_noerror_no_records(void **state)
{
	struct wire w = query_wire("example.com", LDNS_RR_TYPE_AAAA, 3, true);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	size_t n;

	(void)state;
	parse_ok(&w, &q);
	n = sbgw_dns_synthesize(&q, LDNS_RCODE_NOERROR, out, sizeof(out));
	ldns_pkt_free(check_synthesised(out, n, &q, LDNS_RCODE_NOERROR));
	wire_free(&w);
}

static void synthesize_formerr_two_questions_echoes_first(void **state)
{
	ldns_pkt *pkt = query_pkt("first.example", LDNS_RR_TYPE_A, 9, true);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	struct wire w;
	size_t n;

	(void)state;
	push_question(pkt, "second.example", LDNS_RR_TYPE_A);
	w = wire_of_pkt(pkt);
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_FORMERR);
	n = sbgw_dns_synthesize(&q, LDNS_RCODE_FORMERR, out, sizeof(out));
	ldns_pkt_free(check_synthesised(out, n, &q, LDNS_RCODE_FORMERR));
	wire_free(&w);
}

static void synthesize_formerr_no_question_qdcount_zero(void **state)
{
	static const uint8_t bytes[12] = {0x01, 0x02, 0x01, 0x00};
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	size_t n;

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_FORMERR);
	n = sbgw_dns_synthesize(&q, LDNS_RCODE_FORMERR, out, sizeof(out));
	assert_int_equal(n, LDNS_HEADER_SIZE);
	ldns_pkt_free(check_synthesised(out, n, &q, LDNS_RCODE_FORMERR));
	wire_free(&w);
}

static void synthesize_opcode_echoed(void **state)
{
	ldns_pkt *pkt = query_pkt("example.com", LDNS_RR_TYPE_A, 5, true);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	struct wire w;
	size_t n;

	(void)state;
	ldns_pkt_set_opcode(pkt, LDNS_PACKET_STATUS);
	w = wire_of_pkt(pkt);
	parse_ok(&w, &q);
	assert_int_equal(q.opcode, LDNS_PACKET_STATUS);
	n = sbgw_dns_synthesize(&q, LDNS_RCODE_NOTIMPL, out, sizeof(out));
	ldns_pkt_free(check_synthesised(out, n, &q, LDNS_RCODE_NOTIMPL));
	wire_free(&w);
}

static void synthesize_small_buffer_zero(void **state)
{
	struct wire w = query_wire("example.com", LDNS_RR_TYPE_A, 5, true);
	struct sbgw_dns_question q;
	uint8_t out[LDNS_HEADER_SIZE + 4];

	(void)state;
	parse_ok(&w, &q);
	assert_int_equal(sbgw_dns_synthesize(&q, LDNS_RCODE_NXDOMAIN, out, sizeof(out)), 0);
	wire_free(&w);
}

/* ---- host.microsandbox.internal ---------------------------------------------- */

static void is_host_alias_spellings_true(void **state)
{
	(void)state;
	assert_true(sbgw_dns_is_host_alias("host.microsandbox.internal"));
	assert_true(sbgw_dns_is_host_alias("HOST.MicroSandbox.Internal"));
	assert_true(sbgw_dns_is_host_alias("host.microsandbox.internal."));
}

static void is_host_alias_other_names_false(void **state)
{
	(void)state;
	assert_false(sbgw_dns_is_host_alias("host.microsandbox.internal.example.com"));
	assert_false(sbgw_dns_is_host_alias("xhost.microsandbox.internal"));
	assert_false(sbgw_dns_is_host_alias("host.microsandbox.internal.."));
	assert_false(sbgw_dns_is_host_alias("microsandbox.internal"));
	assert_false(sbgw_dns_is_host_alias(""));
	assert_false(sbgw_dns_is_host_alias(NULL));
}

/* The alias answer for a query of type qtype with rd, checked in full. */
static void check_host_alias(ldns_rr_type qtype, bool rd, const char *addr, const char *want)
{
	struct wire w = query_wire("Host.Microsandbox.Internal", qtype, 0x5151, rd);
	struct sbgw_addr a = test_addr(addr);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	const ldns_rr *rr;
	char *text;
	ldns_pkt *r;
	size_t n;

	parse_ok(&w, &q);
	n = sbgw_dns_host_alias(&q, &a, out, sizeof(out));
	assert_true(n > 0);
	r = pkt_of(out, n);
	assert_int_equal(ldns_pkt_id(r), 0x5151);
	assert_true(ldns_pkt_qr(r));
	assert_true(ldns_pkt_aa(r));
	assert_true(ldns_pkt_ra(r));
	assert_int_equal(ldns_pkt_rd(r), rd);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_qdcount(r), 1);
	assert_int_equal(ldns_pkt_ancount(r), 1);
	assert_int_equal(ldns_pkt_nscount(r), 0);
	assert_int_equal(ldns_pkt_arcount(r), 0);
	assert_memory_equal(out + LDNS_HEADER_SIZE, q.question, q.question_len);
	rr = ldns_rr_list_rr(ldns_pkt_answer(r), 0);
	assert_int_equal(ldns_rr_get_type(rr), qtype);
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_IN);
	assert_int_equal(ldns_rr_ttl(rr), SBGW_DNS_HOST_ALIAS_TTL);
	assert_int_equal(ldns_dname_compare(ldns_rr_owner(rr),
					    ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(r), 0))),
			 0);
	text = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	assert_string_equal(text, want);
	free(text);
	ldns_pkt_free(r);
	wire_free(&w);
}

static void host_alias_a_gateway_ipv4(void **state)
{
	(void)state;
	check_host_alias(LDNS_RR_TYPE_A, true, "172.16.0.1", "172.16.0.1");
}

static void host_alias_aaaa_gateway_ipv6(void **state)
{
	(void)state;
	check_host_alias(LDNS_RR_TYPE_AAAA, false, "fd42:6d73:62::1", "fd42:6d73:62::1");
}

static void host_alias_family_mismatch_zero(void **state)
{
	struct wire w = query_wire(SBGW_DNS_HOST_ALIAS, LDNS_RR_TYPE_A, 1, true);
	struct wire mx = query_wire(SBGW_DNS_HOST_ALIAS, LDNS_RR_TYPE_MX, 1, true);
	struct sbgw_addr v6 = test_addr("fd42:6d73:62::1"), v4 = test_addr("172.16.0.1");
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];

	(void)state;
	parse_ok(&w, &q);
	assert_int_equal(sbgw_dns_host_alias(&q, &v6, out, sizeof(out)), 0);
	parse_ok(&mx, &q);
	assert_int_equal(sbgw_dns_host_alias(&q, &v4, out, sizeof(out)), 0);
	wire_free(&w);
	wire_free(&mx);
}

static void host_alias_small_buffer_zero(void **state)
{
	struct wire w = query_wire(SBGW_DNS_HOST_ALIAS, LDNS_RR_TYPE_A, 1, true);
	struct sbgw_addr v4 = test_addr("172.16.0.1");
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	size_t full;

	(void)state;
	parse_ok(&w, &q);
	full = sbgw_dns_host_alias(&q, &v4, out, sizeof(out));
	assert_true(full > 0);
	assert_int_equal(sbgw_dns_host_alias(&q, &v4, out, full - 1), 0);
	wire_free(&w);
}

/* ---- Matching the upstream's answer ------------------------------------------ */

static const char *const one_a[] = {"www.example.com. 300 IN A 93.184.216.34", NULL};

/* Does a response built from pkt answer the query for www.example.com A, id 77? */
static bool answers(ldns_pkt *pkt)
{
	struct wire qw = query_wire("www.example.com", LDNS_RR_TYPE_A, 0x9999, true);
	struct sbgw_dns_question q;
	struct wire w = wire_of_pkt(pkt);
	bool ok;

	parse_ok(&qw, &q);
	ok = sbgw_dns_answers(w.data, w.len, 77, &q);
	wire_free(&w);
	wire_free(&qw);
	return ok;
}

static void answers_matching_response_true(void **state)
{
	(void)state;
	assert_true(answers(response_pkt("www.example.com", LDNS_RR_TYPE_A, 77, LDNS_RCODE_NOERROR,
					 one_a)));
}

static void answers_name_case_differs_true(void **state)
{
	(void)state;
	assert_true(answers(response_pkt("WWW.EXAMPLE.com", LDNS_RR_TYPE_A, 77,
					 LDNS_RCODE_NXDOMAIN, NULL)));
}

static void answers_wrong_id_false(void **state)
{
	(void)state;
	assert_false(answers(response_pkt("www.example.com", LDNS_RR_TYPE_A, 78,
					  LDNS_RCODE_NOERROR, one_a)));
}

static void answers_wrong_name_false(void **state)
{
	(void)state;
	assert_false(answers(response_pkt("www.example.org", LDNS_RR_TYPE_A, 77,
					  LDNS_RCODE_NOERROR, NULL)));
	assert_false(answers(response_pkt("ww.example.com", LDNS_RR_TYPE_A, 77,
					  LDNS_RCODE_NOERROR, NULL)));
}

static void answers_wrong_type_false(void **state)
{
	(void)state;
	assert_false(answers(response_pkt("www.example.com", LDNS_RR_TYPE_AAAA, 77,
					  LDNS_RCODE_NOERROR, NULL)));
}

static void answers_qr_clear_false(void **state)
{
	ldns_pkt *pkt = response_pkt("www.example.com", LDNS_RR_TYPE_A, 77, LDNS_RCODE_NOERROR,
				     one_a);

	(void)state;
	ldns_pkt_set_qr(pkt, false);
	assert_false(answers(pkt));
}

static void answers_two_questions_false(void **state)
{
	ldns_pkt *pkt = response_pkt("www.example.com", LDNS_RR_TYPE_A, 77, LDNS_RCODE_NOERROR,
				     one_a);

	(void)state;
	push_question(pkt, "www.example.com", LDNS_RR_TYPE_A);
	assert_false(answers(pkt));
}

static void answers_no_question_false(void **state)
{
	ldns_pkt *pkt = response_pkt(NULL, LDNS_RR_TYPE_A, 77, LDNS_RCODE_SERVFAIL, NULL);

	(void)state;
	assert_false(answers(pkt));
}

static void answers_truncated_message_false(void **state)
{
	struct wire qw = query_wire("www.example.com", LDNS_RR_TYPE_A, 1, true);
	struct wire full = wire_of_pkt(response_pkt("www.example.com", LDNS_RR_TYPE_A, 77,
						    LDNS_RCODE_NOERROR, one_a));
	struct wire w = wire_of_bytes(full.data, full.len - 1);
	struct sbgw_dns_question q;

	(void)state;
	parse_ok(&qw, &q);
	assert_false(sbgw_dns_answers(w.data, w.len, 77, &q));
	wire_free(&w);
	wire_free(&full);
	wire_free(&qw);
}

static void rcode_header_read(void **state)
{
	struct wire w = wire_of_pkt(response_pkt("www.example.com", LDNS_RR_TYPE_A, 77,
						 LDNS_RCODE_REFUSED, NULL));

	(void)state;
	assert_int_equal(sbgw_dns_rcode(w.data, w.len), LDNS_RCODE_REFUSED);
	assert_int_equal(sbgw_dns_rcode(w.data, LDNS_HEADER_SIZE - 1), 0);
	wire_free(&w);
}

/* ---- Finishing the answer for the guest -------------------------------------- */

/* A NOERROR answer for name with n A records; bigger than 512 bytes for n >= 40. */
static struct wire big_answer(const char *name, uint16_t id, unsigned int n)
{
	ldns_pkt *pkt = response_pkt(name, LDNS_RR_TYPE_A, id, LDNS_RCODE_NOERROR, NULL);
	char text[128];

	for (unsigned int i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%s. 60 IN A 198.51.%u.%u", name, i / 250, i % 250);
		push_rr(pkt, LDNS_SECTION_ANSWER, text);
	}
	return wire_of_pkt(pkt);
}

static void finish_guest_id_restored(void **state)
{
	struct wire qw = query_wire("www.example.com", LDNS_RR_TYPE_A, 0x1111, true);
	struct wire w = wire_of_pkt(response_pkt("www.example.com", LDNS_RR_TYPE_A, 0x2222,
						 LDNS_RCODE_NOERROR, one_a));
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	size_t n;

	(void)state;
	parse_ok(&qw, &q);
	n = sbgw_dns_finish(w.data, w.len, &q, true, out, sizeof(out));
	assert_int_equal(n, w.len);
	assert_int_equal(ldns_read_uint16(out), 0x1111);
	assert_memory_equal(out + 2, w.data + 2, w.len - 2);
	wire_free(&w);
	wire_free(&qw);
}

static void finish_oversize_udp_truncated_with_question(void **state)
{
	struct wire qw = query_wire("www.example.com", LDNS_RR_TYPE_A, 0x1111, true);
	struct wire w = big_answer("www.example.com", 0x2222, 60);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	ldns_pkt *r;
	size_t n;

	(void)state;
	parse_ok(&qw, &q);
	assert_true(w.len > 512);
	n = sbgw_dns_finish(w.data, w.len, &q, true, out, sizeof(out));
	assert_int_equal(n, LDNS_HEADER_SIZE + q.question_len);
	r = pkt_of(out, n);
	assert_int_equal(ldns_pkt_id(r), 0x1111);
	assert_true(ldns_pkt_qr(r));
	assert_true(ldns_pkt_tc(r));
	assert_true(ldns_pkt_ra(r));
	assert_true(ldns_pkt_rd(r));
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_qdcount(r), 1);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_int_equal(ldns_pkt_nscount(r), 0);
	assert_int_equal(ldns_pkt_arcount(r), 0);
	assert_memory_equal(out + LDNS_HEADER_SIZE, q.question, q.question_len);
	ldns_pkt_free(r);
	wire_free(&w);
	wire_free(&qw);
}

static void finish_within_edns_size_kept(void **state)
{
	ldns_pkt *qp = query_pkt("www.example.com", LDNS_RR_TYPE_A, 0x1111, true);
	struct wire w = big_answer("www.example.com", 0x2222, 60);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	struct wire qw;

	(void)state;
	ldns_pkt_set_edns_udp_size(qp, 1232);
	qw = wire_of_pkt(qp);
	parse_ok(&qw, &q);
	assert_true(w.len > 512 && w.len <= 1232);
	assert_int_equal(sbgw_dns_finish(w.data, w.len, &q, true, out, sizeof(out)), w.len);
	wire_free(&w);
	wire_free(&qw);
}

static void finish_tcp_never_truncated(void **state)
{
	struct wire qw = query_wire("www.example.com", LDNS_RR_TYPE_A, 0x1111, true);
	struct wire w = big_answer("www.example.com", 0x2222, 60);
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];

	(void)state;
	parse_ok(&qw, &q);
	assert_int_equal(sbgw_dns_finish(w.data, w.len, &q, false, out, sizeof(out)), w.len);
	assert_int_equal(ldns_read_uint16(out), 0x1111);
	assert_false(LDNS_TC_WIRE(out));
	wire_free(&w);
	wire_free(&qw);
}

static void finish_small_buffer_zero(void **state)
{
	struct wire qw = query_wire("www.example.com", LDNS_RR_TYPE_A, 0x1111, true);
	struct wire w = wire_of_pkt(response_pkt("www.example.com", LDNS_RR_TYPE_A, 0x2222,
						 LDNS_RCODE_NOERROR, one_a));
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];

	(void)state;
	parse_ok(&qw, &q);
	assert_int_equal(sbgw_dns_finish(w.data, w.len, &q, false, out, w.len - 1), 0);
	assert_int_equal(sbgw_dns_finish(w.data, LDNS_HEADER_SIZE - 1, &q, false, out, sizeof(out)),
			 0);
	wire_free(&w);
	wire_free(&qw);
}

static void upstream_query_id_rewritten_rest_kept(void **state)
{
	ldns_pkt *qp = query_pkt("www.example.com", LDNS_RR_TYPE_A, 0x1111, true);
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	struct wire w;
	size_t n;

	(void)state;
	ldns_pkt_set_edns_udp_size(qp, 1232);
	w = wire_of_pkt(qp);
	n = sbgw_dns_upstream_query(w.data, w.len, 0xfeed, out, sizeof(out));
	assert_int_equal(n, w.len);
	assert_int_equal(ldns_read_uint16(out), 0xfeed);
	assert_memory_equal(out + 2, w.data + 2, w.len - 2);
	assert_int_equal(sbgw_dns_upstream_query(w.data, w.len, 1, out, w.len - 1), 0);
	wire_free(&w);
}

/*
 * Found by tests/fuzz/dns_query_fuzz: the answer section of a query names
 * its record by a pointer to offset 1, inside the ID. Under the upstream
 * ID the name reads differently (here: a label past the end), so the
 * query is not forwarded.
 */
static void upstream_query_name_reading_the_id_refused(void **state)
{
	static const uint8_t bytes[] = {
		0x00, 0x00, 0x09, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x02, 0x41, 0x5c,                   /* root, type 2, class 0x415c */
		0xc0, 0x01, 0x08, 0x00, 0x04, 0x01, 0x00, 0x00, /* owner -> offset 1 */
		0x00, 0x00, 0x00, 0x02, 0x41, 0x5c,
	};
	struct sbgw_dns_question q;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));

	(void)state;
	assert_int_equal(sbgw_dns_parse_query(w.data, w.len, &q), SBGW_DNS_QUERY_OK);
	assert_int_equal(sbgw_dns_upstream_query(w.data, w.len, 0x4242, out, sizeof(out)), 0);
	/* The same ID keeps the meaning: nothing to refuse. */
	assert_int_equal(sbgw_dns_upstream_query(w.data, w.len, 0x0000, out, sizeof(out)), w.len);
	wire_free(&w);
}

/* C0 00 inside an EDNS option (a cookie) is data, not a pointer: forwarded as is. */
static void upstream_query_pointer_like_bytes_in_data_kept(void **state)
{
	static const uint8_t bytes[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00, 0x00, 0x01, 0x00, 0x01,
		0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, /* OPT, 12 bytes */
		0x00, 0x0a, 0x00, 0x08, 0xc0, 0x00, 0xc0, 0x01, 0x11, 0x22, 0x33, 0x44,
	};
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));

	(void)state;
	assert_int_equal(sbgw_dns_upstream_query(w.data, w.len, 0xbeef, out, sizeof(out)), w.len);
	assert_int_equal(ldns_read_uint16(out), 0xbeef);
	assert_memory_equal(out + 2, w.data + 2, w.len - 2);
	wire_free(&w);
}

/* ---- Names for logs ----------------------------------------------------------- */

static void type_name_known_mnemonic(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(sbgw_dns_type_name(LDNS_RR_TYPE_A, buf, sizeof(buf)), "A");
	assert_string_equal(sbgw_dns_type_name(LDNS_RR_TYPE_AAAA, buf, sizeof(buf)), "AAAA");
	assert_string_equal(sbgw_dns_type_name(LDNS_RR_TYPE_MX, buf, sizeof(buf)), "MX");
	assert_string_equal(sbgw_dns_type_name(LDNS_RR_TYPE_TXT, buf, sizeof(buf)), "TXT");
}

static void type_name_unknown_generic(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(sbgw_dns_type_name(65280, buf, sizeof(buf)), "TYPE65280");
	assert_string_equal(sbgw_dns_type_name(123, buf, sizeof(buf)), "TYPE123");
}

static void rcode_name_known_and_unassigned(void **state)
{
	(void)state;
	assert_string_equal(sbgw_dns_rcode_name(LDNS_RCODE_NOERROR), "NOERROR");
	assert_string_equal(sbgw_dns_rcode_name(LDNS_RCODE_NXDOMAIN), "NXDOMAIN");
	assert_string_equal(sbgw_dns_rcode_name(LDNS_RCODE_SERVFAIL), "SERVFAIL");
	assert_string_equal(sbgw_dns_rcode_name(LDNS_RCODE_FORMERR), "FORMERR");
	assert_string_equal(sbgw_dns_rcode_name(12), "RCODE12");
	assert_string_equal(sbgw_dns_rcode_name(200), "RCODE?");
}

static void ldns_strerror_unknown_status_message(void **state)
{
	(void)state;
	assert_string_equal(sbgw_dns_ldns_strerror(LDNS_STATUS_OK), "All OK");
	assert_string_equal(sbgw_dns_ldns_strerror(-12345), "unknown ldns error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_garbage_malformed),
		cmocka_unit_test(parse_short_header_malformed),
		cmocka_unit_test(parse_qr_set_malformed),
		cmocka_unit_test(parse_truncated_question_malformed),
		cmocka_unit_test(parse_no_question_formerr),
		cmocka_unit_test(parse_two_questions_formerr),
		cmocka_unit_test(parse_question_pointer_into_header_formerr),
		cmocka_unit_test(parse_question_pointer_to_itself_not_ok),
		cmocka_unit_test(parse_simple_query_ok),
		cmocka_unit_test(parse_rd_clear_read),
		cmocka_unit_test(parse_no_opt_udp_size_512),
		cmocka_unit_test(parse_edns_udp_size_read),
		cmocka_unit_test(parse_edns_small_udp_size_512),
		cmocka_unit_test(parse_edns_huge_udp_size_clamped),
		cmocka_unit_test(parse_uppercase_name_lowercased_question_kept),
		cmocka_unit_test(parse_trailing_dot_dropped),
		cmocka_unit_test(parse_root_name_empty),
		cmocka_unit_test(parse_space_in_label_escaped_invalid),
		cmocka_unit_test(parse_dot_in_label_escaped_invalid),
		cmocka_unit_test(parse_wildcard_name_invalid),
		cmocka_unit_test(parse_long_escaped_name_cut_invalid),
		cmocka_unit_test(synthesize_nxdomain_echoes_query_without_authority),
		cmocka_unit_test(synthesize_rd_clear_echoed),
		cmocka_unit_test(synthesize_servfail_rcode_set),
		cmocka_unit_test(synthesize_empty_noerror_no_records),
		cmocka_unit_test(synthesize_formerr_two_questions_echoes_first),
		cmocka_unit_test(synthesize_formerr_no_question_qdcount_zero),
		cmocka_unit_test(synthesize_opcode_echoed),
		cmocka_unit_test(synthesize_small_buffer_zero),
		cmocka_unit_test(is_host_alias_spellings_true),
		cmocka_unit_test(is_host_alias_other_names_false),
		cmocka_unit_test(host_alias_a_gateway_ipv4),
		cmocka_unit_test(host_alias_aaaa_gateway_ipv6),
		cmocka_unit_test(host_alias_family_mismatch_zero),
		cmocka_unit_test(host_alias_small_buffer_zero),
		cmocka_unit_test(answers_matching_response_true),
		cmocka_unit_test(answers_name_case_differs_true),
		cmocka_unit_test(answers_wrong_id_false),
		cmocka_unit_test(answers_wrong_name_false),
		cmocka_unit_test(answers_wrong_type_false),
		cmocka_unit_test(answers_qr_clear_false),
		cmocka_unit_test(answers_two_questions_false),
		cmocka_unit_test(answers_no_question_false),
		cmocka_unit_test(answers_truncated_message_false),
		cmocka_unit_test(rcode_header_read),
		cmocka_unit_test(finish_guest_id_restored),
		cmocka_unit_test(finish_oversize_udp_truncated_with_question),
		cmocka_unit_test(finish_within_edns_size_kept),
		cmocka_unit_test(finish_tcp_never_truncated),
		cmocka_unit_test(finish_small_buffer_zero),
		cmocka_unit_test(upstream_query_id_rewritten_rest_kept),
		cmocka_unit_test(upstream_query_name_reading_the_id_refused),
		cmocka_unit_test(upstream_query_pointer_like_bytes_in_data_kept),
		cmocka_unit_test(type_name_known_mnemonic),
		cmocka_unit_test(type_name_unknown_generic),
		cmocka_unit_test(rcode_name_known_and_unassigned),
		cmocka_unit_test(ldns_strerror_unknown_status_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
