/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: an upstream's DNS answer through the interceptor's
 * message handling (lib/dns/message.c) — matching it to the query sent,
 * rebind protection under three policies, pin extraction along CNAME
 * chains, and the response finished for the guest (TC when it does not
 * fit). The finished UDP response never exceeds the guest's size, and
 * pins come with a TTL exactly when there are some.
 *
 * Input: one selector byte, then the answer's wire bytes. Selector bits
 * 0-3: the question (one of QUESTIONS, id 0x1234); bits 4-5: the policy
 * (none, public_only, public_only plus "allow group private"); bit 6:
 * UDP rather than TCP; bit 7: the guest advertised EDNS 1232 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QUERY_ID 0x1234

static const struct {
	const char *name;
	uint16_t qtype;
} QUESTIONS[16] = {
	{"example.com", 1},       {"example.com", 28},     {"www.example.org", 1},
	{"www.example.org", 28},  {"a.b.c.example.net", 1}, {"example.com", 5},
	{"example.com", 16},      {"example.com", 15},     {"xn--caf-dma.example", 1},
	{"localhost", 1},         {"metadata.internal", 1}, {"", 2},
	{"rebind.example", 1},    {"rebind.example", 28},   {"cname.example", 1},
	{"cname.example", 28},
};

/* The guest's query for QUESTIONS[i], as it arrives on the wire. */
static size_t query_wire(unsigned int i, bool edns, uint8_t *out)
{
	const char *name = QUESTIONS[i].name;
	size_t n = 0;

	memcpy(out, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	out[11] = edns;
	n = 12;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		out[n++] = (uint8_t)len;
		memcpy(out + n, name, len);
		n += len;
		name += len + (dot != NULL);
	}
	out[n++] = 0;
	out[n++] = 0;
	out[n++] = (uint8_t)QUESTIONS[i].qtype;
	out[n++] = 0;
	out[n++] = 1;
	if (edns) {
		/* OPT: root, type 41, class = payload size 1232, ttl 0, no data */
		memcpy(out + n, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11);
		n += 11;
	}
	return n;
}

static struct sbgw_policy policies[3];
static bool ready;

static void setup(void)
{
	struct sbgw_rule private = {.dirs = SBGW_DIR_EGRESS, .action = SBGW_ACTION_ALLOW,
				    .dest_kind = SBGW_DEST_GROUP, .group = SBGW_GROUP_PRIVATE};

	if (sbgw_policy_preset(&policies[1], SBGW_PRESET_PUBLIC_ONLY) < 0 ||
	    sbgw_policy_preset(&policies[2], SBGW_PRESET_PUBLIC_ONLY) < 0 ||
	    sbgw_policy_prepend(&policies[2], &private, 1) < 0)
		abort();
	ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbgw_host_addrs host = {.v4 = {.family = AF_INET, .v4 = 0xac100001}};
	struct sbgw_addr pins[SBGW_DNS_MAX_PINS];
	struct sbgw_dns_question q;
	uint8_t query[512], out[SBGW_DNS_MAX_MESSAGE];
	unsigned int sel, npins;
	uint32_t ttl = 12345;
	uint8_t *wire;
	size_t n, len;
	bool udp;

	if (size < 1)
		return 0;
	if (!ready)
		setup();
	sel = data[0];
	udp = sel & 0x40;
	n = query_wire(sel & 0x0f, sel & 0x80, query);
	if (sbgw_dns_parse_query(query, n, &q) != SBGW_DNS_QUERY_OK)
		abort();
	len = size - 1;
	wire = malloc(len ? len : 1);
	memcpy(wire, data + 1, len); /* exactly len bytes: ASan sees any overread */

	(void)sbgw_dns_answers(wire, len, QUERY_ID, &q);
	(void)sbgw_dns_rcode(wire, len);
	(void)sbgw_dns_rcode_name(sbgw_dns_rcode(wire, len));
	(void)sbgw_dns_rebinds(wire, len, ((sel >> 4) & 3) == 0 ? NULL : &policies[((sel >> 4) & 3) % 3],
			       &host);
	npins = sbgw_dns_extract_pins(wire, len, q.name, q.qtype, pins, SBGW_DNS_MAX_PINS, &ttl);
	if (npins > SBGW_DNS_MAX_PINS || (npins == 0) != (ttl == 0))
		abort();
	for (unsigned int i = 0; i < npins; i++)
		if (pins[i].family != AF_INET && pins[i].family != AF_INET6)
			abort();
	n = sbgw_dns_finish(wire, len, &q, udp, out, sizeof(out));
	if (n > sizeof(out) || (udp && n > q.udp_size))
		abort();
	free(wire);
	return 0;
}
