/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testrule.h"

static void die(const char *text, const char *why)
{
	fprintf(stderr, "test_rule(\"%s\"): %s\n", text, why);
	abort();
}

static enum sbgw_action parse_action(const char *text, const char *tok)
{
	if (tok != NULL && strcmp(tok, "allow") == 0)
		return SBGW_ACTION_ALLOW;
	if (tok != NULL && strcmp(tok, "deny") == 0)
		return SBGW_ACTION_DENY;
	die(text, "expected allow or deny");
	return SBGW_ACTION_DENY;
}

static void parse_dest(const char *text, char *kind, char *value, struct sbgw_rule *r)
{
	const char *reason;
	int g;

	if (strcmp(kind, "any") == 0 && value == NULL) {
		r->dest_kind = SBGW_DEST_ANY;
		return;
	}
	if (value == NULL) {
		/* A bare address or network. */
		value = kind;
		kind = "cidr";
	}
	if (strcmp(kind, "group") == 0) {
		g = sbgw_group_parse(value);
		if (g < 0)
			die(text, "bad group");
		r->dest_kind = SBGW_DEST_GROUP;
		r->group = (uint8_t)g;
	} else if (strcmp(kind, "domain") == 0) {
		r->dest_kind = SBGW_DEST_DOMAIN;
		if (sbgw_name_canonical(value, r->name, &reason) < 0)
			die(text, reason);
	} else if (strcmp(kind, "suffix") == 0) {
		r->dest_kind = SBGW_DEST_SUFFIX;
		if (sbgw_suffix_canonical(value, r->name, &reason) < 0)
			die(text, reason);
	} else if (strcmp(kind, "cidr") == 0 || strcmp(kind, "ip") == 0) {
		r->dest_kind = SBGW_DEST_CIDR;
		if (sbgw_cidr_parse(value, false, &r->cidr, NULL) < 0)
			die(text, "bad address");
		sbgw_cidr_normalise(&r->cidr);
	} else {
		die(text, "bad destination kind");
	}
}

struct sbgw_rule test_rule(const char *text)
{
	char buf[512], *save = NULL, *tok, *kind, *value;
	struct sbgw_rule r;

	snprintf(buf, sizeof(buf), "%s", text);
	tok = strtok_r(buf, " ", &save);
	sbgw_rule_init(&r, parse_action(text, tok));
	tok = strtok_r(NULL, " ", &save);
	if (tok != NULL && strcmp(tok, "egress") == 0) {
		tok = strtok_r(NULL, " ", &save);
	} else if (tok != NULL && strcmp(tok, "ingress") == 0) {
		r.dirs = SBGW_DIR_INGRESS;
		tok = strtok_r(NULL, " ", &save);
	} else if (tok != NULL && strcmp(tok, "any") == 0) {
		r.dirs = SBGW_DIR_ANY;
		tok = strtok_r(NULL, " ", &save);
	}
	for (int p = SBGW_PROTO_TCP; tok != NULL && p <= SBGW_PROTO_ICMPV6; p++)
		if (strcmp(tok, sbgw_proto_name((enum sbgw_proto)p)) == 0) {
			r.proto = (uint8_t)p;
			tok = strtok_r(NULL, " ", &save);
			break;
		}
	if (tok != NULL && strcmp(tok, "port") == 0) {
		unsigned int lo, hi;
		char *spec = strtok_r(NULL, " ", &save);

		if (spec == NULL)
			die(text, "port without a value");
		if (sscanf(spec, "%u-%u", &lo, &hi) == 2) {
			r.port_lo = (uint16_t)lo;
			r.port_hi = (uint16_t)hi;
		} else if (sscanf(spec, "%u", &lo) == 1) {
			r.port_lo = r.port_hi = (uint16_t)lo;
		} else {
			die(text, "bad port");
		}
		r.has_port = true;
		tok = strtok_r(NULL, " ", &save);
	}
	if (tok == NULL || strcmp(tok, "to") != 0)
		die(text, "expected \"to\"");
	kind = strtok_r(NULL, " ", &save);
	if (kind == NULL)
		die(text, "missing destination");
	value = strtok_r(NULL, " ", &save);
	parse_dest(text, kind, value, &r);
	if (strtok_r(NULL, " ", &save) != NULL)
		die(text, "trailing words");
	return r;
}

void test_policy(struct sbgw_policy *p, const char *defaults, ...)
{
	const char *text;
	char eg[8], in[8];
	va_list ap;

	memset(p, 0, sizeof(*p));
	if (sscanf(defaults, "%7[a-z]/%7[a-z]", eg, in) != 2)
		die(defaults, "defaults are \"<egress>/<ingress>\"");
	p->default_egress = (uint8_t)parse_action(defaults, eg);
	p->default_ingress = (uint8_t)parse_action(defaults, in);
	va_start(ap, defaults);
	while ((text = va_arg(ap, const char *)) != NULL) {
		struct sbgw_rule r = test_rule(text);

		if (sbgw_policy_append(p, &r) < 0)
			die(text, "append failed");
	}
	va_end(ap);
}

struct sbgw_host_addrs test_host(void)
{
	struct sbgw_host_addrs h;

	h.v4 = test_addr("172.16.0.1");
	h.v6 = test_addr("fd42:6d73:62::1");
	return h;
}

struct sbgw_addr test_addr(const char *text)
{
	struct sbgw_addr a;

	if (sbgw_addr_parse(text, &a) < 0)
		die(text, "bad address");
	return a;
}

struct sbgw_policy_compiled *test_compile(const struct sbgw_policy *p)
{
	char err[256] = "";
	struct sbgw_policy_compiled *cp = sbgw_policy_compile(p, "test", err, sizeof(err));

	if (cp == NULL)
		fail_msg("compile failed: %s (%s)", err, strerror(errno));
	return cp;
}

struct sbgw_verdict test_judge(const struct sbgw_policy *p, enum sbgw_dir dir, const char *addr,
			       uint8_t ip_proto, uint16_t port)
{
	struct sbgw_policy_compiled *cp = test_compile(p);
	struct sbgw_policy_packet pkt = {.ip_proto = ip_proto, .port = port};
	struct sbgw_host_addrs host = test_host();
	struct sbgw_verdict v;

	pkt.addr = test_addr(addr);
	v = sbgw_policy_evaluate(cp, dir, &pkt, &host, NULL);
	sbgw_policy_free(cp);
	return v;
}

struct sbgw_verdict test_judge_pinned(const struct sbgw_policy_compiled *cp, enum sbgw_dir dir,
				      const char *addr, uint8_t ip_proto, uint16_t port,
				      const char *const *names, unsigned int n, bool exact)
{
	struct sbgw_policy_packet pkt = {.ip_proto = ip_proto, .port = port};
	struct sbgw_host_addrs host = test_host();
	struct sbgw_domain_hits hits;

	sbgw_policy_domain_hits(cp, names, n, &hits);
	pkt.addr = test_addr(addr);
	pkt.domain_bits = hits.bits;
	return sbgw_policy_evaluate(cp, dir, &pkt, &host, exact ? &hits : NULL);
}
