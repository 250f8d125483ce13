/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One entry of the sandboxes list, and the rules that tie sandboxes
 * together: unique names, unique guest ports, no two published ports
 * that the host could not bind at the same time, and what published ports
 * need from the gateway.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct cfg_key sandbox_keys[] = {
	{"name", CFG_T_STRING, true},
	{"port", CFG_T_STRING, false},
	{"network", CFG_T_GROUP, false},
	{"secrets", CFG_T_SEQ, false},
	{NULL, 0, false},
};

/* [a-z0-9][a-z0-9_-]{0,62}: safe in file names, telemetry names and logs. */
bool sbgw_sandbox_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= SBGW_SANDBOX_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (i > 0)
			ok = ok || c == '_' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

static void parse_name(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_sandbox *sb)
{
	const char *name = config_setting_get_string(s);

	if (!sbgw_sandbox_name_valid(name)) {
		cfg_error(ctx, s, "invalid sandbox name \"%s\": must match [a-z0-9][a-z0-9_-]{0,62}",
			  CFG_Q(name));
		return;
	}
	memcpy(sb->name, name, strlen(name) + 1);
}

static int parse_port(struct cfg_ctx *ctx, const config_setting_t *parent,
		      const config_setting_t *s, bool is_none, struct sbgw_sandbox *sb)
{
	const char *port;

	if (s == NULL) {
		if (!is_none && config_setting_get_member(parent, "port") == NULL)
			cfg_error_member(ctx, parent, "port",
					 "required setting is missing (every sandbox needs a guest "
					 "port unless its policy is \"none\")");
		return 0;
	}
	port = config_setting_get_string(s);
	if (is_none) {
		/* Deviation D1: "none" attaches no NIC, so the port would never be used. */
		cfg_error(ctx, s, "policy \"none\" attaches no network interface; remove port");
		return 0;
	}
	if (port[0] == '\0') {
		cfg_error(ctx, s, "port must not be empty");
		return 0;
	}
	sb->port = strdup(port);
	if (sb->port == NULL)
		return cfg_oom(ctx, s);
	return 0;
}

int cfg_parse_sandbox(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_sandbox *sb)
{
	const config_setting_t *m;
	bool is_none = false;
	int rc;

	memset(sb, 0, sizeof(*sb));
	sb->line = cfg_line(s);
	cfg_check_keys(ctx, s, sandbox_keys);
	m = cfg_member(s, "name", CFG_T_STRING);
	if (m != NULL)
		parse_name(ctx, m, sb);
	m = cfg_member(s, "network", CFG_T_GROUP);
	/* Network() when omitted: the public_only preset with every default. */
	rc = m != NULL ? cfg_parse_network(ctx, m, &sb->net, &is_none)
		       : cfg_network_defaults(&sb->net);
	if (rc < 0)
		return m != NULL ? rc : cfg_oom(ctx, s);
	rc = parse_port(ctx, s, cfg_member(s, "port", CFG_T_STRING), is_none, sb);
	if (rc < 0)
		return rc;
	m = cfg_member(s, "secrets", CFG_T_SEQ);
	if (m != NULL) {
		rc = cfg_parse_secrets(ctx, m, &sb->secrets, &sb->n_secrets);
		if (rc < 0)
			return rc;
	}
	/* Semantics §4.1: secrets need the HTTP checker, so they switch interception on. */
	if (sb->n_secrets > 0)
		sb->net.tls.enabled = true;
	return 0;
}

void cfg_sandbox_free(struct sbgw_sandbox *sb)
{
	free(sb->port);
	cfg_network_free(&sb->net);
	cfg_secrets_free(sb->secrets, sb->n_secrets);
	memset(sb, 0, sizeof(*sb));
}

/* The setting of published port b of the sandbox defined by s. */
static const config_setting_t *port_setting(const config_setting_t *s,
					    const struct sbgw_port_binding *b)
{
	const config_setting_t *seq = config_setting_lookup((config_setting_t *)s, "network.ports");
	const config_setting_t *e = NULL;

	if (seq != NULL)
		e = config_setting_get_elem(seq, b->index);
	return e != NULL ? e : s;
}

static void check_ports(struct cfg_ctx *ctx, const config_setting_t *s,
			const struct sbgw_sandbox *sb, const struct sbgw_sandbox *o)
{
	char buf[CFG_PORT_STRLEN], hint[CFG_PORT_HINT_LEN];

	for (unsigned int i = 0; i < sb->net.n_ports; i++) {
		const struct sbgw_port_binding *b = &sb->net.ports[i];

		for (unsigned int j = 0; j < o->net.n_ports; j++) {
			if (!cfg_ports_conflict(b, &o->net.ports[j]))
				continue;
			cfg_error(ctx, port_setting(s, b),
				  "host port %s is already published by sandbox \"%s\"%s",
				  cfg_port_format(b, buf, sizeof(buf)), o->name,
				  cfg_port_clash_hint(b, &o->net.ports[j], hint, sizeof(hint)));
			break;
		}
	}
}

/*
 * What the gateway must offer for the sandbox's published ports to work
 * (semantics §6): the host port carries the relay into the guest, and an
 * IPv6 listener needs sandboxes with IPv6. A binding must name one host
 * address (or every address of a family), never a group of receivers.
 */
static void check_published(struct cfg_ctx *ctx, const config_setting_t *s,
			    const struct sbgw_gateway *gw, const struct sbgw_sandbox *sb)
{
	char a[SBGW_ADDR_STRLEN];

	if (sb->net.n_ports == 0)
		return;
	if (gw->host_device == NULL) {
		const config_setting_t *seq =
			config_setting_lookup((config_setting_t *)s, "network.ports");

		cfg_error(ctx, seq != NULL ? seq : s,
			  "published ports need gateway.host: the host port carries them into "
			  "the guest");
	}
	for (unsigned int i = 0; i < sb->net.n_ports; i++) {
		const struct sbgw_port_binding *b = &sb->net.ports[i];
		bool v6 = b->bind.family == AF_INET6;

		sbgw_addr_format(&b->bind, a, sizeof(a));
		if ((v6 && b->bind.v6[0] == 0xff) ||
		    (!v6 && ((b->bind.v4 >> 28) == 0xe || b->bind.v4 == 0xffffffffu)))
			cfg_error(ctx, port_setting(s, b),
				  "bind address %s is not a unicast address of this host", a);
		else if (v6 && !gw->uplink.has_v6)
			cfg_error(ctx, port_setting(s, b),
				  "bind address %s is IPv6, but sandboxes have no IPv6 (set "
				  "gateway.uplink.address6) and an IPv6 listener needs guest IPv6 "
				  "(semantics §6)",
				  a);
	}
}

void cfg_check_unique(struct cfg_ctx *ctx, const config_setting_t *s,
		      const struct sbgw_gateway *gw, const struct sbgw_sandbox *sb,
		      const struct sbgw_sandbox *others, unsigned int n, const char *skip_name)
{
	const config_setting_t *name = cfg_member(s, "name", CFG_T_STRING);
	const config_setting_t *port = cfg_member(s, "port", CFG_T_STRING);

	check_published(ctx, s, gw, sb);

	if (sb->port != NULL && gw->uplink.device != NULL && strcmp(sb->port, gw->uplink.device) == 0)
		cfg_error(ctx, port, "port \"%s\" is the gateway's uplink device", CFG_Q(sb->port));
	if (sb->port != NULL && gw->host_device != NULL && strcmp(sb->port, gw->host_device) == 0)
		cfg_error(ctx, port, "port \"%s\" is the gateway's host device", CFG_Q(sb->port));
	for (unsigned int i = 0; i < n; i++) {
		const struct sbgw_sandbox *o = &others[i];

		if (skip_name != NULL && strcmp(o->name, skip_name) == 0)
			continue;
		if (name != NULL && sb->name[0] != '\0' && strcmp(sb->name, o->name) == 0)
			cfg_error(ctx, name, "duplicate sandbox name \"%s\" (first defined on line %u)",
				  sb->name, o->line);
		if (port != NULL && sb->port != NULL && o->port != NULL &&
		    strcmp(sb->port, o->port) == 0)
			cfg_error(ctx, port, "port \"%s\" is already the port of sandbox \"%s\"",
				  CFG_Q(sb->port), o->name);
		check_ports(ctx, s, sb, o);
	}
}
