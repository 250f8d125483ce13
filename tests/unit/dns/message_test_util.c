/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "message.h"
#include "message_test_util.h"

struct wire wire_of_bytes(const void *bytes, size_t len)
{
	struct wire w = {.data = malloc(len > 0 ? len : 1), .len = len};

	assert_non_null(w.data);
	if (len > 0)
		memcpy(w.data, bytes, len);
	return w;
}

struct wire wire_of_pkt(ldns_pkt *pkt)
{
	uint8_t *buf = NULL;
	struct wire w;
	size_t len = 0;

	assert_int_equal(ldns_pkt2wire(&buf, pkt, &len), LDNS_STATUS_OK);
	w = wire_of_bytes(buf, len);
	free(buf);
	ldns_pkt_free(pkt);
	return w;
}

void wire_free(struct wire *w)
{
	free(w->data);
	w->data = NULL;
	w->len = 0;
}

static ldns_rdf *dname(const char *name)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);

	if (d == NULL)
		fail_msg("bad test name \"%s\"", name);
	return d;
}

ldns_pkt *query_pkt(const char *name, ldns_rr_type type, uint16_t id, bool rd)
{
	ldns_pkt *pkt = ldns_pkt_query_new(dname(name), type, LDNS_RR_CLASS_IN, rd ? LDNS_RD : 0);

	assert_non_null(pkt);
	ldns_pkt_set_id(pkt, id);
	return pkt;
}

struct wire query_wire(const char *name, ldns_rr_type type, uint16_t id, bool rd)
{
	return wire_of_pkt(query_pkt(name, type, id, rd));
}

struct wire raw_query(const uint8_t *name, size_t name_len, uint16_t id)
{
	uint8_t buf[LDNS_HEADER_SIZE + 256 + 4] = {0};

	assert_true(name_len <= 256);
	ldns_write_uint16(buf, id);
	LDNS_RD_SET(buf);
	ldns_write_uint16(buf + LDNS_QDCOUNT_OFF, 1);
	memcpy(buf + LDNS_HEADER_SIZE, name, name_len);
	ldns_write_uint16(buf + LDNS_HEADER_SIZE + name_len, LDNS_RR_TYPE_A);
	ldns_write_uint16(buf + LDNS_HEADER_SIZE + name_len + 2, LDNS_RR_CLASS_IN);
	return wire_of_bytes(buf, LDNS_HEADER_SIZE + name_len + 4);
}

void push_question(ldns_pkt *pkt, const char *name, ldns_rr_type type)
{
	ldns_rr *rr = ldns_rr_new();

	assert_non_null(rr);
	ldns_rr_set_owner(rr, dname(name));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(rr, true);
	assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr));
}

void push_rr(ldns_pkt *pkt, ldns_pkt_section section, const char *text)
{
	ldns_rr *rr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);

	if (st != LDNS_STATUS_OK)
		fail_msg("bad test record \"%s\": %s", text, sbgw_dns_ldns_strerror(st));
	assert_true(ldns_pkt_push_rr(pkt, section, rr));
}

ldns_pkt *response_pkt(const char *qname, ldns_rr_type qtype, uint16_t id, ldns_pkt_rcode rcode,
		       const char *const *rrs)
{
	ldns_pkt *pkt = ldns_pkt_new();

	assert_non_null(pkt);
	ldns_pkt_set_id(pkt, id);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_rd(pkt, true);
	ldns_pkt_set_ra(pkt, true);
	ldns_pkt_set_rcode(pkt, rcode);
	if (qname != NULL)
		push_question(pkt, qname, qtype);
	for (size_t i = 0; rrs != NULL && rrs[i] != NULL; i++)
		push_rr(pkt, LDNS_SECTION_ANSWER, rrs[i]);
	return pkt;
}

ldns_pkt *pkt_of(const uint8_t *wire, size_t len)
{
	ldns_pkt *pkt = NULL;
	ldns_status st = ldns_wire2pkt(&pkt, wire, len);

	if (st != LDNS_STATUS_OK)
		fail_msg("output does not parse: %s", sbgw_dns_ldns_strerror(st));
	return pkt;
}
