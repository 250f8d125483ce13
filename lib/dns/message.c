/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS messages for the interceptor (semantics §3.2–§3.6).
 *
 * ldns parses whatever comes from outside (guest queries, upstream
 * answers); what the gateway writes itself has a fixed layout (header,
 * the guest's question, at most one answer) and is built byte by byte,
 * so no synthesised answer depends on how ldns would re-encode a name.
 *
 * Names are compared as wire-format dnames, ASCII case folded: a label
 * length is at most 63, below 'A', so folding the whole dname byte by
 * byte only ever touches label text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "message.h"
#include "name.h"

#define TYPE_CLASS_LEN 4 /* qtype + qclass after a question's name */
#define TTL_LEN 4
#define RDLEN_LEN 2
/* A compression pointer to the question's name, which always starts right after the header. */
#define PTR_TO_QUESTION (0xc000u | LDNS_HEADER_SIZE)

/* Header flags of every response the gateway writes itself. */
struct reply_flags {
	bool aa, tc;
	uint8_t rcode;
	uint16_t ancount;
};

const char *sbgw_dns_ldns_strerror(int status)
{
	const char *s = ldns_get_errorstr_by_id((ldns_status)status);

	return s != NULL ? s : "unknown ldns error";
}

static uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool dname_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (fold(a[i]) != fold(b[i]))
			return false;
	return true;
}

static bool rdf_name_equal(const ldns_rdf *a, const ldns_rdf *b)
{
	return dname_equal(ldns_rdf_data(a), ldns_rdf_size(a), ldns_rdf_data(b), ldns_rdf_size(b));
}

/*
 * Append the text of one label byte (or a separating '.', raw) to out,
 * all of it or nothing, so that a cut never leaves half an escape.
 */
static bool put_text(char *out, size_t *pos, uint8_t c, bool raw)
{
	char esc[5];
	size_t n;

	/* By hand, not snprintf: this runs for every byte of every name asked. */
	if (!raw && (c == '.' || c == '\\')) {
		esc[0] = '\\';
		esc[1] = (char)c;
		n = 2;
	} else if (!raw && (c <= ' ' || c >= 0x7f)) {
		esc[0] = '\\';
		esc[1] = (char)('0' + c / 100);
		esc[2] = (char)('0' + c / 10 % 10);
		esc[3] = (char)('0' + c % 10);
		n = 4;
	} else {
		esc[0] = (char)fold(c);
		n = 1;
	}
	esc[n] = '\0';
	if (*pos + n >= SBGW_NAME_MAX)
		return false;
	memcpy(out + *pos, esc, n + 1);
	*pos += n;
	return true;
}

/*
 * Presentation form of an uncompressed wire dname, lowercased, without the
 * trailing dot. Escaping matters for policy: a label holding a '.' must
 * not read as two labels, or "a.b" in one label would be judged as the
 * name a.b. A name too long for the buffer is cut and ends in '\' so that
 * it can never pass the domain grammar (it had escapes, so it did not).
 */
static void dname_to_text(const uint8_t *d, size_t len, char *out)
{
	size_t pos = 0, i = 0;

	out[0] = '\0';
	while (i < len && d[i] != 0) {
		uint8_t label = d[i++];

		if (pos > 0 && !put_text(out, &pos, '.', true))
			goto overflow;
		for (uint8_t k = 0; k < label && i < len; k++, i++)
			if (!put_text(out, &pos, d[i], false))
				goto overflow;
	}
	return;
overflow:
	if (pos > SBGW_NAME_MAX - 2)
		pos = SBGW_NAME_MAX - 2;
	out[pos] = '\\';
	out[pos + 1] = '\0';
}

static void fill_question(const ldns_rr *rr, struct sbgw_dns_question *q)
{
	const ldns_rdf *owner = ldns_rr_owner(rr);
	size_t n = ldns_rdf_size(owner);
	const char *reason;
	char canon[SBGW_NAME_MAX];

	q->qtype = (uint16_t)ldns_rr_get_type(rr);
	q->qclass = (uint16_t)ldns_rr_get_class(rr);
	dname_to_text(ldns_rdf_data(owner), n, q->name);
	q->name_valid = sbgw_name_canonical(q->name, canon, &reason) == 0;
	/* ldns kept the guest's spelling (case included) and expanded any pointer. */
	if (n + TYPE_CLASS_LEN > sizeof(q->question))
		return; /* cannot happen: ldns caps a dname at 255 octets */
	memcpy(q->question, ldns_rdf_data(owner), n);
	ldns_write_uint16(q->question + n, q->qtype);
	ldns_write_uint16(q->question + n + 2, q->qclass);
	q->question_len = n + TYPE_CLASS_LEN;
}

/*
 * The question's name is the first in the message: nothing precedes it
 * that a compression pointer could rightly point to. ldns still follows
 * such a pointer, into the header included; the query sent upstream (the
 * guest's bytes under a new ID) would then ask for another name than
 * the one the policy judged.
 */
static bool question_name_compressed(const uint8_t *wire, size_t len)
{
	size_t i = LDNS_HEADER_SIZE;

	while (i < len && wire[i] != 0) {
		if (wire[i] & 0xc0)
			return true;
		i += (size_t)wire[i] + 1;
	}
	return false;
}

static uint16_t clamp_udp_size(uint16_t advertised)
{
	if (advertised < SBGW_DNS_MIN_UDP_SIZE)
		return SBGW_DNS_MIN_UDP_SIZE;
	if (advertised > SBGW_DNS_MAX_MESSAGE)
		return SBGW_DNS_MAX_MESSAGE;
	return advertised;
}

enum sbgw_dns_parse_result sbgw_dns_parse_query(const uint8_t *wire, size_t len,
						struct sbgw_dns_question *q)
{
	enum sbgw_dns_parse_result res;
	ldns_pkt *pkt = NULL;
	ldns_status st;
	size_t n;

	memset(q, 0, sizeof(*q));
	q->udp_size = SBGW_DNS_MIN_UDP_SIZE;
	if (wire == NULL || len < LDNS_HEADER_SIZE) {
		q->reason = "shorter than a DNS header";
		return SBGW_DNS_QUERY_MALFORMED;
	}
	q->id = LDNS_ID_WIRE(wire);
	q->opcode = LDNS_OPCODE_WIRE(wire);
	q->rd = LDNS_RD_WIRE(wire) != 0;
	/* Answering a response could start a loop between two forwarders. */
	if (LDNS_QR_WIRE(wire)) {
		q->reason = "QR set: a response, not a query";
		return SBGW_DNS_QUERY_MALFORMED;
	}
	st = ldns_wire2pkt(&pkt, wire, len);
	if (st != LDNS_STATUS_OK) {
		q->reason = sbgw_dns_ldns_strerror(st);
		return SBGW_DNS_QUERY_MALFORMED;
	}
	if (ldns_pkt_edns(pkt)) {
		q->has_edns = true;
		q->udp_size = clamp_udp_size(ldns_pkt_edns_udp_size(pkt));
	}
	n = ldns_rr_list_rr_count(ldns_pkt_question(pkt));
	if (n > 0)
		fill_question(ldns_rr_list_rr(ldns_pkt_question(pkt), 0), q);
	if (n == 1 && question_name_compressed(wire, len)) {
		q->reason = "question name is compressed (a pointer with nothing before it)";
		res = SBGW_DNS_QUERY_FORMERR;
	} else if (n == 1) {
		res = SBGW_DNS_QUERY_OK;
	} else {
		q->reason = n == 0 ? "no question" : "more than one question";
		res = SBGW_DNS_QUERY_FORMERR;
	}
	ldns_pkt_free(pkt);
	return res;
}

/*
 * Header and question of a response the gateway writes itself; ID, opcode
 * and RD echo the query, RA is always set (we recurse for the guest).
 */
static size_t put_reply(const struct sbgw_dns_question *q, const struct reply_flags *f,
			uint8_t *out, size_t cap)
{
	size_t len = LDNS_HEADER_SIZE + q->question_len;

	if (out == NULL || cap < len || q->question_len > sizeof(q->question))
		return 0;
	memset(out, 0, LDNS_HEADER_SIZE);
	LDNS_ID_SET(out, q->id);
	LDNS_QR_SET(out);
	LDNS_OPCODE_SET(out, q->opcode & 0xf);
	if (q->rd)
		LDNS_RD_SET(out);
	if (f->aa)
		LDNS_AA_SET(out);
	if (f->tc)
		LDNS_TC_SET(out);
	LDNS_RA_SET(out);
	LDNS_RCODE_SET(out, f->rcode & LDNS_RCODE_MASK);
	ldns_write_uint16(out + LDNS_QDCOUNT_OFF, q->question_len > 0 ? 1 : 0);
	ldns_write_uint16(out + LDNS_ANCOUNT_OFF, f->ancount);
	memcpy(out + LDNS_HEADER_SIZE, q->question, q->question_len);
	return len;
}

size_t sbgw_dns_synthesize(const struct sbgw_dns_question *q, uint8_t rcode, uint8_t *out,
			   size_t cap)
{
	struct reply_flags f = {.rcode = rcode};

	return put_reply(q, &f, out, cap);
}

size_t sbgw_dns_host_alias(const struct sbgw_dns_question *q, const struct sbgw_addr *addr,
			   uint8_t *out, size_t cap)
{
	struct reply_flags f = {.aa = true, .ancount = 1};
	size_t len, rdlen, need;
	uint8_t *p;

	if (q->question_len == 0)
		return 0;
	if (q->qtype == LDNS_RR_TYPE_A && addr->family == AF_INET)
		rdlen = 4;
	else if (q->qtype == LDNS_RR_TYPE_AAAA && addr->family == AF_INET6)
		rdlen = 16;
	else
		return 0;
	need = LDNS_HEADER_SIZE + q->question_len + 2 + TYPE_CLASS_LEN + TTL_LEN + RDLEN_LEN +
	       rdlen;
	if (cap < need)
		return 0;
	len = put_reply(q, &f, out, cap);
	if (len == 0)
		return 0;
	p = out + len;
	ldns_write_uint16(p, PTR_TO_QUESTION);
	ldns_write_uint16(p + 2, q->qtype);
	/* The gateway's addresses are Internet addresses whatever class was asked. */
	ldns_write_uint16(p + 4, LDNS_RR_CLASS_IN);
	ldns_write_uint32(p + 6, SBGW_DNS_HOST_ALIAS_TTL);
	ldns_write_uint16(p + 10, (uint16_t)rdlen);
	if (rdlen == 4)
		ldns_write_uint32(p + 12, addr->v4);
	else
		memcpy(p + 12, addr->v6, 16);
	return need;
}

bool sbgw_dns_is_host_alias(const char *name)
{
	size_t n = strlen(SBGW_DNS_HOST_ALIAS);

	if (name == NULL || strncasecmp(name, SBGW_DNS_HOST_ALIAS, n) != 0)
		return false;
	return name[n] == '\0' || (name[n] == '.' && name[n + 1] == '\0');
}

/* Parse an upstream's message; NULL when ldns cannot. */
static ldns_pkt *parse(const uint8_t *wire, size_t len)
{
	ldns_pkt *pkt = NULL;

	if (wire == NULL || len < LDNS_HEADER_SIZE)
		return NULL;
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return NULL;
	return pkt;
}

/* The header checks that need no parsing: QR set, the ID we sent. */
static bool answer_header_ok(const uint8_t *wire, size_t len, uint16_t id,
			     const struct sbgw_dns_question *q)
{
	return wire != NULL && q->question_len >= TYPE_CLASS_LEN + 1 && len >= LDNS_HEADER_SIZE &&
	       LDNS_QR_WIRE(wire) && LDNS_ID_WIRE(wire) == id;
}

struct ldns_struct_pkt *sbgw_dns_parse(const uint8_t *wire, size_t len)
{
	return parse(wire, len);
}

void sbgw_dns_parsed_free(struct ldns_struct_pkt *pkt)
{
	ldns_pkt_free(pkt);
}

bool sbgw_dns_parsed_answers(const struct ldns_struct_pkt *pkt, const uint8_t *wire, size_t len,
			     uint16_t id, const struct sbgw_dns_question *q)
{
	const ldns_rr_list *qs;
	const ldns_rr *rr;
	const ldns_rdf *owner;

	if (pkt == NULL || !answer_header_ok(wire, len, id, q))
		return false;
	qs = ldns_pkt_question(pkt);
	if (ldns_rr_list_rr_count(qs) != 1)
		return false;
	rr = ldns_rr_list_rr(qs, 0);
	owner = ldns_rr_owner(rr);
	return ldns_rr_get_type(rr) == q->qtype && ldns_rr_get_class(rr) == q->qclass &&
	       dname_equal(ldns_rdf_data(owner), ldns_rdf_size(owner), q->question,
			   q->question_len - TYPE_CLASS_LEN);
}

bool sbgw_dns_answers(const uint8_t *wire, size_t len, uint16_t id,
		      const struct sbgw_dns_question *q)
{
	ldns_pkt *pkt;
	bool ok;

	if (!answer_header_ok(wire, len, id, q))
		return false;
	pkt = parse(wire, len);
	ok = sbgw_dns_parsed_answers(pkt, wire, len, id, q);
	ldns_pkt_free(pkt);
	return ok;
}

uint8_t sbgw_dns_rcode(const uint8_t *wire, size_t len)
{
	if (wire == NULL || len < LDNS_HEADER_SIZE)
		return 0;
	return LDNS_RCODE_WIRE(wire);
}

/* The address of an A or AAAA record, normalised; false for anything else. */
static bool rr_addr(const ldns_rr *rr, struct sbgw_addr *a)
{
	const ldns_rdf *rd = ldns_rr_rdf(rr, 0);

	if (rd == NULL)
		return false;
	memset(a, 0, sizeof(*a));
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(rd) == 4) {
		a->family = AF_INET;
		a->v4 = ldns_read_uint32(ldns_rdf_data(rd));
	} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rd) == 16) {
		a->family = AF_INET6;
		memcpy(a->v6, ldns_rdf_data(rd), 16);
	} else {
		return false;
	}
	sbgw_addr_normalise(a);
	return true;
}

bool sbgw_dns_parsed_rebinds(const struct ldns_struct_pkt *pkt, const struct sbgw_policy *p,
			     const struct sbgw_host_addrs *host)
{
	const ldns_rr_list *an;
	struct sbgw_addr a;

	/* What cannot be inspected cannot be shown to be safe. */
	if (pkt == NULL)
		return true;
	an = ldns_pkt_answer(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		if (!rr_addr(ldns_rr_list_rr(an, i), &a))
			continue;
		if (sbgw_addr_is_rebind_reserved(&a) &&
		    (p == NULL || !sbgw_policy_admits_rebind(p, &a, host)))
			return true;
	}
	return false;
}

bool sbgw_dns_rebinds(const uint8_t *wire, size_t len, const struct sbgw_policy *p,
		      const struct sbgw_host_addrs *host)
{
	ldns_pkt *pkt = parse(wire, len);
	bool bad = sbgw_dns_parsed_rebinds(pkt, p, host);

	ldns_pkt_free(pkt);
	return bad;
}

/* Index of name among names[0..n), or -1. */
static int find_name(const ldns_rdf *const *names, unsigned int n, const ldns_rdf *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (rdf_name_equal(names[i], name))
			return (int)i;
	return -1;
}

/*
 * The names reachable from names[0] through CNAMEs of the answer section,
 * as a closure rather than a single walk so that the order of the records
 * does not matter (HEAD extract_addrs_and_ttl). Returns the count.
 */
static unsigned int cname_closure(const ldns_rr_list *an, const ldns_rdf **names)
{
	unsigned int n = 1;
	bool grew = true;

	while (grew && n < SBGW_DNS_CNAME_NAMES_MAX) {
		grew = false;
		for (size_t i = 0; i < ldns_rr_list_rr_count(an) && n < SBGW_DNS_CNAME_NAMES_MAX;
		     i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			const ldns_rdf *target = ldns_rr_rdf(rr, 0);

			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME || target == NULL ||
			    ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME)
				continue;
			if (find_name(names, n, ldns_rr_owner(rr)) < 0 ||
			    find_name(names, n, target) >= 0)
				continue;
			names[n++] = target;
			grew = true;
		}
	}
	return n;
}

static bool have_addr(const struct sbgw_addr *addrs, unsigned int n, const struct sbgw_addr *a)
{
	for (unsigned int i = 0; i < n; i++)
		if (sbgw_addr_equal(&addrs[i], a))
			return true;
	return false;
}

unsigned int sbgw_dns_parsed_pins(const struct ldns_struct_pkt *pkt, const char *qname,
				  uint16_t qtype, struct sbgw_addr *addrs, unsigned int max,
				  uint32_t *ttl)
{
	const ldns_rdf *names[SBGW_DNS_CNAME_NAMES_MAX];
	uint32_t min_ttl = UINT32_MAX;
	ldns_rdf *start = NULL;
	unsigned int n_names, count = 0;
	const ldns_rr_list *an;
	struct sbgw_addr a;

	*ttl = 0;
	if ((qtype != LDNS_RR_TYPE_A && qtype != LDNS_RR_TYPE_AAAA) || qname == NULL)
		return 0;
	if (pkt == NULL || ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR)
		goto out;
	start = ldns_dname_new_frm_str(qname[0] == '\0' ? "." : qname);
	if (start == NULL)
		goto out;
	names[0] = start;
	an = ldns_pkt_answer(pkt);
	n_names = cname_closure(an, names);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rr_type t = ldns_rr_get_type(rr);

		if ((t != qtype && t != LDNS_RR_TYPE_CNAME) ||
		    find_name(names, n_names, ldns_rr_owner(rr)) < 0)
			continue;
		if (t == qtype) {
			if (!rr_addr(rr, &a))
				continue;
			if (count < max && !have_addr(addrs, count, &a))
				addrs[count++] = a;
		}
		/* Every CNAME followed bounds the answer's life as much as the addresses do. */
		if (ldns_rr_ttl(rr) < min_ttl)
			min_ttl = ldns_rr_ttl(rr);
	}
	if (count > 0)
		*ttl = min_ttl < SBGW_DNS_PIN_TTL_MIN ? SBGW_DNS_PIN_TTL_MIN : min_ttl;
out:
	ldns_rdf_deep_free(start);
	return count;
}

unsigned int sbgw_dns_extract_pins(const uint8_t *wire, size_t len, const char *qname,
				   uint16_t qtype, struct sbgw_addr *addrs, unsigned int max,
				   uint32_t *ttl)
{
	ldns_pkt *pkt = NULL;
	unsigned int n;

	*ttl = 0;
	if ((qtype != LDNS_RR_TYPE_A && qtype != LDNS_RR_TYPE_AAAA) || qname == NULL)
		return 0;
	pkt = parse(wire, len);
	n = sbgw_dns_parsed_pins(pkt, qname, qtype, addrs, max, ttl);
	ldns_pkt_free(pkt);
	return n;
}

size_t sbgw_dns_finish(const uint8_t *wire, size_t len, const struct sbgw_dns_question *q,
		       bool udp, uint8_t *out, size_t cap)
{
	/* A q that did not come from sbgw_dns_parse_query() may hold less than the floor. */
	uint16_t limit = q->udp_size < SBGW_DNS_MIN_UDP_SIZE ? SBGW_DNS_MIN_UDP_SIZE : q->udp_size;
	struct reply_flags f = {.tc = true};

	if (wire == NULL || len < LDNS_HEADER_SIZE || out == NULL)
		return 0;
	/* RFC 7766: TC tells the stub to retry over TCP, where size is no object. */
	if (udp && len > limit)
		return put_reply(q, &f, out, cap);
	if (cap < len)
		return 0;
	memmove(out, wire, len);
	LDNS_ID_SET(out, q->id);
	return len;
}

/*
 * Only a compression pointer to offset 0 or 1 reads the ID, and its bytes
 * are C0 00 or C0 01: without such a pair, a new ID changes nothing else.
 */
static bool may_point_at_id(const uint8_t *wire, size_t len)
{
	for (size_t i = LDNS_HEADER_SIZE; i + 1 < len; i++)
		if (wire[i] == 0xc0 && wire[i + 1] <= 1)
			return true;
	return false;
}

/* Do guest (under its own ID) and upstream (under id) say the same thing? */
static bool same_message(const uint8_t *guest, const uint8_t *upstream, size_t len, uint16_t id)
{
	ldns_pkt *a = NULL, *b = NULL;
	uint8_t *wa = NULL, *wb = NULL;
	size_t na = 0, nb = 0;
	bool same = false;

	if (ldns_wire2pkt(&a, guest, len) != LDNS_STATUS_OK ||
	    ldns_wire2pkt(&b, upstream, len) != LDNS_STATUS_OK)
		goto out;
	ldns_pkt_set_id(a, id);
	if (ldns_pkt2wire(&wa, a, &na) != LDNS_STATUS_OK ||
	    ldns_pkt2wire(&wb, b, &nb) != LDNS_STATUS_OK)
		goto out;
	same = na == nb && memcmp(wa, wb, na) == 0;
out:
	free(wa);
	free(wb);
	ldns_pkt_free(a);
	ldns_pkt_free(b);
	return same;
}

size_t sbgw_dns_upstream_query(const uint8_t *guest_wire, size_t len, uint16_t id, uint8_t *out,
			       size_t cap)
{
	uint8_t *guest = NULL;
	size_t n = len;

	if (guest_wire == NULL || len < LDNS_HEADER_SIZE || out == NULL || cap < len)
		return 0;
	/*
	 * A name that points into the ID would read differently upstream
	 * than it did here: such a query is not forwarded.
	 */
	if (may_point_at_id(guest_wire, len)) {
		guest = malloc(len); /* out may be guest_wire */
		if (guest == NULL)
			return 0;
		memcpy(guest, guest_wire, len);
	}
	memmove(out, guest_wire, len);
	LDNS_ID_SET(out, id);
	if (guest != NULL && !same_message(guest, out, len, id))
		n = 0;
	free(guest);
	return n;
}

const char *sbgw_dns_type_name(uint16_t qtype, char *buf, size_t len)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(qtype);

	if (d != NULL && d->_type == qtype && d->_name != NULL)
		return d->_name;
	/* RFC 3597's generic form, as dig prints unknown types. */
	if (buf == NULL || len == 0)
		return "TYPE?";
	snprintf(buf, len, "TYPE%u", qtype);
	return buf;
}

const char *sbgw_dns_rcode_name(uint8_t rcode)
{
	static const char *const unassigned[] = {
		"RCODE11", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
	};
	const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);

	if (lt != NULL && lt->name != NULL)
		return lt->name;
	if (rcode >= 11 && rcode <= 15)
		return unassigned[rcode - 11];
	return "RCODE?";
}
