/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters for operators, through DPDK telemetry
 * (/usr/bin/dpdk-telemetry.py, or any client of the telemetry socket):
 *
 *   /sbgw/sandboxes           names of the sandboxes
 *   /sbgw/sandbox,NAME        packets and bytes each way, flows, drops by
 *                             reason, hits per policy rule (last = default),
 *                             DNS and published-port counters
 *   /sbgw/uplink              the uplink's packets, bytes and drops
 *   /sbgw/workers             per worker: busy cycles, packets, live flows
 *   /sbgw/dns                 the DNS service: its own time and the
 *                             upstreams' per forwarded query, sockets open
 *   /sbgw/relay               the TCP relay: connections, DNS queries, host
 *                             services, bytes, and the redirect table's live entries
 *   /sbgw/decision_log        lines written, events the rate limit suppressed,
 *                             lines lost to a full queue, write errors
 *
 * Workers own their counters and never synchronise them; a reader sums
 * the workers' copies, so a figure may be a burst behind, never torn
 * (64-bit loads are atomic on the platforms DPDK supports).
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "runtime.h"

static struct sbgw_dataplane *telemetry_gw;

/* Telemetry dictionaries hold a bounded number of entries. */
#define RULES_SHOWN 500

static int cmd_sandboxes(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (uint32_t i = 0; i < telemetry_gw->n_sandboxes; i++)
		rte_tel_data_add_array_string(d, telemetry_gw->sandboxes[i].cfg->name);
	return 0;
}

static void add_drops(struct rte_tel_data *d, const uint64_t *drops)
{
	struct rte_tel_data *child = rte_tel_data_alloc();

	if (child == NULL)
		return;
	rte_tel_data_start_dict(child);
	for (unsigned int r = 1; r < SBGW_DROP_COUNT; r++)
		if (drops[r] != 0)
			rte_tel_data_add_dict_u64(child, sbgw_drop_name(r), drops[r]);
	rte_tel_data_add_dict_container(d, "drops", child, 0);
}

/* Written by the DNS service alone; read here like the workers' counters. */
static void add_dns(struct rte_tel_data *d, const struct sbgw_dns_counters *c)
{
	struct rte_tel_data *child = rte_tel_data_alloc();

	if (child == NULL || c == NULL) {
		rte_tel_data_free(child);
		return;
	}
	rte_tel_data_start_dict(child);
	rte_tel_data_add_dict_u64(child, "queries", c->queries);
	rte_tel_data_add_dict_u64(child, "forwarded", c->forwarded);
	rte_tel_data_add_dict_u64(child, "answered_locally", c->answered_locally);
	rte_tel_data_add_dict_u64(child, "denied", c->denied);
	rte_tel_data_add_dict_u64(child, "rebind_blocked", c->rebind_blocked);
	rte_tel_data_add_dict_u64(child, "upstream_timeouts", c->upstream_timeouts);
	rte_tel_data_add_dict_u64(child, "upstream_errors", c->upstream_errors);
	rte_tel_data_add_dict_u64(child, "servfail", c->servfail);
	rte_tel_data_add_dict_u64(child, "truncated", c->truncated);
	rte_tel_data_add_dict_u64(child, "malformed", c->malformed);
	rte_tel_data_add_dict_u64(child, "formerr", c->formerr);
	rte_tel_data_add_dict_u64(child, "queue_full", c->queue_full);
	rte_tel_data_add_dict_container(d, "dns", child, 0);
}

/* Written by the published-ports service alone; read like the workers' counters. */
static void add_published(struct rte_tel_data *d, const struct sbgw_publish_counters *c)
{
	struct rte_tel_data *child = rte_tel_data_alloc();

	if (child == NULL || c == NULL) {
		rte_tel_data_free(child);
		return;
	}
	rte_tel_data_start_dict(child);
	rte_tel_data_add_dict_u64(child, "tcp_accepted", c->tcp_accepted);
	rte_tel_data_add_dict_u64(child, "tcp_denied", c->tcp_denied);
	rte_tel_data_add_dict_u64(child, "tcp_limit", c->tcp_limit);
	rte_tel_data_add_dict_u64(child, "tcp_guest_refused", c->tcp_guest_refused);
	rte_tel_data_add_dict_u64(child, "tcp_open", c->tcp_open);
	rte_tel_data_add_dict_u64(child, "udp_datagrams_in", c->udp_datagrams_in);
	rte_tel_data_add_dict_u64(child, "udp_datagrams_out", c->udp_datagrams_out);
	rte_tel_data_add_dict_u64(child, "udp_denied", c->udp_denied);
	rte_tel_data_add_dict_u64(child, "udp_peers", c->udp_peers);
	rte_tel_data_add_dict_u64(child, "udp_evicted", c->udp_evicted);
	rte_tel_data_add_dict_u64(child, "errors", c->errors);
	rte_tel_data_add_dict_container(d, "published", child, 0);
}

static int cmd_sandbox(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sbgw_dataplane *gw = telemetry_gw;
	struct sbgw_sandbox_counters sum;
	const struct sbgw_sandbox_rt *sb = NULL;
	const struct sbgw_policy_rt *policy;
	struct rte_tel_data *hits;
	uint64_t connections = 0;
	unsigned int n_rules;

	(void)cmd;
	/* "host" names the host port's entry, after the sandboxes. */
	for (uint32_t i = 0; params != NULL && i < gw->n_attached; i++)
		if (strcmp(gw->sandboxes[i].cfg->name, params) == 0)
			sb = &gw->sandboxes[i];
	if (sb == NULL)
		return -EINVAL;
	hits = rte_tel_data_alloc();
	if (hits == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(hits, RTE_TEL_U64_VAL);
	memset(&sum, 0, sizeof(sum));
	/* The main lcore may swap the policy (live.c): it frees generations under this lock. */
	pthread_mutex_lock(&gw->live_lock);
	policy = sbgw_sandbox_policy(sb);
	n_rules = policy->n_rules;
	for (unsigned int r = 0; r <= n_rules && r < RULES_SHOWN; r++) {
		uint64_t h = 0;

		for (unsigned int w = 0; w < gw->n_workers; w++)
			h += policy->hits[w][r];
		rte_tel_data_add_array_u64(hits, h);
	}
	pthread_mutex_unlock(&gw->live_lock);
	for (unsigned int w = 0; w < gw->n_workers; w++) {
		const struct sbgw_sandbox_counters *c = &gw->workers[w].sb_counters[sb->index];

		sum.from_guest_packets += c->from_guest_packets;
		sum.from_guest_bytes += c->from_guest_bytes;
		sum.to_guest_packets += c->to_guest_packets;
		sum.to_guest_bytes += c->to_guest_bytes;
		sum.flows_created += c->flows_created;
		sum.flows_revoked += c->flows_revoked;
		sum.icmp_errors_relayed += c->icmp_errors_relayed;
		for (unsigned int r = 0; r < SBGW_DROP_COUNT; r++)
			sum.drops[r] += c->drops[r];
		connections += sbgw_flow_connections(gw->workers[w].flows, sb->index);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", sb->cfg->name);
	rte_tel_data_add_dict_u64(d, "from_guest_packets", sum.from_guest_packets);
	rte_tel_data_add_dict_u64(d, "from_guest_bytes", sum.from_guest_bytes);
	rte_tel_data_add_dict_u64(d, "to_guest_packets", sum.to_guest_packets);
	rte_tel_data_add_dict_u64(d, "to_guest_bytes", sum.to_guest_bytes);
	rte_tel_data_add_dict_u64(d, "flows_created", sum.flows_created);
	rte_tel_data_add_dict_u64(d, "flows_revoked", sum.flows_revoked);
	rte_tel_data_add_dict_u64(d, "icmp_errors_relayed", sum.icmp_errors_relayed);
	rte_tel_data_add_dict_u64(d, "tcp_connections", connections);
	/* Relayed TCP (DNS over TCP, host services, deferred): pending and held (§2.12). */
	rte_tel_data_add_dict_u64(d, "relay_connections",
				  gw->redirect != NULL ? sbgw_redirect_in_use(gw->redirect, sb->index) : 0);
	add_drops(d, sum.drops);
	rte_tel_data_add_dict_container(d, "rule_hits", hits, 0);
	if (gw->dns != NULL && sb->index < gw->n_sandboxes)
		add_dns(d, sbgw_dns_sandbox_counters(gw->dns, sb->index));
	if (gw->publish != NULL && sb->index < gw->n_sandboxes && sb->cfg->net.n_ports > 0)
		add_published(d, sbgw_publish_sandbox_counters(gw->publish, sb->index));
	return 0;
}

static int cmd_uplink(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sbgw_dataplane *gw = telemetry_gw;
	struct sbgw_port_counters sum;
	uint64_t tx_dropped = 0;

	(void)cmd;
	(void)params;
	memset(&sum, 0, sizeof(sum));
	for (unsigned int w = 0; w < gw->n_workers; w++) {
		const struct sbgw_port_counters *c = &gw->workers[w].uplink_counters;

		sum.rx_packets += c->rx_packets;
		sum.rx_bytes += c->rx_bytes;
		sum.tx_packets += c->tx_packets;
		sum.tx_bytes += c->tx_bytes;
		for (unsigned int r = 0; r < SBGW_DROP_COUNT; r++)
			sum.drops[r] += c->drops[r];
		tx_dropped += gw->workers[w].uplink_tx_dropped;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", sum.rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", sum.rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", sum.tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", sum.tx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_queue_full", tx_dropped);
	add_drops(d, sum.drops);
	return 0;
}

static int cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sbgw_dataplane *gw = telemetry_gw;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < gw->n_workers; i++) {
		const struct sbgw_worker *w = &gw->workers[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		char name[24];

		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_int(c, "lcore", (int)w->lcore);
		rte_tel_data_add_dict_u64(c, "busy_cycles", w->busy_cycles);
		rte_tel_data_add_dict_u64(c, "busy_packets", w->busy_packets);
		rte_tel_data_add_dict_u64(c, "loops", w->loops);
		rte_tel_data_add_dict_u64(c, "handed_off", w->handed_off);
		rte_tel_data_add_dict_u64(c, "live_flows", sbgw_flow_count(w->flows));
		SBGW_PROF_TELEMETRY(c, w); /* profile.h: only with -Dprofile=true */
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

static int cmd_dns(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const names[3] = {"p50", "p90", "p99"};
	struct sbgw_dns_timing t;
	char key[32];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (telemetry_gw->dns == NULL || sbgw_dns_timing(telemetry_gw->dns, &t) < 0)
		return 0;
	rte_tel_data_add_dict_u64(d, "forwarded", t.forwarded);
	rte_tel_data_add_dict_u64(d, "samples", t.samples);
	for (unsigned int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "service_ns_%s", names[i]);
		rte_tel_data_add_dict_u64(d, key, t.service_ns[i]);
		snprintf(key, sizeof(key), "work_ns_%s", names[i]);
		rte_tel_data_add_dict_u64(d, key, t.work_ns[i]);
		snprintf(key, sizeof(key), "upstream_ns_%s", names[i]);
		rte_tel_data_add_dict_u64(d, key, t.upstream_ns[i]);
	}
	rte_tel_data_add_dict_u64(d, "upstream_sockets", t.sockets);
	rte_tel_data_add_dict_u64(d, "upstream_sockets_opened", t.sockets_opened);
	return 0;
}

/* The relay's counters are written by the slow core alone; read as they are. */
static int cmd_relay(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sbgw_dataplane *gw = telemetry_gw;
	const struct sbgw_relay_counters *c;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (gw->relay == NULL)
		return 0;
	c = sbgw_relay_counters(gw->relay);
	rte_tel_data_add_dict_u64(d, "accepted", c->accepted);
	rte_tel_data_add_dict_u64(d, "active", c->active);
	rte_tel_data_add_dict_u64(d, "closed", c->closed);
	rte_tel_data_add_dict_u64(d, "no_redirect", c->no_redirect);
	rte_tel_data_add_dict_u64(d, "over_capacity", c->over_capacity);
	rte_tel_data_add_dict_u64(d, "dns_queries", c->dns_queries);
	rte_tel_data_add_dict_u64(d, "dns_busy", c->dns_busy);
	rte_tel_data_add_dict_u64(d, "host_connected", c->host_connected);
	rte_tel_data_add_dict_u64(d, "host_refused", c->host_refused);
	rte_tel_data_add_dict_u64(d, "host_fallback", c->host_fallback);
	rte_tel_data_add_dict_u64(d, "timeouts", c->timeouts);
	rte_tel_data_add_dict_u64(d, "deferred_allowed", c->deferred_allowed);
	rte_tel_data_add_dict_u64(d, "deferred_denied", c->deferred_denied);
	rte_tel_data_add_dict_u64(d, "peek_timeouts", c->peek_timeouts);
	rte_tel_data_add_dict_u64(d, "upstream_failed", c->upstream_failed);
	rte_tel_data_add_dict_u64(d, "bytes_to_guest", c->bytes_to_guest);
	rte_tel_data_add_dict_u64(d, "bytes_from_guest", c->bytes_from_guest);
	rte_tel_data_add_dict_u64(d, "restarts", c->restarts);
	rte_tel_data_add_dict_u64(d, "listen_failures", c->listen_failures);
	rte_tel_data_add_dict_u64(d, "redirect_live",
				  sbgw_redirect_live(gw->redirect, rte_rdtsc()));
	return 0;
}

static int cmd_decision_log(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sbgw_dlog_stats st;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "enabled", telemetry_gw->dlog != NULL);
	sbgw_dlog_get_stats(telemetry_gw->dlog, &st);
	rte_tel_data_add_dict_u64(d, "written", st.written);
	rte_tel_data_add_dict_u64(d, "suppressed", st.suppressed);
	rte_tel_data_add_dict_u64(d, "queue_full", st.queue_full);
	rte_tel_data_add_dict_u64(d, "write_errors", st.write_errors);
	return 0;
}

int sbgw_telemetry_register(struct sbgw_dataplane *gw)
{
	int rc = 0;

	telemetry_gw = gw;
	rc |= rte_telemetry_register_cmd("/sbgw/sandboxes", cmd_sandboxes,
					 "Names of the sandboxes. No parameters");
	rc |= rte_telemetry_register_cmd("/sbgw/sandbox", cmd_sandbox,
					 "Counters of one sandbox. Parameter: its name");
	rc |= rte_telemetry_register_cmd("/sbgw/uplink", cmd_uplink,
					 "Uplink counters. No parameters");
	rc |= rte_telemetry_register_cmd("/sbgw/workers", cmd_workers,
					 "Worker lcores: cycles, packets, flows. No parameters");
	rc |= rte_telemetry_register_cmd("/sbgw/dns", cmd_dns,
					 "DNS service: its own and the upstreams' time per query. No parameters");
	rc |= rte_telemetry_register_cmd("/sbgw/relay", cmd_relay,
					 "TCP relay counters. No parameters");
	rc |= rte_telemetry_register_cmd("/sbgw/decision_log", cmd_decision_log,
					 "Decision log: lines written and suppressed. No parameters");
	return rc < 0 ? -EINVAL : 0;
}
