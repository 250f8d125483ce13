/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/dns message tests: DNS messages built with ldns (so
 * that the code under test is checked against an independent encoder),
 * each copied into a heap buffer of exactly its length so that
 * AddressSanitizer catches a read past the end. Every helper fails the
 * test on error.
 */
#ifndef SBGW_TEST_DNS_MESSAGE_UTIL_H
#define SBGW_TEST_DNS_MESSAGE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct wire {
	uint8_t *data; /* malloc'd, exactly len bytes (at least 1 so that malloc(0) is not NULL) */
	size_t len;
};

struct wire wire_of_bytes(const void *bytes, size_t len);
/* Encode pkt and free it. */
struct wire wire_of_pkt(ldns_pkt *pkt);
void wire_free(struct wire *w);

/* A query for name (presentation format) with type, id and the RD flag. */
ldns_pkt *query_pkt(const char *name, ldns_rr_type type, uint16_t id, bool rd);
struct wire query_wire(const char *name, ldns_rr_type type, uint16_t id, bool rd);
/* A query whose question name is given as raw wire bytes (any label content). */
struct wire raw_query(const uint8_t *name, size_t name_len, uint16_t id);

/*
 * A response (QR, RD, RA set) with question (qname, qtype, IN), unless
 * qname is NULL, and the answer records rrs[] (zone-file lines, NULL
 * terminated; rrs itself may be NULL).
 */
ldns_pkt *response_pkt(const char *qname, ldns_rr_type qtype, uint16_t id, ldns_pkt_rcode rcode,
		       const char *const *rrs);
void push_question(ldns_pkt *pkt, const char *name, ldns_rr_type type);
void push_rr(ldns_pkt *pkt, ldns_pkt_section section, const char *text);

/* Parse a message the code under test wrote; free with ldns_pkt_free(). */
ldns_pkt *pkt_of(const uint8_t *wire, size_t len);

#endif
