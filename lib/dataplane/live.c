/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A running gateway seen and changed from its main lcore (live.h): counters
 * summed over the workers, and the policy swap: a new generation (compiled
 * policy and hit counters) published with one pointer store, the old one
 * freed once every worker has passed a quiescent state.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "errmsg.h"
#include "live.h"
#include "runtime.h"

/* What a swap replaced: freed after the workers' grace period. */
struct sbgw_retired {
	struct sbgw_retired *next;
	uint64_t token;
	struct sbgw_policy_rt *policy;
	struct sbgw_sandbox *cfg; /* the replaced settings (their link is the running one) */
};

struct sbgw_live_change {
	uint32_t index;
	struct sbgw_sandbox *nsb;
	struct sbgw_policy_rt *policy;
	struct sbgw_dns_settings *dns;
	unsigned int n_workers;
	bool keep_secrets;
};

struct sbgw_policy_rt *sbgw_policy_rt_create(struct sbgw_policy_compiled *compiled,
                                             unsigned int n_workers)
{
	struct sbgw_policy_rt *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->compiled = compiled;
	p->n_rules = sbgw_policy_source(compiled)->n_rules;
	for (unsigned int w = 0; w < n_workers && w < SBGW_MAX_WORKERS; w++) {
		/* Separate allocations: no two workers count on one cache line. */
		p->hits[w] = aligned_alloc(64, ((p->n_rules + 1) * sizeof(uint64_t) + 63) & ~63ul);
		if (p->hits[w] == NULL) {
			p->compiled = NULL; /* the caller still owns it */
			sbgw_policy_rt_free(p, n_workers);
			return NULL;
		}
		memset(p->hits[w], 0, (p->n_rules + 1) * sizeof(uint64_t));
	}
	return p;
}

void sbgw_policy_rt_free(struct sbgw_policy_rt *p, unsigned int n_workers)
{
	if (p == NULL)
		return;
	for (unsigned int w = 0; w < n_workers && w < SBGW_MAX_WORKERS; w++)
		free(p->hits[w]);
	sbgw_policy_free(p->compiled);
	free(p);
}

const struct sbgw_config *sbgw_live_config(const struct sbgw_dataplane *gw)
{
	return gw->cfg;
}

int sbgw_live_find(const struct sbgw_dataplane *gw, const char *name)
{
	for (uint32_t i = 0; i < gw->n_sandboxes; i++)
		if (strcmp(gw->cfg->sandboxes[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int sbgw_live_stats(struct sbgw_dataplane *gw, uint32_t sandbox, struct sbgw_live_stats *st)
{
	/* The main lcore is the only one that frees generations: no lock needed here. */
	const struct sbgw_policy_rt *p = gw->sandboxes[sandbox].policy;

	memset(st, 0, sizeof(*st));
	st->n_rules = p->n_rules;
	st->rule_hits = calloc(p->n_rules + 1, sizeof(uint64_t));
	if (st->rule_hits == NULL)
		return -ENOMEM;
	for (unsigned int w = 0; w < gw->n_workers; w++) {
		const struct sbgw_sandbox_counters *c = &gw->workers[w].sb_counters[sandbox];

		st->from_guest_packets += c->from_guest_packets;
		st->from_guest_bytes += c->from_guest_bytes;
		st->to_guest_packets += c->to_guest_packets;
		st->to_guest_bytes += c->to_guest_bytes;
		st->flows_created += c->flows_created;
		st->flows_revoked += c->flows_revoked;
		for (unsigned int r = 0; r < SBGW_DROP_COUNT; r++)
			st->drops[r] += c->drops[r];
		for (unsigned int r = 0; r <= p->n_rules; r++)
			st->rule_hits[r] += p->hits[w][r];
		st->tcp_connections += sbgw_flow_connections(gw->workers[w].flows, sandbox);
	}
	return 0;
}

unsigned int sbgw_live_flows(const struct sbgw_dataplane *gw, uint32_t sandbox,
                             struct sbgw_flow *out, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int w = 0; w < gw->n_workers && n < max; w++)
		n += sbgw_flow_snapshot(gw->workers[w].flows, sandbox, out + n, max - n);
	return n;
}

struct sbgw_live_change *sbgw_live_prepare(struct sbgw_dataplane *gw, uint32_t index,
                                           struct sbgw_sandbox *nsb, char *err, size_t errlen)
{
	struct sbgw_live_change *c = NULL;
	struct sbgw_policy_compiled *compiled;
	const struct sbgw_sandbox *cur;
	const char *why;
	char cerr[256];
	int rc = ENOENT;

	if (index >= gw->n_sandboxes || strcmp(gw->cfg->sandboxes[index].name, nsb->name) != 0) {
		sbgw_errmsg(err, errlen, "no sandbox named \"%s\"", nsb->name);
		goto fail;
	}
	cur = &gw->cfg->sandboxes[index];
	why = sbgw_sandbox_restart_reason(cur, nsb);
	if (why != NULL) {
		rc = EOPNOTSUPP;
		sbgw_errmsg(err, errlen, "sandbox %s: %s: needs restart", nsb->name, why);
		goto fail;
	}
	compiled = sbgw_policy_compile(&nsb->net.policy, nsb->name, cerr, sizeof(cerr));
	if (compiled == NULL) {
		rc = errno != 0 ? errno : EINVAL;
		sbgw_errmsg(err, errlen, "sandbox %s: network.policy: %s", nsb->name, cerr);
		goto fail;
	}
	rc = ENOMEM;
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->policy = sbgw_policy_rt_create(compiled, gw->n_workers);
	if (c == NULL || c->policy == NULL) {
		sbgw_policy_free(compiled);
		sbgw_errmsg(err, errlen, "sandbox %s: out of memory", nsb->name);
		goto fail;
	}
	c->n_workers = gw->n_workers;
	if (gw->dns != NULL) {
		c->dns = sbgw_dns_settings_prepare(gw->dns, nsb, err, errlen);
		if (c->dns == NULL) {
			rc = errno != 0 ? errno : ENOENT;
			goto fail;
		}
	}
	c->index = index;
	c->nsb = nsb;
	return c;
fail:
	if (c != NULL)
		sbgw_policy_rt_free(c->policy, c->n_workers);
	free(c);
	errno = rc;
	return NULL;
}

void sbgw_live_keep_secrets(struct sbgw_live_change *c)
{
	c->keep_secrets = true;
}

void sbgw_live_discard(struct sbgw_live_change *c)
{
	if (c == NULL)
		return;
	sbgw_policy_rt_free(c->policy, c->n_workers);
	sbgw_dns_settings_free(c->dns);
	sbgw_sandbox_free(c->nsb);
	free(c);
}

#define SWAP(a, b)                        \
	do {                              \
		__typeof__(a) tmp_ = (a); \
		(a) = (b);                \
		(b) = tmp_;               \
	} while (0)

int sbgw_live_commit(struct sbgw_dataplane *gw, struct sbgw_live_change *c, char *err,
                     size_t errlen)
{
	struct sbgw_sandbox_rt *sb = &gw->sandboxes[c->index];
	struct sbgw_sandbox *slot = &gw->cfg->sandboxes[c->index];
	struct sbgw_retired *r = calloc(1, sizeof(*r));
	uint32_t gen;

	if (r == NULL || (gw->pins != NULL &&
	                  sbgw_pins_set_policy(gw->pins, c->index, c->policy->compiled) < 0)) {
		sbgw_errmsg(err, errlen, "sandbox %s: out of memory for its pins; policy unchanged",
		         slot->name);
		free(r);
		sbgw_live_discard(c);
		return -ENOMEM;
	}
	/*
	 * The running record takes the new settings in place. Workers read
	 * only its name, link and host addresses, which a swap never changes
	 * (prepare refused otherwise); the rest is read on this lcore alone.
	 */
	SWAP(slot->port, c->nsb->port);
	SWAP(slot->net, c->nsb->net);
	if (!c->keep_secrets) {
		SWAP(slot->n_secrets, c->nsb->n_secrets);
		SWAP(slot->secrets, c->nsb->secrets);
		SWAP(slot->line, c->nsb->line);
	} else if (slot->n_secrets > 0) {
		slot->net.tls.enabled = true; /* secrets need the HTTP checker (semantics §4.1) */
	}
	if (gw->dns_sandboxes != NULL)
		gw->dns_sandboxes[c->index].compiled = c->policy->compiled;
	if (gw->publish != NULL) /* published ports judge ingress with it too */
		sbgw_publish_set_policy(gw->publish, c->index, c->policy->compiled);
	if (c->dns != NULL)
		sbgw_dns_settings_commit(gw->dns, c->index, c->dns);
	c->dns = NULL;
	gw->max_connections[c->index] = slot->net.max_connections;
	for (unsigned int w = 0; w < gw->n_workers; w++)
		sbgw_flow_set_max_connections(gw->workers[w].flows, c->index,
		                              slot->net.max_connections);

	r->policy = sb->policy;
	r->cfg = c->nsb;
	gen = gw->policy_gen + 1;
	__atomic_store_n(&sb->policy, c->policy, __ATOMIC_RELEASE);
	__atomic_store_n(&sb->changed_gen, gen, __ATOMIC_RELEASE);
	__atomic_store_n(&gw->policy_gen, gen, __ATOMIC_RELEASE);
	r->token = rte_rcu_qsbr_start(sbgw_pins_qsbr(gw->pins));
	r->next = gw->retired;
	gw->retired = r;
	free(c);
	return 0;
}

static void free_retired(struct sbgw_dataplane *gw, struct sbgw_retired *r)
{
	/* The published-port thread may still be judging a connection with it. */
	if (gw->publish != NULL)
		sbgw_publish_sync(gw->publish);
	pthread_mutex_lock(&gw->live_lock); /* telemetry may be reading a generation */
	sbgw_policy_rt_free(r->policy, gw->n_workers);
	pthread_mutex_unlock(&gw->live_lock);
	sbgw_sandbox_free(r->cfg);
	free(r);
}

void sbgw_live_free_retired(struct sbgw_dataplane *gw, bool all)
{
	struct sbgw_retired **pp = &gw->retired;

	while (*pp != NULL) {
		struct sbgw_retired *r = *pp;

		if (all || rte_rcu_qsbr_check(sbgw_pins_qsbr(gw->pins), r->token, false) == 1) {
			*pp = r->next;
			free_retired(gw, r);
		} else {
			pp = &r->next;
		}
	}
}

void sbgw_live_poll(struct sbgw_dataplane *gw)
{
	if (gw->retired != NULL)
		sbgw_live_free_retired(gw, false);
}

int sbgw_live_reopen_logs(struct sbgw_dataplane *gw)
{
	return sbgw_dlog_reopen(gw->dlog);
}

void sbgw_dataplane_set_idle(struct sbgw_dataplane *gw, void (*fn)(void *arg), void *arg)
{
	gw->idle = fn;
	gw->idle_arg = arg;
}

long sbgw_live_relay_restart(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	if (gw->relay == NULL) {
		snprintf(err, errlen, "no relay: the gateway has no host port (gateway.host)");
		return -ENODEV;
	}
	return sbgw_relay_restart(gw->relay, err, errlen);
}
