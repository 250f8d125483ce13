/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS messages as the interceptor handles them (semantics §3.2–§3.6):
 * parse a guest's query, synthesise the gateway's own answers, check and
 * filter an upstream's answer, extract the pins it implies, and finish the
 * response for the guest. Wire format in, wire format out; ldns does the
 * parsing. Pure functions: no sockets, no clocks, no global state, safe on
 * any slow-path thread.
 */
#ifndef SBGW_DNS_MESSAGE_H
#define SBGW_DNS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "policy.h"

#define SBGW_DNS_MAX_MESSAGE 4096 /* semantics appendix B */
#define SBGW_DNS_HOST_ALIAS "host.microsandbox.internal"
#define SBGW_DNS_HOST_ALIAS_TTL 60
#define SBGW_DNS_PIN_TTL_MIN 1
#define SBGW_DNS_MAX_PINS 32        /* addresses kept per (name, family) */
#define SBGW_DNS_MIN_UDP_SIZE 512   /* RFC 1035 limit; also RFC 6891's floor for EDNS */
#define SBGW_DNS_CNAME_NAMES_MAX 16 /* names a pin's CNAME chain may visit (loops stop here) */

enum sbgw_dns_parse_result {
	SBGW_DNS_QUERY_OK,
	SBGW_DNS_QUERY_MALFORMED, /* no answer at all (semantics §3.2 step 1) */
	SBGW_DNS_QUERY_FORMERR,   /* answer FORMERR: not exactly one question, ... */
};

struct sbgw_dns_question {
	uint16_t id;
	uint8_t opcode;
	bool rd;
	/*
	 * As asked, lowercased, without the trailing dot; "" for the root.
	 * Presentation format: a '.' or '\' inside a label is escaped with
	 * '\', a space, control or non-ASCII byte is written \DDD. Such names
	 * are never name_valid. One whose text would not fit (only possible
	 * with escapes) is cut short and ends in a lone '\', so it stays
	 * invalid.
	 */
	char name[SBGW_NAME_MAX];
	bool name_valid; /* name passes the policy's domain grammar (sbgw_name_canonical) */
	uint16_t qtype, qclass;
	bool has_edns;
	/*
	 * The guest's advertised payload size: EDNS, else 512; clamped to
	 * [SBGW_DNS_MIN_UDP_SIZE, SBGW_DNS_MAX_MESSAGE] (RFC 6891 §6.2.5 reads
	 * smaller values as 512, and nothing larger than our buffers is sent).
	 */
	uint16_t udp_size;
	size_t question_len; /* wire bytes of the question section, for echoing */
	uint8_t question[SBGW_NAME_MAX + 4 + 8];
	const char *reason; /* static text, for logs: why MALFORMED or FORMERR; NULL when OK */
};

/*
 * Parse a guest's query. MALFORMED: shorter than a header, QR set, or not
 * parseable (ldns); FORMERR: zero or several questions. On FORMERR, q
 * still holds the id, opcode, rd and (when one could be read) the first
 * question, enough to synthesise the answer. q->reason says why, for logs.
 */
enum sbgw_dns_parse_result sbgw_dns_parse_query(const uint8_t *wire, size_t len,
						struct sbgw_dns_question *q);

/*
 * The gateway's own answers (semantics §3.2 "Synthesised error responses"):
 * rcode NXDOMAIN, SERVFAIL, FORMERR or NOERROR with no records; ID, opcode,
 * RD and the question echoed, RA set, no answer and no authority section.
 * Returns the length written to out, or 0 if cap is too small.
 */
size_t sbgw_dns_synthesize(const struct sbgw_dns_question *q, uint8_t rcode, uint8_t *out,
			   size_t cap);

/*
 * host.microsandbox.internal (semantics §3.6): an A or AAAA answer with the
 * gateway address addr, TTL 60, AA and RA set, RD echoed.
 */
size_t sbgw_dns_host_alias(const struct sbgw_dns_question *q, const struct sbgw_addr *addr,
			   uint8_t *out, size_t cap);

/* true when name (as in struct sbgw_dns_question) is the host alias. */
bool sbgw_dns_is_host_alias(const char *name);

/*
 * Does an upstream's message answer the query we sent (id, same question,
 * QR set)? Anything else is discarded by the caller.
 */
bool sbgw_dns_answers(const uint8_t *wire, size_t len, uint16_t id,
		      const struct sbgw_dns_question *q);

/*
 * An upstream's message parsed once for all the checks of §3.2 steps 6–8
 * (the sbgw_dns_parsed_* functions below); each wire-format function
 * above and below is the same check on a message it parses itself.
 * NULL when ldns cannot parse it. Free with sbgw_dns_parsed_free().
 */
struct ldns_struct_pkt;
struct ldns_struct_pkt *sbgw_dns_parse(const uint8_t *wire, size_t len);
void sbgw_dns_parsed_free(struct ldns_struct_pkt *pkt);
/* sbgw_dns_answers() on a parsed message (wire is its raw form, for the header). */
bool sbgw_dns_parsed_answers(const struct ldns_struct_pkt *pkt, const uint8_t *wire, size_t len,
			     uint16_t id, const struct sbgw_dns_question *q);
/* sbgw_dns_rebinds() on a parsed message (NULL: did not parse, a rebind). */
bool sbgw_dns_parsed_rebinds(const struct ldns_struct_pkt *pkt, const struct sbgw_policy *p,
			     const struct sbgw_host_addrs *host);
/* sbgw_dns_extract_pins() on a parsed message. */
unsigned int sbgw_dns_parsed_pins(const struct ldns_struct_pkt *pkt, const char *qname,
				  uint16_t qtype, struct sbgw_addr *addrs, unsigned int max,
				  uint32_t *ttl);

/* The response code of a message (0 if it cannot be read). */
uint8_t sbgw_dns_rcode(const uint8_t *wire, size_t len);

/*
 * Rebind protection (semantics §3.4): true when some A/AAAA record of the
 * answer section holds a reserved address that the policy does not
 * explicitly admit (sbgw_policy_admits_rebind). host gives the policy's
 * "host" group; p NULL admits nothing. A message that does not parse
 * counts as a rebind: what cannot be inspected is not passed on.
 */
bool sbgw_dns_rebinds(const uint8_t *wire, size_t len, const struct sbgw_policy *p,
		      const struct sbgw_host_addrs *host);

/*
 * Pins (semantics §3.5): the A (family AF_INET) or AAAA (AF_INET6) records
 * whose owner is the query name or is reached from it through the answer's
 * CNAME chain; *ttl = the minimum TTL over those records and the CNAMEs
 * followed, floored to SBGW_DNS_PIN_TTL_MIN. Returns how many addresses
 * were written (at most max, duplicates dropped); 0 when the answer has
 * none (or its rcode is not NOERROR, or qtype is neither A nor AAAA, or the
 * message does not parse): the caller then clears the pin, and *ttl is 0.
 * Addresses are normalised (semantics §2.4): an IPv4-mapped AAAA record
 * yields an AF_INET address, which is what a flow to it is looked up by;
 * the pin's key family is still the query's. The chain visits at most
 * SBGW_DNS_CNAME_NAMES_MAX names, so CNAME loops end.
 */
unsigned int sbgw_dns_extract_pins(const uint8_t *wire, size_t len, const char *qname,
				   uint16_t qtype, struct sbgw_addr *addrs, unsigned int max,
				   uint32_t *ttl);

/*
 * The response the guest receives (semantics §3.2 step 8): the upstream's
 * answer with the guest's ID restored; if it exceeds the guest's UDP size
 * (q->udp_size) on UDP, a header-only NOERROR with TC set and the question
 * instead. Returns the length written to out, 0 on error.
 */
size_t sbgw_dns_finish(const uint8_t *wire, size_t len, const struct sbgw_dns_question *q,
		       bool udp, uint8_t *out, size_t cap);

/*
 * Build the query sent upstream: the guest's query with a new id. 0 when
 * cap is too small, or when a compression pointer reads the ID, so that
 * the message would say something else under the new one.
 */
size_t sbgw_dns_upstream_query(const uint8_t *guest_wire, size_t len, uint16_t id, uint8_t *out,
			       size_t cap);

/* Text names for logs: "A", "AAAA", "MX", ... / "NOERROR", "NXDOMAIN", ... */
const char *sbgw_dns_type_name(uint16_t qtype, char *buf, size_t len);
const char *sbgw_dns_rcode_name(uint8_t rcode);

/* The message for an ldns_status (the tree's one translation of ldns errors). */
const char *sbgw_dns_ldns_strerror(int status);

#endif
