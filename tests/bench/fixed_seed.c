/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LD_PRELOAD shim for the benchmarks' uplink-to-guest case: a fixed
 * getentropy() makes DPDK's rte_rand() (seeded from it at start-up, one
 * stream per lcore) repeat from run to run, so a worker that creates the
 * same flows in the same order picks the same NAT ports. The benchmark
 * learns those ports in a warm-up run (the uplink's capture) and replays
 * the remote side's replies to them in the measured run. Never for a
 * gateway that faces real traffic: predictable NAT ports are what RFC 6056
 * warns against.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int getentropy(void *buf, size_t len);

int getentropy(void *buf, size_t len)
{
	uint64_t x = 0x5eed5eed5eed5eedull;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i += sizeof(x)) {
		size_t n = len - i < sizeof(x) ? len - i : sizeof(x);

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		memcpy(p + i, &x, n);
	}
	return 0;
}
