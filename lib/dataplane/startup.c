/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Turning a loaded configuration into a running gateway: EAL arguments,
 * the mbuf pool, every port from its device string, compiled policies,
 * per-worker flow tables, rings and transmit buffers. Everything here runs
 * on the main lcore before the workers start; errors are returned with a
 * message, never exit().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>

#include "errmsg.h"
#include "runtime.h"
#include "hostif.h"
#include "link.h"
#include "live.h"

#define RX_DESC 1024
#define TX_DESC 1024
#define MBUF_CACHE 256
#define EAL_ARGS_MAX 256
#define TCP_CLOSING_SECONDS 10
#define SBGW_AF_PACKET_FRAME 8192
#define JUMBO_MBUFS_PER_QUEUE 1024
#define PIN_NAMES_PER_SANDBOX 4096
#define PIN_ADDRS_PER_SANDBOX 8192
#define PUBLISHED_RING_SIZE 1024 /* frames crossing workers on published ports */
#define REDIRECT_SLOTS 65536 /* relayed connections being set up or open, all sandboxes */

/* A PCI address ("0000:03:00.0" or "03:00.0") is allowed; anything else is a vdev. */
static bool is_pci_address(const char *dev)
{
	regex_t re;
	bool match;

	if (regcomp(&re, "^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]", REG_EXTENDED))
		return false;
	match = regexec(&re, dev, 0, NULL, 0) == 0;
	regfree(&re);
	return match;
}

/* The ethdev name of a device string: everything before the first comma. */
static void device_name(const char *dev, char *out, size_t len)
{
	size_t n = strcspn(dev, ",");

	if (n >= len)
		n = len - 1;
	memcpy(out, dev, n);
	out[n] = '\0';
}

static bool eal_sets_lcores(const struct sbgw_strlist *eal)
{
	for (unsigned int i = 0; i < eal->n; i++) {
		const char *a = eal->v[i];

		if (strcmp(a, "-l") == 0 || strcmp(a, "-c") == 0 || strncmp(a, "--lcores", 8) == 0 ||
		    strncmp(a, "-l", 2) == 0)
			return true;
	}
	return false;
}

struct eal_args {
	int argc;
	char *argv[EAL_ARGS_MAX]; /* handed to EAL, which reorders and overwrites it */
	char *owned[EAL_ARGS_MAX]; /* the same strings, for freeing */
};

static int push(struct eal_args *a, const char *s)
{
	if (a->argc >= EAL_ARGS_MAX - 1)
		return -E2BIG;
	a->owned[a->argc] = strdup(s);
	if (a->owned[a->argc] == NULL)
		return -ENOMEM;
	a->argv[a->argc] = a->owned[a->argc];
	a->argc++;
	return 0;
}

static bool is_af_packet(const char *dev)
{
	return strncmp(dev, "net_af_packet", strlen("net_af_packet")) == 0;
}

/*
 * The af_packet PMD joins a fanout group with the kernel's defragment flag,
 * so a fragmented datagram arrives whole; unless the ring's frames can hold
 * it, the kernel truncates it. Give them room for SBGW_AF_PACKET_FRAME
 * bytes when the device string does not choose a frame size itself.
 */
static int push_device(struct eal_args *a, const char *dev)
{
	char buf[1024];
	int rc;

	if (dev == NULL)
		return 0;
	rc = push(a, is_pci_address(dev) ? "-a" : "--vdev");
	if (rc < 0)
		return rc;
	if (is_af_packet(dev) && strstr(dev, "framesz=") == NULL &&
	    strstr(dev, "blocksz=") == NULL) {
		snprintf(buf, sizeof(buf), "%s,framesz=%u,blocksz=%u", dev, SBGW_AF_PACKET_FRAME,
			 SBGW_AF_PACKET_FRAME);
		return push(a, buf);
	}
	return push(a, dev);
}

/*
 * gateway.eal, then the lcore list derived from workers and slow (unless
 * eal chose lcores itself), then one device argument per port, then what
 * the command line added after "--".
 */
static int build_eal_args(const struct sbgw_config *cfg, int extra_argc, char **extra_argv,
			  struct eal_args *a)
{
	const struct sbgw_gateway *g = &cfg->gw;
	char buf[512];
	int rc = 0;

	memset(a, 0, sizeof(*a));
	rc |= push(a, "sbgw");
	for (unsigned int i = 0; i < g->eal.n; i++)
		rc |= push(a, g->eal.v[i]);
	if (!eal_sets_lcores(&g->eal)) {
		unsigned int main_lcore = g->n_slow > 0 ? g->slow[0] : 0;
		size_t off;

		off = (size_t)snprintf(buf, sizeof(buf), "%u", main_lcore);
		if (g->n_workers == 0)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, ",%u",
						main_lcore == 0 ? 1 : 0);
		for (unsigned int i = 0; i < g->n_workers && off < sizeof(buf); i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, ",%u", g->workers[i]);
		rc |= push(a, "-l");
		rc |= push(a, buf);
		snprintf(buf, sizeof(buf), "%u", main_lcore);
		rc |= push(a, "--main-lcore");
		rc |= push(a, buf);
	}
	rc |= push_device(a, g->uplink.device);
	rc |= push_device(a, g->host_device);
	for (unsigned int i = 0; i < cfg->n_sandboxes; i++)
		rc |= push_device(a, cfg->sandboxes[i].port);
	for (int i = 0; i < extra_argc; i++)
		rc |= push(a, extra_argv[i]);
	return rc < 0 ? -ENOMEM : 0;
}

static int find_port(const char *dev, uint16_t *port, char *err, size_t errlen)
{
	char name[RTE_ETH_NAME_MAX_LEN];

	device_name(dev, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, port) != 0) {
		sbgw_errmsg(err, errlen, "device \"%s\": no port named \"%s\" after EAL start", dev,
			 name);
		return -ENODEV;
	}
	return 0;
}

/* af_packet ports receive whole reassembled datagrams: they need big mbufs. */
static struct rte_mempool *rx_pool(struct sbgw_dataplane *gw, uint16_t port)
{
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(port, &info) == 0 && info.driver_name != NULL &&
	    strstr(info.driver_name, "af_packet") != NULL && gw->jumbo_pool != NULL)
		return gw->jumbo_pool;
	return gw->pool;
}

static int setup_port(struct sbgw_dataplane *gw, uint16_t port, uint16_t nq, const char *what,
		      char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t rxd = RX_DESC, txd = TX_DESC;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0)
		goto fail;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		sbgw_errmsg(err, errlen,
			 "%s: the device offers %u rx / %u tx queues, sbgw needs %u "
			 "(one per worker; for net_af_packet add qpairs=%u)",
			 what, info.max_rx_queues, info.max_tx_queues, nq, nq);
		return -EINVAL;
	}
	rc = rte_eth_dev_configure(port, nq, nq, &conf);
	if (rc < 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc < 0)
		goto fail;
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, rte_eth_dev_socket_id(port), NULL,
					    rx_pool(gw, port));
		if (rc < 0)
			goto fail;
		rc = rte_eth_tx_queue_setup(port, q, txd, rte_eth_dev_socket_id(port), NULL);
		if (rc < 0)
			goto fail;
	}
	rc = rte_eth_dev_start(port);
	if (rc < 0)
		goto fail;
	/* Not every driver filters by MAC; those that do must see the guest's frames. */
	rte_eth_promiscuous_enable(port);
	return 0;
fail:
	sbgw_errmsg(err, errlen, "%s: port setup failed: %s", what, rte_strerror(-rc));
	return rc;
}

static void addr_bytes(const struct sbgw_addr *a, uint8_t *out)
{
	if (a->family == AF_INET) {
		uint32_t be = rte_cpu_to_be_32(a->v4);

		memcpy(out, &be, 4);
	} else if (a->family == AF_INET6) {
		memcpy(out, a->v6, 16);
	}
}

/* The sandbox's first policy generation (live.c replaces it at run time). */
static int attach_policy(struct sbgw_dataplane *gw, struct sbgw_sandbox_rt *sb,
			 struct sbgw_policy_compiled *compiled, char *err, size_t errlen)
{
	if (compiled == NULL)
		return errno != 0 ? -errno : -EINVAL;
	sb->policy = sbgw_policy_rt_create(compiled, gw->n_workers);
	if (sb->policy == NULL) {
		sbgw_policy_free(compiled);
		sbgw_errmsg(err, errlen, "sandbox %s: out of memory", sb->cfg->name);
		return -ENOMEM;
	}
	return 0;
}

static int setup_sandboxes(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	struct sbgw_config *cfg = gw->cfg;

	gw->n_sandboxes = cfg->n_sandboxes;
	gw->n_attached = cfg->n_sandboxes;
	/* One more entry: the host port, attached like a sandbox (setup_host). */
	gw->sandboxes = calloc(cfg->n_sandboxes + 1, sizeof(*gw->sandboxes));
	if (gw->sandboxes == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < cfg->n_sandboxes; i++) {
		const struct sbgw_sandbox *sc = &cfg->sandboxes[i];
		struct sbgw_sandbox_rt *sb = &gw->sandboxes[i];
		int rc;

		sb->cfg = sc;
		sb->index = i;
		sb->port_id = SBGW_NO_PORT;
		sb->worker = i % gw->n_workers;
		memcpy(sb->gw_mac.addr_bytes, sc->link.gw_mac.b, 6);
		memcpy(sb->guest_mac.addr_bytes, sc->link.guest_mac.b, 6);
		addr_bytes(&sc->link.gw4, sb->gw4);
		addr_bytes(&sc->link.guest4, sb->guest4);
		addr_bytes(&sc->link.gw6, sb->gw6);
		addr_bytes(&sc->link.guest6, sb->guest6);
		sbgw_link_local_from_mac(sb->gw_mac.addr_bytes, sb->gw6_ll);
		sb->v4 = sc->link.gw4.family == AF_INET;
		/* A guest gets IPv6 only when the uplink can carry it (semantics §7). */
		sb->v6 = sc->link.gw6.family == AF_INET6 && gw->uplink_v6;
		rc = attach_policy(gw, sb, sbgw_policy_compile(&sc->net.policy, sc->name, err, errlen),
				   err, errlen);
		if (rc < 0)
			return rc;
		if (!sc->link.nic_present || sc->port == NULL)
			continue; /* Network.none(): no port at all (deviation D1) */
		rc = find_port(sc->port, &sb->port_id, err, errlen);
		if (rc < 0)
			return rc;
		rc = setup_port(gw, sb->port_id, 1, sc->name, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * The host port is attached as one more "sandbox" behind the last real
 * one: the host kernel is its guest (169.254.253.1, the tap's own MAC),
 * the policy is allow_all (the host is trusted), and its traffic to the
 * internet is NATed to the uplink like a guest's. That is the exception
 * path the slow path's own sockets take.
 */
static int setup_host(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	static const uint8_t host_gw_mac[6] = {0x02, 0x6d, 0x73, 0xff, 0xff, 0x01};
	struct sbgw_sandbox_rt *sb = &gw->sandboxes[gw->n_sandboxes];
	struct sbgw_sandbox *hc = &gw->host_cfg;
	struct rte_eth_dev_info info;
	struct sbgw_policy allow_all;
	int rc;

	if (gw->host_port == SBGW_NO_PORT)
		return 0;
	memset(hc, 0, sizeof(*hc));
	snprintf(hc->name, sizeof(hc->name), "host");
	hc->link.nic_present = true;
	hc->link.mtu = RTE_ETHER_MTU;
	hc->link.net4.len = SBGW_HOSTIF_PREFIX;
	sb->cfg = hc;
	sb->index = gw->n_sandboxes;
	sb->is_host = true;
	sb->port_id = gw->host_port;
	sb->worker = sb->index % gw->n_workers;
	memcpy(sb->gw_mac.addr_bytes, host_gw_mac, 6);
	rte_eth_macaddr_get(gw->host_port, &sb->guest_mac);
	inet_pton(AF_INET, SBGW_HOSTIF_GATEWAY, sb->gw4);
	inet_pton(AF_INET, SBGW_HOSTIF_KERNEL, sb->guest4);
	sb->v4 = true;
	/* IPv6 on the host link serves the relay (and the host's own traffic if routed). */
	hc->link.net6.len = SBGW_HOSTIF_PREFIX6;
	inet_pton(AF_INET6, SBGW_HOSTIF_GATEWAY6, sb->gw6);
	inet_pton(AF_INET6, SBGW_HOSTIF_KERNEL6, sb->guest6);
	sbgw_link_local_from_mac(sb->gw_mac.addr_bytes, sb->gw6_ll);
	sb->v6 = true;
	memset(&allow_all, 0, sizeof(allow_all));
	if (sbgw_policy_preset(&allow_all, SBGW_PRESET_ALLOW_ALL) < 0)
		return -ENOMEM;
	rc = attach_policy(gw, sb, sbgw_policy_compile(&allow_all, "host", err, errlen), err,
			   errlen);
	sbgw_policy_clear(&allow_all);
	if (rc < 0)
		return rc;
	gw->n_attached++;

	rc = rte_eth_dev_info_get(gw->host_port, &info);
	if (rc < 0 || info.if_index == 0) {
		sbgw_errmsg(err, errlen, "host port: no kernel interface to configure");
		return -ENODEV;
	}
	rc = sbgw_hostif_configure((int)info.if_index);
	for (uint32_t i = 0; rc == 0 && i < gw->n_sandboxes; i++) {
		const struct sbgw_link *l = &gw->cfg->sandboxes[i].link;
		uint8_t net[4];

		if (!l->nic_present || l->net4.addr.family != AF_INET)
			continue;
		addr_bytes(&l->net4.addr, net);
		rc = sbgw_hostif_route((int)info.if_index, net, l->net4.len);
	}
	for (uint32_t i = 0; rc == 0 && i < gw->n_sandboxes; i++) {
		const struct sbgw_link *l = &gw->cfg->sandboxes[i].link;
		uint8_t net6[16];

		if (!l->nic_present || l->net6.addr.family != AF_INET6 || !gw->sandboxes[i].v6)
			continue;
		addr_bytes(&l->net6.addr, net6);
		rc = sbgw_hostif_route6((int)info.if_index, net6, l->net6.len);
	}
	if (rc < 0) {
		sbgw_errmsg(err, errlen, "host port: configuring the kernel side: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * The pin table (written by the DNS service, read by the workers) and the
 * DNS service itself, which runs on the main lcore.
 */
static int setup_pins(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	struct sbgw_pins_params pp;

	if (gw->n_sandboxes == 0)
		return 0;
	memset(&pp, 0, sizeof(pp));
	pp.name = "sbgw_pins";
	pp.n_sandboxes = gw->n_sandboxes;
	pp.n_readers = gw->n_workers;
	pp.max_names = PIN_NAMES_PER_SANDBOX * gw->n_sandboxes;
	pp.max_addrs = PIN_ADDRS_PER_SANDBOX * gw->n_sandboxes;
	pp.tsc_hz = gw->tsc_hz;
	pp.socket_id = (int)rte_socket_id();
	gw->pins = sbgw_pins_create(&pp);
	if (gw->pins == NULL) {
		sbgw_errmsg(err, errlen, "pin table: %s", strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

static int setup_dns(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	struct sbgw_dns_params dp;

	if (gw->n_sandboxes == 0)
		return 0;
	gw->dns_sandboxes = calloc(gw->n_sandboxes, sizeof(*gw->dns_sandboxes));
	if (gw->dns_sandboxes == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < gw->n_sandboxes; i++) {
		const struct sbgw_sandbox_rt *sb = &gw->sandboxes[i];
		struct sbgw_dns_sandbox *d = &gw->dns_sandboxes[i];

		if (sbgw_pins_set_policy(gw->pins, i, sb->policy->compiled) < 0) {
			sbgw_errmsg(err, errlen, "pin table: sandbox %s", sb->cfg->name);
			return -ENOMEM;
		}
		d->cfg = sb->cfg;
		d->compiled = sb->policy->compiled;
		memcpy(d->gw_mac, sb->gw_mac.addr_bytes, 6);
		memcpy(d->guest_mac, sb->guest_mac.addr_bytes, 6);
		d->v4 = sb->v4;
		d->v6 = sb->v6;
		d->out = gw->workers[sb->worker].dns_out;
	}
	memset(&dp, 0, sizeof(dp));
	dp.cfg = gw->cfg;
	dp.n_sandboxes = gw->n_sandboxes;
	dp.sandboxes = gw->dns_sandboxes;
	dp.floor = gw->cfg->gw.has_floor ? &gw->cfg->gw.floor : NULL;
	dp.floor_compiled = gw->floor;
	dp.pool = gw->pool;
	dp.pins = gw->pins;
	dp.dlog = gw->dlog;
	dp.tsc_hz = gw->tsc_hz;
	dp.socket_id = (int)rte_socket_id();
	gw->dns = sbgw_dns_create(&dp, err, errlen);
	return gw->dns == NULL ? -EINVAL : 0;
}

/*
 * Published ports (semantics §6): the listeners are bound here, so a
 * port already in use stops the start (Q18); the service's thread starts
 * with the workers. Its guest leg leaves from the host link's kernel side.
 */
static int setup_publish(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	struct sbgw_publish_sandbox *ps;
	struct sbgw_publish_params pp;

	if (!sbgw_publish_needed(gw->cfg))
		return 0;
	if (gw->host_port == SBGW_NO_PORT) { /* sbgw -t rejects this already */
		sbgw_errmsg(err, errlen, "published ports need gateway.host");
		return -EINVAL;
	}
	ps = calloc(gw->n_sandboxes, sizeof(*ps));
	if (ps == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < gw->n_sandboxes; i++) {
		ps[i].cfg = gw->sandboxes[i].cfg;
		ps[i].compiled = gw->sandboxes[i].policy->compiled;
	}
	memset(&pp, 0, sizeof(pp));
	pp.n_sandboxes = gw->n_sandboxes;
	pp.sandboxes = ps;
	pp.floor = gw->floor;
	inet_pton(AF_INET, SBGW_HOSTIF_KERNEL, &pp.link_addr);
	gw->publish = sbgw_publish_create(&pp, err, errlen);
	free(ps);
	if (gw->publish == NULL)
		return -EADDRINUSE;
	gw->published = sbgw_publish_owners(gw->publish);
	return 0;
}

/*
 * The relay, when there is a host port to redirect into: its listening
 * socket on the kernel's link address, and the table the fast path fills.
 */
static int setup_relay(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	const struct sbgw_sandbox_rt *host = &gw->sandboxes[gw->n_sandboxes];
	struct sbgw_relay_params rp;

	if (gw->n_attached == gw->n_sandboxes || gw->n_sandboxes == 0)
		return 0;
	gw->redirect = sbgw_redirect_create(REDIRECT_SLOTS, (int)rte_socket_id());
	/* Relayed connections count against each sandbox's max_connections. */
	if (gw->redirect == NULL || sbgw_redirect_track(gw->redirect, gw->n_sandboxes) < 0) {
		sbgw_errmsg(err, errlen, "relay: redirect table: out of memory");
		return -ENOMEM;
	}
	memset(&rp, 0, sizeof(rp));
	rp.redirect = gw->redirect;
	rp.dns = gw->dns;
	memcpy(rp.listen4, host->guest4, 4);
	if (host->v6)
		memcpy(rp.listen6, host->guest6, 16);
	rp.port = SBGW_RELAY_PORT;
	rp.max_conns = gw->cfg->gw.relay.max_connections;
	rp.peek_timeout_ms = gw->cfg->gw.relay.first_flight_timeout_ms;
	rp.tsc_hz = gw->tsc_hz;
	rp.cfg = gw->cfg;
	rp.pins = gw->pins;
	rp.dlog = gw->dlog;
	gw->relay = sbgw_relay_create(&rp, err, errlen);
	return gw->relay == NULL ? -EINVAL : 0;
}

static struct rte_eth_dev_tx_buffer *txbuf_create(uint64_t *dropped)
{
	struct rte_eth_dev_tx_buffer *b;

	b = rte_zmalloc("sbgw_txb", RTE_ETH_TX_BUFFER_SIZE(SBGW_BURST), 0);
	if (b == NULL)
		return NULL;
	rte_eth_tx_buffer_init(b, SBGW_BURST);
	rte_eth_tx_buffer_set_err_callback(b, rte_eth_tx_buffer_count_callback, dropped);
	return b;
}

static int setup_workers(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	uint32_t *max_conn;
	unsigned int lcore, i = 0;
	uint16_t uplink_q;

	max_conn = calloc(gw->n_attached + 1, sizeof(*max_conn));
	if (max_conn == NULL)
		return -ENOMEM;
	gw->max_connections = max_conn; /* copied by each flow table; kept for reloads */
	for (uint32_t s = 0; s < gw->n_sandboxes; s++)
		max_conn[s] = gw->cfg->sandboxes[s].net.max_connections;
	/* The host's connections serve every sandbox: only the flow table bounds them. */
	if (gw->n_attached > gw->n_sandboxes)
		max_conn[gw->n_sandboxes] = UINT32_MAX;
	uplink_q = (uint16_t)gw->n_workers;

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct sbgw_worker *w = &gw->workers[i];
		struct sbgw_flow_table_params fp;
		char name[64];

		if (i >= gw->n_workers)
			break;
		w->gw = gw;
		w->index = i;
		w->lcore = lcore;
		w->uplink_rxq = i < uplink_q ? (uint16_t)i : SBGW_NO_PORT;
		w->uplink_txq = (uint16_t)i;
		memset(&fp, 0, sizeof(fp));
		snprintf(name, sizeof(name), "sbgw_flows_%u", i);
		fp.name = name;
		fp.capacity = gw->cfg->gw.flows / gw->n_workers;
		fp.socket_id = (int)rte_lcore_to_socket_id(lcore);
		fp.worker = i;
		fp.n_workers = gw->n_workers;
		fp.nat_port_lo = 1024;
		fp.nat_port_hi = 65535;
		fp.n_sandboxes = gw->n_attached;
		fp.max_connections = max_conn;
		/*
		 * The guest's own stack keeps TIME-WAIT; the gateway only needs to
		 * outlive stray retransmissions. A long linger would hold
		 * max_connections slots (semantics §2.12) for minutes.
		 */
		fp.timeouts.tcp_closing = TCP_CLOSING_SECONDS;
		w->flows = sbgw_flow_table_create(&fp);
		if (w->flows == NULL) {
			sbgw_errmsg(err, errlen, "worker %u: flow table of %u entries: %s", i,
				 fp.capacity, strerror(errno));
			return -errno;
		}
		if (sbgw_frag_init(&w->frag, gw->tsc_hz, fp.socket_id) < 0) {
			sbgw_errmsg(err, errlen, "worker %u: reassembly table: out of memory", i);
			return -ENOMEM;
		}
		snprintf(name, sizeof(name), "sbgw_dns_out_%u", i);
		/* Also frames other workers send to this worker's ports (relayed TCP). */
		w->dns_out = rte_ring_create(name, SBGW_HANDOFF_RING_SIZE, fp.socket_id,
					     RING_F_SC_DEQ);
		if (w->dns_out == NULL) {
			sbgw_errmsg(err, errlen, "worker %u: DNS ring: out of memory", i);
			return -ENOMEM;
		}
		if (gw->pins != NULL && sbgw_pins_reader_register(gw->pins, i) < 0) {
			sbgw_errmsg(err, errlen, "worker %u: pin table reader", i);
			return -EINVAL;
		}
		if (gw->published != NULL) {
			snprintf(name, sizeof(name), "sbgw_published_%u", i);
			w->published_in = rte_ring_create(name, PUBLISHED_RING_SIZE, fp.socket_id,
							  RING_F_SC_DEQ);
			if (w->published_in == NULL) {
				sbgw_errmsg(err, errlen, "worker %u: published-port ring: out of memory",
					 i);
				return -ENOMEM;
			}
		}
		snprintf(name, sizeof(name), "sbgw_handoff_%u", i);
		w->handoff = rte_ring_create(name, SBGW_HANDOFF_RING_SIZE, fp.socket_id,
					     RING_F_SC_DEQ);
		w->sb_counters = rte_zmalloc("sbgw_sbc", sizeof(*w->sb_counters) * (gw->n_sandboxes + 1),
					     RTE_CACHE_LINE_SIZE);
		w->guest_txb = calloc(gw->n_sandboxes + 1, sizeof(*w->guest_txb));
		w->guest_tx_dropped = calloc(gw->n_sandboxes + 1, sizeof(*w->guest_tx_dropped));
		w->uplink_txb = txbuf_create(&w->uplink_tx_dropped);
		w->sandboxes = calloc(gw->n_sandboxes + 1, sizeof(*w->sandboxes));
		if (w->handoff == NULL || w->sb_counters == NULL || w->guest_txb == NULL ||
		    w->guest_tx_dropped == NULL || w->uplink_txb == NULL || w->sandboxes == NULL) {
			sbgw_errmsg(err, errlen, "worker %u: out of memory", i);
			return -ENOMEM;
		}
		for (uint32_t s = 0; s < gw->n_attached; s++) {
			struct sbgw_sandbox_rt *sb = &gw->sandboxes[s];

			if (sb->worker != i || sb->port_id == SBGW_NO_PORT)
				continue;
			w->guest_txb[s] = txbuf_create(&w->guest_tx_dropped[s]);
			if (w->guest_txb[s] == NULL)
				return -ENOMEM;
			w->sandboxes[w->n_sandboxes++] = s;
		}
		i++;
	}
	if (i < gw->n_workers) {
		sbgw_errmsg(err, errlen, "only %u worker lcores available, %u needed", i,
			 gw->n_workers);
		return -EINVAL;
	}
	return 0;
}

/* gateway.decision_log: opened before any thread can decide anything. */
static int setup_decision_log(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	struct sbgw_dlog_params p;

	if (gw->cfg->gw.decision_log.output == NULL)
		return 0;
	memset(&p, 0, sizeof(p));
	p.output = gw->cfg->gw.decision_log.output;
	p.per_second = gw->cfg->gw.decision_log.per_second;
	p.socket_id = (int)rte_socket_id();
	gw->dlog = sbgw_dlog_create(&p, err, errlen);
	return gw->dlog == NULL ? -EINVAL : 0;
}

/*
 * Packet capture (dpdk-dumpcap, dpdk-pdump) attaches as a secondary
 * process and asks this one to copy a port's frames to it. That needs
 * EAL's multi-process channel: with --no-shconf or --in-memory there is
 * none, and sbgw runs without capture rather than not at all.
 */
static void setup_capture(struct sbgw_dataplane *gw)
{
	if (rte_pdump_init() == 0) {
		gw->pdump = true;
		return;
	}
	printf("sbgw: packet capture unavailable (%s): dpdk-dumpcap needs shared EAL "
	       "configuration (no --no-shconf, --in-memory)\n",
	       rte_strerror(rte_errno));
}

static int setup_uplink(struct sbgw_dataplane *gw, char *err, size_t errlen)
{
	const struct sbgw_uplink *u = &gw->cfg->gw.uplink;
	int rc;

	rc = find_port(u->device, &gw->uplink_port, err, errlen);
	if (rc < 0)
		return rc;
	rc = setup_port(gw, gw->uplink_port, (uint16_t)gw->n_workers, "uplink", err, errlen);
	if (rc < 0)
		return rc;
	rte_eth_macaddr_get(gw->uplink_port, &gw->uplink_mac);
	if (rte_eth_dev_get_mtu(gw->uplink_port, &gw->uplink_mtu) != 0 || gw->uplink_mtu == 0)
		gw->uplink_mtu = RTE_ETHER_MTU;
	addr_bytes(&u->address_ip, gw->uplink4);
	addr_bytes(&u->next_hop, gw->next_hop4);
	gw->uplink_v6 = u->has_v6;
	if (u->has_v6) {
		addr_bytes(&u->address6_ip, gw->uplink6);
		addr_bytes(&u->next_hop6, gw->next_hop6);
	}
	/* A static next hop (gateway.uplink.next_hop_mac): resolved before any frame. */
	if (u->has_next_hop_mac)
		sbgw_neigh_preset(gw, 0, u->next_hop_mac.b);
	gw->host_port = SBGW_NO_PORT;
	if (gw->cfg->gw.host_device != NULL) {
		rc = find_port(gw->cfg->gw.host_device, &gw->host_port, err, errlen);
		if (rc < 0)
			return rc;
		rc = setup_port(gw, gw->host_port, 1, "host", err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static unsigned int count_af_packet_queues(const struct sbgw_config *cfg, unsigned int workers)
{
	unsigned int n = is_af_packet(cfg->gw.uplink.device) ? workers : 0;

	if (cfg->gw.host_device != NULL && is_af_packet(cfg->gw.host_device))
		n++;
	for (unsigned int i = 0; i < cfg->n_sandboxes; i++)
		n += cfg->sandboxes[i].port != NULL && is_af_packet(cfg->sandboxes[i].port);
	return n;
}

static unsigned int count_ports(const struct sbgw_config *cfg)
{
	unsigned int n = 1 + (cfg->gw.host_device != NULL);

	for (unsigned int i = 0; i < cfg->n_sandboxes; i++)
		n += cfg->sandboxes[i].port != NULL;
	return n;
}

struct sbgw_dataplane *sbgw_dataplane_create(struct sbgw_config *cfg, int extra_argc,
					 char **extra_argv, char *err, size_t errlen)
{
	struct sbgw_dataplane *gw;
	struct eal_args a;
	unsigned int n_mbufs;
	int rc;

	gw = calloc(1, sizeof(*gw));
	if (gw == NULL)
		return NULL;
	gw->cfg = cfg;
	pthread_mutex_init(&gw->live_lock, NULL);
	gw->uplink_port = SBGW_NO_PORT;
	gw->host_port = SBGW_NO_PORT;
	rc = build_eal_args(cfg, extra_argc, extra_argv, &a);
	if (rc < 0) {
		sbgw_errmsg(err, errlen, "EAL arguments: %s", strerror(-rc));
		goto fail;
	}
	if (rte_eal_init(a.argc, a.argv) < 0) {
		rc = -rte_errno;
		sbgw_errmsg(err, errlen, "EAL initialisation failed: %s", rte_strerror(rte_errno));
		goto fail;
	}
	gw->tsc_hz = rte_get_tsc_hz();
	gw->n_workers = rte_lcore_count() - 1;
	if (gw->n_workers == 0 || gw->n_workers > SBGW_MAX_WORKERS) {
		rc = -EINVAL;
		sbgw_errmsg(err, errlen, "%u worker lcores: need 1 to %u besides the main lcore",
			 gw->n_workers, SBGW_MAX_WORKERS);
		goto fail;
	}
	gw->workers = rte_zmalloc("sbgw_workers", sizeof(*gw->workers) * gw->n_workers,
				  RTE_CACHE_LINE_SIZE);
	/* Enough for every queue's descriptors, the caches and what waits in buffers. */
	n_mbufs = count_ports(cfg) * (RX_DESC + TX_DESC) * gw->n_workers +
		  gw->n_workers * (MBUF_CACHE + 2 * SBGW_NEIGH_PENDING_MAX + SBGW_HANDOFF_RING_SIZE);
	if (sbgw_publish_needed(cfg))
		n_mbufs += gw->n_workers * PUBLISHED_RING_SIZE;
	if (cfg->gw.mbufs != 0) /* gateway.mbufs: e.g. room for a replayed capture */
		n_mbufs = cfg->gw.mbufs;
	gw->pool = rte_pktmbuf_pool_create("sbgw_mbufs", n_mbufs, MBUF_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (count_af_packet_queues(cfg, gw->n_workers) > 0) {
		gw->jumbo_pool = rte_pktmbuf_pool_create(
			"sbgw_jumbo", count_af_packet_queues(cfg, gw->n_workers) * JUMBO_MBUFS_PER_QUEUE,
			MBUF_CACHE, 0, SBGW_AF_PACKET_FRAME + RTE_PKTMBUF_HEADROOM, (int)rte_socket_id());
		if (gw->jumbo_pool == NULL) {
			rc = -ENOMEM;
			sbgw_errmsg(err, errlen, "cannot allocate af_packet receive buffers: %s",
				 rte_strerror(rte_errno));
			goto fail;
		}
	}
	gw->indirect_pool = rte_pktmbuf_pool_create("sbgw_indirect", n_mbufs / 4, MBUF_CACHE, 0, 0,
						    (int)rte_socket_id());
	if (gw->workers == NULL || gw->pool == NULL || gw->indirect_pool == NULL) {
		rc = -ENOMEM;
		sbgw_errmsg(err, errlen, "cannot allocate %u mbufs: %s (raise -m or hugepages)",
			 n_mbufs, rte_strerror(rte_errno));
		goto fail;
	}
	setup_capture(gw);
	rc = setup_decision_log(gw, err, errlen);
	if (rc < 0)
		goto fail;
	rc = setup_uplink(gw, err, errlen);
	if (rc < 0)
		goto fail;
	if (cfg->gw.has_floor) {
		gw->floor = sbgw_policy_compile(&cfg->gw.floor, "floor", err, errlen);
		if (gw->floor == NULL) {
			rc = -errno;
			goto fail;
		}
	}
	rc = setup_sandboxes(gw, err, errlen);
	if (rc < 0)
		goto fail;
	rc = setup_host(gw, err, errlen);
	if (rc < 0)
		goto fail;
	rc = setup_publish(gw, err, errlen);
	if (rc < 0)
		goto fail;
	/* Workers register as readers of the pins; the DNS service needs their rings. */
	rc = setup_pins(gw, err, errlen);
	if (rc == 0)
		rc = setup_workers(gw, err, errlen);
	if (rc == 0)
		rc = setup_dns(gw, err, errlen);
	if (rc == 0)
		rc = setup_relay(gw, err, errlen);
	if (rc < 0)
		goto fail;
	rc = sbgw_telemetry_register(gw);
	if (rc < 0) {
		sbgw_errmsg(err, errlen, "telemetry: %s", strerror(-rc));
		goto fail;
	}
	for (int i = 0; i < a.argc; i++)
		free(a.owned[i]);
	return gw;
fail:
	for (int i = 0; i < a.argc; i++)
		free(a.owned[i]);
	sbgw_dataplane_destroy(gw);
	errno = -rc;
	return NULL;
}

/* Main-lcore work besides DNS: deferred frees of swapped policies, the control socket. */
static void main_lcore_idle(void *arg)
{
	struct sbgw_dataplane *gw = arg;

	sbgw_live_poll(gw);
	sbgw_dlog_drain(gw->dlog);
	if (gw->idle != NULL)
		gw->idle(gw->idle_arg);
}

int sbgw_dataplane_run(struct sbgw_dataplane *gw)
{
	unsigned int lcore, i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (i >= gw->n_workers)
			break;
		rte_eal_remote_launch(sbgw_worker_main, &gw->workers[i], lcore);
		i++;
	}
	/* Published ports have a thread of their own (blocking sockets, epoll). */
	if (gw->publish != NULL && sbgw_publish_start(gw->publish) < 0) {
		fprintf(stderr, "sbgw: published ports: cannot start their thread\n");
		gw->stop = true;
	}
	/*
	 * The main lcore is the slow-path core: it runs the relay, the DNS
	 * service and the control socket (the DNS loop calls main_lcore_idle).
	 */
	if (gw->dns != NULL)
		sbgw_dns_set_idle(gw->dns, main_lcore_idle, gw);
	if (gw->relay != NULL) {
		sbgw_relay_run(gw->relay, gw->dns, &gw->stop);
	} else if (gw->dns != NULL) {
		sbgw_dns_run(gw->dns, &gw->stop);
	} else {
		while (!gw->stop) {
			main_lcore_idle(gw);
			rte_delay_us_sleep(1000);
		}
	}
	rte_eal_mp_wait_lcore();
	sbgw_publish_stop(gw->publish);
	return 0;
}

void sbgw_dataplane_stop(struct sbgw_dataplane *gw)
{
	gw->stop = true;
}

static void close_port(uint16_t port)
{
	if (port == SBGW_NO_PORT || !rte_eth_dev_is_valid_port(port))
		return;
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}

void sbgw_dataplane_destroy(struct sbgw_dataplane *gw)
{
	bool eal_up;

	if (gw == NULL)
		return;
	eal_up = gw->tsc_hz != 0;
	for (unsigned int i = 0; gw->workers != NULL && i < gw->n_workers; i++) {
		struct sbgw_worker *w = &gw->workers[i];

		sbgw_flow_table_free(w->flows);
		sbgw_frag_fini(&w->frag);
		rte_ring_free(w->handoff);
		if (w->published_in != NULL) {
			struct rte_mbuf *m;

			while (rte_ring_dequeue(w->published_in, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(w->published_in);
		}
		if (w->dns_out != NULL) {
			struct rte_mbuf *m;

			while (rte_ring_dequeue(w->dns_out, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(w->dns_out);
		}
		rte_free(w->sb_counters);
		for (uint32_t s = 0; w->guest_txb != NULL && s < gw->n_attached; s++)
			rte_free(w->guest_txb[s]);
		free(w->guest_txb);
		free(w->guest_tx_dropped);
		free(w->sandboxes);
		rte_free(w->uplink_txb);
		for (unsigned int f = 0; f < 2; f++)
			for (unsigned int k = 0; k < w->n_pending[f]; k++)
				rte_pktmbuf_free(w->pending[f][k]);
	}
	for (uint32_t s = 0; gw->sandboxes != NULL && s < gw->n_attached; s++) {
		if (!gw->sandboxes[s].is_host)
			close_port(gw->sandboxes[s].port_id);
		sbgw_policy_rt_free(gw->sandboxes[s].policy, gw->n_workers);
	}
	if (eal_up) {
		close_port(gw->uplink_port);
		close_port(gw->host_port);
	}
	if (gw->pdump)
		rte_pdump_uninit();
	sbgw_publish_free(gw->publish);
	sbgw_live_free_retired(gw, true); /* the workers have stopped */
	sbgw_relay_free(gw->relay);
	sbgw_redirect_free(gw->redirect);
	sbgw_dns_free(gw->dns);
	sbgw_dlog_free(gw->dlog); /* after every thread that writes to it */
	sbgw_pins_free(gw->pins);
	free(gw->dns_sandboxes);
	sbgw_policy_free(gw->floor);
	free(gw->sandboxes);
	free(gw->max_connections);
	pthread_mutex_destroy(&gw->live_lock);
	rte_free(gw->workers);
	rte_mempool_free(gw->pool);
	rte_mempool_free(gw->indirect_pool);
	rte_mempool_free(gw->jumbo_pool);
	free(gw);
	if (eal_up)
		rte_eal_cleanup();
}
