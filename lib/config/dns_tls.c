/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seed's DnsConfig and TlsConfig (semantics §1.9, §1.10): nameservers
 * parsed but never resolved (resolution is a start-up matter, and sbgw
 * never reads /etc/resolv.conf), interception ports, bypass patterns and
 * the interception CA settings. Loading the CA files is pem.c's job.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DNS_PORT 53
#define DOT_PORT 853
#define HTTPS_PORT 443
#define PORT_MAX 65535
#define PORT_DIGITS_MAX 5
/* X.509 upper bound for a common name (RFC 5280 ub-common-name). */
#define CA_CN_MAX 64
/* Longer than any sane timeout; a typo such as 50000000 is an error, not an hour-long wait. */
#define DNS_TIMEOUT_MS_MAX 3600000

static const struct cfg_key dns_keys[] = {
	{"rebind_protection", CFG_T_BOOL, false},
	{"nameservers", CFG_T_SEQ, false},
	{"query_timeout_ms", CFG_T_INT, false},
	{NULL, 0, false},
};

static const struct cfg_key tls_keys[] = {
	{"bypass", CFG_T_SEQ, false},
	{"verify_upstream", CFG_T_BOOL, false},
	{"intercepted_ports", CFG_T_SEQ, false},
	{"block_quic", CFG_T_BOOL, false},
	{"ca_cert", CFG_T_STRING, false},
	{"ca_key", CFG_T_STRING, false},
	{"ca_cn", CFG_T_STRING, false},
	{NULL, 0, false},
};

/* ---- Nameservers ----------------------------------------------------------- */

/* A decimal port 1..65535 (port 0 cannot be queried); -1 otherwise. */
static long ns_port(const char *s)
{
	size_t len = strlen(s);
	long v = 0;

	if (len == 0 || len > PORT_DIGITS_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= PORT_MAX ? v : -1;
}

static int ns_ip(const char *host, int family, long port, struct sbgw_nameserver *out)
{
	struct sbgw_addr a;

	if (port < 0 || sbgw_addr_parse(host, &a) < 0 || (family != 0 && a.family != family))
		return -EINVAL;
	sbgw_addr_normalise(&a);
	out->is_ip = true;
	out->addr = a;
	out->port = (uint16_t)port;
	sbgw_addr_format(&a, out->host, sizeof(out->host));
	return 0;
}

static int ns_host(const char *host, long port, struct sbgw_nameserver *out)
{
	const char *reason;

	if (port < 0 || sbgw_name_canonical(host, out->host, &reason) < 0)
		return -EINVAL;
	out->is_ip = false;
	out->port = (uint16_t)port;
	return 0;
}

/*
 * Semantics §1.9, in its order: a socket address (a.b.c.d:port,
 * [v6]:port), a bare IP (port 53), HOST:PORT split at the last colon, a
 * bare HOST.
 */
int cfg_parse_nameserver(const char *text, struct sbgw_nameserver *out)
{
	char buf[SBGW_NAME_MAX];
	const char *colon;
	size_t len = strlen(text);

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len + 1);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (close == NULL || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		return ns_ip(buf + 1, AF_INET6, ns_port(close + 2), out);
	}
	if (ns_ip(buf, 0, DNS_PORT, out) == 0)
		return 0;
	colon = strrchr(buf, ':');
	if (colon != NULL) {
		buf[colon - buf] = '\0';
		if (ns_ip(buf, AF_INET, ns_port(colon + 1), out) == 0)
			return 0;
		/* HOST:PORT: the host has no colon of its own and is not an IP. */
		if (buf[0] == '\0' || strchr(buf, ':') != NULL)
			return -EINVAL;
		return ns_host(buf, ns_port(colon + 1), out);
	}
	return ns_host(buf, DNS_PORT, out);
}

int cfg_parse_nameservers(struct cfg_ctx *ctx, const config_setting_t *seq,
			  struct sbgw_nameservers *out)
{
	int n = config_setting_length(seq);

	if (n <= 0)
		return 0;
	out->v = calloc((size_t)n, sizeof(*out->v));
	if (out->v == NULL)
		return cfg_oom(ctx, seq);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned int)i);
		const char *text;

		if (!cfg_expect(ctx, e, CFG_T_STRING))
			continue;
		text = config_setting_get_string(e);
		if (cfg_parse_nameserver(text, &out->v[out->n]) < 0) {
			cfg_error(ctx, e,
				  "invalid nameserver \"%s\"; expected IP, IP:PORT, HOST, or HOST:PORT",
				  CFG_Q(text));
			continue;
		}
		out->n++;
	}
	return 0;
}

/* ---- DnsConfig ------------------------------------------------------------- */

void cfg_dns_defaults(struct sbgw_dns_config *dns)
{
	memset(dns, 0, sizeof(*dns));
	dns->rebind_protection = true;
	dns->query_timeout_ms = SBGW_DNS_TIMEOUT_MS_DEFAULT;
}

void cfg_dns_free(struct sbgw_dns_config *dns)
{
	free(dns->nameservers.v);
	dns->nameservers.v = NULL;
	dns->nameservers.n = 0;
}

int cfg_parse_dns(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_dns_config *dns)
{
	const config_setting_t *m;
	long long v;

	cfg_check_keys(ctx, s, dns_keys);
	m = cfg_member(s, "rebind_protection", CFG_T_BOOL);
	if (m != NULL)
		dns->rebind_protection = config_setting_get_bool(m);
	m = cfg_member(s, "query_timeout_ms", CFG_T_INT);
	if (m != NULL) {
		v = config_setting_type(m) == CONFIG_TYPE_INT ? config_setting_get_int(m)
							      : config_setting_get_int64(m);
		/* Semantics Q19: 0 would time every query out. */
		if (v < 1)
			cfg_error(ctx, m, "query_timeout_ms must be at least 1, got %lld", v);
		else if (v > DNS_TIMEOUT_MS_MAX)
			cfg_error(ctx, m, "query_timeout_ms %lld exceeds %d (one hour)", v,
				  DNS_TIMEOUT_MS_MAX);
		else
			dns->query_timeout_ms = (uint32_t)v;
	}
	m = cfg_member(s, "nameservers", CFG_T_SEQ);
	if (m != NULL)
		return cfg_parse_nameservers(ctx, m, &dns->nameservers);
	return 0;
}

/* ---- TlsConfig ------------------------------------------------------------- */

int cfg_host_pattern(const char *text, char *out, const char **reason)
{
	int rc;

	if (strncmp(text, "*.", 2) == 0) {
		/* "*.gov" is fine here: a bypass or host pattern is not a policy suffix (D6). */
		rc = sbgw_name_canonical(text + 2, out + 2, reason);
		if (rc < 0)
			return rc;
		out[0] = '*';
		out[1] = '.';
		return 0;
	}
	if (text[0] == '.') {
		/* As written it would be an exact name no SNI can equal (semantics §4.5). */
		*reason = "a pattern cannot start with \".\"; write \"*.example.com\" for a domain "
			  "and its subdomains";
		return -EINVAL;
	}
	return sbgw_name_canonical(text, out, reason);
}

int cfg_tls_defaults(struct sbgw_tls_config *tls)
{
	memset(tls, 0, sizeof(*tls));
	tls->verify_upstream = true;
	tls->n_intercepted_ports = 1;
	tls->intercepted_ports = malloc(sizeof(*tls->intercepted_ports));
	if (tls->intercepted_ports == NULL)
		return -ENOMEM;
	tls->intercepted_ports[0] = HTTPS_PORT;
	return 0;
}

void cfg_tls_free(struct sbgw_tls_config *tls)
{
	cfg_strlist_free(&tls->bypass);
	free(tls->intercepted_ports);
	free(tls->ca_cert);
	free(tls->ca_key);
	free(tls->ca_cn);
	memset(tls, 0, sizeof(*tls));
}

static int parse_bypass(struct cfg_ctx *ctx, const config_setting_t *seq,
			struct sbgw_tls_config *tls)
{
	int n = config_setting_length(seq);

	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned int)i);
		char canon[SBGW_NAME_MAX + 2];
		const char *reason, *text;

		if (!cfg_expect(ctx, e, CFG_T_STRING))
			continue;
		text = config_setting_get_string(e);
		if (cfg_host_pattern(text, canon, &reason) < 0) {
			cfg_error(ctx, e, "invalid bypass pattern \"%s\": %s", CFG_Q(text), reason);
			continue;
		}
		if (cfg_strlist_add(&tls->bypass, canon) < 0)
			return cfg_oom(ctx, e);
	}
	return 0;
}

static int intercepted_port(struct cfg_ctx *ctx, const config_setting_t *e, uint16_t *out)
{
	long long v;

	if (!cfg_expect(ctx, e, CFG_T_INT))
		return -EINVAL;
	v = config_setting_type(e) == CONFIG_TYPE_INT ? config_setting_get_int(e)
						      : config_setting_get_int64(e);
	if (v < 1 || v > PORT_MAX) {
		cfg_error(ctx, e, "port must be in 1..65535, got %lld", v);
		return -EINVAL;
	}
	/* Semantics Q16: interception would take these ports from the DNS interceptor. */
	if (v == DNS_PORT) {
		cfg_error(ctx, e, "port 53 cannot be intercepted: it carries DNS, which the DNS "
				  "interceptor handles");
		return -EINVAL;
	}
	if (v == DOT_PORT) {
		cfg_error(ctx, e, "port 853 cannot be intercepted: it carries DNS over TLS, which "
				  "the DNS interceptor handles");
		return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

static int parse_intercepted_ports(struct cfg_ctx *ctx, const config_setting_t *seq,
				   struct sbgw_tls_config *tls)
{
	int n = config_setting_length(seq);

	/* An empty list is allowed: interception on, but on no port. */
	free(tls->intercepted_ports);
	tls->intercepted_ports = NULL;
	tls->n_intercepted_ports = 0;
	if (n <= 0)
		return 0;
	tls->intercepted_ports = calloc((size_t)n, sizeof(*tls->intercepted_ports));
	if (tls->intercepted_ports == NULL)
		return cfg_oom(ctx, seq);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned int)i);
		bool dup = false;
		uint16_t port;

		if (intercepted_port(ctx, e, &port) < 0)
			continue;
		for (unsigned int j = 0; j < tls->n_intercepted_ports; j++)
			dup = dup || tls->intercepted_ports[j] == port;
		if (dup) {
			cfg_error(ctx, e, "port %u is listed twice", port);
			continue;
		}
		tls->intercepted_ports[tls->n_intercepted_ports++] = port;
	}
	return 0;
}

int cfg_parse_ca_cn(struct cfg_ctx *ctx, const config_setting_t *s, char **out)
{
	const char *cn = config_setting_get_string(s);
	size_t len = strlen(cn);

	if (len == 0) {
		cfg_error(ctx, s, "ca_cn must not be empty");
		return 0;
	}
	if (len > CA_CN_MAX) {
		cfg_error(ctx, s, "ca_cn is longer than %d bytes", CA_CN_MAX);
		return 0;
	}
	/* A generated CA is stored under state_dir/<ca_cn>/, so it must be one path element. */
	if (strcmp(cn, ".") == 0 || strcmp(cn, "..") == 0) {
		cfg_error(ctx, s, "ca_cn must not be \".\" or \"..\"");
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)cn[i];

		if (c == '/' || c < 0x20 || c == 0x7f) {
			cfg_error(ctx, s, "ca_cn must not contain \"/\" or control characters "
					  "(it names a directory under state_dir)");
			return 0;
		}
	}
	free(*out);
	*out = strdup(cn);
	if (*out == NULL)
		return cfg_oom(ctx, s);
	return 0;
}

int cfg_parse_tls(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_tls_config *tls)
{
	const config_setting_t *m;
	int rc;

	/* Semantics §1.10: the group's presence, even empty, turns interception on. */
	tls->enabled = true;
	cfg_check_keys(ctx, s, tls_keys);
	m = cfg_member(s, "verify_upstream", CFG_T_BOOL);
	if (m != NULL)
		tls->verify_upstream = config_setting_get_bool(m);
	m = cfg_member(s, "block_quic", CFG_T_BOOL);
	if (m != NULL)
		tls->block_quic = config_setting_get_bool(m);
	m = cfg_member(s, "bypass", CFG_T_SEQ);
	if (m != NULL) {
		rc = parse_bypass(ctx, m, tls);
		if (rc < 0)
			return rc;
	}
	m = cfg_member(s, "intercepted_ports", CFG_T_SEQ);
	if (m != NULL) {
		rc = parse_intercepted_ports(ctx, m, tls);
		if (rc < 0)
			return rc;
	}
	m = cfg_member(s, "ca_cn", CFG_T_STRING);
	if (m != NULL) {
		rc = cfg_parse_ca_cn(ctx, m, &tls->ca_cn);
		if (rc < 0)
			return rc;
	}
	return cfg_parse_ca_pair(ctx, s, &tls->ca_cert, &tls->ca_key);
}
