/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The decision log (decision.h). Threads that decide (workers, the DNS
 * service) check a shared per-second budget, format their line on their
 * own stack and put it on a multi-producer ring; the main lcore writes
 * the ring to the output. A full ring loses the line and counts it, the
 * worker goes on: a slow disk or a stalled pipe never holds up traffic.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "decision.h"
#include "errmsg.h"

#define RING_LINES 1024 /* ~2 s of the largest sensible budget's burst, 512 KB */
#define DRAIN_BATCH 64

struct line {
	uint32_t len;
	char text[SBGW_DLOG_LINE_MAX + 4];
};

struct sbgw_dlog {
	struct rte_ring *ring;
	int fd;
	bool own_fd;
	char *path; /* the file's name, for reopening; NULL for stderr */
	uint32_t per_second;
	/* The budget: shared by every thread, reset when a new second starts. */
	uint64_t window __rte_cache_aligned;
	uint32_t used;
	uint64_t suppressed, suppressed_unreported, queue_full;
	/* The main lcore's own. */
	uint64_t written __rte_cache_aligned;
	uint64_t write_errors;
	uint64_t reported_second;
};

struct sbgw_dlog *sbgw_dlog_create(const struct sbgw_dlog_params *p, char *err, size_t errlen)
{
	static unsigned int instance;
	struct sbgw_dlog *l = calloc(1, sizeof(*l));
	char name[32];

	if (l == NULL) {
		sbgw_errmsg(err, errlen, "decision log: out of memory");
		return NULL;
	}
	l->fd = -1;
	l->per_second = p->per_second;
	if (strcmp(p->output, "stderr") == 0) {
		l->fd = STDERR_FILENO;
	} else {
		l->fd = open(p->output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (l->fd < 0) {
			sbgw_errmsg(err, errlen, "decision log: %s: %s", p->output, strerror(errno));
			free(l);
			return NULL;
		}
		l->own_fd = true;
		l->path = strdup(p->output);
		if (l->path == NULL) {
			sbgw_errmsg(err, errlen, "decision log: out of memory");
			sbgw_dlog_free(l);
			return NULL;
		}
	}
	snprintf(name, sizeof(name), "sbgw_dlog_%u", instance++);
	l->ring = rte_ring_create_elem(name, sizeof(struct line), RING_LINES, p->socket_id,
				       RING_F_SC_DEQ);
	if (l->ring == NULL) {
		sbgw_errmsg(err, errlen, "decision log: ring: out of memory");
		sbgw_dlog_free(l);
		return NULL;
	}
	return l;
}

/* Seconds of the wall clock: the budget's seconds are those of the lines' "time". */
static uint64_t wall_second(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

bool sbgw_dlog_admit(struct sbgw_dlog *l)
{
	uint64_t second = wall_second();
	uint64_t window = __atomic_load_n(&l->window, __ATOMIC_RELAXED);

	/*
	 * The first thread to see a new second resets the budget. A line
	 * another thread counts in between may go to either second: the
	 * limit holds to within the number of threads.
	 */
	if (second != window &&
	    __atomic_compare_exchange_n(&l->window, &window, second, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		__atomic_store_n(&l->used, 0, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&l->used, 1, __ATOMIC_RELAXED) < l->per_second)
		return true;
	__atomic_fetch_add(&l->suppressed, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&l->suppressed_unreported, 1, __ATOMIC_RELAXED);
	return false;
}

/* "{"time":SECONDS.MILLIS," fields "}\n" into ln. */
static void build(struct line *ln, const char *fields, size_t len)
{
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(ln->text, sizeof(ln->text), "{\"time\":%lld.%03ld,", (long long)ts.tv_sec,
		     ts.tv_nsec / 1000000);
	if (n < 0)
		n = 0;
	if (len > SBGW_DLOG_LINE_MAX - (size_t)n - 2)
		len = SBGW_DLOG_LINE_MAX - (size_t)n - 2; /* callers keep within; never overrun */
	memcpy(ln->text + n, fields, len);
	ln->len = (uint32_t)n + (uint32_t)len;
	ln->text[ln->len++] = '}';
	ln->text[ln->len++] = '\n';
}

void sbgw_dlog_emit(struct sbgw_dlog *l, const char *fields, size_t len)
{
	struct line ln;

	build(&ln, fields, len);
	if (rte_ring_mp_enqueue_elem(l->ring, &ln, sizeof(ln)) != 0)
		__atomic_fetch_add(&l->queue_full, 1, __ATOMIC_RELAXED);
}

static void write_line(struct sbgw_dlog *l, const struct line *ln)
{
	size_t off = 0;

	while (off < ln->len) {
		ssize_t n = write(l->fd, ln->text + off, ln->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			l->write_errors++;
			return;
		}
		off += (size_t)n;
	}
	l->written++;
}

/* Once a second: how many events the budget left out since the last report. */
static void report_suppressed(struct sbgw_dlog *l)
{
	uint64_t second = wall_second();
	uint64_t n;
	struct line ln;
	char fields[128];
	int len;

	if (second == l->reported_second)
		return;
	l->reported_second = second;
	n = __atomic_exchange_n(&l->suppressed_unreported, 0, __ATOMIC_RELAXED);
	if (n == 0)
		return;
	len = snprintf(fields, sizeof(fields),
		       "\"event\":\"suppressed\",\"count\":%llu,\"limit_per_second\":%u",
		       (unsigned long long)n, l->per_second);
	build(&ln, fields, (size_t)len);
	write_line(l, &ln);
}

void sbgw_dlog_drain(struct sbgw_dlog *l)
{
	struct line batch[DRAIN_BATCH];
	unsigned int n;

	if (l == NULL)
		return;
	do {
		n = rte_ring_sc_dequeue_burst_elem(l->ring, batch, sizeof(batch[0]), DRAIN_BATCH,
						   NULL);
		for (unsigned int i = 0; i < n; i++)
			write_line(l, &batch[i]);
	} while (n == DRAIN_BATCH);
	report_suppressed(l);
}

int sbgw_dlog_reopen(struct sbgw_dlog *l)
{
	int fd;

	if (l == NULL || l->path == NULL)
		return 0;
	sbgw_dlog_drain(l);
	fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	/* Only this lcore writes: the descriptor can be swapped in place. */
	close(l->fd);
	l->fd = fd;
	return 0;
}

void sbgw_dlog_get_stats(const struct sbgw_dlog *l, struct sbgw_dlog_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (l == NULL)
		return;
	st->written = l->written;
	st->suppressed = __atomic_load_n(&l->suppressed, __ATOMIC_RELAXED);
	st->queue_full = __atomic_load_n(&l->queue_full, __ATOMIC_RELAXED);
	st->write_errors = l->write_errors;
}

void sbgw_dlog_free(struct sbgw_dlog *l)
{
	if (l == NULL)
		return;
	if (l->ring != NULL) {
		sbgw_dlog_drain(l);
		l->reported_second = UINT64_MAX; /* the last count, whatever the second */
		report_suppressed(l);
		rte_ring_free(l->ring);
	}
	if (l->own_fd)
		close(l->fd);
	free(l->path);
	free(l);
}

size_t sbgw_dlog_json_string(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (cap < 3)
		return 0;
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		char esc = 0;

		if (*p == '"' || *p == '\\')
			esc = (char)*p;
		if (esc != 0) {
			if (o + 2 >= cap)
				return 0;
			out[o++] = '\\';
			out[o++] = esc;
		} else if (*p < 0x20 || *p >= 0x7f) {
			if (o + 6 >= cap)
				return 0;
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[*p >> 4];
			out[o + 5] = hex[*p & 15];
			o += 6;
		} else {
			if (o + 1 >= cap)
				return 0;
			out[o++] = (char)*p;
		}
	}
	if (o + 1 >= cap)
		return 0;
	out[o++] = '"';
	out[o] = '\0';
	return o;
}
