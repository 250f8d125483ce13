/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run-time state shared by the dataplane's files. Not a public interface:
 * other modules use gateway.h.
 */
#ifndef SBGW_DATAPLANE_RUNTIME_H
#define SBGW_DATAPLANE_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "config.h"
#include "decision.h"
#include "drop.h"
#include "flow.h"
#include "parse.h"
#include "frag.h"
#include "dataplane.h"
#include "pins.h"
#include "policy.h"
#include "profile.h"
#include "publish.h"
#include "redirect.h"
#include "relay.h"
#include "service.h"

#define SBGW_BURST 32
#define SBGW_NO_PORT UINT16_MAX
#define SBGW_NEIGH_PENDING_MAX 64
#define SBGW_MAX_WORKERS 64
#define SBGW_HANDOFF_RING_SIZE 4096

/* Per sandbox counters, one copy per worker, summed when read. */
struct sbgw_sandbox_counters {
	uint64_t from_guest_packets, from_guest_bytes;
	uint64_t to_guest_packets, to_guest_bytes;
	uint64_t flows_created;
	uint64_t flows_revoked; /* denied by a policy swapped in after they started */
	uint64_t icmp_errors_relayed; /* ICMP errors from the uplink passed to this guest */
	uint64_t drops[SBGW_DROP_COUNT];
} __rte_cache_aligned;

/*
 * One generation of a sandbox's policy: what workers classify with and
 * the per-rule hit counters that go with its rule numbers. A policy
 * change at run time (live.c) publishes a new generation and frees the
 * old one after every worker has passed a quiescent state.
 */
struct sbgw_policy_rt {
	struct sbgw_policy_compiled *compiled;
	unsigned int n_rules;
	uint64_t *hits[SBGW_MAX_WORKERS]; /* per worker: n_rules + 1 (last = default) */
};

struct sbgw_port_counters {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t drops[SBGW_DROP_COUNT];
} __rte_cache_aligned;

/*
 * A sandbox as the fast path sees it. Read-only once workers run, except
 * policy (a new generation at run time) and the parts of *cfg that no
 * worker reads (live.c).
 */
struct sbgw_sandbox_rt {
	const struct sbgw_sandbox *cfg;
	uint32_t index;
	uint16_t port_id; /* SBGW_NO_PORT for "none" */
	unsigned int worker;
	struct sbgw_policy_rt *policy; /* replaced at run time: read with sbgw_sandbox_policy() */
	struct rte_ether_addr gw_mac, guest_mac;
	uint8_t gw4[4], guest4[4]; /* network order */
	uint8_t gw6[16], guest6[16];
	uint8_t gw6_ll[16]; /* fe80:: link-local derived from gw_mac, for ND and RA */
	bool v4, v6;        /* families active */
	bool is_host;       /* the host port, attached like a sandbox */
	uint32_t changed_gen; /* the gateway's policy_gen when policy last changed */
};

/* The uplink's next hop, learnt by any worker, read by all. */
#define SBGW_NEIGH_VALID (1ull << 48)
struct sbgw_neigh {
	uint64_t mac; /* 0: unresolved; else 0x1000000000000 | 48-bit MAC */
	uint64_t last_request_tsc;
};

struct sbgw_worker {
	struct sbgw_dataplane *gw;
	unsigned int index;
	unsigned int lcore;
	uint16_t uplink_rxq; /* SBGW_NO_PORT: this worker does not poll the uplink */
	uint16_t uplink_txq;
	struct sbgw_flow_table *flows;
	struct rte_ring *handoff; /* uplink frames whose flow this worker owns */
	struct rte_ring *dns_out; /* DNS responses for the guests this worker serves */
	struct rte_ring *published_in; /* published-port frames for this worker's ports (or NULL) */
	unsigned int n_sandboxes;
	uint32_t *sandboxes; /* indexes of the sandboxes whose ports this worker polls */
	struct sbgw_sandbox_counters *sb_counters; /* [gw->n_sandboxes] */
	struct sbgw_port_counters uplink_counters;
	struct rte_eth_dev_tx_buffer *uplink_txb;
	struct rte_eth_dev_tx_buffer **guest_txb; /* [gw->n_sandboxes], NULL where not ours */
	uint64_t uplink_tx_dropped;
	uint64_t *guest_tx_dropped; /* [gw->n_sandboxes] */
	struct sbgw_frag frag; /* IPv4 reassembly, both directions */
	struct rte_mbuf *pending[2][SBGW_NEIGH_PENDING_MAX]; /* waiting for the next hop, v4/v6 */
	unsigned int n_pending[2];
	uint64_t loops, busy_cycles, busy_packets;
#ifdef SBGW_PROFILE
	struct sbgw_prof prof; /* per-stage cycles: -Dprofile=true, profile.h */
#endif
	uint64_t handed_off; /* uplink frames passed to the worker owning their flow */
	/* Re-judging flows after a policy swap (datapath/revoke.c). */
	uint32_t policy_gen;       /* the gateway's policy_gen the current sweep is for */
	uint32_t swept_gen;        /* every flow has been judged by the policies of this gen */
	uint32_t sweep_left;       /* flow table entries still to look at */
	uint32_t sweep_cursor;
	uint64_t next_advertisement; /* TSC of the next unsolicited router advertisement */
} __rte_cache_aligned;

struct sbgw_dataplane {
	struct sbgw_config *cfg;
	struct rte_mempool *pool;
	struct rte_mempool *indirect_pool; /* fragments of reassembled datagrams */
	struct rte_mempool *jumbo_pool;    /* receive buffers of af_packet ports */
	uint16_t uplink_mtu;
	uint16_t uplink_port;
	uint16_t host_port;
	struct rte_ether_addr uplink_mac;
	uint8_t uplink4[4], next_hop4[4];
	uint8_t uplink6[16], next_hop6[16];
	bool uplink_v6;
	struct sbgw_neigh neigh[2]; /* [0] IPv4 next hop, [1] IPv6 */
	struct sbgw_policy_compiled *floor;
	struct sbgw_pins *pins;             /* DNS answers, for domain rules */
	struct sbgw_dns *dns;               /* the interceptor, on the main lcore */
	struct sbgw_dns_sandbox *dns_sandboxes;
	struct sbgw_publish *publish;                /* published ports (NULL: none) */
	const struct sbgw_publish_owners *published; /* its owner table, read by workers */
	struct sbgw_redirect *redirect;     /* relayed TCP's original destinations; NULL: no relay */
	struct sbgw_relay *relay;           /* on the main lcore, beside the DNS service */
	uint32_t *max_connections; /* per sandbox, read by the flow tables */
	uint32_t n_sandboxes; /* configured sandboxes: sandboxes[0..n_sandboxes) */
	uint32_t n_attached;  /* plus the host port, when there is one, at [n_sandboxes] */
	struct sbgw_sandbox_rt *sandboxes;
	struct sbgw_sandbox host_cfg; /* what the host port's entry points to */
	unsigned int n_workers;
	struct sbgw_worker *workers;
	uint64_t tsc_hz;
	volatile bool stop;
	/* Run-time changes (live.c): bumped after policies were swapped. */
	uint32_t policy_gen;
	pthread_mutex_t live_lock; /* telemetry's readers against freeing generations */
	struct sbgw_retired *retired; /* waiting for the workers' grace period */
	struct sbgw_dlog *dlog;       /* gateway.decision_log; NULL: off */
	bool pdump;                   /* packet capture (dpdk-dumpcap) can attach */
	void (*idle)(void *arg);      /* more main-lcore work (the control socket) */
	void *idle_arg;
};

/* The sandbox's current policy generation: load once per judgement. */
static inline const struct sbgw_policy_rt *sbgw_sandbox_policy(const struct sbgw_sandbox_rt *sb)
{
	return __atomic_load_n(&sb->policy, __ATOMIC_ACQUIRE);
}

/*
 * The flow key of a parsed frame, with the ports the caller chose (an echo
 * flow is keyed by its identifier on the guest's side only).
 */
static inline void sbgw_frame_flow_key(struct sbgw_flow_key *k, uint32_t zone, const uint8_t *frame,
				       const struct sbgw_pkt_info *info, uint16_t sport,
				       uint16_t dport)
{
	const uint8_t *ip = frame + info->l3_off;

	memset(k, 0, sizeof(*k));
	k->zone = zone;
	k->proto = info->proto;
	k->src_port = sport;
	k->dst_port = dport;
	if (info->l3 == SBGW_L3_IPV4) {
		k->family = AF_INET;
		memcpy(k->src, ip + 12, 4);
		memcpy(k->dst, ip + 16, 4);
	} else {
		k->family = AF_INET6;
		memcpy(k->src, ip + 8, 16);
		memcpy(k->dst, ip + 24, 16);
	}
}

/* Datapath entry points (lib/dataplane/datapath/). */
void sbgw_guest_rx(struct sbgw_worker *w, struct sbgw_sandbox_rt *sb, struct rte_mbuf **pkts,
		   uint16_t n, uint64_t now);
void sbgw_uplink_rx(struct sbgw_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
		    bool handed_off);
void sbgw_uplink_tx(struct sbgw_worker *w, struct rte_mbuf *m, unsigned int family, uint64_t now);
/* Transmit a frame with its Ethernet header set on the uplink (counted, split to the MTU). */
void sbgw_uplink_send(struct sbgw_worker *w, struct rte_mbuf *m);
void sbgw_neigh_flush(struct sbgw_worker *w, uint64_t now);
/* Set the next hop's MAC of family (0: IPv4, 1: IPv6) before the workers start. */
void sbgw_neigh_preset(struct sbgw_dataplane *gw, unsigned int family, const uint8_t mac[6]);
/* An unsolicited router advertisement to one of this worker's guests. */
void sbgw_guest_advertise(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb);
/* Send a frame to a guest of this worker (counted, split to the guest's MTU). */
void sbgw_guest_tx(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb, struct rte_mbuf *m);

/*
 * Published ports (datapath/published.c): the relay's frames between the
 * host link and a guest. true when the frame was taken (sent or counted).
 */
bool sbgw_published_from_host(struct sbgw_worker *w, const struct sbgw_sandbox_rt *host,
			      struct rte_mbuf *m, const struct sbgw_pkt_info *info, const uint8_t *ip);
bool sbgw_published_from_guest(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			       struct rte_mbuf *m, const struct sbgw_pkt_info *info);

/* Transmit on a port queue through buf, splitting a datagram longer than mtu. */
void sbgw_tx(struct sbgw_worker *w, uint16_t port, uint16_t queue,
	     struct rte_eth_dev_tx_buffer *buf, struct rte_mbuf *m, uint16_t mtu,
	     uint64_t *drops);

/*
 * Policy swaps (datapath/revoke.c): re-judge a slice of this worker's
 * flows against the sandboxes' current policies, and answer a segment of
 * a revoked TCP flow (dir 0: from the guest, 1: from the uplink) with
 * RSTs to both ends; true when m (turned into that RST) goes on to its
 * destination through the caller's usual path, false when it was consumed.
 */
void sbgw_revalidate(struct sbgw_worker *w, uint64_t now);
bool sbgw_revoked_segment(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			  struct rte_mbuf *m, const struct sbgw_pkt_info *info, unsigned int dir,
			  uint64_t now);

/* live.c: a new generation for compiled, hit counters for n_workers. */
struct sbgw_policy_rt *sbgw_policy_rt_create(struct sbgw_policy_compiled *compiled,
					     unsigned int n_workers);
void sbgw_policy_rt_free(struct sbgw_policy_rt *p, unsigned int n_workers);
void sbgw_live_free_retired(struct sbgw_dataplane *gw, bool all);

/*
 * The PROXY verdict (datapath/redirect.c): send a guest's TCP segment to
 * the relay through the host port, recording its original destination on
 * a SYN. SBGW_DROP_NONE when taken; else the reason to refuse it.
 */
enum sbgw_drop sbgw_redirect_guest(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
				   struct rte_mbuf *m, const struct sbgw_pkt_info *info,
				   uint8_t kind, int32_t rule, uint64_t now);
/*
 * Would one more connection of sb pass its max_connections, counting its
 * NAT flows and its relayed connections (pending and held)? A SYN of a
 * connection the redirect table already has (guest, guest_port) passes;
 * guest NULL: a NAT flow, no such check.
 */
bool sbgw_relay_over_cap(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb, uint8_t family,
			 const uint8_t *guest, uint16_t guest_port, uint64_t now);
/* A segment from the host kernel to a guest: the relay's, turned back? true when taken. */
bool sbgw_redirect_reply(struct sbgw_worker *w, const struct sbgw_sandbox_rt *host,
			 struct rte_mbuf *m, const struct sbgw_pkt_info *info, uint64_t now);

/*
 * The decision log (datapath/decision_log.c): one line for the first
 * packet of a guest's denied or intercepted flow. rule is the deciding
 * rule of the sandbox's policy, -1 its default, SBGW_DECISION_NO_RULE
 * when no rule decided (a limit, the floor, a blocked port).
 */
#define SBGW_DECISION_NO_RULE INT32_MIN
void sbgw_decision_flow(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			const struct rte_mbuf *m, const struct sbgw_pkt_info *info,
			const char *verdict, const char *reason, int32_t rule);
static inline void sbgw_decision_log(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
				     const struct rte_mbuf *m, const struct sbgw_pkt_info *info,
				     const char *verdict, const char *reason, int32_t rule)
{
	if (unlikely(w->gw->dlog != NULL))
		sbgw_decision_flow(w, sb, m, info, verdict, reason, rule);
}

/* ICMP errors from the uplink (datapath/icmp_error.c). */
bool sbgw_icmp_is_error(const struct sbgw_pkt_info *info);
/* Relay one to the guest whose flow it quotes, or drop it (counted). Consumes m. */
void sbgw_icmp_error_to_guest(struct sbgw_worker *w, struct rte_mbuf *m,
			      const struct sbgw_pkt_info *info, bool handed_off);

int sbgw_worker_main(void *arg);
int sbgw_telemetry_register(struct sbgw_dataplane *gw);

#endif
