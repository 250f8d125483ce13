/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Error reporting and the key/type checks libconfig 1.5 does not do: it
 * accepts any key and converts nothing, so every group is checked against
 * a table of the keys it may hold before its values are read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Deeper than any setting of the schema; deeper paths are cut at the top. */
#define PATH_DEPTH_MAX 32
#define PATH_MAX_LEN 512
#define MSG_MAX_LEN 1024
/* Longest key compared for suggestions; keys of the schema are far shorter. */
#define KEY_CMP_MAX 64

unsigned int cfg_line(const config_setting_t *s)
{
	/* Only the root has no line; problems about it concern line 1. */
	return s->line != 0 ? s->line : 1;
}

const char *cfg_file(const struct cfg_ctx *ctx, const config_setting_t *s, char *buf, size_t len)
{
	const char *file = NULL;

	for (; s != NULL && file == NULL; s = config_setting_parent(s))
		file = config_setting_source_file(s);
	if (file == NULL)
		return ctx->path;
	/*
	 * libconfig names an included file as written in @include, but
	 * opened it relative to the include directory; name it the way
	 * it was opened so that the reader finds it.
	 */
	if (ctx->include_dir == NULL || file[0] == '/' || strcmp(file, ctx->path) == 0)
		return file;
	snprintf(buf, len, "%s/%s", ctx->include_dir, file);
	return buf;
}

void cfg_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *chain[PATH_DEPTH_MAX];
	unsigned int depth = 0;
	size_t off = 0;

	buf[0] = '\0';
	for (; s != NULL && !config_setting_is_root(s) && depth < PATH_DEPTH_MAX;
	     s = config_setting_parent(s))
		chain[depth++] = s;
	while (depth > 0 && off < len) {
		const config_setting_t *e = chain[--depth];
		const char *sep = off > 0 ? "." : "";
		int n;

		if (config_setting_is_group(config_setting_parent(e)))
			n = snprintf(buf + off, len - off, "%s%s", sep, config_setting_name(e));
		else
			n = snprintf(buf + off, len - off, "%s[%d]", sep, config_setting_index(e));
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/*
 * Where a problem sorts: at its setting, or for a missing member after
 * everything the parent holds (that is where the member would be added).
 */
static uintptr_t problem_rank(const config_setting_t *s, bool after)
{
	int n;

	if (!after)
		return 2 * (uintptr_t)config_setting_get_hook(s);
	/* A missing top-level setting is reported on line 1, so it sorts first. */
	if (config_setting_is_root(s))
		return 0;
	while (config_setting_is_aggregate(s) && (n = config_setting_length(s)) > 0)
		s = config_setting_get_elem(s, (unsigned int)n - 1);
	return 2 * (uintptr_t)config_setting_get_hook(s) + 1;
}

__attribute__((format(printf, 4, 0)))
static void report(struct cfg_ctx *ctx, const config_setting_t *s, const char *key,
		   const char *fmt, va_list ap)
{
	char path[PATH_MAX_LEN], msg[MSG_MAX_LEN], file[PATH_MAX_LEN];
	struct cfg_problem *grown;
	char *text = NULL;
	int n;

	cfg_path(s, path, sizeof(path));
	if (key != NULL) {
		size_t end = strlen(path);

		snprintf(path + end, sizeof(path) - end, "%s%s", end > 0 ? "." : "", key);
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	ctx->errors++;
	if (ctx->err == NULL)
		return;
	if (path[0] != '\0')
		n = asprintf(&text, "%s:%u: %s: %s\n", cfg_file(ctx, s, file, sizeof(file)),
			     cfg_line(s), path, msg);
	else
		n = asprintf(&text, "%s:%u: %s\n", cfg_file(ctx, s, file, sizeof(file)),
			     cfg_line(s), msg);
	grown = n < 0 ? NULL : realloc(ctx->problems, (ctx->n_problems + 1) * sizeof(*grown));
	if (grown == NULL) {
		/* Out of memory: print it now, out of order, rather than lose it. */
		if (n >= 0)
			fputs(text, ctx->err);
		free(text);
		ctx->oom = 1;
		return;
	}
	ctx->problems = grown;
	grown[ctx->n_problems].rank = problem_rank(s, key != NULL);
	grown[ctx->n_problems].seq = ctx->n_problems;
	grown[ctx->n_problems].text = text;
	ctx->n_problems++;
}

static int problem_cmp(const void *a, const void *b)
{
	const struct cfg_problem *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cfg_flush(struct cfg_ctx *ctx)
{
	if (ctx->n_problems > 1)
		qsort(ctx->problems, ctx->n_problems, sizeof(*ctx->problems), problem_cmp);
	for (unsigned int i = 0; i < ctx->n_problems; i++) {
		if (ctx->err != NULL)
			fputs(ctx->problems[i].text, ctx->err);
		free(ctx->problems[i].text);
	}
	free(ctx->problems);
	ctx->problems = NULL;
	ctx->n_problems = 0;
}

static void rank_from(config_setting_t *s, uintptr_t *next)
{
	config_setting_set_hook(s, (void *)(*next)++);
	if (!config_setting_is_aggregate(s))
		return;
	for (int i = 0; i < config_setting_length(s); i++)
		rank_from(config_setting_get_elem(s, (unsigned int)i), next);
}

void cfg_rank_settings(config_setting_t *root)
{
	uintptr_t next = 0;

	rank_from(root, &next);
}

void cfg_error(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, s, NULL, fmt, ap);
	va_end(ap);
}

void cfg_error_member(struct cfg_ctx *ctx, const config_setting_t *parent, const char *key,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, parent, key, fmt, ap);
	va_end(ap);
}

int cfg_oom(struct cfg_ctx *ctx, const config_setting_t *s)
{
	if (!ctx->oom)
		cfg_error(ctx, s, "out of memory");
	ctx->oom = 1;
	return -ENOMEM;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	case CONFIG_TYPE_GROUP:
		return "a group";
	}
	return "a value of unknown type";
}

/* "an integer or a string" for a CFG_T_* mask. */
static void expected_names(unsigned int types, char *buf, size_t len)
{
	static const struct {
		unsigned int bits;
		const char *name;
	} names[] = {
		{CFG_T_BOOL, "a boolean"},
		{CFG_T_INT, "an integer"},
		{CFG_T_FLOAT, "a float"},
		{CFG_T_STRING, "a string"},
		{CFG_T_SEQ, "a list ([ ... ] or ( ... ))"},
		{CFG_T_ARRAY, "an array ([ ... ])"},
		{CFG_T_LIST, "a list (( ... ))"},
		{CFG_T_GROUP, "a group ({ ... })"},
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && off < len; i++) {
		int n;

		if ((types & names[i].bits) != names[i].bits)
			continue;
		types &= ~names[i].bits;
		n = snprintf(buf + off, len - off, "%s%s", off > 0 ? " or " : "", names[i].name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

bool cfg_expect(struct cfg_ctx *ctx, const config_setting_t *s, unsigned int types)
{
	char want[128];

	if (types & (1u << config_setting_type(s)))
		return true;
	expected_names(types, want, sizeof(want));
	cfg_error(ctx, s, "expected %s, got %s", want, type_name(config_setting_type(s)));
	return false;
}

static void normalise_key(const char *in, char *out)
{
	size_t i;

	for (i = 0; i < KEY_CMP_MAX && in[i] != '\0'; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c == '-' ? '_' : c;
	}
	out[i] = '\0';
}

unsigned int cfg_edit_distance(const char *a, const char *b)
{
	char x[KEY_CMP_MAX + 1], y[KEY_CMP_MAX + 1];
	unsigned int rows[3][KEY_CMP_MAX + 1];
	size_t n, m;

	normalise_key(a, x);
	normalise_key(b, y);
	n = strlen(x);
	m = strlen(y);
	/*
	 * Optimal string alignment distance (Levenshtein plus adjacent
	 * transpositions, "dsn" for "dns" is one edit), three rolling rows.
	 */
	for (size_t j = 0; j <= m; j++)
		rows[0][j] = (unsigned int)j;
	for (size_t i = 1; i <= n; i++) {
		unsigned int *cur = rows[i % 3], *prev = rows[(i - 1) % 3], *prev2 = rows[(i + 1) % 3];

		cur[0] = (unsigned int)i;
		for (size_t j = 1; j <= m; j++) {
			unsigned int best = prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1);

			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
	}
	return rows[n % 3][m];
}

/* The known key closest to name, when close enough to be a typo. */
static const char *suggest(const char *name, const struct cfg_key *keys)
{
	const char *best = NULL;
	unsigned int best_d = ~0u, limit;
	size_t len = strlen(name);

	/* Two edits for ordinary keys, one for short ones ("prot" is not "port"'s typo). */
	limit = len <= 4 ? 1 : 2;
	for (const struct cfg_key *k = keys; k->name != NULL; k++) {
		unsigned int d = cfg_edit_distance(name, k->name);

		if (d < best_d) {
			best_d = d;
			best = k->name;
		}
	}
	return best_d <= limit ? best : NULL;
}

void cfg_check_keys(struct cfg_ctx *ctx, const config_setting_t *s, const struct cfg_key *keys)
{
	int n = config_setting_length(s);

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned int)i);
		const char *name = config_setting_name(m);
		const struct cfg_key *k;

		for (k = keys; k->name != NULL; k++)
			if (strcmp(k->name, name) == 0)
				break;
		if (k->name == NULL) {
			const char *hint = suggest(name, keys);

			if (hint != NULL)
				cfg_error(ctx, m, "unknown setting (did you mean \"%s\"?)", hint);
			else
				cfg_error(ctx, m, "unknown setting");
			continue;
		}
		cfg_expect(ctx, m, k->types);
	}
	for (const struct cfg_key *k = keys; k->name != NULL; k++)
		if (k->required && config_setting_get_member(s, k->name) == NULL)
			cfg_error_member(ctx, s, k->name, "required setting is missing");
}

config_setting_t *cfg_member(const config_setting_t *s, const char *name, unsigned int types)
{
	config_setting_t *m;

	if (s == NULL || !config_setting_is_group(s))
		return NULL;
	m = config_setting_get_member(s, name);
	if (m == NULL || !(types & (1u << config_setting_type(m))))
		return NULL;
	return m;
}

int cfg_int_range(struct cfg_ctx *ctx, const config_setting_t *s, long long min, long long max,
		  long long *out)
{
	long long v;

	if (!cfg_expect(ctx, s, CFG_T_INT))
		return -EINVAL;
	v = config_setting_get_int64(s);
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	if (v < min || v > max) {
		cfg_error(ctx, s, "%lld is out of range %lld..%lld", v, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cfg_strlist_add(struct sbgw_strlist *list, const char *s)
{
	char **v, *copy;

	copy = strdup(s);
	if (copy == NULL)
		return -ENOMEM;
	v = realloc(list->v, (list->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(copy);
		return -ENOMEM;
	}
	v[list->n++] = copy;
	list->v = v;
	return 0;
}

void cfg_strlist_free(struct sbgw_strlist *list)
{
	for (unsigned int i = 0; i < list->n; i++)
		free(list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

int cfg_strlist(struct cfg_ctx *ctx, const config_setting_t *seq, struct sbgw_strlist *list)
{
	int n = config_setting_length(seq);

	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned int)i);

		if (!cfg_expect(ctx, e, CFG_T_STRING))
			continue;
		if (cfg_strlist_add(list, config_setting_get_string(e)) < 0)
			return cfg_oom(ctx, e);
	}
	return 0;
}

char *cfg_resolve_path(struct cfg_ctx *ctx, const config_setting_t *s)
{
	const char *value = config_setting_get_string(s), *file, *slash;
	char buf[PATH_MAX_LEN];
	char *out;
	int n;

	if (value == NULL || value[0] == '\0') {
		cfg_error(ctx, s, "path must not be empty");
		return NULL;
	}
	file = cfg_file(ctx, s, buf, sizeof(buf));
	slash = file != NULL ? strrchr(file, '/') : NULL;
	if (value[0] == '/' || slash == NULL) {
		out = strdup(value);
	} else {
		n = asprintf(&out, "%.*s/%s", (int)(slash - file), file, value);
		if (n < 0)
			out = NULL;
	}
	if (out == NULL)
		cfg_oom(ctx, s);
	return out;
}

const char *cfg_quote(const char *text, char *buf, size_t len)
{
	size_t off = 0;

	/* Room for the longest escape and the ellipsis. */
	if (len < 16) {
		buf[0] = '\0';
		return buf;
	}
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (off + 8 >= len) {
			memcpy(buf + off, "...", 4);
			return buf;
		}
		/* A value may hold anything; the message must stay one line. */
		if (*p == '"' || *p == '\\')
			off += (size_t)snprintf(buf + off, len - off, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			off += (size_t)snprintf(buf + off, len - off, "\\x%02x", *p);
		else
			buf[off++] = (char)*p;
	}
	buf[off] = '\0';
	return buf;
}
