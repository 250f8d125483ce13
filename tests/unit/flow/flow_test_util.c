/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>

#include "flow_priv.h"
#include "flow_test_util.h"

int flow_test_eal_setup(void **state)
{
	/*
	 * Not --in-memory: DPDK 22.11 refuses it with --no-huge (which
	 * implies legacy memory); --no-shconf isolates the same way.
	 */
	char *argv[] = {
	        "flow_test", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
	        "-m",        "256",       "-l",          "0",        "--log-level=lib.eal:error",
	};

	(void)state;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return -1;
	}
	return 0;
}

int flow_test_eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

struct sbgw_flow_table_params flow_test_params(uint32_t capacity)
{
	struct sbgw_flow_table_params p;

	memset(&p, 0, sizeof(p));
	p.capacity = capacity;
	p.socket_id = SOCKET_ID_ANY;
	p.worker = 0;
	p.n_workers = 1;
	p.n_sandboxes = 4;
	return p;
}

struct sbgw_flow_table *flow_test_table(struct sbgw_flow_table_params *p)
{
	static unsigned int serial;
	struct sbgw_flow_table *t;
	char name[32];

	snprintf(name, sizeof(name), "flowtest%u", serial++);
	p->name = name;
	t = sbgw_flow_table_create(p);
	assert_non_null(t);
	return t;
}

static void key_addr(const char *text, uint8_t *family, uint8_t out[16])
{
	struct in6_addr a6;
	struct in_addr a4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, &a4) == 1) {
		*family = AF_INET;
		memcpy(out, &a4, 4);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, text, &a6), 1);
	*family = AF_INET6;
	memcpy(out, &a6, 16);
}

struct sbgw_flow_key flow_test_guest_key(uint32_t sandbox, uint8_t proto, const char *guest,
                                         uint16_t guest_port, const char *remote,
                                         uint16_t remote_port)
{
	struct sbgw_flow_key k;
	uint8_t f2;

	memset(&k, 0, sizeof(k));
	k.zone = sandbox;
	k.proto = proto;
	k.src_port = guest_port;
	k.dst_port = remote_port;
	key_addr(guest, &k.family, k.src);
	key_addr(remote, &f2, k.dst);
	assert_int_equal(k.family, f2);
	return k;
}

struct sbgw_flow_key flow_test_reply_key(uint8_t proto, const char *remote, uint16_t remote_port,
                                         const char *uplink, uint16_t nat_port)
{
	struct sbgw_flow_key k;
	uint8_t f2;

	memset(&k, 0, sizeof(k));
	k.zone = SBGW_FLOW_ZONE_UPLINK;
	k.proto = proto;
	k.src_port = remote_port;
	k.dst_port = nat_port;
	key_addr(remote, &k.family, k.src);
	key_addr(uplink, &f2, k.dst);
	assert_int_equal(k.family, f2);
	return k;
}

struct sbgw_flow *flow_test_create(struct sbgw_flow_table *t, const struct sbgw_flow_key *key,
                                   const char *uplink, bool counts_connection, uint64_t now)
{
	struct sbgw_flow_create c;
	struct sbgw_addr up;

	assert_int_equal(sbgw_addr_parse(uplink, &up), 0);
	memset(&c, 0, sizeof(c));
	c.guest_key = key;
	c.uplink_addr = &up;
	c.sandbox = key->zone;
	c.rule = 7;
	c.counts_connection = counts_connection;
	return sbgw_flow_create(t, &c, now);
}

int32_t flow_test_hash_keys(const struct sbgw_flow_table *t)
{
	return (int32_t)flow_index_keys(t);
}
