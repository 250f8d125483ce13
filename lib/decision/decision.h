/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The decision log: one JSON line per denied or intercepted flow and per
 * DNS decision (gateway.decision_log), rate-limited, written by the main
 * lcore so that no worker ever blocks on a file or a pipe.
 */
#ifndef SBGW_DECISION_H
#define SBGW_DECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest line, newline included; longer ones are cut at a field boundary by the caller. */
#define SBGW_DLOG_LINE_MAX 504

struct sbgw_dlog;

struct sbgw_dlog_params {
	const char *output;  /* "stderr", or a file opened for appending */
	uint32_t per_second; /* lines admitted per wall-clock second, all threads together */
	int socket_id;
};

/* What the log did since start (telemetry, sbgwctl). */
struct sbgw_dlog_stats {
	uint64_t written;     /* lines written */
	uint64_t suppressed;  /* events the rate limit left out */
	uint64_t queue_full;  /* admitted lines lost because the main lcore fell behind */
	uint64_t write_errors;
};

/* NULL with a message in err when the output cannot be opened. */
struct sbgw_dlog *sbgw_dlog_create(const struct sbgw_dlog_params *p, char *err, size_t errlen);
/* Writes what is queued, then closes the output. */
void sbgw_dlog_free(struct sbgw_dlog *l);

/*
 * Any thread: may one more line go out this second? false means the
 * event was counted as suppressed; the caller formats nothing.
 */
bool sbgw_dlog_admit(struct sbgw_dlog *l);

/*
 * Any thread, after admit: queue one line. fields is the inside of the
 * JSON object after the time, e.g. "\"event\":\"flow\",..." (the caller
 * escapes strings with sbgw_dlog_json_string). Never blocks.
 */
void sbgw_dlog_emit(struct sbgw_dlog *l, const char *fields, size_t len);

/*
 * Main lcore: open the output file again (log rotation: after a rename,
 * lines go to a new file of the old name). Queued lines are written to
 * the old file first. Nothing for "stderr". -errno when it cannot be
 * opened; the old file stays in use.
 */
int sbgw_dlog_reopen(struct sbgw_dlog *l);

/* Main lcore: write the queued lines, and once a second a count of suppressed events. */
void sbgw_dlog_drain(struct sbgw_dlog *l);

void sbgw_dlog_get_stats(const struct sbgw_dlog *l, struct sbgw_dlog_stats *st);

/*
 * s as a JSON string (quotes included) into out; bytes outside printable
 * ASCII become \u00XX, so a guest's name cannot break the line. Returns
 * the length written, or 0 when it does not fit in cap.
 */
size_t sbgw_dlog_json_string(char *out, size_t cap, const char *s);

#endif
