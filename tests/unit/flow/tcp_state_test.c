/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP state tracking from flags (lib/flow/tcp.c); needs no EAL. */
#include <netinet/in.h>
#include <string.h>

#include <rte_tcp.h>

#include "flow_test_util.h"

#define GUEST 0
#define REMOTE 1
#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define FIN RTE_TCP_FIN_FLAG
#define RST RTE_TCP_RST_FLAG
#define PSH RTE_TCP_PSH_FLAG

static struct sbgw_flow tcp_flow(void)
{
	struct sbgw_flow f;

	memset(&f, 0, sizeof(f));
	f.guest_key.family = AF_INET;
	f.guest_key.proto = IPPROTO_TCP;
	return f;
}

static struct sbgw_flow established(void)
{
	struct sbgw_flow f = tcp_flow();

	sbgw_flow_track_tcp(&f, GUEST, SYN, 1);
	sbgw_flow_track_tcp(&f, REMOTE, SYN | ACK, 2);
	sbgw_flow_track_tcp(&f, GUEST, ACK, 3);
	return f;
}

static void tcp_guest_syn_syn_sent(void **state)
{
	struct sbgw_flow f = tcp_flow();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, SYN, 1);
	assert_int_equal(f.tcp_state, SBGW_TCP_SYN_SENT);
	assert_int_equal(f.tcp_initiator, GUEST);
	/* A retransmitted SYN changes nothing. */
	sbgw_flow_track_tcp(&f, GUEST, SYN, 2);
	assert_int_equal(f.tcp_state, SBGW_TCP_SYN_SENT);
}

static void tcp_remote_syn_ack_syn_recv(void **state)
{
	struct sbgw_flow f = tcp_flow();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, SYN, 1);
	sbgw_flow_track_tcp(&f, REMOTE, SYN | ACK, 2);
	assert_int_equal(f.tcp_state, SBGW_TCP_SYN_RECV);
}

static void tcp_syn_ack_from_initiator_ignored(void **state)
{
	struct sbgw_flow f = tcp_flow();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, SYN, 1);
	sbgw_flow_track_tcp(&f, GUEST, SYN | ACK, 2);
	assert_int_equal(f.tcp_state, SBGW_TCP_SYN_SENT);
}

static void tcp_handshake_final_ack_established(void **state)
{
	struct sbgw_flow f = tcp_flow();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, SYN, 1);
	sbgw_flow_track_tcp(&f, REMOTE, SYN | ACK, 2);
	/* An ACK from the answering side does not complete the handshake. */
	sbgw_flow_track_tcp(&f, REMOTE, ACK, 3);
	assert_int_equal(f.tcp_state, SBGW_TCP_SYN_RECV);
	sbgw_flow_track_tcp(&f, GUEST, ACK, 4);
	assert_int_equal(f.tcp_state, SBGW_TCP_ESTABLISHED);
	sbgw_flow_track_tcp(&f, REMOTE, ACK | PSH, 5);
	assert_int_equal(f.tcp_state, SBGW_TCP_ESTABLISHED);
}

static void tcp_remote_initiated_handshake_established(void **state)
{
	struct sbgw_flow f = tcp_flow();

	(void)state;
	sbgw_flow_track_tcp(&f, REMOTE, SYN, 1);
	assert_int_equal(f.tcp_initiator, REMOTE);
	sbgw_flow_track_tcp(&f, GUEST, SYN | ACK, 2);
	sbgw_flow_track_tcp(&f, REMOTE, ACK, 3);
	assert_int_equal(f.tcp_state, SBGW_TCP_ESTABLISHED);
}

static void tcp_guest_fin_fin_wait(void **state)
{
	struct sbgw_flow f = established();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, FIN | ACK, 10);
	assert_int_equal(f.tcp_state, SBGW_TCP_FIN_WAIT);
	assert_int_equal(f.fin_seen, 1);
	/* Retransmitted FIN from the same side: still one side closed. */
	sbgw_flow_track_tcp(&f, GUEST, FIN | ACK, 11);
	assert_int_equal(f.tcp_state, SBGW_TCP_FIN_WAIT);
	sbgw_flow_track_tcp(&f, REMOTE, ACK, 12);
	assert_int_equal(f.tcp_state, SBGW_TCP_FIN_WAIT);
}

static void tcp_both_fins_closing(void **state)
{
	struct sbgw_flow f = established();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, FIN | ACK, 10);
	sbgw_flow_track_tcp(&f, REMOTE, FIN | ACK, 11);
	assert_int_equal(f.tcp_state, SBGW_TCP_CLOSING);
	assert_int_equal(f.fin_seen, 3);
	sbgw_flow_track_tcp(&f, GUEST, ACK, 12);
	assert_int_equal(f.tcp_state, SBGW_TCP_CLOSING);
}

static void tcp_remote_fin_first_then_guest_closing(void **state)
{
	struct sbgw_flow f = established();

	(void)state;
	sbgw_flow_track_tcp(&f, REMOTE, FIN | ACK, 10);
	assert_int_equal(f.tcp_state, SBGW_TCP_FIN_WAIT);
	assert_int_equal(f.fin_seen, 2);
	sbgw_flow_track_tcp(&f, GUEST, FIN | ACK, 11);
	assert_int_equal(f.tcp_state, SBGW_TCP_CLOSING);
}

static void tcp_rst_any_state_closed(void **state)
{
	(void)state;
	for (unsigned int dir = 0; dir < 2; dir++) {
		struct sbgw_flow f = tcp_flow();

		sbgw_flow_track_tcp(&f, GUEST, SYN, 1);
		sbgw_flow_track_tcp(&f, dir, RST, 2);
		assert_int_equal(f.tcp_state, SBGW_TCP_CLOSED);

		f = established();
		sbgw_flow_track_tcp(&f, dir, RST | ACK, 4);
		assert_int_equal(f.tcp_state, SBGW_TCP_CLOSED);

		f = established();
		sbgw_flow_track_tcp(&f, GUEST, FIN | ACK, 4);
		sbgw_flow_track_tcp(&f, dir, RST, 5);
		assert_int_equal(f.tcp_state, SBGW_TCP_CLOSED);

		f = established();
		sbgw_flow_track_tcp(&f, GUEST, FIN | ACK, 4);
		sbgw_flow_track_tcp(&f, REMOTE, FIN | ACK, 5);
		sbgw_flow_track_tcp(&f, dir, RST, 6);
		assert_int_equal(f.tcp_state, SBGW_TCP_CLOSED);
	}
}

static void tcp_closed_data_stays_closed(void **state)
{
	struct sbgw_flow f = established();

	(void)state;
	sbgw_flow_track_tcp(&f, REMOTE, RST, 4);
	sbgw_flow_track_tcp(&f, GUEST, ACK | PSH, 5);
	sbgw_flow_track_tcp(&f, GUEST, FIN | ACK, 6);
	assert_int_equal(f.tcp_state, SBGW_TCP_CLOSED);
}

static void tcp_fin_before_handshake_ignored(void **state)
{
	struct sbgw_flow f = tcp_flow();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, SYN, 1);
	sbgw_flow_track_tcp(&f, GUEST, FIN, 2);
	assert_int_equal(f.tcp_state, SBGW_TCP_SYN_SENT);
	assert_int_equal(f.fin_seen, 0);
}

static void tcp_new_syn_after_closing_reopens(void **state)
{
	struct sbgw_flow f = established();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, FIN | ACK, 10);
	sbgw_flow_track_tcp(&f, REMOTE, FIN | ACK, 11);
	sbgw_flow_track_tcp(&f, GUEST, SYN, 12);
	assert_int_equal(f.tcp_state, SBGW_TCP_SYN_SENT);
	assert_int_equal(f.fin_seen, 0);
}

static void tcp_new_syn_after_rst_reopens(void **state)
{
	struct sbgw_flow f = established();

	(void)state;
	sbgw_flow_track_tcp(&f, REMOTE, RST, 10);
	sbgw_flow_track_tcp(&f, GUEST, SYN, 11);
	assert_int_equal(f.tcp_state, SBGW_TCP_SYN_SENT);
}

static void tcp_syn_in_established_ignored(void **state)
{
	struct sbgw_flow f = established();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, SYN, 10);
	assert_int_equal(f.tcp_state, SBGW_TCP_ESTABLISHED);
}

static void tcp_midstream_ack_without_syn_stays_none(void **state)
{
	struct sbgw_flow f = tcp_flow();

	(void)state;
	sbgw_flow_track_tcp(&f, GUEST, ACK, 1);
	assert_int_equal(f.tcp_state, SBGW_TCP_NONE);
}

static void tcp_track_refreshes_last_seen(void **state)
{
	struct sbgw_flow f = established();

	(void)state;
	sbgw_flow_track_tcp(&f, REMOTE, ACK, 777);
	assert_int_equal(f.last_seen, 777);
}

static void tcp_track_udp_flow_untouched(void **state)
{
	struct sbgw_flow f = tcp_flow();

	(void)state;
	f.guest_key.proto = IPPROTO_UDP;
	sbgw_flow_track_tcp(&f, GUEST, SYN, 5);
	sbgw_flow_track_tcp(&f, REMOTE, RST, 6);
	assert_int_equal(f.tcp_state, SBGW_TCP_NONE);
	assert_int_equal(f.last_seen, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(tcp_guest_syn_syn_sent),
	        cmocka_unit_test(tcp_remote_syn_ack_syn_recv),
	        cmocka_unit_test(tcp_syn_ack_from_initiator_ignored),
	        cmocka_unit_test(tcp_handshake_final_ack_established),
	        cmocka_unit_test(tcp_remote_initiated_handshake_established),
	        cmocka_unit_test(tcp_guest_fin_fin_wait),
	        cmocka_unit_test(tcp_both_fins_closing),
	        cmocka_unit_test(tcp_remote_fin_first_then_guest_closing),
	        cmocka_unit_test(tcp_rst_any_state_closed),
	        cmocka_unit_test(tcp_closed_data_stays_closed),
	        cmocka_unit_test(tcp_fin_before_handshake_ignored),
	        cmocka_unit_test(tcp_new_syn_after_closing_reopens),
	        cmocka_unit_test(tcp_new_syn_after_rst_reopens),
	        cmocka_unit_test(tcp_syn_in_established_ignored),
	        cmocka_unit_test(tcp_midstream_ack_without_syn_stays_none),
	        cmocka_unit_test(tcp_track_refreshes_last_seen),
	        cmocka_unit_test(tcp_track_udp_flow_untouched),
	};

	return cmocka_run_group_tests_name("tcp_state", tests, NULL, NULL);
}
