/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The decision log (lib/decision): JSON escaping of what a guest controls,
 * the per-second budget and its count of suppressed events, lines queued
 * by several threads and written whole by the drain.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>

#include "decision.h"

static char path[80];

static int eal_setup(void **state)
{
	/* --in-memory is refused with --no-huge by DPDK 22.11; --no-shconf isolates as well. */
	char *argv[] = {
	        "decision-test", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
	        "-m",            "128",       "-l",          "0",        "--log-level=lib.eal:error",
	};

	(void)state;
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return -1;
	}
	return 0;
}

static int eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

static struct sbgw_dlog *open_log(uint32_t per_second)
{
	struct sbgw_dlog_params p = {.per_second = per_second, .socket_id = -1};
	char err[256];
	struct sbgw_dlog *l;
	int fd;

	snprintf(path, sizeof(path), "/tmp/sbgw-dlog-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	p.output = path;
	l = sbgw_dlog_create(&p, err, sizeof(err));
	assert_non_null(l);
	return l;
}

/* The file's lines, NUL-separated in one buffer; *n their number. */
static char *read_lines(unsigned int *n)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t len;

	assert_non_null(f);
	assert_non_null(buf);
	len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	*n = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n') {
			buf[i] = '\0';
			(*n)++;
		}
	return buf;
}

static void escapes_what_a_guest_controls(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(sbgw_dlog_json_string(out, sizeof(out), "a.example"), 11);
	assert_string_equal(out, "\"a.example\"");
	sbgw_dlog_json_string(out, sizeof(out), "q\"b\\s\n\x01\xff");
	assert_string_equal(out, "\"q\\\"b\\\\s\\u000a\\u0001\\u00ff\"");
}

static void refuses_what_does_not_fit(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(sbgw_dlog_json_string(out, sizeof(out), "abcdef"), 0);
	assert_int_equal(sbgw_dlog_json_string(out, sizeof(out), "abcde"), 7);
	assert_int_equal(sbgw_dlog_json_string(out, sizeof(out), "\x01"), 0); /* 8 bytes + NUL */
}

static void budget_admits_the_limit_then_counts(void **state)
{
	struct sbgw_dlog *l = open_log(3);
	struct sbgw_dlog_stats st;
	unsigned int admitted = 0;

	(void)state;
	/* A second may end during the loop: then up to twice the limit is fine. */
	for (int i = 0; i < 20; i++)
		admitted += sbgw_dlog_admit(l);
	sbgw_dlog_get_stats(l, &st);
	assert_true(admitted >= 3 && admitted <= 6);
	assert_int_equal(st.suppressed, 20 - admitted);
	sbgw_dlog_free(l);
	unlink(path);
}

static void lines_are_written_whole_with_a_time(void **state)
{
	struct sbgw_dlog *l = open_log(100);
	static const char f[] = "\"event\":\"flow\",\"verdict\":\"deny\"";
	struct sbgw_dlog_stats st;
	unsigned int n;
	char *buf;

	(void)state;
	assert_true(sbgw_dlog_admit(l));
	sbgw_dlog_emit(l, f, strlen(f));
	sbgw_dlog_drain(l);
	sbgw_dlog_get_stats(l, &st);
	assert_int_equal(st.written, 1);
	buf = read_lines(&n);
	assert_int_equal(n, 1);
	assert_memory_equal(buf, "{\"time\":", 8);
	assert_non_null(strstr(buf, ",\"event\":\"flow\",\"verdict\":\"deny\"}"));
	free(buf);
	sbgw_dlog_free(l);
	unlink(path);
}

static void suppressed_events_are_reported(void **state)
{
	struct sbgw_dlog *l = open_log(1);
	unsigned int n, suppressed = 0;
	char *buf, *line;

	(void)state;
	for (int i = 0; i < 10; i++)
		if (sbgw_dlog_admit(l))
			sbgw_dlog_emit(l, "\"event\":\"x\"", 11);
		else
			suppressed++;
	sbgw_dlog_free(l); /* the last report is written on the way out */
	buf = read_lines(&n);
	line = buf;
	for (unsigned int i = 0; i < n; i++, line += strlen(line) + 1) {
		const char *c = strstr(line, "\"event\":\"suppressed\",\"count\":");

		if (c != NULL) {
			assert_int_equal(strtoul(c + strlen("\"event\":\"suppressed\",\"count\":"), NULL,
						 10),
					 suppressed);
			assert_non_null(strstr(line, "\"limit_per_second\":1}"));
			suppressed = 0;
		}
	}
	assert_int_equal(suppressed, 0); /* every suppressed event was in a report */
	free(buf);
	unlink(path);
}

struct writer_arg {
	struct sbgw_dlog *l;
	char id;
};

static void *writer(void *arg)
{
	const struct writer_arg *a = arg;
	char fields[300];

	/* Long lines: a torn write would show as a line of two threads' bytes. */
	memset(fields, a->id, sizeof(fields));
	for (int i = 0; i < 200; i++)
		if (sbgw_dlog_admit(a->l))
			sbgw_dlog_emit(a->l, fields, sizeof(fields));
	return NULL;
}

static void threads_never_interleave_a_line(void **state)
{
	struct sbgw_dlog *l = open_log(100000);
	struct writer_arg args[4];
	pthread_t t[4];
	unsigned int n;
	char *buf, *line;

	(void)state;
	for (int i = 0; i < 4; i++) {
		args[i].l = l;
		args[i].id = (char)('a' + i);
		assert_int_equal(pthread_create(&t[i], NULL, writer, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		sbgw_dlog_drain(l); /* the ring holds 1024: drain between the threads' batches */
	}
	sbgw_dlog_free(l);
	buf = read_lines(&n);
	assert_int_equal(n, 800);
	line = buf;
	for (unsigned int i = 0; i < n; i++, line += strlen(line) + 1) {
		const char *body = strchr(line, ',') + 1;

		for (int k = 0; k < 300; k++)
			assert_int_equal(body[k], body[0]);
		assert_int_equal(body[300], '}');
	}
	free(buf);
	unlink(path);
}

static void reopen_follows_a_rename(void **state)
{
	struct sbgw_dlog *l = open_log(100);
	char old[96];
	unsigned int n;
	char *buf;

	(void)state;
	snprintf(old, sizeof(old), "%s.1", path);
	sbgw_dlog_emit(l, "\"n\":1", 5);
	assert_int_equal(rename(path, old), 0);
	sbgw_dlog_emit(l, "\"n\":2", 5); /* queued before the reopen: the old file's */
	assert_int_equal(sbgw_dlog_reopen(l), 0);
	sbgw_dlog_emit(l, "\"n\":3", 5);
	sbgw_dlog_free(l);
	buf = read_lines(&n); /* the new file of the old name */
	assert_int_equal(n, 1);
	assert_non_null(strstr(buf, "\"n\":3}"));
	free(buf);
	unlink(path);
	memcpy(path, old, sizeof(path));
	buf = read_lines(&n);
	assert_int_equal(n, 2);
	free(buf);
	unlink(old);
}

static void an_unwritable_output_is_an_error(void **state)
{
	struct sbgw_dlog_params p = {.output = "/nonexistent-dir/d.jsonl", .per_second = 1};
	char err[256];

	(void)state;
	assert_null(sbgw_dlog_create(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/d.jsonl: No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(escapes_what_a_guest_controls),
	        cmocka_unit_test(refuses_what_does_not_fit),
	        cmocka_unit_test(budget_admits_the_limit_then_counts),
	        cmocka_unit_test(lines_are_written_whole_with_a_time),
	        cmocka_unit_test(suppressed_events_are_reported),
	        cmocka_unit_test(threads_never_interleave_a_line),
	        cmocka_unit_test(reopen_follows_a_rename),
	        cmocka_unit_test(an_unwritable_output_is_an_error),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
