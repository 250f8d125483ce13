/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the interceptor reads out of an upstream's answer: rebind
 * protection (semantics §3.4) and the pins (§3.5); and a sweep of cut and
 * corrupted messages through every reader, which must neither crash nor
 * read past the end (run under AddressSanitizer).
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

/* ---- Rebind protection ------------------------------------------------------- */

/* Rule.allow_dns() as the config module expands it, then rules[]. */
#define ALLOW_DNS "allow udp port 53 to any", "allow tcp port 53 to any"

/* Does an A (or AAAA, chosen by the address) answer holding addr rebind under p? */
static bool rebinds(const struct sbgw_policy *p, const char *addr)
{
	struct sbgw_host_addrs host = test_host();
	bool v6 = strchr(addr, ':') != NULL;
	char text[128];
	const char *rrs[] = {text, NULL};
	struct wire w;
	bool bad;

	snprintf(text, sizeof(text), "www.example.com. 60 IN %s %s", v6 ? "AAAA" : "A", addr);
	w = wire_of_pkt(response_pkt("www.example.com", v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A, 1,
				     LDNS_RCODE_NOERROR, rrs));
	bad = sbgw_dns_rebinds(w.data, w.len, p, &host);
	wire_free(&w);
	return bad;
}

static void public_only(struct sbgw_policy *p)
{
	test_policy(p, "deny/allow", ALLOW_DNS, "allow to group public", RULES_END);
}

static void public_and_private(struct sbgw_policy *p)
{
	test_policy(p, "deny/allow", ALLOW_DNS, "allow to group public", "allow to group private",
		    RULES_END);
}

static void rebinds_public_answer_false(void **state)
{
	struct sbgw_policy p;

	(void)state;
	public_only(&p);
	assert_false(rebinds(&p, "93.184.216.34"));
	assert_false(rebinds(&p, "2606:2800:220:1:248:1893:25c8:1946"));
	sbgw_policy_clear(&p);
}

static void rebinds_private_under_public_only_true(void **state)
{
	struct sbgw_policy p;

	(void)state;
	public_only(&p);
	assert_true(rebinds(&p, "10.0.0.5"));
	assert_true(rebinds(&p, "192.168.1.1"));
	assert_true(rebinds(&p, "fd00::1"));
	sbgw_policy_clear(&p);
}

static void rebinds_private_allowed_explicitly_false(void **state)
{
	struct sbgw_policy p;

	(void)state;
	public_and_private(&p);
	assert_false(rebinds(&p, "10.0.0.5"));
	assert_false(rebinds(&p, "fd00::1"));
	sbgw_policy_clear(&p);
}

static void rebinds_loopback_under_private_allow_true(void **state)
{
	struct sbgw_policy p;

	(void)state;
	public_and_private(&p);
	assert_true(rebinds(&p, "127.0.0.1"));
	assert_true(rebinds(&p, "169.254.1.1"));
	assert_true(rebinds(&p, "0.0.0.0"));
	assert_true(rebinds(&p, "::1"));
	sbgw_policy_clear(&p);
}

static void rebinds_loopback_admitted_explicitly_false(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", ALLOW_DNS, "allow to 127.0.0.1/32", RULES_END);
	assert_false(rebinds(&p, "127.0.0.1"));
	assert_true(rebinds(&p, "127.0.0.2"));
	sbgw_policy_clear(&p);
}

static void rebinds_mapped_private_public_only_true(void **state)
{
	struct sbgw_policy p;

	(void)state;
	public_only(&p);
	/* ::ffff:10.0.0.1 is 10.0.0.1 (semantics §2.4), not a public IPv6 address. */
	assert_true(rebinds(&p, "::ffff:10.0.0.1"));
	assert_false(rebinds(&p, "::ffff:93.184.216.34"));
	sbgw_policy_clear(&p);
}

static void rebinds_mapped_private_ipv4_allow_false(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", ALLOW_DNS, "allow to 10.0.0.0/8", RULES_END);
	assert_false(rebinds(&p, "::ffff:10.0.0.1"));
	sbgw_policy_clear(&p);
}

static void rebinds_deny_before_allow_true(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "deny to 10.20.30.40/32", "allow to group private", RULES_END);
	assert_true(rebinds(&p, "10.20.30.40"));
	assert_false(rebinds(&p, "10.20.30.41"));
	sbgw_policy_clear(&p);
}

static void rebinds_allow_all_preset_true(void **state)
{
	struct sbgw_policy p = {0};

	(void)state;
	assert_int_equal(sbgw_policy_preset(&p, SBGW_PRESET_ALLOW_ALL), 0);
	assert_true(rebinds(&p, "10.20.30.40"));
	assert_false(rebinds(&p, "1.1.1.1"));
	sbgw_policy_clear(&p);
}

static void rebinds_port_scoped_allow_true(void **state)
{
	struct sbgw_policy p;

	(void)state;
	test_policy(&p, "deny/allow", "allow tcp port 443 to group private", RULES_END);
	assert_true(rebinds(&p, "10.0.0.5"));
	sbgw_policy_clear(&p);
}

static void rebinds_no_policy_true(void **state)
{
	(void)state;
	assert_true(rebinds(NULL, "10.0.0.5"));
	assert_false(rebinds(NULL, "1.1.1.1"));
}

static void rebinds_one_bad_record_of_many_true(void **state)
{
	static const char *const rrs[] = {
		"www.example.com. 60 IN CNAME cdn.example.net.",
		"cdn.example.net. 60 IN A 93.184.216.34",
		"cdn.example.net. 60 IN A 10.1.2.3",
		NULL,
	};
	struct sbgw_host_addrs host = test_host();
	struct sbgw_policy p;
	struct wire w;

	(void)state;
	public_only(&p);
	w = wire_of_pkt(response_pkt("www.example.com", LDNS_RR_TYPE_A, 1, LDNS_RCODE_NOERROR, rrs));
	assert_true(sbgw_dns_rebinds(w.data, w.len, &p, &host));
	wire_free(&w);
	sbgw_policy_clear(&p);
}

static void rebinds_other_sections_ignored_false(void **state)
{
	static const char *const rrs[] = {"www.example.com. 60 IN A 93.184.216.34", NULL};
	struct sbgw_host_addrs host = test_host();
	struct sbgw_policy p;
	ldns_pkt *pkt;
	struct wire w;

	(void)state;
	public_only(&p);
	pkt = response_pkt("www.example.com", LDNS_RR_TYPE_A, 1, LDNS_RCODE_NOERROR, rrs);
	push_rr(pkt, LDNS_SECTION_AUTHORITY, "example.com. 60 IN NS ns.example.com.");
	push_rr(pkt, LDNS_SECTION_ADDITIONAL, "ns.example.com. 60 IN A 10.0.0.53");
	w = wire_of_pkt(pkt);
	assert_false(sbgw_dns_rebinds(w.data, w.len, &p, &host));
	wire_free(&w);
	sbgw_policy_clear(&p);
}

static void rebinds_unparseable_true(void **state)
{
	static const uint8_t bytes[] = {0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 'w'};
	struct sbgw_host_addrs host = test_host();
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));
	struct sbgw_policy p;

	(void)state;
	public_only(&p);
	assert_true(sbgw_dns_rebinds(w.data, w.len, &p, &host));
	wire_free(&w);
	sbgw_policy_clear(&p);
}

/* ---- Pins ---------------------------------------------------------------------- */

struct pins {
	unsigned int n;
	uint32_t ttl;
	struct sbgw_addr addrs[SBGW_DNS_MAX_PINS];
};

static struct pins extract(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
			   const char *const *rrs, unsigned int max)
{
	struct wire w = wire_of_pkt(response_pkt(qname, qtype, 1, rcode, rrs));
	struct pins p;

	memset(&p, 0, sizeof(p));
	assert_true(max <= SBGW_DNS_MAX_PINS);
	p.n = sbgw_dns_extract_pins(w.data, w.len, qname, qtype, p.addrs, max, &p.ttl);
	wire_free(&w);
	return p;
}

static void assert_pinned(const struct pins *p, unsigned int i, const char *addr)
{
	struct sbgw_addr want = test_addr(addr);

	assert_true(i < p->n);
	if (!sbgw_addr_equal(&p->addrs[i], &want)) {
		char got[SBGW_ADDR_STRLEN];

		fail_msg("pin %u is %s, want %s", i,
			 sbgw_addr_format(&p->addrs[i], got, sizeof(got)), addr);
	}
}

static void pins_cname_chain_min_ttl(void **state)
{
	static const char *const rrs[] = {
		"www.example.com. 300 IN CNAME cdn.example.net.",
		"cdn.example.net. 120 IN CNAME edge.cdn.example.",
		"edge.cdn.example. 200 IN A 93.184.216.34",
		"edge.cdn.example. 600 IN A 93.184.216.35",
		NULL,
	};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 2);
	assert_pinned(&p, 0, "93.184.216.34");
	assert_pinned(&p, 1, "93.184.216.35");
	assert_int_equal(p.ttl, 120);
}

static void pins_chain_out_of_order_followed(void **state)
{
	static const char *const rrs[] = {
		"edge.cdn.example. 200 IN A 93.184.216.34",
		"cdn.example.net. 120 IN CNAME edge.cdn.example.",
		"www.example.com. 300 IN CNAME cdn.example.net.",
		NULL,
	};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 1);
	assert_pinned(&p, 0, "93.184.216.34");
	assert_int_equal(p.ttl, 120);
}

static void pins_direct_answer_record_ttl(void **state)
{
	static const char *const rrs[] = {"www.example.com. 3600 IN A 1.2.3.4", NULL};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 1);
	assert_pinned(&p, 0, "1.2.3.4");
	assert_int_equal(p.ttl, 3600);
}

static void pins_zero_ttl_floored_to_one(void **state)
{
	static const char *const rrs[] = {
		"www.example.com. 300 IN A 1.2.3.4",
		"www.example.com. 0 IN A 1.2.3.5",
		NULL,
	};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.ttl, SBGW_DNS_PIN_TTL_MIN);
}

static void pins_unrelated_owner_not_pinned(void **state)
{
	static const char *const rrs[] = {
		"www.example.com. 300 IN A 1.2.3.4",
		"evil.example. 300 IN A 6.6.6.6",
		"other.example. 300 IN CNAME evil2.example.",
		"evil2.example. 300 IN A 6.6.6.7",
		NULL,
	};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 1);
	assert_pinned(&p, 0, "1.2.3.4");
	/* The unrelated CNAME's TTL is not ours either. */
	assert_int_equal(p.ttl, 300);
}

static void pins_owner_case_insensitive(void **state)
{
	static const char *const rrs[] = {
		"WWW.Example.COM. 300 IN CNAME CDN.example.NET.",
		"cdn.EXAMPLE.net. 300 IN A 1.2.3.4",
		NULL,
	};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 1);
	assert_pinned(&p, 0, "1.2.3.4");
}

static void pins_aaaa_query_takes_only_aaaa(void **state)
{
	static const char *const rrs[] = {
		"www.example.com. 300 IN A 1.2.3.4",
		"www.example.com. 300 IN AAAA 2001:4860::1",
		NULL,
	};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, rrs,
		    SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 1);
	assert_pinned(&p, 0, "2001:4860::1");
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 1);
	assert_pinned(&p, 0, "1.2.3.4");
}

static void pins_mapped_aaaa_normalised_to_ipv4(void **state)
{
	static const char *const rrs[] = {"www.example.com. 300 IN AAAA ::ffff:1.2.3.4", NULL};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, rrs,
		    SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.addrs[0].family, AF_INET);
	assert_pinned(&p, 0, "1.2.3.4");
}

static void pins_nxdomain_none(void **state)
{
	static const char *const rrs[] = {"www.example.com. 300 IN A 1.2.3.4", NULL};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.ttl, 0);
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 0);
}

static void pins_empty_noerror_none(void **state)
{
	static const char *const rrs[] = {"www.example.com. 300 IN CNAME cdn.example.net.", NULL};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.ttl, 0);
}

static void pins_other_qtype_none(void **state)
{
	static const char *const rrs[] = {
		"www.example.com. 300 IN MX 10 mail.example.com.",
		"mail.example.com. 300 IN A 1.2.3.4",
		"www.example.com. 300 IN A 1.2.3.5",
		NULL,
	};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 0);
}

static void pins_cname_loop_terminates(void **state)
{
	static const char *const rrs[] = {
		"a.example. 300 IN CNAME b.example.",
		"b.example. 60 IN CNAME a.example.",
		"b.example. 300 IN A 1.2.3.4",
		NULL,
	};
	struct pins p;

	(void)state;
	p = extract("a.example", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 1);
	assert_pinned(&p, 0, "1.2.3.4");
	assert_int_equal(p.ttl, 60);
}

static void pins_chain_longer_than_bound_cut(void **state)
{
	/* n0 -> n1 -> ... -> n24, addresses on n1 and n24. */
	enum { LEN = 24 };
	static char text[LEN + 2][64];
	const char *rrs[LEN + 3];
	struct pins p;

	(void)state;
	for (int i = 0; i < LEN; i++) {
		snprintf(text[i], sizeof(text[i]), "n%d.example. 300 IN CNAME n%d.example.", i,
			 i + 1);
		rrs[i] = text[i];
	}
	snprintf(text[LEN], sizeof(text[LEN]), "n%d.example. 300 IN A 1.2.3.4", LEN);
	snprintf(text[LEN + 1], sizeof(text[LEN + 1]), "n1.example. 300 IN A 5.6.7.8");
	rrs[LEN] = text[LEN];
	rrs[LEN + 1] = text[LEN + 1];
	rrs[LEN + 2] = NULL;
	p = extract("n0.example", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, SBGW_DNS_MAX_PINS);
	assert_int_equal(p.n, 1);
	assert_pinned(&p, 0, "5.6.7.8");
}

static void pins_max_respected_duplicates_dropped(void **state)
{
	static const char *const rrs[] = {
		"www.example.com. 300 IN A 1.2.3.1", "www.example.com. 300 IN A 1.2.3.1",
		"www.example.com. 300 IN A 1.2.3.2", "www.example.com. 300 IN A 1.2.3.3",
		"www.example.com. 30 IN A 1.2.3.4",  NULL,
	};
	struct pins p;

	(void)state;
	p = extract("www.example.com", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrs, 3);
	assert_int_equal(p.n, 3);
	assert_pinned(&p, 0, "1.2.3.1");
	assert_pinned(&p, 1, "1.2.3.2");
	assert_pinned(&p, 2, "1.2.3.3");
	/* Records past max still shorten the life of the set. */
	assert_int_equal(p.ttl, 30);
}

static void pins_unparseable_none(void **state)
{
	static const uint8_t bytes[] = {0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 'w'};
	struct wire w = wire_of_bytes(bytes, sizeof(bytes));
	struct sbgw_addr a[4];
	uint32_t ttl = 99;

	(void)state;
	assert_int_equal(sbgw_dns_extract_pins(w.data, w.len, "w", LDNS_RR_TYPE_A, a, 4, &ttl), 0);
	assert_int_equal(ttl, 0);
	wire_free(&w);
}

/* ---- Cut and corrupted input ------------------------------------------------------ */

/* Run every reader over wire[0..len) in an exact-size copy. */
static void read_everything(const uint8_t *bytes, size_t len)
{
	struct sbgw_host_addrs host = test_host();
	struct wire w = wire_of_bytes(bytes, len);
	struct sbgw_addr addrs[SBGW_DNS_MAX_PINS];
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	struct sbgw_dns_question q;
	struct sbgw_policy p;
	uint32_t ttl;

	public_only(&p);
	if (sbgw_dns_parse_query(w.data, w.len, &q) != SBGW_DNS_QUERY_MALFORMED) {
		assert_true(strlen(q.name) < SBGW_NAME_MAX);
		assert_true(q.question_len <= sizeof(q.question));
		(void)sbgw_dns_synthesize(&q, LDNS_RCODE_NXDOMAIN, out, sizeof(out));
	}
	q.id = 1;
	q.udp_size = 512;
	(void)sbgw_dns_answers(w.data, w.len, 1, &q);
	(void)sbgw_dns_rcode(w.data, w.len);
	(void)sbgw_dns_rebinds(w.data, w.len, &p, &host);
	(void)sbgw_dns_extract_pins(w.data, w.len, "www.example.com", LDNS_RR_TYPE_A, addrs,
				    SBGW_DNS_MAX_PINS, &ttl);
	(void)sbgw_dns_finish(w.data, w.len, &q, true, out, sizeof(out));
	(void)sbgw_dns_upstream_query(w.data, w.len, 2, out, sizeof(out));
	sbgw_policy_clear(&p);
	wire_free(&w);
}

static struct wire sample_answer(void)
{
	static const char *const rrs[] = {
		"www.example.com. 300 IN CNAME cdn.example.net.",
		"cdn.example.net. 120 IN A 93.184.216.34",
		"cdn.example.net. 120 IN AAAA ::ffff:10.0.0.1",
		"cdn.example.net. 120 IN TXT \"hello\"",
		NULL,
	};
	ldns_pkt *pkt = response_pkt("www.example.com", LDNS_RR_TYPE_A, 1, LDNS_RCODE_NOERROR, rrs);

	push_rr(pkt, LDNS_SECTION_AUTHORITY, "example.net. 60 IN NS ns.example.net.");
	ldns_pkt_set_edns_udp_size(pkt, 1232);
	return wire_of_pkt(pkt);
}

static void readers_every_prefix_no_overread(void **state)
{
	struct wire full = sample_answer();
	struct wire query = query_wire("www.example.com", LDNS_RR_TYPE_A, 1, true);

	(void)state;
	for (size_t len = 0; len <= full.len; len++)
		read_everything(full.data, len);
	for (size_t len = 0; len <= query.len; len++)
		read_everything(query.data, len);
	wire_free(&query);
	wire_free(&full);
}

static void readers_corrupted_bytes_no_overread(void **state)
{
	struct wire full = sample_answer();
	uint8_t *copy = malloc(full.len);
	uint32_t seed = 12345;

	(void)state;
	assert_non_null(copy);
	/* A fixed LCG so that a failure reproduces. */
	for (int round = 0; round < 3000; round++) {
		memcpy(copy, full.data, full.len);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % full.len;

			seed = seed * 1103515245u + 12345u;
			copy[at] = (uint8_t)(seed >> 16);
		}
		read_everything(copy, full.len);
	}
	free(copy);
	wire_free(&full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rebinds_public_answer_false),
		cmocka_unit_test(rebinds_private_under_public_only_true),
		cmocka_unit_test(rebinds_private_allowed_explicitly_false),
		cmocka_unit_test(rebinds_loopback_under_private_allow_true),
		cmocka_unit_test(rebinds_loopback_admitted_explicitly_false),
		cmocka_unit_test(rebinds_mapped_private_public_only_true),
		cmocka_unit_test(rebinds_mapped_private_ipv4_allow_false),
		cmocka_unit_test(rebinds_deny_before_allow_true),
		cmocka_unit_test(rebinds_allow_all_preset_true),
		cmocka_unit_test(rebinds_port_scoped_allow_true),
		cmocka_unit_test(rebinds_no_policy_true),
		cmocka_unit_test(rebinds_one_bad_record_of_many_true),
		cmocka_unit_test(rebinds_other_sections_ignored_false),
		cmocka_unit_test(rebinds_unparseable_true),
		cmocka_unit_test(pins_cname_chain_min_ttl),
		cmocka_unit_test(pins_chain_out_of_order_followed),
		cmocka_unit_test(pins_direct_answer_record_ttl),
		cmocka_unit_test(pins_zero_ttl_floored_to_one),
		cmocka_unit_test(pins_unrelated_owner_not_pinned),
		cmocka_unit_test(pins_owner_case_insensitive),
		cmocka_unit_test(pins_aaaa_query_takes_only_aaaa),
		cmocka_unit_test(pins_mapped_aaaa_normalised_to_ipv4),
		cmocka_unit_test(pins_nxdomain_none),
		cmocka_unit_test(pins_empty_noerror_none),
		cmocka_unit_test(pins_other_qtype_none),
		cmocka_unit_test(pins_cname_loop_terminates),
		cmocka_unit_test(pins_chain_longer_than_bound_cut),
		cmocka_unit_test(pins_max_respected_duplicates_dropped),
		cmocka_unit_test(pins_unparseable_none),
		cmocka_unit_test(readers_every_prefix_no_overread),
		cmocka_unit_test(readers_corrupted_bytes_no_overread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
