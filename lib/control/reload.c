/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reloading the configuration file (SIGHUP, or "reload" on the control
 * socket). The file is loaded and validated in full first: an invalid
 * file changes nothing. Then every sandbox whose settings changed is
 * prepared (compiled, its nameservers resolved); if any of them fails,
 * nothing changes either. Only then are the prepared sandboxes swapped
 * in. Changes a running gateway cannot make (sandboxes added or removed,
 * a port, addresses or published ports changed, gateway settings) are
 * reported as needing a restart, and the running ones stay as they are.
 * Every reload also reopens the decision log's file (log rotation).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "live.h"

struct plan {
	json_t *changed, *restart;
	unsigned int unchanged;
	struct sbgw_live_change **changes;
	unsigned int n_changes;
};

static int find_in(const struct sbgw_config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->n_sandboxes; i++)
		if (strcmp(cfg->sandboxes[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "sandbox NAME: WHY: needs restart" */
static void add_note(json_t *arr, const char *name, const char *why)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "sandbox %s: %s: needs restart", name, why);
	json_array_append_new(arr, json_string(buf));
}

/*
 * Move sandbox j out of ncfg (which is freed later) so that it can
 * outlive it as the running record's replacement.
 */
static struct sbgw_sandbox *take_sandbox(struct sbgw_config *ncfg, unsigned int j)
{
	struct sbgw_sandbox *sb = malloc(sizeof(*sb));

	if (sb == NULL)
		return NULL;
	*sb = ncfg->sandboxes[j];
	memset(&ncfg->sandboxes[j], 0, sizeof(ncfg->sandboxes[j]));
	return sb;
}

/* Prepare every change; on the first failure, the message is in err. */
static int prepare(struct sbgw_dataplane *gw, struct sbgw_config *ncfg, struct plan *p, char *err,
                   size_t errlen)
{
	const struct sbgw_config *cfg = sbgw_live_config(gw);

	for (unsigned int i = 0; i < cfg->n_sandboxes; i++)
		if (find_in(ncfg, cfg->sandboxes[i].name) < 0)
			add_note(p->restart, cfg->sandboxes[i].name,
			         "removed from the file (removing sandboxes at run time is not "
			         "supported yet)");
	for (unsigned int j = 0; j < ncfg->n_sandboxes; j++) {
		const struct sbgw_sandbox *nsb = &ncfg->sandboxes[j];
		int i = find_in(cfg, nsb->name);
		struct sbgw_live_change *c;
		struct sbgw_sandbox *taken;
		const char *why;

		if (i < 0) {
			add_note(p->restart, nsb->name,
			         "added to the file (adding sandboxes at run time is not supported "
			         "yet)");
			continue;
		}
		if (sbgw_sandbox_equal(&cfg->sandboxes[i], nsb)) {
			p->unchanged++;
			continue;
		}
		why = sbgw_sandbox_restart_reason(&cfg->sandboxes[i], nsb);
		if (why != NULL) {
			add_note(p->restart, nsb->name, why);
			continue;
		}
		taken = take_sandbox(ncfg, j);
		if (taken == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		c = sbgw_live_prepare(gw, (uint32_t)i, taken, err, errlen);
		if (c == NULL) {
			sbgw_sandbox_free(taken);
			return -EINVAL;
		}
		p->changes[p->n_changes++] = c;
		json_array_append_new(p->changed, json_string(taken->name));
	}
	return 0;
}

static void log_outcome(const char *path, const json_t *ans)
{
	const json_t *changed = json_object_get(ans, "changed");
	const json_t *restart = json_object_get(ans, "needs_restart");
	const json_t *v;
	size_t k;

	if (!json_is_true(json_object_get(ans, "ok"))) {
		printf("sbgw: reload %s: %s\n", path,
		       json_string_value(json_object_get(ans, "error")));
		json_array_foreach(json_object_get(ans, "details"), k, v)
		        printf("sbgw: reload %s:   %s\n", path, json_string_value(v));
		fflush(stdout);
		return;
	}
	printf("sbgw: reload %s: %zu sandbox(es) changed", path, json_array_size(changed));
	json_array_foreach(changed, k, v)
	        printf("%s%s", k == 0 ? ": " : ", ", json_string_value(v));
	printf("; %lld unchanged (%.1f ms)\n",
	       (long long)json_integer_value(json_object_get(ans, "unchanged")),
	       json_real_value(json_object_get(ans, "ms")));
	json_array_foreach(restart, k, v)
	        printf("sbgw: reload %s: %s (not applied)\n", path, json_string_value(v));
	fflush(stdout);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

json_t *sbgw_ctl_reload(struct sbgw_dataplane *gw, const char *config_path)
{
	struct plan p = {0};
	struct timespec t0;
	struct sbgw_config *ncfg;
	char *errors = NULL, err[1024];
	size_t errors_len = 0;
	json_t *ans = NULL;
	FILE *f;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Whatever the file says: a reload is also when rotated logs are let go. */
	rc = sbgw_live_reopen_logs(gw);
	if (rc < 0)
		printf("sbgw: reload: cannot reopen the decision log: %s; still writing the old "
		       "file\n", strerror(-rc));
	f = open_memstream(&errors, &errors_len);
	if (f == NULL)
		return sbgw_ctl_error(NULL, "out of memory");
	ncfg = sbgw_config_load(config_path, f);
	fclose(f);
	if (ncfg == NULL) {
		ans = sbgw_ctl_error(errors, "%s: invalid; the running configuration is unchanged",
		                     config_path);
		goto out;
	}
	p.changed = json_array();
	p.restart = json_array();
	p.changes = calloc(ncfg->n_sandboxes + 1, sizeof(*p.changes));
	if (p.changed == NULL || p.restart == NULL || p.changes == NULL) {
		ans = sbgw_ctl_error(NULL, "out of memory");
		goto out;
	}
	if (!sbgw_gateway_equal(sbgw_live_config(gw), ncfg))
		json_array_append_new(p.restart,
		                      json_string("gateway settings changed: needs restart"));
	if (prepare(gw, ncfg, &p, err, sizeof(err)) < 0) {
		ans = sbgw_ctl_error(NULL, "%s: %s; the running configuration is unchanged",
		                     config_path, err);
		goto out;
	}
	for (unsigned int k = 0; k < p.n_changes; k++) {
		struct sbgw_live_change *c = p.changes[k];

		p.changes[k] = NULL;
		/* Only the pin table running out of memory fails here; that sandbox stays as it
		 * was. */
		if (sbgw_live_commit(gw, c, err, sizeof(err)) < 0)
			json_array_append_new(p.restart, json_string(err));
	}
	ans = json_object();
	if (ans != NULL) {
		json_object_set_new(ans, "ok", json_true());
		json_object_set_new(ans, "changed", p.changed);
		json_object_set_new(ans, "unchanged", json_integer(p.unchanged));
		json_object_set_new(ans, "needs_restart", p.restart);
		json_object_set_new(ans, "ms", json_real(ms_since(&t0)));
		p.changed = p.restart = NULL;
	}
out:
	for (unsigned int k = 0; k < p.n_changes; k++)
		sbgw_live_discard(p.changes[k]);
	free(p.changes);
	json_decref(p.changed);
	json_decref(p.restart);
	sbgw_config_free(ncfg);
	free(errors);
	if (ans != NULL)
		log_outcome(config_path, ans);
	return ans;
}
