/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DNS service's upstream channels: connected UDP sockets shared by
 * many queries, demultiplexed by (channel, random ID). See channels.h for
 * what they keep of a socket per query.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_random.h>

#include "channels.h"
#include "message.h"

/* Channels per destination: a query picks one at random (source port entropy). */
#define CHANS_PER_DEST 4
/* Queries a channel carries before it is retired (its port then changes). */
#define CHAN_USES 512
#define RECV_BATCH 32
#define ID_TRIES 16
#define RANDOM_BYTES 256

struct chan {
	int fd;              /* -1: free */
	bool retired;        /* takes no new query; closed when empty */
	int err;             /* a transport error met while sending, not yet delivered */
	uint32_t gen;        /* bumped at every open: tells a reused slot from the old one */
	uint32_t in_flight, sent;
	uint32_t open_pos;   /* index in the open list */
	uint64_t last_used;  /* TSC of the last send */
	struct sockaddr_storage sa;
	socklen_t salen;
};

/* One query in flight: (channel << 16 | id) -> the caller's cookie. */
struct slot {
	uint32_t key;
	uint32_t cookie; /* UINT32_MAX: empty */
};

struct sbgw_dns_chans {
	int epfd;
	sbgw_dns_chan_answer_fn on_answer;
	sbgw_dns_chan_error_fn on_error;
	void *arg;
	unsigned int n_chans;
	struct chan *chans;
	uint32_t *open, n_open;   /* open channels, in no order */
	uint32_t *free, n_free;   /* free channel slots, a stack */
	bool errors;              /* some channel has err set */
	uint64_t opened;          /* sockets ever opened */
	uint32_t mask;            /* hash table size - 1 */
	struct slot *tab;
	uint32_t *collect;        /* scratch for failing a channel's queries */
	unsigned int max_queries;
	uint8_t rnd[RANDOM_BYTES];
	unsigned int rnd_used;
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	uint8_t bufs[RECV_BATCH][SBGW_DNS_MAX_MESSAGE];
};

/* ---- In-flight IDs: open addressing, linear probing ------------------- */

static uint32_t key_of(uint32_t chan, uint16_t id)
{
	return chan << 16 | id;
}

static uint32_t home(const struct sbgw_dns_chans *c, uint32_t key)
{
	return (key * 0x9e3779b1u) >> 7 & c->mask;
}

static struct slot *find(struct sbgw_dns_chans *c, uint32_t key)
{
	for (uint32_t i = home(c, key);; i = (i + 1) & c->mask) {
		struct slot *s = &c->tab[i];

		if (s->cookie == UINT32_MAX)
			return NULL;
		if (s->key == key)
			return s;
	}
}

static void insert(struct sbgw_dns_chans *c, uint32_t key, uint32_t cookie)
{
	uint32_t i = home(c, key);

	while (c->tab[i].cookie != UINT32_MAX)
		i = (i + 1) & c->mask;
	c->tab[i].key = key;
	c->tab[i].cookie = cookie;
}

/* Remove s, shifting later entries of its cluster back (no tombstones). */
static void erase(struct sbgw_dns_chans *c, struct slot *s)
{
	uint32_t hole = (uint32_t)(s - c->tab);

	for (uint32_t i = (hole + 1) & c->mask; c->tab[i].cookie != UINT32_MAX;
	     i = (i + 1) & c->mask) {
		uint32_t h = home(c, c->tab[i].key);

		/* Entry i may fill the hole if its home is not in (hole, i]. */
		if (((i - h) & c->mask) >= ((i - hole) & c->mask)) {
			c->tab[hole] = c->tab[i];
			hole = i;
		}
	}
	c->tab[hole].cookie = UINT32_MAX;
}

/* ---- Channels ---------------------------------------------------------- */

/* Unpredictable IDs: an off-path attacker must guess them (getrandom, in batches). */
static uint16_t random_id(struct sbgw_dns_chans *c)
{
	uint16_t id;

	if (c->rnd_used + sizeof(id) > sizeof(c->rnd)) {
		if (getrandom(c->rnd, sizeof(c->rnd), GRND_NONBLOCK) != (ssize_t)sizeof(c->rnd)) {
			/* Entropy not ready (early boot): the EAL's generator rather than none. */
			for (unsigned int i = 0; i < sizeof(c->rnd); i++)
				c->rnd[i] = (uint8_t)rte_rand();
		}
		c->rnd_used = 0;
	}
	memcpy(&id, c->rnd + c->rnd_used, sizeof(id));
	c->rnd_used += sizeof(id);
	return id;
}

static bool same_dest(const struct chan *ch, const struct sockaddr *sa)
{
	if (ch->sa.ss_family != sa->sa_family)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ch->sa;
		const struct sockaddr_in *b = (const struct sockaddr_in *)sa;

		return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ch->sa;
		const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)sa;

		return a->sin6_port == b->sin6_port && a->sin6_scope_id == b->sin6_scope_id &&
		       memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
	}
	return false;
}

static void close_chan(struct sbgw_dns_chans *c, uint32_t idx)
{
	struct chan *ch = &c->chans[idx];
	uint32_t last = c->open[--c->n_open];

	epoll_ctl(c->epfd, EPOLL_CTL_DEL, ch->fd, NULL);
	close(ch->fd);
	ch->fd = -1;
	c->open[ch->open_pos] = last;
	c->chans[last].open_pos = ch->open_pos;
	c->free[c->n_free++] = idx;
}

/* A new connected socket to sa; its index or -errno. */
static int open_chan(struct sbgw_dns_chans *c, const struct sockaddr *sa, socklen_t salen)
{
	struct epoll_event ev;
	struct chan *ch;
	uint32_t idx;
	int fd;

	if (c->n_free == 0) {
		/* Reclaim a channel with nothing in flight (one always exists: see create). */
		for (uint32_t i = 0; i < c->n_open; i++) {
			uint32_t k = c->open[i];

			if (c->chans[k].in_flight == 0 && c->chans[k].err == 0) {
				close_chan(c, k);
				break;
			}
		}
		if (c->n_free == 0)
			return -EBUSY;
	}
	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Connected: the kernel takes datagrams from this address and port only. */
	if (connect(fd, sa, salen) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	idx = c->free[--c->n_free];
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = idx;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		close(fd);
		c->free[c->n_free++] = idx;
		return rc;
	}
	ch = &c->chans[idx];
	ch->fd = fd;
	ch->retired = false;
	ch->err = 0;
	ch->gen++;
	ch->in_flight = 0;
	ch->sent = 0;
	memcpy(&ch->sa, sa, salen);
	ch->salen = salen;
	ch->open_pos = c->n_open;
	c->open[c->n_open++] = idx;
	c->opened++;
	return (int)idx;
}

/* A channel to sa for one more query; its index or -errno. */
static int pick(struct sbgw_dns_chans *c, const struct sockaddr *sa, socklen_t salen)
{
	uint32_t cand[CHANS_PER_DEST];
	unsigned int n = 0;
	int rc;

	for (uint32_t i = 0; i < c->n_open && n < CHANS_PER_DEST; i++) {
		const struct chan *ch = &c->chans[c->open[i]];

		if (!ch->retired && same_dest(ch, sa))
			cand[n++] = c->open[i];
	}
	if (n < CHANS_PER_DEST) {
		rc = open_chan(c, sa, salen);
		if (rc >= 0 || n == 0)
			return rc;
	}
	return (int)cand[rte_rand_max(n)];
}

/* Errors that come from the network (an ICMP error on the connected socket). */
static bool transport_error(int err)
{
	return err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS && err != ENOMEM &&
	       err != EINTR;
}

static int send_on(struct sbgw_dns_chans *c, uint32_t idx, uint8_t *wire, size_t n,
		   uint32_t cookie, struct sbgw_dns_ticket *t)
{
	struct chan *ch = &c->chans[idx];
	uint16_t id = 0;
	unsigned int k;

	for (k = 0; k < ID_TRIES; k++) {
		id = random_id(c);
		if (find(c, key_of(idx, id)) == NULL)
			break;
	}
	if (k == ID_TRIES)
		return -EBUSY;
	wire[0] = (uint8_t)(id >> 8);
	wire[1] = (uint8_t)id;
	if (send(ch->fd, wire, n, 0) < 0)
		return -errno;
	insert(c, key_of(idx, id), cookie);
	ch->in_flight++;
	ch->last_used = rte_rdtsc();
	if (++ch->sent >= CHAN_USES)
		ch->retired = true;
	t->chan = idx;
	t->id = id;
	t->cookie = cookie;
	return 0;
}

int sbgw_dns_chans_send(struct sbgw_dns_chans *c, const struct sockaddr *sa, socklen_t salen,
			uint8_t *wire, size_t n, uint32_t cookie, struct sbgw_dns_ticket *t)
{
	int idx, rc;

	t->chan = SBGW_DNS_CHAN_NONE;
	if (n < 2)
		return -EINVAL;
	idx = pick(c, sa, salen);
	if (idx < 0)
		return idx;
	rc = send_on(c, (uint32_t)idx, wire, n, cookie, t);
	if (rc == 0 || c->chans[idx].sent == 0)
		return rc; /* a fresh socket's own failure is this query's */
	/*
	 * A shared socket failed. If the network reported an error on it, that
	 * error belongs to the queries already in flight there: they get it at
	 * the next reap. Either way this query gets a socket of its own.
	 */
	c->chans[idx].retired = true;
	if (transport_error(-rc)) {
		c->chans[idx].err = -rc;
		c->errors = true;
	}
	idx = open_chan(c, sa, salen);
	if (idx < 0)
		return idx;
	return send_on(c, (uint32_t)idx, wire, n, cookie, t);
}

void sbgw_dns_chans_forget(struct sbgw_dns_chans *c, struct sbgw_dns_ticket *t)
{
	struct slot *s;

	if (t->chan == SBGW_DNS_CHAN_NONE)
		return;
	s = find(c, key_of(t->chan, t->id));
	if (s != NULL && s->cookie == t->cookie) {
		erase(c, s);
		c->chans[t->chan].in_flight--;
	}
	t->chan = SBGW_DNS_CHAN_NONE;
}

/* Fail every query in flight on channel idx with err, and retire it. */
static void fail_chan(struct sbgw_dns_chans *c, uint32_t idx, int err)
{
	struct chan *ch = &c->chans[idx];
	uint32_t n = 0;

	ch->retired = true;
	ch->err = 0;
	/*
	 * Collect and forget first: the callbacks send again and change the
	 * table. Erasing shifts later entries back into position i, so i only
	 * advances past an entry that stays.
	 */
	for (uint32_t i = 0; i <= c->mask;) {
		struct slot *s = &c->tab[i];

		if (s->cookie != UINT32_MAX && s->key >> 16 == idx) {
			if (n < c->max_queries)
				c->collect[n++] = s->cookie;
			erase(c, s);
		} else {
			i++;
		}
	}
	ch->in_flight = 0;
	for (uint32_t i = 0; i < n; i++)
		c->on_error(c->arg, c->collect[i], err);
}

void sbgw_dns_chans_recv(struct sbgw_dns_chans *c, uint32_t ev)
{
	struct chan *ch;
	uint32_t gen;

	if (ev >= c->n_chans || c->chans[ev].fd < 0)
		return;
	ch = &c->chans[ev];
	gen = ch->gen;
	for (;;) {
		int n = recvmmsg(ch->fd, c->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fail_chan(c, ev, errno);
			return;
		}
		for (int i = 0; i < n; i++) {
			const uint8_t *wire = c->bufs[i];
			size_t len = c->msgs[i].msg_len;
			struct slot *s;

			if (len < 2)
				continue;
			s = find(c, key_of(ev, (uint16_t)(wire[0] << 8 | wire[1])));
			/* Anything but an ID in flight here is discarded. */
			if (s != NULL)
				c->on_answer(c->arg, s->cookie, wire, len);
		}
		/* A callback may have closed and reused the slot; the rest waits for epoll. */
		if (n < RECV_BATCH || ch->fd < 0 || ch->gen != gen)
			return;
	}
}

void sbgw_dns_chans_reap(struct sbgw_dns_chans *c, uint64_t now, uint64_t idle_tsc, bool tick)
{
	if (c->errors) {
		c->errors = false;
		for (uint32_t i = 0; i < c->n_chans; i++)
			if (c->chans[i].fd >= 0 && c->chans[i].err != 0)
				fail_chan(c, i, c->chans[i].err);
	}
	if (!tick)
		return;
	/* Backwards: closing moves the last open channel into the freed position. */
	for (uint32_t i = c->n_open; i-- > 0;) {
		const struct chan *ch = &c->chans[c->open[i]];

		if (ch->in_flight == 0 && ch->err == 0 &&
		    (ch->retired || now - ch->last_used > idle_tsc))
			close_chan(c, c->open[i]);
	}
}

unsigned int sbgw_dns_chans_open(const struct sbgw_dns_chans *c)
{
	return c->n_open;
}

uint64_t sbgw_dns_chans_opened(const struct sbgw_dns_chans *c)
{
	return __atomic_load_n(&c->opened, __ATOMIC_RELAXED);
}

struct sbgw_dns_chans *sbgw_dns_chans_create(int epfd, unsigned int max_queries,
					     sbgw_dns_chan_answer_fn on_answer,
					     sbgw_dns_chan_error_fn on_error, void *arg)
{
	struct sbgw_dns_chans *c;
	uint32_t size = 1;

	/*
	 * One channel per query in flight plus a destination's worth more:
	 * when every slot is taken, one has nothing in flight and is reclaimed.
	 */
	if (max_queries == 0 || max_queries + CHANS_PER_DEST + 1 > SBGW_DNS_CHAN_EV_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->epfd = epfd;
	c->on_answer = on_answer;
	c->on_error = on_error;
	c->arg = arg;
	c->n_chans = max_queries + CHANS_PER_DEST + 1;
	c->max_queries = max_queries;
	while (size < 2 * max_queries)
		size <<= 1;
	c->mask = size - 1;
	c->rnd_used = sizeof(c->rnd);
	c->chans = calloc(c->n_chans, sizeof(*c->chans));
	c->open = calloc(c->n_chans, sizeof(*c->open));
	c->free = calloc(c->n_chans, sizeof(*c->free));
	c->collect = calloc(max_queries, sizeof(*c->collect));
	c->tab = calloc(size, sizeof(*c->tab));
	if (c->chans == NULL || c->open == NULL || c->free == NULL || c->collect == NULL ||
	    c->tab == NULL) {
		sbgw_dns_chans_free(c);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < size; i++)
		c->tab[i].cookie = UINT32_MAX;
	for (uint32_t i = 0; i < c->n_chans; i++) {
		c->chans[i].fd = -1;
		c->free[c->n_free++] = c->n_chans - 1 - i;
	}
	for (unsigned int i = 0; i < RECV_BATCH; i++) {
		c->iov[i].iov_base = c->bufs[i];
		c->iov[i].iov_len = sizeof(c->bufs[i]);
		c->msgs[i].msg_hdr.msg_iov = &c->iov[i];
		c->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return c;
}

void sbgw_dns_chans_free(struct sbgw_dns_chans *c)
{
	if (c == NULL)
		return;
	for (uint32_t i = 0; c->chans != NULL && i < c->n_chans; i++)
		if (c->chans[i].fd >= 0)
			close(c->chans[i].fd);
	free(c->chans);
	free(c->open);
	free(c->free);
	free(c->collect);
	free(c->tab);
	free(c);
}
