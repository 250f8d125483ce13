/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy compiler: a normalised rule list becomes four rte_acl
 * contexts, one per (direction, address family), whose single category
 * gives the first-match-wins verdict of semantics §2.2–§2.3.
 *
 * - Rule order becomes priority (rule 0 highest), so rte_acl's "highest
 *   priority wins" is "first match wins".
 * - Groups are matched on a class bit computed per packet
 *   (sbgw_policy_key_init()), so "public" needs no complement expansion
 *   and "host" needs no per-sandbox table.
 * - Protocol and ports follow §1.4: a port filter with no protocol is two
 *   ACL rules (TCP and UDP), and a port filter never matches ICMP, so an
 *   ICMP rule with a port compiles to nothing.
 * - Domain and suffix rules match a bit of the key's domain mask, one bit
 *   per "domain set" (see policy.h); the pin table sets the bits.
 *
 * Runs on the main lcore only (rte_acl_create() takes the tailq lock and
 * allocates). Never exits: every failure is a message and an errno.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "compiled.h"

/* Past this, priorities run out and compile times are no longer sensible. */
#define RULES_MAX (1u << 24)

enum {
	F_PROTO,
	F_ADDR, /* 1 field (IPv4) or 4 (IPv6) */
};

#define FIELDS_V4 6
#define FIELDS_V6 9

RTE_ACL_RULE_DEF(acl_rule, FIELDS_V6);

/* Field definitions over struct sbgw_policy_key; see policy.h. */
static void field_defs(struct rte_acl_config *cfg, int family)
{
	unsigned int naddr = family == FAMILY_V4 ? 1 : 4, f = 0, in = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->num_categories = 1;
	/* rte_acl wants a 1-byte first field; the rest come in 4-byte input groups. */
	cfg->defs[f] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_BITMASK,
		.size = 1,
		.field_index = (uint8_t)f,
		.input_index = (uint8_t)in++,
		.offset = offsetof(struct sbgw_policy_key, proto),
	};
	f++;
	for (unsigned int i = 0; i < naddr; i++, f++)
		cfg->defs[f] = (struct rte_acl_field_def){
			.type = RTE_ACL_FIELD_TYPE_MASK,
			.size = 4,
			.field_index = (uint8_t)f,
			.input_index = (uint8_t)in++,
			.offset = (uint32_t)(offsetof(struct sbgw_policy_key, addr) + 4 * i),
		};
	/* Port and class bits share one 4-byte input group. */
	cfg->defs[f] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_RANGE,
		.size = 2,
		.field_index = (uint8_t)f,
		.input_index = (uint8_t)in,
		.offset = offsetof(struct sbgw_policy_key, port),
	};
	f++;
	cfg->defs[f] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_BITMASK,
		.size = 2,
		.field_index = (uint8_t)f,
		.input_index = (uint8_t)in++,
		.offset = offsetof(struct sbgw_policy_key, class_bits),
	};
	f++;
	cfg->defs[f] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_BITMASK,
		.size = 4,
		.field_index = (uint8_t)f,
		.input_index = (uint8_t)in++,
		.offset = offsetof(struct sbgw_policy_key, domain_lo),
	};
	f++;
	cfg->defs[f] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_BITMASK,
		.size = 4,
		.field_index = (uint8_t)f,
		.input_index = (uint8_t)in,
		.offset = offsetof(struct sbgw_policy_key, domain_hi),
	};
	f++;
	cfg->num_fields = f;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Why a rule cannot be compiled, or NULL. */
static const char *rule_invalid(const struct sbgw_rule *r)
{
	unsigned int bits;

	if (r->dirs == 0 || (r->dirs & ~SBGW_DIR_ANY) != 0)
		return "invalid direction";
	if (r->action > SBGW_ACTION_DENY)
		return "invalid action";
	if (r->proto > SBGW_PROTO_ICMPV6)
		return "invalid protocol";
	if (r->has_port && r->port_lo > r->port_hi)
		return "port range has lo > hi";
	switch (r->dest_kind) {
	case SBGW_DEST_ANY:
		return NULL;
	case SBGW_DEST_CIDR:
		if (r->cidr.addr.family != AF_INET && r->cidr.addr.family != AF_INET6)
			return "CIDR has no address family";
		bits = r->cidr.addr.family == AF_INET ? 32 : 128;
		return r->cidr.len > bits ? "CIDR prefix is longer than the address" : NULL;
	case SBGW_DEST_GROUP:
		if (r->group == SBGW_GROUP_NONE || r->group >= SBGW_GROUP_COUNT)
			return "invalid destination group";
		return NULL;
	case SBGW_DEST_DOMAIN:
	case SBGW_DEST_SUFFIX:
		if (memchr(r->name, '\0', sizeof(r->name)) == NULL || r->name[0] == '\0')
			return "empty or unterminated domain name";
		return NULL;
	}
	return "invalid destination kind";
}

static bool is_domain(const struct sbgw_rule *r)
{
	return r->dest_kind == SBGW_DEST_DOMAIN || r->dest_kind == SBGW_DEST_SUFFIX;
}

/* May b join the domain set of a (which it directly follows)? */
static bool same_set(const struct sbgw_rule *a, const struct sbgw_rule *b)
{
	if (a->dirs != b->dirs || a->action != b->action || a->proto != b->proto ||
	    a->has_port != b->has_port)
		return false;
	return !a->has_port || (a->port_lo == b->port_lo && a->port_hi == b->port_hi);
}

static int assign_sets(struct sbgw_policy_compiled *cp, const char *name, char *err,
		       size_t errlen)
{
	const struct sbgw_policy *p = &cp->policy;

	for (unsigned int i = 0; i < p->n_rules; i++) {
		const struct sbgw_rule *r = &p->rules[i];

		if (!is_domain(r))
			continue;
		if (cp->n_sets > 0 && cp->sets[cp->n_sets - 1].last == i - 1 &&
		    same_set(&p->rules[i - 1], r)) {
			cp->sets[cp->n_sets - 1].last = i;
			cp->rule_set[i] = (uint8_t)(cp->n_sets - 1);
			continue;
		}
		if (cp->n_sets == SBGW_DOMAIN_SETS_MAX) {
			set_err(err, errlen,
				"policy %s: rule #%u: more than %u domain sets; a set is a run of "
				"consecutive domain/suffix rules with equal direction, action, "
				"protocol and port, so keep such rules together",
				name, i, SBGW_DOMAIN_SETS_MAX);
			return -E2BIG;
		}
		cp->sets[cp->n_sets].first = i;
		cp->sets[cp->n_sets].last = i;
		cp->rule_set[i] = (uint8_t)cp->n_sets++;
	}
	return 0;
}

/* IPv6 address bytes i*4..i*4+3 as rte_acl wants a rule value: host order. */
static uint32_t v6_word(const uint8_t *a, unsigned int i)
{
	return (uint32_t)a[4 * i] << 24 | (uint32_t)a[4 * i + 1] << 16 |
	       (uint32_t)a[4 * i + 2] << 8 | a[4 * i + 3];
}

/* Address and class fields of r for family; false if r cannot match it. */
static bool dest_fields(const struct sbgw_rule *r, int family, struct acl_rule *ar)
{
	struct rte_acl_field *addr = &ar->field[F_ADDR];
	unsigned int naddr = family == FAMILY_V4 ? 1 : 4;
	struct rte_acl_field *cls = &ar->field[F_ADDR + naddr + 1];
	struct sbgw_cidr c;

	switch (r->dest_kind) {
	case SBGW_DEST_CIDR:
		c = r->cidr;
		sbgw_cidr_normalise(&c);
		if ((c.addr.family == AF_INET) != (family == FAMILY_V4))
			return false;
		if (family == FAMILY_V4) {
			/* rte_acl compares the prefix only, so host bits do not matter. */
			addr->value.u32 = c.len == 0 ? 0 : c.addr.v4 & (~0u << (32 - c.len));
			addr->mask_range.u32 = c.len;
			return true;
		}
		for (unsigned int i = 0; i < 4; i++) {
			int len = (int)c.len - 32 * (int)i;

			len = len < 0 ? 0 : len > 32 ? 32 : len;
			addr[i].value.u32 =
				len == 0 ? 0 : v6_word(c.addr.v6, i) & (~0u << (32 - len));
			addr[i].mask_range.u32 = (uint32_t)len;
		}
		return true;
	case SBGW_DEST_GROUP:
		cls->value.u16 = (uint16_t)(1u << r->group);
		cls->mask_range.u16 = (uint16_t)(1u << r->group);
		return true;
	default:
		/* Any, and domain rules: the domain bits do the matching. */
		return true;
	}
}

struct emit_state {
	struct acl_rule *rules;
	unsigned int n, cap;
};

static int push(struct emit_state *st, const struct acl_rule *ar)
{
	struct acl_rule *rules;

	if (st->n == st->cap) {
		unsigned int cap = st->cap == 0 ? 64 : st->cap * 2;

		rules = realloc(st->rules, (size_t)cap * sizeof(*rules));
		if (rules == NULL)
			return -ENOMEM;
		st->rules = rules;
		st->cap = cap;
	}
	st->rules[st->n++] = *ar;
	return 0;
}

/* The ACL rules of policy rule i (or of the domain set it starts). */
static int emit_rule(const struct sbgw_policy_compiled *cp, unsigned int i, int family,
		     struct emit_state *st)
{
	const struct sbgw_rule *r = &cp->policy.rules[i];
	unsigned int naddr = family == FAMILY_V4 ? 1 : 4;
	unsigned int f_port = F_ADDR + naddr, f_dlo = f_port + 2;
	uint8_t protos[2];
	unsigned int nprotos = 0;
	struct acl_rule ar;

	memset(&ar, 0, sizeof(ar));
	ar.data.category_mask = 1;
	ar.data.priority = (int32_t)(RTE_ACL_MAX_PRIORITY - i);
	ar.data.userdata = rule_userdata(i);
	if (!dest_fields(r, family, &ar))
		return 0;
	if (is_domain(r)) {
		unsigned int k = cp->rule_set[i];
		struct rte_acl_field *d = &ar.field[f_dlo + (k >= 32)];

		d->value.u32 = 1u << (k % 32);
		d->mask_range.u32 = 1u << (k % 32);
	}
	ar.field[f_port].value.u16 = r->has_port ? r->port_lo : 0;
	ar.field[f_port].mask_range.u16 = r->has_port ? r->port_hi : UINT16_MAX;

	switch (r->proto) {
	case SBGW_PROTO_ANY:
		if (r->has_port) {
			/* Ports exist only for TCP and UDP (§1.4). */
			protos[nprotos++] = IPPROTO_TCP;
			protos[nprotos++] = IPPROTO_UDP;
		}
		break;
	case SBGW_PROTO_TCP:
		protos[nprotos++] = IPPROTO_TCP;
		break;
	case SBGW_PROTO_UDP:
		protos[nprotos++] = IPPROTO_UDP;
		break;
	case SBGW_PROTO_ICMPV4:
	case SBGW_PROTO_ICMPV6:
		/* A port filter never matches ICMP: the rule is dead. */
		if (r->has_port)
			return 0;
		if ((r->proto == SBGW_PROTO_ICMPV4) != (family == FAMILY_V4))
			return 0;
		protos[nprotos++] = family == FAMILY_V4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		break;
	}
	if (nprotos == 0)
		return push(st, &ar);
	for (unsigned int k = 0; k < nprotos; k++) {
		int rc;

		ar.field[F_PROTO].value.u8 = protos[k];
		ar.field[F_PROTO].mask_range.u8 = UINT8_MAX;
		rc = push(st, &ar);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static size_t heap_allocated(void)
{
	struct rte_malloc_socket_stats s;
	size_t total = 0;

	for (unsigned int i = 0; i < rte_socket_count(); i++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &s) == 0)
			total += s.heap_allocsz_bytes;
	return total;
}

/* Build the context of one (direction, family); none when no rule applies. */
static int build_ctx(struct sbgw_policy_compiled *cp, enum sbgw_dir dir, int family,
		     const char *name, char *err, size_t errlen)
{
	static uint64_t serial;
	const struct sbgw_policy *p = &cp->policy;
	uint8_t dirbit = dir == SBGW_EGRESS ? SBGW_DIR_EGRESS : SBGW_DIR_INGRESS;
	struct emit_state st = {0};
	char ctx_name[RTE_ACL_NAMESIZE], suffix[24];
	struct rte_acl_param prm;
	struct rte_acl_config cfg;
	struct rte_acl_ctx *ctx = NULL;
	size_t before, len, nlen;
	int rc = 0;

	for (unsigned int i = 0; i < p->n_rules; i++) {
		const struct sbgw_rule *r = &p->rules[i];

		if (!(r->dirs & dirbit))
			continue;
		/* A domain set is one ACL rule, at its first rule's priority. */
		if (is_domain(r) && cp->sets[cp->rule_set[i]].first != i)
			continue;
		rc = emit_rule(cp, i, family, &st);
		if (rc < 0) {
			set_err(err, errlen, "policy %s: out of memory", name);
			goto fail;
		}
	}
	/* Nothing applies to this direction and family: no context, and rc is 0. */
	if (st.n == 0)
		goto fail;

	/* rte_acl_create() returns an existing context of the same name: never reuse one. */
	snprintf(suffix, sizeof(suffix), "-%c%c-%" PRIx64, dir == SBGW_EGRESS ? 'e' : 'i',
		 family == FAMILY_V4 ? '4' : '6', __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
	len = strlen(suffix);
	nlen = strnlen(name, sizeof(ctx_name) - 1 - len);
	memcpy(ctx_name, name, nlen);
	memcpy(ctx_name + nlen, suffix, len + 1);

	before = heap_allocated();
	prm = (struct rte_acl_param){
		.name = ctx_name,
		.socket_id = SOCKET_ID_ANY,
		.rule_size = sizeof(struct acl_rule),
		.max_rule_num = st.n,
	};
	ctx = rte_acl_create(&prm);
	if (ctx == NULL) {
		rc = -(rte_errno != 0 ? rte_errno : ENOMEM);
		set_err(err, errlen, "policy %s: cannot create ACL context %s: %s", name,
			ctx_name, strerror(-rc));
		goto fail;
	}
	rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)st.rules, st.n);
	if (rc < 0) {
		set_err(err, errlen, "policy %s: cannot add %u ACL rules: %s", name, st.n,
			strerror(-rc));
		goto fail;
	}
	field_defs(&cfg, family);
	rc = rte_acl_build(ctx, &cfg);
	if (rc < 0) {
		set_err(err, errlen, "policy %s: cannot build ACL context %s (%u rules): %s",
			name, ctx_name, st.n, strerror(-rc));
		goto fail;
	}
	cp->bytes += heap_allocated() - before;
	cp->ctx[dir][family] = ctx;
	cp->acl_rules[dir][family] = st.n;
	ctx = NULL; /* owned by cp now */
fail:
	rte_acl_free(ctx);
	free(st.rules);
	return rc;
}

struct sbgw_policy_compiled *sbgw_policy_compile(const struct sbgw_policy *p, const char *name,
						 char *err, size_t errlen)
{
	struct sbgw_policy_compiled *cp = NULL;
	const char *why;
	int rc;

	if (name == NULL)
		name = "?";
	if (p == NULL || (p->n_rules > 0 && p->rules == NULL)) {
		set_err(err, errlen, "policy %s: no rules array", name);
		rc = -EINVAL;
		goto fail;
	}
	if (p->n_rules > RULES_MAX) {
		set_err(err, errlen, "policy %s: %u rules; at most %u are supported", name,
			p->n_rules, RULES_MAX);
		rc = -E2BIG;
		goto fail;
	}
	if (p->default_egress > SBGW_ACTION_DENY || p->default_ingress > SBGW_ACTION_DENY) {
		set_err(err, errlen, "policy %s: invalid default action", name);
		rc = -EINVAL;
		goto fail;
	}
	for (unsigned int i = 0; i < p->n_rules; i++) {
		why = rule_invalid(&p->rules[i]);
		if (why != NULL) {
			set_err(err, errlen, "policy %s: rule #%u: %s", name, i, why);
			rc = -EINVAL;
			goto fail;
		}
	}

	cp = rte_zmalloc("sbgw_policy", sizeof(*cp), 0);
	if (cp == NULL) {
		set_err(err, errlen, "policy %s: out of memory", name);
		rc = -ENOMEM;
		goto fail;
	}
	rc = sbgw_policy_copy(&cp->policy, p);
	if (rc < 0) {
		set_err(err, errlen, "policy %s: out of memory", name);
		goto fail;
	}
	/* Normalise once so the slow paths (domain hits, dumps) see what rte_acl sees. */
	for (unsigned int i = 0; i < cp->policy.n_rules; i++)
		if (cp->policy.rules[i].dest_kind == SBGW_DEST_CIDR)
			sbgw_cidr_normalise(&cp->policy.rules[i].cidr);
	cp->rule_set = calloc(p->n_rules > 0 ? p->n_rules : 1, 1);
	if (cp->rule_set == NULL) {
		set_err(err, errlen, "policy %s: out of memory", name);
		rc = -ENOMEM;
		goto fail;
	}
	rc = assign_sets(cp, name, err, errlen);
	if (rc < 0)
		goto fail;
	for (int dir = SBGW_EGRESS; dir <= SBGW_INGRESS; dir++)
		for (int fam = FAMILY_V4; fam < FAMILY_COUNT; fam++) {
			rc = build_ctx(cp, (enum sbgw_dir)dir, fam, name, err, errlen);
			if (rc < 0)
				goto fail;
		}
	return cp;
fail:
	sbgw_policy_free(cp);
	errno = -rc;
	return NULL;
}

void sbgw_policy_free(struct sbgw_policy_compiled *cp)
{
	if (cp == NULL)
		return;
	for (int dir = 0; dir < DIR_COUNT; dir++)
		for (int fam = 0; fam < FAMILY_COUNT; fam++)
			rte_acl_free(cp->ctx[dir][fam]);
	free(cp->rule_set);
	sbgw_policy_clear(&cp->policy);
	rte_free(cp);
}

const struct sbgw_policy *sbgw_policy_source(const struct sbgw_policy_compiled *cp)
{
	return &cp->policy;
}

bool sbgw_policy_has_domain_rules(const struct sbgw_policy_compiled *cp)
{
	return cp->n_sets > 0;
}

unsigned int sbgw_policy_domain_sets(const struct sbgw_policy_compiled *cp)
{
	return cp->n_sets;
}

void sbgw_policy_stats(const struct sbgw_policy_compiled *cp, unsigned int *acl_rules,
		       size_t *bytes)
{
	unsigned int n = 0;

	for (int dir = 0; dir < DIR_COUNT; dir++)
		for (int fam = 0; fam < FAMILY_COUNT; fam++)
			n += cp->acl_rules[dir][fam];
	if (acl_rules != NULL)
		*acl_rules = n;
	if (bytes != NULL)
		*bytes = cp->bytes;
}
