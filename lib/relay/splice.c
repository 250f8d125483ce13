/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host services (semantics §3.6): a guest's connection to the gateway's
 * address on a port reaches the host's own loopback service on that port,
 * 127.0.0.1 first for the IPv4 gateway (then ::1), ::1 first for the IPv6
 * one (then 127.0.0.1). Nothing listening on either: the guest's
 * connection, already established with the relay, is reset. Then bytes
 * go both ways, each direction closed (FIN) when its sender closes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay_priv.h"

/* Dial the loopback of the family to try now. 0, or -errno when that failed at once. */
static int dial(struct sbgw_relay *r, struct conn *c)
{
	bool v6 = (c->e.family == AF_INET6) != c->fallback;
	struct sockaddr_storage ss;
	struct epoll_event ev;
	socklen_t sl;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (c->e.kind == SBGW_REDIRECT_DEFERRED) { /* the destination the guest asked for */
		v6 = c->e.family == AF_INET6;
		if (v6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(c->e.dst_port);
			memcpy(&sin6->sin6_addr, c->e.dst, 16);
			sl = sizeof(*sin6);
		} else {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			sin->sin_port = htons(c->e.dst_port);
			memcpy(&sin->sin_addr, c->e.dst, 4);
			sl = sizeof(*sin);
		}
	} else if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(c->e.dst_port);
		sin6->sin6_addr = in6addr_loopback;
		sl = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(c->e.dst_port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*sin);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLOUT;
	ev.data.u64 = (uint64_t)c->gen << 32 | (uint64_t)c->index << 1 | UPSTREAM;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	c->fd[UPSTREAM] = fd;
	c->interest[UPSTREAM] = EPOLLOUT;
	return 0;
}

/* The first family failed (refused, unreachable): the other, or reset the guest. */
static void dial_failed(struct sbgw_relay *r, struct conn *c)
{
	if (c->fd[UPSTREAM] >= 0) {
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->fd[UPSTREAM], NULL);
		close(c->fd[UPSTREAM]);
		c->fd[UPSTREAM] = -1;
	}
	/* An upstream the guest named has no fallback: the guest sees a reset (§2.11). */
	if (c->e.kind == SBGW_REDIRECT_DEFERRED)
		c->fallback = true;
	while (!c->fallback) {
		c->fallback = true;
		r->c.host_fallback++;
		if (dial(r, c) == 0)
			return;
	}
	if (c->e.kind == SBGW_REDIRECT_DEFERRED)
		r->c.upstream_failed++;
	else
		r->c.host_refused++;
	sbgw_relay_close(r, c, true);
}

static void pump(struct sbgw_relay *r, struct conn *c)
{
	uint64_t *counted[2] = {&r->c.bytes_from_guest, &r->c.bytes_to_guest};
	for (int side = 0; side < 2; side++) {
		int other = 1 - side;

		/* Read from side into the pipe towards the other. */
		while (!c->eof[side]) {
			ssize_t n = sbgw_pipe_fill(&c->to[other], c->fd[side], counted[side]);

			if (n == -EAGAIN)
				break;
			if (n < 0) { /* a reset on one side resets the other */
				sbgw_relay_close(r, c, true);
				return;
			}
			if (n == 0)
				c->eof[side] = true;
		}
		if (sbgw_pipe_flush(&c->to[other], c->fd[other], counted[side]) < 0) {
			sbgw_relay_close(r, c, true);
			return;
		}
		/* Everything side sent is delivered: pass its FIN on. */
		if (c->eof[side] && !c->shut[other] && sbgw_pipe_len(&c->to[other]) == 0) {
			shutdown(c->fd[other], SHUT_WR);
			c->shut[other] = true;
		}
	}
	if (c->shut[GUEST] && c->shut[UPSTREAM]) {
		sbgw_relay_close(r, c, false);
		return;
	}
	for (int side = 0; side < 2; side++) {
		uint32_t want = 0;

		if (!c->eof[side] && sbgw_pipe_room(&c->to[1 - side]) > 0)
			want |= EPOLLIN;
		if (sbgw_pipe_len(&c->to[side]) > 0)
			want |= EPOLLOUT;
		if (sbgw_relay_watch(r, c, side, want) < 0) {
			sbgw_relay_close(r, c, true);
			return;
		}
	}
}

void sbgw_relay_host_start(struct sbgw_relay *r, struct conn *c)
{
	c->deadline = sbgw_relay_now() + r->p.tsc_hz * SBGW_RELAY_CONNECT_TIMEOUT_S;
	if (dial(r, c) < 0)
		dial_failed(r, c);
}

void sbgw_relay_host_event(struct sbgw_relay *r, struct conn *c, int side)
{
	if (c->state == CONN_DIALING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (side != UPSTREAM)
			return;
		if (getsockopt(c->fd[UPSTREAM], SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			dial_failed(r, c);
			return;
		}
		c->state = CONN_SPLICING;
		c->deadline = 0;
		r->c.host_connected++;
	}
	pump(r, c);
}
