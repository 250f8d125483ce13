/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The compiled policy (rte_acl) against the linear reference evaluator on
 * random policies and packets. Both the action and the rule index must
 * agree, in both directions.
 *
 * Policies are drawn so that rules overlap and shadow each other: CIDRs
 * are built around a small pool of addresses at group boundaries, packets
 * come from the same pool, from just inside and just outside rule CIDRs,
 * and from the gateway's own addresses; ports cluster on rule bounds;
 * domain rules use a small vocabulary and runs of them form domain sets.
 *
 * SBGW_DIFF_SEED and SBGW_DIFF_CASES override the seed and the number of
 * cases (a case is one packet judged in both directions).
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "eal.h"
#include "policy.h"
#include "reference.h"
#include "rng.h"

#define DEFAULT_SEED UINT64_C(0x5b9e7a11c0ffee01)
#define DEFAULT_CASES 200000
#define BURST 64
#define MAX_NAMES 3

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

static const char *const v4_pool[] = {
	"0.0.0.0",        "0.1.2.3",         "1.2.3.4",         "8.8.8.8",
	"9.255.255.255",  "10.0.0.0",        "10.0.0.5",        "10.255.255.255",
	"11.0.0.0",       "100.63.255.255",  "100.64.0.0",      "100.127.255.255",
	"100.128.0.0",    "127.0.0.1",       "127.255.255.255", "128.0.0.0",
	"169.254.0.1",    "169.254.169.253", "169.254.169.254", "169.254.169.255",
	"169.255.0.0",    "172.15.255.255",  "172.16.0.0",      "172.16.0.1",
	"172.16.0.2",     "172.31.255.255",  "172.32.0.0",      "192.0.2.1",
	"192.168.0.0",    "192.168.255.255", "192.169.0.0",     "223.255.255.255",
	"224.0.0.0",      "239.255.255.255", "240.0.0.0",       "255.255.255.255",
};

static const char *const v6_pool[] = {
	"::",
	"::1",
	"::2",
	"::ffff:0:0",
	"64:ff9b::1",
	"2001:db8::1",
	"2606:4700:4700::1111",
	"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"fc00::",
	"fd42:6d73:62::1",
	"fd42:6d73:62::2",
	"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"fe00::",
	"fe80::1",
	"febf:ffff::1",
	"fec0::1",
	"ff02::1",
	"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

static const char *const vocab[] = {
	"example.com",    "www.example.com", "api.example.com", "a.b.example.com",
	"evilexample.com", "example.org",    "cdn.example.org", "github.com",
	"api.github.com", "x.io",           "co.uk",           "bbc.co.uk",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct sbgw_addr pool_v4[N(v4_pool)], pool_v6[N(v6_pool)];

/* One compiled policy and what it was drawn from. */
struct scenario {
	struct sbgw_policy p;
	struct sbgw_host_addrs host;
};

struct packet {
	struct sbgw_policy_packet pkt;
	const char *names[MAX_NAMES];
	unsigned int n_names;
	struct sbgw_domain_hits hits;
	struct sbgw_policy_key key;
	uint32_t result[2];
};

static void mask_addr(struct sbgw_addr *a, unsigned int len)
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

static struct sbgw_addr random_addr(struct rng *r, bool v6)
{
	struct sbgw_addr a = {0};

	if (!v6) {
		a.family = AF_INET;
		a.v4 = (uint32_t)rnd(r);
		return a;
	}
	a.family = AF_INET6;
	for (unsigned int i = 0; i < 16; i += 8) {
		uint64_t x = rnd(r);

		memcpy(a.v6 + i, &x, 8);
	}
	return a;
}

static struct sbgw_addr pool_addr(struct rng *r, bool v6)
{
	return v6 ? pool_v6[below(r, N(pool_v6))] : pool_v4[below(r, N(pool_v4))];
}

/* Set or clear random bits past len (inside the network), or step just outside it. */
static struct sbgw_addr near(struct rng *r, const struct sbgw_cidr *c)
{
	struct sbgw_addr a = c->addr;
	unsigned int bits = a.family == AF_INET ? 32 : 128;

	if (chance(r, 70)) {
		for (unsigned int i = c->len; i < bits; i++) {
			if (!chance(r, 50))
				continue;
			if (a.family == AF_INET)
				a.v4 |= 1u << (31 - i);
			else
				a.v6[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		}
		return a;
	}
	/* Flip one bit of the prefix: the neighbouring network. */
	if (c->len > 0) {
		unsigned int i = below(r, c->len);

		if (a.family == AF_INET)
			a.v4 ^= 1u << (31 - i);
		else
			a.v6[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
	}
	return a;
}

static uint8_t random_len(struct rng *r, bool v6)
{
	static const uint8_t v4_lens[] = {0, 1, 4, 7, 8, 10, 12, 15, 16, 23, 24, 25, 31, 32, 32};
	static const uint8_t v6_lens[] = {0,  1,  7,  8,   10,  16,  32,  47, 48,
					  63, 64, 96, 104, 120, 127, 128, 128};

	if (chance(r, 20))
		return (uint8_t)below(r, v6 ? 129 : 33);
	return v6 ? v6_lens[below(r, N(v6_lens))] : v4_lens[below(r, N(v4_lens))];
}

static void random_ports(struct rng *r, struct sbgw_rule *rule)
{
	static const uint16_t common[] = {0, 22, 53, 80, 443, 853, 8080, 65535};
	uint16_t a, b;

	rule->has_port = chance(r, 45);
	if (!rule->has_port)
		return;
	if (chance(r, 50)) {
		a = chance(r, 70) ? common[below(r, N(common))] : (uint16_t)rnd(r);
		rule->port_lo = rule->port_hi = a;
		return;
	}
	if (chance(r, 10)) {
		rule->port_lo = 0;
		rule->port_hi = UINT16_MAX;
		return;
	}
	a = chance(r, 50) ? common[below(r, N(common))] : (uint16_t)rnd(r);
	b = chance(r, 50) ? (uint16_t)(a + below(r, 2000)) : (uint16_t)rnd(r);
	rule->port_lo = a < b ? a : b;
	rule->port_hi = a < b ? b : a;
}

static bool is_domain(const struct sbgw_rule *r)
{
	return r->dest_kind == SBGW_DEST_DOMAIN || r->dest_kind == SBGW_DEST_SUFFIX;
}

static void random_rule(struct rng *r, const struct sbgw_policy *p, const struct scenario *sc,
			struct sbgw_rule *rule)
{
	static const uint8_t dirs[] = {SBGW_DIR_EGRESS, SBGW_DIR_EGRESS, SBGW_DIR_INGRESS,
				       SBGW_DIR_ANY};
	const struct sbgw_rule *prev = p->n_rules > 0 ? &p->rules[p->n_rules - 1] : NULL;
	unsigned int kind = below(r, 100);
	bool v6;

	/* Runs of domain rules equal but for the name make multi-rule domain sets. */
	if (prev != NULL && is_domain(prev) && chance(r, 40)) {
		*rule = *prev;
		rule->dest_kind = chance(r, 50) ? SBGW_DEST_DOMAIN : SBGW_DEST_SUFFIX;
		snprintf(rule->name, sizeof(rule->name), "%s", vocab[below(r, N(vocab))]);
		/* Near misses: one field differs, so the run must split into two sets. */
		switch (chance(r, 30) ? below(r, 4) : 4) {
		case 0:
			random_ports(r, rule);
			break;
		case 1:
			rule->proto = (uint8_t)below(r, 5);
			break;
		case 2:
			rule->action ^= 1;
			break;
		case 3:
			rule->dirs = dirs[below(r, N(dirs))];
			break;
		}
		return;
	}
	sbgw_rule_init(rule, chance(r, 50) ? SBGW_ACTION_ALLOW : SBGW_ACTION_DENY);
	rule->dirs = dirs[below(r, N(dirs))];
	rule->proto = (uint8_t)(chance(r, 40) ? SBGW_PROTO_ANY : 1 + below(r, 4));
	random_ports(r, rule);
	if (kind < 10) {
		rule->dest_kind = SBGW_DEST_ANY;
	} else if (kind < 55) {
		v6 = chance(r, 40);
		rule->dest_kind = SBGW_DEST_CIDR;
		if (chance(r, 10))
			rule->cidr.addr = v6 ? sc->host.v6 : sc->host.v4;
		else
			rule->cidr.addr = chance(r, 80) ? pool_addr(r, v6) : random_addr(r, v6);
		if (rule->cidr.addr.family == 0)
			rule->cidr.addr = pool_addr(r, false);
		v6 = rule->cidr.addr.family == AF_INET6;
		rule->cidr.len = random_len(r, v6);
		mask_addr(&rule->cidr.addr, rule->cidr.len);
		/* Mapped rule CIDRs must behave as the IPv4 network they cover. */
		if (!v6 && chance(r, 10)) {
			uint32_t v4 = rule->cidr.addr.v4;

			memset(&rule->cidr.addr, 0, sizeof(rule->cidr.addr));
			rule->cidr.addr.family = AF_INET6;
			rule->cidr.addr.v6[10] = rule->cidr.addr.v6[11] = 0xff;
			rule->cidr.addr.v6[12] = (uint8_t)(v4 >> 24);
			rule->cidr.addr.v6[13] = (uint8_t)(v4 >> 16);
			rule->cidr.addr.v6[14] = (uint8_t)(v4 >> 8);
			rule->cidr.addr.v6[15] = (uint8_t)v4;
			rule->cidr.len = (uint8_t)(rule->cidr.len + 96);
		}
	} else if (kind < 80) {
		rule->dest_kind = SBGW_DEST_GROUP;
		rule->group = (uint8_t)(SBGW_GROUP_PUBLIC + below(r, SBGW_GROUP_COUNT - 1));
	} else {
		rule->dest_kind = chance(r, 50) ? SBGW_DEST_DOMAIN : SBGW_DEST_SUFFIX;
		snprintf(rule->name, sizeof(rule->name), "%s", vocab[below(r, N(vocab))]);
	}
}

/* Would appending r to p open a new domain set? */
static bool starts_domain_set(const struct sbgw_policy *p, const struct sbgw_rule *r)
{
	const struct sbgw_rule *prev = p->n_rules > 0 ? &p->rules[p->n_rules - 1] : NULL;

	if (!is_domain(r))
		return false;
	if (prev == NULL || !is_domain(prev))
		return true;
	return prev->dirs != r->dirs || prev->action != r->action || prev->proto != r->proto ||
	       prev->has_port != r->has_port ||
	       (r->has_port && (prev->port_lo != r->port_lo || prev->port_hi != r->port_hi));
}

static void random_scenario(struct rng *r, struct scenario *sc, unsigned int max_rules)
{
	static const char *const hosts_v4[] = {"172.16.0.1", "10.0.0.5", "192.168.0.1"};
	static const char *const hosts_v6[] = {"fd42:6d73:62::1", "fe80::1", "2001:db8::1"};
	unsigned int n;

	memset(sc, 0, sizeof(*sc));
	if (chance(r, 90))
		sbgw_addr_parse(hosts_v4[below(r, N(hosts_v4))], &sc->host.v4);
	if (chance(r, 80))
		sbgw_addr_parse(hosts_v6[below(r, N(hosts_v6))], &sc->host.v6);
	sc->p.default_egress = (uint8_t)below(r, 2);
	sc->p.default_ingress = (uint8_t)below(r, 2);
	/* Mostly small policies, where every rule gets hit; some up to max_rules. */
	n = max_rules <= 40 && chance(r, 90) ? below(r, 13) : below(r, max_rules + 1);
	for (unsigned int i = 0, sets = 0; i < n; i++) {
		struct sbgw_rule rule;

		random_rule(r, &sc->p, sc, &rule);
		/* Stay within the compiler's domain-set limit (its error has its own test). */
		if (starts_domain_set(&sc->p, &rule) && ++sets > SBGW_DOMAIN_SETS_MAX) {
			rule.dest_kind = SBGW_DEST_ANY;
			sets--;
		}
		if (sbgw_policy_append(&sc->p, &rule) < 0)
			abort();
	}
}

static void random_packet(struct rng *r, const struct scenario *sc, struct packet *pk)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_TCP,  IPPROTO_UDP, IPPROTO_UDP,
					 IPPROTO_ICMP, IPPROTO_ICMPV6, 47};
	const struct sbgw_policy *p = &sc->p;
	const struct sbgw_rule *rule = p->n_rules > 0 ? &p->rules[below(r, p->n_rules)] : NULL;
	struct sbgw_addr *a = &pk->pkt.addr;
	unsigned int how = below(r, 100);

	memset(pk, 0, sizeof(*pk));
	if (how < 35 && rule != NULL && rule->dest_kind == SBGW_DEST_CIDR) {
		struct sbgw_cidr c = rule->cidr;

		sbgw_cidr_normalise(&c);
		*a = near(r, &c);
	} else if (how < 70) {
		*a = pool_addr(r, chance(r, 40));
	} else if (how < 80 && (sc->host.v4.family != 0 || sc->host.v6.family != 0)) {
		*a = sc->host.v4.family != 0 && (sc->host.v6.family == 0 || chance(r, 50))
			     ? sc->host.v4
			     : sc->host.v6;
	} else {
		*a = random_addr(r, chance(r, 40));
	}
	/* IPv4-mapped IPv6 packets must be judged as their IPv4 address (§2.4). */
	if (a->family == AF_INET && chance(r, 15)) {
		uint32_t v4 = a->v4;

		memset(a, 0, sizeof(*a));
		a->family = AF_INET6;
		a->v6[10] = a->v6[11] = 0xff;
		a->v6[12] = (uint8_t)(v4 >> 24);
		a->v6[13] = (uint8_t)(v4 >> 16);
		a->v6[14] = (uint8_t)(v4 >> 8);
		a->v6[15] = (uint8_t)v4;
	}
	pk->pkt.ip_proto = protos[below(r, N(protos))];
	if (rule != NULL && rule->has_port && chance(r, 60)) {
		unsigned int pick = below(r, 4);
		int port = pick == 0 ? rule->port_lo - 1 : pick == 1 ? rule->port_lo
						   : pick == 2 ? rule->port_hi
							       : rule->port_hi + 1;

		pk->pkt.port = (uint16_t)port;
	} else {
		pk->pkt.port = chance(r, 50) ? (uint16_t)rnd(r) : (uint16_t)(chance(r, 50) ? 53 : 443);
	}
	/* The datapath gives ICMP port 0; other values must not matter either. */
	if ((pk->pkt.ip_proto == IPPROTO_ICMP || pk->pkt.ip_proto == IPPROTO_ICMPV6) &&
	    chance(r, 70))
		pk->pkt.port = 0;
	pk->n_names = chance(r, 30) ? 0 : 1 + below(r, MAX_NAMES);
	for (unsigned int i = 0; i < pk->n_names; i++)
		pk->names[i] = vocab[below(r, N(vocab))];
}

static void report(uint64_t seed, uint64_t case_no, const struct scenario *sc,
		   const struct packet *pk, enum sbgw_dir dir, struct sbgw_verdict got,
		   struct sbgw_verdict want)
{
	char a[SBGW_ADDR_STRLEN], h4[SBGW_ADDR_STRLEN], h6[SBGW_ADDR_STRLEN];

	fprintf(stderr, "MISMATCH seed=0x%" PRIx64 " case=%" PRIu64 " dir=%s\n", seed, case_no,
		dir == SBGW_EGRESS ? "egress" : "ingress");
	fprintf(stderr, "host %s %s\n", sbgw_addr_format(&sc->host.v4, h4, sizeof(h4)),
		sbgw_addr_format(&sc->host.v6, h6, sizeof(h6)));
	sbgw_policy_dump(&sc->p, stderr, "  ");
	fprintf(stderr, "packet %s proto %u port %u names", sbgw_addr_format(&pk->pkt.addr, a,
									     sizeof(a)),
		pk->pkt.ip_proto, pk->pkt.port);
	for (unsigned int i = 0; i < pk->n_names; i++)
		fprintf(stderr, " %s", pk->names[i]);
	fprintf(stderr, "\nrte_acl: %s rule %d; reference: %s rule %d\n",
		sbgw_action_name(got.action), got.rule, sbgw_action_name(want.action), want.rule);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		fail_msg("%s=%s is not a number", name, s);
	return v;
}

/* Judge n packets of one scenario both ways; false on the first mismatch. */
static bool check_burst(uint64_t seed, uint64_t first_case, const struct scenario *sc,
			const struct sbgw_policy_compiled *cp, struct packet *pks, unsigned int n)
{
	const struct sbgw_policy_key *keys[2][BURST];
	unsigned int idx[2][BURST], count[2] = {0, 0};
	uint32_t results[BURST];
	bool ok = true;

	for (unsigned int i = 0; i < n; i++) {
		struct packet *pk = &pks[i];
		int fam;

		sbgw_policy_domain_hits(cp, pk->names, pk->n_names, &pk->hits);
		pk->pkt.domain_bits = pk->hits.bits;
		sbgw_policy_key_init(&pk->key, &pk->pkt, &sc->host);
		fam = pk->key.family == AF_INET ? 0 : 1;
		keys[fam][count[fam]] = &pk->key;
		idx[fam][count[fam]++] = i;
	}
	for (int dir = SBGW_EGRESS; dir <= SBGW_INGRESS; dir++)
		for (int fam = 0; fam < 2; fam++) {
			if (count[fam] == 0)
				continue;
			if (sbgw_policy_classify(cp, (enum sbgw_dir)dir, fam == 0 ? AF_INET : AF_INET6,
						 keys[fam], results, count[fam]) != 0)
				fail_msg("classify failed");
			for (unsigned int k = 0; k < count[fam]; k++)
				pks[idx[fam][k]].result[dir] = results[k];
		}
	for (unsigned int i = 0; i < n && ok; i++) {
		struct packet *pk = &pks[i];

		for (int dir = SBGW_EGRESS; dir <= SBGW_INGRESS && ok; dir++) {
			struct sbgw_verdict got, want, single;

			got = sbgw_policy_verdict(cp, (enum sbgw_dir)dir, pk->result[dir], &pk->hits);
			want = ref_evaluate(&sc->p, (enum sbgw_dir)dir, &pk->pkt, &sc->host,
					    pk->names, pk->n_names);
			if (got.action != want.action || got.rule != want.rule) {
				report(seed, first_case + i, sc, pk, (enum sbgw_dir)dir, got, want);
				ok = false;
			}
			/* The one-packet path must agree with the burst path. */
			if (ok && i % 8 == 0) {
				single = sbgw_policy_evaluate(cp, (enum sbgw_dir)dir, &pk->pkt,
							      &sc->host, &pk->hits);
				if (single.action != got.action || single.rule != got.rule) {
					fprintf(stderr, "evaluate() disagrees with the burst:\n");
					report(seed, first_case + i, sc, pk, (enum sbgw_dir)dir,
					       single, got);
					ok = false;
				}
			}
		}
	}
	return ok;
}

/* cases packets over scenarios of up to max_rules rules, per_policy packets each. */
static void run(uint64_t seed, uint64_t cases, unsigned int max_rules, unsigned int per_policy)
{
	static struct packet pks[BURST];
	struct rng r = {.s = seed};
	struct timespec t0, t1;
	uint64_t done = 0, policies = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < cases) {
		struct sbgw_policy_compiled *cp;
		struct scenario sc;
		unsigned int todo = per_policy;
		char err[256];

		random_scenario(&r, &sc, max_rules);
		policies++;
		cp = sbgw_policy_compile(&sc.p, "diff", err, sizeof(err));
		if (cp == NULL) {
			sbgw_policy_dump(&sc.p, stderr, "  ");
			fail_msg("seed 0x%" PRIx64 ", case %" PRIu64 ": compile failed: %s", seed,
				 done, err);
		}
		while (todo > 0 && done < cases) {
			unsigned int n = todo < BURST ? todo : BURST;

			if (cases - done < n)
				n = (unsigned int)(cases - done);
			for (unsigned int i = 0; i < n; i++)
				random_packet(&r, &sc, &pks[i]);
			if (!check_burst(seed, done, &sc, cp, pks, n)) {
				sbgw_policy_free(cp);
				sbgw_policy_clear(&sc.p);
				fail_msg("rte_acl and the reference disagree (seed 0x%" PRIx64
					 ", case %" PRIu64 "); rerun with SBGW_DIFF_SEED",
					 seed, done);
			}
			done += n;
			todo -= n;
		}
		sbgw_policy_free(cp);
		sbgw_policy_clear(&sc.p);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("differential: seed 0x%" PRIx64 ", %" PRIu64 " cases, %" PRIu64
	       " policies (up to %u rules), %.2f s\n",
	       seed, done, policies, max_rules,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static int setup(void **state)
{
	for (size_t i = 0; i < N(v4_pool); i++)
		if (sbgw_addr_parse(v4_pool[i], &pool_v4[i]) < 0)
			return -1;
	for (size_t i = 0; i < N(v6_pool); i++)
		if (sbgw_addr_parse(v6_pool[i], &pool_v6[i]) < 0)
			return -1;
	return test_eal_setup(state);
}

static void differential_small_policies_match_reference(void **state)
{
	uint64_t seed = env_u64("SBGW_DIFF_SEED", DEFAULT_SEED);
	uint64_t cases = env_u64("SBGW_DIFF_CASES", DEFAULT_CASES);

	(void)state;
	printf("differential: SBGW_DIFF_SEED=0x%" PRIx64 " SBGW_DIFF_CASES=%" PRIu64 "\n", seed,
	       cases);
	run(seed, cases, 40, 2 * BURST);
}

/* Fewer, larger policies: rte_acl splits big rule sets over several tries. */
static void differential_large_policies_match_reference(void **state)
{
	uint64_t seed = env_u64("SBGW_DIFF_SEED", DEFAULT_SEED) ^ UINT64_C(0xa5a5a5a5a5a5a5a5);
	uint64_t cases = env_u64("SBGW_DIFF_CASES", DEFAULT_CASES) / 10;

	(void)state;
	run(seed, cases, 400, 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(differential_small_policies_match_reference),
		cmocka_unit_test(differential_large_policies_match_reference),
	};

	return cmocka_run_group_tests_name("differential", tests, setup, test_eal_teardown);
}
