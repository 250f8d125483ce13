/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The published-ports service on loopback: the "guest" is an echo server
 * on 127.0.0.1 and the host link is 127.0.0.1 too, so the whole relay
 * (listener, ingress judgement, guest leg, byte pump, resets, UDP
 * mappings, the owner table) runs with real sockets and no fast path.
 * Peers from 127.0.0.2 are denied by an ingress rule.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "eal.h"
#include "publish.h"
#include "testrule.h"

#define ECHO_MAX_FDS 600
#define WAIT_MS 5000

/* The guest: TCP and UDP echo on one loopback port, one thread, poll(). */
struct echo {
	int tcp, udp;
	uint16_t port;
	volatile bool stop;
	pthread_t thread;
};

static void *echo_run(void *arg)
{
	struct echo *e = arg;
	struct pollfd fds[ECHO_MAX_FDS];
	nfds_t n = 2;
	char buf[65536];

	fds[0] = (struct pollfd){.fd = e->tcp, .events = POLLIN};
	fds[1] = (struct pollfd){.fd = e->udp, .events = POLLIN};
	while (!e->stop) {
		if (poll(fds, n, 50) <= 0)
			continue;
		if ((fds[0].revents & POLLIN) && n < ECHO_MAX_FDS) {
			int c = accept(e->tcp, NULL, NULL);

			if (c >= 0)
				fds[n++] = (struct pollfd){.fd = c, .events = POLLIN};
		}
		if (fds[1].revents & POLLIN) {
			struct sockaddr_storage peer;
			socklen_t len = sizeof(peer);
			ssize_t r = recvfrom(e->udp, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
					     &len);

			if (r > 0)
				sendto(e->udp, buf, (size_t)r, 0, (struct sockaddr *)&peer, len);
		}
		for (nfds_t i = 2; i < n; i++) {
			ssize_t r;

			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = recv(fds[i].fd, buf, sizeof(buf), 0);
			if (r > 0 && send(fds[i].fd, buf, (size_t)r, MSG_NOSIGNAL) == r)
				continue;
			close(fds[i].fd);
			fds[i--] = fds[--n];
		}
	}
	for (nfds_t i = 2; i < n; i++)
		close(fds[i].fd);
	return NULL;
}

static int bound_socket(int type, const char *addr, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1;
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, addr, &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

static void echo_start(struct echo *e)
{
	memset(e, 0, sizeof(*e));
	e->tcp = bound_socket(SOCK_STREAM, "127.0.0.1", 0);
	assert_true(e->tcp >= 0);
	e->port = port_of(e->tcp);
	e->udp = bound_socket(SOCK_DGRAM, "127.0.0.1", e->port);
	assert_true(e->udp >= 0);
	assert_int_equal(listen(e->tcp, 512), 0);
	assert_int_equal(pthread_create(&e->thread, NULL, echo_run, e), 0);
}

static void echo_stop(struct echo *e)
{
	e->stop = true;
	pthread_join(e->thread, NULL);
	close(e->tcp);
	close(e->udp);
}

/* A free loopback port for a listener (bound, read, released). */
static uint16_t free_port(int type)
{
	int fd = bound_socket(type, "127.0.0.1", 0);
	uint16_t p = port_of(fd);

	close(fd);
	return p;
}

/* One sandbox "web", guest 127.0.0.1, ingress "deny 127.0.0.2". */
struct fixture {
	struct echo echo;
	struct sbgw_sandbox sb;
	struct sbgw_port_binding ports[3];
	struct sbgw_policy policy;
	struct sbgw_policy_compiled *cp;
	struct sbgw_publish *pub;
	uint16_t tcp_port, udp_port, closed_port;
};

static void binding(struct sbgw_port_binding *b, uint16_t host, uint16_t guest, uint8_t proto)
{
	memset(b, 0, sizeof(*b));
	b->bind = test_addr("127.0.0.1");
	b->host_port = host;
	b->guest_port = guest;
	b->proto = proto;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sbgw_publish_sandbox ps;
	struct sbgw_publish_params p;
	char err[256];

	echo_start(&f->echo);
	snprintf(f->sb.name, sizeof(f->sb.name), "web");
	f->sb.link.guest4 = test_addr("127.0.0.1");
	f->sb.host = test_host();
	f->tcp_port = free_port(SOCK_STREAM);
	f->udp_port = free_port(SOCK_DGRAM);
	f->closed_port = free_port(SOCK_STREAM);
	binding(&f->ports[0], f->tcp_port, f->echo.port, SBGW_PORT_TCP);
	binding(&f->ports[1], f->udp_port, f->echo.port, SBGW_PORT_UDP);
	/* The guest port behind this one has nobody listening. */
	binding(&f->ports[2], f->closed_port, free_port(SOCK_STREAM), SBGW_PORT_TCP);
	f->sb.net.ports = f->ports;
	f->sb.net.n_ports = 3;
	test_policy(&f->policy, "deny/allow", "deny ingress to cidr 127.0.0.2/32", RULES_END);
	f->cp = test_compile(&f->policy);
	ps.cfg = &f->sb;
	ps.compiled = f->cp;
	memset(&p, 0, sizeof(p));
	p.n_sandboxes = 1;
	p.sandboxes = &ps;
	inet_pton(AF_INET, "127.0.0.1", &p.link_addr);
	f->pub = sbgw_publish_create(&p, err, sizeof(err));
	if (f->pub == NULL)
		fail_msg("sbgw_publish_create: %s", err);
	assert_int_equal(sbgw_publish_start(f->pub), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sbgw_publish_free(f->pub);
	sbgw_policy_free(f->cp);
	sbgw_policy_clear(&f->policy);
	echo_stop(&f->echo);
	free(f);
	return 0;
}

static const struct sbgw_publish_counters *counters(const struct fixture *f)
{
	return sbgw_publish_sandbox_counters(f->pub, 0);
}

/* Poll until *v >= want or the deadline passes. */
static void wait_for(const volatile uint64_t *v, uint64_t want)
{
	for (int i = 0; i < WAIT_MS / 10 && *v < want; i++)
		usleep(10000);
	assert_true(*v >= want);
}

static int client(int type, const char *from, uint16_t port)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = WAIT_MS / 1000};
	int fd = bound_socket(type, from, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Read until EOF or a reset; returns the bytes read, or -errno of the failure. */
static ssize_t read_all(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = recv(fd, buf + got, len - got, 0);

		if (n == 0)
			return (ssize_t)got;
		if (n < 0)
			return -errno;
		got += (size_t)n;
		if (got == len)
			return (ssize_t)got;
	}
}

/*
 * Whether the peer saw a reset: a request, then the answer. The reset may
 * come before the request (the send reports it, once) or after it.
 */
static bool was_reset(int fd)
{
	uint8_t buf[16];

	if (fd < 0)
		return fd == -ECONNRESET;
	if (send(fd, "x", 1, MSG_NOSIGNAL) < 0) {
		int e = errno;

		close(fd);
		return e == ECONNRESET || e == EPIPE;
	}
	if (read_all(fd, buf, sizeof(buf)) == -ECONNRESET) {
		close(fd);
		return true;
	}
	close(fd);
	return false;
}

static void publish_tcp_allowed_peer_bytes_echoed_through_half_close(void **state)
{
	struct fixture *f = *state;
	size_t len = 100000; /* fits the buffers on the way, so no reader is needed */
	uint8_t *out = malloc(len), *in = malloc(len + 1);
	int fd = client(SOCK_STREAM, "127.0.0.1", f->tcp_port);

	assert_true(fd >= 0);
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, out + off, len - off < 32768 ? len - off : 32768, 0);

		assert_true(n > 0);
		off += (size_t)n;
	}
	/* Our FIN travels to the guest; the echo server then closes, and that FIN comes back. */
	shutdown(fd, SHUT_WR);
	assert_int_equal(read_all(fd, in, len + 1), (ssize_t)len);
	assert_memory_equal(in, out, len);
	close(fd);
	wait_for(&counters(f)->tcp_accepted, 1);
	free(out);
	free(in);
}

static void publish_tcp_denied_peer_reset_and_counted(void **state)
{
	struct fixture *f = *state;

	assert_true(was_reset(client(SOCK_STREAM, "127.0.0.2", f->tcp_port)));
	assert_int_equal(counters(f)->tcp_denied, 1);
	assert_int_equal(counters(f)->tcp_accepted, 0);
}

static void publish_tcp_closed_guest_port_resets_peer(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[16];
	int fd = client(SOCK_STREAM, "127.0.0.1", f->closed_port);
	ssize_t n = -ECONNRESET;

	if (fd >= 0) {
		n = read_all(fd, buf, sizeof(buf));
		close(fd);
	}
	assert_int_equal(n, -ECONNRESET);
	wait_for(&counters(f)->tcp_guest_refused, 1);
}

/* The fast path's admission: the relay's port is registered for (sandbox 0, guest port). */
static void publish_tcp_relay_port_registered_then_closing(void **state)
{
	struct fixture *f = *state;
	const struct sbgw_publish_owners *o = sbgw_publish_owners(f->pub);
	int fd = client(SOCK_STREAM, "127.0.0.1", f->tcp_port);
	unsigned int found = 0;
	uint16_t port = 0;
	uint8_t c;

	assert_true(fd >= 0);
	/* One byte echoed: the guest leg is connected. */
	assert_int_equal(send(fd, "y", 1, 0), 1);
	assert_int_equal(recv(fd, &c, 1, 0), 1);
	for (uint32_t p = 0; p < SBGW_PUBLISH_PORTS; p++) {
		uint16_t lp = (uint16_t)(SBGW_PUBLISH_PORT_LO + p);

		if (sbgw_publish_owner_admits(sbgw_publish_owner(o, IPPROTO_TCP, lp), 0,
					      f->echo.port, true)) {
			found++;
			port = lp;
		}
	}
	assert_int_equal(found, 1);
	assert_int_equal(sbgw_publish_owner(o, IPPROTO_TCP, 1000), 0);
	assert_false(sbgw_publish_owner_admits(sbgw_publish_owner(o, IPPROTO_TCP, port), 1,
					       f->echo.port, false));
	assert_false(sbgw_publish_owner_admits(sbgw_publish_owner(o, IPPROTO_TCP, port), 0,
					       (uint16_t)(f->echo.port + 1), false));
	/* A normal close: the port still carries the last segments, but no new SYN. */
	shutdown(fd, SHUT_WR);
	assert_int_equal(recv(fd, &c, 1, 0), 0);
	close(fd);
	for (int i = 0; i < WAIT_MS / 10 && counters(f)->tcp_open > 0; i++)
		usleep(10000);
	assert_true(sbgw_publish_owner_admits(sbgw_publish_owner(o, IPPROTO_TCP, port), 0,
					      f->echo.port, false));
	assert_false(sbgw_publish_owner_admits(sbgw_publish_owner(o, IPPROTO_TCP, port), 0,
					       f->echo.port, true));
}

static void publish_tcp_connection_over_limit_reset(void **state)
{
	struct fixture *f = *state;
	int fds[SBGW_PUBLISH_MAX_TCP];
	uint8_t buf[4];
	int extra;
	ssize_t n = -ECONNRESET;

	for (int i = 0; i < SBGW_PUBLISH_MAX_TCP; i++) {
		fds[i] = client(SOCK_STREAM, "127.0.0.1", f->tcp_port);
		assert_true(fds[i] >= 0);
	}
	wait_for(&counters(f)->tcp_open, SBGW_PUBLISH_MAX_TCP);
	extra = client(SOCK_STREAM, "127.0.0.1", f->tcp_port);
	if (extra >= 0) {
		n = read_all(extra, buf, sizeof(buf));
		close(extra);
	}
	assert_int_equal(n, -ECONNRESET);
	assert_int_equal(counters(f)->tcp_limit, 1);
	for (int i = 0; i < SBGW_PUBLISH_MAX_TCP; i++)
		close(fds[i]);
	/* Capacity comes back as they close. */
	for (int i = 0; i < WAIT_MS / 10 && counters(f)->tcp_open > 0; i++)
		usleep(10000);
	assert_int_equal(counters(f)->tcp_open, 0);
}

static void publish_udp_allowed_peer_answered_denied_dropped(void **state)
{
	struct fixture *f = *state;
	char buf[32];
	int ok = client(SOCK_DGRAM, "127.0.0.1", f->udp_port);
	int denied = client(SOCK_DGRAM, "127.0.0.2", f->udp_port);
	struct timeval tv = {.tv_usec = 300000};

	assert_int_equal(send(ok, "ping", 4, 0), 4);
	assert_int_equal(recv(ok, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "ping", 4);
	setsockopt(denied, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(send(denied, "ping", 4, 0), 4);
	assert_int_equal(recv(denied, buf, sizeof(buf), 0), -1);
	assert_int_equal(counters(f)->udp_denied, 1);
	assert_int_equal(counters(f)->udp_peers, 1);
	assert_int_equal(counters(f)->udp_datagrams_out, 1);
	close(ok);
	close(denied);
}

static void publish_busy_port_create_fails_naming_binding(void **state)
{
	struct fixture *f = *state;
	struct sbgw_publish_sandbox ps = {.cfg = &f->sb, .compiled = f->cp};
	struct sbgw_publish_params p = {.n_sandboxes = 1, .sandboxes = &ps};
	char err[256], want[128];

	/* The fixture's own service holds these ports already. */
	assert_null(sbgw_publish_create(&p, err, sizeof(err)));
	snprintf(want, sizeof(want), "sandbox \"web\": published port 127.0.0.1:%u/tcp: ",
		 f->tcp_port);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "Address already in use"));
}

/* A reload: the new policy judges the next peer; the old one may go after sync. */
static void publish_policy_swap_applies_to_next_peer(void **state)
{
	struct fixture *f = *state;
	struct sbgw_policy strict;
	struct sbgw_policy_compiled *cp;

	test_policy(&strict, "deny/deny", RULES_END);
	cp = test_compile(&strict);
	sbgw_publish_set_policy(f->pub, 0, cp);
	sbgw_publish_sync(f->pub);
	sbgw_policy_free(f->cp);
	f->cp = cp;
	assert_true(was_reset(client(SOCK_STREAM, "127.0.0.1", f->tcp_port)));
	assert_int_equal(counters(f)->tcp_denied, 1);
	sbgw_policy_clear(&strict);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                publish_tcp_allowed_peer_bytes_echoed_through_half_close, setup, teardown),
	        cmocka_unit_test_setup_teardown(publish_tcp_denied_peer_reset_and_counted, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(publish_tcp_closed_guest_port_resets_peer, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(publish_tcp_relay_port_registered_then_closing,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(publish_tcp_connection_over_limit_reset, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(publish_udp_allowed_peer_answered_denied_dropped,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(publish_busy_port_create_fails_naming_binding,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(publish_policy_swap_applies_to_next_peer, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, test_eal_setup, test_eal_teardown);
}
