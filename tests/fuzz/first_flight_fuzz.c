/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: a TCP client's first bytes through the first-flight
 * parser (lib/inspect: TLS ClientHello with SNI and ALPN, HTTP/1.x request
 * head). Beyond not crashing, the answer must be consistent: a name that
 * comes out is canonical; a complete flight of L bytes gives the same
 * answer on exactly its L bytes, and "need more" on L - 1 of them.
 *
 * Input: the bytes the client sent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "first_flight.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name)
{
	char canon[SBGW_FIRST_FLIGHT_NAME_MAX];
	const char *reason;
	size_t len = strnlen(name, SBGW_FIRST_FLIGHT_NAME_MAX);

	if (len == SBGW_FIRST_FLIGHT_NAME_MAX)
		abort();
	if (len == 0 || strchr(name, ':') != NULL) /* none, or an IPv6 literal from Host */
		return;
	if (sbgw_first_flight_name(name, len, canon, &reason) != 0 || strcmp(canon, name) != 0)
		abort();
}

static enum sbgw_first_flight_kind parse_copy(const uint8_t *data, size_t len,
					      struct sbgw_first_flight *ff)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum sbgw_first_flight_kind kind;

	memcpy(copy, data, len); /* exactly len bytes: ASan sees any overread */
	kind = sbgw_first_flight_parse(copy, len, ff);
	free(copy);
	return kind;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sbgw_first_flight ff, again;
	enum sbgw_first_flight_kind kind = parse_copy(data, size, &ff);

	if (kind != ff.kind)
		abort();
	switch (kind) {
	case SBGW_FIRST_FLIGHT_NEED_MORE:
		if (size >= SBGW_FIRST_FLIGHT_MAX)
			abort();
		break;
	case SBGW_FIRST_FLIGHT_OTHER:
	case SBGW_FIRST_FLIGHT_MALFORMED:
		if (ff.reason == NULL || ff.length != 0 || ff.name[0] != '\0')
			abort();
		break;
	case SBGW_FIRST_FLIGHT_TLS:
	case SBGW_FIRST_FLIGHT_HTTP:
		if (ff.reason != NULL || ff.length == 0 || ff.length > size ||
		    ff.length > SBGW_FIRST_FLIGHT_MAX)
			abort();
		check_name(ff.name);
		check_name(ff.http.target_host);
		if (ff.tls.alpn_count > SBGW_FIRST_FLIGHT_ALPN_MAX)
			abort();
		/* Bytes after the flight change nothing; one byte less is incomplete. */
		if (parse_copy(data, ff.length, &again) != kind || again.length != ff.length ||
		    strcmp(again.name, ff.name) != 0)
			abort();
		if (parse_copy(data, ff.length - 1, &again) != SBGW_FIRST_FLIGHT_NEED_MORE)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
