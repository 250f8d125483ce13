/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbgw_config_load(): read the file with libconfig, then walk the tree
 * section by section. Every section parser reports its own problems and
 * carries on, so one run lists all of them; the result is only handed out
 * when there were none.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define CONFIG_VERSION 1

static const struct cfg_key root_keys[] = {
	{"version", CFG_T_INT, true},
	{"gateway", CFG_T_GROUP, true},
	{"sandboxes", CFG_T_SEQ, false},
	{NULL, 0, false},
};

/* Check, place and allocate the link of sandbox i against sandboxes [0, i). */
static void admit_sandbox(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_config *cfg,
			  unsigned int i)
{
	struct sbgw_sandbox *sb = &cfg->sandboxes[i];

	cfg_check_unique(ctx, s, &cfg->gw, sb, cfg->sandboxes, i, NULL);
	cfg_assign_link(ctx, s, sb, cfg->sandboxes, i);
}

static int parse_sandboxes(struct cfg_ctx *ctx, const config_setting_t *seq,
			   struct sbgw_config *cfg)
{
	int n = config_setting_length(seq);
	int rc;

	if (n <= 0)
		return 0;
	cfg->sandboxes = calloc((size_t)n, sizeof(*cfg->sandboxes));
	if (cfg->sandboxes == NULL)
		return cfg_oom(ctx, seq);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(seq, (unsigned int)i);
		struct sbgw_sandbox *sb = &cfg->sandboxes[cfg->n_sandboxes];
		unsigned int before = ctx->errors;

		if (!cfg_expect(ctx, s, CFG_T_GROUP))
			continue;
		/* Counted before parsing so that sbgw_config_free() sees partial work. */
		cfg->n_sandboxes++;
		rc = cfg_parse_sandbox(ctx, s, sb);
		if (rc < 0)
			return rc;
		/*
		 * An invalid sandbox takes no slot: its errors are reported
		 * already, and a slot error on top would only be noise.
		 */
		if (ctx->errors == before)
			admit_sandbox(ctx, s, cfg, cfg->n_sandboxes - 1);
		else
			cfg_check_unique(ctx, s, &cfg->gw, sb, cfg->sandboxes,
					 cfg->n_sandboxes - 1, NULL);
	}
	return 0;
}

static int parse_root(struct cfg_ctx *ctx, const config_setting_t *root, struct sbgw_config *cfg)
{
	const config_setting_t *s;
	long long version;
	int rc;

	cfg_check_keys(ctx, root, root_keys);
	s = cfg_member(root, "version", CFG_T_INT);
	if (s != NULL && cfg_int_range(ctx, s, LLONG_MIN, LLONG_MAX, &version) == 0 &&
	    version != CONFIG_VERSION)
		cfg_error(ctx, s, "unsupported configuration version %lld (this sbgw reads version %d)",
			  version, CONFIG_VERSION);
	rc = cfg_gateway_defaults(&cfg->gw);
	if (rc < 0)
		return cfg_oom(ctx, root);
	s = cfg_member(root, "gateway", CFG_T_GROUP);
	if (s != NULL) {
		rc = cfg_parse_gateway(ctx, s, &cfg->gw);
		if (rc < 0)
			return rc;
	}
	s = cfg_member(root, "sandboxes", CFG_T_SEQ);
	if (s != NULL)
		return parse_sandboxes(ctx, s, cfg);
	return 0;
}

/* The directory part of path, or NULL when it has none (libconfig then uses the cwd). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return NULL;
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static void report_read_error(struct cfg_ctx *ctx, const config_t *lc)
{
	const char *file = config_error_file(lc);
	char buf[512];

	if (file == NULL)
		file = ctx->path;
	else if (ctx->include_dir != NULL && file[0] != '/' && strcmp(file, ctx->path) != 0) {
		snprintf(buf, sizeof(buf), "%s/%s", ctx->include_dir, file);
		file = buf;
	}
	ctx->errors++;
	if (ctx->err != NULL)
		fprintf(ctx->err, "%s:%d: %s\n", file, config_error_line(lc), config_error_text(lc));
}

struct sbgw_config *sbgw_config_load(const char *path, FILE *errors)
{
	struct cfg_ctx ctx = {.err = errors, .path = path};
	struct sbgw_config *cfg = NULL;
	char *include_dir = NULL, *text = NULL;
	struct stat st;
	config_t lc;
	size_t len = 0;
	int rc = -EINVAL;

	config_init(&lc);
	/* libconfig only says "file I/O error"; say which. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		rc = -EINVAL;
	else
		rc = cfg_read_whole(path, &text, &len);
	if (rc < 0) {
		if (errors != NULL)
			fprintf(errors, "%s: cannot read: %s\n", path,
				rc == -EINVAL ? "not a regular file" : strerror(-rc));
		goto fail;
	}
	include_dir = dir_of(path);
	if (strchr(path, '/') != NULL && include_dir == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	/* What libconfig must not open (a directory ends the process): refused first. */
	rc = cfg_check_includes(&ctx, path, text, len, include_dir);
	if (rc < 0)
		goto fail;
	rc = -EINVAL;
	/* @include is relative to the main file, wherever sbgw runs from. */
	if (include_dir != NULL)
		config_set_include_dir(&lc, include_dir);
	ctx.include_dir = include_dir;
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
			if (errors != NULL)
				fprintf(errors, "%s: cannot read: %s\n", path, config_error_text(&lc));
		} else {
			report_read_error(&ctx, &lc);
		}
		goto fail;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->path = strdup(path)) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	cfg_rank_settings(config_root_setting(&lc));
	rc = parse_root(&ctx, config_root_setting(&lc), cfg);
	cfg_flush(&ctx);
	if (rc < 0 || ctx.errors > 0 || ctx.oom) {
		if (rc == 0)
			rc = ctx.oom ? -ENOMEM : -EINVAL;
		goto fail;
	}
	config_destroy(&lc);
	free(include_dir);
	free(text);
	return cfg;
fail:
	sbgw_config_free(cfg);
	config_destroy(&lc);
	free(include_dir);
	free(text);
	errno = -rc;
	return NULL;
}

void sbgw_config_free(struct sbgw_config *cfg)
{
	if (cfg == NULL)
		return;
	for (unsigned int i = 0; i < cfg->n_sandboxes; i++)
		cfg_sandbox_free(&cfg->sandboxes[i]);
	free(cfg->sandboxes);
	cfg_gateway_free(&cfg->gw);
	free(cfg->path);
	free(cfg);
}
