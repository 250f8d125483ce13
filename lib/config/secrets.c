/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Secrets (the seed's Secret.env(...), semantics §1.11) and violation
 * actions in both forms (ViolationAction string, ViolationPolicy group,
 * semantics Q7).
 *
 * A secret's value is read here from exactly one source and from then on
 * only copied into struct sbgw_secret: no message of this file prints it
 * (an error names the setting, never its content), and the copy libconfig
 * keeps is wiped as soon as it has been taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define PLACEHOLDER_PREFIX "$MSB_"

static const struct cfg_key secret_keys[] = {
	{"env_var", CFG_T_STRING, true},
	{"value", CFG_T_STRING, false},
	{"value_file", CFG_T_STRING, false},
	{"value_env", CFG_T_STRING, false},
	{"allow_hosts", CFG_T_SEQ, false},
	{"allow_host_patterns", CFG_T_SEQ, false},
	{"placeholder", CFG_T_STRING, false},
	{"require_tls", CFG_T_BOOL, false},
	{"on_violation", CFG_T_STRING | CFG_T_GROUP, false},
	{"injection", CFG_T_GROUP, false},
	{NULL, 0, false},
};

static const struct cfg_key injection_keys[] = {
	{"headers", CFG_T_BOOL, false},
	{"basic_auth", CFG_T_BOOL, false},
	{"query_params", CFG_T_BOOL, false},
	{"body", CFG_T_BOOL, false},
	{NULL, 0, false},
};

static const struct cfg_key violation_keys[] = {
	{"fallback", CFG_T_STRING, false},
	{"passthrough_hosts", CFG_T_SEQ, false},
	{"passthrough_host_patterns", CFG_T_SEQ, false},
	{"passthrough_all_hosts", CFG_T_BOOL, false},
	{NULL, 0, false},
};

/* ---- Violation actions ------------------------------------------------------ */

static const char *const violation_names[] = {
	[SBGW_VIOLATION_BLOCK] = "block",
	[SBGW_VIOLATION_BLOCK_AND_LOG] = "block_and_log",
	[SBGW_VIOLATION_BLOCK_AND_TERMINATE] = "block_and_terminate",
	[SBGW_VIOLATION_PASSTHROUGH] = "passthrough",
};

const char *cfg_violation_name(enum sbgw_violation_action a)
{
	if ((unsigned int)a >= sizeof(violation_names) / sizeof(violation_names[0]))
		return "?";
	return violation_names[a];
}

/* "block-and-log" and "block_and_log" alike. */
static int violation_parse(const char *text)
{
	char buf[32];
	size_t len = strlen(text);

	if (len >= sizeof(buf))
		return -EINVAL;
	for (size_t i = 0; i <= len; i++)
		buf[i] = text[i] == '-' ? '_' : text[i];
	for (int a = SBGW_VIOLATION_BLOCK; a <= SBGW_VIOLATION_PASSTHROUGH; a++)
		if (strcmp(buf, violation_names[a]) == 0)
			return a;
	return -EINVAL;
}

void cfg_violation_free(struct sbgw_violation *v)
{
	cfg_strlist_free(&v->hosts);
	cfg_strlist_free(&v->patterns);
}

/* Canonical host names (exact) or patterns ("*.suffix" or exact) into list. */
static int host_list(struct cfg_ctx *ctx, const config_setting_t *seq, bool patterns,
		     struct sbgw_strlist *list)
{
	const char *what = config_setting_name(seq);
	int n = config_setting_length(seq);

	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned int)i);
		char canon[SBGW_NAME_MAX + 2];
		const char *text, *reason;
		int rc;

		if (!cfg_expect(ctx, e, CFG_T_STRING))
			continue;
		text = config_setting_get_string(e);
		if (!patterns && strncmp(text, "*.", 2) == 0) {
			/* An exact "*.x" never matches: it is a pattern in the wrong list. */
			cfg_error(ctx, e, "\"%s\" is a pattern; list it in %s_patterns", CFG_Q(text),
				  strcmp(what, "allow_hosts") == 0 ? "allow_host"
								   : "passthrough_host");
			continue;
		}
		rc = patterns ? cfg_host_pattern(text, canon, &reason)
			      : sbgw_name_canonical(text, canon, &reason);
		if (rc < 0) {
			cfg_error(ctx, e, "invalid host%s \"%s\": %s", patterns ? " pattern" : "",
				  CFG_Q(text), reason);
			continue;
		}
		if (cfg_strlist_add(list, canon) < 0)
			return cfg_oom(ctx, e);
	}
	return 0;
}

static int parse_violation_group(struct cfg_ctx *ctx, const config_setting_t *s,
				 struct sbgw_violation *out)
{
	const config_setting_t *fb, *m;
	int fallback = SBGW_VIOLATION_BLOCK_AND_LOG, rc;
	bool passthrough;

	cfg_check_keys(ctx, s, violation_keys);
	fb = cfg_member(s, "fallback", CFG_T_STRING);
	if (fb != NULL) {
		fallback = violation_parse(config_setting_get_string(fb));
		if (fallback < 0) {
			cfg_error(ctx, fb, "unknown violation action: %s",
				  CFG_Q(config_setting_get_string(fb)));
			fallback = SBGW_VIOLATION_BLOCK_AND_LOG;
		} else if (fallback == SBGW_VIOLATION_PASSTHROUGH) {
			cfg_error(ctx, fb, "passthrough fallback must be a blocking action");
			fallback = SBGW_VIOLATION_BLOCK_AND_LOG;
		}
	}
	m = cfg_member(s, "passthrough_hosts", CFG_T_SEQ);
	if (m != NULL && (rc = host_list(ctx, m, false, &out->hosts)) < 0)
		return rc;
	m = cfg_member(s, "passthrough_host_patterns", CFG_T_SEQ);
	if (m != NULL && (rc = host_list(ctx, m, true, &out->patterns)) < 0)
		return rc;
	m = cfg_member(s, "passthrough_all_hosts", CFG_T_BOOL);
	out->all_hosts = m != NULL && config_setting_get_bool(m);
	passthrough = out->all_hosts || out->hosts.n > 0 || out->patterns.n > 0;
	if (!passthrough) {
		out->action = (uint8_t)fallback;
		return 0;
	}
	/*
	 * Semantics Q7: with passthrough hosts the fallback is dropped (other
	 * hosts get the sandbox-wide action), so a non-default one is an error
	 * rather than a silent no-op.
	 */
	if (fallback != SBGW_VIOLATION_BLOCK_AND_LOG)
		cfg_error(ctx, fb, "fallback has no effect together with passthrough hosts (hosts "
				   "outside them get on_secret_violation); remove it");
	out->action = SBGW_VIOLATION_PASSTHROUGH;
	return 0;
}

int cfg_parse_violation(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_violation *out)
{
	int a;

	cfg_violation_free(out);
	memset(out, 0, sizeof(*out));
	out->action = SBGW_VIOLATION_BLOCK_AND_LOG;
	if (config_setting_is_group(s))
		return parse_violation_group(ctx, s, out);
	a = violation_parse(config_setting_get_string(s));
	if (a < 0) {
		cfg_error(ctx, s, "unknown violation action: %s", CFG_Q(config_setting_get_string(s)));
		return 0;
	}
	out->action = (uint8_t)a;
	/* The bare enum is passthrough to every host (semantics §1.11). */
	out->all_hosts = a == SBGW_VIOLATION_PASSTHROUGH;
	return 0;
}

/* ---- Secret values ------------------------------------------------------------ */

static void wipe_free(char *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

/*
 * Read a whole value file. One trailing newline ("\n" or "\r\n") is
 * dropped: files written by echo or an editor end in one, and it is never
 * part of a token.
 */
static int read_value_file(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
			   char **out, size_t *len_out)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cfg_error(ctx, s, "cannot read value_file `%s`: %s", CFG_Q(path), strerror(errno));
		return 0;
	}
	buf = malloc(SBGW_SECRET_VALUE_MAX + 2);
	if (buf == NULL) {
		close(fd);
		return cfg_oom(ctx, s);
	}
	/* One byte more than allowed (plus its newline) tells a too-long file apart. */
	while (len < SBGW_SECRET_VALUE_MAX + 2 &&
	       (n = read(fd, buf + len, SBGW_SECRET_VALUE_MAX + 2 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cfg_error(ctx, s, "cannot read value_file `%s`: %s", CFG_Q(path),
				  strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	close(fd);
	fd = -1;
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	if (len > SBGW_SECRET_VALUE_MAX) {
		cfg_error(ctx, s, "value_file `%s` is longer than %d bytes", CFG_Q(path),
			  SBGW_SECRET_VALUE_MAX);
		goto fail;
	}
	buf[len] = '\0';
	*out = buf;
	*len_out = len;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	wipe_free(buf, SBGW_SECRET_VALUE_MAX + 2);
	return 0;
}

static int copy_value(struct cfg_ctx *ctx, const config_setting_t *s, const char *text,
		      char **out, size_t *len_out)
{
	size_t len = strlen(text);

	if (len > SBGW_SECRET_VALUE_MAX) {
		cfg_error(ctx, s, "the secret value is longer than %d bytes", SBGW_SECRET_VALUE_MAX);
		return 0;
	}
	*out = malloc(len + 1);
	if (*out == NULL)
		return cfg_oom(ctx, s);
	memcpy(*out, text, len + 1);
	*len_out = len;
	return 0;
}

/* Exactly one of value, value_file, value_env. */
static int parse_value(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_secret *sec)
{
	const config_setting_t *v = cfg_member(s, "value", CFG_T_STRING);
	const config_setting_t *vf = cfg_member(s, "value_file", CFG_T_STRING);
	const config_setting_t *ve = cfg_member(s, "value_env", CFG_T_STRING);
	int given = (v != NULL) + (vf != NULL) + (ve != NULL);
	const config_setting_t *src = v != NULL ? v : vf != NULL ? vf : ve;
	const char *env;
	char *path;
	int rc = 0;

	if (given != 1) {
		/* A present key of the wrong type was reported already. */
		if (given == 0 && config_setting_get_member(s, "value") == NULL &&
		    config_setting_get_member(s, "value_file") == NULL &&
		    config_setting_get_member(s, "value_env") == NULL)
			cfg_error(ctx, s, "exactly one of value, value_file or value_env is required");
		else if (given > 1)
			cfg_error(ctx, s, "value, value_file and value_env are exclusive; set "
					  "exactly one");
		goto wipe;
	}
	if (v != NULL) {
		rc = copy_value(ctx, v, config_setting_get_string(v), &sec->value, &sec->value_len);
	} else if (vf != NULL) {
		path = cfg_resolve_path(ctx, vf);
		if (path != NULL)
			rc = read_value_file(ctx, vf, path, &sec->value, &sec->value_len);
		else if (ctx->oom)
			rc = -ENOMEM;
		free(path);
	} else {
		env = getenv(config_setting_get_string(ve));
		if (env == NULL)
			cfg_error(ctx, ve, "environment variable \"%s\" is not set",
				  CFG_Q(config_setting_get_string(ve)));
		else
			rc = copy_value(ctx, ve, env, &sec->value, &sec->value_len);
	}
	/* Substituted into header lines, these would split or end the request. */
	if (sec->value != NULL && (memchr(sec->value, '\0', sec->value_len) != NULL ||
				   strpbrk(sec->value, "\r\n") != NULL))
		cfg_error(ctx, src, "the secret value must not contain NUL, CR or LF");
wipe:
	/* libconfig's copy of an inline value is not needed any more. */
	if (v != NULL) {
		char *text = (char *)config_setting_get_string(v);

		explicit_bzero(text, strlen(text));
	}
	return rc;
}

/* ---- Secret entries -------------------------------------------------------------- */

static void parse_env_var(struct cfg_ctx *ctx, const config_setting_t *m, unsigned int index,
			  struct sbgw_secret *sec)
{
	const char *name = config_setting_get_string(m);

	if (name[0] == '\0') {
		cfg_error(ctx, m, "secret #%u: env_var must not be empty", index);
		return;
	}
	if (strchr(name, '=') != NULL) {
		cfg_error(ctx, m, "secret #%u: env_var must not contain `=`", index);
		return;
	}
	sec->env_var = strdup(name);
	if (sec->env_var == NULL)
		cfg_oom(ctx, m);
}

static int parse_placeholder(struct cfg_ctx *ctx, const config_setting_t *s,
			     struct sbgw_secret *sec)
{
	const config_setting_t *m = cfg_member(s, "placeholder", CFG_T_STRING);
	const config_setting_t *at = m != NULL ? m : s;
	char *p;
	size_t len;

	if (m != NULL) {
		p = strdup(config_setting_get_string(m));
	} else if (sec->env_var != NULL) {
		if (asprintf(&p, "%s%s", PLACEHOLDER_PREFIX, sec->env_var) < 0)
			p = NULL;
	} else {
		return 0;
	}
	if (p == NULL)
		return cfg_oom(ctx, at);
	len = strlen(p);
	/* The placeholder is not secret, but there is no need to echo it either. */
	if (len == 0)
		cfg_error(ctx, at, "placeholder must not be empty");
	else if (len > SBGW_PLACEHOLDER_MAX)
		cfg_error(ctx, at, "placeholder must be at most %d bytes, got %zu",
			  SBGW_PLACEHOLDER_MAX, len);
	else if (strpbrk(p, "\r\n") != NULL)
		cfg_error(ctx, at, "placeholder must not contain CR or LF");
	sec->placeholder = p;
	return 0;
}

static void parse_injection(struct cfg_ctx *ctx, const config_setting_t *s,
			    struct sbgw_secret *sec)
{
	const config_setting_t *m;

	cfg_check_keys(ctx, s, injection_keys);
	if ((m = cfg_member(s, "headers", CFG_T_BOOL)) != NULL)
		sec->injection.headers = config_setting_get_bool(m);
	if ((m = cfg_member(s, "basic_auth", CFG_T_BOOL)) != NULL)
		sec->injection.basic_auth = config_setting_get_bool(m);
	if ((m = cfg_member(s, "query_params", CFG_T_BOOL)) != NULL)
		sec->injection.query_params = config_setting_get_bool(m);
	if ((m = cfg_member(s, "body", CFG_T_BOOL)) != NULL)
		sec->injection.body = config_setting_get_bool(m);
}

static int parse_secret(struct cfg_ctx *ctx, const config_setting_t *s, unsigned int index,
			struct sbgw_secret *sec)
{
	const config_setting_t *m;
	int listed = 0, rc;

	sec->line = cfg_line(s);
	sec->require_tls = true;
	sec->injection.headers = true;
	sec->injection.basic_auth = true;
	sec->on_violation.action = SBGW_VIOLATION_BLOCK_AND_LOG;
	cfg_check_keys(ctx, s, secret_keys);
	m = cfg_member(s, "env_var", CFG_T_STRING);
	if (m != NULL)
		parse_env_var(ctx, m, index, sec);
	rc = parse_value(ctx, s, sec);
	if (rc < 0)
		return rc;
	m = cfg_member(s, "allow_hosts", CFG_T_SEQ);
	if (m != NULL) {
		listed += config_setting_length(m);
		if ((rc = host_list(ctx, m, false, &sec->allow_hosts)) < 0)
			return rc;
	}
	m = cfg_member(s, "allow_host_patterns", CFG_T_SEQ);
	if (m != NULL) {
		listed += config_setting_length(m);
		if ((rc = host_list(ctx, m, true, &sec->allow_host_patterns)) < 0)
			return rc;
	}
	/* Only when both lists are absent or empty: an invalid entry was reported already. */
	if (listed == 0)
		cfg_error(ctx, s, "secret #%u requires at least one allowed host or allowed host "
				  "pattern (allow_hosts or allow_host_patterns)",
			  index);
	rc = parse_placeholder(ctx, s, sec);
	if (rc < 0)
		return rc;
	m = cfg_member(s, "require_tls", CFG_T_BOOL);
	if (m != NULL)
		sec->require_tls = config_setting_get_bool(m);
	m = cfg_member(s, "on_violation", CFG_T_STRING | CFG_T_GROUP);
	if (m != NULL) {
		sec->has_on_violation = true;
		rc = cfg_parse_violation(ctx, m, &sec->on_violation);
		if (rc < 0)
			return rc;
	}
	m = cfg_member(s, "injection", CFG_T_GROUP);
	if (m != NULL)
		parse_injection(ctx, m, sec);
	return 0;
}

int cfg_parse_secrets(struct cfg_ctx *ctx, const config_setting_t *seq, struct sbgw_secret **out,
		      unsigned int *n_out)
{
	int n = config_setting_length(seq);
	struct sbgw_secret *v;

	if (n <= 0)
		return 0;
	v = calloc((size_t)n, sizeof(*v));
	if (v == NULL)
		return cfg_oom(ctx, seq);
	*out = v;
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(seq, (unsigned int)i);
		struct sbgw_secret *sec = &v[*n_out];
		int rc;

		if (!cfg_expect(ctx, s, CFG_T_GROUP))
			continue;
		(*n_out)++;
		rc = parse_secret(ctx, s, (unsigned int)i, sec);
		if (rc < 0)
			return rc;
		/* The guest gets env_var=placeholder; two values for one name cannot both win. */
		for (unsigned int j = 0; j + 1 < *n_out && sec->env_var != NULL; j++) {
			if (v[j].env_var == NULL || strcmp(v[j].env_var, sec->env_var) != 0)
				continue;
			cfg_error(ctx, cfg_member(s, "env_var", CFG_T_STRING),
				  "env_var \"%s\" is already used by secret #%u",
				  CFG_Q(sec->env_var), j);
			break;
		}
	}
	return 0;
}

void cfg_secrets_free(struct sbgw_secret *v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct sbgw_secret *sec = &v[i];

		free(sec->env_var);
		wipe_free(sec->value, sec->value_len);
		free(sec->placeholder);
		cfg_strlist_free(&sec->allow_hosts);
		cfg_strlist_free(&sec->allow_host_patterns);
		cfg_violation_free(&sec->on_violation);
	}
	free(v);
}
