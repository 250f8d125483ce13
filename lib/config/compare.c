/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Comparing a reloaded configuration with the running one: which
 * sandboxes changed, and whether a change can be applied to a running
 * sandbox or needs a restart (its port, addresses or published ports).
 * Line numbers are not settings: moving a sandbox in the file changes
 * nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool same_addr(const struct sbgw_addr *a, const struct sbgw_addr *b)
{
	return a->family == b->family && (a->family == 0 || sbgw_addr_equal(a, b));
}

static bool same_link(const struct sbgw_link *a, const struct sbgw_link *b)
{
	if (a->nic_present != b->nic_present)
		return false;
	if (!a->nic_present)
		return true;
	return a->mtu == b->mtu && a->net4.len == b->net4.len && a->net6.len == b->net6.len &&
	       same_addr(&a->net4.addr, &b->net4.addr) && same_addr(&a->net6.addr, &b->net6.addr) &&
	       same_addr(&a->gw4, &b->gw4) && same_addr(&a->guest4, &b->guest4) &&
	       same_addr(&a->gw6, &b->gw6) && same_addr(&a->guest6, &b->guest6) &&
	       memcmp(&a->gw_mac, &b->gw_mac, sizeof(a->gw_mac)) == 0 &&
	       memcmp(&a->guest_mac, &b->guest_mac, sizeof(a->guest_mac)) == 0;
}

static bool same_published(const struct sbgw_network *a, const struct sbgw_network *b)
{
	if (a->n_ports != b->n_ports)
		return false;
	for (unsigned int i = 0; i < a->n_ports; i++) {
		const struct sbgw_port_binding *x = &a->ports[i], *y = &b->ports[i];

		if (!same_addr(&x->bind, &y->bind) || x->host_port != y->host_port ||
		    x->guest_port != y->guest_port || x->proto != y->proto)
			return false;
	}
	return true;
}

static bool same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

const char *sbgw_sandbox_restart_reason(const struct sbgw_sandbox *cur,
                                        const struct sbgw_sandbox *next)
{
	if (!same_string(cur->port, next->port))
		return "its port (device) changed";
	if (!same_link(&cur->link, &next->link))
		return "its addresses change (pools, or policy \"none\", which attaches no NIC)";
	if (!same_published(&cur->net, &next->net))
		return "its published ports changed";
	return NULL;
}

/* A policy's text as dumped, without the rules' line numbers. */
static int dump_policy(const struct sbgw_policy *p, FILE *out)
{
	struct sbgw_policy copy;

	memset(&copy, 0, sizeof(copy));
	if (sbgw_policy_copy(&copy, p) < 0)
		return -ENOMEM;
	for (unsigned int i = 0; i < copy.n_rules; i++)
		copy.rules[i].line = 0;
	sbgw_policy_dump(&copy, out, "");
	sbgw_policy_clear(&copy);
	return 0;
}

/*
 * The sandbox as dumped with every line number zeroed (a shallow copy;
 * only the arrays that carry lines are copied).
 */
static char *fingerprint(const struct sbgw_sandbox *sb)
{
	struct sbgw_sandbox copy = *sb;
	struct sbgw_port_binding *ports = NULL;
	struct sbgw_secret *secrets = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	copy.line = 0;
	memset(&copy.net.policy, 0, sizeof(copy.net.policy));
	if (sb->net.n_ports > 0) {
		ports = calloc(sb->net.n_ports, sizeof(*ports));
		if (ports == NULL)
			return NULL;
		for (unsigned int i = 0; i < sb->net.n_ports; i++) {
			ports[i] = sb->net.ports[i];
			ports[i].line = 0;
		}
		copy.net.ports = ports;
	}
	if (sb->n_secrets > 0) {
		secrets = calloc(sb->n_secrets, sizeof(*secrets));
		if (secrets == NULL)
			goto out;
		for (unsigned int i = 0; i < sb->n_secrets; i++) {
			secrets[i] = sb->secrets[i];
			secrets[i].line = 0;
		}
		copy.secrets = secrets;
	}
	out = open_memstream(&text, &len);
	if (out == NULL)
		goto out;
	sbgw_sandbox_dump(&copy, out);
	if (dump_policy(&sb->net.policy, out) < 0) {
		fclose(out);
		free(text);
		text = NULL;
		goto out;
	}
	fclose(out);
out:
	free(ports);
	free(secrets);
	return text;
}

static bool same_secret_values(const struct sbgw_sandbox *a, const struct sbgw_sandbox *b)
{
	if (a->n_secrets != b->n_secrets)
		return false;
	for (unsigned int i = 0; i < a->n_secrets; i++) {
		const struct sbgw_secret *x = &a->secrets[i], *y = &b->secrets[i];

		if (x->value_len != y->value_len ||
		    (x->value_len > 0 && memcmp(x->value, y->value, x->value_len) != 0))
			return false;
	}
	return true;
}

bool sbgw_sandbox_equal(const struct sbgw_sandbox *a, const struct sbgw_sandbox *b)
{
	char *fa, *fb;
	bool same;

	if (!same_secret_values(a, b))
		return false;
	fa = fingerprint(a);
	fb = fingerprint(b);
	/* Out of memory: call them different, so a reload applies rather than ignores. */
	same = fa != NULL && fb != NULL && strcmp(fa, fb) == 0;
	free(fa);
	free(fb);
	return same;
}

bool sbgw_gateway_equal(const struct sbgw_config *a, const struct sbgw_config *b)
{
	struct sbgw_config ca = *a, cb = *b;
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	FILE *fa, *fb;
	bool same = false;

	ca.n_sandboxes = cb.n_sandboxes = 0;
	ca.path = cb.path = "";
	/* The floor is dumped below, without its line numbers. */
	memset(&ca.gw.floor, 0, sizeof(ca.gw.floor));
	memset(&cb.gw.floor, 0, sizeof(cb.gw.floor));
	fa = open_memstream(&ta, &la);
	fb = open_memstream(&tb, &lb);
	if (fa != NULL && fb != NULL) {
		sbgw_config_dump(&ca, fa);
		sbgw_config_dump(&cb, fb);
		if (a->gw.has_floor)
			dump_policy(&a->gw.floor, fa);
		if (b->gw.has_floor)
			dump_policy(&b->gw.floor, fb);
	}
	if (fa != NULL)
		fclose(fa);
	if (fb != NULL)
		fclose(fb);
	same = ta != NULL && tb != NULL && strcmp(ta, tb) == 0;
	free(ta);
	free(tb);
	return same;
}
