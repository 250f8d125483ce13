/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's connections, shared by its files (relay.c, dns_conn.c, splice.c); not an interface. */
#ifndef SBGW_RELAY_PRIV_H
#define SBGW_RELAY_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <rte_log.h>

#include "relay.h"

#define GUEST 0
#define UPSTREAM 1
#define PIPE_CAP (64 * 1024)   /* bytes buffered per direction of a spliced connection */
#define DNS_IN_CAP (2 + 4096)  /* one framed query at a time (SBGW_DNS_MAX_MESSAGE) */
#define DNS_OUT_CAP (64 * 1024)
#define DNS_MAX_OUTSTANDING 16 /* queries of one connection in flight; then stop reading */

extern int sbgw_relay_logtype;
#define RELAY_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, sbgw_relay_logtype, "sbgw.relay: " fmt "\n", ##__VA_ARGS__)

enum conn_state {
	CONN_FREE,
	CONN_DNS,      /* DNS over TCP: framed queries to the DNS service */
	CONN_DIALING,  /* host service: connecting to the loopback */
	CONN_SPLICING, /* host service or upstream: bytes both ways */
	CONN_PEEK,     /* deferred: reading the first flight before deciding */
};

/* Bytes waiting to be written to one side. */
struct pipe {
	uint8_t *buf;
	uint32_t cap, head, tail; /* data is buf[head..tail) */
};

struct conn {
	uint32_t index, gen;
	uint8_t state; /* enum conn_state */
	int fd[2];     /* [GUEST]: the accepted socket; [UPSTREAM]: the host service */
	uint32_t interest[2];
	struct pipe to[2]; /* to[i]: waiting to be written to fd[i] */
	bool eof[2];       /* fd[i] sent its FIN */
	bool shut[2];      /* we sent ours to fd[i] */
	bool fallback;     /* dialling the host service's other family */
	unsigned int outstanding; /* DNS queries not answered yet */
	uint64_t deadline; /* TSC; 0: none */
	struct sbgw_redirect_entry e;
	struct sbgw_redirect_ref ref;
	uint32_t next_free;
};

struct sbgw_relay {
	struct sbgw_relay_params p;
	int epfd;
	int lfd[2]; /* listening: IPv4, IPv6 */
	struct conn *conns;
	uint32_t free_head; /* UINT32_MAX: none */
	uint32_t high;      /* conns[0..high) have ever been used */
	uint64_t next_tick;
	bool relisten; /* a listener failed or could not be rebuilt: try again each tick */
	struct sbgw_relay_counters c;
};

/* relay.c */
uint64_t sbgw_relay_now(void);
void sbgw_relay_close(struct sbgw_relay *r, struct conn *c, bool reset);
int sbgw_relay_watch(struct sbgw_relay *r, struct conn *c, int side, uint32_t events);
uint32_t sbgw_pipe_len(const struct pipe *p);
uint32_t sbgw_pipe_room(struct pipe *p);
/* Write what p holds to fd. 0, or -errno on a fatal error. */
int sbgw_pipe_flush(struct pipe *p, int fd, uint64_t *counted);
/* Read from fd into p. bytes read, 0 at EOF, -EAGAIN, or -errno. */
ssize_t sbgw_pipe_fill(struct pipe *p, int fd, uint64_t *counted);

/* dns_conn.c */
void sbgw_relay_dns_start(struct sbgw_relay *r, struct conn *c);
void sbgw_relay_dns_event(struct sbgw_relay *r, struct conn *c);

/* splice.c: dial the host service (or, deferred, the original destination), then splice */
void sbgw_relay_host_start(struct sbgw_relay *r, struct conn *c);
void sbgw_relay_host_event(struct sbgw_relay *r, struct conn *c, int side);

/* peek.c: deferred domain decisions */
void sbgw_relay_peek_start(struct sbgw_relay *r, struct conn *c);
void sbgw_relay_peek_event(struct sbgw_relay *r, struct conn *c);
void sbgw_relay_peek_timeout(struct sbgw_relay *r, struct conn *c);

#endif
