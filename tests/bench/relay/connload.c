/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Short-connection load for the relay benchmark (tests/bench/relay/run.sh):
 * a client that keeps a fixed number of TCP connections opening and
 * closing, and a sink server for it. One thread, epoll, non-blocking.
 *
 *   connload serve ADDR PORT
 *       accept, write one byte, close (the server closes first)
 *   connload connect ADDR PORT SECONDS CONCURRENCY MODE
 *       MODE read: a connection is done when its byte and its EOF came
 *                  (proof that whatever is in between dialled the sink)
 *       MODE shut: connect, send our FIN at once, done at the peer's EOF
 *   Prints, at the end, one line:
 *       done N failed M seconds S rate R
 *   (rate: done per second over the run, the first second left out so the
 *   ramp-up does not count).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

static int parse_addr(const char *a, const char *p, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	int port = atoi(p);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*sl = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*sin6);
		return 0;
	}
	fprintf(stderr, "connload: bad address %s\n", a);
	return -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int serve(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	struct epoll_event ev, evs[MAX_EVENTS];
	socklen_t sl;
	int one = 1, lfd, ep;

	if (parse_addr(addr, port, &ss, &sl) < 0)
		return 2;
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, sl) < 0 || listen(lfd, 4096) < 0) {
		perror("connload: listen");
		return 1;
	}
	ep = epoll_create1(0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("serving\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1);

		for (int i = 0; i < n; i++) {
			for (;;) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

				if (fd < 0)
					break;
				(void)!write(fd, "x", 1);
				close(fd);
			}
		}
	}
}

struct client {
	const struct sockaddr_storage *ss;
	socklen_t sl;
	bool shut;
	int ep;
	uint64_t done, failed, done_after_warmup;
};

static void open_one(struct client *c)
{
	for (int tries = 0; tries < 100; tries++) {
		struct epoll_event ev;
		int fd = socket(c->ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (fd < 0)
			return;
		if (connect(fd, (const struct sockaddr *)c->ss, c->sl) < 0 && errno != EINPROGRESS) {
			close(fd);
			c->failed++;
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
		ev.data.fd = fd;
		epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev);
		return;
	}
}

/* One event on a connection: true when it is finished (done or failed). */
static bool step(struct client *c, int fd, uint32_t events, bool *ok)
{
	char buf[64];
	int err = 0;
	socklen_t len = sizeof(err);

	if (events & EPOLLERR) {
		*ok = false;
		return true;
	}
	if ((events & EPOLLOUT) && !(events & EPOLLIN)) {
		struct epoll_event ev;

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			*ok = false;
			return true;
		}
		if (c->shut)
			shutdown(fd, SHUT_WR);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.fd = fd;
		epoll_ctl(c->ep, EPOLL_CTL_MOD, fd, &ev);
		return false;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0) {
			*ok = true;
			return true;
		}
		if (n < 0) {
			if (errno == EAGAIN)
				return false;
			*ok = false;
			return true;
		}
	}
}

static int load(const char *addr, const char *port, double seconds, int conc, const char *mode)
{
	struct sockaddr_storage ss;
	struct epoll_event evs[MAX_EVENTS];
	struct client c;
	double start, warm, end;

	memset(&c, 0, sizeof(c));
	if (parse_addr(addr, port, &ss, &c.sl) < 0)
		return 2;
	c.ss = &ss;
	c.shut = strcmp(mode, "shut") == 0;
	c.ep = epoll_create1(0);
	start = now_s();
	warm = start + 1.0;
	end = start + seconds;
	for (int i = 0; i < conc; i++)
		open_one(&c);
	while (now_s() < end) {
		int n = epoll_wait(c.ep, evs, MAX_EVENTS, 100);
		bool after = now_s() >= warm;

		for (int i = 0; i < n; i++) {
			bool ok = false;
			int fd = evs[i].data.fd;

			if (!step(&c, fd, evs[i].events, &ok))
				continue;
			close(fd); /* also leaves the epoll set */
			if (ok) {
				c.done++;
				if (after)
					c.done_after_warmup++;
			} else {
				c.failed++;
			}
			open_one(&c);
		}
	}
	printf("done %llu failed %llu seconds %.1f rate %.0f\n", (unsigned long long)c.done,
	       (unsigned long long)c.failed, seconds,
	       seconds > 1.0 ? (double)c.done_after_warmup / (seconds - 1.0) : 0.0);
	return c.done > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], argv[3]);
	if (argc == 7 && strcmp(argv[1], "connect") == 0)
		return load(argv[2], argv[3], atof(argv[4]), atoi(argv[5]), argv[6]);
	fprintf(stderr, "usage: connload serve ADDR PORT\n"
			"       connload connect ADDR PORT SECONDS CONCURRENCY read|shut\n");
	return 2;
}
