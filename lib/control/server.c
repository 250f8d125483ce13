/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's server: a listening unix socket and a handful of
 * client connections, all non-blocking, polled from the main lcore's loop
 * (control.h). A request line is answered in full before the next one is
 * read; an answer the client does not read at once waits in its buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "errmsg.h"
#include "control.h"
#include "live.h"

#define MAX_CLIENTS 16
#define SOCKET_MODE 0660 /* root and the socket's group only */
#define DIR_MODE 0750
#define READ_CHUNK 65536

struct client {
	int fd;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	bool closing; /* close once the answer is out */
};

struct sbgw_ctl {
	struct sbgw_dataplane *gw;
	char *config_path;
	char *path;
	int listen_fd, epfd;
	struct client clients[MAX_CLIENTS];
	volatile sig_atomic_t reload_requested;
};

/*
 * A socket file already at path: replace it if nobody answers on it (a
 * gateway that died), refuse if a gateway is listening, refuse to remove
 * anything that is not a socket.
 */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		sbgw_errmsg(err, errlen, "control socket %s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		sbgw_errmsg(err, errlen, "control socket %s: another gateway is running on it", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int make_parent(const char *path)
{
	char *dir = strdup(path), *slash;
	int rc = 0;

	if (dir == NULL)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, DIR_MODE) < 0 && errno != EEXIST)
			rc = -errno;
	}
	free(dir);
	return rc;
}

static int open_socket(struct sbgw_ctl *ctl, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct epoll_event ev;
	mode_t old_mask;
	int rc;

	if (strlen(ctl->path) >= sizeof(sun.sun_path)) {
		sbgw_errmsg(err, errlen, "control socket %s: path too long", ctl->path);
		return -ENAMETOOLONG;
	}
	rc = make_parent(ctl->path);
	if (rc == 0)
		rc = clear_stale(ctl->path, err, errlen);
	if (rc < 0) {
		if (err[0] == '\0')
			sbgw_errmsg(err, errlen, "control socket %s: %s", ctl->path, strerror(-rc));
		return rc;
	}
	ctl->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->listen_fd < 0)
		goto fail;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl->path);
	/* Never a moment with wider permissions than 0660. */
	old_mask = umask(0777 & ~SOCKET_MODE);
	rc = bind(ctl->listen_fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (rc < 0 || chmod(ctl->path, SOCKET_MODE) < 0 || listen(ctl->listen_fd, MAX_CLIENTS) < 0)
		goto fail;
	ctl->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->epfd < 0)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = MAX_CLIENTS; /* the listener */
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, ctl->listen_fd, &ev) < 0)
		goto fail;
	return 0;
fail:
	rc = -errno;
	sbgw_errmsg(err, errlen, "control socket %s: %s", ctl->path, strerror(errno));
	return rc;
}

struct sbgw_ctl *sbgw_ctl_create(struct sbgw_dataplane *gw, const char *config_path, char *err,
                                 size_t errlen)
{
	struct sbgw_ctl *ctl = calloc(1, sizeof(*ctl));

	err[0] = '\0';
	if (ctl == NULL)
		return NULL;
	ctl->gw = gw;
	ctl->listen_fd = ctl->epfd = -1;
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	ctl->config_path = strdup(config_path);
	ctl->path = strdup(sbgw_live_config(gw)->gw.control_socket);
	if (ctl->config_path == NULL || ctl->path == NULL) {
		sbgw_errmsg(err, errlen, "control socket: out of memory");
		goto fail;
	}
	if (open_socket(ctl, err, errlen) < 0)
		goto fail;
	return ctl;
fail:
	/* Not ours to remove unless we bound it. */
	if (ctl->listen_fd < 0 || ctl->epfd < 0) {
		free(ctl->path);
		ctl->path = NULL;
	}
	sbgw_ctl_free(ctl);
	return NULL;
}

static void drop_client(struct sbgw_ctl *ctl, struct client *c)
{
	if (c->fd >= 0) {
		epoll_ctl(ctl->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void sbgw_ctl_free(struct sbgw_ctl *ctl)
{
	if (ctl == NULL)
		return;
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		drop_client(ctl, &ctl->clients[i]);
	if (ctl->listen_fd >= 0)
		close(ctl->listen_fd);
	if (ctl->epfd >= 0)
		close(ctl->epfd);
	if (ctl->path != NULL && ctl->listen_fd >= 0)
		unlink(ctl->path);
	free(ctl->path);
	free(ctl->config_path);
	free(ctl);
}

void sbgw_ctl_request_reload(struct sbgw_ctl *ctl)
{
	if (ctl != NULL)
		ctl->reload_requested = 1;
}

static void accept_clients(struct sbgw_ctl *ctl)
{
	for (;;) {
		struct epoll_event ev;
		struct client *c = NULL;
		int fd;

		fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (unsigned int i = 0; i < MAX_CLIENTS && c == NULL; i++)
			if (ctl->clients[i].fd < 0) {
				c = &ctl->clients[i];
				ev.data.u32 = i;
			}
		if (c == NULL) {
			static const char busy[] =
			        "{\"ok\":false,\"error\":\"too many control connections\"}\n";

			if (write(fd, busy, sizeof(busy) - 1) < 0) {
				/* Nothing more to tell a client that cannot be written to. */
			}
			close(fd);
			continue;
		}
		c->fd = fd;
		ev.events = EPOLLIN;
		if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			drop_client(ctl, c);
	}
}

/* Queue one response line; false when the connection had to be dropped. */
static bool queue_answer(struct sbgw_ctl *ctl, struct client *c, json_t *answer)
{
	char *text = answer != NULL ? json_dumps(answer, JSON_COMPACT) : NULL;
	size_t len;
	char *out;

	json_decref(answer);
	if (text == NULL)
		text = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	if (text == NULL) {
		drop_client(ctl, c);
		return false;
	}
	len = strlen(text);
	out = realloc(c->out, c->out_len + len + 1);
	if (out == NULL) {
		free(text);
		drop_client(ctl, c);
		return false;
	}
	memcpy(out + c->out_len, text, len);
	out[c->out_len + len] = '\n';
	c->out = out;
	c->out_len += len + 1;
	free(text);
	return true;
}

static void handle_line(struct sbgw_ctl *ctl, struct client *c, const char *line, size_t len)
{
	struct sbgw_ctl_request req;
	char err[512];
	json_t *answer;

	if (sbgw_ctl_parse_request(line, len, &req, err, sizeof(err)) < 0)
		answer = sbgw_ctl_error(NULL, "bad request: %s", err);
	else
		answer = sbgw_ctl_execute(ctl->gw, ctl->config_path, &req);
	sbgw_ctl_request_clear(&req);
	queue_answer(ctl, c, answer);
}

static void flush_out(struct sbgw_ctl *ctl, struct client *c, unsigned int idx)
{
	struct epoll_event ev;

	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			drop_client(ctl, c);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			drop_client(ctl, c);
			return;
		}
	}
	/* Wait for room to write, and read no more requests until the answer is out. */
	memset(&ev, 0, sizeof(ev));
	ev.events = c->out_len > 0 ? EPOLLOUT : EPOLLIN;
	ev.data.u32 = idx;
	epoll_ctl(ctl->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/*
 * Answer the requests buffered from c, one at a time: the next is read
 * only once the previous answer is out (a client that does not read its
 * answers stops being served, it cannot make us buffer without bound).
 */
static void serve_buffered(struct sbgw_ctl *ctl, struct client *c, unsigned int idx)
{
	char *nl;

	while (c->fd >= 0 && c->out_len == 0 && (nl = memchr(c->in, '\n', c->in_len)) != NULL) {
		handle_line(ctl, c, c->in, (size_t)(nl - c->in));
		if (c->fd < 0)
			return;
		c->in_len -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->in_len);
		flush_out(ctl, c, idx);
	}
}

static void read_client(struct sbgw_ctl *ctl, struct client *c, unsigned int idx)
{
	ssize_t n;

	if (c->in_cap - c->in_len < READ_CHUNK) {
		size_t cap = c->in_cap + READ_CHUNK;
		char *in = realloc(c->in, cap);

		if (in == NULL) {
			drop_client(ctl, c);
			return;
		}
		c->in = in;
		c->in_cap = cap;
	}
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) { /* the client is done (or gone): answers already queued still go out */
		c->closing = true;
		flush_out(ctl, c, idx);
		return;
	}
	c->in_len += (size_t)n;
	if (c->in_len >= SBGW_CTL_LINE_MAX && memchr(c->in, '\n', c->in_len) == NULL) {
		queue_answer(ctl, c,
		             sbgw_ctl_error(NULL, "bad request: line longer than %u bytes",
		                            SBGW_CTL_LINE_MAX));
		c->closing = true;
		flush_out(ctl, c, idx);
	}
}

void sbgw_ctl_poll(void *arg)
{
	struct sbgw_ctl *ctl = arg;
	struct epoll_event evs[MAX_CLIENTS + 1];
	int n;

	if (ctl->reload_requested) {
		ctl->reload_requested = 0;
		json_decref(sbgw_ctl_reload(ctl->gw, ctl->config_path)); /* it logs what it did */
	}
	n = epoll_wait(ctl->epfd, evs, MAX_CLIENTS + 1, 0);
	for (int i = 0; i < n; i++) {
		unsigned int idx = evs[i].data.u32;
		struct client *c;

		if (idx == MAX_CLIENTS) {
			accept_clients(ctl);
			continue;
		}
		c = &ctl->clients[idx];
		if (c->fd < 0)
			continue;
		if (evs[i].events & EPOLLOUT)
			flush_out(ctl, c, idx);
		else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			read_client(ctl, c, idx);
		if (c->fd >= 0 && !c->closing)
			serve_buffered(ctl, c, idx);
	}
}
