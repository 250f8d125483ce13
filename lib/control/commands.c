/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control requests: list and show read the running gateway; policy
 * and replace check a new definition exactly like the configuration file
 * would, then swap it in (live.h); add and remove say what they need.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "live.h"

#define FLOWS_SHOWN 64

json_t *sbgw_ctl_error(const char *details, const char *fmt, ...)
{
	json_t *obj = json_object(), *lines = json_array();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (obj == NULL || lines == NULL) {
		json_decref(obj);
		json_decref(lines);
		return NULL;
	}
	json_object_set_new(obj, "ok", json_false());
	json_object_set_new(obj, "error", json_string(msg));
	/* details: the validator's messages, one per line */
	while (details != NULL && *details != '\0') {
		size_t n = strcspn(details, "\n");

		json_array_append_new(lines, json_stringn(details, n));
		details += n;
		if (*details == '\n')
			details++;
	}
	json_object_set_new(obj, "details", lines);
	return obj;
}

static json_t *ok(void)
{
	json_t *obj = json_object();

	if (obj != NULL)
		json_object_set_new(obj, "ok", json_true());
	return obj;
}

static json_t *addr_json(const struct sbgw_addr *a)
{
	char buf[SBGW_ADDR_STRLEN];

	if (a->family == 0)
		return json_null();
	return json_string(sbgw_addr_format(a, buf, sizeof(buf)));
}

static json_t *link_json(const struct sbgw_sandbox *sb)
{
	const struct sbgw_link *l = &sb->link;
	json_t *o = json_object();
	char mac[24];

	if (o == NULL || !l->nic_present)
		return o;
	json_object_set_new(o, "ipv4", addr_json(&l->guest4));
	json_object_set_new(o, "gateway4", addr_json(&l->gw4));
	json_object_set_new(o, "ipv6", addr_json(&l->guest6));
	json_object_set_new(o, "gateway6", addr_json(&l->gw6));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->guest_mac.b[0],
	         l->guest_mac.b[1], l->guest_mac.b[2], l->guest_mac.b[3], l->guest_mac.b[4],
	         l->guest_mac.b[5]);
	json_object_set_new(o, "mac", json_string(mac));
	json_object_set_new(o, "mtu", json_integer(l->mtu));
	return o;
}

static const char *policy_label(const struct sbgw_sandbox *sb)
{
	if (!sb->net.has_policy_preset)
		return "custom";
	switch (sb->net.preset) {
	case SBGW_PRESET_NONE:
		return "none";
	case SBGW_PRESET_ALLOW_ALL:
		return "allow_all";
	default:
		return "public_only";
	}
}

static json_t *cmd_list(struct sbgw_dataplane *gw)
{
	const struct sbgw_config *cfg = sbgw_live_config(gw);
	json_t *obj = ok(), *arr = json_array();

	for (unsigned int i = 0; arr != NULL && i < cfg->n_sandboxes; i++) {
		const struct sbgw_sandbox *sb = &cfg->sandboxes[i];
		json_t *e = json_object();

		if (e == NULL)
			break;
		json_object_set_new(e, "name", json_string(sb->name));
		json_object_set_new(e, "port", sb->port ? json_string(sb->port) : json_null());
		json_object_set_new(e, "link", link_json(sb));
		json_object_set_new(e, "policy", json_string(policy_label(sb)));
		json_array_append_new(arr, e);
	}
	json_object_set_new(obj, "sandboxes", arr);
	return obj;
}

static const char *tcp_state_name(uint8_t s)
{
	static const char *const names[] = {"-",        "syn_sent", "syn_recv", "established",
	                                    "fin_wait", "closing",  "closed",   "revoked"};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		return "?";
	}
}

static json_t *flow_json(const struct sbgw_flow *f)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	inet_ntop(f->guest_key.family, f->guest_key.src, src, sizeof(src));
	inet_ntop(f->guest_key.family, f->guest_key.dst, dst, sizeof(dst));
	json_object_set_new(o, "proto", json_string(proto_name(f->guest_key.proto)));
	json_object_set_new(o, "src", json_string(src));
	json_object_set_new(o, "sport", json_integer(f->guest_key.src_port));
	json_object_set_new(o, "dst", json_string(dst));
	json_object_set_new(o, "dport", json_integer(f->guest_key.dst_port));
	json_object_set_new(o, "nat_port", json_integer(f->nat_port));
	json_object_set_new(o, "state", json_string(tcp_state_name(f->tcp_state)));
	json_object_set_new(o, "rule", json_integer(f->rule));
	json_object_set_new(o, "packets_out", json_integer((json_int_t)f->packets[0]));
	json_object_set_new(o, "packets_in", json_integer((json_int_t)f->packets[1]));
	json_object_set_new(o, "bytes_out", json_integer((json_int_t)f->bytes[0]));
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)f->bytes[1]));
	return o;
}

static json_t *counters_json(const struct sbgw_live_stats *st)
{
	json_t *o = json_object(), *drops = json_object();

	if (o == NULL || drops == NULL) {
		json_decref(o);
		json_decref(drops);
		return NULL;
	}
	json_object_set_new(o, "from_guest_packets",
	                    json_integer((json_int_t)st->from_guest_packets));
	json_object_set_new(o, "from_guest_bytes", json_integer((json_int_t)st->from_guest_bytes));
	json_object_set_new(o, "to_guest_packets", json_integer((json_int_t)st->to_guest_packets));
	json_object_set_new(o, "to_guest_bytes", json_integer((json_int_t)st->to_guest_bytes));
	json_object_set_new(o, "flows_created", json_integer((json_int_t)st->flows_created));
	json_object_set_new(o, "flows_revoked", json_integer((json_int_t)st->flows_revoked));
	json_object_set_new(o, "tcp_connections", json_integer((json_int_t)st->tcp_connections));
	for (unsigned int r = 1; r < SBGW_DROP_COUNT; r++)
		if (st->drops[r] != 0)
			json_object_set_new(drops, sbgw_drop_name((enum sbgw_drop)r),
			                    json_integer((json_int_t)st->drops[r]));
	json_object_set_new(o, "drops", drops);
	return o;
}

/* The rules as the operator wrote them, each with its hits since the policy took effect. */
static json_t *policy_json(const struct sbgw_sandbox *sb, const struct sbgw_live_stats *st)
{
	const struct sbgw_policy *p = &sb->net.policy;
	json_t *o = json_object(), *rules = json_array();
	char text[512];

	if (o == NULL || rules == NULL) {
		json_decref(o);
		json_decref(rules);
		return NULL;
	}
	json_object_set_new(o, "preset", json_string(policy_label(sb)));
	json_object_set_new(o, "default_egress",
	                    json_string(sbgw_action_name((enum sbgw_action)p->default_egress)));
	json_object_set_new(o, "default_ingress",
	                    json_string(sbgw_action_name((enum sbgw_action)p->default_ingress)));
	for (unsigned int r = 0; r < p->n_rules; r++) {
		json_t *e = json_object();

		if (e == NULL)
			break;
		sbgw_rule_format(&p->rules[r], text, sizeof(text));
		json_object_set_new(e, "index", json_integer(r));
		json_object_set_new(e, "rule", json_string(text));
		json_object_set_new(
		        e, "hits",
		        json_integer(r < st->n_rules ? (json_int_t)st->rule_hits[r] : 0));
		json_array_append_new(rules, e);
	}
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "default_hits",
	                    json_integer((json_int_t)st->rule_hits[st->n_rules]));
	return o;
}

static json_t *cmd_show(struct sbgw_dataplane *gw, const char *name)
{
	const struct sbgw_sandbox *sb;
	struct sbgw_live_stats st;
	struct sbgw_flow *flows;
	json_t *obj, *s, *arr;
	unsigned int n;
	int i = sbgw_live_find(gw, name);

	if (i < 0)
		return sbgw_ctl_error(NULL, "no sandbox named \"%s\"", name);
	sb = &sbgw_live_config(gw)->sandboxes[i];
	flows = calloc(FLOWS_SHOWN, sizeof(*flows));
	if (flows == NULL || sbgw_live_stats(gw, (uint32_t)i, &st) < 0) {
		free(flows);
		return sbgw_ctl_error(NULL, "out of memory");
	}
	n = sbgw_live_flows(gw, (uint32_t)i, flows, FLOWS_SHOWN);
	obj = ok();
	s = json_object();
	arr = json_array();
	if (obj != NULL && s != NULL && arr != NULL) {
		json_object_set_new(s, "name", json_string(sb->name));
		json_object_set_new(s, "port", sb->port ? json_string(sb->port) : json_null());
		json_object_set_new(s, "link", link_json(sb));
		json_object_set_new(s, "max_connections", json_integer(sb->net.max_connections));
		json_object_set_new(s, "counters", counters_json(&st));
		json_object_set_new(s, "policy", policy_json(sb, &st));
		for (unsigned int k = 0; k < n; k++)
			json_array_append_new(arr, flow_json(&flows[k]));
		json_object_set_new(s, "flows", arr);
		json_object_set_new(s, "flows_shown_max", json_integer(FLOWS_SHOWN));
		json_object_set_new(obj, "sandbox", s);
	} else {
		json_decref(s);
		json_decref(arr);
	}
	free(st.rule_hits);
	free(flows);
	return obj;
}

/* Text written to a memstream by the validator, or NULL. */
struct capture {
	FILE *f;
	char *text;
	size_t len;
};

static int capture_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->text, &c->len);
	return c->f == NULL ? -ENOMEM : 0;
}

static void capture_close(struct capture *c)
{
	if (c->f != NULL)
		fclose(c->f);
	c->f = NULL;
}

/* A libconfig string literal of s (device strings hold no quotes, but be exact). */
static char *quoted(const char *s)
{
	char *out = malloc(2 * strlen(s) + 3), *o = out;

	if (out == NULL)
		return NULL;
	*o++ = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

/*
 * "policy NAME": the running sandbox's name and port with a new network
 * group; its secrets stay (commit keeps them when the text has none).
 * The text starts on the definition's first line, so its line numbers
 * are the file's own.
 */
static char *policy_definition(const struct sbgw_sandbox *cur, const char *network)
{
	char *port = cur->port != NULL ? quoted(cur->port) : NULL, *def = NULL;

	if (cur->port != NULL && port == NULL)
		return NULL;
	if (asprintf(&def, "{ name = \"%s\";%s%s%s network = { %s\n}; }", cur->name,
	             port ? " port = " : "", port ? port : "", port ? ";" : "", network) < 0)
		def = NULL;
	free(port);
	return def;
}

static json_t *apply(struct sbgw_dataplane *gw, const struct sbgw_ctl_request *req)
{
	const struct sbgw_config *cfg = sbgw_live_config(gw);
	struct sbgw_sandbox *nsb;
	struct sbgw_live_change *c;
	struct capture cap;
	char *text = req->text, err[1024];
	struct timespec at;
	int i = -ENOENT;
	json_t *ans;

	if (req->cmd == SBGW_CTL_POLICY) {
		i = sbgw_live_find(gw, req->name);
		if (i < 0)
			return sbgw_ctl_error(NULL, "no sandbox named \"%s\"", req->name);
		text = policy_definition(&cfg->sandboxes[i], req->text);
		if (text == NULL)
			return sbgw_ctl_error(NULL, "out of memory");
	}
	if (capture_open(&cap) < 0)
		return sbgw_ctl_error(NULL, "out of memory");
	nsb = sbgw_config_parse_sandbox(cfg, text, req->origin, cap.f);
	capture_close(&cap);
	if (text != req->text) {
		explicit_bzero(text, strlen(text)); /* may hold secret values */
		free(text);
	}
	if (nsb == NULL) {
		ans = sbgw_ctl_error(cap.text,
		                     "%s: rejected; the running configuration is unchanged",
		                     req->origin);
		free(cap.text);
		return ans;
	}
	free(cap.text);
	if (req->cmd != SBGW_CTL_POLICY)
		i = sbgw_live_find(gw, nsb->name);
	if (req->cmd == SBGW_CTL_ADD && i >= 0) {
		ans = sbgw_ctl_error(NULL, "sandbox %s already exists (use replace)", nsb->name);
		sbgw_sandbox_free(nsb);
		return ans;
	}
	if (i < 0) {
		ans = sbgw_ctl_error(
		        NULL,
		        "sandbox %s: adding sandboxes at run time is not supported yet: "
		        "needs restart",
		        nsb->name);
		sbgw_sandbox_free(nsb);
		return ans;
	}
	c = sbgw_live_prepare(gw, (uint32_t)i, nsb, err, sizeof(err));
	if (c == NULL) {
		sbgw_sandbox_free(nsb);
		return sbgw_ctl_error(NULL, "%s: %s; the running configuration is unchanged",
		                      req->origin, err);
	}
	if (req->cmd == SBGW_CTL_POLICY)
		sbgw_live_keep_secrets(c);
	if (sbgw_live_commit(gw, c, err, sizeof(err)) < 0)
		return sbgw_ctl_error(NULL, "%s", err);
	clock_gettime(CLOCK_REALTIME, &at);
	printf("sbgw: control: sandbox %s: new %s from %s in force\n", cfg->sandboxes[i].name,
	       req->cmd == SBGW_CTL_POLICY ? "network settings" : "definition", req->origin);
	fflush(stdout);
	ans = ok();
	json_object_set_new(ans, "changed", json_string(cfg->sandboxes[i].name));
	/* When the workers got the new policy (wall clock), for measuring what follows. */
	json_object_set_new(ans, "in_force_at", json_real((double)at.tv_sec + at.tv_nsec / 1e9));
	return ans;
}

/* The relay runs on this thread (the slow core): restart it in place. */
static json_t *relay_restart(struct sbgw_dataplane *gw)
{
	char err[256];
	json_t *ans;
	long n;

	n = sbgw_live_relay_restart(gw, err, sizeof(err));
	if (n < 0) /* without a relay; or it keeps trying to listen on each tick */
		return sbgw_ctl_error(NULL, "%s", err);
	ans = ok();
	json_object_set_new(ans, "reset", json_integer(n));
	return ans;
}

json_t *sbgw_ctl_execute(struct sbgw_dataplane *gw, const char *config_path,
                         const struct sbgw_ctl_request *req)
{
	switch (req->cmd) {
	case SBGW_CTL_LIST:
		return cmd_list(gw);
	case SBGW_CTL_SHOW:
		return cmd_show(gw, req->name);
	case SBGW_CTL_POLICY:
	case SBGW_CTL_REPLACE:
	case SBGW_CTL_ADD:
		return apply(gw, req);
	case SBGW_CTL_REMOVE:
		if (sbgw_live_find(gw, req->name) < 0)
			return sbgw_ctl_error(NULL, "no sandbox named \"%s\"", req->name);
		return sbgw_ctl_error(NULL,
		                      "sandbox %s: removing sandboxes at run time is not supported "
		                      "yet: needs restart",
		                      req->name);
	case SBGW_CTL_RELOAD:
		return sbgw_ctl_reload(gw, config_path);
	case SBGW_CTL_RELAY_RESTART:
		return relay_restart(gw);
	}
	return sbgw_ctl_error(NULL, "unknown command");
}
