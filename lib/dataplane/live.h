/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A running gateway seen and changed from its main lcore: what the control
 * socket (lib/control) reads and replaces while the workers run.
 *
 * Usage (main lcore only, after sbgw_dataplane_create()):
 *   cfg = sbgw_live_config(gw);            the running configuration (read only)
 *   i = sbgw_live_find(gw, "api");         index, or -ENOENT
 *   sbgw_live_stats(gw, i, &st);           counters summed over the workers
 *   c = sbgw_live_prepare(gw, i, nsb, err, len);   compile, resolve; nothing changes yet
 *   sbgw_live_commit(gw, c);               the swap: workers see the new policy at
 *                                          their next packet; flows it denies are revoked
 *   sbgw_live_discard(c);                  instead of commit: nsb and all are freed
 *   sbgw_live_poll(gw);                    once per loop: frees what no worker can see
 *
 * A swap keeps the sandbox's port, addresses and published ports: a
 * definition that changes them is refused by prepare with -EOPNOTSUPP
 * ("needs restart"). Everything else of the sandbox (policy, DNS
 * settings, max_connections, TLS and secrets) is replaced as one.
 * Old generations are freed after every worker has passed a quiescent
 * state (the pin table's rte_rcu_qsbr).
 */
#ifndef SBGW_DATAPLANE_LIVE_H
#define SBGW_DATAPLANE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "drop.h"
#include "flow.h"

struct sbgw_dataplane;
struct sbgw_live_change;

const struct sbgw_config *sbgw_live_config(const struct sbgw_dataplane *gw);
int sbgw_live_find(const struct sbgw_dataplane *gw, const char *name);

struct sbgw_live_stats {
	uint64_t from_guest_packets, from_guest_bytes;
	uint64_t to_guest_packets, to_guest_bytes;
	uint64_t flows_created, flows_revoked;
	uint64_t live_flows, tcp_connections;
	uint64_t drops[SBGW_DROP_COUNT];
	unsigned int n_rules;
	uint64_t *rule_hits; /* n_rules + 1 (last = default), malloc'd: free it */
};
/* 0, or -ENOMEM (rule_hits). */
int sbgw_live_stats(struct sbgw_dataplane *gw, uint32_t sandbox, struct sbgw_live_stats *st);

/* A best-effort copy of up to max of the sandbox's live flows (all workers). */
unsigned int sbgw_live_flows(const struct sbgw_dataplane *gw, uint32_t sandbox,
                             struct sbgw_flow *out, unsigned int max);

/*
 * Compile nsb (a complete definition of sandbox index, same name) and
 * resolve its nameservers. NULL with errno and a message in err:
 * EOPNOTSUPP the change needs a restart, EINVAL / E2BIG the policy does not
 * compile, ENOENT no nameserver resolves, ENOMEM. On success the change
 * owns nsb; on failure the caller keeps it.
 */
struct sbgw_live_change *sbgw_live_prepare(struct sbgw_dataplane *gw, uint32_t index,
                                           struct sbgw_sandbox *nsb, char *err, size_t errlen);
/* The change replaces the network settings only: the running secrets stay. */
void sbgw_live_keep_secrets(struct sbgw_live_change *c);
/*
 * Apply a prepared change. 0, or -ENOMEM when the pin table cannot take
 * the new policy's domain sets (then nothing changed). c is consumed.
 */
int sbgw_live_commit(struct sbgw_dataplane *gw, struct sbgw_live_change *c, char *err,
                     size_t errlen);
void sbgw_live_discard(struct sbgw_live_change *c);

void sbgw_live_poll(struct sbgw_dataplane *gw);

/* On a reload: reopen log files (the decision log's); -errno, the old file stays. */
int sbgw_live_reopen_logs(struct sbgw_dataplane *gw);
/*
 * Restart the TCP relay in place (main lcore, where it runs): the number of
 * connections reset, -ENODEV without a relay (no host port), or -errno
 * with a message in err when it cannot listen again (it keeps trying).
 */
long sbgw_live_relay_restart(struct sbgw_dataplane *gw, char *err, size_t errlen);

/* More work for the main lcore's loop (the control socket); must not block. */
void sbgw_dataplane_set_idle(struct sbgw_dataplane *gw, void (*fn)(void *arg), void *arg);

#endif
