/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DNS service's upstream channels (lib/dns/channels.c) against real
 * UDP sockets on 127.0.0.1: answers reach the query that owns their ID,
 * answers with a wrong ID or from a wrong source never do, many queries
 * share a few sockets, IDs stay random, a late answer to a forgotten query
 * is ignored, retired sockets close, and a port-unreachable error fails
 * the queries in flight on its socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "channels.h"

#define MAXQ 1024
#define WAIT_MS 2000

/* What the callbacks saw. */
struct seen {
	unsigned int answers[MAXQ], errors[MAXQ];
	uint8_t last[MAXQ][64];
	size_t last_len[MAXQ];
	int last_err;
	struct sbgw_dns_chans *c;
	struct sbgw_dns_ticket *tickets; /* forgotten on an answer, like the service does */
};

struct rig {
	int epfd;
	int server;                /* the upstream: a UDP socket on 127.0.0.1 */
	struct sockaddr_in server_sa;
	struct sbgw_dns_chans *c;
	struct seen seen;
	struct sbgw_dns_ticket t[MAXQ];
};

static void on_answer(void *arg, uint32_t cookie, const uint8_t *wire, size_t len)
{
	struct seen *s = arg;

	assert_true(cookie < MAXQ);
	s->answers[cookie]++;
	s->last_len[cookie] = len < sizeof(s->last[0]) ? len : sizeof(s->last[0]);
	memcpy(s->last[cookie], wire, s->last_len[cookie]);
	sbgw_dns_chans_forget(s->c, &s->tickets[cookie]);
}

static void on_error(void *arg, uint32_t cookie, int err)
{
	struct seen *s = arg;

	assert_true(cookie < MAXQ);
	s->errors[cookie]++;
	s->last_err = err;
	s->tickets[cookie].chan = SBGW_DNS_CHAN_NONE;
}

static int udp_on_loopback(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &len), 0);
	return fd;
}

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->epfd = epoll_create1(0);
	assert_true(r->epfd >= 0);
	r->server = udp_on_loopback(&r->server_sa);
	r->c = sbgw_dns_chans_create(r->epfd, MAXQ, on_answer, on_error, &r->seen);
	assert_non_null(r->c);
	r->seen.c = r->c;
	r->seen.tickets = r->t;
	for (unsigned int i = 0; i < MAXQ; i++)
		r->t[i].chan = SBGW_DNS_CHAN_NONE;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	sbgw_dns_chans_free(r->c);
	close(r->server);
	close(r->epfd);
	free(r);
	return 0;
}

/* A query whose bytes after the ID say which one it is. */
static size_t query(uint8_t *buf, unsigned int n)
{
	memset(buf, 0, 12);
	buf[2] = 0x01;
	buf[4] = (uint8_t)(n >> 8);
	buf[5] = (uint8_t)n;
	return 12;
}

static void send_query(struct rig *r, unsigned int n)
{
	uint8_t wire[12];
	size_t len = query(wire, n);

	assert_int_equal(sbgw_dns_chans_send(r->c, (struct sockaddr *)&r->server_sa,
					     sizeof(r->server_sa), wire, len, n, &r->t[n]),
			 0);
	assert_int_not_equal(r->t[n].chan, SBGW_DNS_CHAN_NONE);
	/* The ID went into the message. */
	assert_int_equal(wire[0] << 8 | wire[1], r->t[n].id);
}

/* The upstream receives one datagram: its bytes and where it came from. */
static ssize_t server_recv(struct rig *r, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
	struct pollfd p = {.fd = r->server, .events = POLLIN};
	socklen_t len = sizeof(*from);

	if (poll(&p, 1, WAIT_MS) != 1)
		return -1;
	return recvfrom(r->server, buf, cap, 0, (struct sockaddr *)from, &len);
}

/* Run the channels' side until nothing arrives for a while. */
static void pump(struct rig *r, int quiet_ms)
{
	struct epoll_event evs[16];
	int n;

	while ((n = epoll_wait(r->epfd, evs, 16, quiet_ms)) > 0)
		for (int i = 0; i < n; i++)
			sbgw_dns_chans_recv(r->c, evs[i].data.u32);
	sbgw_dns_chans_reap(r->c, 0, UINT64_MAX, false);
}

/* ---- Tests ------------------------------------------------------------- */

static void answer_reaches_its_query(void **state)
{
	struct rig *r = *state;
	struct sockaddr_in from;
	uint8_t buf[64];
	ssize_t n;

	send_query(r, 7);
	n = server_recv(r, buf, sizeof(buf), &from);
	assert_int_equal(n, 12);
	assert_int_equal(buf[5], 7);
	buf[2] |= 0x80; /* QR */
	buf[6] = 0xab;  /* something only this answer carries */
	assert_int_equal(sendto(r->server, buf, (size_t)n, 0, (struct sockaddr *)&from, sizeof(from)), n);
	pump(r, 200);
	assert_int_equal(r->seen.answers[7], 1);
	assert_int_equal(r->seen.last[7][6], 0xab);
	assert_int_equal(r->t[7].chan, SBGW_DNS_CHAN_NONE);
}

static void wrong_id_and_wrong_source_are_ignored(void **state)
{
	struct rig *r = *state;
	struct sockaddr_in from, other_sa;
	int other = udp_on_loopback(&other_sa);
	uint8_t buf[64], bad[64];
	ssize_t n;

	send_query(r, 3);
	n = server_recv(r, buf, sizeof(buf), &from);
	assert_int_equal(n, 12);
	buf[2] |= 0x80;
	/* Right ID, wrong source port: a spoofer's guess of everything but the port. */
	assert_int_equal(sendto(other, buf, (size_t)n, 0, (struct sockaddr *)&from, sizeof(from)), n);
	/* Right source, wrong ID. */
	memcpy(bad, buf, (size_t)n);
	bad[0] ^= 0x5a;
	assert_int_equal(sendto(r->server, bad, (size_t)n, 0, (struct sockaddr *)&from, sizeof(from)), n);
	pump(r, 200);
	assert_int_equal(r->seen.answers[3], 0);
	assert_int_not_equal(r->t[3].chan, SBGW_DNS_CHAN_NONE); /* still waiting */
	/* The real answer still gets through. */
	assert_int_equal(sendto(r->server, buf, (size_t)n, 0, (struct sockaddr *)&from, sizeof(from)), n);
	pump(r, 200);
	assert_int_equal(r->seen.answers[3], 1);
	close(other);
}

static void late_answer_to_forgotten_query_is_ignored(void **state)
{
	struct rig *r = *state;
	struct sockaddr_in from;
	uint8_t buf[64];
	ssize_t n;

	send_query(r, 5);
	n = server_recv(r, buf, sizeof(buf), &from);
	assert_int_equal(n, 12);
	sbgw_dns_chans_forget(r->c, &r->t[5]); /* a timeout moved it on */
	assert_int_equal(r->t[5].chan, SBGW_DNS_CHAN_NONE);
	sbgw_dns_chans_forget(r->c, &r->t[5]); /* idempotent */
	buf[2] |= 0x80;
	assert_int_equal(sendto(r->server, buf, (size_t)n, 0, (struct sockaddr *)&from, sizeof(from)), n);
	pump(r, 200);
	assert_int_equal(r->seen.answers[5], 0);
}

/*
 * 1000 queries in flight at once: each answer, sent back in reverse order,
 * reaches exactly its own query; they share at most four sockets, more
 * than one; the IDs look random.
 */
static void many_queries_share_few_sockets(void **state)
{
	struct rig *r = *state;
	enum { N = 1000 };
	static uint8_t got[N][12];
	static struct sockaddr_in from[N];
	static uint8_t id_seen[65536];
	unsigned int distinct_ids = 0, distinct_ports = 0, ascending = 0;
	uint16_t ports[8];

	for (unsigned int i = 0, done = 0; i < N; i++) {
		send_query(r, i);
		/* The upstream reads as it goes, or its receive buffer would overflow. */
		if (i % 64 != 63 && i != N - 1)
			continue;
		for (; done <= i; done++) {
			unsigned int k, id;

			assert_int_equal(server_recv(r, got[done], sizeof(got[done]), &from[done]), 12);
			id = (unsigned int)(got[done][0] << 8 | got[done][1]);
			if (!id_seen[id]++)
				distinct_ids++;
			if (done > 0 && id > (unsigned int)(got[done - 1][0] << 8 | got[done - 1][1]))
				ascending++;
			for (k = 0; k < distinct_ports && ports[k] != from[done].sin_port; k++)
				;
			if (k == distinct_ports && k < 8)
				ports[distinct_ports++] = from[done].sin_port;
		}
	}
	assert_true(sbgw_dns_chans_open(r->c) <= 4);
	print_message("%u distinct IDs of %u, %u source ports, %u ascending steps\n", distinct_ids, N,
		      distinct_ports, ascending);
	/* 1000 random draws of 16 bits: about 992 distinct; a counter would give 1000 ascending. */
	assert_true(distinct_ids >= 970);
	assert_true(ascending > 350 && ascending < 650);
	assert_true(distinct_ports >= 2 && distinct_ports <= 4);
	for (unsigned int i = N; i-- > 0;) {
		got[i][2] |= 0x80;
		got[i][6] = (uint8_t)(i * 7);
		assert_int_equal(sendto(r->server, got[i], 12, 0, (struct sockaddr *)&from[i],
					sizeof(from[i])),
				 12);
		if (i % 64 == 0)
			pump(r, 0); /* keep the sockets' receive buffers from overflowing */
	}
	pump(r, 300);
	for (unsigned int i = 0; i < N; i++) {
		assert_int_equal(r->seen.answers[i], 1);
		assert_int_equal(r->seen.last[i][5], (uint8_t)i);
		assert_int_equal(r->seen.last[i][6], (uint8_t)(i * 7));
	}
}

/*
 * A socket carries 512 queries and is then retired: over 2,100 queries
 * (more than four sockets' worth) the upstream sees new source ports, and
 * the retired sockets close once empty.
 */
static void retired_sockets_close(void **state)
{
	struct rig *r = *state;
	struct sockaddr_in from;
	uint16_t ports[32];
	unsigned int n_ports = 0;
	uint8_t buf[64];

	for (unsigned int i = 0; i < 2100; i++) {
		unsigned int q = i % MAXQ, k;

		r->seen.answers[q] = 0;
		send_query(r, q);
		assert_int_equal(server_recv(r, buf, sizeof(buf), &from), 12);
		for (k = 0; k < n_ports && ports[k] != from.sin_port; k++)
			;
		if (k == n_ports && k < 32)
			ports[n_ports++] = from.sin_port;
		buf[2] |= 0x80;
		assert_int_equal(sendto(r->server, buf, 12, 0, (struct sockaddr *)&from, sizeof(from)), 12);
		pump(r, 0);
		if (r->seen.answers[q] == 0)
			pump(r, 100);
		assert_int_equal(r->seen.answers[q], 1);
		sbgw_dns_chans_reap(r->c, 0, UINT64_MAX, true);
		assert_true(sbgw_dns_chans_open(r->c) <= 4);
	}
	print_message("%u source ports over 2100 queries\n", n_ports);
	assert_true(n_ports >= 5);
	/* Long idle: everything closes. */
	sbgw_dns_chans_reap(r->c, UINT64_MAX, 1, true);
	assert_int_equal(sbgw_dns_chans_open(r->c), 0);
}

/* A closed port answers with ICMP port unreachable: the queries in flight there fail. */
static void port_unreachable_fails_queries(void **state)
{
	struct rig *r = *state;
	struct sockaddr_in closed;
	int fd = udp_on_loopback(&closed);
	uint8_t wire[12];

	close(fd); /* nothing listens there any more */
	/*
	 * Eight queries over at most four sockets: the later ones meet the
	 * earlier ones' errors when they send, and those errors still reach
	 * the earlier queries.
	 */
	for (unsigned int i = 0; i < 8; i++) {
		size_t len = query(wire, i);

		/* A shared socket may report the first error on a later send: still no failure here. */
		assert_int_equal(sbgw_dns_chans_send(r->c, (struct sockaddr *)&closed, sizeof(closed),
						     wire, len, i, &r->t[i]),
				 0);
	}
	pump(r, 200);
	for (unsigned int i = 0; i < 8; i++) {
		assert_int_equal(r->seen.answers[i], 0);
		assert_int_equal(r->seen.errors[i], 1);
	}
	assert_int_equal(r->seen.last_err, ECONNREFUSED);
	/* The failed socket closes at the next tick; the others are idle. */
	sbgw_dns_chans_reap(r->c, 0, UINT64_MAX, true);
	send_query(r, 9); /* the working upstream is unaffected */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(answer_reaches_its_query, setup, teardown),
	        cmocka_unit_test_setup_teardown(wrong_id_and_wrong_source_are_ignored, setup, teardown),
	        cmocka_unit_test_setup_teardown(late_answer_to_forgotten_query_is_ignored, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(many_queries_share_few_sockets, setup, teardown),
	        cmocka_unit_test_setup_teardown(retired_sockets_close, setup, teardown),
	        cmocka_unit_test_setup_teardown(port_unreachable_fails_queries, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
