/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore's loop: poll its guest ports, its uplink queue and its
 * hand-off ring, run each burst to completion, flush transmit buffers,
 * and expire a slice of its flow table paced by time. It also keeps its own
 * cycle accounting (busy cycles per packet) for benchmarks.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "runtime.h"

/*
 * A sweep of the flow table's used entries takes this long, however fast
 * the loop turns: the work per loop follows the flows there are and the
 * time, and a flow outlives its idle timeout (10 s or more) by at most
 * about this much.
 */
#define EXPIRE_SWEEP_MS 1000
/*
 * Guests that configured IPv6 from an advertisement never solicit again
 * (Linux does not, when the router's lifetime runs out): advertise well
 * within the router lifetime (1800 s).
 */
#define ADVERTISE_INTERVAL_S 300

static void flush_tx(struct sbgw_worker *w)
{
	struct sbgw_dataplane *gw = w->gw;

	rte_eth_tx_buffer_flush(gw->uplink_port, w->uplink_txq, w->uplink_txb);
	for (unsigned int i = 0; i < w->n_sandboxes; i++) {
		uint32_t s = w->sandboxes[i];

		rte_eth_tx_buffer_flush(gw->sandboxes[s].port_id, 0, w->guest_txb[s]);
	}
}

void sbgw_tx(struct sbgw_worker *w, uint16_t port, uint16_t queue,
	     struct rte_eth_dev_tx_buffer *buf, struct rte_mbuf *m, uint16_t mtu, uint64_t *drops)
{
	struct rte_mbuf *frags[SBGW_FRAG_OUT_MAX];
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	int n;

	if (rte_pktmbuf_pkt_len(m) <= (uint32_t)mtu + RTE_ETHER_HDR_LEN ||
	    eth[12] != 0x08 || eth[13] != 0x00) {
		rte_eth_tx_buffer(port, queue, buf, m);
		return;
	}
	/* Only reassembled IPv4 datagrams grow past the MTU; split them again. */
	n = sbgw_frag_split(m, mtu, w->gw->pool, w->gw->indirect_pool, frags);
	if (n < 0) {
		drops[SBGW_DROP_FRAGMENT]++;
		return;
	}
	for (int i = 0; i < n; i++)
		rte_eth_tx_buffer(port, queue, buf, frags[i]);
}

int sbgw_worker_main(void *arg)
{
	struct sbgw_worker *w = arg;
	struct sbgw_dataplane *gw = w->gw;
	struct rte_mbuf *pkts[SBGW_BURST];

	while (!gw->stop) {
		uint64_t start = rte_rdtsc();
		unsigned int got = 0;
		uint16_t n;

		SBGW_PROF_START(w, start); /* profile.h */
		for (unsigned int i = 0; i < w->n_sandboxes; i++) {
			struct sbgw_sandbox_rt *sb = &gw->sandboxes[w->sandboxes[i]];

			n = rte_eth_rx_burst(sb->port_id, 0, pkts, SBGW_BURST);
			SBGW_PROF_MARK(w, SBGW_PROF_RX); /* profile.h */
			if (n > 0) {
				sbgw_guest_rx(w, sb, pkts, n, start);
				got += n;
			}
		}
		if (w->uplink_rxq != SBGW_NO_PORT) {
			n = rte_eth_rx_burst(gw->uplink_port, w->uplink_rxq, pkts, SBGW_BURST);
			SBGW_PROF_MARK(w, SBGW_PROF_RX); /* profile.h */
			if (n > 0) {
				sbgw_uplink_rx(w, pkts, n, start, false);
				got += n;
			}
		}
		n = (uint16_t)rte_ring_dequeue_burst(w->handoff, (void **)pkts, SBGW_BURST, NULL);
		if (n > 0) {
			sbgw_uplink_rx(w, pkts, n, start, true);
			got += n;
		}
		if (w->dns_out != NULL) {
			n = (uint16_t)rte_ring_dequeue_burst(w->dns_out, (void **)pkts, SBGW_BURST,
							     NULL);
			/* The DNS service marks each response with its sandbox. */
			for (uint16_t i = 0; i < n; i++)
				sbgw_guest_tx(w, &gw->sandboxes[pkts[i]->hash.usr], pkts[i]);
			got += n;
		}
		if (w->published_in != NULL) {
			n = (uint16_t)rte_ring_dequeue_burst(w->published_in, (void **)pkts,
							     SBGW_BURST, NULL);
			/* Another worker's published-port frames for our ports, marked with the port. */
			for (uint16_t i = 0; i < n; i++)
				sbgw_guest_tx(w, &gw->sandboxes[pkts[i]->hash.usr], pkts[i]);
			got += n;
		}
		/* Policies swapped at run time: re-judge a slice of the flows (revoke.c). */
		if (unlikely(w->sweep_left > 0 ||
			     __atomic_load_n(&gw->policy_gen, __ATOMIC_RELAXED) != w->policy_gen))
			sbgw_revalidate(w, start);
		if (gw->pins != NULL)
			sbgw_pins_quiescent(gw->pins, w->index);
		if (start >= w->next_advertisement) {
			for (unsigned int i = 0; i < w->n_sandboxes; i++)
				sbgw_guest_advertise(w, &gw->sandboxes[w->sandboxes[i]]);
			w->next_advertisement = start + gw->tsc_hz * ADVERTISE_INTERVAL_S;
		}
		sbgw_neigh_flush(w, start);
		SBGW_PROF_MARK(w, SBGW_PROF_OTHER); /* profile.h */
		flush_tx(w);
		SBGW_PROF_MARK(w, SBGW_PROF_TX); /* profile.h */
		sbgw_flow_expire_paced(w->flows, start, gw->tsc_hz / 1000 * EXPIRE_SWEEP_MS);
		sbgw_frag_expire(&w->frag, start);
		SBGW_PROF_MARK(w, SBGW_PROF_OTHER); /* profile.h */
		SBGW_PROF_END(w); /* profile.h */
		w->loops++;
		if (got > 0) {
			w->busy_cycles += rte_rdtsc() - start;
			w->busy_packets += got;
		}
	}
	flush_tx(w);
	/* A stopped reader must not hold the pin table's writer back. */
	if (gw->pins != NULL)
		sbgw_pins_reader_unregister(gw->pins, w->index);
	return 0;
}
