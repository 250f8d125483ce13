/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parsing and formatting control requests (protocol.h) with jansson.
 * Every request key is checked: a mistyped key is an error that names it,
 * never silently ignored.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "protocol.h"

/* What each command takes: its required and optional keys besides "cmd". */
struct cmd_spec {
	const char *name;
	bool needs_name, needs_network, needs_sandbox;
};

static const struct cmd_spec specs[] = {
        [SBGW_CTL_LIST] = {"list", false, false, false},
        [SBGW_CTL_SHOW] = {"show", true, false, false},
        [SBGW_CTL_POLICY] = {"policy", true, true, false},
        [SBGW_CTL_REPLACE] = {"replace", false, false, true},
        [SBGW_CTL_ADD] = {"add", false, false, true},
        [SBGW_CTL_REMOVE] = {"remove", true, false, false},
        [SBGW_CTL_RELOAD] = {"reload", false, false, false},
        [SBGW_CTL_RELAY_RESTART] = {"relay-restart", false, false, false},
};
#define N_SPECS (sizeof(specs) / sizeof(specs[0]))

const char *sbgw_ctl_cmd_name(enum sbgw_ctl_cmd cmd)
{
	return (unsigned int)cmd < N_SPECS ? specs[cmd].name : "?";
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int take_string(json_t *obj, const char *key, bool required, char **out, char *err,
                       size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return required ? fail(err, errlen, "\"%s\" is required", key) : 0;
	if (!json_is_string(v))
		return fail(err, errlen, "\"%s\" must be a string", key);
	*out = strndup(json_string_value(v), json_string_length(v));
	if (*out == NULL)
		return fail(err, errlen, "out of memory");
	if (strlen(*out) != json_string_length(v)) /* an embedded NUL */
		return fail(err, errlen, "\"%s\" contains a NUL character", key);
	return 0;
}

static bool key_allowed(const struct cmd_spec *s, const char *key)
{
	return strcmp(key, "cmd") == 0 || (strcmp(key, "name") == 0 && s->needs_name) ||
	       (strcmp(key, "network") == 0 && s->needs_network) ||
	       (strcmp(key, "sandbox") == 0 && s->needs_sandbox) ||
	       (strcmp(key, "origin") == 0 && (s->needs_network || s->needs_sandbox));
}

static int parse_object(json_t *obj, struct sbgw_ctl_request *req, char *err, size_t errlen)
{
	const struct cmd_spec *s = NULL;
	const char *cmd, *key;
	char *name = NULL;
	json_t *v;
	int rc;

	v = json_object_get(obj, "cmd");
	if (v == NULL)
		return fail(err, errlen, "\"cmd\" is required");
	if (!json_is_string(v))
		return fail(err, errlen, "\"cmd\" must be a string");
	cmd = json_string_value(v);
	for (unsigned int i = 0; i < N_SPECS; i++)
		if (strcmp(cmd, specs[i].name) == 0) {
			s = &specs[i];
			req->cmd = (enum sbgw_ctl_cmd)i;
		}
	if (s == NULL)
		return fail(err, errlen,
		            "unknown command \"%.64s\" (list, show, policy, replace, add, remove, "
		            "reload, relay-restart)",
		            cmd);
	json_object_foreach(obj, key, v)
	{
		if (!key_allowed(s, key))
			return fail(err, errlen, "%s: unknown key \"%.64s\"", s->name, key);
	}
	if (s->needs_name) {
		rc = take_string(obj, "name", true, &name, err, errlen);
		if (rc == 0 && !sbgw_sandbox_name_valid(name))
			rc = fail(err, errlen, "%s: \"%.80s\" is not a sandbox name", s->name,
			          name);
		if (rc == 0)
			snprintf(req->name, sizeof(req->name), "%s", name);
		free(name);
		if (rc < 0)
			return rc;
	}
	if (s->needs_network || s->needs_sandbox) {
		rc = take_string(obj, s->needs_network ? "network" : "sandbox", true, &req->text,
		                 err, errlen);
		if (rc == 0)
			rc = take_string(obj, "origin", false, &req->origin, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (req->origin == NULL && (req->origin = strdup("-")) == NULL)
		return fail(err, errlen, "out of memory");
	return 0;
}

int sbgw_ctl_parse_request(const char *line, size_t len, struct sbgw_ctl_request *req, char *err,
                           size_t errlen)
{
	json_error_t jerr;
	json_t *obj;
	int rc;

	memset(req, 0, sizeof(*req));
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0)
		return fail(err, errlen, "empty request");
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (obj == NULL)
		return fail(err, errlen, "not JSON: %s (column %d)", jerr.text, jerr.column);
	if (!json_is_object(obj))
		rc = fail(err, errlen, "a request is a JSON object");
	else
		rc = parse_object(obj, req, err, errlen);
	json_decref(obj);
	return rc;
}

void sbgw_ctl_request_clear(struct sbgw_ctl_request *req)
{
	free(req->text);
	free(req->origin);
	memset(req, 0, sizeof(*req));
}

char *sbgw_ctl_format_request(const struct sbgw_ctl_request *req)
{
	const struct cmd_spec *s = &specs[req->cmd];
	json_t *obj = json_object();
	char *text, *line = NULL;
	int rc = 0;

	if (obj == NULL || (unsigned int)req->cmd >= N_SPECS)
		goto out;
	rc |= json_object_set_new(obj, "cmd", json_string(s->name));
	if (s->needs_name)
		rc |= json_object_set_new(obj, "name", json_string(req->name));
	if (s->needs_network || s->needs_sandbox) {
		rc |= json_object_set_new(obj, s->needs_network ? "network" : "sandbox",
		                          json_string(req->text != NULL ? req->text : ""));
		if (req->origin != NULL)
			rc |= json_object_set_new(obj, "origin", json_string(req->origin));
	}
	if (rc != 0)
		goto out;
	text = json_dumps(obj, JSON_COMPACT);
	if (text != NULL && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	free(text);
out:
	json_decref(obj);
	return line;
}
