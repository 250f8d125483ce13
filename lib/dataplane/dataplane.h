/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The running gateway: ports, workers and each sandbox's run-time state,
 * built from a loaded configuration.
 *
 * Usage (main lcore):
 *   gw = sbgw_dataplane_create(cfg, extra_eal_argc, extra_eal_argv, err, len);
 *                          EAL, mempool, ports, compiled policies, flow tables
 *   sbgw_dataplane_run(gw);  launches the workers; returns when sbgw_dataplane_stop()
 *                          was called (from a signal handler, say)
 *   sbgw_dataplane_destroy(gw);   ports closed, EAL cleaned up (no hugepage files left)
 *
 * Threads: each worker owns its guest ports, one uplink queue pair and its
 * flow table; it shares nothing writable with another worker except the
 * uplink neighbour entry (atomics) and the hand-off rings.
 */
#ifndef SBGW_DATAPLANE_DATAPLANE_H
#define SBGW_DATAPLANE_DATAPLANE_H

#include <stddef.h>

#include "config.h"

struct sbgw_dataplane;

struct sbgw_dataplane *sbgw_dataplane_create(struct sbgw_config *cfg, int extra_argc,
					 char **extra_argv, char *err, size_t errlen);
int sbgw_dataplane_run(struct sbgw_dataplane *gw);
void sbgw_dataplane_stop(struct sbgw_dataplane *gw);
void sbgw_dataplane_destroy(struct sbgw_dataplane *gw);

#endif
