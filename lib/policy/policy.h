/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network policy: the normalised rule list of one sandbox (semantics §1.12)
 * and its compiled form, rte_acl contexts that give the first-match-wins
 * verdict of semantics §2 for a packet in one classify call.
 *
 * Usage:
 *   1. The config module fills a struct sbgw_policy (rules in order,
 *      deny_domains already prepended, "allow_dns" already expanded).
 *   2. The main lcore calls sbgw_policy_compile() once per sandbox (and once
 *      for the gateway floor). It allocates with rte_malloc, so EAL must be
 *      initialised; it never exits the process, failures return NULL with
 *      errno set and a message in the caller's buffer.
 *   3. Workers fill one struct sbgw_policy_key per packet with
 *      sbgw_policy_key_init() and call sbgw_policy_classify() for a whole
 *      burst, then sbgw_policy_verdict() per packet. Classification only
 *      reads the compiled policy, so any number of workers may share it;
 *      replacing it is the caller's RCU business.
 *   4. The DNS service judges queries by name with sbgw_policy_judge_dns()
 *      and rebinding answers with sbgw_policy_admits_rebind().
 *   5. sbgw_policy_free() when no reader can still hold it.
 *
 * Domain and suffix rules match a packet through its destination's pins:
 * rules are grouped into at most SBGW_DOMAIN_SETS_MAX "domain sets" (a run
 * of consecutive domain rules equal in every other field), and the packet
 * key carries a bitmask with bit k set when the destination address is
 * pinned to a name that satisfies some rule of set k. Computing that mask
 * from pinned names is sbgw_policy_domain_hits(); it also records which
 * rule of each set the names satisfy first, so the verdict names the exact
 * rule.
 */
#ifndef SBGW_POLICY_POLICY_H
#define SBGW_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "name.h"

enum sbgw_action {
	SBGW_ACTION_ALLOW = 0,
	SBGW_ACTION_DENY = 1,
};

/* Direction bits; a rule with direction "any" has both. */
#define SBGW_DIR_EGRESS 0x1
#define SBGW_DIR_INGRESS 0x2
#define SBGW_DIR_ANY (SBGW_DIR_EGRESS | SBGW_DIR_INGRESS)

enum sbgw_dir {
	SBGW_EGRESS = 0,
	SBGW_INGRESS = 1,
};

enum sbgw_proto {
	SBGW_PROTO_ANY = 0,
	SBGW_PROTO_TCP,
	SBGW_PROTO_UDP,
	SBGW_PROTO_ICMPV4,
	SBGW_PROTO_ICMPV6,
};

enum sbgw_dest_kind {
	SBGW_DEST_ANY = 0,
	SBGW_DEST_CIDR, /* also "ip": a /32 or /128 */
	SBGW_DEST_GROUP,
	SBGW_DEST_DOMAIN,
	SBGW_DEST_SUFFIX,
};

/*
 * Address classes (semantics §1.6, §2.5). Every address is in at most one;
 * SBGW_GROUP_NONE is the unspecified address, which no group contains.
 */
enum sbgw_group {
	SBGW_GROUP_NONE = 0,
	SBGW_GROUP_PUBLIC,
	SBGW_GROUP_PRIVATE,
	SBGW_GROUP_LOOPBACK,
	SBGW_GROUP_LINK_LOCAL,
	SBGW_GROUP_METADATA,
	SBGW_GROUP_MULTICAST,
	SBGW_GROUP_HOST,
	SBGW_GROUP_COUNT,
};

struct sbgw_rule {
	uint8_t dirs;   /* SBGW_DIR_* bits */
	uint8_t action; /* enum sbgw_action */
	uint8_t proto;  /* enum sbgw_proto */
	bool has_port;
	uint16_t port_lo, port_hi; /* inclusive; only when has_port */
	uint8_t dest_kind;         /* enum sbgw_dest_kind */
	uint8_t group;             /* SBGW_DEST_GROUP */
	struct sbgw_cidr cidr;     /* SBGW_DEST_CIDR, normalised */
	char name[SBGW_NAME_MAX];  /* SBGW_DEST_DOMAIN / SUFFIX, canonical */
	unsigned int line;         /* configuration line, for logs; 0 if none */
};

struct sbgw_policy {
	uint8_t default_egress;  /* enum sbgw_action */
	uint8_t default_ingress; /* enum sbgw_action */
	unsigned int n_rules;
	struct sbgw_rule *rules; /* malloc'd, owned */
};

/* The sandbox's own gateway addresses: what the "host" group means. */
struct sbgw_host_addrs {
	struct sbgw_addr v4; /* family 0 when the sandbox has no IPv4 */
	struct sbgw_addr v6;
};

/* The seed's presets (semantics §1.2). */
enum sbgw_preset {
	SBGW_PRESET_NONE,
	SBGW_PRESET_PUBLIC_ONLY,
	SBGW_PRESET_ALLOW_ALL,
};
/*
 * Replace p's defaults and rules by a preset. p must be zeroed or hold a
 * policy (its rules are freed). 0, -ENOMEM or -EINVAL (p is then empty).
 */
int sbgw_policy_preset(struct sbgw_policy *p, enum sbgw_preset preset);

/* Rule.allow_dns(): appends its two rules. */
int sbgw_policy_append_allow_dns(struct sbgw_policy *p);
/* Append a copy of r; 0 or -ENOMEM. */
int sbgw_policy_append(struct sbgw_policy *p, const struct sbgw_rule *r);
/* Insert copies of rules[0..n) in front of the existing rules. */
int sbgw_policy_prepend(struct sbgw_policy *p, const struct sbgw_rule *rules, unsigned int n);
/* Free the rules and zero p (defaults become ALLOW/ALLOW, value 0). */
void sbgw_policy_clear(struct sbgw_policy *p);
/* Deep copy into dst, which must be zeroed or hold a policy (freed). 0 or -ENOMEM. */
int sbgw_policy_copy(struct sbgw_policy *dst, const struct sbgw_policy *src);
/* A rule with the seed's Rule() defaults: egress, any destination/protocol/port. */
void sbgw_rule_init(struct sbgw_rule *r, enum sbgw_action action);

/* Group of a normalised address for a sandbox (semantics §2.5). */
enum sbgw_group sbgw_addr_group(const struct sbgw_addr *a, const struct sbgw_host_addrs *host);

const char *sbgw_group_name(enum sbgw_group g);
/* A group by its configuration name ("link_local" too): the group or -EINVAL. */
int sbgw_group_parse(const char *text);
const char *sbgw_proto_name(enum sbgw_proto p);
const char *sbgw_action_name(enum sbgw_action a);

/* ---- Packets ---------------------------------------------------------- */

/* What a verdict is computed from. Addresses are normalised by key_init. */
struct sbgw_policy_packet {
	struct sbgw_addr addr; /* egress: destination; ingress: the peer's source */
	uint8_t ip_proto;      /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	uint16_t port;         /* egress: destination port; ingress: guest port; 0 for ICMP */
	uint64_t domain_bits;  /* bit k: destination pinned to a name of domain set k */
};

#define SBGW_DOMAIN_SETS_MAX 64

/*
 * The rte_acl input for one packet. Its layout is the compiled contexts'
 * field definition; fill it only through sbgw_policy_key_init().
 * (Fields: proto 1 B; address 4 or 16 B; port + class bits 4 B; domain
 * bits 2 x 4 B.)
 */
struct sbgw_policy_key {
	/* All multi-byte fields in network byte order, as rte_acl reads them. */
	uint8_t proto;
	uint8_t pad[3];
	uint32_t addr[4]; /* IPv4 uses addr[0] */
	uint16_t port;
	uint16_t class_bits; /* 1 << enum sbgw_group; 0 for the unspecified address */
	uint32_t domain_lo;  /* domain sets 0..31 */
	uint32_t domain_hi;  /* domain sets 32..63 */
	uint8_t family; /* not an ACL input: which context to use */
} __attribute__((aligned(8)));

struct sbgw_policy_compiled;

/* Fill key from pkt for the sandbox whose gateway addresses are host. */
void sbgw_policy_key_init(struct sbgw_policy_key *key, const struct sbgw_policy_packet *pkt,
			  const struct sbgw_host_addrs *host);

/*
 * Classify n keys of one family against direction dir. family is the keys'
 * key->family, which is AF_INET for IPv4-mapped IPv6 packets (semantics
 * §2.4), so sort a mixed burst by it. results[i] is an opaque match (0 = no
 * rule matched) for sbgw_policy_verdict(). Returns 0 or -errno.
 * Datapath-safe: no allocation, no locks, no logs.
 */
int sbgw_policy_classify(const struct sbgw_policy_compiled *cp, enum sbgw_dir dir, int family,
			 const struct sbgw_policy_key *const *keys, uint32_t *results, uint32_t n);

/* Which rule of each domain set the destination's pinned names satisfy. */
struct sbgw_domain_hits {
	uint64_t bits;
	uint32_t first_rule[SBGW_DOMAIN_SETS_MAX]; /* valid where the bit is set */
};

/*
 * Compute the hits for a destination pinned to names[0..n) (canonical).
 * Slow path: called when pins change, not per packet.
 */
void sbgw_policy_domain_hits(const struct sbgw_policy_compiled *cp, const char *const *names,
			     unsigned int n, struct sbgw_domain_hits *out);

struct sbgw_verdict {
	uint8_t action; /* enum sbgw_action */
	int rule;       /* index into the policy's rules, or -1 for the default */
};

/*
 * Turn a classify result into the verdict. hits gives the exact rule when
 * the match was a domain set (NULL: report the set's first rule).
 */
struct sbgw_verdict sbgw_policy_verdict(const struct sbgw_policy_compiled *cp, enum sbgw_dir dir,
					uint32_t result, const struct sbgw_domain_hits *hits);

/* One packet, start to end (tests and slow paths). */
struct sbgw_verdict sbgw_policy_evaluate(const struct sbgw_policy_compiled *cp, enum sbgw_dir dir,
					 const struct sbgw_policy_packet *pkt,
					 const struct sbgw_host_addrs *host,
					 const struct sbgw_domain_hits *hits);

/* ---- Compilation -------------------------------------------------------- */

/*
 * Build the rte_acl contexts of p (which is copied). name makes the
 * contexts' names unique and appears in errors. On failure returns NULL,
 * sets errno and writes a message into err (errlen bytes).
 */
struct sbgw_policy_compiled *sbgw_policy_compile(const struct sbgw_policy *p, const char *name,
						 char *err, size_t errlen);
void sbgw_policy_free(struct sbgw_policy_compiled *cp);

const struct sbgw_policy *sbgw_policy_source(const struct sbgw_policy_compiled *cp);
bool sbgw_policy_has_domain_rules(const struct sbgw_policy_compiled *cp);
unsigned int sbgw_policy_domain_sets(const struct sbgw_policy_compiled *cp);
/*
 * Number of rte_acl rules and bytes of the contexts, for reports. Bytes are
 * the growth of the rte_malloc heaps while the contexts were built, so they
 * are exact only when nothing else allocates concurrently (start-up).
 */
void sbgw_policy_stats(const struct sbgw_policy_compiled *cp, unsigned int *acl_rules,
		       size_t *bytes);

/* Print the policy as the operator wrote it: defaults, then rules numbered from 0. */
void sbgw_policy_dump(const struct sbgw_policy *p, FILE *out, const char *indent);
/* The same, plus what was compiled: ACL rules per context, domain sets, memory. */
void sbgw_policy_dump_compiled(const struct sbgw_policy_compiled *cp, FILE *out,
			       const char *indent);
/* One rule on one line, e.g. "allow egress tcp port 443 to group public (line 12)". */
void sbgw_rule_format(const struct sbgw_rule *r, char *buf, size_t len);

/* ---- Evaluations that are not packets ----------------------------------- */

enum sbgw_dns_transport {
	SBGW_DNS_UDP,  /* UDP/53 */
	SBGW_DNS_TCP,  /* TCP/53 */
	SBGW_DNS_DOT,  /* TCP/853 */
};

/*
 * A DNS query judged by name (semantics §2.8). name is the query name as
 * received (it is canonicalised here; one that is not a domain name only
 * meets the "any" and "host" rows).
 */
struct sbgw_verdict sbgw_policy_judge_dns(const struct sbgw_policy *p, const char *qname,
					  enum sbgw_dns_transport t);

/*
 * Rebind admission (semantics §3.4): true when an explicit, port-free
 * address or group allow rule admits addr (already normalised).
 */
bool sbgw_policy_admits_rebind(const struct sbgw_policy *p, const struct sbgw_addr *addr,
			       const struct sbgw_host_addrs *host);

/*
 * TCP under domain rules (semantics §2.7.3, lib/policy/named.c). Given the
 * SYN's verdict (pins as the name source), must the flow wait for its
 * first flight? True when a domain rule allowed it, or when a deny domain
 * rule that applies to TCP/port comes before the rule (or default) that
 * allowed it.
 */
bool sbgw_policy_defers(const struct sbgw_policy *p, struct sbgw_verdict syn, uint16_t port);

/* A TCP flow whose first flight was read. */
struct sbgw_named_flow {
	struct sbgw_addr addr; /* destination, normalised */
	uint16_t port;
	const char *name; /* canonical SNI or Host; NULL or "": none (cache-only) */
	/* Is addr pinned to a live name that satisfies domain rule r? */
	bool (*pinned)(const struct sbgw_rule *r, void *arg);
	void *arg;
};

/*
 * The egress walk with the first flight's name (semantics §2.7.2): deny
 * domain rules match on the name alone; allow domain rules need the name
 * and a pin that both satisfy them; without a name, pins alone.
 */
struct sbgw_verdict sbgw_policy_judge_named(const struct sbgw_policy *p,
					    const struct sbgw_named_flow *f,
					    const struct sbgw_host_addrs *host);

/* Does canonical name satisfy a domain or suffix rule? false for other rules. */
bool sbgw_rule_name_matches(const struct sbgw_rule *r, const char *name);

/* The rebind filter's wide reserved list (semantics §3.4). */
bool sbgw_addr_is_rebind_reserved(const struct sbgw_addr *addr);

#endif
