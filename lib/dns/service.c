/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DNS interceptor's event loop. Queries arrive from the workers on a
 * ring (a worker rings an eventfd doorbell when the service sleeps);
 * upstream answers arrive on a few shared, connected sockets per upstream
 * (channels.c), watched by epoll; a tick checks deadlines. Every query
 * follows semantics §3.2 in order: parse, judge by name, inactive family,
 * host alias, choose upstream, rebind check, pins, finish. The per-query
 * decision is logged on the "sbgw.dns" log type.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_random.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#include "channels.h"
#include "decision.h"
#include "message.h"
#include "parse.h"
#include "service.h"

#define IN_RING_SIZE 4096
#define MAX_PENDING 1024
#define SANDBOX_PENDING_MAX 64 /* semantics appendix B: 64 queries queued */
#define TICK_MS 5
#define CHAN_IDLE_S 5 /* a channel idle this long is closed (its NAT flow then ages out) */
#define BELL_EV SBGW_DNS_CHAN_EV_LIMIT /* the doorbell's epoll data */
#define TCP_EV 0x80000000u /* | pending index: a TCP query's upstream connection */
#define TIMING_SAMPLES 4096 /* forwarded queries kept for the timing percentiles */
#define BURST 32
#define DNS_PORT 53
#define REPLY_TTL 64
#define IPV6_MTU_PAYLOAD (1500 - 40 - 8)

static int dns_logtype;
#define DNS_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, dns_logtype, "sbgw.dns: " fmt "\n", ##__VA_ARGS__)

struct upstream {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[SBGW_NAME_MAX + 16]; /* "host:port" or "[v6]:port", for logs */
};

struct sandbox_state {
	struct upstream *ups;
	unsigned int n_ups;
	uint32_t timeout_ms;
	bool rebind;
	unsigned int in_flight;
	struct sbgw_dns_counters c;
};

/* A query waiting for an upstream. */
struct pending {
	bool used;
	uint32_t sandbox;
	uint32_t active_pos;  /* index in svc->active */
	uint16_t id;          /* towards the upstream */
	struct sbgw_dns_ticket t; /* in flight on a channel, or t.chan == SBGW_DNS_CHAN_NONE */
	unsigned int next_up; /* configured upstreams: the one after the current */
	bool direct;          /* the guest named its resolver: that one only */
	struct upstream up;   /* the current upstream */
	uint64_t start, deadline;
	uint64_t submitted, sent; /* TSC: the worker's hand-off, the last send upstream */
	uint64_t service_tsc;     /* the service's own time so far: waiting and working */
	uint64_t work_tsc;        /* of which working (from the dequeue) */
	int rule;
	/* A query from a DNS-over-TCP connection: TCP upstream, answer to reply(). */
	int fd;        /* its upstream connection, or -1 */
	bool tcp;
	bool replied;
	bool tcp_sent; /* the query went out on the upstream connection */
	sbgw_dns_reply_fn reply;
	void *reply_ctx;
	uint64_t reply_token;
	size_t tcp_have; /* bytes of tcp_buf received from the upstream */
	struct sbgw_dns_question q;
	size_t guest_len;
	uint8_t guest_wire[SBGW_DNS_MAX_MESSAGE];
	/* where the response goes */
	uint8_t family;
	uint8_t guest_ip[16], resolver_ip[16];
	uint16_t guest_port;
	uint8_t tcp_buf[2 + SBGW_DNS_MAX_MESSAGE];
};

/*
 * The doorbell: the service sets sleeping before it waits; a worker that
 * enqueued a query and finds it set clears it and writes the eventfd. On
 * its own cache line: workers read it for every query they hand over.
 */
struct doorbell {
	uint32_t sleeping;
	int fd;
} __rte_cache_aligned;

/* Where a forwarded query's time went, over the last TIMING_SAMPLES. */
struct timing {
	uint32_t service_ns[TIMING_SAMPLES], work_ns[TIMING_SAMPLES], upstream_ns[TIMING_SAMPLES];
	uint64_t n; /* samples ever taken; the last min(n, TIMING_SAMPLES) are kept */
};

struct sbgw_dns {
	struct sbgw_dns_params p;
	struct rte_ring *in;
	struct doorbell *bell;
	int ts_off; /* mbuf dynamic field: the TSC when a worker handed the query over */
	int epfd;
	struct sbgw_dns_chans *chans;
	struct sandbox_state *sb;
	struct pending *pend;
	uint32_t *free_pend, n_free; /* free pending slots, a stack */
	uint32_t *active, n_active;  /* pending slots in use, in no order */
	struct timing *timing;
	uint64_t tick_tsc, idle_tsc, next_tick;
	void (*idle)(void *arg); /* other main-lcore work, once per loop */
	void *idle_arg;
};

static void on_answer(void *arg, uint32_t cookie, const uint8_t *wire, size_t len);
static void on_error(void *arg, uint32_t cookie, int err);

static int resolve_nameserver(const struct sbgw_nameserver *ns, struct upstream *u)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = ns->is_ip ? AI_NUMERICHOST : 0;
	snprintf(port, sizeof(port), "%u", ns->port ? ns->port : DNS_PORT);
	/* Host names are resolved once, at start, by the host's resolver (§1.9). */
	rc = getaddrinfo(ns->host, port, &hints, &res);
	if (rc != 0 || res == NULL)
		return -ENOENT;
	memcpy(&u->sa, res->ai_addr, res->ai_addrlen);
	u->len = res->ai_addrlen;
	if (res->ai_family == AF_INET6)
		snprintf(u->text, sizeof(u->text), "[%s]:%s", ns->host, port);
	else
		snprintf(u->text, sizeof(u->text), "%s:%s", ns->host, port);
	freeaddrinfo(res);
	return 0;
}

/*
 * A sandbox's resolved DNS settings: its nameservers (or the gateway's),
 * timeout and rebind protection. Resolved before they replace the running
 * ones, so that a run-time change that cannot resolve changes nothing.
 */
struct sbgw_dns_settings {
	struct upstream *ups;
	unsigned int n_ups;
	uint32_t timeout_ms;
	bool rebind;
};

static int resolve_settings(const struct sbgw_config *cfg, const struct sbgw_sandbox *sc,
			    struct sbgw_dns_settings *out, char *err, size_t errlen)
{
	const struct sbgw_nameservers *ns = &sc->net.dns.nameservers;

	memset(out, 0, sizeof(*out));
	if (ns->n == 0)
		ns = &cfg->gw.dns_nameservers;
	out->timeout_ms = sc->net.dns.query_timeout_ms;
	out->rebind = sc->net.dns.rebind_protection;
	out->ups = calloc(ns->n ? ns->n : 1, sizeof(*out->ups));
	if (out->ups == NULL)
		return -ENOMEM;
	for (unsigned int k = 0; k < ns->n; k++) {
		/* Unresolvable host names are skipped; an error only if none resolve. */
		if (resolve_nameserver(&ns->v[k], &out->ups[out->n_ups]) == 0)
			out->n_ups++;
	}
	if (ns->n > 0 && out->n_ups == 0) {
		snprintf(err, errlen, "sandbox %s: none of its nameservers resolves", sc->name);
		free(out->ups);
		out->ups = NULL;
		return -ENOENT;
	}
	return 0;
}

/* The doorbell's eventfd, and the mbuf field that carries the hand-off time. */
static int setup_wakeup(struct sbgw_dns *svc, char *err, size_t errlen)
{
	static const struct rte_mbuf_dynfield ts_field = {
		.name = "sbgw_dns_handoff_tsc",
		.size = sizeof(uint64_t),
		.align = __alignof__(uint64_t),
	};
	struct epoll_event ev;

	svc->ts_off = rte_mbuf_dynfield_register(&ts_field);
	if (svc->ts_off < 0) {
		snprintf(err, errlen, "DNS service: mbuf field: %s", rte_strerror(rte_errno));
		return -ENOSPC;
	}
	svc->bell->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = BELL_EV;
	if (svc->bell->fd < 0 || epoll_ctl(svc->epfd, EPOLL_CTL_ADD, svc->bell->fd, &ev) < 0) {
		snprintf(err, errlen, "DNS service: eventfd: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void apply_settings(struct sandbox_state *s, struct sbgw_dns_settings *d)
{
	free(s->ups);
	s->ups = d->ups;
	s->n_ups = d->n_ups;
	s->timeout_ms = d->timeout_ms;
	s->rebind = d->rebind;
	d->ups = NULL;
}

static int setup_upstreams(struct sbgw_dns *svc, uint32_t i, char *err, size_t errlen)
{
	struct sbgw_dns_settings d;
	int rc;

	rc = resolve_settings(svc->p.cfg, svc->p.sandboxes[i].cfg, &d, err, errlen);
	if (rc < 0)
		return rc;
	if (d.n_ups == 0)
		DNS_LOG(WARNING, "sandbox %s: no nameservers configured; forwarded queries get SERVFAIL",
			svc->p.sandboxes[i].cfg->name);
	apply_settings(&svc->sb[i], &d);
	return 0;
}

struct sbgw_dns_settings *sbgw_dns_settings_prepare(const struct sbgw_dns *svc,
						    const struct sbgw_sandbox *sc, char *err,
						    size_t errlen)
{
	struct sbgw_dns_settings *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL)
		return NULL;
	rc = resolve_settings(svc->p.cfg, sc, d, err, errlen);
	if (rc < 0) {
		free(d);
		errno = -rc;
		return NULL;
	}
	return d;
}

void sbgw_dns_settings_commit(struct sbgw_dns *svc, uint32_t sandbox,
			      struct sbgw_dns_settings *d)
{
	/* Queries in flight keep their copy of the upstream they were sent to. */
	if (sandbox < svc->p.n_sandboxes)
		apply_settings(&svc->sb[sandbox], d);
	sbgw_dns_settings_free(d);
}

void sbgw_dns_settings_free(struct sbgw_dns_settings *d)
{
	if (d == NULL)
		return;
	free(d->ups);
	free(d);
}

void sbgw_dns_set_idle(struct sbgw_dns *svc, void (*fn)(void *arg), void *arg)
{
	svc->idle = fn;
	svc->idle_arg = arg;
}

struct sbgw_dns *sbgw_dns_create(const struct sbgw_dns_params *p, char *err, size_t errlen)
{
	struct sbgw_dns *svc;
	char name[32];

	if (dns_logtype == 0) {
		dns_logtype = rte_log_register_type_and_pick_level("sbgw.dns", RTE_LOG_INFO);
		if (dns_logtype < 0)
			dns_logtype = RTE_LOGTYPE_USER1;
	}
	svc = calloc(1, sizeof(*svc));
	if (svc == NULL)
		return NULL;
	svc->p = *p;
	svc->epfd = -1;
	snprintf(name, sizeof(name), "sbgw_dns_in");
	svc->in = rte_ring_create(name, IN_RING_SIZE, p->socket_id, RING_F_SC_DEQ);
	svc->sb = calloc(p->n_sandboxes ? p->n_sandboxes : 1, sizeof(*svc->sb));
	svc->pend = calloc(MAX_PENDING, sizeof(*svc->pend));
	svc->free_pend = calloc(MAX_PENDING, sizeof(*svc->free_pend));
	svc->active = calloc(MAX_PENDING, sizeof(*svc->active));
	svc->timing = calloc(1, sizeof(*svc->timing));
	svc->bell = rte_zmalloc_socket("sbgw_dns_bell", sizeof(*svc->bell), RTE_CACHE_LINE_SIZE,
				       p->socket_id);
	svc->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (svc->in == NULL || svc->sb == NULL || svc->pend == NULL || svc->free_pend == NULL ||
	    svc->active == NULL || svc->timing == NULL || svc->bell == NULL || svc->epfd < 0) {
		snprintf(err, errlen, "DNS service: out of memory");
		goto fail;
	}
	svc->bell->fd = -1;
	for (uint32_t i = 0; i < MAX_PENDING; i++)
		svc->free_pend[svc->n_free++] = MAX_PENDING - 1 - i;
	if (setup_wakeup(svc, err, errlen) < 0)
		goto fail;
	svc->chans = sbgw_dns_chans_create(svc->epfd, MAX_PENDING, on_answer, on_error, svc);
	if (svc->chans == NULL) {
		snprintf(err, errlen, "DNS service: upstream sockets: %s", strerror(errno));
		goto fail;
	}
	for (uint32_t i = 0; i < p->n_sandboxes; i++)
		if (setup_upstreams(svc, i, err, errlen) < 0)
			goto fail;
	svc->tick_tsc = p->tsc_hz / 1000 * TICK_MS;
	svc->idle_tsc = p->tsc_hz * CHAN_IDLE_S;
	return svc;
fail:
	sbgw_dns_free(svc);
	return NULL;
}

void sbgw_dns_free(struct sbgw_dns *svc)
{
	struct rte_mbuf *m;

	if (svc == NULL)
		return;
	sbgw_dns_chans_free(svc->chans);
	while (svc->in != NULL && rte_ring_dequeue(svc->in, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	for (uint32_t i = 0; svc->sb != NULL && i < svc->p.n_sandboxes; i++)
		free(svc->sb[i].ups);
	if (svc->epfd >= 0)
		close(svc->epfd);
	if (svc->bell != NULL && svc->bell->fd >= 0)
		close(svc->bell->fd);
	rte_free(svc->bell);
	rte_ring_free(svc->in);
	free(svc->sb);
	free(svc->pend);
	free(svc->free_pend);
	free(svc->active);
	free(svc->timing);
	free(svc);
}

bool sbgw_dns_submit(struct sbgw_dns *svc, uint32_t sandbox, struct rte_mbuf *m)
{
	struct doorbell *bell = svc->bell;

	m->hash.usr = sandbox;
	*RTE_MBUF_DYNFIELD(m, svc->ts_off, uint64_t *) = rte_rdtsc();
	if (rte_ring_enqueue(svc->in, m) != 0)
		return false;
	/*
	 * The enqueue must be visible before sleeping is read (the service
	 * sets sleeping, then looks at the ring): a full fence, once per query.
	 * Only when the service sleeps does a worker pay for a system call,
	 * and only one worker per sleep.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&bell->sleeping, __ATOMIC_RELAXED) != 0 &&
	    __atomic_exchange_n(&bell->sleeping, 0, __ATOMIC_ACQ_REL) != 0) {
		uint64_t one = 1;

		if (write(bell->fd, &one, sizeof(one)) < 0) {
			/* Full counter or a signal: the service wakes at its next tick anyway. */
		}
	}
	return true;
}

const struct sbgw_dns_counters *sbgw_dns_sandbox_counters(const struct sbgw_dns *svc,
							  uint32_t sandbox)
{
	return sandbox < svc->p.n_sandboxes ? &svc->sb[sandbox].c : NULL;
}

/* ---- Responses to the guest ------------------------------------------- */

static uint32_t sum_bytes(const void *p, size_t len)
{
	return rte_raw_cksum(p, len);
}

static uint16_t fold_csum(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Copy data into m after its current end, chaining segments as needed. */
static int append_data(struct rte_mempool *pool, struct rte_mbuf *m, const uint8_t *data,
		       size_t len)
{
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);

	while (len > 0) {
		uint16_t room = rte_pktmbuf_tailroom(last);
		uint16_t n;

		if (room == 0) {
			struct rte_mbuf *seg = rte_pktmbuf_alloc(pool);

			if (seg == NULL)
				return -ENOMEM;
			if (rte_pktmbuf_chain(m, seg) != 0) {
				rte_pktmbuf_free(seg);
				return -E2BIG;
			}
			last = seg;
			continue;
		}
		n = len < room ? (uint16_t)len : room;
		memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len), data, n);
		last->data_len = (uint16_t)(last->data_len + n);
		m->pkt_len += n;
		data += n;
		len -= n;
	}
	return 0;
}

/*
 * A frame from the resolver the guest addressed back to the guest, with
 * msg as the UDP payload, queued for the worker owning the guest's port.
 */
static void send_to_guest(struct sbgw_dns *svc, struct pending *pq, const uint8_t *msg,
			  size_t len)
{
	const struct sbgw_dns_sandbox *sb = &svc->p.sandboxes[pq->sandbox];
	bool v4 = pq->family == AF_INET;
	size_t l3 = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	uint8_t hdr[RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_udp_hdr)];
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(hdr + RTE_ETHER_HDR_LEN + l3);
	size_t hlen = RTE_ETHER_HDR_LEN + l3 + sizeof(*udp);
	uint16_t ulen = (uint16_t)(sizeof(*udp) + len);
	struct rte_mbuf *m;
	uint32_t sum;

	if (pq->reply != NULL) { /* DNS over TCP: the relay frames and sends it */
		if (!pq->replied)
			pq->reply(pq->reply_ctx, pq->reply_token, msg, len);
		pq->replied = true;
		return;
	}
	memcpy(hdr, sb->guest_mac, 6);
	memcpy(hdr + 6, sb->gw_mac, 6);
	hdr[12] = v4 ? 0x08 : 0x86;
	hdr[13] = v4 ? 0x00 : 0xdd;
	udp->src_port = rte_cpu_to_be_16(DNS_PORT);
	udp->dst_port = rte_cpu_to_be_16(pq->guest_port);
	udp->dgram_len = rte_cpu_to_be_16(ulen);
	udp->dgram_cksum = 0;
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(hdr + RTE_ETHER_HDR_LEN);

		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + ulen));
		ip->time_to_live = REPLY_TTL;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, pq->resolver_ip, 4);
		memcpy(&ip->dst_addr, pq->guest_ip, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		sum = sum_bytes(&ip->src_addr, 8) + rte_cpu_to_be_16(IPPROTO_UDP) +
		      rte_cpu_to_be_16(ulen);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(hdr + RTE_ETHER_HDR_LEN);

		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(ulen);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = REPLY_TTL;
		memcpy(ip->src_addr, pq->resolver_ip, 16);
		memcpy(ip->dst_addr, pq->guest_ip, 16);
		sum = sum_bytes(ip->src_addr, 32) + rte_cpu_to_be_16(IPPROTO_UDP) +
		      rte_cpu_to_be_16(ulen);
	}
	sum += sum_bytes(udp, sizeof(*udp)) + sum_bytes(msg, len);
	udp->dgram_cksum = (uint16_t)~fold_csum(sum);
	if (udp->dgram_cksum == 0)
		udp->dgram_cksum = 0xffff;

	m = rte_pktmbuf_alloc(svc->p.pool);
	if (m == NULL)
		return;
	m->hash.usr = pq->sandbox; /* the worker sends it to this sandbox's port */
	if (append_data(svc->p.pool, m, hdr, hlen) < 0 || append_data(svc->p.pool, m, msg, len) < 0 ||
	    rte_ring_enqueue(sb->out, m) != 0)
		rte_pktmbuf_free(m);
}

/* ---- The pipeline ------------------------------------------------------ */

static const char *verdict_rule(int rule, char *buf, size_t len)
{
	if (rule < 0)
		snprintf(buf, len, "default");
	else
		snprintf(buf, len, "#%d", rule);
	return buf;
}

/*
 * The query's decision-log line: allowed is whether the guest's question
 * went to an upstream (verdict says how it was answered).
 */
static void log_json(struct sbgw_dns *svc, const struct pending *pq, const char *verdict,
		     const char *upstream, uint8_t rcode)
{
	char fields[SBGW_DLOG_LINE_MAX], name[SBGW_DLOG_LINE_MAX / 2], sandbox[200], type[16];
	int n;

	if (!sbgw_dlog_admit(svc->p.dlog))
		return;
	/* A name too long for the line is cut: the line stays valid JSON. */
	if (sbgw_dlog_json_string(name, sizeof(name), pq->q.name[0] ? pq->q.name : ".") == 0)
		snprintf(name, sizeof(name), "\"(too long)\"");
	if (sbgw_dlog_json_string(sandbox, sizeof(sandbox),
				  svc->p.sandboxes[pq->sandbox].cfg->name) == 0)
		snprintf(sandbox, sizeof(sandbox), "\"?\"");
	n = snprintf(fields, sizeof(fields),
		     "\"event\":\"dns\",\"allowed\":%s,\"verdict\":\"%s\",\"sandbox\":%s,"
		     "\"name\":%s,\"type\":\"%s\",\"rcode\":\"%s\",\"upstream\":\"%s\","
		     "\"transport\":\"%s\"",
		     strcmp(upstream, "-") != 0 ? "true" : "false", verdict, sandbox, name,
		     sbgw_dns_type_name(pq->q.qtype, type, sizeof(type)), sbgw_dns_rcode_name(rcode),
		     upstream, pq->tcp ? "tcp" : "udp");
	if (n > 0 && (size_t)n < sizeof(fields)) {
		int k = pq->rule < 0 ? snprintf(fields + n, sizeof(fields) - (size_t)n,
						",\"rule\":\"default\"")
				     : snprintf(fields + n, sizeof(fields) - (size_t)n,
						",\"rule\":%d", pq->rule);
		n += k > 0 ? k : 0;
	}
	if (n < 0)
		return;
	sbgw_dlog_emit(svc->p.dlog, fields, (size_t)n < sizeof(fields) ? (size_t)n : sizeof(fields) - 1);
}

static void log_decision(struct sbgw_dns *svc, const struct pending *pq, const char *verdict,
			 const char *upstream, uint8_t rcode)
{
	char type[16], rule[16];
	double ms;

	if (svc->p.dlog != NULL)
		log_json(svc, pq, verdict, upstream, rcode);
	/* The line's arguments cost more than the query: skip them when it is off. */
	if (!rte_log_can_log(dns_logtype, RTE_LOG_INFO))
		return;
	ms = (double)(rte_rdtsc() - pq->start) * 1000.0 / (double)svc->p.tsc_hz;
	DNS_LOG(INFO, "sandbox=%s query=%s type=%s verdict=%s rule=%s upstream=%s rcode=%s ms=%.1f%s",
		svc->p.sandboxes[pq->sandbox].cfg->name, pq->q.name[0] ? pq->q.name : ".",
		sbgw_dns_type_name(pq->q.qtype, type, sizeof(type)), verdict,
		verdict_rule(pq->rule, rule, sizeof(rule)), upstream, sbgw_dns_rcode_name(rcode), ms,
		pq->tcp ? " transport=tcp" : "");
}

/* Answer from the gateway itself: a synthesised rcode. */
static void answer_rcode(struct sbgw_dns *svc, struct pending *pq, uint8_t rcode,
			 const char *verdict)
{
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	size_t n = sbgw_dns_synthesize(&pq->q, rcode, out, sizeof(out));

	if (rcode == LDNS_RCODE_SERVFAIL)
		svc->sb[pq->sandbox].c.servfail++;
	log_decision(svc, pq, verdict, "-", rcode);
	if (n > 0)
		send_to_guest(svc, pq, out, n);
}

static void close_tcp(struct sbgw_dns *svc, struct pending *pq)
{
	if (pq->fd < 0)
		return;
	epoll_ctl(svc->epfd, EPOLL_CTL_DEL, pq->fd, NULL);
	close(pq->fd);
	pq->fd = -1;
}

static uint16_t random_id(void)
{
	uint16_t id;

	/* Unpredictable transaction IDs: an off-path attacker must guess them. */
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)rte_rand();
	return id;
}

/*
 * A TCP query goes to the upstream over TCP (semantics §3.3): connect
 * without blocking, send the length-prefixed query once writable
 * (tcp_send), read the length-prefixed answer (tcp_event). The deadline
 * covers connect and query alike.
 */
static int dial_tcp(struct sbgw_dns *svc, struct pending *pq)
{
	const struct sandbox_state *s = &svc->sb[pq->sandbox];
	struct epoll_event ev;
	int fd;

	close_tcp(svc, pq);
	fd = socket(pq->up.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	pq->id = random_id();
	pq->tcp_sent = false;
	pq->tcp_have = 0;
	if (connect(fd, (struct sockaddr *)&pq->up.sa, pq->up.len) < 0 && errno != EINPROGRESS) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLOUT;
	ev.data.u32 = TCP_EV | (uint32_t)(pq - svc->pend);
	if (epoll_ctl(svc->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	pq->fd = fd;
	pq->sent = rte_rdtsc();
	pq->deadline = pq->sent + svc->p.tsc_hz / 1000 * s->timeout_ms;
	return 0;
}

/* The connection is up: the query, in one write (it is far below any socket buffer). */
static int tcp_send(struct sbgw_dns *svc, struct pending *pq)
{
	uint8_t wire[2 + SBGW_DNS_MAX_MESSAGE];
	struct epoll_event ev;
	size_t n;
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(pq->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0)
		return -(err ? err : errno);
	n = sbgw_dns_upstream_query(pq->guest_wire, pq->guest_len, pq->id, wire + 2,
				    sizeof(wire) - 2);
	if (n == 0)
		return -EINVAL;
	wire[0] = (uint8_t)(n >> 8);
	wire[1] = (uint8_t)n;
	if (send(pq->fd, wire, n + 2, MSG_NOSIGNAL) != (ssize_t)(n + 2))
		return -EIO;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = TCP_EV | (uint32_t)(pq - svc->pend);
	if (epoll_ctl(svc->epfd, EPOLL_CTL_MOD, pq->fd, &ev) < 0)
		return -errno;
	pq->tcp_sent = true;
	return 0;
}

static void release(struct sbgw_dns *svc, struct pending *pq)
{
	uint32_t idx = (uint32_t)(pq - svc->pend);
	uint32_t last;

	sbgw_dns_chans_forget(svc->chans, &pq->t);
	close_tcp(svc, pq);
	if (!pq->used)
		return;
	/* Every TCP query hears back, if only that there is no answer (§3.2 step 1). */
	if (pq->reply != NULL && !pq->replied)
		pq->reply(pq->reply_ctx, pq->reply_token, NULL, 0);
	pq->replied = true;
	svc->sb[pq->sandbox].in_flight--;
	pq->used = false;
	last = svc->active[--svc->n_active];
	svc->active[pq->active_pos] = last;
	svc->pend[last].active_pos = pq->active_pos;
	svc->free_pend[svc->n_free++] = idx;
}

/*
 * Send the query to pq->up on one of its channels, with a fresh random ID.
 * 0 or -errno (try the next one).
 */
static int dial(struct sbgw_dns *svc, struct pending *pq)
{
	const struct sandbox_state *s = &svc->sb[pq->sandbox];
	uint8_t wire[SBGW_DNS_MAX_MESSAGE];
	size_t n;
	int rc;

	sbgw_dns_chans_forget(svc->chans, &pq->t);
	if (pq->tcp)
		return dial_tcp(svc, pq);
	n = sbgw_dns_upstream_query(pq->guest_wire, pq->guest_len, 0, wire, sizeof(wire));
	if (n == 0)
		return -EINVAL;
	rc = sbgw_dns_chans_send(svc->chans, (const struct sockaddr *)&pq->up.sa, pq->up.len, wire,
				 n, (uint32_t)(pq - svc->pend), &pq->t);
	if (rc < 0)
		return rc;
	pq->id = pq->t.id;
	pq->sent = rte_rdtsc();
	pq->deadline = pq->sent + svc->p.tsc_hz / 1000 * s->timeout_ms;
	return 0;
}

/*
 * Move to the next configured upstream after a timeout or transport
 * error; when none is left the guest gets SERVFAIL (semantics §3.3).
 */
static void next_upstream(struct sbgw_dns *svc, struct pending *pq)
{
	struct sandbox_state *s = &svc->sb[pq->sandbox];

	while (!pq->direct && pq->next_up < s->n_ups) {
		pq->up = s->ups[pq->next_up++];
		if (dial(svc, pq) == 0)
			return;
		s->c.upstream_errors++;
	}
	answer_rcode(svc, pq, LDNS_RCODE_SERVFAIL, "servfail-no-upstream");
	release(svc, pq);
}

static void pin_answer(struct sbgw_dns *svc, const struct pending *pq,
		       const struct ldns_struct_pkt *pkt)
{
	struct sbgw_addr addrs[SBGW_DNS_MAX_PINS];
	int family = pq->q.qtype == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;
	uint32_t ttl = 0;
	unsigned int n;

	if (pq->q.qtype != LDNS_RR_TYPE_A && pq->q.qtype != LDNS_RR_TYPE_AAAA)
		return; /* other types never touch the pins (§3.5) */
	if (svc->p.pins == NULL || !pq->q.name_valid)
		return;
	n = sbgw_dns_parsed_pins(pkt, pq->q.name, pq->q.qtype, addrs, SBGW_DNS_MAX_PINS, &ttl);
	if (n == 0)
		sbgw_pins_clear(svc->p.pins, pq->sandbox, pq->q.name, family);
	else
		sbgw_pins_replace(svc->p.pins, pq->sandbox, pq->q.name, family, addrs, n,
				  rte_rdtsc() + (uint64_t)ttl * svc->p.tsc_hz);
}

static uint32_t tsc_to_ns(const struct sbgw_dns *svc, uint64_t tsc)
{
	return (uint32_t)RTE_MIN(tsc * 1000000000 / svc->p.tsc_hz, (uint64_t)UINT32_MAX);
}

/* Where a forwarded query's time went (the service's own, the upstream's round trip). */
static void take_timing(struct sbgw_dns *svc, const struct pending *pq, uint64_t answered)
{
	struct timing *t = svc->timing;
	uint64_t after = rte_rdtsc() - answered;
	uint32_t k = (uint32_t)(t->n % TIMING_SAMPLES);

	t->service_ns[k] = tsc_to_ns(svc, pq->service_tsc + after);
	t->work_ns[k] = tsc_to_ns(svc, pq->work_tsc + after);
	t->upstream_ns[k] = tsc_to_ns(svc, answered - pq->sent);
	__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELEASE);
}

/* An answer from the upstream: §3.2 steps 6–8. */
static void upstream_answered(struct sbgw_dns *svc, struct pending *pq,
			      const struct ldns_struct_pkt *pkt, const uint8_t *wire, size_t len)
{
	struct sandbox_state *s = &svc->sb[pq->sandbox];
	const struct sbgw_dns_sandbox *sb = &svc->p.sandboxes[pq->sandbox];
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	struct sbgw_dns_question limited;
	size_t n;

	if (s->rebind && (sbgw_dns_parsed_rebinds(pkt, &sb->cfg->net.policy, &sb->cfg->host) ||
			  (svc->p.floor != NULL &&
			   sbgw_dns_parsed_rebinds(pkt, svc->p.floor, &sb->cfg->host)))) {
		s->c.rebind_blocked++;
		if (pq->q.qtype == LDNS_RR_TYPE_A || pq->q.qtype == LDNS_RR_TYPE_AAAA)
			sbgw_pins_clear(svc->p.pins, pq->sandbox, pq->q.name,
					pq->q.qtype == LDNS_RR_TYPE_A ? AF_INET : AF_INET6);
		answer_rcode(svc, pq, LDNS_RCODE_NXDOMAIN, "nxdomain-rebind");
		return;
	}
	pin_answer(svc, pq, pkt);
	/* IPv6 responses are not fragmented: keep them within one packet. */
	limited = pq->q;
	if (pq->family == AF_INET6 && limited.udp_size > IPV6_MTU_PAYLOAD)
		limited.udp_size = IPV6_MTU_PAYLOAD;
	/* Over TCP the whole answer goes back: truncation is UDP's (§3.2 step 8). */
	n = sbgw_dns_finish(wire, len, &limited, !pq->tcp, out, sizeof(out));
	if (n == 0) {
		answer_rcode(svc, pq, LDNS_RCODE_SERVFAIL, "servfail-bad-answer");
		return;
	}
	if (n < len)
		s->c.truncated++;
	log_decision(svc, pq, pq->direct ? "forward-direct" : "forward", pq->up.text,
		     sbgw_dns_rcode(wire, len));
	send_to_guest(svc, pq, out, n);
}

static bool addr_is(const uint8_t *a, const struct sbgw_addr *b, uint8_t family)
{
	uint8_t buf[16];

	if (b->family != family)
		return false;
	if (family == AF_INET) {
		uint32_t be = rte_cpu_to_be_32(b->v4);

		memcpy(buf, &be, 4);
		return memcmp(a, buf, 4) == 0;
	}
	return memcmp(a, b->v6, 16) == 0;
}

static struct sbgw_addr to_addr(const uint8_t *a, uint8_t family)
{
	struct sbgw_addr r;
	uint32_t be;

	memset(&r, 0, sizeof(r));
	r.family = family;
	if (family == AF_INET) {
		memcpy(&be, a, 4);
		r.v4 = rte_be_to_cpu_32(be);
	} else {
		memcpy(r.v6, a, 16);
	}
	return r;
}

/* The guest addressed another resolver: the policy judges it like a packet (§3.3). */
static bool direct_path_allowed(struct sbgw_dns *svc, const struct pending *pq, int *rule)
{
	const struct sbgw_dns_sandbox *sb = &svc->p.sandboxes[pq->sandbox];
	struct sbgw_policy_packet pkt;
	struct sbgw_verdict v;

	memset(&pkt, 0, sizeof(pkt));
	pkt.addr = to_addr(pq->resolver_ip, pq->family);
	pkt.ip_proto = pq->tcp ? IPPROTO_TCP : IPPROTO_UDP;
	pkt.port = DNS_PORT;
	v = sbgw_policy_evaluate(sb->compiled, SBGW_EGRESS, &pkt, &sb->cfg->host, NULL);
	*rule = v.rule;
	if (v.action != SBGW_ACTION_ALLOW)
		return false;
	if (svc->p.floor_compiled != NULL) {
		v = sbgw_policy_evaluate(svc->p.floor_compiled, SBGW_EGRESS, &pkt, &sb->cfg->host,
					 NULL);
		return v.action == SBGW_ACTION_ALLOW;
	}
	return true;
}

static void start_forward(struct sbgw_dns *svc, struct pending *pq)
{
	struct sandbox_state *s = &svc->sb[pq->sandbox];
	const struct sbgw_dns_sandbox *sb = &svc->p.sandboxes[pq->sandbox];
	bool to_gateway = addr_is(pq->resolver_ip, &sb->cfg->link.gw4, pq->family) ||
			  addr_is(pq->resolver_ip, &sb->cfg->link.gw6, pq->family);

	if (!to_gateway) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&pq->up.sa;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&pq->up.sa;
		char ip[INET6_ADDRSTRLEN];

		if (!direct_path_allowed(svc, pq, &pq->rule)) {
			s->c.denied++;
			answer_rcode(svc, pq, LDNS_RCODE_NXDOMAIN, "nxdomain-resolver-denied");
			release(svc, pq);
			return;
		}
		memset(&pq->up, 0, sizeof(pq->up));
		if (pq->family == AF_INET) {
			sin->sin_family = AF_INET;
			sin->sin_port = rte_cpu_to_be_16(DNS_PORT);
			memcpy(&sin->sin_addr, pq->resolver_ip, 4);
			pq->up.len = sizeof(*sin);
		} else {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = rte_cpu_to_be_16(DNS_PORT);
			memcpy(&sin6->sin6_addr, pq->resolver_ip, 16);
			pq->up.len = sizeof(*sin6);
		}
		inet_ntop(pq->family, pq->resolver_ip, ip, sizeof(ip));
		snprintf(pq->up.text, sizeof(pq->up.text), "%s", ip);
		pq->direct = true;
		s->c.forwarded++;
		if (dial(svc, pq) < 0) {
			s->c.upstream_errors++;
			answer_rcode(svc, pq, LDNS_RCODE_SERVFAIL, "servfail-upstream-error");
			release(svc, pq);
		}
		return;
	}
	if (s->n_ups == 0) {
		answer_rcode(svc, pq, LDNS_RCODE_SERVFAIL, "servfail-no-upstream");
		release(svc, pq);
		return;
	}
	s->c.forwarded++;
	pq->next_up = 0;
	next_upstream(svc, pq);
}

static struct pending *grab(struct sbgw_dns *svc, uint32_t sandbox)
{
	struct pending *pq;
	uint32_t idx;

	if (svc->sb[sandbox].in_flight >= SANDBOX_PENDING_MAX || svc->n_free == 0)
		return NULL;
	idx = svc->free_pend[--svc->n_free];
	pq = &svc->pend[idx];
	memset(pq, 0, offsetof(struct pending, guest_wire));
	pq->used = true;
	pq->t.chan = SBGW_DNS_CHAN_NONE;
	pq->fd = -1;
	pq->sandbox = sandbox;
	pq->rule = -1;
	pq->active_pos = svc->n_active;
	svc->active[svc->n_active++] = idx;
	svc->sb[sandbox].in_flight++;
	return pq;
}

/* A guest's query frame: §3.2 steps 1–5. */
static void run_pipeline(struct sbgw_dns *svc, struct pending *pq);

static void handle_query(struct sbgw_dns *svc, struct rte_mbuf *m)
{
	uint32_t sandbox = m->hash.usr;
	struct sandbox_state *s = &svc->sb[sandbox];
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct sbgw_pkt_info info;
	struct pending *pq;
	const uint8_t *ip;

	s->c.queries++;
	/* The worker parsed this frame already; a failure here is a bug, counted anyway. */
	if (sbgw_parse_segmented(frame, rte_pktmbuf_data_len(m), rte_pktmbuf_pkt_len(m), false,
				 &info) != SBGW_DROP_NONE) {
		s->c.malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	pq = grab(svc, sandbox);
	if (pq == NULL) {
		s->c.queue_full++;
		rte_pktmbuf_free(m);
		return;
	}
	pq->start = rte_rdtsc();
	pq->submitted = *RTE_MBUF_DYNFIELD(m, svc->ts_off, uint64_t *);
	ip = frame + info.l3_off;
	pq->family = info.l3 == SBGW_L3_IPV4 ? AF_INET : AF_INET6;
	memcpy(pq->guest_ip, pq->family == AF_INET ? ip + 12 : ip + 8, pq->family == AF_INET ? 4 : 16);
	memcpy(pq->resolver_ip, pq->family == AF_INET ? ip + 16 : ip + 24,
	       pq->family == AF_INET ? 4 : 16);
	pq->guest_port = info.sport;
	pq->guest_len = info.l4_len - sizeof(struct rte_udp_hdr);
	if (pq->guest_len > sizeof(pq->guest_wire))
		pq->guest_len = 0;
	if (pq->guest_len > 0) {
		/* Contiguous data is returned in place, a chain is copied into the buffer. */
		const void *data = rte_pktmbuf_read(m, info.payload_off, pq->guest_len,
						    pq->guest_wire);

		if (data == NULL)
			pq->guest_len = 0;
		else if (data != pq->guest_wire)
			memcpy(pq->guest_wire, data, pq->guest_len);
	}
	rte_pktmbuf_free(m);
	run_pipeline(svc, pq);
}

int sbgw_dns_query_tcp(struct sbgw_dns *svc, const struct sbgw_dns_tcp_query *q,
		       sbgw_dns_reply_fn reply, void *ctx, uint64_t token)
{
	size_t alen = q->family == AF_INET ? 4 : 16;
	struct pending *pq;

	if (q->sandbox >= svc->p.n_sandboxes)
		return -EINVAL;
	svc->sb[q->sandbox].c.queries++;
	pq = grab(svc, q->sandbox);
	if (pq == NULL) {
		svc->sb[q->sandbox].c.queue_full++;
		return -EBUSY;
	}
	pq->start = pq->submitted = rte_rdtsc();
	pq->tcp = true;
	pq->reply = reply;
	pq->reply_ctx = ctx;
	pq->reply_token = token;
	pq->family = q->family;
	memcpy(pq->guest_ip, q->guest_ip, alen);
	memcpy(pq->resolver_ip, q->resolver_ip, alen);
	pq->guest_port = q->guest_port;
	/* Longer than any message we accept: parsed as empty, i.e. malformed. */
	pq->guest_len = q->len <= sizeof(pq->guest_wire) ? q->len : 0;
	memcpy(pq->guest_wire, q->wire, pq->guest_len);
	run_pipeline(svc, pq);
	return 0;
}

/* §3.2 steps 1–5 for a query of either transport. */
static void run_pipeline(struct sbgw_dns *svc, struct pending *pq)
{
	uint32_t sandbox = pq->sandbox;
	const struct sbgw_dns_sandbox *sb = &svc->p.sandboxes[sandbox];
	struct sandbox_state *s = &svc->sb[sandbox];
	enum sbgw_dns_parse_result pr;
	struct sbgw_verdict v;
	uint8_t out[SBGW_DNS_MAX_MESSAGE];
	enum sbgw_dns_transport t = pq->tcp ? SBGW_DNS_TCP : SBGW_DNS_UDP;
	size_t n;

	pr = sbgw_dns_parse_query(pq->guest_wire, pq->guest_len, &pq->q);
	if (pr == SBGW_DNS_QUERY_MALFORMED) {
		s->c.malformed++;
		release(svc, pq);
		return;
	}
	if (pr == SBGW_DNS_QUERY_FORMERR) {
		s->c.formerr++;
		answer_rcode(svc, pq, LDNS_RCODE_FORMERR, "formerr");
		release(svc, pq);
		return;
	}
	/* Step 2: the name, judged by the policy (and the floor). */
	v = sbgw_policy_judge_dns(&sb->cfg->net.policy, pq->q.name, t);
	pq->rule = v.rule;
	if (v.action == SBGW_ACTION_ALLOW && svc->p.floor != NULL)
		v = sbgw_policy_judge_dns(svc->p.floor, pq->q.name, t);
	if (v.action != SBGW_ACTION_ALLOW) {
		s->c.denied++;
		answer_rcode(svc, pq, LDNS_RCODE_NXDOMAIN, "nxdomain-policy");
		release(svc, pq);
		return;
	}
	/* Step 3: a family the guest does not have. */
	if ((pq->q.qtype == LDNS_RR_TYPE_A && !sb->v4) ||
	    (pq->q.qtype == LDNS_RR_TYPE_AAAA && !sb->v6)) {
		if (pq->q.name_valid && svc->p.pins != NULL)
			sbgw_pins_clear(svc->p.pins, sandbox, pq->q.name,
					pq->q.qtype == LDNS_RR_TYPE_A ? AF_INET : AF_INET6);
		s->c.answered_locally++;
		answer_rcode(svc, pq, LDNS_RCODE_NOERROR, "empty-family-inactive");
		release(svc, pq);
		return;
	}
	/* Step 4: the host alias. */
	if (sbgw_dns_is_host_alias(pq->q.name) &&
	    (pq->q.qtype == LDNS_RR_TYPE_A || pq->q.qtype == LDNS_RR_TYPE_AAAA)) {
		n = sbgw_dns_host_alias(&pq->q,
					pq->q.qtype == LDNS_RR_TYPE_A ? &sb->cfg->link.gw4
								      : &sb->cfg->link.gw6,
					out, sizeof(out));
		s->c.answered_locally++;
		log_decision(svc, pq, "host-alias", "-", LDNS_RCODE_NOERROR);
		if (n > 0)
			send_to_guest(svc, pq, out, n);
		release(svc, pq);
		return;
	}
	start_forward(svc, pq);
	/* Still in flight: the service's share so far (hand-off to the first send). */
	if (pq->used && pq->t.chan != SBGW_DNS_CHAN_NONE) {
		pq->service_tsc = pq->sent - pq->submitted;
		pq->work_tsc = pq->sent - pq->start;
	}
}

/* The upstream connection of a TCP query has news: writable, an answer, or an error. */
static void tcp_event(struct sbgw_dns *svc, struct pending *pq)
{
	struct ldns_struct_pkt *pkt;
	size_t want;
	ssize_t n;

	if (!pq->used || pq->fd < 0)
		return;
	if (!pq->tcp_sent) {
		if (tcp_send(svc, pq) < 0) {
			svc->sb[pq->sandbox].c.upstream_errors++;
			next_upstream(svc, pq);
		}
		return;
	}
	for (;;) {
		want = 2;
		if (pq->tcp_have >= 2) {
			size_t mlen = (size_t)pq->tcp_buf[0] << 8 | pq->tcp_buf[1];

			if (mlen == 0 || mlen > SBGW_DNS_MAX_MESSAGE) { /* unusable */
				svc->sb[pq->sandbox].c.upstream_errors++;
				next_upstream(svc, pq);
				return;
			}
			want = 2 + mlen;
			if (pq->tcp_have == want)
				break;
		}
		n = recv(pq->fd, pq->tcp_buf + pq->tcp_have, want - pq->tcp_have, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* reset, refused, or closed before the answer */
			svc->sb[pq->sandbox].c.upstream_errors++;
			next_upstream(svc, pq);
			return;
		}
		pq->tcp_have += (size_t)n;
	}
	pkt = sbgw_dns_parse(pq->tcp_buf + 2, pq->tcp_have - 2);
	if (!sbgw_dns_parsed_answers(pkt, pq->tcp_buf + 2, pq->tcp_have - 2, pq->id, &pq->q)) {
		sbgw_dns_parsed_free(pkt);
		svc->sb[pq->sandbox].c.upstream_errors++;
		next_upstream(svc, pq);
		return;
	}
	upstream_answered(svc, pq, pkt, pq->tcp_buf + 2, pq->tcp_have - 2);
	sbgw_dns_parsed_free(pkt);
	release(svc, pq);
}

/* A datagram whose ID is in flight on its channel (channels.h). */
static void on_answer(void *arg, uint32_t cookie, const uint8_t *wire, size_t len)
{
	struct sbgw_dns *svc = arg;
	struct pending *pq = &svc->pend[cookie];
	uint64_t now = rte_rdtsc();
	struct ldns_struct_pkt *pkt;

	if (!pq->used || pq->t.chan == SBGW_DNS_CHAN_NONE)
		return;
	/* Anything but the answer to our query (ID, question, QR) is discarded. */
	pkt = sbgw_dns_parse(wire, len);
	if (!sbgw_dns_parsed_answers(pkt, wire, len, pq->id, &pq->q)) {
		sbgw_dns_parsed_free(pkt);
		return;
	}
	sbgw_dns_chans_forget(svc->chans, &pq->t);
	upstream_answered(svc, pq, pkt, wire, len);
	sbgw_dns_parsed_free(pkt);
	take_timing(svc, pq, now);
	release(svc, pq);
}

/* ICMP unreachable and friends on the query's channel: a transport failure. */
static void on_error(void *arg, uint32_t cookie, int err)
{
	struct sbgw_dns *svc = arg;
	struct pending *pq = &svc->pend[cookie];

	(void)err;
	pq->t.chan = SBGW_DNS_CHAN_NONE; /* the channel forgot it already */
	if (!pq->used)
		return;
	svc->sb[pq->sandbox].c.upstream_errors++;
	next_upstream(svc, pq);
}

static void check_deadlines(struct sbgw_dns *svc, uint64_t now)
{
	/* Backwards: a release moves the last active entry (already seen) into place i. */
	for (uint32_t i = svc->n_active; i-- > 0;) {
		struct pending *pq = &svc->pend[svc->active[i]];

		if ((pq->t.chan == SBGW_DNS_CHAN_NONE && pq->fd < 0) || now < pq->deadline)
			continue;
		svc->sb[pq->sandbox].c.upstream_timeouts++;
		log_decision(svc, pq, "upstream-timeout", pq->up.text, LDNS_RCODE_NOERROR);
		sbgw_dns_chans_forget(svc->chans, &pq->t);
		next_upstream(svc, pq);
	}
}

/*
 * One pass: queries from the workers, events on the upstream sockets,
 * the tick's deadlines and expiry, and the main lcore's other work. With
 * may_sleep, and nothing queued, it sleeps in epoll until a worker rings,
 * an answer arrives or the next tick. True when it did any work.
 */
static bool poll_once(struct sbgw_dns *svc, bool may_sleep)
{
	struct doorbell *bell = svc->bell;
	struct epoll_event evs[BURST];
	struct rte_mbuf *ms[BURST];
	unsigned int got;
	uint64_t now;
	int n, timeout = 0;
	bool tick, slept = false;

	got = rte_ring_dequeue_burst(svc->in, (void **)ms, BURST, NULL);
	for (unsigned int i = 0; i < got; i++)
		handle_query(svc, ms[i]);
	if (got == 0 && may_sleep) {
		timeout = sbgw_dns_sleep_begin(svc) ? sbgw_dns_sleep_ms(svc) : 0;
		slept = true;
	}
	n = epoll_wait(svc->epfd, evs, BURST, timeout);
	if (slept)
		sbgw_dns_sleep_end(svc);
	for (int i = 0; i < n; i++) {
		uint32_t tag = evs[i].data.u32;

		if (tag == BELL_EV) {
			uint64_t v;

			if (read(bell->fd, &v, sizeof(v)) < 0) {
				/* Already reset: nothing to do. */
			}
			continue;
		}
		if (tag & TCP_EV)
			tcp_event(svc, &svc->pend[tag & ~TCP_EV]);
		else
			sbgw_dns_chans_recv(svc->chans, tag);
	}
	now = rte_rdtsc();
	tick = now >= svc->next_tick;
	if (tick) {
		check_deadlines(svc, now);
		if (svc->p.pins != NULL)
			sbgw_pins_expire(svc->p.pins, now);
		svc->next_tick = now + svc->tick_tsc;
	}
	sbgw_dns_chans_reap(svc->chans, now, svc->idle_tsc, tick);
	if (svc->idle != NULL)
		svc->idle(svc->idle_arg);
	return got > 0 || n > 0;
}

/*
 * Sleeping, for whoever owns the loop (sbgw_dns_run, or the relay's loop
 * that polls this service): sleeping is set before the ring is looked at
 * (a seq_cst store is a full fence), so a query enqueued after this look
 * sees it and rings the eventfd, which is in the service's epoll.
 */
bool sbgw_dns_sleep_begin(struct sbgw_dns *svc)
{
	__atomic_store_n(&svc->bell->sleeping, 1, __ATOMIC_SEQ_CST);
	return rte_ring_empty(svc->in);
}

void sbgw_dns_sleep_end(struct sbgw_dns *svc)
{
	__atomic_store_n(&svc->bell->sleeping, 0, __ATOMIC_RELAXED);
}

/* Milliseconds to the next tick, rounded up: how long a sleep may last. */
int sbgw_dns_sleep_ms(const struct sbgw_dns *svc)
{
	uint64_t per_ms = svc->p.tsc_hz / 1000, now = rte_rdtsc();

	if (now >= svc->next_tick)
		return 0;
	return (int)((svc->next_tick - now + per_ms - 1) / per_ms);
}

bool sbgw_dns_poll(struct sbgw_dns *svc)
{
	return poll_once(svc, false);
}

int sbgw_dns_fd(const struct sbgw_dns *svc)
{
	return svc->epfd;
}

void sbgw_dns_run(struct sbgw_dns *svc, volatile bool *stop)
{
	while (!*stop)
		poll_once(svc, true);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentile q (0..100) of the kept samples, in ns; 0 when there are none. */
static uint32_t percentile(const uint32_t *v, uint32_t n, uint32_t *scratch, unsigned int q)
{
	if (n == 0)
		return 0;
	memcpy(scratch, v, n * sizeof(*v));
	qsort(scratch, n, sizeof(*scratch), cmp_u32);
	return scratch[(uint64_t)(n - 1) * q / 100];
}

int sbgw_dns_timing(const struct sbgw_dns *svc, struct sbgw_dns_timing *out)
{
	const struct timing *t = svc->timing;
	uint64_t total = __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
	uint32_t n = (uint32_t)RTE_MIN(total, (uint64_t)TIMING_SAMPLES);
	uint32_t *scratch = malloc(TIMING_SAMPLES * sizeof(*scratch));
	static const unsigned int qs[3] = {50, 90, 99};

	if (scratch == NULL)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	out->forwarded = total;
	out->samples = n;
	/* Read while the service writes: a sample may be a query newer, never torn. */
	for (unsigned int i = 0; i < 3; i++) {
		out->service_ns[i] = percentile(t->service_ns, n, scratch, qs[i]);
		out->work_ns[i] = percentile(t->work_ns, n, scratch, qs[i]);
		out->upstream_ns[i] = percentile(t->upstream_ns, n, scratch, qs[i]);
	}
	out->sockets = sbgw_dns_chans_open(svc->chans);
	out->sockets_opened = sbgw_dns_chans_opened(svc->chans);
	free(scratch);
	return 0;
}
