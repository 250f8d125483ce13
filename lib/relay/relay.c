/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay's event loop: the listening sockets, accepting redirected
 * guest connections and looking up where they were going, the connection
 * table, deadlines, and the slow core's loop that serves the relay and
 * the DNS service together.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "relay_priv.h"

#define BURST 64
#define ACCEPT_BURST 64
#define LISTEN_BACKLOG 4096
#define TICK_MS 100
#define SWEEP_PER_TICK 4096 /* redirect slots looked at per tick: 65536 in 1.6 s */
#define TAG_LISTEN4 (UINT64_MAX)
#define TAG_LISTEN6 (UINT64_MAX - 1)

int sbgw_relay_logtype;

uint64_t sbgw_relay_now(void)
{
	return rte_rdtsc();
}

/* ---- Pipes ---------------------------------------------------------------- */

uint32_t sbgw_pipe_len(const struct pipe *p)
{
	return p->tail - p->head;
}

uint32_t sbgw_pipe_room(struct pipe *p)
{
	if (p->head > 0 && p->head == p->tail)
		p->head = p->tail = 0;
	if (p->head > p->cap / 2) { /* slide the data to the front */
		memmove(p->buf, p->buf + p->head, p->tail - p->head);
		p->tail -= p->head;
		p->head = 0;
	}
	return p->cap - p->tail;
}

int sbgw_pipe_flush(struct pipe *p, int fd, uint64_t *counted)
{
	while (p->head < p->tail) {
		ssize_t n = send(fd, p->buf + p->head, p->tail - p->head, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		p->head += (uint32_t)n;
		*counted += (uint64_t)n;
	}
	p->head = p->tail = 0;
	return 0;
}

ssize_t sbgw_pipe_fill(struct pipe *p, int fd, uint64_t *counted)
{
	uint32_t room = sbgw_pipe_room(p);
	ssize_t n;

	if (room == 0)
		return -EAGAIN;
	n = recv(fd, p->buf + p->tail, room, 0);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	p->tail += (uint32_t)n;
	*counted += (uint64_t)n;
	return n;
}

static int pipe_init(struct pipe *p, uint32_t cap)
{
	p->buf = malloc(cap);
	p->cap = cap;
	p->head = p->tail = 0;
	return p->buf == NULL ? -ENOMEM : 0;
}

/* ---- Connections ------------------------------------------------------- */

static uint64_t tag(const struct conn *c, int side)
{
	return (uint64_t)c->gen << 32 | (uint64_t)c->index << 1 | (uint64_t)side;
}

int sbgw_relay_watch(struct sbgw_relay *r, struct conn *c, int side, uint32_t events)
{
	struct epoll_event ev;

	if (c->fd[side] < 0 || c->interest[side] == events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = tag(c, side);
	if (epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd[side], &ev) < 0)
		return -errno;
	c->interest[side] = events;
	return 0;
}

static int watch_new(struct sbgw_relay *r, struct conn *c, int side, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = tag(c, side);
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, c->fd[side], &ev) < 0)
		return -errno;
	c->interest[side] = events;
	return 0;
}

/* Close both sides; reset: the guest sees RST, not FIN (zero linger). */
void sbgw_relay_close(struct sbgw_relay *r, struct conn *c, bool reset)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	if (c->state == CONN_FREE)
		return;
	for (int side = 0; side < 2; side++) {
		free(c->to[side].buf);
		c->to[side].buf = NULL;
		if (c->fd[side] < 0)
			continue;
		if (reset)
			setsockopt(c->fd[side], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		/* close() also takes it out of the epoll set (never dup'ed): no EPOLL_CTL_DEL. */
		close(c->fd[side]);
		c->fd[side] = -1;
	}
	/* The kernel still exchanges the last segments: keep the entry a while. */
	sbgw_redirect_release(r->p.redirect, &c->ref,
			      sbgw_relay_now() + r->p.tsc_hz * SBGW_RELAY_GRACE_S);
	c->state = CONN_FREE;
	c->gen++;
	c->next_free = r->free_head;
	r->free_head = c->index;
	r->c.closed++;
	r->c.active--;
}

static struct conn *conn_get(struct sbgw_relay *r)
{
	struct conn *c;

	if (r->free_head != UINT32_MAX) {
		c = &r->conns[r->free_head];
		r->free_head = c->next_free;
	} else if (r->high < r->p.max_conns) {
		c = &r->conns[r->high];
		c->index = r->high++;
	} else {
		return NULL;
	}
	c->fd[0] = c->fd[1] = -1;
	c->interest[0] = c->interest[1] = 0;
	c->eof[0] = c->eof[1] = c->shut[0] = c->shut[1] = false;
	c->fallback = false;
	c->outstanding = 0;
	c->deadline = 0;
	return c;
}

static void reset_fd(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* A redirected connection (ss: its peer): find where it was going and start serving it. */
static void accepted(struct sbgw_relay *r, int fd, const struct sockaddr_storage *ss)
{
	struct sbgw_redirect_entry e;
	struct sbgw_redirect_ref ref;
	const uint8_t *addr;
	uint8_t family;
	uint16_t port;
	struct conn *c;

	r->c.accepted++;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		family = AF_INET;
		addr = (const uint8_t *)&sin->sin_addr;
		port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		family = AF_INET6;
		addr = sin6->sin6_addr.s6_addr;
		port = ntohs(sin6->sin6_port);
	}
	if (!sbgw_redirect_lookup(r->p.redirect, family, addr, port, sbgw_relay_now(), &e, &ref)) {
		r->c.no_redirect++;
		reset_fd(fd);
		return;
	}
	c = conn_get(r);
	if (c == NULL) {
		r->c.over_capacity++;
		reset_fd(fd);
		return;
	}
	sbgw_redirect_hold(r->p.redirect, &ref);
	c->e = e;
	c->ref = ref;
	c->fd[GUEST] = fd;
	c->state = e.kind == SBGW_REDIRECT_DNS	    ? CONN_DNS
		   : e.kind == SBGW_REDIRECT_DEFERRED ? CONN_PEEK
						      : CONN_DIALING;
	r->c.active++;
	if (pipe_init(&c->to[GUEST], e.kind == SBGW_REDIRECT_DNS ? DNS_OUT_CAP : PIPE_CAP) < 0 ||
	    pipe_init(&c->to[UPSTREAM], e.kind == SBGW_REDIRECT_DNS ? DNS_IN_CAP : PIPE_CAP) < 0 ||
	    /* DNS and deferred connections read the guest first; a host service waits for its dial. */
	    watch_new(r, c, GUEST, e.kind == SBGW_REDIRECT_HOST ? 0 : EPOLLIN) < 0) {
		sbgw_relay_close(r, c, true);
		return;
	}
	if (e.kind == SBGW_REDIRECT_DNS) {
		if (r->p.dns == NULL) {
			sbgw_relay_close(r, c, true);
			return;
		}
		sbgw_relay_dns_start(r, c);
	} else if (e.kind == SBGW_REDIRECT_DEFERRED) {
		if (r->p.cfg == NULL || e.sandbox >= r->p.cfg->n_sandboxes) {
			sbgw_relay_close(r, c, true);
			return;
		}
		sbgw_relay_peek_start(r, c);
	} else {
		sbgw_relay_host_start(r, c);
	}
}

/* An accept error that says the listener itself is broken, not one connection or a limit. */
static bool listener_broken(int e)
{
	switch (e) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		return false;
	default:
		return true;
	}
}

static void accept_some(struct sbgw_relay *r, int lfd)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		/* The peer comes with the accept: no getpeername() per connection. */
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (listener_broken(errno)) {
				RELAY_LOG(ERR, "accept: %s: restarting the relay", strerror(errno));
				r->relisten = true;
			}
			return;
		}
		accepted(r, fd, &ss);
	}
}

static void dispatch(struct sbgw_relay *r, uint64_t t, uint32_t events)
{
	uint32_t index = (uint32_t)(t & 0xffffffffu) >> 1;
	int side = (int)(t & 1);
	struct conn *c;

	if (index >= r->high)
		return;
	c = &r->conns[index];
	if (c->gen != (uint32_t)(t >> 32) || c->state == CONN_FREE)
		return; /* closed earlier in this batch */
	/* A failed dial is the dialler's to handle; any other error ends the connection. */
	if ((events & EPOLLERR) && !(c->state == CONN_DIALING && side == UPSTREAM)) {
		sbgw_relay_close(r, c, true);
		return;
	}
	if (c->state == CONN_DNS && (events & EPOLLHUP)) {
		sbgw_relay_close(r, c, true);
		return;
	}
	if (c->state == CONN_DNS)
		sbgw_relay_dns_event(r, c);
	else if (c->state == CONN_PEEK)
		sbgw_relay_peek_event(r, c);
	else
		sbgw_relay_host_event(r, c, side);
}

static void check_deadlines(struct sbgw_relay *r, uint64_t now)
{
	for (uint32_t i = 0; i < r->high; i++) {
		struct conn *c = &r->conns[i];

		if (c->state == CONN_FREE || c->deadline == 0 || now < c->deadline)
			continue;
		r->c.timeouts++;
		/* A first flight that never completed: decide on what the pins say. */
		if (c->state == CONN_PEEK) {
			sbgw_relay_peek_timeout(r, c);
			continue;
		}
		/* An idle DNS connection is closed; a host service that never answered is reset. */
		sbgw_relay_close(r, c, c->state != CONN_DNS);
	}
}

bool sbgw_relay_poll(struct sbgw_relay *r)
{
	struct epoll_event evs[BURST];
	bool was_broken = r->relisten;
	uint64_t now;
	int n;

	n = epoll_wait(r->epfd, evs, BURST, 0);
	for (int i = 0; i < n; i++) {
		uint64_t t = evs[i].data.u64;

		if (t == TAG_LISTEN4 || t == TAG_LISTEN6) {
			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				RELAY_LOG(ERR, "a listening socket failed: restarting the relay");
				r->relisten = true;
			} else {
				accept_some(r, r->lfd[t == TAG_LISTEN4 ? 0 : 1]);
			}
		} else {
			dispatch(r, t, evs[i].events);
		}
	}
	now = sbgw_relay_now();
	/* Broken in this pass: restart now; still broken after that: once a tick. */
	if (r->relisten && (!was_broken || now >= r->next_tick)) {
		char err[256];

		r->c.listen_failures++;
		if (sbgw_relay_restart(r, err, sizeof(err)) < 0)
			RELAY_LOG(ERR, "%s (trying again)", err);
	}
	if (now >= r->next_tick) {
		check_deadlines(r, now);
		sbgw_redirect_sweep(r->p.redirect, now, SWEEP_PER_TICK);
		r->next_tick = now + r->p.tsc_hz / 1000 * TICK_MS;
	}
	return n > 0;
}

void sbgw_relay_run(struct sbgw_relay *r, struct sbgw_dns *dns, volatile bool *stop)
{
	struct epoll_event ev, evs[2];
	int top = epoll_create1(EPOLL_CLOEXEC);

	/* One place to sleep: both services' epoll descriptors are pollable. */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	if (top >= 0)
		epoll_ctl(top, EPOLL_CTL_ADD, r->epfd, &ev);
	if (top >= 0 && dns != NULL) {
		ev.data.u32 = 1;
		epoll_ctl(top, EPOLL_CTL_ADD, sbgw_dns_fd(dns), &ev);
	}
	while (!*stop) {
		bool busy = sbgw_relay_poll(r);
		int ms = 1;

		if (dns != NULL)
			busy |= sbgw_dns_poll(dns);
		if (busy || top < 0)
			continue;
		/* Idle: sleep until either service has work (the workers ring the DNS one). */
		if (dns != NULL) {
			ms = sbgw_dns_sleep_begin(dns) ? sbgw_dns_sleep_ms(dns) : 0;
			if (ms > TICK_MS)
				ms = TICK_MS;
		}
		epoll_wait(top, evs, 2, ms);
		if (dns != NULL)
			sbgw_dns_sleep_end(dns);
	}
	if (top >= 0)
		close(top);
}

static int listen_on(struct sbgw_relay *r, int family, const uint8_t *addr, uint64_t t,
		     char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct epoll_event ev;
	int one = 1, fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(r->p.port);
		memcpy(&sin->sin_addr, addr, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(r->p.port);
		memcpy(&sin6->sin6_addr, addr, 16);
		sl = sizeof(*sin6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The address may not be usable yet (IPv6 duplicate detection): bind anyway. */
	setsockopt(fd, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
		   family == AF_INET ? IP_FREEBIND : IPV6_FREEBIND, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = t;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	r->lfd[family == AF_INET ? 0 : 1] = fd;
	return 0;
fail:
	snprintf(err, errlen, "relay: listening on port %u (%s): %s", r->p.port,
		 family == AF_INET ? "IPv4" : "IPv6", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

static int listen_all(struct sbgw_relay *r, char *err, size_t errlen);

struct sbgw_relay *sbgw_relay_create(const struct sbgw_relay_params *p, char *err, size_t errlen)
{
	struct sbgw_relay *r;

	if (sbgw_relay_logtype == 0) {
		sbgw_relay_logtype = rte_log_register_type_and_pick_level("sbgw.relay", RTE_LOG_INFO);
		if (sbgw_relay_logtype < 0)
			sbgw_relay_logtype = RTE_LOGTYPE_USER1;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->p = *p;
	r->lfd[0] = r->lfd[1] = -1;
	r->free_head = UINT32_MAX;
	r->conns = calloc(p->max_conns ? p->max_conns : 1, sizeof(*r->conns));
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->conns == NULL || r->epfd < 0) {
		snprintf(err, errlen, "relay: out of memory");
		goto fail;
	}
	if (listen_all(r, err, errlen) < 0)
		goto fail;
	return r;
fail:
	sbgw_relay_free(r);
	return NULL;
}

void sbgw_relay_free(struct sbgw_relay *r)
{
	if (r == NULL)
		return;
	for (uint32_t i = 0; r->conns != NULL && i < r->high; i++)
		sbgw_relay_close(r, &r->conns[i], true);
	for (int i = 0; i < 2; i++)
		if (r->lfd[i] >= 0)
			close(r->lfd[i]);
	if (r->epfd >= 0)
		close(r->epfd);
	free(r->conns);
	free(r);
}

static void unlisten(struct sbgw_relay *r)
{
	for (int i = 0; i < 2; i++) {
		if (r->lfd[i] < 0)
			continue;
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->lfd[i], NULL);
		close(r->lfd[i]); /* the kernel resets the connections still in its queue */
		r->lfd[i] = -1;
	}
}

static int listen_all(struct sbgw_relay *r, char *err, size_t errlen)
{
	static const uint8_t none6[16];
	int rc = listen_on(r, AF_INET, r->p.listen4, TAG_LISTEN4, err, errlen);

	if (rc == 0 && memcmp(r->p.listen6, none6, 16) != 0)
		rc = listen_on(r, AF_INET6, r->p.listen6, TAG_LISTEN6, err, errlen);
	return rc;
}

long sbgw_relay_restart(struct sbgw_relay *r, char *err, size_t errlen)
{
	long reset = 0;
	int rc;

	for (uint32_t i = 0; i < r->high; i++) {
		if (r->conns[i].state == CONN_FREE)
			continue;
		sbgw_relay_close(r, &r->conns[i], true);
		reset++;
	}
	/* A listener on a link that went away and came back must be bound again. */
	unlisten(r);
	rc = listen_all(r, err, errlen);
	r->relisten = rc < 0;
	if (rc < 0) {
		unlisten(r);
		return rc;
	}
	r->c.restarts++;
	RELAY_LOG(WARNING, "restarted: %ld connection(s) reset, listening again", reset);
	return reset;
}

const struct sbgw_relay_counters *sbgw_relay_counters(const struct sbgw_relay *r)
{
	return &r->c;
}
