/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-stage cycle counters on the worker's fast path, for benchmarks
 * (docs/benchmarks.md, "Profile"). Compiled in only by the profile build:
 *
 *   meson setup build-profile -Dbuildtype=release -Dprofile=true
 *
 * which defines SBGW_PROFILE. Without it every macro here expands to
 * nothing and struct sbgw_worker has no profile member: the default build
 * pays nothing, not even a branch.
 *
 * Usage, on a worker (w is its struct sbgw_worker *):
 *   SBGW_PROF_START(w, tsc);         a loop starts at tsc (a TSC it has read)
 *   SBGW_PROF_MARK(w, SBGW_PROF_X);  the cycles since the last mark are stage X's;
 *                                    counts one call of X and starts the next stage
 *   SBGW_PROF_END(w);                the loop is over: its stages count, unless
 *                                    it was preempted (SBGW_PROF_LOOP_MAX_CYCLES)
 *
 * Marks sit at stage boundaries, so every cycle of a loop lands in exactly
 * one stage; a stage a packet skips (a drop) gives its cycles to the next
 * mark. Each mark reads the TSC once (rdtsc, not serialising: a few cycles
 * here); the benchmark compares the profile build's total with the release
 * build's to show what the marks cost. Exported per worker as "profile" in
 * /sbgw/workers.
 */
#ifndef SBGW_DATAPLANE_PROFILE_H
#define SBGW_DATAPLANE_PROFILE_H

#include <stdint.h>

#define SBGW_PROF_STAGES(X)                                                                      \
	X(RX, "rx")                   /* rte_eth_rx_burst() */                                   \
	X(PARSE, "parse")             /* headers, source checks, what the frame is for */        \
	X(LOOKUP, "flow_lookup")      /* the flow key and the flow table lookup */               \
	X(CLASSIFY, "classify")       /* a new flow's policy (and floor) verdict */              \
	X(CREATE, "flow_create")      /* a new flow: NAT port, both keys inserted */             \
	X(REWRITE, "nat_rewrite")     /* flow counters, TCP state, TTL, MSS, NAT, MACs */        \
	X(TX, "tx")                   /* transmit buffers and their flush */                     \
	X(OTHER, "loop_other")        /* rings, neighbour queue, expiry, reassembly timers */

#define SBGW_PROF_ENUM(e, s) SBGW_PROF_##e,
enum sbgw_prof_stage { SBGW_PROF_STAGES(SBGW_PROF_ENUM) SBGW_PROF_COUNT };
#undef SBGW_PROF_ENUM

struct sbgw_prof {
	uint64_t t;     /* TSC of the last mark */
	uint64_t start; /* TSC of the loop's start */
	uint64_t loop_cycles[SBGW_PROF_COUNT]; /* this loop's, until SBGW_PROF_END */
	uint64_t loop_calls[SBGW_PROF_COUNT];
	uint64_t cycles[SBGW_PROF_COUNT];
	uint64_t calls[SBGW_PROF_COUNT];
	uint64_t loops, loops_dropped; /* loops counted; loops left out (preempted) */
};

/*
 * A loop that took longer than this was preempted (a shared machine): its
 * stage figures would land the whole time slice in one stage, so they are
 * left out of the profile (and counted in loops_dropped).
 */
#define SBGW_PROF_LOOP_MAX_CYCLES 200000

#ifdef SBGW_PROFILE

#include <stdbool.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#define SBGW_PROF_START(w, tsc) ((w)->prof.t = (w)->prof.start = (tsc))
#define SBGW_PROF_MARK(w, stage)                                                                 \
	do {                                                                                     \
		uint64_t now_ = rte_rdtsc();                                                     \
		(w)->prof.loop_cycles[stage] += now_ - (w)->prof.t;                              \
		(w)->prof.loop_calls[stage]++;                                                   \
		(w)->prof.t = now_;                                                              \
	} while (0)
/* The loop is over: add its stages to the profile unless it was preempted. */
#define SBGW_PROF_END(w)                                                                         \
	do {                                                                                     \
		struct sbgw_prof *p_ = &(w)->prof;                                               \
		bool keep_ = p_->t - p_->start < SBGW_PROF_LOOP_MAX_CYCLES;                      \
		for (unsigned int s_ = 0; s_ < SBGW_PROF_COUNT; s_++) {                          \
			if (keep_) {                                                             \
				p_->cycles[s_] += p_->loop_cycles[s_];                           \
				p_->calls[s_] += p_->loop_calls[s_];                             \
			}                                                                        \
			p_->loop_cycles[s_] = p_->loop_calls[s_] = 0;                            \
		}                                                                                \
		if (keep_)                                                                       \
			p_->loops++;                                                             \
		else                                                                             \
			p_->loops_dropped++;                                                     \
	} while (0)

/* Add "profile": {stage: {cycles, calls}} to a telemetry dict. */
static inline void sbgw_prof_telemetry(struct rte_tel_data *d, const struct sbgw_prof *p)
{
	static const char *const names[] = {
#define SBGW_PROF_NAME(e, s) s,
		SBGW_PROF_STAGES(SBGW_PROF_NAME)
#undef SBGW_PROF_NAME
	};
	struct rte_tel_data *prof = rte_tel_data_alloc();

	if (prof == NULL)
		return;
	rte_tel_data_start_dict(prof);
	for (unsigned int s = 0; s < SBGW_PROF_COUNT; s++) {
		struct rte_tel_data *st = rte_tel_data_alloc();

		if (st == NULL)
			break;
		rte_tel_data_start_dict(st);
		rte_tel_data_add_dict_u64(st, "cycles", p->cycles[s]);
		rte_tel_data_add_dict_u64(st, "calls", p->calls[s]);
		rte_tel_data_add_dict_container(prof, names[s], st, 0);
	}
	rte_tel_data_add_dict_container(d, "profile", prof, 0);
	rte_tel_data_add_dict_u64(d, "profile_loops", p->loops);
	rte_tel_data_add_dict_u64(d, "profile_loops_preempted", p->loops_dropped);
}
#define SBGW_PROF_TELEMETRY(d, w) sbgw_prof_telemetry(d, &(w)->prof)

#else

#define SBGW_PROF_START(w, tsc) ((void)0)
#define SBGW_PROF_MARK(w, stage) ((void)0)
#define SBGW_PROF_END(w) ((void)0)
#define SBGW_PROF_TELEMETRY(d, w) ((void)0)

#endif /* SBGW_PROFILE */

#endif
