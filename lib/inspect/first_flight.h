/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * First-flight inspection: what a guest's TCP client sent first — a TLS
 * ClientHello (its SNI host_name and ALPN list), an HTTP/1.x request head
 * (method, Host, request-target form) or something else.
 *
 * Usage: the relay buffers the guest's first bytes and calls
 * sbgw_first_flight_parse() on everything it has each time more arrives,
 * until the answer is not NEED_MORE. Input past SBGW_FIRST_FLIGHT_MAX bytes
 * is never looked at: a first flight that is still incomplete there is
 * MALFORMED (semantics §2.7.3 and §4.3: 16 KiB). A ClientHello split across
 * several TLS records is reassembled. Names come out canonical (lowercase,
 * no trailing dot) and validated: a name with a NUL, a byte outside
 * letters/digits/'-'/'_', an empty or over-long label, or more than 253
 * characters makes the whole flight MALFORMED, never a truncated name.
 *
 * Pure function of its input, no allocation, any thread; reads only
 * buf[0 .. min(len, SBGW_FIRST_FLIGHT_MAX)).
 */
#ifndef SBGW_INSPECT_FIRST_FLIGHT_H
#define SBGW_INSPECT_FIRST_FLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBGW_FIRST_FLIGHT_MAX 16384    /* bytes looked at, semantics §2.7.3 */
#define SBGW_FIRST_FLIGHT_NAME_MAX 254 /* 253 characters plus NUL */
#define SBGW_FIRST_FLIGHT_ALPN_MAX 8   /* ALPN protocols kept */
#define SBGW_FIRST_FLIGHT_ALPN_LEN 32  /* longest ALPN protocol kept, plus NUL */
#define SBGW_FIRST_FLIGHT_METHOD_LEN 17 /* longest HTTP method, plus NUL */

enum sbgw_first_flight_kind {
	SBGW_FIRST_FLIGHT_NEED_MORE, /* a prefix of something parseable: read more */
	SBGW_FIRST_FLIGHT_TLS,       /* a complete, well-formed ClientHello */
	SBGW_FIRST_FLIGHT_HTTP,      /* a complete, well-formed HTTP/1.x request head */
	SBGW_FIRST_FLIGHT_OTHER,     /* neither TLS nor HTTP/1.x (reason says why) */
	SBGW_FIRST_FLIGHT_MALFORMED, /* TLS or HTTP/1.x, but broken or too large */
};

enum sbgw_http_target_form {
	SBGW_HTTP_TARGET_ORIGIN,    /* /path?query */
	SBGW_HTTP_TARGET_ABSOLUTE,  /* http://host[:port]/path, https://... */
	SBGW_HTTP_TARGET_AUTHORITY, /* host:port, CONNECT only */
	SBGW_HTTP_TARGET_ASTERISK,  /* *, OPTIONS only */
};

struct sbgw_alpn_protocol {
	uint8_t len;
	char name[SBGW_FIRST_FLIGHT_ALPN_LEN]; /* len bytes, then NUL */
};

struct sbgw_first_flight {
	enum sbgw_first_flight_kind kind;
	const char *reason; /* OTHER or MALFORMED: a static message; else NULL */
	/*
	 * TLS: bytes of the records that carried the ClientHello; HTTP: the
	 * request head up to and including the blank line. 0 otherwise.
	 */
	size_t length;
	/*
	 * TLS: the SNI host_name; HTTP: the Host header's host (port and IPv6
	 * brackets removed). Canonical; "" when there is none.
	 */
	char name[SBGW_FIRST_FLIGHT_NAME_MAX];
	bool name_is_ip; /* name is an IPv4 or IPv6 literal */
	struct {
		uint16_t legacy_version; /* ClientHello.legacy_version, e.g. 0x0303 */
		uint8_t alpn_count;      /* protocols kept in alpn[] */
		bool alpn_truncated;     /* more protocols, or longer ones, were offered */
		struct sbgw_alpn_protocol alpn[SBGW_FIRST_FLIGHT_ALPN_MAX];
	} tls;
	struct {
		char method[SBGW_FIRST_FLIGHT_METHOD_LEN];
		uint8_t version_minor; /* HTTP/1.0 or HTTP/1.1 */
		bool has_host;         /* a Host header was present (perhaps empty) */
		enum sbgw_http_target_form target_form;
		/* Absolute- or authority-form: the target's host, canonical. */
		char target_host[SBGW_FIRST_FLIGHT_NAME_MAX];
	} http;
};

/*
 * Parse the first len bytes a client sent. Fills *out (kind included) and
 * returns out->kind. buf may be NULL when len is 0.
 */
enum sbgw_first_flight_kind sbgw_first_flight_parse(const uint8_t *buf, size_t len,
						    struct sbgw_first_flight *out);

/* A short lowercase name for a kind ("need_more", "tls", ...), for logs. */
const char *sbgw_first_flight_kind_name(enum sbgw_first_flight_kind kind);

/*
 * Canonicalise a host name of len bytes (no NUL needed) into out
 * (SBGW_FIRST_FLIGHT_NAME_MAX bytes): lowercase, one trailing dot removed,
 * validated as above. Returns 0 or -EINVAL with *reason set.
 */
int sbgw_first_flight_name(const char *text, size_t len, char *out, const char **reason);

#endif
