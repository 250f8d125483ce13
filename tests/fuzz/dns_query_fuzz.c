/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: a guest's DNS query through the interceptor's message
 * handling (lib/dns/message.c) — parsing, the gateway's own answers
 * (NXDOMAIN, SERVFAIL, FORMERR, empty NOERROR, the host alias) and the
 * query sent upstream. The gateway's answer must answer the question it
 * was asked, and the upstream query must parse to the same question.
 *
 * Input: the query's wire bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UPSTREAM_ID 0x4242

static void own_answers(const struct sbgw_dns_question *q, bool answerable)
{
	static const uint8_t rcodes[] = {0, 1, 2, 3};
	uint8_t out[SBGW_DNS_MAX_MESSAGE];

	for (size_t i = 0; i < sizeof(rcodes); i++) {
		size_t n = sbgw_dns_synthesize(q, rcodes[i], out, sizeof(out));

		if (n > sizeof(out))
			abort();
		if (answerable && n > 0 && (!sbgw_dns_answers(out, n, q->id, q) ||
					    sbgw_dns_rcode(out, n) != rcodes[i]))
			abort();
		/* Too small a buffer is refused, never overrun. */
		(void)sbgw_dns_synthesize(q, rcodes[i], out, 12 + (q->question_len & 7));
	}
	if (answerable && sbgw_dns_is_host_alias(q->name)) {
		struct sbgw_addr gw = {.family = AF_INET, .v4 = 0xac100001};
		size_t n = sbgw_dns_host_alias(q, &gw, out, sizeof(out));

		if (n > 0 && !sbgw_dns_answers(out, n, q->id, q))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbgw_dns_question q, again;
	enum sbgw_dns_parse_result r;
	uint8_t *wire = malloc(size ? size : 1);
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	char buf[32];
	size_t n;

	memcpy(wire, data, size); /* exactly size bytes: ASan sees any overread */
	r = sbgw_dns_parse_query(wire, size, &q);
	if (r == SBGW_DNS_QUERY_MALFORMED)
		goto out;
	if (q.name[0] != '\0' && memchr(q.name, '\0', sizeof(q.name)) == NULL)
		abort();
	(void)sbgw_dns_type_name(q.qtype, buf, sizeof(buf));
	own_answers(&q, r == SBGW_DNS_QUERY_OK);
	if (r != SBGW_DNS_QUERY_OK)
		goto out;
	n = sbgw_dns_upstream_query(wire, size, UPSTREAM_ID, out, sizeof(out));
	if (n > 0) {
		if (sbgw_dns_parse_query(out, n, &again) != SBGW_DNS_QUERY_OK ||
		    again.id != UPSTREAM_ID || strcmp(again.name, q.name) != 0 ||
		    again.qtype != q.qtype)
			abort();
	}
out:
	free(wire);
	return 0;
}
