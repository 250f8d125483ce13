/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table lookup benchmark: what sbgw_flow_lookup_bulk() costs per key
 * for bursts of 32 established flows, warm and with the caches stirred.
 *
 * A table of the default capacity (1,048,576 flows) holds N IPv4 UDP flows
 * made like the forwarding rig's capture (tests/bench/mkpcap.py: one guest,
 * 203.0.113.(1 + i mod 254), port 1024 + i / 254); bursts of 32 of their
 * guest keys, taken round robin, are looked up and each entry found gets
 * its last_seen written, as the fast path does. Between bursts the
 * benchmark optionally streams through a buffer (-s BYTES), as the
 * forwarding rig's packet replay does through its capture, so that the
 * table's lines must come back from further out. Reported per key: the
 * minimum and the median over bursts (the median shrugs off a shared
 * machine's preemptions; there is no PMU in this VM to count misses).
 *
 * Usage: flow_lookup_bench [-n 1,1000,128000] [-s 0,4194304] [-b bursts]
 */
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include "addr.h"
#include "flow.h"

#define BURST 32
#define CAPACITY 1048576u

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void guest_key(struct sbgw_flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->family = AF_INET;
	k->proto = IPPROTO_UDP;
	k->src_port = (uint16_t)(1024 + (i * 7919u) % 60000);
	k->dst_port = (uint16_t)(1024 + i / 254);
	memcpy(k->src, "\xac\x10\x00\x02", 4);
	k->dst[0] = 203;
	k->dst[2] = 113;
	k->dst[3] = (uint8_t)(1 + i % 254);
}

static void run(uint32_t n, size_t stir, unsigned int bursts)
{
	static unsigned int serial;
	static const uint32_t maxc[1] = {UINT32_MAX};
	struct sbgw_flow_table_params p;
	struct sbgw_flow_table *t;
	struct sbgw_flow_key *keys = calloc(n, sizeof(*keys));
	uint64_t *d = calloc(bursts, sizeof(*d));
	uint8_t *buf = stir ? malloc(stir) : NULL;
	struct sbgw_addr up;
	char name[32];
	uint32_t pos = 0;

	if (keys == NULL || d == NULL || (stir && buf == NULL)) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	if (buf)
		memset(buf, 1, stir);
	memset(&p, 0, sizeof(p));
	snprintf(name, sizeof(name), "lookupbench%u", serial++);
	p.name = name;
	p.capacity = CAPACITY;
	p.socket_id = SOCKET_ID_ANY;
	p.n_workers = 1;
	p.n_sandboxes = 1;
	p.max_connections = maxc;
	t = sbgw_flow_table_create(&p);
	if (t == NULL || sbgw_addr_parse("198.51.100.2", &up) != 0) {
		fprintf(stderr, "cannot create the table\n");
		exit(1);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct sbgw_flow_create c;

		guest_key(&keys[i], i);
		memset(&c, 0, sizeof(c));
		c.guest_key = &keys[i];
		c.uplink_addr = &up;
		c.rule = -1;
		if (sbgw_flow_create(t, &c, 1) == NULL) {
			fprintf(stderr, "create %u failed\n", i);
			exit(1);
		}
	}
	for (unsigned int b = 0; b < bursts; b++) {
		struct sbgw_flow_key kb[BURST];
		const struct sbgw_flow_key *kp[BURST];
		struct sbgw_flow *f[BURST];
		uint64_t t0;

		for (unsigned int j = 0; j < BURST; j++) {
			kb[j] = keys[pos];
			kp[j] = &kb[j];
			pos = pos + 1 == n ? 0 : pos + 1;
		}
		for (size_t o = 0; o < stir; o += 64)
			buf[o]++;
		t0 = rte_rdtsc();
		if (sbgw_flow_lookup_bulk(t, kp, BURST, f) != BURST) {
			fprintf(stderr, "a flow went missing\n");
			exit(1);
		}
		for (unsigned int j = 0; j < BURST; j++)
			f[j]->last_seen = t0;
		d[b] = rte_rdtsc() - t0;
	}
	qsort(d, bursts, sizeof(*d), cmp_u64);
	printf("| %u | %zu | %.1f | %.1f |\n", n, stir, (double)d[0] / BURST,
	       (double)d[bursts / 2] / BURST);
	sbgw_flow_table_free(t);
	free(buf);
	free(d);
	free(keys);
}

int main(int argc, char **argv)
{
	char *eal[] = {"flow_lookup_bench", "--no-huge", "--no-shconf", "--no-pci",
	               "--no-telemetry", "-m", "1024", "-l", "0", "--log-level=*:error"};
	const char *ns = "1,1000,128000", *ss = "0,4194304";
	unsigned int bursts = 20000;
	char *copy, *tok, *save;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:b:")) != -1) {
		if (opt == 'n')
			ns = optarg;
		else if (opt == 's')
			ss = optarg;
		else if (opt == 'b')
			bursts = (unsigned int)strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	printf("TSC %.0f MHz; cycles per key, bursts of %d\n\n", rte_get_tsc_hz() / 1e6, BURST);
	printf("| flows | stirred bytes | min | median |\n|---:|---:|---:|---:|\n");
	copy = strdup(ns);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *c2 = strdup(ss), *t2, *s2;

		for (t2 = strtok_r(c2, ",", &s2); t2; t2 = strtok_r(NULL, ",", &s2))
			run((uint32_t)strtoul(tok, NULL, 10), strtoul(t2, NULL, 10), bursts);
		free(c2);
	}
	free(copy);
	rte_eal_cleanup();
	return 0;
}
