/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental expiry: a cursor walks the entry array a few entries per
 * worker loop, so the cost per loop is bounded by the budget however many
 * flows there are, and every flow is looked at once per capacity / budget
 * calls. A flow therefore lives up to one sweep longer than its timeout;
 * callers pick the budget so that a sweep is short next to the timeouts.
 */
#include "flow_priv.h"

unsigned int sbgw_flow_expire(struct sbgw_flow_table *t, uint64_t now, unsigned int budget)
{
	uint32_t cur = t->cursor;
	unsigned int expired = 0;

	if (budget > t->capacity)
		budget = t->capacity;
	for (unsigned int i = 0; i < budget; i++) {
		struct sbgw_flow *f = &t->flows[cur];

		if (++cur == t->capacity)
			cur = 0;
		if (f->guest_key.family == 0)
			continue;
		/* last_seen may be ahead of now if the caller read the TSC earlier. */
		if (now > f->last_seen && now - f->last_seen > flow_idle_limit(t, f)) {
			flow_release(t, f);
			expired++;
		}
	}
	t->cursor = cur;
	t->counters.expired += expired;
	return expired;
}
