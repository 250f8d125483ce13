/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore's loop: poll its guest ports, its uplink queue and its
 * hand-off ring, run each burst to completion, flush transmit buffers,
 * and expire a bounded slice of its flow table. It also keeps its own
 * cycle accounting (busy cycles per packet) for benchmarks.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "runtime.h"

#define EXPIRE_BUDGET 64

static void flush_tx(struct sbgw_worker *w)
{
	struct sbgw_dataplane *gw = w->gw;

	rte_eth_tx_buffer_flush(gw->uplink_port, w->uplink_txq, w->uplink_txb);
	for (unsigned int i = 0; i < w->n_sandboxes; i++) {
		uint32_t s = w->sandboxes[i];

		rte_eth_tx_buffer_flush(gw->sandboxes[s].port_id, 0, w->guest_txb[s]);
	}
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

		for (unsigned int i = 0; i < w->n_sandboxes; i++) {
			struct sbgw_sandbox_rt *sb = &gw->sandboxes[w->sandboxes[i]];

			n = rte_eth_rx_burst(sb->port_id, 0, pkts, SBGW_BURST);
			if (n > 0) {
				sbgw_guest_rx(w, sb, pkts, n, start);
				got += n;
			}
		}
		if (w->uplink_rxq != SBGW_NO_PORT) {
			n = rte_eth_rx_burst(gw->uplink_port, w->uplink_rxq, pkts, SBGW_BURST);
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
		sbgw_neigh_flush(w, start);
		flush_tx(w);
		sbgw_flow_expire(w->flows, start, EXPIRE_BUDGET);
		w->loops++;
		if (got > 0) {
			w->busy_cycles += rte_rdtsc() - start;
			w->busy_packets += got;
		}
	}
	flush_tx(w);
	return 0;
}
