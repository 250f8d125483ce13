/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Walking a flow table for run-time changes: the owning worker re-judges
 * its flows after a policy swap, a bounded slice per loop; the main lcore
 * reads a snapshot of one sandbox's flows for operators and updates a
 * sandbox's max_connections.
 */
#include <string.h>

#include "flow_priv.h"

uint32_t sbgw_flow_capacity(const struct sbgw_flow_table *t)
{
	return t->capacity;
}

uint32_t sbgw_flow_walk(struct sbgw_flow_table *t, uint32_t *cursor, uint32_t budget,
                        sbgw_flow_visit_fn fn, void *arg)
{
	uint32_t cur = *cursor;

	if (cur >= t->capacity)
		cur = 0;
	if (budget > t->capacity)
		budget = t->capacity;
	for (uint32_t i = 0; i < budget; i++) {
		struct sbgw_flow *f = &t->flows[cur];

		if (++cur == t->capacity)
			cur = 0;
		if (f->guest_key.family != 0)
			fn(t, f, arg); /* may delete f: the entry stays in the array */
	}
	*cursor = cur;
	return budget;
}

void sbgw_flow_set_max_connections(struct sbgw_flow_table *t, uint32_t sandbox, uint32_t max)
{
	if (sandbox < t->n_sandboxes)
		__atomic_store_n(&t->max_connections[sandbox], max, __ATOMIC_RELAXED);
}

unsigned int sbgw_flow_snapshot(const struct sbgw_flow_table *t, uint32_t sandbox,
                                struct sbgw_flow *out, unsigned int max)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < t->capacity && n < max; i++) {
		const struct sbgw_flow *f = &t->flows[i];
		struct sbgw_flow copy;

		if (__atomic_load_n(&f->guest_key.family, __ATOMIC_RELAXED) == 0)
			continue;
		memcpy(&copy, f, sizeof(copy));
		/* Freed or reused while we copied: skip rather than show a torn entry. */
		if (copy.guest_key.family == 0 || copy.sandbox != sandbox ||
		    copy.guest_key.zone != sandbox)
			continue;
		out[n++] = copy;
	}
	return n;
}
