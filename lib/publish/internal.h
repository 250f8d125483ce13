/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Published ports, inside: the service's state shared by its files
 * (service.c: listeners, loop, ingress; tcp.c: connections; udp.c: peer
 * mappings). Everything here belongs to the service thread alone.
 */
#ifndef SBGW_PUBLISH_INTERNAL_H
#define SBGW_PUBLISH_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <rte_log.h>

#include "publish.h"

extern int sbgw_publish_logtype;
#define PUB_LOG(level, fmt, ...)                                                                 \
	rte_log(RTE_LOG_##level, sbgw_publish_logtype, "sbgw.publish: " fmt "\n", ##__VA_ARGS__)

/* What an epoll event points at. */
enum pub_kind {
	PUB_WAKE,
	PUB_LISTEN_TCP,
	PUB_LISTEN_UDP,
	PUB_CONN_PEER,  /* the host client's side of a relayed connection */
	PUB_CONN_GUEST, /* the guest's side */
	PUB_UDP_MAP,    /* one peer's socket towards the guest */
};

struct pub_ref {
	uint8_t kind; /* enum pub_kind */
	void *obj;
};

struct pub_listener {
	struct pub_ref ref;
	int fd;
	uint32_t sandbox;
	const struct sbgw_port_binding *b;
};

#define PUB_BUF 65536

/* One relayed TCP connection: peer ⇄ guest, a buffer each way. */
struct pub_conn {
	struct pub_ref peer_ref, guest_ref;
	int peer_fd, guest_fd;
	uint32_t sandbox;
	uint16_t link_port; /* the guest leg's source port */
	bool connected;
	/* [0]: peer → guest, [1]: guest → peer */
	struct {
		uint8_t *buf;
		uint32_t len, off;
		bool eof;      /* the source side finished sending */
		bool shut;     /* the destination was told (SHUT_WR) */
	} dir[2];
	uint32_t peer_events, guest_events; /* registered epoll masks */
	bool dead; /* closed; freed after the current batch of events */
	struct pub_conn *prev, *next;
};

/* One UDP peer of a binding and its socket towards the guest. */
struct pub_udp_map {
	struct pub_ref ref;
	int fd;
	struct pub_listener *l;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	/* The address the peer sent to: replies leave from it, even on a wildcard bind. */
	bool has_local;
	union {
		struct in_pktinfo v4;
		struct in6_pktinfo v6;
	} local;
	uint16_t link_port;
	uint64_t last_active; /* seconds, CLOCK_MONOTONIC */
	bool dead; /* closed; freed after the current batch of events */
	struct pub_udp_map *prev, *next;
};

struct pub_sandbox {
	struct sbgw_publish_sandbox p;
	struct sbgw_publish_counters c;
	struct pub_conn *conns;    /* open TCP connections */
	struct pub_udp_map *maps;  /* UDP peers */
};

struct sbgw_publish {
	struct sbgw_publish_owners *owners;
	const struct sbgw_policy_compiled *floor;
	struct in_addr link_addr;
	unsigned int n_sandboxes;
	struct pub_sandbox *sb;
	unsigned int n_listeners;
	struct pub_listener *listeners;
	int epfd, wake_fd;
	struct pub_ref wake_ref;
	pthread_t thread;
	bool started;
	volatile bool stop;
	uint64_t loops; /* loop iterations done, for sbgw_publish_sync() (atomic) */
	struct pub_conn *dead_conns;     /* closed this batch, freed by pub_tcp_reap() */
	struct pub_udp_map *dead_maps;   /* likewise, pub_udp_reap() */
	uint64_t log_second; /* rate limit of denial logs */
	unsigned int log_count, log_suppressed;
	uint32_t next_port[2]; /* allocation cursors: [0] TCP, [1] UDP */
	uint8_t scratch[PUB_BUF]; /* one UDP datagram */
};

/* service.c */
uint64_t pub_now_s(void);
/* The ingress walk for a peer of sandbox's guest_port (semantics §2.9), then the floor. */
bool pub_ingress_allows(struct sbgw_publish *pub, uint32_t sandbox,
			const struct sockaddr_storage *peer, uint8_t proto, uint16_t guest_port,
			int *rule);
#define PUB_LOGS_PER_SECOND 20
/* Denials are logged at most PUB_LOGS_PER_SECOND a second; counters see them all. */
bool pub_log_allowed(struct sbgw_publish *pub);
/* "rule N", "the default" or "the gateway floor", for logs. */
const char *pub_rule_name(int rule, char *buf, size_t len);
const char *pub_peer_format(const struct sockaddr_storage *peer, char *buf, size_t len);
/*
 * A socket of the guest leg: bound to the host link's kernel address and
 * a free port of 49152..65535, registered as the owner of that port for
 * (sandbox, guest_port), then connected to the guest. Returns the fd (the
 * connection may be in progress) or -errno.
 */
int pub_guest_socket(struct sbgw_publish *pub, int type, uint32_t sandbox, uint16_t guest_port,
		     uint16_t *link_port);
/* Forget the owner of a guest-leg port (before its socket closes). */
void pub_release_port(struct sbgw_publish *pub, int type, uint16_t link_port);
/* A TCP guest-leg socket closed normally: its port admits no SYN from now on. */
void pub_retire_port(struct sbgw_publish *pub, uint16_t link_port);
int pub_epoll(struct sbgw_publish *pub, int op, int fd, uint32_t events, struct pub_ref *ref);

/* tcp.c */
void pub_tcp_accept(struct sbgw_publish *pub, struct pub_listener *l);
void pub_tcp_event(struct sbgw_publish *pub, struct pub_conn *c, bool guest_side,
		   uint32_t events);
void pub_tcp_close_all(struct sbgw_publish *pub);
void pub_tcp_reap(struct sbgw_publish *pub);
/* Reset the peer of an accepted connection (zero-linger close). */
void pub_tcp_reset(int fd);

/* udp.c */
void pub_udp_receive(struct sbgw_publish *pub, struct pub_listener *l);
void pub_udp_reply(struct sbgw_publish *pub, struct pub_udp_map *m);
void pub_udp_expire(struct sbgw_publish *pub, uint64_t now);
void pub_udp_close_all(struct sbgw_publish *pub);
void pub_udp_reap(struct sbgw_publish *pub);

#endif
