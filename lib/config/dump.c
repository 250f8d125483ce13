/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbgw_config_dump(): the normalised configuration as the gateway will
 * use it, for operators (`sbgw -p`) and tests. Secret values are never
 * printed, only their length.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "internal.h"

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void dump_strlist(FILE *out, const struct sbgw_strlist *l)
{
	if (l->n == 0) {
		fprintf(out, " (none)");
		return;
	}
	for (unsigned int i = 0; i < l->n; i++)
		fprintf(out, " \"%s\"", CFG_Q(l->v[i]));
}

static void dump_nameservers(FILE *out, const struct sbgw_nameservers *ns)
{
	for (unsigned int i = 0; i < ns->n; i++) {
		const struct sbgw_nameserver *s = &ns->v[i];

		if (s->is_ip && s->addr.family == AF_INET6)
			fprintf(out, " [%s]:%u", s->host, s->port);
		else
			fprintf(out, " %s:%u", s->host, s->port);
	}
}

static void dump_lcores(FILE *out, const char *what, const unsigned int *v, unsigned int n,
			const char *dflt)
{
	fprintf(out, "  %s:", what);
	if (n == 0)
		fprintf(out, " %s", dflt);
	for (unsigned int i = 0; i < n; i++)
		fprintf(out, " %u", v[i]);
	fprintf(out, "\n");
}

static void dump_gateway(FILE *out, const struct sbgw_gateway *gw)
{
	char a[SBGW_CIDR_STRLEN], b[SBGW_ADDR_STRLEN];

	fprintf(out, "gateway:\n  eal:");
	dump_strlist(out, &gw->eal);
	fprintf(out, "\n");
	dump_lcores(out, "workers", gw->workers, gw->n_workers, "(every lcore but the main one)");
	dump_lcores(out, "slow", gw->slow, gw->n_slow, "(the main lcore)");
	fprintf(out, "  uplink: device \"%s\" address %s/%u next_hop %s\n",
		CFG_Q(gw->uplink.device != NULL ? gw->uplink.device : ""),
		sbgw_addr_format(&gw->uplink.address_ip, a, sizeof(a)), gw->uplink.address.len,
		sbgw_addr_format(&gw->uplink.next_hop, b, sizeof(b)));
	if (gw->uplink.has_next_hop_mac) {
		const uint8_t *m = gw->uplink.next_hop_mac.b;

		fprintf(out, "  uplink next_hop_mac: %02x:%02x:%02x:%02x:%02x:%02x (static, no ARP)\n",
			m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	if (gw->uplink.has_v6)
		fprintf(out, "  uplink6: address %s/%u next_hop %s\n",
			sbgw_addr_format(&gw->uplink.address6_ip, a, sizeof(a)),
			gw->uplink.address6.len,
			sbgw_addr_format(&gw->uplink.next_hop6, b, sizeof(b)));
	else
		fprintf(out, "  uplink6: (none: no IPv6 egress)\n");
	if (gw->host_device != NULL)
		fprintf(out, "  host: device \"%s\"\n", CFG_Q(gw->host_device));
	else
		fprintf(out, "  host: (none)\n");
	fprintf(out, "  nameservers:");
	if (gw->dns_nameservers.n == 0)
		fprintf(out, " (none)");
	dump_nameservers(out, &gw->dns_nameservers);
	fprintf(out, "\n");
	if (gw->tls.ca_cert != NULL)
		fprintf(out, "  tls: ca_cert \"%s\" ca_key \"%s\"\n", CFG_Q(gw->tls.ca_cert),
			CFG_Q(gw->tls.ca_key));
	else
		fprintf(out, "  tls: generated CA \"%s\" kept in \"%s\"\n", CFG_Q(gw->tls.ca_cn),
			CFG_Q(gw->tls.state_dir));
	fprintf(out, "  upstream CAs: %s\n",
		gw->tls.upstream_ca_file != NULL ? CFG_Q(gw->tls.upstream_ca_file)
						 : "(the system store)");
	fprintf(out, "  control socket: \"%s\"\n", CFG_Q(gw->control_socket));
	fprintf(out, "  flows: %u\n", gw->flows);
	if (gw->mbufs != 0)
		fprintf(out, "  mbufs: %u\n", gw->mbufs);
	else
		fprintf(out, "  mbufs: (sized from ports and workers)\n");
	fprintf(out, "  relay: first_flight_timeout_ms %u, max_connections %u\n",
		gw->relay.first_flight_timeout_ms, gw->relay.max_connections);
	if (gw->decision_log.output != NULL) /* only when set: older dumps stay as they were */
		fprintf(out, "  decision log: \"%s\", %u lines per second\n",
			CFG_Q(gw->decision_log.output), gw->decision_log.per_second);
	if (gw->has_floor) {
		fprintf(out, "  floor:\n");
		sbgw_policy_dump(&gw->floor, out, "    ");
	} else {
		fprintf(out, "  floor: (none)\n");
	}
}

static void dump_mac(FILE *out, const struct sbgw_mac *m)
{
	fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2], m->b[3], m->b[4],
		m->b[5]);
}

static void dump_link(FILE *out, const struct sbgw_sandbox *sb)
{
	const struct sbgw_link *l = &sb->link;
	char n[SBGW_CIDR_STRLEN], g[SBGW_ADDR_STRLEN], c[SBGW_ADDR_STRLEN];

	if (!l->nic_present) {
		fprintf(out, "  link: (none: policy \"none\" attaches no NIC)\n");
		return;
	}
	fprintf(out, "  link: mtu %u, gateway mac ", l->mtu);
	dump_mac(out, &l->gw_mac);
	fprintf(out, ", guest mac ");
	dump_mac(out, &l->guest_mac);
	fprintf(out, "\n    ipv4 slot %llu: %s gateway %s guest %s\n", (unsigned long long)l->slot4,
		sbgw_cidr_format(&l->net4, n, sizeof(n)), sbgw_addr_format(&l->gw4, g, sizeof(g)),
		sbgw_addr_format(&l->guest4, c, sizeof(c)));
	fprintf(out, "    ipv6 slot %llu: %s gateway %s guest %s\n", (unsigned long long)l->slot6,
		sbgw_cidr_format(&l->net6, n, sizeof(n)), sbgw_addr_format(&l->gw6, g, sizeof(g)),
		sbgw_addr_format(&l->guest6, c, sizeof(c)));
}

static void dump_violation(FILE *out, const struct sbgw_violation *v)
{
	fprintf(out, "%s", cfg_violation_name((enum sbgw_violation_action)v->action));
	if (v->action != SBGW_VIOLATION_PASSTHROUGH)
		return;
	if (v->all_hosts) {
		fprintf(out, " (every host)");
		return;
	}
	fprintf(out, " hosts");
	dump_strlist(out, &v->hosts);
	fprintf(out, " patterns");
	dump_strlist(out, &v->patterns);
}

static void dump_tls(FILE *out, const struct sbgw_tls_config *tls)
{
	if (!tls->enabled) {
		fprintf(out, "  tls: off\n");
		return;
	}
	fprintf(out, "  tls: on, intercepted ports");
	if (tls->n_intercepted_ports == 0)
		fprintf(out, " (none)");
	for (unsigned int i = 0; i < tls->n_intercepted_ports; i++)
		fprintf(out, " %u", tls->intercepted_ports[i]);
	fprintf(out, ", verify_upstream %s, block_quic %s\n    bypass",
		yes_no(tls->verify_upstream), yes_no(tls->block_quic));
	dump_strlist(out, &tls->bypass);
	if (tls->ca_cert != NULL)
		fprintf(out, "\n    ca_cert \"%s\" ca_key \"%s\"\n", CFG_Q(tls->ca_cert),
			CFG_Q(tls->ca_key));
	else if (tls->ca_cn != NULL)
		fprintf(out, "\n    CA: generated, CN \"%s\"\n", CFG_Q(tls->ca_cn));
	else
		fprintf(out, "\n    CA: the gateway's\n");
}

static void dump_secret(FILE *out, const struct sbgw_secret *s)
{
	/* The value is never printed, only how long it is. */
	fprintf(out, "    %s (line %u): value <redacted, %zu bytes>, placeholder \"%s\"\n",
		CFG_Q(s->env_var != NULL ? s->env_var : ""), s->line, s->value_len,
		CFG_Q(s->placeholder != NULL ? s->placeholder : ""));
	fprintf(out, "      allow_hosts");
	dump_strlist(out, &s->allow_hosts);
	fprintf(out, "\n      allow_host_patterns");
	dump_strlist(out, &s->allow_host_patterns);
	fprintf(out, "\n      require_tls %s, injection: headers %s basic_auth %s query_params %s "
		     "body %s\n",
		yes_no(s->require_tls), yes_no(s->injection.headers),
		yes_no(s->injection.basic_auth), yes_no(s->injection.query_params),
		yes_no(s->injection.body));
	fprintf(out, "      on_violation: ");
	if (s->has_on_violation)
		dump_violation(out, &s->on_violation);
	else
		fprintf(out, "(the sandbox's)");
	fprintf(out, "\n");
}

static void dump_sandbox(FILE *out, const struct sbgw_sandbox *sb)
{
	const struct sbgw_network *net = &sb->net;
	char a[SBGW_CIDR_STRLEN], b[SBGW_CIDR_STRLEN];

	fprintf(out, "sandbox \"%s\" (line %u):\n", sb->name, sb->line);
	fprintf(out, "  port: %s\n", sb->port != NULL ? CFG_Q(sb->port) : "(none)");
	dump_link(out, sb);
	fprintf(out, "  pools: %s %s\n", sbgw_cidr_format(&net->ipv4_pool, a, sizeof(a)),
		sbgw_cidr_format(&net->ipv6_pool, b, sizeof(b)));
	if (net->has_policy_preset)
		fprintf(out, "  policy: preset %s\n", cfg_preset_name(net->preset));
	else
		fprintf(out, "  policy: custom\n");
	sbgw_policy_dump(&net->policy, out, "    ");
	fprintf(out, "  ports:");
	if (net->n_ports == 0)
		fprintf(out, " (none)");
	for (unsigned int i = 0; i < net->n_ports; i++)
		fprintf(out, " %s->%u", cfg_port_format(&net->ports[i], a, sizeof(a)),
			net->ports[i].guest_port);
	fprintf(out, "\n  dns: rebind_protection %s, query_timeout_ms %u, nameservers",
		yes_no(net->dns.rebind_protection), net->dns.query_timeout_ms);
	if (net->dns.nameservers.n == 0)
		fprintf(out, " (the gateway's)");
	dump_nameservers(out, &net->dns.nameservers);
	fprintf(out, "\n");
	dump_tls(out, &net->tls);
	fprintf(out, "  max_connections: %u\n  on_secret_violation: ", net->max_connections);
	dump_violation(out, &net->on_secret_violation);
	fprintf(out, "\n  secrets:%s\n", sb->n_secrets == 0 ? " (none)" : "");
	for (unsigned int i = 0; i < sb->n_secrets; i++)
		dump_secret(out, &sb->secrets[i]);
}

void sbgw_sandbox_dump(const struct sbgw_sandbox *sb, FILE *out)
{
	dump_sandbox(out, sb);
}

void sbgw_config_dump(const struct sbgw_config *cfg, FILE *out)
{
	fprintf(out, "configuration \"%s\"\n", CFG_Q(cfg->path));
	dump_gateway(out, &cfg->gw);
	for (unsigned int i = 0; i < cfg->n_sandboxes; i++)
		dump_sandbox(out, &cfg->sandboxes[i]);
}
