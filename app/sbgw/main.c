/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbgw: the sandbox gateway. main() only orders start-up; every module
 * does its own work.
 *
 *   sbgw -t -c FILE     validate FILE and exit
 *   sbgw -p -c FILE     validate, compile every policy to rte_acl, print both
 *   sbgw -c FILE [-- EAL-ARGS]   run the gateway (SIGHUP: reload FILE;
 *                                control socket: sbgwctl)
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "config.h"
#include "control.h"
#include "dataplane.h"
#include "live.h"
#include "policy.h"

enum mode {
	MODE_RUN,
	MODE_TEST,
	MODE_PRINT,
};

struct options {
	enum mode mode;
	const char *config_path;
	int eal_argc; /* arguments after "--" */
	char **eal_argv;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sbgw [-t | -p] -c FILE [-- EAL-ARGS]\n"
		     "  -c FILE  configuration file (see docs/configuration.md)\n"
		     "  -t       validate FILE and exit: \"FILE: ok\" or every problem as FILE:LINE:\n"
		     "  -p       validate, compile every policy to rte_acl and print the result\n"
		     "  -h       this help\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->mode = MODE_RUN;
	while ((c = getopt(argc, argv, "c:tph")) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			break;
		case 't':
			o->mode = MODE_TEST;
			break;
		case 'p':
			o->mode = MODE_PRINT;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (o->config_path == NULL) {
		fprintf(stderr, "sbgw: -c FILE is required\n");
		usage(stderr);
		return -EINVAL;
	}
	/* getopt stops at "--"; what follows belongs to EAL. */
	o->eal_argc = argc - optind;
	o->eal_argv = argv + optind;
	return 0;
}

/*
 * -p compiles offline: a private EAL without hugepages, devices or
 * telemetry, so that it runs anywhere a config file is edited.
 */
static int init_offline_eal(void)
{
	char *args[] = {"sbgw", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
			"-m", "256", "-l", "0", "--log-level=lib.eal:error", NULL};
	int n = (int)(sizeof(args) / sizeof(args[0])) - 1;

	if (rte_eal_init(n, args) < 0) {
		fprintf(stderr, "sbgw: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

static void print_one(const char *label, const struct sbgw_policy_compiled *cp)
{
	unsigned int acl_rules;
	size_t bytes;

	sbgw_policy_stats(cp, &acl_rules, &bytes);
	printf("  %s: %u rte_acl rules in 4 contexts, %zu bytes, %u domain sets\n", label,
	       acl_rules, bytes, sbgw_policy_domain_sets(cp));
}

static int print_compiled(const struct sbgw_config *cfg)
{
	char err[256];
	int rc = 0;

	sbgw_config_dump(cfg, stdout);
	printf("\ncompiled policies:\n");
	if (cfg->gw.has_floor) {
		struct sbgw_policy_compiled *cp = sbgw_policy_compile(&cfg->gw.floor, "floor", err,
								      sizeof(err));
		if (cp == NULL) {
			fprintf(stderr, "%s: floor: %s\n", cfg->path, err);
			rc = -1;
		} else {
			print_one("floor", cp);
			sbgw_policy_free(cp);
		}
	}
	for (unsigned int i = 0; i < cfg->n_sandboxes; i++) {
		const struct sbgw_sandbox *sb = &cfg->sandboxes[i];
		struct sbgw_policy_compiled *cp;

		cp = sbgw_policy_compile(&sb->net.policy, sb->name, err, sizeof(err));
		if (cp == NULL) {
			fprintf(stderr, "%s: sandbox %s: %s\n", cfg->path, sb->name, err);
			rc = -1;
			continue;
		}
		print_one(sb->name, cp);
		sbgw_policy_free(cp);
	}
	return rc;
}

static struct sbgw_dataplane *running;
static struct sbgw_ctl *control;

static void on_stop_signal(int sig)
{
	(void)sig;
	if (running != NULL)
		sbgw_dataplane_stop(running);
}

/* The reload itself runs on the main lcore's loop (lib/control/reload.c). */
static void on_reload_signal(int sig)
{
	(void)sig;
	sbgw_ctl_request_reload(control);
}

static int run(struct sbgw_config *cfg, const struct options *o)
{
	struct sigaction sa;
	char err[512];

	running = sbgw_dataplane_create(cfg, o->eal_argc, o->eal_argv, err, sizeof(err));
	if (running == NULL) {
		fprintf(stderr, "sbgw: %s: %s\n", cfg->path, err);
		return 1;
	}
	control = sbgw_ctl_create(running, cfg->path, err, sizeof(err));
	if (control == NULL) {
		fprintf(stderr, "sbgw: %s: %s\n", cfg->path, err);
		sbgw_dataplane_destroy(running);
		running = NULL;
		return 1;
	}
	sbgw_dataplane_set_idle(running, sbgw_ctl_poll, control);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_reload_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	printf("sbgw: running %u sandbox(es) on %s; control socket %s; stop with SIGINT or "
	       "SIGTERM, reload with SIGHUP\n",
	       cfg->n_sandboxes, cfg->path, cfg->gw.control_socket);
	fflush(stdout);
	sbgw_dataplane_run(running);
	sbgw_ctl_free(control);
	control = NULL;
	sbgw_dataplane_destroy(running);
	running = NULL;
	printf("sbgw: stopped\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct sbgw_config *cfg;
	struct options o;
	int rc = 1;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	cfg = sbgw_config_load(o.config_path, stderr);
	if (cfg == NULL)
		return 1;

	switch (o.mode) {
	case MODE_TEST:
		printf("%s: ok\n", o.config_path);
		rc = 0;
		break;
	case MODE_PRINT:
		if (init_offline_eal() < 0)
			break;
		rc = print_compiled(cfg) < 0 ? 1 : 0;
		rte_eal_cleanup();
		break;
	case MODE_RUN:
		rc = run(cfg, &o);
		break;
	}
	sbgw_config_free(cfg);
	return rc;
}
