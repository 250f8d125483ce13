/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP/1.x request head of a first flight (RFC 9112 §3, RFC 9110 §5,
 * §7.2): request line, header lines up to the blank line, the one Host
 * header and the request-target's form and host.
 */
#include <string.h>
#include <strings.h>

#include "internal.h"

#define HTTP_PORT_DIGITS_MAX 5
#define HTTP_PORT_MAX 65535

static enum sbgw_first_flight_kind malformed(struct sbgw_first_flight *out, const char *reason)
{
	return ff_result(out, SBGW_FIRST_FLIGHT_MALFORMED, reason);
}

static enum sbgw_first_flight_kind other(struct sbgw_first_flight *out, const char *reason)
{
	return ff_result(out, SBGW_FIRST_FLIGHT_OTHER, reason);
}

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 9110 §5.5 field-vchar, SP or HTAB. */
static bool is_field_char(uint8_t c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Digits only, 1 to 5 of them, at most 65535. */
static bool valid_port(const char *p, size_t len)
{
	unsigned long v = 0;

	if (len == 0 || len > HTTP_PORT_DIGITS_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit((uint8_t)p[i]))
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v <= HTTP_PORT_MAX;
}

/*
 * host[:port] or [v6]:port into out (canonical, brackets removed). The
 * port is checked and dropped. Returns 0 or -1 with *reason set.
 */
static int parse_authority(const char *text, size_t len, bool port_required, char *out,
			   bool *is_ip, const char **reason)
{
	const char *host = text, *port = NULL;
	size_t host_len = len, port_len = 0;

	if (len > 0 && text[0] == '[') {
		const char *close = memchr(text, ']', len);

		if (close == NULL) {
			*reason = "IPv6 host has no closing bracket";
			return -1;
		}
		host = text + 1;
		host_len = (size_t)(close - host);
		if (close + 1 < text + len) {
			if (close[1] != ':') {
				*reason = "IPv6 host is followed by something other than a port";
				return -1;
			}
			port = close + 2;
			port_len = (size_t)(text + len - port);
		}
		if (!ff_is_ip_literal(host, host_len) || memchr(host, ':', host_len) == NULL) {
			*reason = "bracketed host is not an IPv6 address";
			return -1;
		}
		for (size_t i = 0; i < host_len; i++)
			out[i] = (char)((host[i] >= 'A' && host[i] <= 'Z') ? host[i] - 'A' + 'a' : host[i]);
		out[host_len] = '\0';
		*is_ip = true;
	} else {
		const char *colon = memchr(text, ':', len);

		if (colon != NULL) {
			host_len = (size_t)(colon - text);
			port = colon + 1;
			port_len = len - host_len - 1;
		}
		if (sbgw_first_flight_name(host, host_len, out, reason) < 0)
			return -1;
		*is_ip = ff_is_ip_literal(out, strlen(out));
	}
	if (port != NULL && !valid_port(port, port_len)) {
		*reason = "port is not a number from 0 to 65535";
		return -1;
	}
	if (port == NULL && port_required) {
		*reason = "CONNECT target has no port";
		return -1;
	}
	return 0;
}

/* Classify the request-target and find its host, if it names one. */
static enum sbgw_first_flight_kind parse_target(const char *t, size_t len,
						struct sbgw_first_flight *out)
{
	static const char *const schemes[] = {"http://", "https://"};
	const char *reason;
	bool is_ip;

	if (len == 1 && t[0] == '*') {
		out->http.target_form = SBGW_HTTP_TARGET_ASTERISK;
		if (strcmp(out->http.method, "OPTIONS") != 0)
			return malformed(out, "asterisk-form target with a method other than OPTIONS");
		return SBGW_FIRST_FLIGHT_HTTP;
	}
	if (strcmp(out->http.method, "CONNECT") == 0) {
		out->http.target_form = SBGW_HTTP_TARGET_AUTHORITY;
		if (parse_authority(t, len, true, out->http.target_host, &is_ip, &reason) < 0)
			return malformed(out, reason);
		return SBGW_FIRST_FLIGHT_HTTP;
	}
	if (t[0] == '/') {
		out->http.target_form = SBGW_HTTP_TARGET_ORIGIN;
		return SBGW_FIRST_FLIGHT_HTTP;
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		const char *auth;
		size_t auth_len = 0;

		if (len < n || strncasecmp(t, schemes[i], n) != 0)
			continue;
		auth = t + n;
		while (n + auth_len < len && !strchr("/?#", auth[auth_len]))
			auth_len++;
		out->http.target_form = SBGW_HTTP_TARGET_ABSOLUTE;
		if (memchr(auth, '@', auth_len) != NULL)
			return malformed(out, "absolute-form target carries userinfo");
		if (parse_authority(auth, auth_len, false, out->http.target_host, &is_ip, &reason) < 0)
			return malformed(out, reason);
		return SBGW_FIRST_FLIGHT_HTTP;
	}
	return malformed(out, "request target is not in origin, absolute (http, https), "
			      "authority or asterisk form");
}

/* One header line from p (not the blank one); *line_len includes its CRLF. */
static enum sbgw_first_flight_kind parse_header(const uint8_t *p, size_t left, size_t *line_len,
						struct sbgw_first_flight *out)
{
	size_t name_len = 0, v0, v1, end;
	const char *reason;

	if (p[0] == ' ' || p[0] == '\t')
		return malformed(out, "header line is folded (obsolete line folding)");
	while (name_len < left && is_tchar(p[name_len]))
		name_len++;
	if (name_len == left)
		return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
	if (name_len == 0 || p[name_len] != ':')
		return malformed(out, "header name is not a token followed by ':'");
	end = name_len + 1;
	while (end < left && is_field_char(p[end]))
		end++;
	if (end == left)
		return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
	if (p[end] != '\r')
		return malformed(out, "header value contains a control character");
	if (end + 1 == left)
		return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
	if (p[end + 1] != '\n')
		return malformed(out, "header line does not end with CRLF");
	*line_len = end + 2;

	if (name_len != 4 || strncasecmp((const char *)p, "host", 4) != 0)
		return SBGW_FIRST_FLIGHT_HTTP;
	if (out->http.has_host)
		return malformed(out, "more than one Host header");
	out->http.has_host = true;
	v0 = name_len + 1;
	v1 = end;
	while (v0 < v1 && (p[v0] == ' ' || p[v0] == '\t'))
		v0++;
	while (v1 > v0 && (p[v1 - 1] == ' ' || p[v1 - 1] == '\t'))
		v1--;
	if (v0 == v1)
		return SBGW_FIRST_FLIGHT_HTTP; /* empty Host: allowed for targets without authority */
	if (parse_authority((const char *)p + v0, v1 - v0, false, out->name, &out->name_is_ip,
			    &reason) < 0)
		return malformed(out, reason);
	return SBGW_FIRST_FLIGHT_HTTP;
}

/*
 * The request line: METHOD SP request-target SP HTTP/d.d CRLF. Until it
 * has been seen whole up to "HTTP/", the bytes may be another protocol, so
 * a mismatch there is OTHER; after it, MALFORMED. *line_len includes CRLF.
 */
static enum sbgw_first_flight_kind parse_request_line(const uint8_t *buf, size_t len,
						      size_t *line_len,
						      struct sbgw_first_flight *out)
{
	static const char version[] = "HTTP/";
	const size_t vlen = sizeof(version) - 1;
	size_t m = 0, t0, t1, v;

	while (m < len && is_tchar(buf[m])) {
		if (++m >= SBGW_FIRST_FLIGHT_METHOD_LEN)
			return other(out, "method is longer than 16 characters");
	}
	if (m == len)
		return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
	if (buf[m] != ' ')
		return other(out, "no space after the method");
	memcpy(out->http.method, buf, m);
	out->http.method[m] = '\0';

	t0 = t1 = m + 1;
	while (t1 < len && buf[t1] > 0x20 && buf[t1] < 0x7f)
		t1++;
	if (t1 == len)
		return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
	if (buf[t1] != ' ' || t1 == t0)
		return other(out, "request line is not METHOD SP target SP version");

	v = t1 + 1;
	for (size_t i = 0; i < vlen; i++) {
		if (v + i == len)
			return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
		if (buf[v + i] != (uint8_t)version[i])
			return other(out, "request line does not end with an HTTP version");
	}
	/* "d.d" CRLF */
	if (len - v - vlen < 5)
		return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
	v += vlen;
	if (!is_digit(buf[v]) || buf[v + 1] != '.' || !is_digit(buf[v + 2]))
		return malformed(out, "HTTP version is not digit.digit");
	if (buf[v + 3] != '\r' || buf[v + 4] != '\n')
		return malformed(out, "request line does not end with CRLF");
	if (buf[v] == '2' && buf[v + 2] == '0' && strcmp(out->http.method, "PRI") == 0 &&
	    t1 - t0 == 1 && buf[t0] == '*')
		return other(out, "HTTP/2 prior-knowledge preface");
	if (buf[v] != '1' || buf[v + 2] > '1')
		return malformed(out, "HTTP version is not 1.0 or 1.1");
	out->http.version_minor = (uint8_t)(buf[v + 2] - '0');
	*line_len = v + 5;
	return parse_target((const char *)buf + t0, t1 - t0, out);
}

enum sbgw_first_flight_kind ff_http_parse(const uint8_t *buf, size_t len,
					  struct sbgw_first_flight *out)
{
	enum sbgw_first_flight_kind kind;
	size_t pos = 0;

	kind = parse_request_line(buf, len, &pos, out);
	while (kind == SBGW_FIRST_FLIGHT_HTTP) {
		size_t line_len = 0;

		if (len - pos < 2) {
			if (pos < len && buf[pos] != '\r' && buf[pos] != ' ' && buf[pos] != '\t' &&
			    !is_tchar(buf[pos]))
				return malformed(out, "header name is not a token followed by ':'");
			return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
		}
		if (buf[pos] == '\r') {
			if (buf[pos + 1] != '\n')
				return malformed(out, "blank line does not end with CRLF");
			pos += 2;
			break;
		}
		kind = parse_header(buf + pos, len - pos, &line_len, out);
		pos += line_len;
	}
	if (kind != SBGW_FIRST_FLIGHT_HTTP)
		return kind;

	if (out->http.target_host[0] != '\0') {
		/* RFC 9112 §3.2: Host repeats the target's authority; one name, not two. */
		if (out->http.has_host && strcmp(out->name, out->http.target_host) != 0)
			return malformed(out, "Host header and request target name different hosts");
		memcpy(out->name, out->http.target_host, sizeof(out->name));
		out->name_is_ip = ff_is_ip_literal(out->name, strlen(out->name));
	} else if (!out->http.has_host && out->http.version_minor == 1) {
		return malformed(out, "HTTP/1.1 request without a Host header");
	}
	out->length = pos;
	out->reason = NULL;
	out->kind = SBGW_FIRST_FLIGHT_HTTP;
	return SBGW_FIRST_FLIGHT_HTTP;
}
