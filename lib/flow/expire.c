/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental expiry: a cursor walks the used part of the entry array (up
 * to the highest entry ever handed out) a few entries at a time, so the
 * cost per call is bounded, and every flow is looked at once per sweep. A
 * flow therefore lives up to one sweep longer than its timeout; the worker
 * paces the sweeps by time (sbgw_flow_expire_paced()) so that a sweep is
 * short next to the timeouts whatever the loop rate.
 */
#include <rte_common.h>

#include "flow_priv.h"

unsigned int sbgw_flow_expire(struct sbgw_flow_table *t, uint64_t now, unsigned int budget)
{
	uint32_t span = t->high_water;
	uint32_t cur = t->cursor;
	unsigned int expired = 0;

	if (span == 0)
		return 0;
	if (budget > span)
		budget = span;
	if (cur >= span)
		cur = 0;
	for (unsigned int i = 0; i < budget; i++) {
		struct sbgw_flow *f = &t->flows[cur];

		if (++cur == span)
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

unsigned int sbgw_flow_expire_paced(struct sbgw_flow_table *t, uint64_t now, uint64_t period)
{
	uint64_t span = t->high_water, elapsed, budget;

	if (t->expire_tsc == 0 || now < t->expire_tsc || span == 0 || period == 0) {
		t->expire_tsc = now;
		return 0;
	}
	elapsed = RTE_MIN(now - t->expire_tsc, period);
	budget = span * elapsed / period;
	if (budget == 0)
		return 0; /* the time adds up until an entry is due */
	budget = RTE_MIN(budget, (uint64_t)SBGW_FLOW_EXPIRE_CALL_MAX);
	/* Account the time of the work done; what is left over stays due. */
	if (now - t->expire_tsc > period)
		t->expire_tsc = now - period;
	t->expire_tsc += budget * period / span;
	return sbgw_flow_expire(t, now, (unsigned int)budget);
}
