/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy classifier benchmark: the compiled policy (rte_acl) against
 * linear evaluation, on the same rules and the same packets, in one run.
 *
 * Workload (per rule count N and address family):
 *   - N - 3 "allowlist" rules: allow (3 in 4) or deny, TCP 60 % / UDP 30 % /
 *     any 10 %, a single port 70 % / a port range 20 % / no port 10 %, to a
 *     random network (/16../32 for IPv4, /32../128 for IPv6);
 *   - then the public_only tail: allow_dns (2 rules) and allow group public.
 *   - 4096 packets, cycled in bursts of 64: 50 % to public addresses that
 *     no earlier rule covers (first match is the last rule, the linear
 *     worst case), 40 % into a uniformly chosen rule's network, port and
 *     protocol (first match is that rule or an earlier one), 10 % to a
 *     private address that nothing allows (the default decides, after
 *     every rule).
 *   The mean position of the deciding rule is measured and printed.
 *
 * Costs per packet:
 *   - acl: sbgw_policy_key_init() + one sbgw_policy_classify() per burst of
 *     64 + sbgw_policy_verdict(), i.e. what a worker pays for a new flow;
 *   - ref: tests/unit/policy/reference.c, the plain evaluator the
 *     differential test trusts (re-masks each CIDR per test);
 *   - tight: a linear scan a careful C programmer would write (rules
 *     pre-masked into integers, family/proto/port checks first).
 * Both clocks are reported: CLOCK_MONOTONIC ns and rte_rdtsc() cycles.
 *
 * Usage: classify_bench [-f 4|6|46] [-n 10,100,1000,10000] [-t seconds]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "policy.h"
#include "reference.h"
#include "rng.h"

#define BURST 64
#define N_PACKETS 4096
#define TAIL_RULES 3

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void mask(struct sbgw_addr *a, unsigned int len)
{
	if (a->family == AF_INET) {
		a->v4 &= len == 0 ? 0 : ~0u << (32 - len);
		return;
	}
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int lo = i * 8;

		if (len >= lo + 8)
			continue;
		a->v6[i] &= len <= lo ? 0 : (uint8_t)(0xff << (8 - (len - lo)));
	}
}

/* A public address: outside every private/special range, so group public. */
static struct sbgw_addr public_addr(struct rng *r, int family)
{
	struct sbgw_addr a = {.family = (uint8_t)family};

	if (family == AF_INET) {
		/* 1.0.0.0 - 9.255.255.255 */
		a.v4 = 0x01000000u + below(r, 0x09000000u);
		return a;
	}
	/* 2000::/4 minus documentation space is public */
	for (unsigned int i = 0; i < 16; i++)
		a.v6[i] = (uint8_t)rnd(r);
	a.v6[0] = (uint8_t)(0x20 | (a.v6[0] & 0x0f));
	if (a.v6[0] == 0x20 && a.v6[1] == 0x01)
		a.v6[1] = 0x02;
	return a;
}

static struct sbgw_addr private_addr(struct rng *r, int family)
{
	struct sbgw_addr a = {.family = (uint8_t)family};

	if (family == AF_INET) {
		a.v4 = 0xc0a80000u | below(r, 0x10000); /* 192.168.0.0/16 */
		return a;
	}
	for (unsigned int i = 0; i < 16; i++)
		a.v6[i] = (uint8_t)rnd(r);
	a.v6[0] = 0xfd; /* fc00::/7 */
	return a;
}

/*
 * Rule networks (11.0.0.0-99.255.255.255, 3000::/8) are disjoint from the
 * packets' public addresses (1.0.0.0-9.255.255.255, 2000::/4), so those
 * packets are decided by the last rule, as the workload promises.
 */
static void allowlist_rule(struct rng *r, int family, struct sbgw_rule *rule)
{
	unsigned int roll = below(r, 100);

	sbgw_rule_init(rule, below(r, 4) == 0 ? SBGW_ACTION_DENY : SBGW_ACTION_ALLOW);
	rule->proto = roll < 60 ? SBGW_PROTO_TCP : roll < 90 ? SBGW_PROTO_UDP : SBGW_PROTO_ANY;
	roll = below(r, 100);
	if (roll < 70) {
		rule->has_port = true;
		rule->port_lo = rule->port_hi = (uint16_t)(1 + below(r, 65535));
	} else if (roll < 90) {
		rule->has_port = true;
		rule->port_lo = (uint16_t)(1024 + below(r, 60000));
		rule->port_hi = (uint16_t)(rule->port_lo + below(r, 1000));
	}
	rule->dest_kind = SBGW_DEST_CIDR;
	rule->cidr.addr.family = (uint8_t)family;
	if (family == AF_INET) {
		/* 11.0.0.0 - 99.255.255.255: public, never a packet's "public" address */
		rule->cidr.addr.v4 = 0x0b000000u + below(r, 0x59000000u);
		rule->cidr.len = (uint8_t)(16 + below(r, 17));
	} else {
		for (unsigned int i = 0; i < 16; i++)
			rule->cidr.addr.v6[i] = (uint8_t)rnd(r);
		rule->cidr.addr.v6[0] = 0x30; /* 3000::/8, disjoint from the public packets */
		rule->cidr.len = (uint8_t)(32 + below(r, 97));
	}
	mask(&rule->cidr.addr, rule->cidr.len);
}

static void build_policy(struct rng *r, int family, unsigned int n, struct sbgw_policy *p)
{
	struct sbgw_rule rule;

	/* public_only with the allowlist in front of its three rules. */
	memset(p, 0, sizeof(*p));
	p->default_egress = SBGW_ACTION_DENY;
	p->default_ingress = SBGW_ACTION_ALLOW;
	for (unsigned int i = 0; i + TAIL_RULES < n; i++) {
		allowlist_rule(r, family, &rule);
		if (sbgw_policy_append(p, &rule) < 0)
			abort();
	}
	sbgw_rule_init(&rule, SBGW_ACTION_ALLOW);
	rule.dest_kind = SBGW_DEST_GROUP;
	rule.group = SBGW_GROUP_PUBLIC;
	if (sbgw_policy_append_allow_dns(p) < 0 || sbgw_policy_append(p, &rule) < 0)
		abort();
}

/* A packet inside rule's network, protocol and ports. */
static void packet_for_rule(struct rng *r, const struct sbgw_rule *rule,
			    struct sbgw_policy_packet *pkt)
{
	struct sbgw_addr a = rule->cidr.addr;
	unsigned int bits = a.family == AF_INET ? 32 : 128;

	for (unsigned int i = rule->cidr.len; i < bits; i++) {
		if (rnd(r) & 1) {
			if (a.family == AF_INET)
				a.v4 |= 1u << (31 - i);
			else
				a.v6[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		}
	}
	pkt->addr = a;
	pkt->ip_proto = rule->proto == SBGW_PROTO_UDP ? IPPROTO_UDP
			: rule->proto == SBGW_PROTO_TCP ? IPPROTO_TCP
			: (rnd(r) & 1)                  ? IPPROTO_TCP
							: IPPROTO_UDP;
	pkt->port = rule->has_port
			    ? (uint16_t)(rule->port_lo + below(r, rule->port_hi - rule->port_lo + 1u))
			    : (uint16_t)below(r, 65536);
}

static void build_packets(struct rng *r, int family, const struct sbgw_policy *p,
			  struct sbgw_policy_packet *pkts)
{
	for (unsigned int i = 0; i < N_PACKETS; i++) {
		unsigned int roll = below(r, 100);
		struct sbgw_policy_packet *pkt = &pkts[i];

		memset(pkt, 0, sizeof(*pkt));
		if (roll < 40 && p->n_rules > TAIL_RULES) {
			packet_for_rule(r, &p->rules[below(r, p->n_rules - TAIL_RULES)], pkt);
			continue;
		}
		pkt->addr = roll < 90 ? public_addr(r, family) : private_addr(r, family);
		pkt->ip_proto = (rnd(r) & 1) ? IPPROTO_TCP : IPPROTO_UDP;
		pkt->port = (uint16_t)(1 + below(r, 65535));
	}
}

/* ---- The tight linear scan ------------------------------------------- */

struct tight_rule {
	uint8_t dirs, action, proto_any, ip_proto, has_port, kind, group;
	uint16_t port_lo, port_hi;
	int family;
	uint32_t net[4], msk[4]; /* host-order words */
};

static void words(const struct sbgw_addr *a, uint32_t *w)
{
	if (a->family == AF_INET) {
		w[0] = a->v4;
		w[1] = w[2] = w[3] = 0;
		return;
	}
	for (unsigned int i = 0; i < 4; i++)
		w[i] = (uint32_t)a->v6[4 * i] << 24 | (uint32_t)a->v6[4 * i + 1] << 16 |
		       (uint32_t)a->v6[4 * i + 2] << 8 | a->v6[4 * i + 3];
}

static struct tight_rule *tight_compile(const struct sbgw_policy *p)
{
	struct tight_rule *t = calloc(p->n_rules, sizeof(*t));

	if (t == NULL)
		abort();
	for (unsigned int i = 0; i < p->n_rules; i++) {
		const struct sbgw_rule *r = &p->rules[i];

		t[i].dirs = r->dirs;
		t[i].action = r->action;
		t[i].proto_any = r->proto == SBGW_PROTO_ANY;
		t[i].ip_proto = r->proto == SBGW_PROTO_TCP   ? IPPROTO_TCP
				: r->proto == SBGW_PROTO_UDP ? IPPROTO_UDP
				: r->proto == SBGW_PROTO_ICMPV4 ? IPPROTO_ICMP
								: IPPROTO_ICMPV6;
		t[i].has_port = r->has_port;
		t[i].port_lo = r->port_lo;
		t[i].port_hi = r->port_hi;
		t[i].kind = r->dest_kind;
		t[i].group = r->group;
		if (r->dest_kind == SBGW_DEST_CIDR) {
			unsigned int len = r->cidr.len;

			t[i].family = r->cidr.addr.family;
			words(&r->cidr.addr, t[i].net);
			for (unsigned int w = 0; w < 4; w++) {
				int l = (int)len - 32 * (int)w;

				l = l < 0 ? 0 : l > 32 ? 32 : l;
				t[i].msk[w] = l == 0 ? 0 : ~0u << (32 - l);
				t[i].net[w] &= t[i].msk[w];
			}
		}
	}
	return t;
}

static int tight_eval(const struct tight_rule *t, unsigned int n, const struct sbgw_policy *p,
		      const struct sbgw_policy_packet *pkt, const struct sbgw_host_addrs *host)
{
	struct sbgw_addr a = pkt->addr;
	uint32_t w[4];
	int group;

	sbgw_addr_normalise(&a);
	words(&a, w);
	group = sbgw_addr_group(&a, host);
	for (unsigned int i = 0; i < n; i++) {
		const struct tight_rule *r = &t[i];

		if (!(r->dirs & SBGW_DIR_EGRESS))
			continue;
		if (!r->proto_any && r->ip_proto != pkt->ip_proto)
			continue;
		if (r->has_port &&
		    ((pkt->ip_proto != IPPROTO_TCP && pkt->ip_proto != IPPROTO_UDP) ||
		     pkt->port < r->port_lo || pkt->port > r->port_hi))
			continue;
		if (r->kind == SBGW_DEST_CIDR) {
			if (r->family != a.family || (w[0] & r->msk[0]) != r->net[0] ||
			    (w[1] & r->msk[1]) != r->net[1] || (w[2] & r->msk[2]) != r->net[2] ||
			    (w[3] & r->msk[3]) != r->net[3])
				continue;
		} else if (r->kind == SBGW_DEST_GROUP) {
			if (r->group != group)
				continue;
		} else if (r->kind != SBGW_DEST_ANY) {
			continue;
		}
		return (int)i;
	}
	(void)p;
	return -1;
}

/* ---- Measurement ---------------------------------------------------- */

struct result {
	unsigned int rules, acl_rules;
	double build_ms, mean_pos;
	size_t bytes;
	double acl_ns, acl_cyc, ref_ns, ref_cyc, tight_ns, tight_cyc;
	unsigned int mismatches;
};

static volatile int sink;

static void time_acl(const struct sbgw_policy_compiled *cp, const struct sbgw_policy_packet *pkts,
		     const struct sbgw_host_addrs *host, int family, double seconds,
		     struct result *res)
{
	static struct sbgw_policy_key keys[BURST];
	const struct sbgw_policy_key *kp[BURST];
	uint32_t results[BURST];
	uint64_t c0, c1, done = 0;
	double t0, t1;
	unsigned int b = 0;
	int acc = 0;

	for (unsigned int i = 0; i < BURST; i++)
		kp[i] = &keys[i];
	t0 = now_s();
	c0 = rte_rdtsc();
	do {
		for (unsigned int rep = 0; rep < 64; rep++) {
			const struct sbgw_policy_packet *burst = &pkts[b * BURST];

			for (unsigned int i = 0; i < BURST; i++)
				sbgw_policy_key_init(&keys[i], &burst[i], host);
			sbgw_policy_classify(cp, SBGW_EGRESS, family, kp, results, BURST);
			for (unsigned int i = 0; i < BURST; i++)
				acc += sbgw_policy_verdict(cp, SBGW_EGRESS, results[i], NULL).rule;
			b = (b + 1) % (N_PACKETS / BURST);
			done += BURST;
		}
		t1 = now_s();
	} while (t1 - t0 < seconds);
	c1 = rte_rdtsc();
	sink = acc;
	res->acl_ns = (t1 - t0) * 1e9 / (double)done;
	res->acl_cyc = (double)(c1 - c0) / (double)done;
}

/* tight != NULL: the tight scan; else the reference evaluator. */
static void time_linear(const struct sbgw_policy *p, const struct tight_rule *tight,
			const struct sbgw_policy_packet *pkts, const struct sbgw_host_addrs *host,
			double seconds, double *ns, double *cyc)
{
	uint64_t c0, c1, done = 0;
	double t0, t1;
	unsigned int i = 0;
	int acc = 0;

	t0 = now_s();
	c0 = rte_rdtsc();
	do {
		for (unsigned int rep = 0; rep < BURST; rep++) {
			if (tight != NULL)
				acc += tight_eval(tight, p->n_rules, p, &pkts[i], host);
			else
				acc += ref_evaluate(p, SBGW_EGRESS, &pkts[i], host, NULL, 0).rule;
			i = (i + 1) % N_PACKETS;
			done++;
		}
		t1 = now_s();
	} while (t1 - t0 < seconds);
	c1 = rte_rdtsc();
	sink = acc;
	*ns = (t1 - t0) * 1e9 / (double)done;
	*cyc = (double)(c1 - c0) / (double)done;
}

static int bench_one(int family, unsigned int n, double seconds, struct result *res)
{
	static struct sbgw_policy_packet pkts[N_PACKETS];
	struct rng r = {.s = 0x5b9e7a11u + n * 2u + (family == AF_INET6)};
	struct sbgw_host_addrs host = {0};
	struct sbgw_policy_compiled *cp;
	struct sbgw_policy p;
	struct tight_rule *tight;
	char err[256];
	double t0, pos = 0;
	unsigned int counted = 0;

	sbgw_addr_parse("172.16.0.1", &host.v4);
	sbgw_addr_parse("fd42:6d73:62::1", &host.v6);
	memset(res, 0, sizeof(*res));
	res->rules = n;
	build_policy(&r, family, n, &p);
	build_packets(&r, family, &p, pkts);

	t0 = now_s();
	cp = sbgw_policy_compile(&p, "bench", err, sizeof(err));
	res->build_ms = (now_s() - t0) * 1e3;
	if (cp == NULL) {
		fprintf(stderr, "compile of %u rules failed: %s\n", n, err);
		sbgw_policy_clear(&p);
		return -1;
	}
	sbgw_policy_stats(cp, &res->acl_rules, &res->bytes);
	tight = tight_compile(&p);

	/* Same answers first: a fast wrong classifier is worth nothing. */
	for (unsigned int i = 0; i < N_PACKETS; i++) {
		struct sbgw_verdict a = sbgw_policy_evaluate(cp, SBGW_EGRESS, &pkts[i], &host, NULL);
		struct sbgw_verdict b = ref_evaluate(&p, SBGW_EGRESS, &pkts[i], &host, NULL, 0);
		int c = tight_eval(tight, p.n_rules, &p, &pkts[i], &host);

		if (a.rule != b.rule || a.action != b.action || c != b.rule)
			res->mismatches++;
		pos += b.rule < 0 ? (double)n : (double)b.rule + 1;
		counted++;
	}
	res->mean_pos = pos / counted;

	time_acl(cp, pkts, &host, family, seconds, res);
	time_linear(&p, NULL, pkts, &host, seconds, &res->ref_ns, &res->ref_cyc);
	time_linear(&p, tight, pkts, &host, seconds, &res->tight_ns, &res->tight_cyc);

	free(tight);
	sbgw_policy_free(cp);
	sbgw_policy_clear(&p);
	return 0;
}

static void print_header(int family)
{
	printf("\nIPv%d, egress, %d packets in bursts of %d\n\n", family == AF_INET ? 4 : 6,
	       N_PACKETS, BURST);
	printf("| rules | ACL rules | mean deciding rule | build ms | ACL memory KiB "
	       "| acl ns/pkt (cycles) | tight linear ns/pkt (cycles) | reference ns/pkt (cycles) "
	       "| tight / acl | reference / acl |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
}

static void print_row(const struct result *res)
{
	printf("| %u | %u | %.0f | %.1f | %.0f | %.0f (%.0f) | %.0f (%.0f) | %.0f (%.0f) | %.1fx "
	       "| %.1fx |%s\n",
	       res->rules, res->acl_rules, res->mean_pos, res->build_ms, (double)res->bytes / 1024,
	       res->acl_ns, res->acl_cyc, res->tight_ns, res->tight_cyc, res->ref_ns, res->ref_cyc,
	       res->tight_ns / res->acl_ns, res->ref_ns / res->acl_ns,
	       res->mismatches ? " VERDICTS DIFFER" : "");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char *eal_argv[] = {
		argv[0], "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
		"-m",    "2048",      "-l",          "0",        "--log-level=lib.eal:error",
	};
	unsigned int counts[16] = {10, 100, 1000, 10000}, n_counts = 4;
	const char *families = "46";
	double seconds = 0.5;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "f:n:t:")) != -1) {
		switch (opt) {
		case 'f':
			families = optarg;
			break;
		case 'n':
			n_counts = 0;
			for (char *s = strtok(optarg, ","); s != NULL && n_counts < 16;
			     s = strtok(NULL, ","))
				counts[n_counts++] = (unsigned int)strtoul(s, NULL, 10);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: %s [-f 4|6|46] [-n 10,100,...] [-t seconds]\n",
				argv[0]);
			return 2;
		}
	}
	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])), eal_argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	printf("TSC %" PRIu64 " Hz; %.2f s per measurement\n", rte_get_tsc_hz(), seconds);
	for (const char *f = families; *f != '\0'; f++) {
		int family = *f == '6' ? AF_INET6 : AF_INET;

		print_header(family);
		for (unsigned int i = 0; i < n_counts; i++) {
			struct result res;

			if (counts[i] < TAIL_RULES || bench_one(family, counts[i], seconds, &res) < 0) {
				rc = 1;
				continue;
			}
			print_row(&res);
			rc |= res.mismatches != 0;
		}
	}
	rte_eal_cleanup();
	return rc;
}
