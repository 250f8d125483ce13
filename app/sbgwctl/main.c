/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbgwctl: the control client of a running sbgw (lib/control/protocol.h),
 * and the configuration checker that needs no daemon.
 *
 *   sbgwctl [-s SOCKET | -c CONFIG] [-j] list | show NAME | policy NAME FILE |
 *           replace FILE | add FILE | remove NAME | reload | relay-restart
 *   sbgwctl check FILE
 *
 * Exit status: 0 done, 1 the gateway refused the request, 2 usage, 3 no
 * gateway answers on the socket.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "protocol.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_NO_DAEMON 3
#define ANSWER_TIMEOUT_MS 120000 /* a reload compiles every changed policy */

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: sbgwctl [-s SOCKET | -c CONFIG] [-j] COMMAND\n"
	        "  -s SOCKET  the gateway's control socket (default %s)\n"
	        "  -c CONFIG  take the socket from CONFIG's gateway.control.socket\n"
	        "  -j         print the gateway's JSON answer as it is\n"
	        "commands:\n"
	        "  list               sandboxes with their addresses\n"
	        "  show NAME          addresses, counters, rules with their hits, live flows\n"
	        "  policy NAME FILE   replace NAME's network settings by FILE (what goes inside\n"
	        "                     \"network = { ... };\"; - reads standard input)\n"
	        "  replace FILE       replace a sandbox by FILE (one \"sandboxes\" entry)\n"
	        "  add FILE           add a sandbox defined by FILE\n"
	        "  remove NAME        remove a sandbox\n"
	        "  reload             re-read the gateway's configuration file (like SIGHUP)\n"
	        "  relay-restart      reset the TCP relay's connections and rebuild its listeners\n"
	        "  check FILE         validate a configuration file, like sbgw -t (no gateway "
	        "needed)\n",
	        SBGW_DEFAULT_CONTROL_SOCKET);
}

static char *read_file(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t len = 0, cap = 0;
	char *buf = NULL;

	if (f == NULL) {
		fprintf(stderr, "sbgwctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (nb == NULL)
				break;
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "sbgwctl: %s: path too long\n", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			fprintf(stderr, "sbgwctl: no gateway is running on %s (%s)\n", path,
			        strerror(e));
		else
			fprintf(stderr, "sbgwctl: %s: %s\n", path, strerror(e));
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One answer line, or NULL when the gateway went away or took too long. */
static json_t *read_answer(int fd)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nl = NULL;
	json_t *ans = NULL;
	json_error_t jerr;

	while (nl == NULL) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 262144);

			if (nb == NULL)
				goto out;
			buf = nb;
			cap += 262144;
		}
		if (poll(&p, 1, ANSWER_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "sbgwctl: the gateway did not answer\n");
			goto out;
		}
		n = read(fd, buf + len, cap - len);
		if (n <= 0) {
			fprintf(stderr, "sbgwctl: the gateway closed the connection\n");
			goto out;
		}
		len += (size_t)n;
		nl = memchr(buf, '\n', len);
	}
	ans = json_loadb(buf, (size_t)(nl - buf), 0, &jerr);
	if (ans == NULL)
		fprintf(stderr, "sbgwctl: unreadable answer: %s\n", jerr.text);
out:
	free(buf);
	return ans;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void print_list(const json_t *ans)
{
	const json_t *sb;
	size_t i;

	printf("%-24s %-16s %-26s %-12s %s\n", "NAME", "IPV4", "IPV6", "POLICY", "PORT");
	json_array_foreach(json_object_get(ans, "sandboxes"), i, sb)
	{
		const json_t *l = json_object_get(sb, "link");

		printf("%-24s %-16s %-26s %-12s %s\n", str(sb, "name"), str(l, "ipv4"),
		       str(l, "ipv6"), str(sb, "policy"), str(sb, "port"));
	}
}

static void print_show(const json_t *ans)
{
	const json_t *sb = json_object_get(ans, "sandbox"), *l = json_object_get(sb, "link");
	const json_t *c = json_object_get(sb, "counters"), *p = json_object_get(sb, "policy");
	const json_t *v, *flows = json_object_get(sb, "flows");
	const char *key;
	size_t i;

	printf("sandbox %s\n  port: %s\n", str(sb, "name"), str(sb, "port"));
	printf("  ipv4: %s (gateway %s)\n  ipv6: %s (gateway %s)\n  mac: %s\n", str(l, "ipv4"),
	       str(l, "gateway4"), str(l, "ipv6"), str(l, "gateway6"), str(l, "mac"));
	printf("  max_connections: %lld\n", num(sb, "max_connections"));
	printf("counters:\n  from guest: %lld packets, %lld bytes\n  to guest: %lld packets, "
	       "%lld bytes\n  flows: %lld created, %lld revoked, %lld TCP connections open\n",
	       num(c, "from_guest_packets"), num(c, "from_guest_bytes"), num(c, "to_guest_packets"),
	       num(c, "to_guest_bytes"), num(c, "flows_created"), num(c, "flows_revoked"),
	       num(c, "tcp_connections"));
	printf("  drops:");
	if (json_object_size(json_object_get(c, "drops")) == 0)
		printf(" none");
	json_object_foreach((json_t *)json_object_get(c, "drops"), key, v)
	        printf(" %s=%lld", key, (long long)json_integer_value(v));
	printf("\npolicy (%s): default egress %s, ingress %s; hits since it took effect\n",
	       str(p, "preset"), str(p, "default_egress"), str(p, "default_ingress"));
	json_array_foreach(json_object_get(p, "rules"), i, v)
	        printf("  #%-3lld %10lld  %s\n", num(v, "index"), num(v, "hits"), str(v, "rule"));
	printf("  dflt %10lld  default egress %s\n", num(p, "default_hits"),
	       str(p, "default_egress"));
	printf("flows (%zu shown, at most %lld):\n", json_array_size(flows),
	       num(sb, "flows_shown_max"));
	json_array_foreach(flows, i, v) printf(
	        "  %-6s %s:%lld -> %s:%lld nat %lld %s rule %lld, out %lld pkts %lld B, in "
	        "%lld pkts %lld B\n",
	        str(v, "proto"), str(v, "src"), num(v, "sport"), str(v, "dst"), num(v, "dport"),
	        num(v, "nat_port"), str(v, "state"), num(v, "rule"), num(v, "packets_out"),
	        num(v, "bytes_out"), num(v, "packets_in"), num(v, "bytes_in"));
}

static void print_reload(const json_t *ans)
{
	const json_t *v;
	size_t i;

	printf("reloaded: %zu sandbox(es) changed",
	       json_array_size(json_object_get(ans, "changed")));
	json_array_foreach(json_object_get(ans, "changed"), i, v)
	        printf("%s%s", i == 0 ? ": " : ", ", json_string_value(v));
	printf("; %lld unchanged\n", num(ans, "unchanged"));
	json_array_foreach(json_object_get(ans, "needs_restart"), i, v)
	        printf("not applied: %s\n", json_string_value(v));
}

static int print_answer(const struct sbgw_ctl_request *req, const json_t *ans, bool raw)
{
	const json_t *v;
	size_t i;

	if (raw) {
		char *text = json_dumps(ans, JSON_INDENT(2));

		printf("%s\n", text != NULL ? text : "");
		free(text);
		return json_is_true(json_object_get(ans, "ok")) ? 0 : EXIT_REFUSED;
	}
	if (!json_is_true(json_object_get(ans, "ok"))) {
		fprintf(stderr, "sbgwctl: %s\n", str(ans, "error"));
		json_array_foreach(json_object_get(ans, "details"), i, v)
		        fprintf(stderr, "  %s\n", json_string_value(v));
		return EXIT_REFUSED;
	}
	switch (req->cmd) {
	case SBGW_CTL_LIST:
		print_list(ans);
		break;
	case SBGW_CTL_SHOW:
		print_show(ans);
		break;
	case SBGW_CTL_RELOAD:
		print_reload(ans);
		break;
	case SBGW_CTL_RELAY_RESTART:
		printf("relay restarted: %lld connection(s) reset\n", num(ans, "reset"));
		break;
	default:
		printf("sandbox %s: new %s in force\n", str(ans, "changed"),
		       req->cmd == SBGW_CTL_POLICY ? "network settings" : "definition");
		break;
	}
	return 0;
}

/* Fill req from the command words; -1 on a usage error. */
static int build_request(int argc, char **argv, struct sbgw_ctl_request *req)
{
	static const struct {
		const char *word;
		enum sbgw_ctl_cmd cmd;
		int args; /* 1: NAME, 2: NAME FILE, 3: FILE */
	} words[] = {
	        {"list", SBGW_CTL_LIST, 0},     {"show", SBGW_CTL_SHOW, 1},
	        {"policy", SBGW_CTL_POLICY, 2}, {"replace", SBGW_CTL_REPLACE, 3},
	        {"add", SBGW_CTL_ADD, 3},       {"remove", SBGW_CTL_REMOVE, 1},
	        {"reload", SBGW_CTL_RELOAD, 0}, {"relay-restart", SBGW_CTL_RELAY_RESTART, 0},
	};
	const char *file = NULL;

	memset(req, 0, sizeof(*req));
	for (unsigned int i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		int want = words[i].args == 0 ? 1 : words[i].args == 2 ? 3 : 2;

		if (strcmp(argv[0], words[i].word) != 0)
			continue;
		if (argc != want) {
			fprintf(stderr, "sbgwctl: %s: wrong number of arguments\n", argv[0]);
			return -1;
		}
		req->cmd = words[i].cmd;
		if (words[i].args == 1 || words[i].args == 2)
			snprintf(req->name, sizeof(req->name), "%s", argv[1]);
		if (words[i].args == 2)
			file = argv[2];
		if (words[i].args == 3)
			file = argv[1];
		if (file != NULL) {
			req->text = read_file(file);
			req->origin = strdup(strcmp(file, "-") == 0 ? "<stdin>" : file);
			if (req->text == NULL || req->origin == NULL)
				return -1;
		}
		return 0;
	}
	fprintf(stderr, "sbgwctl: unknown command \"%s\"\n", argv[0]);
	return -1;
}

int main(int argc, char **argv)
{
	const char *socket_path = SBGW_DEFAULT_CONTROL_SOCKET, *config_path = NULL;
	struct sbgw_config *cfg = NULL;
	struct sbgw_ctl_request req;
	bool raw = false;
	char *line;
	json_t *ans;
	int c, fd, rc;

	while ((c = getopt(argc, argv, "+s:c:jh")) != -1) {
		switch (c) {
		case 's':
			socket_path = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'j':
			raw = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "check") == 0) {
		if (argc != 2) {
			usage(stderr);
			return EXIT_USAGE;
		}
		cfg = sbgw_config_load(argv[1], stderr); /* every problem as FILE:LINE: */
		if (cfg == NULL)
			return EXIT_REFUSED;
		printf("%s: ok\n", argv[1]);
		sbgw_config_free(cfg);
		return 0;
	}
	if (build_request(argc, argv, &req) < 0) {
		sbgw_ctl_request_clear(&req);
		return EXIT_USAGE;
	}
	if (config_path != NULL) {
		cfg = sbgw_config_load(config_path, stderr);
		if (cfg == NULL) {
			sbgw_ctl_request_clear(&req);
			return EXIT_USAGE;
		}
		socket_path = cfg->gw.control_socket;
	}
	fd = connect_to(socket_path);
	if (fd < 0) {
		sbgw_ctl_request_clear(&req);
		sbgw_config_free(cfg);
		return EXIT_NO_DAEMON;
	}
	line = sbgw_ctl_format_request(&req);
	ans = NULL;
	if (line == NULL)
		fprintf(stderr, "sbgwctl: cannot encode the request (is the file UTF-8?)\n");
	else if (write_all(fd, line, strlen(line)) < 0)
		fprintf(stderr, "sbgwctl: %s: %s\n", socket_path, strerror(errno));
	else
		ans = read_answer(fd);
	rc = ans != NULL ? print_answer(&req, ans, raw) : EXIT_NO_DAEMON;
	json_decref(ans);
	free(line);
	close(fd);
	sbgw_ctl_request_clear(&req);
	sbgw_config_free(cfg);
	return rc;
}
