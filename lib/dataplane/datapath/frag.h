/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragments: reassembled before policy, so that a flow is judged and
 * NATed on its ports (semantics §7: 10 s, 64 datagrams in progress,
 * bounded fragments each), and split again when a reassembled datagram
 * must leave through a port whose MTU it exceeds. One state per worker.
 */
#ifndef SBGW_DATAPLANE_FRAG_H
#define SBGW_DATAPLANE_FRAG_H

#include <stdint.h>

#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "drop.h"
#include "parse.h"

#define SBGW_FRAG_DATAGRAMS 64
#define SBGW_FRAG_TIMEOUT_S 10
#define SBGW_FRAG_OUT_MAX 16

struct sbgw_frag {
	struct rte_ip_frag_tbl *tbl;
	struct rte_ip_frag_death_row death_row;
};

int sbgw_frag_init(struct sbgw_frag *f, uint64_t tsc_hz, int socket);
void sbgw_frag_fini(struct sbgw_frag *f);

/*
 * Hand one IPv4 fragment (described by info) to reassembly. Returns the
 * whole datagram once its last piece arrived, with info describing it
 * again; NULL while pieces are missing (the fragment is kept) or when it
 * was refused (*reason says why; the mbuf is gone either way).
 */
struct rte_mbuf *sbgw_frag_reassemble(struct sbgw_frag *f, struct rte_mbuf *m,
				      struct sbgw_pkt_info *info, uint64_t now,
				      enum sbgw_drop *reason);

/* Free what timed out. Call every loop. */
void sbgw_frag_expire(struct sbgw_frag *f, uint64_t now);

/*
 * Split an IPv4 frame longer than mtu (IP bytes) into fragments, each with
 * m's Ethernet header. m is consumed. Returns the number of frames in out
 * or -errno (-ENOTSUP: DF set; -EMSGSIZE: the first piece could not hold
 * the whole transport header; the caller drops the frame).
 */
int sbgw_frag_split(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *direct,
		    struct rte_mempool *indirect, struct rte_mbuf **out);

#endif
