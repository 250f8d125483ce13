/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared between the first-flight parsers (first_flight.c, tls.c, http.c):
 * the per-protocol entry points and a bounded reader over a byte slice.
 */
#ifndef SBGW_INSPECT_INTERNAL_H
#define SBGW_INSPECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "first_flight.h"

/* buf starts with the TLS handshake record type; len <= SBGW_FIRST_FLIGHT_MAX. */
enum sbgw_first_flight_kind ff_tls_parse(const uint8_t *buf, size_t len,
					 struct sbgw_first_flight *out);

/* buf starts with a token character; len <= SBGW_FIRST_FLIGHT_MAX. */
enum sbgw_first_flight_kind ff_http_parse(const uint8_t *buf, size_t len,
					  struct sbgw_first_flight *out);

/* Set kind and reason; returns kind, so that parsers can `return ff_result(...)`. */
enum sbgw_first_flight_kind ff_result(struct sbgw_first_flight *out,
				      enum sbgw_first_flight_kind kind, const char *reason);

/* Whether text[0..len) is an IPv4 or IPv6 literal (no brackets). */
bool ff_is_ip_literal(const char *text, size_t len);

/*
 * A cursor over a byte slice: every read checks the bytes are there and
 * sets ok = false instead of reading past the end.
 */
struct ff_reader {
	const uint8_t *p;
	size_t left;
	bool ok;
};

static inline struct ff_reader ff_reader(const uint8_t *p, size_t len)
{
	return (struct ff_reader){.p = p, .left = len, .ok = true};
}

static inline uint32_t ff_read_be(struct ff_reader *r, size_t n)
{
	uint32_t v = 0;

	if (!r->ok || r->left < n) {
		r->ok = false;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v = v << 8 | r->p[i];
	r->p += n;
	r->left -= n;
	return v;
}

/* A sub-reader over the next n bytes, which this reader skips. */
static inline struct ff_reader ff_read_slice(struct ff_reader *r, size_t n)
{
	struct ff_reader sub = {.p = r->p, .left = n, .ok = r->ok && r->left >= n};

	if (!sub.ok) {
		r->ok = false;
		sub.left = 0;
		return sub;
	}
	r->p += n;
	r->left -= n;
	return sub;
}

/* A sub-reader over a vector whose length is the next prefix_len bytes. */
static inline struct ff_reader ff_read_vector(struct ff_reader *r, size_t prefix_len)
{
	size_t n = ff_read_be(r, prefix_len);

	return ff_read_slice(r, n);
}

#endif
