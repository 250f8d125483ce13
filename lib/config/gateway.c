/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway section: lcores, uplink, host port, upstream nameservers,
 * the default interception CA, the control socket, the decision log, the
 * flow table size and the optional platform floor policy.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_config.h>

#include "internal.h"

static const struct cfg_key gateway_keys[] = {
	{"eal", CFG_T_SEQ, false},
	{"workers", CFG_T_SEQ, false},
	{"slow", CFG_T_SEQ, false},
	{"uplink", CFG_T_GROUP, true},
	{"host", CFG_T_GROUP, false},
	{"dns", CFG_T_GROUP, false},
	{"tls", CFG_T_GROUP, false},
	{"control", CFG_T_GROUP, false},
	{"flows", CFG_T_INT, false},
	{"mbufs", CFG_T_INT, false},
	{"relay", CFG_T_GROUP, false},
	{"decision_log", CFG_T_GROUP, false},
	{"floor", CFG_T_STRING | CFG_T_GROUP, false},
	{NULL, 0, false},
};

static const struct cfg_key uplink_keys[] = {
	{"device", CFG_T_STRING, true},
	{"address", CFG_T_STRING, true},
	{"next_hop", CFG_T_STRING, true},
	{"address6", CFG_T_STRING, false},
	{"next_hop6", CFG_T_STRING, false},
	{"next_hop_mac", CFG_T_STRING, false},
	{NULL, 0, false},
};

static const struct cfg_key host_keys[] = {
	{"device", CFG_T_STRING, true},
	{NULL, 0, false},
};

static const struct cfg_key dns_keys[] = {
	{"nameservers", CFG_T_SEQ, false},
	{NULL, 0, false},
};

static const struct cfg_key tls_keys[] = {
	{"ca_cert", CFG_T_STRING, false},
	{"ca_key", CFG_T_STRING, false},
	{"ca_cn", CFG_T_STRING, false},
	{"state_dir", CFG_T_STRING, false},
	{"upstream_ca_file", CFG_T_STRING, false},
	{NULL, 0, false},
};

static const struct cfg_key relay_keys[] = {
	{"first_flight_timeout_ms", CFG_T_INT, false},
	{"max_connections", CFG_T_INT, false},
	{NULL, 0, false},
};

static const struct cfg_key decision_log_keys[] = {
	{"output", CFG_T_STRING, true},
	{"lines_per_second", CFG_T_INT, false},
	{NULL, 0, false},
};

static const struct cfg_key control_keys[] = {
	{"socket", CFG_T_STRING, false},
	{NULL, 0, false},
};

int cfg_gateway_defaults(struct sbgw_gateway *gw)
{
	memset(gw, 0, sizeof(*gw));
	gw->flows = SBGW_FLOWS_DEFAULT;
	gw->relay.first_flight_timeout_ms = SBGW_RELAY_FIRST_FLIGHT_MS_DEFAULT;
	gw->relay.max_connections = SBGW_RELAY_CONNS_DEFAULT;
	gw->decision_log.per_second = SBGW_DECISION_LOG_RATE_DEFAULT;
	gw->tls.ca_cn = strdup(SBGW_DEFAULT_CA_CN);
	gw->tls.state_dir = strdup(SBGW_DEFAULT_TLS_STATE_DIR);
	gw->control_socket = strdup(SBGW_DEFAULT_CONTROL_SOCKET);
	if (gw->tls.ca_cn == NULL || gw->tls.state_dir == NULL || gw->control_socket == NULL)
		return -ENOMEM;
	return 0;
}

void cfg_gateway_free(struct sbgw_gateway *gw)
{
	cfg_strlist_free(&gw->eal);
	free(gw->workers);
	free(gw->slow);
	free(gw->uplink.device);
	free(gw->host_device);
	free(gw->dns_nameservers.v);
	free(gw->tls.ca_cert);
	free(gw->tls.ca_key);
	free(gw->tls.ca_cn);
	free(gw->tls.state_dir);
	free(gw->tls.upstream_ca_file);
	free(gw->control_socket);
	free(gw->decision_log.output);
	if (gw->has_floor)
		sbgw_policy_clear(&gw->floor);
	memset(gw, 0, sizeof(*gw));
}

/* A list of lcore ids, each once. */
static int parse_lcores(struct cfg_ctx *ctx, const config_setting_t *seq, unsigned int **out,
			unsigned int *n_out)
{
	int n = config_setting_length(seq);

	if (n <= 0) {
		cfg_error(ctx, seq, "must list at least one lcore (omit it for the default)");
		return 0;
	}
	*out = calloc((size_t)n, sizeof(**out));
	if (*out == NULL)
		return cfg_oom(ctx, seq);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned int)i);
		bool dup = false;
		long long v;

		if (cfg_int_range(ctx, e, 0, RTE_MAX_LCORE - 1, &v) < 0)
			continue;
		for (unsigned int j = 0; j < *n_out; j++)
			dup = dup || (*out)[j] == (unsigned int)v;
		if (dup) {
			cfg_error(ctx, e, "lcore %lld is listed twice", v);
			continue;
		}
		(*out)[(*n_out)++] = (unsigned int)v;
	}
	return 0;
}

/* A worker polls its ports without pause; a slow-path loop on the same lcore would starve. */
static void check_lcores_disjoint(struct cfg_ctx *ctx, const config_setting_t *slow,
				  const struct sbgw_gateway *gw)
{
	for (unsigned int i = 0; i < gw->n_slow; i++)
		for (unsigned int j = 0; j < gw->n_workers; j++)
			if (gw->slow[i] == gw->workers[j])
				cfg_error(ctx, slow, "lcore %u is both a worker and a slow core",
					  gw->slow[i]);
}

/* "a.b.c.d/len" (or a bare address, /32 or /128) of the given family. */
static void parse_if_address(struct cfg_ctx *ctx, const config_setting_t *s, int family,
			     struct sbgw_cidr *net, struct sbgw_addr *ip)
{
	const char *text = config_setting_get_string(s);
	char buf[SBGW_CIDR_STRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t alen = slash != NULL ? (size_t)(slash - text) : strlen(text);

	if (alen >= sizeof(buf) || sbgw_cidr_parse(text, false, net, NULL) < 0 ||
	    net->addr.family != family)
		goto fail;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (sbgw_addr_parse(buf, ip) < 0 || sbgw_addr_is_unspecified(ip))
		goto fail;
	return;
fail:
	cfg_error(ctx, s, "invalid %s \"%s\": expected an %s address with its prefix length",
		  config_setting_name(s), CFG_Q(text), family == AF_INET ? "IPv4" : "IPv6");
}

static void parse_next_hop(struct cfg_ctx *ctx, const config_setting_t *s, int family,
			   struct sbgw_addr *out)
{
	if (sbgw_addr_parse(config_setting_get_string(s), out) < 0 || out->family != family ||
	    sbgw_addr_is_unspecified(out))
		cfg_error(ctx, s, "invalid %s \"%s\": expected an %s address",
			  config_setting_name(s), CFG_Q(config_setting_get_string(s)),
			  family == AF_INET ? "IPv4" : "IPv6");
}

/* "02:00:5e:10:00:01": six hex pairs separated by colons, unicast, not all zero. */
static void parse_next_hop_mac(struct cfg_ctx *ctx, const config_setting_t *s,
			       struct sbgw_uplink *up)
{
	const char *text = config_setting_get_string(s);
	uint8_t mac[6] = {0};
	bool ok = strlen(text) == 17;

	for (unsigned int i = 0; ok && i < 17; i++) {
		if (i % 3 == 2)
			ok = text[i] == ':';
		else
			ok = isxdigit((unsigned char)text[i]) != 0;
	}
	for (unsigned int i = 0; ok && i < 6; i++)
		mac[i] = (uint8_t)strtoul((char[]){text[3 * i], text[3 * i + 1], '\0'}, NULL, 16);
	if (!ok || (mac[0] & 1) != 0 || (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0) {
		cfg_error(ctx, s, "invalid next_hop_mac \"%s\": expected a unicast MAC such as "
			  "02:00:5e:10:00:01", CFG_Q(text));
		return;
	}
	memcpy(up->next_hop_mac.b, mac, 6);
	up->has_next_hop_mac = true;
}

static int parse_uplink(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_uplink *up)
{
	const config_setting_t *m, *a6, *n6;

	cfg_check_keys(ctx, s, uplink_keys);
	m = cfg_member(s, "device", CFG_T_STRING);
	if (m != NULL) {
		if (config_setting_get_string(m)[0] == '\0')
			cfg_error(ctx, m, "device must not be empty");
		else if ((up->device = strdup(config_setting_get_string(m))) == NULL)
			return cfg_oom(ctx, m);
	}
	m = cfg_member(s, "address", CFG_T_STRING);
	if (m != NULL)
		parse_if_address(ctx, m, AF_INET, &up->address, &up->address_ip);
	m = cfg_member(s, "next_hop", CFG_T_STRING);
	if (m != NULL)
		parse_next_hop(ctx, m, AF_INET, &up->next_hop);
	m = cfg_member(s, "next_hop_mac", CFG_T_STRING);
	if (m != NULL)
		parse_next_hop_mac(ctx, m, up);
	a6 = cfg_member(s, "address6", CFG_T_STRING);
	n6 = cfg_member(s, "next_hop6", CFG_T_STRING);
	if (a6 != NULL)
		parse_if_address(ctx, a6, AF_INET6, &up->address6, &up->address6_ip);
	if (n6 != NULL)
		parse_next_hop(ctx, n6, AF_INET6, &up->next_hop6);
	/* IPv6 egress needs both; one alone is a half-finished edit. */
	if (a6 != NULL && config_setting_get_member(s, "next_hop6") == NULL)
		cfg_error(ctx, s, "address6 is set but next_hop6 is missing");
	if (n6 != NULL && config_setting_get_member(s, "address6") == NULL)
		cfg_error(ctx, s, "next_hop6 is set but address6 is missing");
	up->has_v6 = a6 != NULL && n6 != NULL;
	return 0;
}

static int parse_host(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_gateway *gw)
{
	const config_setting_t *m;

	cfg_check_keys(ctx, s, host_keys);
	m = cfg_member(s, "device", CFG_T_STRING);
	if (m == NULL)
		return 0;
	if (config_setting_get_string(m)[0] == '\0') {
		cfg_error(ctx, m, "device must not be empty");
		return 0;
	}
	if (gw->uplink.device != NULL && strcmp(gw->uplink.device, config_setting_get_string(m)) == 0)
		cfg_error(ctx, m, "the host device is the same device as uplink.device");
	gw->host_device = strdup(config_setting_get_string(m));
	if (gw->host_device == NULL)
		return cfg_oom(ctx, m);
	return 0;
}

/* Replace *out by the resolved path of s; false when it is not usable. */
static int replace_path(struct cfg_ctx *ctx, const config_setting_t *s, char **out)
{
	char *p = cfg_resolve_path(ctx, s);

	if (p == NULL)
		return ctx->oom ? -ENOMEM : -EINVAL;
	free(*out);
	*out = p;
	return 0;
}

static int parse_tls(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_gateway *gw)
{
	const config_setting_t *m;
	int rc;

	cfg_check_keys(ctx, s, tls_keys);
	m = cfg_member(s, "ca_cn", CFG_T_STRING);
	if (m != NULL && (rc = cfg_parse_ca_cn(ctx, m, &gw->tls.ca_cn)) < 0)
		return rc;
	m = cfg_member(s, "state_dir", CFG_T_STRING);
	if (m != NULL && replace_path(ctx, m, &gw->tls.state_dir) == -ENOMEM)
		return -ENOMEM;
	m = cfg_member(s, "upstream_ca_file", CFG_T_STRING);
	if (m != NULL) {
		rc = replace_path(ctx, m, &gw->tls.upstream_ca_file);
		if (rc == -ENOMEM)
			return rc;
		if (rc == 0 && (rc = cfg_check_ca_bundle(ctx, m, gw->tls.upstream_ca_file)) < 0)
			return rc;
	}
	return cfg_parse_ca_pair(ctx, s, &gw->tls.ca_cert, &gw->tls.ca_key);
}

static int parse_control(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_gateway *gw)
{
	const config_setting_t *m;
	struct sockaddr_un sun;
	int rc;

	cfg_check_keys(ctx, s, control_keys);
	m = cfg_member(s, "socket", CFG_T_STRING);
	if (m == NULL)
		return 0;
	rc = replace_path(ctx, m, &gw->control_socket);
	if (rc < 0)
		return rc == -ENOMEM ? rc : 0;
	if (strlen(gw->control_socket) >= sizeof(sun.sun_path))
		cfg_error(ctx, m, "socket path `%s` is longer than %zu bytes",
			  CFG_Q(gw->control_socket), sizeof(sun.sun_path) - 1);
	return 0;
}

static void parse_flows(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_gateway *gw)
{
	long long v;

	if (cfg_int_range(ctx, s, 1, SBGW_FLOWS_MAX, &v) == 0)
		gw->flows = (uint32_t)v;
}

static void parse_mbufs(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_gateway *gw)
{
	long long v;

	if (cfg_int_range(ctx, s, SBGW_MBUFS_MIN, SBGW_MBUFS_MAX, &v) == 0)
		gw->mbufs = (uint32_t)v;
}

/* The TCP relay (lib/relay): how long a first flight may take, how many connections at once. */
static void parse_relay(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_gateway *gw)
{
	const config_setting_t *m;
	long long v;

	cfg_check_keys(ctx, s, relay_keys);
	m = cfg_member(s, "first_flight_timeout_ms", CFG_T_INT);
	if (m != NULL && cfg_int_range(ctx, m, 1, SBGW_RELAY_FIRST_FLIGHT_MS_MAX, &v) == 0)
		gw->relay.first_flight_timeout_ms = (uint32_t)v;
	m = cfg_member(s, "max_connections", CFG_T_INT);
	if (m != NULL && cfg_int_range(ctx, m, 1, SBGW_RELAY_CONNS_MAX, &v) == 0)
		gw->relay.max_connections = (uint32_t)v;
}

/* A file sbgw creates at start: its directory must be there already. */
static int check_parent_dir(struct cfg_ctx *ctx, const config_setting_t *s, const char *path)
{
	char *dir = strdup(path);
	char *slash;
	struct stat st;

	if (dir == NULL)
		return cfg_oom(ctx, s);
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			cfg_error(ctx, s, "`%s`: directory `%s` does not exist", CFG_Q(path),
				  CFG_Q(dir));
	}
	free(dir);
	return 0;
}

/*
 * The decision log (lib/decision): "stderr" or a file, appended to. The
 * file's directory must exist; the file is created at start.
 */
static int parse_decision_log(struct cfg_ctx *ctx, const config_setting_t *s,
			      struct sbgw_gateway *gw)
{
	const config_setting_t *m;
	long long v;
	int rc;

	cfg_check_keys(ctx, s, decision_log_keys);
	m = cfg_member(s, "lines_per_second", CFG_T_INT);
	if (m != NULL && cfg_int_range(ctx, m, 1, SBGW_DECISION_LOG_RATE_MAX, &v) == 0)
		gw->decision_log.per_second = (uint32_t)v;
	m = cfg_member(s, "output", CFG_T_STRING);
	if (m == NULL)
		return 0;
	if (strcmp(config_setting_get_string(m), "stderr") == 0) {
		gw->decision_log.output = strdup("stderr");
		return gw->decision_log.output == NULL ? cfg_oom(ctx, m) : 0;
	}
	rc = replace_path(ctx, m, &gw->decision_log.output);
	if (rc < 0)
		return rc == -ENOMEM ? rc : 0;
	return check_parent_dir(ctx, m, gw->decision_log.output);
}

static int parse_floor(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_gateway *gw)
{
	enum sbgw_preset preset;
	bool has_preset;

	gw->has_floor = true;
	return cfg_parse_policy(ctx, s, &gw->floor, &has_preset, &preset);
}

int cfg_parse_gateway(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_gateway *gw)
{
	const config_setting_t *m, *slow;
	int rc = 0;

	cfg_check_keys(ctx, s, gateway_keys);
	m = cfg_member(s, "eal", CFG_T_SEQ);
	if (m != NULL && (rc = cfg_strlist(ctx, m, &gw->eal)) < 0)
		return rc;
	m = cfg_member(s, "workers", CFG_T_SEQ);
	if (m != NULL && (rc = parse_lcores(ctx, m, &gw->workers, &gw->n_workers)) < 0)
		return rc;
	slow = cfg_member(s, "slow", CFG_T_SEQ);
	if (slow != NULL) {
		rc = parse_lcores(ctx, slow, &gw->slow, &gw->n_slow);
		if (rc < 0)
			return rc;
		check_lcores_disjoint(ctx, slow, gw);
	}
	m = cfg_member(s, "uplink", CFG_T_GROUP);
	if (m != NULL && (rc = parse_uplink(ctx, m, &gw->uplink)) < 0)
		return rc;
	m = cfg_member(s, "host", CFG_T_GROUP);
	if (m != NULL && (rc = parse_host(ctx, m, gw)) < 0)
		return rc;
	m = cfg_member(s, "dns", CFG_T_GROUP);
	if (m != NULL) {
		const config_setting_t *ns;

		cfg_check_keys(ctx, m, dns_keys);
		ns = cfg_member(m, "nameservers", CFG_T_SEQ);
		if (ns != NULL && (rc = cfg_parse_nameservers(ctx, ns, &gw->dns_nameservers)) < 0)
			return rc;
	}
	m = cfg_member(s, "tls", CFG_T_GROUP);
	if (m != NULL && (rc = parse_tls(ctx, m, gw)) < 0)
		return rc;
	m = cfg_member(s, "control", CFG_T_GROUP);
	if (m != NULL && (rc = parse_control(ctx, m, gw)) < 0)
		return rc;
	m = cfg_member(s, "flows", CFG_T_INT);
	if (m != NULL)
		parse_flows(ctx, m, gw);
	m = cfg_member(s, "mbufs", CFG_T_INT);
	if (m != NULL)
		parse_mbufs(ctx, m, gw);
	m = cfg_member(s, "relay", CFG_T_GROUP);
	if (m != NULL)
		parse_relay(ctx, m, gw);
	m = cfg_member(s, "decision_log", CFG_T_GROUP);
	if (m != NULL && (rc = parse_decision_log(ctx, m, gw)) < 0)
		return rc;
	m = cfg_member(s, "floor", CFG_T_STRING | CFG_T_GROUP);
	if (m != NULL)
		return parse_floor(ctx, m, gw);
	return 0;
}
