/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP state from flags alone, enough to pick an idle timeout: the gateway
 * does not check sequence numbers (it does not terminate these
 * connections, the endpoints do), so a state only decides how long an
 * idle flow is kept.
 */
#include <rte_cycles.h>
#include <rte_tcp.h>

#include "flow_priv.h"

#define DEFAULT_TCP_SYN 30
#define DEFAULT_TCP_ESTABLISHED 7440 /* RFC 5382 REQ-5: at least 2 h 4 min */
#define DEFAULT_TCP_CLOSING 120      /* TIME-WAIT: 2 MSL */
#define DEFAULT_TCP_CLOSED 10
#define DEFAULT_UDP 60 /* semantics §7 */
#define DEFAULT_ICMP 30

static uint64_t seconds(uint32_t s, uint32_t dflt, uint64_t hz)
{
	return (uint64_t)(s != 0 ? s : dflt) * hz;
}

void flow_timeouts_init(struct sbgw_flow_table *t, const struct sbgw_flow_timeouts *to)
{
	uint64_t hz = rte_get_tsc_hz();

	t->idle_tcp[SBGW_TCP_NONE] = seconds(to->tcp_syn, DEFAULT_TCP_SYN, hz);
	t->idle_tcp[SBGW_TCP_SYN_SENT] = seconds(to->tcp_syn, DEFAULT_TCP_SYN, hz);
	t->idle_tcp[SBGW_TCP_SYN_RECV] = seconds(to->tcp_syn, DEFAULT_TCP_SYN, hz);
	t->idle_tcp[SBGW_TCP_ESTABLISHED] =
	        seconds(to->tcp_established, DEFAULT_TCP_ESTABLISHED, hz);
	/*
	 * A half-closed connection can still stream the other way for as
	 * long as it likes (shutdown(SHUT_WR) then a long download), so it
	 * keeps the established timeout.
	 */
	t->idle_tcp[SBGW_TCP_FIN_WAIT] = seconds(to->tcp_established, DEFAULT_TCP_ESTABLISHED, hz);
	t->idle_tcp[SBGW_TCP_CLOSING] = seconds(to->tcp_closing, DEFAULT_TCP_CLOSING, hz);
	t->idle_tcp[SBGW_TCP_CLOSED] = seconds(to->tcp_closed, DEFAULT_TCP_CLOSED, hz);
	t->idle_udp = seconds(to->udp, DEFAULT_UDP, hz);
	t->idle_icmp = seconds(to->icmp, DEFAULT_ICMP, hz);
}

/* A fresh SYN: the first of a connection, or one reusing a dead tuple. */
static void open_connection(struct sbgw_flow *f, unsigned int dir)
{
	f->tcp_state = SBGW_TCP_SYN_SENT;
	f->tcp_initiator = (uint8_t)dir;
	f->fin_seen = 0;
}

void sbgw_flow_track_tcp(struct sbgw_flow *f, unsigned int dir, uint8_t tcp_flags, uint64_t now)
{
	bool syn = tcp_flags & RTE_TCP_SYN_FLAG;
	bool ack = tcp_flags & RTE_TCP_ACK_FLAG;

	if (f->guest_key.proto != IPPROTO_TCP)
		return;
	dir &= 1;
	f->last_seen = now;

	if (tcp_flags & RTE_TCP_RST_FLAG) {
		f->tcp_state = SBGW_TCP_CLOSED;
		return;
	}

	switch (f->tcp_state) {
	case SBGW_TCP_NONE:
		if (syn && !ack)
			open_connection(f, dir);
		return;
	case SBGW_TCP_SYN_SENT:
		/*
		 * Only the answer from the other side moves the handshake on;
		 * a FIN before it would let one side alone buy the long
		 * half-closed timeout, so it is ignored.
		 */
		if (syn && ack && dir != f->tcp_initiator)
			f->tcp_state = SBGW_TCP_SYN_RECV;
		return;
	case SBGW_TCP_SYN_RECV:
		if (!syn && ack && dir == f->tcp_initiator)
			f->tcp_state = SBGW_TCP_ESTABLISHED;
		break;
	case SBGW_TCP_ESTABLISHED:
	case SBGW_TCP_FIN_WAIT:
		break;
	case SBGW_TCP_CLOSING:
	case SBGW_TCP_CLOSED:
		/*
		 * A new SYN on a tuple in TIME-WAIT or after a RST is a new
		 * connection (RFC 1122 4.2.2.13 allows reusing TIME-WAIT).
		 */
		if (syn && !ack)
			open_connection(f, dir);
		return;
	default:
		return;
	}

	if (tcp_flags & RTE_TCP_FIN_FLAG) {
		f->fin_seen |= (uint8_t)(1u << dir);
		f->tcp_state = f->fin_seen == 3 ? SBGW_TCP_CLOSING : SBGW_TCP_FIN_WAIT;
	}
}
