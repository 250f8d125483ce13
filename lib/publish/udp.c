/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Published UDP ports: each datagram is judged by the ingress rules; an
 * allowed peer gets one mapping (its own socket towards the guest port,
 * 60 s idle), and the guest's replies on that mapping go back to the peer
 * from the listener's socket, so they come from the published address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

#define DATAGRAMS_PER_EVENT 64

static bool same_peer(const struct sockaddr_storage *a, socklen_t alen,
		      const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static void close_map(struct sbgw_publish *pub, struct pub_udp_map *m)
{
	struct pub_sandbox *sb = &pub->sb[m->l->sandbox];

	pub_release_port(pub, SOCK_DGRAM, m->link_port);
	close(m->fd);
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		sb->maps = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	sb->c.udp_peers--;
	m->dead = true;
	m->next = pub->dead_maps;
	pub->dead_maps = m;
}

void pub_udp_reap(struct sbgw_publish *pub)
{
	while (pub->dead_maps != NULL) {
		struct pub_udp_map *m = pub->dead_maps;

		pub->dead_maps = m->next;
		free(m);
	}
}

void pub_udp_close_all(struct sbgw_publish *pub)
{
	for (unsigned int i = 0; i < pub->n_sandboxes; i++)
		while (pub->sb[i].maps != NULL)
			close_map(pub, pub->sb[i].maps);
}

void pub_udp_expire(struct sbgw_publish *pub, uint64_t now)
{
	for (unsigned int i = 0; i < pub->n_sandboxes; i++) {
		struct pub_udp_map *m = pub->sb[i].maps, *next;

		for (; m != NULL; m = next) {
			next = m->next;
			if (now - m->last_active >= SBGW_PUBLISH_UDP_IDLE_S)
				close_map(pub, m);
		}
	}
}

static void remember_local(struct pub_udp_map *m, struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			memcpy(&m->local.v4, CMSG_DATA(c), sizeof(m->local.v4));
			/* Choose the source address only; routing picks the interface. */
			m->local.v4.ipi_ifindex = 0;
			m->local.v4.ipi_spec_dst = m->local.v4.ipi_addr;
			m->has_local = true;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&m->local.v6, CMSG_DATA(c), sizeof(m->local.v6));
			m->local.v6.ipi6_ifindex = 0;
			m->has_local = true;
		}
	}
}

/* Send a guest's answer to the peer, from the address the peer wrote to. */
static ssize_t answer_peer(struct pub_udp_map *m, const void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr msg = {.msg_name = &m->peer, .msg_namelen = m->peer_len,
			     .msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (m->has_local) {
		bool v6 = m->peer.ss_family == AF_INET6;
		size_t size = v6 ? sizeof(m->local.v6) : sizeof(m->local.v4);

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(size);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
		c->cmsg_type = v6 ? IPV6_PKTINFO : IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(size);
		memcpy(CMSG_DATA(c), &m->local, size);
	}
	return sendmsg(m->l->fd, &msg, 0);
}

static struct pub_udp_map *find_map(struct pub_sandbox *sb, const struct pub_listener *l,
				    const struct sockaddr_storage *peer, socklen_t len)
{
	for (struct pub_udp_map *m = sb->maps; m != NULL; m = m->next)
		if (m->l == l && same_peer(&m->peer, m->peer_len, peer, len))
			return m;
	return NULL;
}

/* Make room for one more peer: the least recently active mapping goes. */
static void evict_idlest(struct sbgw_publish *pub, struct pub_sandbox *sb)
{
	struct pub_udp_map *oldest = sb->maps;

	for (struct pub_udp_map *m = sb->maps; m != NULL; m = m->next)
		if (m->last_active < oldest->last_active)
			oldest = m;
	if (oldest != NULL) {
		sb->c.udp_evicted++;
		close_map(pub, oldest);
	}
}

static struct pub_udp_map *new_map(struct sbgw_publish *pub, struct pub_listener *l,
				   const struct sockaddr_storage *peer, socklen_t len)
{
	struct pub_sandbox *sb = &pub->sb[l->sandbox];
	struct pub_udp_map *m;
	int fd;

	if (sb->c.udp_peers >= SBGW_PUBLISH_MAX_UDP_PEERS)
		evict_idlest(pub, sb);
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	fd = pub_guest_socket(pub, SOCK_DGRAM, l->sandbox, l->b->guest_port, &m->link_port);
	if (fd < 0) {
		if (pub_log_allowed(pub))
			PUB_LOG(WARNING, "sandbox %s: no guest-leg socket: %s", sb->p.cfg->name,
				strerror(-fd));
		free(m);
		return NULL;
	}
	m->fd = fd;
	m->l = l;
	memcpy(&m->peer, peer, len);
	m->peer_len = len;
	m->ref.kind = PUB_UDP_MAP;
	m->ref.obj = m;
	if (pub_epoll(pub, EPOLL_CTL_ADD, fd, EPOLLIN, &m->ref) < 0) {
		pub_release_port(pub, SOCK_DGRAM, m->link_port);
		close(fd);
		free(m);
		return NULL;
	}
	m->next = sb->maps;
	if (sb->maps != NULL)
		sb->maps->prev = m;
	sb->maps = m;
	sb->c.udp_peers++;
	return m;
}

void pub_udp_receive(struct sbgw_publish *pub, struct pub_listener *l)
{
	struct pub_sandbox *sb = &pub->sb[l->sandbox];

	for (int i = 0; i < DATAGRAMS_PER_EVENT; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		char who[SBGW_ADDR_STRLEN + 8], why[16];
		struct pub_udp_map *m;
		ssize_t n;
		int rule;

		union {
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
			struct cmsghdr align;
		} control;
		struct iovec iov = {.iov_base = pub->scratch, .iov_len = sizeof(pub->scratch)};
		struct msghdr msg = {.msg_name = &peer, .msg_namelen = sizeof(peer),
				     .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};

		memset(&peer, 0, sizeof(peer));
		n = recvmsg(l->fd, &msg, 0);
		len = msg.msg_namelen;
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				sb->c.errors++;
			return;
		}
		/* Semantics §2.9: every datagram is judged, not only a peer's first. */
		if (!pub_ingress_allows(pub, l->sandbox, &peer, IPPROTO_UDP, l->b->guest_port,
					&rule)) {
			sb->c.udp_denied++;
			if (pub_log_allowed(pub))
				PUB_LOG(INFO,
					"sandbox %s: ingress denies %s to host port %u/udp (%s): "
					"dropped",
					sb->p.cfg->name, pub_peer_format(&peer, who, sizeof(who)),
					l->b->host_port, pub_rule_name(rule, why, sizeof(why)));
			continue;
		}
		m = find_map(sb, l, &peer, len);
		if (m == NULL)
			m = new_map(pub, l, &peer, len);
		if (m == NULL) {
			sb->c.errors++;
			continue;
		}
		m->last_active = pub_now_s();
		remember_local(m, &msg);
		/* A guest that is not listening answers with ICMP: the next send reports it, ignore. */
		if (send(m->fd, pub->scratch, (size_t)n, 0) >= 0)
			sb->c.udp_datagrams_in++;
		else if (errno != ECONNREFUSED && errno != EAGAIN)
			sb->c.errors++;
	}
}

void pub_udp_reply(struct sbgw_publish *pub, struct pub_udp_map *m)
{
	struct pub_sandbox *sb = &pub->sb[m->l->sandbox];

	for (int i = 0; i < DATAGRAMS_PER_EVENT; i++) {
		ssize_t n = recv(m->fd, pub->scratch, sizeof(pub->scratch), 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ICMP port unreachable from the guest: nothing to pass on. */
			if (errno != ECONNREFUSED)
				sb->c.errors++;
			continue;
		}
		m->last_active = pub_now_s();
		if (answer_peer(m, pub->scratch, (size_t)n) >= 0)
			sb->c.udp_datagrams_out++;
		else
			sb->c.errors++;
	}
}
