/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A seeded generator for tests and benchmarks: splitmix64 is tiny and
 * gives the same sequence on every platform, so a seed reproduces a run.
 */
#ifndef SBGW_TEST_RNG_H
#define SBGW_TEST_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rnd(r) % n);
}

#endif
