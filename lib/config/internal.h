/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of lib/config share and nobody else sees: the load
 * context, error reporting in the "FILE:LINE: path: message" form, the
 * per-group key tables that catch unknown keys and wrong types, and the
 * section parsers each file provides.
 *
 * Reporting rule: a parser that finds a problem reports it with
 * cfg_error() and carries on with the next setting, so that one run shows
 * every problem of a file. Only allocation failures stop a parser early
 * (they return -ENOMEM). Whether the file was valid is ctx->errors == 0.
 */
#ifndef SBGW_CONFIG_INTERNAL_H
#define SBGW_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libconfig.h>

#include "config.h"

/* A reported problem, held back so that all of them print in file order. */
struct cfg_problem {
	uintptr_t rank; /* document position of the setting (cfg_rank_settings) */
	unsigned int seq;
	char *text;
};

struct cfg_ctx {
	FILE *err;
	struct cfg_problem *problems;
	unsigned int n_problems;
	const char *path; /* as given to sbgw_config_load, for settings without a file */
	const char *include_dir; /* the main file's directory, when it has one */
	unsigned int errors;
	int oom; /* an allocation failed: the result is unusable whatever else happened */
};

/* ---- @include (include.c) --------------------------------------------- */

/* The whole of path in *text (malloc'd, not NUL-terminated) and *len; 0 or -errno. */
int cfg_read_whole(const char *path, char **text, size_t *len);
/*
 * Every file the @include lines of text name, at any depth, relative to
 * dir (NULL: as written), must be a regular file: else "ORIGIN:LINE:"
 * problems and -EINVAL. Missing files are left to libconfig.
 */
int cfg_check_includes(struct cfg_ctx *ctx, const char *origin, const char *text, size_t len,
		       const char *dir);
/* A sandbox definition (NUL-terminated text) may not include files at all. */
int cfg_refuse_includes(struct cfg_ctx *ctx, const char *origin, const char *text);

/* ---- Reporting (schema.c) ---------------------------------------------- */

/*
 * Number every setting under root in document order (@include'd settings
 * where the @include stands), so that problems found in any order print
 * in the order of the file.
 */
void cfg_rank_settings(config_setting_t *root);
/* Print the held problems to ctx->err in file order and forget them. */
void cfg_flush(struct cfg_ctx *ctx);

/* "FILE:LINE: path: message" for setting s. */
void cfg_error(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for a member key of group parent that is absent (line: the parent's). */
void cfg_error_member(struct cfg_ctx *ctx, const config_setting_t *parent, const char *key,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Record an allocation failure (reported once, as a problem of s). */
int cfg_oom(struct cfg_ctx *ctx, const config_setting_t *s);

/* Path of s such as "sandboxes.[0].network.policy.rules.[2].port". */
void cfg_path(const config_setting_t *s, char *buf, size_t len);
/* The file that holds s as it can be opened (buf: scratch of len bytes). */
const char *cfg_file(const struct cfg_ctx *ctx, const config_setting_t *s, char *buf, size_t len);
unsigned int cfg_line(const config_setting_t *s);

/*
 * text escaped for a message (quotes, backslashes and control characters
 * escaped, long text cut); returns buf.
 */
#define CFG_QUOTE_LEN 256
const char *cfg_quote(const char *text, char *buf, size_t len);
/* cfg_quote() into a buffer that lives until the end of the enclosing block. */
#define CFG_Q(text) cfg_quote((text), (char[CFG_QUOTE_LEN]){0}, CFG_QUOTE_LEN)

/* ---- Schema (schema.c) ------------------------------------------------- */

/* Bits of the libconfig types a key accepts. */
#define CFG_T_INT (1u << CONFIG_TYPE_INT | 1u << CONFIG_TYPE_INT64)
#define CFG_T_FLOAT (1u << CONFIG_TYPE_FLOAT)
#define CFG_T_STRING (1u << CONFIG_TYPE_STRING)
#define CFG_T_BOOL (1u << CONFIG_TYPE_BOOL)
#define CFG_T_ARRAY (1u << CONFIG_TYPE_ARRAY)
#define CFG_T_LIST (1u << CONFIG_TYPE_LIST)
#define CFG_T_GROUP (1u << CONFIG_TYPE_GROUP)
/* A sequence: libconfig writes [ ... ] for scalars and ( ... ) for anything. */
#define CFG_T_SEQ (CFG_T_ARRAY | CFG_T_LIST)

struct cfg_key {
	const char *name;
	unsigned int types; /* CFG_T_* */
	bool required;
};

/*
 * Check every member of group s against keys (terminated by a NULL name):
 * unknown keys (with a "did you mean"), wrong types and missing required
 * keys are reported. s must be a group.
 */
void cfg_check_keys(struct cfg_ctx *ctx, const config_setting_t *s, const struct cfg_key *keys);

/*
 * Member name of group s when present and of one of types (which
 * cfg_check_keys already reported otherwise), else NULL.
 */
config_setting_t *cfg_member(const config_setting_t *s, const char *name, unsigned int types);

/* Report that s is not of one of types; true when it is. */
bool cfg_expect(struct cfg_ctx *ctx, const config_setting_t *s, unsigned int types);

/* Integer value of s (int or int64) within [min, max]; reported otherwise. */
int cfg_int_range(struct cfg_ctx *ctx, const config_setting_t *s, long long min, long long max,
		  long long *out);

/*
 * Copy a sequence of strings into list (elements of another type are
 * reported). 0 or -ENOMEM.
 */
int cfg_strlist(struct cfg_ctx *ctx, const config_setting_t *seq, struct sbgw_strlist *list);
int cfg_strlist_add(struct sbgw_strlist *list, const char *s);
void cfg_strlist_free(struct sbgw_strlist *list);

/* The smallest edit distance between a and b, ignoring case and '-' vs '_'. */
unsigned int cfg_edit_distance(const char *a, const char *b);

/*
 * A path setting resolved against the directory of the file that holds
 * it (relative paths are relative to that file, so @include'd files may
 * carry their own). NULL when empty (reported) or on allocation failure
 * (ctx->oom set).
 */
char *cfg_resolve_path(struct cfg_ctx *ctx, const config_setting_t *s);

/* ---- Section parsers ----------------------------------------------------- */

/* gateway.c */
int cfg_parse_gateway(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_gateway *gw);
int cfg_gateway_defaults(struct sbgw_gateway *gw);
void cfg_gateway_free(struct sbgw_gateway *gw);

/* sandbox.c */
int cfg_parse_sandbox(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_sandbox *sb);
void cfg_sandbox_free(struct sbgw_sandbox *sb);
/*
 * Cross-sandbox rules: name, guest port and published port uniqueness of
 * sb (defined by setting s) against others[0..n), skipping the sandbox
 * named skip_name (the one a run-time change replaces; NULL: none).
 */
void cfg_check_unique(struct cfg_ctx *ctx, const config_setting_t *s,
		      const struct sbgw_gateway *gw, const struct sbgw_sandbox *sb,
		      const struct sbgw_sandbox *others, unsigned int n, const char *skip_name);

/* slots.c: allocate sb's link against others[0..n) (deviation D9), reporting exhaustion. */
void cfg_assign_link(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_sandbox *sb,
		     const struct sbgw_sandbox *others, unsigned int n);

/* network.c */
int cfg_parse_network(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_network *net,
		      bool *is_none);
int cfg_network_defaults(struct sbgw_network *net);
/* Two published ports that cannot both be bound (same proto and port, same or wildcard bind). */
bool cfg_ports_conflict(const struct sbgw_port_binding *a, const struct sbgw_port_binding *b);
/* "127.0.0.1:8080/tcp", "[::1]:53/udp" */
const char *cfg_port_format(const struct sbgw_port_binding *b, char *buf, size_t len);
#define CFG_PORT_STRLEN (SBGW_ADDR_STRLEN + 16)
/* " (as 0.0.0.0:80/tcp)" in hint when other clashes with b through another bind, else "". */
#define CFG_PORT_HINT_LEN (CFG_PORT_STRLEN + 8)
const char *cfg_port_clash_hint(const struct sbgw_port_binding *b,
				const struct sbgw_port_binding *other, char *hint, size_t len);
void cfg_network_free(struct sbgw_network *net);

/* policy_rules.c */
/*
 * A policy setting: a preset string or a policy group. Fills p (which is
 * treated as uninitialised); *preset_out / *has_preset say which form.
 */
int cfg_parse_policy(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_policy *p,
		     bool *has_preset, enum sbgw_preset *preset_out);
/* deny_domains / deny_domain_suffixes as rules, appended to rules. */
int cfg_parse_deny_list(struct cfg_ctx *ctx, const config_setting_t *seq, bool suffix,
			struct sbgw_policy *rules);
/* Preset name ("public-only" too) or -EINVAL. */
int cfg_preset_parse(const char *text);
const char *cfg_preset_name(enum sbgw_preset p);

/* dns_tls.c */
int cfg_parse_nameservers(struct cfg_ctx *ctx, const config_setting_t *seq,
			  struct sbgw_nameservers *out);
int cfg_parse_nameserver(const char *text, struct sbgw_nameserver *out);
int cfg_parse_dns(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_dns_config *dns);
void cfg_dns_defaults(struct sbgw_dns_config *dns);
void cfg_dns_free(struct sbgw_dns_config *dns);
int cfg_parse_tls(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_tls_config *tls);
int cfg_tls_defaults(struct sbgw_tls_config *tls);
void cfg_tls_free(struct sbgw_tls_config *tls);
/* pem.c: ca_cert/ca_key of group s: both or neither, readable, a matching pair. */
int cfg_parse_ca_pair(struct cfg_ctx *ctx, const config_setting_t *s, char **cert, char **key);
/* pem.c: a readable bundle of PEM certificates. */
int cfg_check_ca_bundle(struct cfg_ctx *ctx, const config_setting_t *s, const char *path);
/* ca_cn: non-empty, usable as a directory name. */
int cfg_parse_ca_cn(struct cfg_ctx *ctx, const config_setting_t *s, char **out);
/* "*.suffix" or an exact name, canonical, into out (SBGW_NAME_MAX + 2). */
int cfg_host_pattern(const char *text, char *out, const char **reason);

/* secrets.c */
int cfg_parse_secrets(struct cfg_ctx *ctx, const config_setting_t *seq,
		      struct sbgw_secret **out, unsigned int *n_out);
void cfg_secrets_free(struct sbgw_secret *v, unsigned int n);
/* A ViolationAction string or ViolationPolicy group. */
int cfg_parse_violation(struct cfg_ctx *ctx, const config_setting_t *s,
			struct sbgw_violation *out);
void cfg_violation_free(struct sbgw_violation *v);
const char *cfg_violation_name(enum sbgw_violation_action a);

#endif
