/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration file (spec/config.md): parsed with libconfig, checked
 * key by key and type by type (libconfig 1.5 ignores unknown keys itself),
 * validated against semantics §1 and §9, and reduced to one normalised
 * record per sandbox (semantics §1.12) with its addresses allocated.
 *
 * Usage:
 *   struct sbgw_config *cfg = sbgw_config_load(path, stderr);
 *   if (cfg == NULL) ... every problem was printed as FILE:LINE: path: message
 *   ... use cfg ...
 *   sbgw_config_free(cfg);
 *
 * Run time: sbgw_config_parse_sandbox() checks one sandbox definition
 * (control socket) against the running record without changing it;
 * sbgw_link_allocate() is the slot allocator both use.
 *
 * Loading touches no DPDK state and may run on any thread; a reload builds
 * a new record and only replaces the running one when it loaded cleanly.
 * Secret values live only in this record (wiped when it is freed); nothing
 * here prints them. Reference of every setting: docs/configuration.md.
 */
#ifndef SBGW_CONFIG_CONFIG_H
#define SBGW_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "policy.h"

#define SBGW_SANDBOX_NAME_MAX 64
#define SBGW_MAX_CONNECTIONS_DEFAULT 256
#define SBGW_MAX_CONNECTIONS_LIMIT 4096
#define SBGW_DNS_TIMEOUT_MS_DEFAULT 5000
#define SBGW_FLOWS_DEFAULT 1048576
#define SBGW_DEFAULT_CA_CN "microsandbox CA"
#define SBGW_DEFAULT_TLS_STATE_DIR "/var/lib/sbgw/tls"
#define SBGW_DEFAULT_CONTROL_SOCKET "/run/sbgw/control.sock"
#define SBGW_FLOWS_MAX (1u << 28)
#define SBGW_RELAY_FIRST_FLIGHT_MS_DEFAULT 5000 /* semantics §2.7.3 */
#define SBGW_RELAY_FIRST_FLIGHT_MS_MAX 60000
#define SBGW_RELAY_CONNS_DEFAULT 4096
#define SBGW_RELAY_CONNS_MAX 1048576
#define SBGW_DECISION_LOG_RATE_DEFAULT 100 /* lines per second, all threads together */
#define SBGW_DECISION_LOG_RATE_MAX 100000
#define SBGW_MBUFS_MIN 1024
#define SBGW_MBUFS_MAX (1u << 26)
#define SBGW_PLACEHOLDER_MAX 1024    /* bytes (semantics §1.11) */
#define SBGW_SECRET_VALUE_MAX 65536  /* bytes: a secret fits in one HTTP header block */
#define SBGW_LINK_MTU 1500
#define SBGW_SLOTS_MAX 65536 /* the MAC carries 16 bits of the slot (semantics §7) */

struct sbgw_strlist {
	unsigned int n;
	char **v;
};

/* A nameserver as written (semantics §1.9); resolved at start, not here. */
struct sbgw_nameserver {
	char host[SBGW_NAME_MAX]; /* an IP literal or a host name */
	bool is_ip;
	struct sbgw_addr addr; /* when is_ip */
	uint16_t port;
};

struct sbgw_nameservers {
	unsigned int n;
	struct sbgw_nameserver *v;
};

enum sbgw_port_proto {
	SBGW_PORT_TCP,
	SBGW_PORT_UDP,
};

struct sbgw_port_binding {
	struct sbgw_addr bind;
	uint16_t host_port;
	uint16_t guest_port;
	uint8_t proto; /* enum sbgw_port_proto */
	unsigned int line;
	unsigned int index; /* position in network.ports, for messages */
};

struct sbgw_dns_config {
	bool rebind_protection;           /* default true */
	struct sbgw_nameservers nameservers; /* empty: the gateway's */
	uint32_t query_timeout_ms;        /* default 5000, >= 1 */
};

struct sbgw_tls_config {
	bool enabled; /* a tls group was given, or a secret exists */
	struct sbgw_strlist bypass; /* canonical: exact names or "*.suffix" */
	bool verify_upstream;      /* default true */
	unsigned int n_intercepted_ports;
	uint16_t *intercepted_ports; /* default { 443 } */
	bool block_quic;             /* default false (deviation D7) */
	char *ca_cert, *ca_key;      /* both or neither */
	char *ca_cn;                 /* NULL: the gateway's */
};

enum sbgw_violation_action {
	SBGW_VIOLATION_BLOCK,
	SBGW_VIOLATION_BLOCK_AND_LOG,
	SBGW_VIOLATION_BLOCK_AND_TERMINATE,
	SBGW_VIOLATION_PASSTHROUGH,
};

/*
 * A resolved ViolationAction / ViolationPolicy (semantics §1.11, Q7).
 * PASSTHROUGH carries its host set; the bare "passthrough" string is
 * passthrough for all hosts.
 */
struct sbgw_violation {
	uint8_t action; /* enum sbgw_violation_action */
	bool all_hosts;
	struct sbgw_strlist hosts;    /* exact, canonical */
	struct sbgw_strlist patterns; /* "*.suffix" or exact, canonical */
};

struct sbgw_secret {
	char *env_var;
	char *value; /* never printed or logged */
	size_t value_len;
	char *placeholder; /* default "$MSB_" + env_var */
	struct sbgw_strlist allow_hosts;
	struct sbgw_strlist allow_host_patterns;
	bool require_tls; /* default true */
	bool has_on_violation;
	struct sbgw_violation on_violation;
	struct {
		bool headers;      /* default true */
		bool basic_auth;   /* default true */
		bool query_params; /* default false */
		bool body;         /* default false */
	} injection;
	unsigned int line;
};

/* Addresses of one sandbox's link (semantics §7, deviation D9). */
struct sbgw_link {
	bool nic_present; /* false for the "none" preset (deviation D1) */
	uint64_t slot4, slot6;
	struct sbgw_cidr net4;   /* the /30 */
	struct sbgw_addr gw4, guest4;
	struct sbgw_cidr net6;   /* the /64 */
	struct sbgw_addr gw6, guest6;
	struct sbgw_mac gw_mac, guest_mac;
	uint16_t mtu; /* 1500 */
};

struct sbgw_network {
	bool has_policy_preset;
	enum sbgw_preset preset; /* when has_policy_preset */
	struct sbgw_policy policy; /* final rules: deny_domains prepended */
	unsigned int n_ports;
	struct sbgw_port_binding *ports;
	struct sbgw_dns_config dns;
	struct sbgw_tls_config tls;
	struct sbgw_cidr ipv4_pool; /* default 172.16.0.0/12 */
	struct sbgw_cidr ipv6_pool; /* default fd42:6d73:62::/48 */
	uint32_t max_connections;   /* default 256, 0..4096 */
	struct sbgw_violation on_secret_violation; /* default block_and_log */
};

struct sbgw_sandbox {
	char name[SBGW_SANDBOX_NAME_MAX];
	char *port; /* DPDK device string; NULL when none */
	struct sbgw_network net;
	unsigned int n_secrets;
	struct sbgw_secret *secrets;
	struct sbgw_link link;
	struct sbgw_host_addrs host; /* gw4/gw6 as the policy's "host" group */
	unsigned int line;
};

struct sbgw_uplink {
	char *device;
	struct sbgw_cidr address;  /* with the interface address, not cleared */
	struct sbgw_addr address_ip;
	struct sbgw_addr next_hop;
	bool has_v6;
	struct sbgw_cidr address6;
	struct sbgw_addr address6_ip;
	struct sbgw_addr next_hop6;
	/* A static next hop: frames leave with this MAC, no ARP (benchmarks, point-to-point). */
	bool has_next_hop_mac;
	struct sbgw_mac next_hop_mac;
};

struct sbgw_gateway {
	struct sbgw_strlist eal;
	unsigned int n_workers;
	unsigned int *workers;
	unsigned int n_slow;
	unsigned int *slow;
	struct sbgw_uplink uplink;
	char *host_device; /* NULL: no host port */
	struct sbgw_nameservers dns_nameservers;
	struct {
		char *ca_cert, *ca_key;
		char *ca_cn;            /* default "microsandbox CA" */
		char *state_dir;        /* default "/var/lib/sbgw/tls" */
		char *upstream_ca_file; /* NULL: the system store */
	} tls;
	char *control_socket; /* default "/run/sbgw/control.sock" */
	uint32_t flows;       /* default 1048576 */
	uint32_t mbufs;       /* packet buffers in the pool; 0 (default): sized from ports and workers */
	struct {
		uint32_t first_flight_timeout_ms; /* default 5000: semantics §2.7.3 */
		uint32_t max_connections;         /* default 4096: relayed connections at once */
	} relay;
	struct {
		char *output;        /* NULL: off; "stderr"; or a file appended to */
		uint32_t per_second; /* default 100 */
	} decision_log;
	bool has_floor;
	struct sbgw_policy floor;
};

struct sbgw_config {
	char *path;
	struct sbgw_gateway gw;
	unsigned int n_sandboxes;
	struct sbgw_sandbox *sandboxes;
};

/*
 * Load, check and normalise path. Every problem is written to errors as
 * "FILE:LINE: path: message" (all of them, not just the first). Returns
 * NULL when there was any problem.
 */
struct sbgw_config *sbgw_config_load(const char *path, FILE *errors);
void sbgw_config_free(struct sbgw_config *cfg);

/* Print the normalised configuration (no secret values); one sandbox of it. */
void sbgw_config_dump(const struct sbgw_config *cfg, FILE *out);
void sbgw_sandbox_dump(const struct sbgw_sandbox *sb, FILE *out);

/*
 * A sandbox added or replaced at run time (config.md "Run-time changes"):
 * text is one sandboxes entry in the file's syntax ("{ name = ...; }"),
 * origin names it in messages ("ORIGIN:LINE: sandbox.path: message").
 * It is checked like an entry of the file against running: name, port
 * and published ports must not clash with a sandbox other than the one
 * of the same name (which it replaces). It takes the lowest free slots
 * of its pools, or keeps the replaced sandbox's addresses when its pools
 * are unchanged. Relative paths in text are relative to the working
 * directory. running is only read. Returns the new sandbox (free it with
 * sbgw_sandbox_free()), or NULL with errno set and every problem written
 * to errors.
 */
struct sbgw_sandbox *sbgw_config_parse_sandbox(const struct sbgw_config *running, const char *text,
					       const char *origin, FILE *errors);
void sbgw_sandbox_free(struct sbgw_sandbox *sb);

/* A sandbox name as the file allows it: [a-z0-9][a-z0-9_-]{0,62}. */
bool sbgw_sandbox_name_valid(const char *name);

/*
 * Reloads (compare.c): is b the same sandbox as a (every setting, secret
 * values included, line numbers ignored)? Is the gateway section the same?
 * Can b replace a running a, or what would need a restart (NULL: nothing)?
 */
bool sbgw_sandbox_equal(const struct sbgw_sandbox *a, const struct sbgw_sandbox *b);
bool sbgw_gateway_equal(const struct sbgw_config *a, const struct sbgw_config *b);
const char *sbgw_sandbox_restart_reason(const struct sbgw_sandbox *cur,
					const struct sbgw_sandbox *next);

/*
 * Addresses (semantics §7, deviation D9). Slot n of a pool is its n-th
 * /30 (IPv4) or /64 (IPv6); the MACs follow the IPv4 slot.
 */

/* Slots a pool offers (at most SBGW_SLOTS_MAX; 0 if the prefix is too long). */
uint64_t sbgw_pool_slots(const struct sbgw_cidr *pool);
/* The link of IPv4 slot slot4 of pool4 and IPv6 slot slot6 of pool6. */
void sbgw_link_fill(struct sbgw_link *l, const struct sbgw_cidr *pool4, uint64_t slot4,
		    const struct sbgw_cidr *pool6, uint64_t slot6);
/*
 * Give sb (its pools set) the lowest slot of each of its pools that no
 * sandbox of others[0..n) with a NIC holds; fills sb->link and sb->host.
 * 0, or -ENOSPC with *family set to the exhausted pool's AF_INET/AF_INET6.
 */
int sbgw_link_allocate(struct sbgw_sandbox *sb, const struct sbgw_sandbox *others, unsigned int n,
		       int *family);

#endif
