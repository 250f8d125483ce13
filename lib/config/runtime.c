/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A sandbox defined at run time (config.md "Run-time changes"): the text
 * of one sandboxes entry, checked exactly like one in the file against the
 * running configuration, without touching it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The entry is parsed as the value of this setting; it names the paths in messages. */
#define ENTRY_NAME "sandbox"

static const struct sbgw_sandbox *find(const struct sbgw_config *running, const char *name)
{
	for (unsigned int i = 0; i < running->n_sandboxes; i++)
		if (strcmp(running->sandboxes[i].name, name) == 0)
			return &running->sandboxes[i];
	return NULL;
}

/*
 * A replaced sandbox keeps its addresses while its pools stay the same,
 * so that its guest does not have to renumber; otherwise it takes the
 * lowest free slots like a new one.
 */
static void place(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_sandbox *sb,
		  const struct sbgw_config *running, const struct sbgw_sandbox *old)
{
	struct sbgw_sandbox *others;
	unsigned int n = 0;

	if (old != NULL && old->link.nic_present &&
	    !(sb->net.has_policy_preset && sb->net.preset == SBGW_PRESET_NONE) &&
	    memcmp(&old->net.ipv4_pool, &sb->net.ipv4_pool, sizeof(sb->net.ipv4_pool)) == 0 &&
	    memcmp(&old->net.ipv6_pool, &sb->net.ipv6_pool, sizeof(sb->net.ipv6_pool)) == 0) {
		sb->link = old->link;
		sb->host = old->host;
		return;
	}
	/* Shallow copies: only the links are read. */
	others = calloc(running->n_sandboxes + 1, sizeof(*others));
	if (others == NULL) {
		cfg_oom(ctx, s);
		return;
	}
	for (unsigned int i = 0; i < running->n_sandboxes; i++)
		if (&running->sandboxes[i] != old)
			others[n++] = running->sandboxes[i];
	cfg_assign_link(ctx, s, sb, others, n);
	free(others);
}

struct sbgw_sandbox *sbgw_config_parse_sandbox(const struct sbgw_config *running, const char *text,
					       const char *origin, FILE *errors)
{
	struct cfg_ctx ctx = {.err = errors, .path = origin};
	struct sbgw_sandbox *sb = NULL;
	const config_setting_t *s;
	char *doc = NULL;
	config_t lc;
	int rc = -EINVAL;

	config_init(&lc);
	/* Run-time text names no files (libconfig would open any, from our cwd). */
	if (cfg_refuse_includes(&ctx, origin, text) < 0)
		goto fail;
	/* Same line as the text's first, so that line numbers are the text's own. */
	if (asprintf(&doc, "%s = %s;\n", ENTRY_NAME, text) < 0) {
		doc = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	if (config_read_string(&lc, doc) != CONFIG_TRUE) {
		ctx.errors++;
		if (errors != NULL)
			fprintf(errors, "%s:%d: %s\n", origin, config_error_line(&lc),
				config_error_text(&lc));
		goto fail;
	}
	cfg_rank_settings(config_root_setting(&lc));
	s = config_lookup(&lc, ENTRY_NAME);
	sb = calloc(1, sizeof(*sb));
	if (sb == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (!cfg_expect(&ctx, s, CFG_T_GROUP))
		goto flush;
	rc = cfg_parse_sandbox(&ctx, s, sb);
	if (rc < 0 || ctx.errors > 0)
		goto flush;
	cfg_check_unique(&ctx, s, &running->gw, sb, running->sandboxes, running->n_sandboxes,
			 sb->name);
	if (ctx.errors == 0)
		place(&ctx, s, sb, running, find(running, sb->name));
flush:
	cfg_flush(&ctx);
	if (rc == 0 && (ctx.errors > 0 || ctx.oom))
		rc = ctx.oom ? -ENOMEM : -EINVAL;
fail:
	if (rc < 0) {
		sbgw_sandbox_free(sb);
		sb = NULL;
		errno = -rc;
	}
	config_destroy(&lc);
	if (doc != NULL) {
		/* The text may hold an inline secret value. */
		explicit_bzero(doc, strlen(doc));
		free(doc);
	}
	return sb;
}

void sbgw_sandbox_free(struct sbgw_sandbox *sb)
{
	if (sb == NULL)
		return;
	cfg_sandbox_free(sb);
	free(sb);
}
