/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The published-ports service: binds every listener at start, runs one
 * epoll loop on its own thread, judges each peer by the sandbox's ingress
 * rules (and the gateway's floor), and owns the guest leg's ports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define MAX_EVENTS 64
#define LISTEN_BACKLOG 128
#define TICK_MS 1000
#define SYNC_WAIT_MS 2000

int sbgw_publish_logtype;

uint64_t pub_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

bool sbgw_publish_needed(const struct sbgw_config *cfg)
{
	for (unsigned int i = 0; i < cfg->n_sandboxes; i++)
		if (cfg->sandboxes[i].net.n_ports > 0)
			return true;
	return false;
}

const char *pub_peer_format(const struct sockaddr_storage *peer, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)peer;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s->sin6_port));
	} else {
		const struct sockaddr_in *s = (const struct sockaddr_in *)peer;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s->sin_port));
	}
	return buf;
}

bool pub_ingress_allows(struct sbgw_publish *pub, uint32_t sandbox,
			const struct sockaddr_storage *peer, uint8_t proto, uint16_t guest_port,
			int *rule)
{
	const struct pub_sandbox *sb = &pub->sb[sandbox];
	const struct sbgw_policy_compiled *cp = __atomic_load_n(&sb->p.compiled, __ATOMIC_ACQUIRE);
	const struct sbgw_policy_compiled *floor = __atomic_load_n(&pub->floor, __ATOMIC_ACQUIRE);
	struct sbgw_policy_packet pkt;
	struct sbgw_verdict v;

	memset(&pkt, 0, sizeof(pkt));
	if (peer->ss_family == AF_INET6) {
		pkt.addr.family = AF_INET6;
		memcpy(pkt.addr.v6, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
	} else {
		pkt.addr.family = AF_INET;
		pkt.addr.v4 = ntohl(((const struct sockaddr_in *)peer)->sin_addr.s_addr);
	}
	/* Semantics §2.4: a v4-mapped peer of a "::" listener is its IPv4 address. */
	sbgw_addr_normalise(&pkt.addr);
	pkt.ip_proto = proto;
	pkt.port = guest_port; /* semantics §2.9: the binding's guest port */
	/*
	 * Domain rules match through pins of the guest's own lookups; a peer's
	 * address is rarely among them, and the pin table's readers are the
	 * workers, so ingress domain rules match nothing here (documented).
	 */
	v = sbgw_policy_evaluate(cp, SBGW_INGRESS, &pkt, &sb->p.cfg->host, NULL);
	*rule = v.rule;
	if (v.action != SBGW_ACTION_ALLOW)
		return false;
	if (floor != NULL) {
		v = sbgw_policy_evaluate(floor, SBGW_INGRESS, &pkt, &sb->p.cfg->host, NULL);
		if (v.action != SBGW_ACTION_ALLOW) {
			*rule = -2; /* the floor */
			return false;
		}
	}
	return true;
}

bool pub_log_allowed(struct sbgw_publish *pub)
{
	uint64_t now = pub_now_s();

	if (now != pub->log_second) {
		if (pub->log_suppressed > 0)
			PUB_LOG(INFO, "%u messages suppressed", pub->log_suppressed);
		pub->log_second = now;
		pub->log_count = 0;
		pub->log_suppressed = 0;
	}
	if (pub->log_count < PUB_LOGS_PER_SECOND) {
		pub->log_count++;
		return true;
	}
	pub->log_suppressed++;
	return false;
}

const char *pub_rule_name(int rule, char *buf, size_t len)
{
	if (rule == -2)
		return "the gateway floor";
	if (rule < 0)
		return "the default";
	snprintf(buf, len, "rule %d", rule);
	return buf;
}

int pub_epoll(struct sbgw_publish *pub, int op, int fd, uint32_t events, struct pub_ref *ref)
{
	struct epoll_event ev = {.events = events, .data.ptr = ref};

	return epoll_ctl(pub->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

void pub_release_port(struct sbgw_publish *pub, int type, uint16_t link_port)
{
	uint64_t *t = type == SOCK_STREAM ? pub->owners->tcp : pub->owners->udp;

	__atomic_store_n(&t[link_port - SBGW_PUBLISH_PORT_LO], 0, __ATOMIC_RELEASE);
}

void pub_retire_port(struct sbgw_publish *pub, uint16_t link_port)
{
	uint64_t *e = &pub->owners->tcp[link_port - SBGW_PUBLISH_PORT_LO];

	__atomic_store_n(e, __atomic_load_n(e, __ATOMIC_RELAXED) | SBGW_PUBLISH_CLOSING,
			 __ATOMIC_RELEASE);
}

int pub_guest_socket(struct sbgw_publish *pub, int type, uint32_t sandbox, uint16_t guest_port,
		     uint16_t *link_port)
{
	const struct sbgw_link *link = &pub->sb[sandbox].p.cfg->link;
	uint64_t *t = type == SOCK_STREAM ? pub->owners->tcp : pub->owners->udp;
	uint32_t *cursor = &pub->next_port[type == SOCK_STREAM ? 0 : 1];
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr = pub->link_addr};
	struct sockaddr_in guest = {.sin_family = AF_INET};
	int fd, rc = -EADDRINUSE;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM) {
		/* A guest that never answers: give up after about 15 s, not the kernel's 2 min. */
		int syn = 3;

		setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syn, sizeof(syn));
	}
	/*
	 * Our own port range, whatever the kernel's ip_local_port_range says:
	 * the guest sees an ephemeral port of 49152..65535 (semantics §6).
	 */
	for (uint32_t tries = 0; tries < SBGW_PUBLISH_PORTS; tries++) {
		uint32_t i = (*cursor)++ % SBGW_PUBLISH_PORTS;

		/*
		 * A port whose last TCP socket still finishes its close with the
		 * guest stays bound (its entry "closing"), so bind() itself says
		 * which ports are free.
		 */
		local.sin_port = htons((uint16_t)(SBGW_PUBLISH_PORT_LO + i));
		if (bind(fd, (struct sockaddr *)&local, sizeof(local)) == 0) {
			*link_port = (uint16_t)(SBGW_PUBLISH_PORT_LO + i);
			rc = 0;
			break;
		}
		if (errno != EADDRINUSE) {
			rc = -errno;
			break;
		}
	}
	if (rc < 0)
		goto fail;
	/* Registered before the first segment leaves, so the fast path lets it through. */
	__atomic_store_n(&t[*link_port - SBGW_PUBLISH_PORT_LO],
			 sbgw_publish_owner_key(sandbox, guest_port), __ATOMIC_RELEASE);
	guest.sin_addr.s_addr = htonl(link->guest4.v4);
	guest.sin_port = htons(guest_port);
	if (connect(fd, (struct sockaddr *)&guest, sizeof(guest)) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		pub_release_port(pub, type, *link_port);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

/* "127.0.0.1:8080/tcp", "[::]:53/udp": a binding as messages name it. */
static const char *binding_name(const struct sbgw_port_binding *b, char *buf, size_t len)
{
	char a[SBGW_ADDR_STRLEN];
	bool v6 = b->bind.family == AF_INET6;

	sbgw_addr_format(&b->bind, a, sizeof(a));
	snprintf(buf, len, "%s%s%s:%u/%s", v6 ? "[" : "", a, v6 ? "]" : "", b->host_port,
		 b->proto == SBGW_PORT_UDP ? "udp" : "tcp");
	return buf;
}

static int listen_one(struct sbgw_publish *pub, struct pub_listener *l, char *err, size_t errlen)
{
	const struct sbgw_port_binding *b = l->b;
	struct sockaddr_storage ss;
	socklen_t len;
	int type = b->proto == SBGW_PORT_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int one = 1;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (b->bind.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, b->bind.v6, 16);
		s6->sin6_port = htons(b->host_port);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(b->bind.v4);
		s4->sin_port = htons(b->host_port);
		len = sizeof(*s4);
	}
	fd = socket(b->bind.family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* "::" is every IPv6 address only: 0.0.0.0 is a binding of its own (config.md). */
	if (b->bind.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* A restarted gateway rebinds at once despite connections in TIME-WAIT. */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Which local address a datagram came to: answers must leave from it. */
	if (type == SOCK_DGRAM && b->bind.family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	else if (type == SOCK_DGRAM)
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	l->fd = fd;
	l->ref.kind = type == SOCK_STREAM ? PUB_LISTEN_TCP : PUB_LISTEN_UDP;
	l->ref.obj = l;
	if (pub_epoll(pub, EPOLL_CTL_ADD, fd, EPOLLIN, &l->ref) < 0)
		goto fail;
	return 0;
fail: {
	char name[SBGW_ADDR_STRLEN + 16];
	int e = errno;

	snprintf(err, errlen, "sandbox \"%s\": published port %s: %s",
		 pub->sb[l->sandbox].p.cfg->name, binding_name(b, name, sizeof(name)), strerror(e));
	if (fd >= 0)
		close(fd);
	l->fd = -1;
	return -e;
}
}

struct sbgw_publish *sbgw_publish_create(const struct sbgw_publish_params *p, char *err,
					 size_t errlen)
{
	struct sbgw_publish *pub;
	unsigned int n = 0;
	int rc = -ENOMEM;

	if (sbgw_publish_logtype == 0) {
		sbgw_publish_logtype =
			rte_log_register_type_and_pick_level("sbgw.publish", RTE_LOG_INFO);
		if (sbgw_publish_logtype < 0)
			sbgw_publish_logtype = RTE_LOGTYPE_USER1;
	}
	pub = calloc(1, sizeof(*pub));
	if (pub == NULL)
		return NULL;
	pub->epfd = -1;
	pub->wake_fd = -1;
	pub->floor = p->floor;
	pub->link_addr = p->link_addr;
	pub->n_sandboxes = p->n_sandboxes;
	pub->owners = calloc(1, sizeof(*pub->owners));
	pub->sb = calloc(p->n_sandboxes ? p->n_sandboxes : 1, sizeof(*pub->sb));
	for (unsigned int i = 0; i < p->n_sandboxes; i++)
		n += p->sandboxes[i].cfg->net.n_ports;
	pub->listeners = calloc(n ? n : 1, sizeof(*pub->listeners));
	if (pub->owners == NULL || pub->sb == NULL || pub->listeners == NULL) {
		snprintf(err, errlen, "published ports: out of memory");
		goto fail;
	}
	/* Start the cursors anywhere, so restarts do not reuse the same ports first. */
	pub->next_port[0] = (uint32_t)(pub_now_s() * 7919u);
	pub->next_port[1] = pub->next_port[0] + SBGW_PUBLISH_PORTS / 2;
	pub->epfd = epoll_create1(EPOLL_CLOEXEC);
	pub->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pub->wake_ref.kind = PUB_WAKE;
	if (pub->epfd < 0 || pub->wake_fd < 0 ||
	    pub_epoll(pub, EPOLL_CTL_ADD, pub->wake_fd, EPOLLIN, &pub->wake_ref) < 0) {
		rc = -errno;
		snprintf(err, errlen, "published ports: %s", strerror(errno));
		goto fail;
	}
	for (unsigned int i = 0; i < p->n_sandboxes; i++) {
		const struct sbgw_sandbox *cfg = p->sandboxes[i].cfg;
		char name[SBGW_ADDR_STRLEN + 16];

		pub->sb[i].p = p->sandboxes[i];
		for (unsigned int k = 0; k < cfg->net.n_ports; k++) {
			struct pub_listener *l = &pub->listeners[pub->n_listeners++];

			l->sandbox = i;
			l->b = &cfg->net.ports[k];
			rc = listen_one(pub, l, err, errlen);
			if (rc < 0)
				goto fail;
			PUB_LOG(INFO, "sandbox %s: listening on %s for guest port %u", cfg->name,
				binding_name(l->b, name, sizeof(name)), l->b->guest_port);
		}
	}
	return pub;
fail:
	sbgw_publish_free(pub);
	errno = -rc;
	return NULL;
}

const struct sbgw_publish_owners *sbgw_publish_owners(const struct sbgw_publish *pub)
{
	return pub->owners;
}

const struct sbgw_publish_counters *sbgw_publish_sandbox_counters(const struct sbgw_publish *pub,
								  uint32_t sandbox)
{
	return sandbox < pub->n_sandboxes ? &pub->sb[sandbox].c : NULL;
}

static void dispatch(struct sbgw_publish *pub, const struct epoll_event *ev)
{
	struct pub_ref *ref = ev->data.ptr;

	switch (ref->kind) {
	case PUB_WAKE: {
		uint64_t v;

		if (read(pub->wake_fd, &v, sizeof(v)) < 0)
			break;
		break;
	}
	case PUB_LISTEN_TCP:
		pub_tcp_accept(pub, ref->obj);
		break;
	case PUB_LISTEN_UDP:
		pub_udp_receive(pub, ref->obj);
		break;
	case PUB_CONN_PEER:
		if (((struct pub_conn *)ref->obj)->dead)
			break;
		pub_tcp_event(pub, ref->obj, false, ev->events);
		break;
	case PUB_CONN_GUEST:
		if (((struct pub_conn *)ref->obj)->dead)
			break;
		pub_tcp_event(pub, ref->obj, true, ev->events);
		break;
	case PUB_UDP_MAP:
		if (((struct pub_udp_map *)ref->obj)->dead)
			break;
		pub_udp_reply(pub, ref->obj);
		break;
	}
}

static void *run(void *arg)
{
	struct sbgw_publish *pub = arg;
	struct epoll_event evs[MAX_EVENTS];
	uint64_t last_sweep = pub_now_s();

	while (!pub->stop) {
		int n = epoll_wait(pub->epfd, evs, MAX_EVENTS, TICK_MS);
		uint64_t now;

		if (n < 0 && errno != EINTR) {
			PUB_LOG(ERR, "epoll: %s", strerror(errno));
			break;
		}
		/*
		 * An event may name a connection an earlier event of the same
		 * batch closed: closed objects are only marked dead until the
		 * batch is done.
		 */
		for (int i = 0; i < n; i++)
			dispatch(pub, &evs[i]);
		pub_tcp_reap(pub);
		pub_udp_reap(pub);
		__atomic_add_fetch(&pub->loops, 1, __ATOMIC_RELEASE);
		now = pub_now_s();
		if (now != last_sweep) {
			pub_udp_expire(pub, now);
			last_sweep = now;
		}
	}
	return NULL;
}

void sbgw_publish_set_policy(struct sbgw_publish *pub, uint32_t sandbox,
			     const struct sbgw_policy_compiled *compiled)
{
	if (sandbox < pub->n_sandboxes)
		__atomic_store_n(&pub->sb[sandbox].p.compiled, compiled, __ATOMIC_RELEASE);
}

void sbgw_publish_set_floor(struct sbgw_publish *pub, const struct sbgw_policy_compiled *floor)
{
	__atomic_store_n(&pub->floor, floor, __ATOMIC_RELEASE);
}

void sbgw_publish_sync(struct sbgw_publish *pub)
{
	uint64_t one = 1, start;

	if (pub == NULL || !pub->started)
		return;
	/*
	 * Two completed iterations after the call: the one in progress (which
	 * may hold the old pointer) and one that began after the swap.
	 */
	start = __atomic_load_n(&pub->loops, __ATOMIC_ACQUIRE);
	if (write(pub->wake_fd, &one, sizeof(one)) < 0)
		return;
	/* Bounded: a thread that died on an error must not hang a reload. */
	for (int i = 0; i < SYNC_WAIT_MS && !pub->stop &&
			__atomic_load_n(&pub->loops, __ATOMIC_ACQUIRE) < start + 2;
	     i++) {
		struct timespec ts = {.tv_nsec = 1000000};

		nanosleep(&ts, NULL);
		if (write(pub->wake_fd, &one, sizeof(one)) < 0)
			return;
	}
}

int sbgw_publish_start(struct sbgw_publish *pub)
{
	int rc = pthread_create(&pub->thread, NULL, run, pub);

	if (rc != 0)
		return -rc;
	pthread_setname_np(pub->thread, "sbgw-publish");
	pub->started = true;
	return 0;
}

void sbgw_publish_stop(struct sbgw_publish *pub)
{
	uint64_t one = 1;

	if (pub == NULL || !pub->started)
		return;
	pub->stop = true;
	if (write(pub->wake_fd, &one, sizeof(one)) < 0)
		PUB_LOG(WARNING, "waking the service: %s", strerror(errno));
	pthread_join(pub->thread, NULL);
	pub->started = false;
}

void sbgw_publish_free(struct sbgw_publish *pub)
{
	if (pub == NULL)
		return;
	sbgw_publish_stop(pub);
	if (pub->sb != NULL) {
		pub_tcp_close_all(pub);
		pub_tcp_reap(pub);
		pub_udp_close_all(pub);
		pub_udp_reap(pub);
	}
	for (unsigned int i = 0; i < pub->n_listeners; i++)
		if (pub->listeners[i].fd >= 0)
			close(pub->listeners[i].fd);
	if (pub->epfd >= 0)
		close(pub->epfd);
	if (pub->wake_fd >= 0)
		close(pub->wake_fd);
	free(pub->listeners);
	free(pub->sb);
	free(pub->owners);
	free(pub);
}
