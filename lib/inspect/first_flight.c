/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * First-flight inspection: decide which parser a client's first bytes go
 * to, bound the input, and canonicalise the host names both parsers find.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

#define TLS_CONTENT_HANDSHAKE 0x16
#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63

enum sbgw_first_flight_kind ff_result(struct sbgw_first_flight *out,
				      enum sbgw_first_flight_kind kind, const char *reason)
{
	out->kind = kind;
	out->reason = reason;
	if (kind != SBGW_FIRST_FLIGHT_TLS && kind != SBGW_FIRST_FLIGHT_HTTP) {
		/* Nothing half-parsed may be mistaken for a result. */
		out->length = 0;
		out->name[0] = '\0';
		out->name_is_ip = false;
	}
	return kind;
}

bool ff_is_ip_literal(const char *text, size_t len)
{
	char copy[64];
	uint8_t addr[16];

	if (len == 0 || len >= sizeof(copy))
		return false;
	memcpy(copy, text, len);
	copy[len] = '\0';
	return inet_pton(AF_INET, copy, addr) == 1 || inet_pton(AF_INET6, copy, addr) == 1;
}

static bool is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int sbgw_first_flight_name(const char *text, size_t len, char *out, const char **reason)
{
	size_t label = 0;

	out[0] = '\0';
	if (len > 0 && text[len - 1] == '.')
		len--; /* the root label: "example.com." is "example.com" */
	if (len == 0) {
		*reason = "host name is empty";
		return -EINVAL;
	}
	if (len > DNS_NAME_MAX) {
		*reason = "host name is longer than 253 characters";
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0) {
				*reason = "host name has an empty label";
				goto fail;
			}
			label = 0;
		} else if (c == '\0') {
			*reason = "host name contains a NUL byte";
			goto fail;
		} else if (!is_name_char(c)) {
			*reason = "host name contains a character outside letters, digits, '-' and '_'";
			goto fail;
		} else if (++label > DNS_LABEL_MAX) {
			*reason = "host name has a label longer than 63 characters";
			goto fail;
		}
		out[i] = (char)c;
	}
	if (label == 0) {
		*reason = "host name has an empty label"; /* "a.b.." */
		goto fail;
	}
	out[len] = '\0';
	return 0;
fail:
	out[0] = '\0';
	return -EINVAL;
}

/*
 * HTTP methods are tokens; a first byte outside the token alphabet cannot
 * start a request line.
 */
static bool may_start_http(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

enum sbgw_first_flight_kind sbgw_first_flight_parse(const uint8_t *buf, size_t len,
						    struct sbgw_first_flight *out)
{
	bool capped = len >= SBGW_FIRST_FLIGHT_MAX;
	enum sbgw_first_flight_kind kind;

	memset(out, 0, sizeof(*out));
	if (len == 0 || buf == NULL)
		return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
	if (capped)
		len = SBGW_FIRST_FLIGHT_MAX;
	if (buf[0] == TLS_CONTENT_HANDSHAKE)
		kind = ff_tls_parse(buf, len, out);
	else if (may_start_http(buf[0]))
		kind = ff_http_parse(buf, len, out);
	else
		return ff_result(out, SBGW_FIRST_FLIGHT_OTHER,
				 "first byte starts neither a TLS handshake nor an HTTP request");
	if (kind == SBGW_FIRST_FLIGHT_NEED_MORE && capped)
		return ff_result(out, SBGW_FIRST_FLIGHT_MALFORMED,
				 "first flight is incomplete after 16384 bytes");
	return kind;
}

const char *sbgw_first_flight_kind_name(enum sbgw_first_flight_kind kind)
{
	switch (kind) {
	case SBGW_FIRST_FLIGHT_NEED_MORE:
		return "need_more";
	case SBGW_FIRST_FLIGHT_TLS:
		return "tls";
	case SBGW_FIRST_FLIGHT_HTTP:
		return "http";
	case SBGW_FIRST_FLIGHT_OTHER:
		return "other";
	case SBGW_FIRST_FLIGHT_MALFORMED:
		return "malformed";
	}
	return "unknown";
}
