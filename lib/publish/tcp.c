/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Published TCP ports: accept, judge the peer, open the guest leg, and
 * relay bytes both ways with half-closes passed on; a denied peer, a peer
 * over the limit or a closed guest port gets a reset (semantics §6).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

#define ACCEPTS_PER_EVENT 64

void pub_tcp_reset(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	/* Zero linger: close() sends RST instead of FIN. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void unlink_conn(struct sbgw_publish *pub, struct pub_conn *c)
{
	struct pub_sandbox *sb = &pub->sb[c->sandbox];

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		sb->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	sb->c.tcp_open--;
	c->dead = true;
	c->next = pub->dead_conns;
	pub->dead_conns = c;
}

/*
 * Both ways finished: close normally. The guest leg's port stays
 * registered as closing, since its socket may still exchange the last
 * FIN and ACK with the guest; the next connection that binds the port
 * takes it over.
 */
static void finish(struct sbgw_publish *pub, struct pub_conn *c)
{
	pub_retire_port(pub, c->link_port);
	close(c->peer_fd);
	close(c->guest_fd);
	unlink_conn(pub, c);
}

/* Something failed: reset both sides, so neither waits for data that will not come. */
static void abort_conn(struct sbgw_publish *pub, struct pub_conn *c)
{
	pub_tcp_reset(c->peer_fd);
	pub_release_port(pub, SOCK_STREAM, c->link_port);
	pub_tcp_reset(c->guest_fd);
	unlink_conn(pub, c);
}

void pub_tcp_reap(struct sbgw_publish *pub)
{
	while (pub->dead_conns != NULL) {
		struct pub_conn *c = pub->dead_conns;

		pub->dead_conns = c->next;
		free(c->dir[0].buf);
		free(c->dir[1].buf);
		free(c);
	}
}

void pub_tcp_close_all(struct sbgw_publish *pub)
{
	for (unsigned int i = 0; i < pub->n_sandboxes; i++)
		while (pub->sb[i].conns != NULL)
			abort_conn(pub, pub->sb[i].conns);
}

/* Move what can move in direction d (0: peer → guest, 1: guest → peer). -1: the connection failed. */
static int pump(struct pub_conn *c, unsigned int d)
{
	int src = d == 0 ? c->peer_fd : c->guest_fd;
	int dst = d == 0 ? c->guest_fd : c->peer_fd;
	__typeof__(c->dir[0]) *q = &c->dir[d];

	for (;;) {
		bool progress = false;

		if (!q->eof && q->len < PUB_BUF) {
			ssize_t n = recv(src, q->buf + q->len, PUB_BUF - q->len, 0);

			if (n > 0) {
				q->len += (uint32_t)n;
				progress = true;
			} else if (n == 0) {
				q->eof = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		while (q->off < q->len) {
			ssize_t n = send(dst, q->buf + q->off, q->len - q->off, MSG_NOSIGNAL);

			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				return -1;
			}
			q->off += (uint32_t)n;
			progress = true;
		}
		if (q->off == q->len)
			q->off = q->len = 0;
		if (!progress)
			break;
	}
	if (q->eof && q->len == 0 && !q->shut) {
		shutdown(dst, SHUT_WR);
		q->shut = true;
	}
	return 0;
}

static int watch(struct sbgw_publish *pub, int fd, struct pub_ref *ref, uint32_t *cur,
		 uint32_t want)
{
	if (*cur == want)
		return 0;
	*cur = want;
	return pub_epoll(pub, EPOLL_CTL_MOD, fd, want, ref);
}

/* Register interest in what each side can do next. */
static int rearm(struct sbgw_publish *pub, struct pub_conn *c)
{
	uint32_t peer = 0, guest = 0;

	if (!c->connected) {
		guest = EPOLLOUT;
	} else {
		if (!c->dir[0].eof && c->dir[0].len < PUB_BUF)
			peer |= EPOLLIN;
		if (c->dir[1].len > 0)
			peer |= EPOLLOUT;
		if (!c->dir[1].eof && c->dir[1].len < PUB_BUF)
			guest |= EPOLLIN;
		if (c->dir[0].len > 0)
			guest |= EPOLLOUT;
	}
	if (watch(pub, c->peer_fd, &c->peer_ref, &c->peer_events, peer) < 0 ||
	    watch(pub, c->guest_fd, &c->guest_ref, &c->guest_events, guest) < 0)
		return -1;
	return 0;
}

void pub_tcp_event(struct sbgw_publish *pub, struct pub_conn *c, bool guest_side,
		   uint32_t events)
{
	struct pub_sandbox *sb = &pub->sb[c->sandbox];

	if (!c->connected) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!guest_side) {
			/* The peer waits until the guest has answered, unless it is gone already. */
			if (events & (EPOLLHUP | EPOLLERR))
				abort_conn(pub, c);
			return;
		}
		if (getsockopt(c->guest_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0) {
			sb->c.tcp_guest_refused++;
			if (pub_log_allowed(pub))
				PUB_LOG(INFO, "sandbox %s: guest port refused a published connection: %s",
				sb->p.cfg->name, strerror(err));
			abort_conn(pub, c);
			return;
		}
		c->connected = true;
		sb->c.tcp_accepted++;
	}
	if (pump(c, 0) < 0 || pump(c, 1) < 0) {
		abort_conn(pub, c);
		return;
	}
	if (c->dir[0].shut && c->dir[1].shut) {
		finish(pub, c);
		return;
	}
	if (rearm(pub, c) < 0)
		abort_conn(pub, c);
}

static struct pub_conn *conn_new(int peer_fd, uint32_t sandbox)
{
	struct pub_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->dir[0].buf = malloc(PUB_BUF);
	c->dir[1].buf = malloc(PUB_BUF);
	if (c->dir[0].buf == NULL || c->dir[1].buf == NULL) {
		free(c->dir[0].buf);
		free(c->dir[1].buf);
		free(c);
		return NULL;
	}
	c->peer_fd = peer_fd;
	c->guest_fd = -1;
	c->sandbox = sandbox;
	c->peer_ref.kind = PUB_CONN_PEER;
	c->peer_ref.obj = c;
	c->guest_ref.kind = PUB_CONN_GUEST;
	c->guest_ref.obj = c;
	return c;
}

/* Judge one accepted peer and open its guest leg; the peer is reset on any refusal. */
static void admit(struct sbgw_publish *pub, struct pub_listener *l, int fd,
		  const struct sockaddr_storage *peer)
{
	struct pub_sandbox *sb = &pub->sb[l->sandbox];
	char who[SBGW_ADDR_STRLEN + 8], why[16];
	struct pub_conn *c;
	int rule, gfd;

	if (!pub_ingress_allows(pub, l->sandbox, peer, IPPROTO_TCP, l->b->guest_port, &rule)) {
		sb->c.tcp_denied++;
		if (pub_log_allowed(pub))
			PUB_LOG(INFO, "sandbox %s: ingress denies %s to host port %u/tcp (%s): reset",
			sb->p.cfg->name, pub_peer_format(peer, who, sizeof(who)), l->b->host_port,
			pub_rule_name(rule, why, sizeof(why)));
		pub_tcp_reset(fd);
		return;
	}
	if (sb->c.tcp_open >= SBGW_PUBLISH_MAX_TCP) {
		sb->c.tcp_limit++;
		if (pub_log_allowed(pub))
			PUB_LOG(WARNING, "sandbox %s: %u published connections open: %s reset",
			sb->p.cfg->name, SBGW_PUBLISH_MAX_TCP,
			pub_peer_format(peer, who, sizeof(who)));
		pub_tcp_reset(fd);
		return;
	}
	c = conn_new(fd, l->sandbox);
	if (c == NULL) {
		sb->c.errors++;
		pub_tcp_reset(fd);
		return;
	}
	gfd = pub_guest_socket(pub, SOCK_STREAM, l->sandbox, l->b->guest_port, &c->link_port);
	if (gfd < 0) {
		sb->c.errors++;
		PUB_LOG(WARNING, "sandbox %s: no guest-leg socket: %s", sb->p.cfg->name,
			strerror(-gfd));
		pub_tcp_reset(fd);
		free(c->dir[0].buf);
		free(c->dir[1].buf);
		free(c);
		return;
	}
	c->guest_fd = gfd;
	c->guest_events = EPOLLOUT;
	if (pub_epoll(pub, EPOLL_CTL_ADD, fd, 0, &c->peer_ref) < 0 ||
	    pub_epoll(pub, EPOLL_CTL_ADD, gfd, EPOLLOUT, &c->guest_ref) < 0) {
		sb->c.errors++;
		pub_tcp_reset(fd);
		pub_release_port(pub, SOCK_STREAM, c->link_port);
		pub_tcp_reset(gfd);
		free(c->dir[0].buf);
		free(c->dir[1].buf);
		free(c);
		return;
	}
	c->next = sb->conns;
	if (sb->conns != NULL)
		sb->conns->prev = c;
	sb->conns = c;
	sb->c.tcp_open++;
}

void pub_tcp_accept(struct sbgw_publish *pub, struct pub_listener *l)
{
	for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				pub->sb[l->sandbox].c.errors++;
			return;
		}
		admit(pub, l, fd, &peer);
	}
}
