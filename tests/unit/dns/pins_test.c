/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pin table (lib/dns/pins.c): what lookups answer after replaces,
 * clears, expiry and policy changes, full tables, and the readers' grace
 * period, including one writer and one reader running at once.
 *
 * Expiry times are plain numbers: lookups take "now" as an argument, so no
 * test depends on the clock except the concurrent one, which runs for a
 * fixed time.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "pins.h"

#define NOW 1000u
#define LIVE 2000u  /* expiry after NOW */
#define LATER 3000u /* expiry after LIVE */
#define PAST 500u   /* expiry before NOW */

/* ---- Helpers ------------------------------------------------------------- */

static int eal_setup(void **state)
{
	/* --in-memory is refused with --no-huge by DPDK 22.11; --no-shconf isolates as well. */
	char *argv[] = {
	        "pins-test", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
	        "-m",        "256",       "-l",          "0",        "--log-level=lib.eal:error",
	};

	(void)state;
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return -1;
	}
	return 0;
}

static int eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

static struct sbgw_addr addr(const char *text)
{
	struct sbgw_addr a;

	if (sbgw_addr_parse(text, &a) < 0)
		fail_msg("bad address %s", text);
	return a;
}

/* "<allow|deny> [tcp|udp] [port N] to <domain D|suffix S|group G|any>" */
static struct sbgw_rule rule(const char *text)
{
	char buf[256], *save = NULL, *tok, *kind, *value;
	const char *reason = NULL;
	struct sbgw_rule r;

	snprintf(buf, sizeof(buf), "%s", text);
	tok = strtok_r(buf, " ", &save);
	sbgw_rule_init(&r, strcmp(tok, "deny") == 0 ? SBGW_ACTION_DENY : SBGW_ACTION_ALLOW);
	tok = strtok_r(NULL, " ", &save);
	if (strcmp(tok, "tcp") == 0 || strcmp(tok, "udp") == 0) {
		r.proto = tok[0] == 't' ? SBGW_PROTO_TCP : SBGW_PROTO_UDP;
		tok = strtok_r(NULL, " ", &save);
	}
	if (strcmp(tok, "port") == 0) {
		r.has_port = true;
		r.port_lo = r.port_hi = (uint16_t)atoi(strtok_r(NULL, " ", &save));
		tok = strtok_r(NULL, " ", &save);
	}
	assert_string_equal(tok, "to");
	kind = strtok_r(NULL, " ", &save);
	value = strtok_r(NULL, " ", &save);
	if (strcmp(kind, "domain") == 0) {
		r.dest_kind = SBGW_DEST_DOMAIN;
		if (sbgw_name_canonical(value, r.name, &reason) < 0)
			fail_msg("%s: %s", text, reason);
	} else if (strcmp(kind, "suffix") == 0) {
		r.dest_kind = SBGW_DEST_SUFFIX;
		if (sbgw_suffix_canonical(value, r.name, &reason) < 0)
			fail_msg("%s: %s", text, reason);
	} else if (strcmp(kind, "group") == 0) {
		r.dest_kind = SBGW_DEST_GROUP;
		r.group = (uint8_t)sbgw_group_parse(value);
	} else {
		r.dest_kind = SBGW_DEST_ANY;
	}
	return r;
}

/* Rules as text, for compile(). */
#define RULES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Compile the rules (NULL-terminated); defaults deny/allow. */
static struct sbgw_policy_compiled *compile(const char *const *rules)
{
	struct sbgw_policy p = {.default_egress = SBGW_ACTION_DENY,
	                        .default_ingress = SBGW_ACTION_ALLOW};
	struct sbgw_policy_compiled *cp;
	char err[256] = "";

	for (unsigned int i = 0; rules[i] != NULL; i++) {
		struct sbgw_rule r = rule(rules[i]);

		assert_int_equal(sbgw_policy_append(&p, &r), 0);
	}
	cp = sbgw_policy_compile(&p, "pins", err, sizeof(err));
	if (cp == NULL)
		fail_msg("compile: %s", err);
	sbgw_policy_clear(&p);
	return cp;
}

/*
 * The policy most tests use:
 *   set 0: rule 0 domain x.ex.test, rule 1 suffix ex.test
 *   set 1: rule 2 udp domain y.ex.test
 * so x.ex.test hits set 0 at rule 0; y.ex.test set 0 at rule 1 and set 1 at rule 2;
 * w.ex.test set 0 at rule 1; other.example nothing.
 */
static struct sbgw_policy_compiled *compile_std(void)
{
	return compile(RULES("allow to domain x.ex.test", "allow to suffix ex.test",
	                     "deny udp to domain y.ex.test", "allow to group public"));
}

/* Each table gets its own name, so that one a failed test leaks does not stop the next. */
static struct sbgw_pins_params params(void)
{
	static char names[64][SBGW_PINS_NAME_MAX + 1];
	static unsigned int n;
	struct sbgw_pins_params p;

	snprintf(names[n % 64], sizeof(names[0]), "pt%u", n);
	p = (struct sbgw_pins_params){
	        .name = names[n++ % 64],
	        .n_sandboxes = 2,
	        .n_readers = 1,
	        .max_names = 64,
	        .max_addrs = 64,
	        .tsc_hz = 1000,
	        .socket_id = (int)rte_socket_id(),
	};

	return p;
}

static struct sbgw_pins *create(const struct sbgw_pins_params *p)
{
	struct sbgw_pins *pins = sbgw_pins_create(p);

	if (pins == NULL)
		fail_msg("sbgw_pins_create: %s", strerror(errno));
	return pins;
}

/* A table whose sandboxes 0 and 1 both use cp. */
static struct sbgw_pins *create_std(const struct sbgw_policy_compiled *cp)
{
	struct sbgw_pins_params p = params();
	struct sbgw_pins *pins = create(&p);

	assert_int_equal(sbgw_pins_set_policy(pins, 0, cp), 0);
	assert_int_equal(sbgw_pins_set_policy(pins, 1, cp), 0);
	return pins;
}

static int pin(struct sbgw_pins *pins, uint32_t sandbox, const char *name, int family,
               uint64_t expiry, const char *a0, const char *a1)
{
	struct sbgw_addr a[2];
	unsigned int n = 0;

	if (a0 != NULL)
		a[n++] = addr(a0);
	if (a1 != NULL)
		a[n++] = addr(a1);
	return sbgw_pins_replace(pins, sandbox, name, family, a, n, expiry);
}

static bool lookup(const struct sbgw_pins *pins, uint32_t sandbox, const char *a, uint64_t now,
                   struct sbgw_domain_hits *h)
{
	struct sbgw_addr x = addr(a);

	return sbgw_pins_lookup(pins, sandbox, &x, now, h);
}

/* lookup answers true with exactly bits, and first rules r0 (set 0) and r1 (set 1) where set. */
static void assert_hits(const struct sbgw_pins *pins, uint32_t sandbox, const char *a, uint64_t now,
                        uint64_t bits, uint32_t r0, uint32_t r1)
{
	struct sbgw_domain_hits h;

	if (!lookup(pins, sandbox, a, now, &h))
		fail_msg("%s: not pinned at %" PRIu64, a, now);
	if (h.bits != bits)
		fail_msg("%s: bits %#" PRIx64 ", want %#" PRIx64, a, h.bits, bits);
	if ((bits & 1) && h.first_rule[0] != r0)
		fail_msg("%s: set 0 rule %u, want %u", a, h.first_rule[0], r0);
	if ((bits & 2) && h.first_rule[1] != r1)
		fail_msg("%s: set 1 rule %u, want %u", a, h.first_rule[1], r1);
}

static void assert_unpinned(const struct sbgw_pins *pins, uint32_t sandbox, const char *a,
                            uint64_t now)
{
	struct sbgw_domain_hits h;

	h.bits = ~UINT64_C(0);
	assert_false(lookup(pins, sandbox, a, now, &h));
	assert_int_equal(h.bits, 0);
}

static struct sbgw_pins_counters counters(const struct sbgw_pins *pins)
{
	struct sbgw_pins_counters c;

	sbgw_pins_counters(pins, &c);
	return c;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;

	assert_int_equal(rte_malloc_get_socket_stats((int)rte_socket_id(), &st), 0);
	return st.heap_allocsz_bytes;
}

/* ---- Creation ------------------------------------------------------------ */

static void pins_create_bad_params_einval(void **state)
{
	struct sbgw_pins_params p = params();

	(void)state;
	assert_null(sbgw_pins_create(NULL));
	assert_int_equal(errno, EINVAL);
	p.name = "a-name-longer-than-sixteen";
	assert_null(sbgw_pins_create(&p));
	assert_int_equal(errno, EINVAL);
	p = params();
	p.max_names = 0;
	assert_null(sbgw_pins_create(&p));
	assert_int_equal(errno, EINVAL);
	p = params();
	p.n_sandboxes = 0;
	assert_null(sbgw_pins_create(&p));
	assert_int_equal(errno, EINVAL);
}

static void pins_create_free_memory_returned(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	size_t before = heap_used();
	struct sbgw_pins *pins;

	(void)state;
	pins = create_std(cp);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "1.1.1.1", "1.1.1.2"), 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "1.1.1.1", NULL), 0);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "1.1.1.3", NULL), 0);
	sbgw_pins_free(pins);
	assert_int_equal(heap_used(), before);
	sbgw_policy_free(cp);
}

/* ---- Replace, clear, lookup ----------------------------------------------- */

static void pins_replace_lookup_exact_bits_and_rules(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	assert_int_equal(pin(pins, 0, "w.ex.test", AF_INET, LIVE, "192.0.2.2", NULL), 0);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0x1, 1, 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.3", NULL), 0);
	assert_hits(pins, 0, "192.0.2.3", NOW, 0x3, 1, 2);
	assert_unpinned(pins, 0, "192.0.2.4", NOW);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_name_without_rule_pinned_no_bits(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);

	(void)state;
	assert_int_equal(pin(pins, 0, "other.example", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0, 0, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_two_names_one_addr_merged_smaller_rule(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);

	(void)state;
	/* y.ex.test: set 0 rule 1, set 1 rule 2; x.ex.test: set 0 rule 0. */
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x3, 1, 2);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x3, 0, 2);
	/* In the other order too. */
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.2", NULL), 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.2", NULL), 0);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0x3, 0, 2);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_replace_without_addr_removes_name(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);
	uint32_t names, addrs;

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", "192.0.2.2"), 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.2", NULL), 0);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0x3, 0, 2);
	/* x.ex.test moves to .3: .1 had only x.ex.test and goes, .2 keeps y.ex.test alone. */
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.3", NULL), 0);
	assert_unpinned(pins, 0, "192.0.2.1", NOW);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0x3, 1, 2);
	assert_hits(pins, 0, "192.0.2.3", NOW, 0x1, 0, 0);
	sbgw_pins_stats(pins, &names, &addrs);
	assert_int_equal(names, 2);
	assert_int_equal(addrs, 2);
	assert_int_equal(counters(pins).links, 2);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_clear_removes_key(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);
	uint32_t names, addrs;

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", "192.0.2.2"), 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.2", NULL), 0);
	assert_int_equal(sbgw_pins_clear(pins, 0, "x.ex.test", AF_INET), 0);
	assert_unpinned(pins, 0, "192.0.2.1", NOW);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0x3, 1, 2);
	sbgw_pins_stats(pins, &names, &addrs);
	assert_int_equal(names, 1);
	assert_int_equal(addrs, 1);
	/* Clearing what is not there, and replacing with nothing, are the same no-op. */
	assert_int_equal(sbgw_pins_clear(pins, 0, "x.ex.test", AF_INET), 0);
	assert_int_equal(sbgw_pins_replace(pins, 0, "y.ex.test", AF_INET, NULL, 0, LIVE), 0);
	assert_unpinned(pins, 0, "192.0.2.2", NOW);
	sbgw_pins_stats(pins, &names, &addrs);
	assert_int_equal(names, 0);
	assert_int_equal(addrs, 0);
	assert_int_equal(counters(pins).links, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_other_family_lookup_unpinned(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	/* Resolving A gives no right to the host's IPv6 addresses. */
	assert_unpinned(pins, 0, "2001:db8::1", NOW);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET6, LIVE, "2001:db8::1", NULL), 0);
	assert_hits(pins, 0, "2001:db8::1", NOW, 0x1, 0, 0);
	/* An AAAA answer does not replace the A set, and clearing one leaves the other. */
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	assert_int_equal(sbgw_pins_clear(pins, 0, "x.ex.test", AF_INET), 0);
	assert_unpinned(pins, 0, "192.0.2.1", NOW);
	assert_hits(pins, 0, "2001:db8::1", NOW, 0x1, 0, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_mapped_addr_pins_ipv4(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);
	struct sbgw_addr a[3] = {addr("::ffff:192.0.2.1"), addr("192.0.2.1"),
	                         addr("::ffff:192.0.2.1")};

	(void)state;
	/* Normalised (semantics §2.4) and counted once. */
	assert_int_equal(sbgw_pins_replace(pins, 0, "x.ex.test", AF_INET6, a, 3, LIVE), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	assert_hits(pins, 0, "::ffff:192.0.2.1", NOW, 0x1, 0, 0);
	assert_int_equal(counters(pins).addrs, 1);
	assert_int_equal(counters(pins).links, 1);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_other_sandbox_lookup_unpinned(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_unpinned(pins, 1, "192.0.2.1", NOW);
	assert_int_equal(pin(pins, 1, "y.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	assert_hits(pins, 1, "192.0.2.1", NOW, 0x3, 1, 2);
	assert_int_equal(sbgw_pins_clear(pins, 1, "x.ex.test", AF_INET), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	/* Out of range sandboxes are refused, not read. */
	assert_unpinned(pins, 2, "192.0.2.1", NOW);
	assert_int_equal(pin(pins, 2, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), -EINVAL);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_bad_args_einval(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);
	struct sbgw_addr unset = {0};
	char long_name[SBGW_NAME_MAX + 1];

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_UNIX, LIVE, "192.0.2.1", NULL), -EINVAL);
	assert_int_equal(sbgw_pins_replace(pins, 0, "x.ex.test", AF_INET, &unset, 1, LIVE),
	                 -EINVAL);
	assert_int_equal(sbgw_pins_replace(pins, 0, "x.ex.test", AF_INET, NULL, 1, LIVE), -EINVAL);
	memset(long_name, 'a', SBGW_NAME_MAX);
	long_name[SBGW_NAME_MAX] = '\0';
	assert_int_equal(pin(pins, 0, long_name, AF_INET, LIVE, "192.0.2.1", NULL), -EINVAL);
	assert_int_equal(counters(pins).names, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_answer_over_max_truncated(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);
	struct sbgw_addr a[SBGW_PINS_ADDRS_MAX + 2];
	char text[SBGW_ADDR_STRLEN];

	(void)state;
	for (unsigned int i = 0; i < SBGW_PINS_ADDRS_MAX + 2; i++) {
		snprintf(text, sizeof(text), "198.51.100.%u", i + 1);
		a[i] = addr(text);
	}
	assert_int_equal(
	        sbgw_pins_replace(pins, 0, "x.ex.test", AF_INET, a, SBGW_PINS_ADDRS_MAX + 2, LIVE),
	        0);
	assert_int_equal(counters(pins).addrs, SBGW_PINS_ADDRS_MAX);
	assert_int_equal(counters(pins).truncated, 1);
	assert_hits(pins, 0, "198.51.100.32", NOW, 0x1, 0, 0);
	assert_unpinned(pins, 0, "198.51.100.33", NOW);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_many_sets_exact_first_rules(void **state)
{
	/* Six sets (a port apiece), more than a name's hits cache holds. */
	struct sbgw_policy_compiled *cp = compile(RULES(
	        "allow tcp port 1 to domain other.ex.test", "allow tcp port 1 to suffix ex.test",
	        "allow tcp port 2 to suffix ex.test", "allow tcp port 3 to suffix ex.test",
	        "allow tcp port 4 to domain a.ex.test", "allow tcp port 4 to suffix ex.test",
	        "allow tcp port 5 to suffix ex.test", "allow tcp port 6 to suffix ex.test"));
	const char *names[] = {"a.ex.test"};
	struct sbgw_pins *pins = create_std(cp);
	struct sbgw_domain_hits want, got;

	(void)state;
	sbgw_policy_domain_hits(cp, names, 1, &want);
	assert_int_equal(want.bits, 0x3f);
	assert_int_equal(pin(pins, 0, "a.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	/* A second name makes the record rebuild from the first one's cached hits. */
	assert_int_equal(pin(pins, 0, "b.example", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_true(lookup(pins, 0, "192.0.2.1", NOW, &got));
	assert_int_equal(got.bits, want.bits);
	for (unsigned int k = 0; k < 6; k++)
		assert_int_equal(got.first_rule[k], want.first_rule[k]);
	assert_int_equal(got.first_rule[0], 1);
	assert_int_equal(got.first_rule[2], 3);
	assert_int_equal(got.first_rule[3], 4);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

/* ---- Expiry -------------------------------------------------------------- */

static void pins_expired_name_ignored_before_expire(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);

	(void)state;
	/* x.ex.test (set 0 rule 0) until LIVE; y.ex.test (set 0 rule 1, set 1 rule 2) until LATER.
	 */
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LATER, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", LIVE - 1, 0x3, 0, 2);
	/* No expire has run: x.ex.test stops counting at once, y.ex.test still does. */
	assert_hits(pins, 0, "192.0.2.1", LIVE, 0x3, 1, 2);
	assert_hits(pins, 0, "192.0.2.1", LATER - 1, 0x3, 1, 2);
	assert_unpinned(pins, 0, "192.0.2.1", LATER);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_longer_lived_smaller_rule_shadows(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);

	(void)state;
	/* w.ex.test (rule 1) expires first; x.ex.test (rule 0) outlives it and wins throughout. */
	assert_int_equal(pin(pins, 0, "w.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LATER, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	assert_hits(pins, 0, "192.0.2.1", LIVE, 0x1, 0, 0);
	assert_unpinned(pins, 0, "192.0.2.1", LATER);
	/* An unmatched name keeps the address pinned, with no bits, after both expire. */
	assert_int_equal(pin(pins, 0, "other.example", AF_INET, LATER + 10, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", LATER, 0, 0, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_expire_frees_entries(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);
	struct sbgw_pins_counters c;

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", "192.0.2.2"), 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LATER, "192.0.2.2", NULL), 0);
	assert_int_equal(pin(pins, 1, "w.ex.test", AF_INET6, LIVE, "2001:db8::1", NULL), 0);
	c = counters(pins);
	assert_int_equal(c.names, 3);
	assert_int_equal(c.addrs, 3);
	assert_int_equal(c.links, 4);
	sbgw_pins_expire(pins, NOW);
	assert_int_equal(counters(pins).names, 3);
	sbgw_pins_expire(pins, LIVE);
	c = counters(pins);
	assert_int_equal(c.names, 1);
	assert_int_equal(c.addrs, 1);
	assert_int_equal(c.links, 1);
	assert_int_equal(c.retired, 0); /* no reader registered: freed at once */
	assert_unpinned(pins, 0, "192.0.2.1", NOW);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0x3, 1, 2);
	assert_unpinned(pins, 1, "2001:db8::1", NOW);
	sbgw_pins_expire(pins, LATER);
	c = counters(pins);
	assert_int_equal(c.names, 0);
	assert_int_equal(c.addrs, 0);
	assert_int_equal(c.links, 0);
	/* The name can be pinned again afterwards. */
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LATER + 10, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", LATER, 0x1, 0, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

/* ---- Policy -------------------------------------------------------------- */

static void pins_set_policy_recomputes(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_policy_compiled *cp2 =
	        compile(RULES("deny tcp to domain other.example", "allow to suffix ex.test"));
	struct sbgw_pins *pins = create_std(cp);

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_int_equal(pin(pins, 0, "other.example", AF_INET, LIVE, "192.0.2.2", NULL), 0);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0, 0, 0);
	assert_int_equal(sbgw_pins_set_policy(pins, 0, cp2), 0);
	/* set 0: rule 0 (other.example); set 1: rule 1 (suffix ex.test). */
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x2, 0, 1);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0x1, 0, 0);
	/* Sandbox 1 kept its policy. */
	assert_int_equal(pin(pins, 1, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_hits(pins, 1, "192.0.2.1", NOW, 0x1, 0, 0);
	/* Names pinned after the change get the new policy's hits too. */
	assert_int_equal(pin(pins, 0, "w.ex.test", AF_INET, LIVE, "192.0.2.3", NULL), 0);
	assert_hits(pins, 0, "192.0.2.3", NOW, 0x2, 0, 1);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp2);
	sbgw_policy_free(cp);
}

static void pins_no_domain_rules_pinned_no_bits(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_policy_compiled *plain = compile(RULES("allow to group public"));
	struct sbgw_pins *pins = create_std(cp);

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_int_equal(sbgw_pins_set_policy(pins, 0, plain), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0, 0, 0);
	assert_int_equal(sbgw_pins_set_policy(pins, 0, NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0, 0, 0);
	assert_int_equal(sbgw_pins_set_policy(pins, 0, cp), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(plain);
	sbgw_policy_free(cp);
}

/* ---- Full tables ----------------------------------------------------------- */

static void pins_names_full_enospc_state_kept(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins_params p = params();
	struct sbgw_pins *pins;

	(void)state;
	p.max_names = 2;
	pins = create(&p);
	assert_int_equal(sbgw_pins_set_policy(pins, 0, cp), 0);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.2", NULL), 0);
	assert_int_equal(pin(pins, 0, "w.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), -ENOSPC);
	assert_int_equal(counters(pins).full, 1);
	assert_int_equal(counters(pins).names, 2);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	/* Existing names can still change. */
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.3", NULL), 0);
	assert_hits(pins, 0, "192.0.2.3", NOW, 0x1, 0, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_addrs_full_enospc_old_set_kept(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins_params p = params();
	struct sbgw_pins *pins;

	(void)state;
	p.max_addrs = 3;
	pins = create(&p);
	assert_int_equal(sbgw_pins_set_policy(pins, 0, cp), 0);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", "192.0.2.2"), 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.3", NULL), 0);
	/* A new name needing a fourth address. */
	assert_int_equal(pin(pins, 0, "w.ex.test", AF_INET, LIVE, "192.0.2.4", "192.0.2.1"),
	                 -ENOSPC);
	assert_unpinned(pins, 0, "192.0.2.4", NOW);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	/* A replace that would add two addresses while freeing one: the old set stays. */
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LATER, "192.0.2.5", "192.0.2.6"),
	                 -ENOSPC);
	assert_hits(pins, 0, "192.0.2.3", NOW, 0x3, 1, 2);
	assert_hits(pins, 0, "192.0.2.3", LIVE - 1, 0x3, 1, 2);
	assert_unpinned(pins, 0, "192.0.2.3", LIVE);
	assert_unpinned(pins, 0, "192.0.2.5", NOW);
	assert_int_equal(counters(pins).full, 2);
	assert_int_equal(counters(pins).addrs, 3);
	/* Moving to one new address fits: the old one is freed. */
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.5", NULL), 0);
	assert_hits(pins, 0, "192.0.2.5", NOW, 0x3, 1, 2);
	assert_unpinned(pins, 0, "192.0.2.3", NOW);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_links_full_enospc_state_kept(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins_params p = params();
	struct sbgw_pins *pins;

	(void)state;
	p.max_links = 3;
	pins = create(&p);
	assert_int_equal(sbgw_pins_set_policy(pins, 0, cp), 0);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", "192.0.2.2"), 0);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_int_equal(pin(pins, 0, "w.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), -ENOSPC);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.1", "192.0.2.2"),
	                 -ENOSPC);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x3, 0, 2);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0x1, 0, 0);
	assert_int_equal(counters(pins).links, 3);
	/* Swapping one address for another reuses the freed link. */
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.2", NULL), 0);
	assert_hits(pins, 0, "192.0.2.2", NOW, 0x3, 0, 2);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x1, 0, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

/* ---- Queries ------------------------------------------------------------- */

static bool is_name(const char *name, const void *arg)
{
	return strcmp(name, arg) == 0;
}

static void pins_any_name_live_only(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);
	struct sbgw_addr a = addr("192.0.2.1");

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_int_equal(pin(pins, 0, "other.example", AF_INET, LATER, "192.0.2.1", NULL), 0);
	assert_true(sbgw_pins_any_name(pins, 0, &a, NOW, is_name, "x.ex.test"));
	assert_true(sbgw_pins_any_name(pins, 0, &a, NOW, is_name, "other.example"));
	assert_false(sbgw_pins_any_name(pins, 0, &a, NOW, is_name, "y.ex.test"));
	assert_false(sbgw_pins_any_name(pins, 1, &a, NOW, is_name, "x.ex.test"));
	/* Expired, not yet removed: no longer a pin. */
	assert_false(sbgw_pins_any_name(pins, 0, &a, LIVE, is_name, "x.ex.test"));
	assert_true(sbgw_pins_any_name(pins, 0, &a, LIVE, is_name, "other.example"));
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

/* ---- Reclamation --------------------------------------------------------- */

static void pins_retired_record_waits_for_reader(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);
	struct sbgw_pins_counters c;
	uint64_t freed;

	(void)state;
	/* This thread plays a reader that has not yet reported a quiescent state. */
	assert_int_equal(sbgw_pins_reader_register(pins, 0), 0);
	assert_int_equal(sbgw_pins_reader_register(pins, 1), -EINVAL);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	freed = counters(pins).freed;
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_int_equal(sbgw_pins_clear(pins, 0, "x.ex.test", AF_INET), 0);
	sbgw_pins_expire(pins, NOW);
	c = counters(pins);
	assert_int_equal(c.retired, 2);
	assert_int_equal(c.freed, freed);
	/* The reader passes a quiescent state: the next writer call frees both. */
	sbgw_pins_quiescent(pins, 0);
	sbgw_pins_expire(pins, NOW);
	c = counters(pins);
	assert_int_equal(c.retired, 0);
	assert_int_equal(c.freed, freed + 2);
	/* A deleted address's key slot waits too, and is not reused early. */
	assert_int_equal(sbgw_pins_clear(pins, 0, "y.ex.test", AF_INET), 0);
	assert_int_equal(counters(pins).retired, 1);
	assert_int_equal(pin(pins, 0, "y.ex.test", AF_INET, LIVE, "192.0.2.1", NULL), 0);
	assert_hits(pins, 0, "192.0.2.1", NOW, 0x3, 1, 2);
	assert_int_equal(counters(pins).retired, 1);
	/* A reader that leaves is no longer waited for. */
	assert_int_equal(sbgw_pins_reader_unregister(pins, 0), 0);
	sbgw_pins_expire(pins, NOW);
	assert_int_equal(counters(pins).retired, 0);
	assert_int_equal(counters(pins).waits, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

static void pins_same_answer_not_republished(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins *pins = create_std(cp);
	struct sbgw_pins_counters c;

	(void)state;
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.1", "192.0.2.2"), 0);
	c = counters(pins);
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LIVE, "192.0.2.2", "192.0.2.1"), 0);
	assert_int_equal(counters(pins).freed, c.freed);
	/* A new expiry is a new record for each address. */
	assert_int_equal(pin(pins, 0, "x.ex.test", AF_INET, LATER, "192.0.2.2", "192.0.2.1"), 0);
	assert_int_equal(counters(pins).freed, c.freed + 2);
	assert_hits(pins, 0, "192.0.2.1", LIVE, 0x1, 0, 0);
	sbgw_pins_free(pins);
	sbgw_policy_free(cp);
}

/* ---- One writer, one reader ---------------------------------------------- */

#define C_NAMES 4
#define C_ADDRS 4
#define C_SECONDS 1

/*
 * Names 0..3 are x.ex.test, w.ex.test, y.ex.test, other.example. For each address,
 * the writer marks in ever[] the subset of names live on it before
 * publishing it; the reader checks that each answer is the merge of a
 * marked subset (exp[], computed by the policy itself).
 */
struct conc {
	struct sbgw_pins *pins;
	struct sbgw_addr addrs[C_ADDRS];
	struct sbgw_domain_hits exp[1u << C_NAMES];
	uint32_t ever[C_ADDRS];
	bool ready, stop;
	uint64_t lookups, bad;
	int register_rc;
};

static const char *const conc_names[C_NAMES] = {"x.ex.test", "w.ex.test", "y.ex.test",
                                                "other.example"};

static bool conc_matches(const struct conc *c, unsigned int subset, bool hit,
                         const struct sbgw_domain_hits *h)
{
	const struct sbgw_domain_hits *e = &c->exp[subset];

	if (hit != (subset != 0) || h->bits != e->bits)
		return false;
	for (uint64_t b = e->bits; b != 0; b &= b - 1)
		if (h->first_rule[__builtin_ctzll(b)] != e->first_rule[__builtin_ctzll(b)])
			return false;
	return true;
}

static void *conc_reader(void *arg)
{
	struct conc *c = arg;

	c->register_rc = sbgw_pins_reader_register(c->pins, 0);
	__atomic_store_n(&c->ready, true, __ATOMIC_RELEASE);
	if (c->register_rc != 0)
		return NULL;
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned int a = 0; a < C_ADDRS; a++) {
			struct sbgw_domain_hits h;
			bool hit = sbgw_pins_lookup(c->pins, 0, &c->addrs[a], NOW, &h);
			uint32_t ever = __atomic_load_n(&c->ever[a], __ATOMIC_ACQUIRE);
			bool ok = false;

			for (unsigned int s = 0; s < (1u << C_NAMES) && !ok; s++)
				ok = (ever & (1u << s)) && conc_matches(c, s, hit, &h);
			c->bad += !ok;
			c->lookups++;
		}
		sbgw_pins_quiescent(c->pins, 0);
	}
	sbgw_pins_reader_unregister(c->pins, 0);
	return NULL;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Until the reader thread has registered, or fail after a few seconds. */
static void wait_ready(const bool *ready)
{
	double deadline = seconds() + 5;

	while (!__atomic_load_n(ready, __ATOMIC_ACQUIRE))
		if (seconds() > deadline)
			fail_msg("reader thread did not start");
}

static void pins_concurrent_churn_reader_sees_published(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	size_t before = heap_used();
	unsigned int sets[C_NAMES] = {0}; /* per name: its addresses, bit a */
	bool live[C_NAMES] = {false};
	static struct conc c;
	uint64_t rng = 0x9e3779b97f4a7c15u, ops = 0;
	struct sbgw_pins_counters k;
	pthread_t reader;
	double end;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.pins = create_std(cp);
	for (unsigned int a = 0; a < C_ADDRS; a++) {
		char text[SBGW_ADDR_STRLEN];

		snprintf(text, sizeof(text), "203.0.113.%u", a + 1);
		c.addrs[a] = addr(text);
		c.ever[a] = 1; /* the empty subset: unpinned */
	}
	for (unsigned int s = 0; s < (1u << C_NAMES); s++) {
		const char *names[C_NAMES];
		unsigned int n = 0;

		for (unsigned int i = 0; i < C_NAMES; i++)
			if (s & (1u << i))
				names[n++] = conc_names[i];
		sbgw_policy_domain_hits(cp, names, n, &c.exp[s]);
	}
	assert_int_equal(pthread_create(&reader, NULL, conc_reader, &c), 0);
	wait_ready(&c.ready);

	end = seconds() + C_SECONDS;
	while (seconds() < end) {
		unsigned int i = (unsigned int)(xorshift(&rng) % C_NAMES);
		unsigned int set = (unsigned int)(xorshift(&rng) % (1u << C_ADDRS));
		struct sbgw_addr a[C_ADDRS];
		unsigned int n = 0;

		sets[i] = set;
		/* One answer in four is already expired: lookups must skip it. */
		live[i] = xorshift(&rng) % 4 != 0;
		for (unsigned int x = 0; x < C_ADDRS; x++) {
			unsigned int subset = 0;

			for (unsigned int j = 0; j < C_NAMES; j++)
				if (live[j] && (sets[j] & (1u << x)))
					subset |= 1u << j;
			__atomic_fetch_or(&c.ever[x], 1u << subset, __ATOMIC_RELEASE);
			if (set & (1u << x))
				a[n++] = c.addrs[x];
		}
		assert_int_equal(sbgw_pins_replace(c.pins, 0, conc_names[i], AF_INET, a, n,
		                                   live[i] ? LIVE : PAST),
		                 0);
		if (++ops % 64 == 0)
			sbgw_pins_expire(c.pins,
			                 NOW); /* removes the expired: no live subset changes */
	}
	__atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(reader, NULL), 0);
	assert_int_equal(c.register_rc, 0);
	if (c.bad != 0)
		fail_msg("%" PRIu64 " of %" PRIu64 " lookups matched no published state", c.bad,
		         c.lookups);
	assert_true(c.lookups > 1000);
	assert_true(ops > 1000);

	/* Everything retired during the run is freed once the reader is gone. */
	sbgw_pins_expire(c.pins, NOW);
	k = counters(c.pins);
	assert_int_equal(k.retired, 0);
	for (unsigned int i = 0; i < C_NAMES; i++)
		assert_int_equal(sbgw_pins_clear(c.pins, 0, conc_names[i], AF_INET), 0);
	k = counters(c.pins);
	assert_int_equal(k.names, 0);
	assert_int_equal(k.addrs, 0);
	assert_int_equal(k.links, 0);
	assert_int_equal(k.retired, 0);
	sbgw_pins_free(c.pins);
	assert_int_equal(heap_used(), before);
	sbgw_policy_free(cp);
}

/*
 * A reader that reports a quiescent state only every SLOW_READER_US: the
 * writer's queue of retired records and its spare address slots run out,
 * and it must wait for the reader rather than free early or fail.
 */
#define SLOW_ADDRS 64
#define SLOW_REPLACES 3000
#define SLOW_READER_US 1000

struct slow {
	struct sbgw_pins *pins;
	struct sbgw_addr addrs[SLOW_ADDRS];
	bool ready, stop;
	uint64_t bad, lookups;
	int register_rc;
};

static void *slow_reader(void *arg)
{
	struct slow *s = arg;
	uint64_t pause = rte_get_tsc_hz() / 1000000 * SLOW_READER_US;

	s->register_rc = sbgw_pins_reader_register(s->pins, 0);
	__atomic_store_n(&s->ready, true, __ATOMIC_RELEASE);
	if (s->register_rc != 0)
		return NULL;
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		uint64_t until = rte_rdtsc() + pause;

		/* Looking up all the time, quiescent only now and then. */
		while (rte_rdtsc() < until) {
			for (unsigned int a = 0; a < SLOW_ADDRS; a++) {
				struct sbgw_domain_hits h;

				if (sbgw_pins_lookup(s->pins, 0, &s->addrs[a], NOW, &h) &&
				    (h.bits != 0x1 || h.first_rule[0] != 0))
					s->bad++;
				s->lookups++;
			}
		}
		sbgw_pins_quiescent(s->pins, 0);
	}
	sbgw_pins_reader_unregister(s->pins, 0);
	return NULL;
}

static void pins_slow_reader_writer_waits(void **state)
{
	struct sbgw_policy_compiled *cp = compile_std();
	struct sbgw_pins_params p = params();
	uint64_t rng = 0x2545f4914f6cdd1du;
	struct sbgw_pins_counters k;
	static struct slow s;
	pthread_t reader;

	(void)state;
	memset(&s, 0, sizeof(s));
	p.max_addrs = SBGW_PINS_ADDRS_MAX;
	s.pins = create(&p);
	assert_int_equal(sbgw_pins_set_policy(s.pins, 0, cp), 0);
	for (unsigned int a = 0; a < SLOW_ADDRS; a++) {
		char text[SBGW_ADDR_STRLEN];

		snprintf(text, sizeof(text), "2001:db8::%x", a + 1);
		s.addrs[a] = addr(text);
	}
	assert_int_equal(pthread_create(&reader, NULL, slow_reader, &s), 0);
	wait_ready(&s.ready);
	/* Every replace moves x.ex.test to new addresses: records and key slots retire. */
	for (unsigned int i = 0; i < SLOW_REPLACES; i++) {
		struct sbgw_addr a[4];

		for (unsigned int j = 0; j < 4; j++)
			a[j] = s.addrs[xorshift(&rng) % SLOW_ADDRS];
		assert_int_equal(sbgw_pins_replace(s.pins, 0, "x.ex.test", AF_INET6, a, 4, LIVE),
		                 0);
	}
	__atomic_store_n(&s.stop, true, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(reader, NULL), 0);
	assert_int_equal(s.register_rc, 0);
	assert_int_equal(s.bad, 0);
	assert_true(s.lookups > 0);
	k = counters(s.pins);
	assert_true(k.waits > 0);
	sbgw_pins_expire(s.pins, NOW);
	assert_int_equal(counters(s.pins).retired, 0);
	sbgw_pins_free(s.pins);
	sbgw_policy_free(cp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(pins_create_bad_params_einval),
	        cmocka_unit_test(pins_create_free_memory_returned),
	        cmocka_unit_test(pins_replace_lookup_exact_bits_and_rules),
	        cmocka_unit_test(pins_name_without_rule_pinned_no_bits),
	        cmocka_unit_test(pins_two_names_one_addr_merged_smaller_rule),
	        cmocka_unit_test(pins_replace_without_addr_removes_name),
	        cmocka_unit_test(pins_clear_removes_key),
	        cmocka_unit_test(pins_other_family_lookup_unpinned),
	        cmocka_unit_test(pins_mapped_addr_pins_ipv4),
	        cmocka_unit_test(pins_other_sandbox_lookup_unpinned),
	        cmocka_unit_test(pins_bad_args_einval),
	        cmocka_unit_test(pins_answer_over_max_truncated),
	        cmocka_unit_test(pins_many_sets_exact_first_rules),
	        cmocka_unit_test(pins_expired_name_ignored_before_expire),
	        cmocka_unit_test(pins_longer_lived_smaller_rule_shadows),
	        cmocka_unit_test(pins_expire_frees_entries),
	        cmocka_unit_test(pins_set_policy_recomputes),
	        cmocka_unit_test(pins_no_domain_rules_pinned_no_bits),
	        cmocka_unit_test(pins_names_full_enospc_state_kept),
	        cmocka_unit_test(pins_addrs_full_enospc_old_set_kept),
	        cmocka_unit_test(pins_links_full_enospc_state_kept),
	        cmocka_unit_test(pins_any_name_live_only),
	        cmocka_unit_test(pins_retired_record_waits_for_reader),
	        cmocka_unit_test(pins_same_answer_not_republished),
	        cmocka_unit_test(pins_concurrent_churn_reader_sees_published),
	        cmocka_unit_test(pins_slow_reader_writer_waits),
	};

	return cmocka_run_group_tests_name("pins", tests, eal_setup, eal_teardown);
}
