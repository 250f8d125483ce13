/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include <rte_eal.h>

#include "eal.h"

int test_eal_setup(void **state)
{
	/*
	 * --in-memory would be the natural choice, but DPDK 22.11 refuses it
	 * with --no-huge (which implies legacy memory); --no-shconf gives the
	 * same isolation: no config file, no hugepage files, no IPC socket.
	 */
	char *argv[] = {
		"policy-test", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
		"-m",          "256",       "-l",          "0",        "--log-level=lib.eal:error",
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0]));

	(void)state;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return -1;
	}
	return 0;
}

int test_eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}
