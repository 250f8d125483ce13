/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLS ClientHello of a first flight (RFC 8446 §4.1.2, RFC 6066 §3,
 * RFC 7301 §3.1): reassembled from its handshake records, then its SNI
 * host_name and ALPN protocols read with every length checked.
 */
#include <string.h>

#include "internal.h"

#define TLS_CONTENT_HANDSHAKE 0x16
#define TLS_RECORD_HEADER_LEN 5
#define TLS_RECORD_MAX 16384 /* 2^14, RFC 8446 §5.1 */
#define TLS_HANDSHAKE_HEADER_LEN 4
#define TLS_HANDSHAKE_CLIENT_HELLO 1
#define TLS_RANDOM_LEN 32
#define TLS_SESSION_ID_MAX 32
#define TLS_EXT_SERVER_NAME 0
#define TLS_EXT_ALPN 16
#define SNI_TYPE_HOST_NAME 0

static enum sbgw_first_flight_kind malformed(struct sbgw_first_flight *out, const char *reason)
{
	return ff_result(out, SBGW_FIRST_FLIGHT_MALFORMED, reason);
}

static enum sbgw_first_flight_kind parse_sni(struct ff_reader ext, struct sbgw_first_flight *out)
{
	struct ff_reader list = ff_read_vector(&ext, 2);
	bool have_host = false;
	const char *reason;

	if (!list.ok || ext.left != 0 || list.left == 0)
		return malformed(out, "server_name extension has a bad length");
	while (list.left > 0) {
		uint8_t type = (uint8_t)ff_read_be(&list, 1);
		struct ff_reader name = ff_read_vector(&list, 2);

		if (!name.ok)
			return malformed(out, "server_name entry is truncated");
		if (name.left == 0)
			return malformed(out, "server_name entry is empty");
		if (type != SNI_TYPE_HOST_NAME)
			continue; /* RFC 6066: unknown name types are skipped */
		if (have_host)
			return malformed(out, "server_name has two host_name entries");
		have_host = true;
		if (sbgw_first_flight_name((const char *)name.p, name.left, out->name, &reason) < 0)
			return malformed(out, reason);
		out->name_is_ip = ff_is_ip_literal(out->name, strlen(out->name));
	}
	return SBGW_FIRST_FLIGHT_TLS;
}

static enum sbgw_first_flight_kind parse_alpn(struct ff_reader ext, struct sbgw_first_flight *out)
{
	struct ff_reader list = ff_read_vector(&ext, 2);

	if (!list.ok || ext.left != 0 || list.left == 0)
		return malformed(out, "ALPN extension has a bad length");
	while (list.left > 0) {
		struct ff_reader proto = ff_read_vector(&list, 1);
		struct sbgw_alpn_protocol *slot;

		if (!proto.ok)
			return malformed(out, "ALPN protocol is truncated");
		if (proto.left == 0)
			return malformed(out, "ALPN protocol is empty");
		if (out->tls.alpn_count == SBGW_FIRST_FLIGHT_ALPN_MAX ||
		    proto.left >= SBGW_FIRST_FLIGHT_ALPN_LEN) {
			out->tls.alpn_truncated = true;
			continue;
		}
		slot = &out->tls.alpn[out->tls.alpn_count++];
		slot->len = (uint8_t)proto.left;
		memcpy(slot->name, proto.p, proto.left);
		slot->name[proto.left] = '\0';
	}
	return SBGW_FIRST_FLIGHT_TLS;
}

static enum sbgw_first_flight_kind parse_extensions(struct ff_reader exts,
						    struct sbgw_first_flight *out)
{
	bool seen_sni = false, seen_alpn = false;
	enum sbgw_first_flight_kind kind = SBGW_FIRST_FLIGHT_TLS;

	while (exts.left > 0 && kind == SBGW_FIRST_FLIGHT_TLS) {
		uint16_t type = (uint16_t)ff_read_be(&exts, 2);
		struct ff_reader data = ff_read_vector(&exts, 2);

		if (!data.ok)
			return malformed(out, "extension is truncated");
		if (type == TLS_EXT_SERVER_NAME) {
			/* Two SNIs would let two readers see two different names. */
			if (seen_sni)
				return malformed(out, "two server_name extensions");
			seen_sni = true;
			kind = parse_sni(data, out);
		} else if (type == TLS_EXT_ALPN) {
			if (seen_alpn)
				return malformed(out, "two ALPN extensions");
			seen_alpn = true;
			kind = parse_alpn(data, out);
		}
	}
	return kind;
}

static enum sbgw_first_flight_kind parse_hello(const uint8_t *body, size_t len,
					       struct sbgw_first_flight *out)
{
	struct ff_reader r = ff_reader(body, len);
	struct ff_reader session_id, suites, compression, exts;

	out->tls.legacy_version = (uint16_t)ff_read_be(&r, 2);
	ff_read_slice(&r, TLS_RANDOM_LEN);
	session_id = ff_read_vector(&r, 1);
	suites = ff_read_vector(&r, 2);
	compression = ff_read_vector(&r, 1);
	if (!r.ok)
		return malformed(out, "ClientHello is truncated");
	if (out->tls.legacy_version >> 8 != 3)
		return malformed(out, "ClientHello version is not TLS");
	if (session_id.left > TLS_SESSION_ID_MAX)
		return malformed(out, "ClientHello session id is longer than 32 bytes");
	if (suites.left < 2 || suites.left % 2 != 0)
		return malformed(out, "ClientHello cipher suites have a bad length");
	if (compression.left == 0)
		return malformed(out, "ClientHello has no compression method");
	if (r.left == 0)
		return SBGW_FIRST_FLIGHT_TLS; /* no extensions at all: allowed before TLS 1.3 */
	exts = ff_read_vector(&r, 2);
	if (!exts.ok || r.left != 0)
		return malformed(out, "ClientHello extensions have a bad length");
	return parse_extensions(exts, out);
}

/*
 * Gather the handshake bytes of consecutive handshake records into one
 * buffer until the ClientHello they carry is complete, then parse it.
 */
enum sbgw_first_flight_kind ff_tls_parse(const uint8_t *buf, size_t len,
					 struct sbgw_first_flight *out)
{
	uint8_t hello[SBGW_FIRST_FLIGHT_MAX];
	size_t have = 0, off = 0;

	for (;;) {
		size_t record_len, hello_len;
		enum sbgw_first_flight_kind kind;

		if (len - off < TLS_RECORD_HEADER_LEN)
			return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
		if (buf[off] != TLS_CONTENT_HANDSHAKE)
			return malformed(out, "a record that is not a handshake interrupts the ClientHello");
		if (buf[off + 1] != 3)
			return malformed(out, "record version is not TLS");
		record_len = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (record_len == 0)
			return malformed(out, "empty handshake record");
		if (record_len > TLS_RECORD_MAX)
			return malformed(out, "record is longer than 16384 bytes");
		if (len - off - TLS_RECORD_HEADER_LEN < record_len) {
			/* Fail fast on a first message that cannot be a ClientHello. */
			if (have == 0 && len - off > TLS_RECORD_HEADER_LEN &&
			    buf[off + TLS_RECORD_HEADER_LEN] != TLS_HANDSHAKE_CLIENT_HELLO)
				return malformed(out, "first handshake message is not a ClientHello");
			return ff_result(out, SBGW_FIRST_FLIGHT_NEED_MORE, NULL);
		}
		/* have + record_len <= off + 5 + record_len <= len <= sizeof(hello) */
		memcpy(hello + have, buf + off + TLS_RECORD_HEADER_LEN, record_len);
		have += record_len;
		off += TLS_RECORD_HEADER_LEN + record_len;

		if (hello[0] != TLS_HANDSHAKE_CLIENT_HELLO)
			return malformed(out, "first handshake message is not a ClientHello");
		if (have < TLS_HANDSHAKE_HEADER_LEN)
			continue;
		hello_len = (size_t)hello[1] << 16 | (size_t)hello[2] << 8 | hello[3];
		if (hello_len > SBGW_FIRST_FLIGHT_MAX - TLS_HANDSHAKE_HEADER_LEN)
			return malformed(out, "ClientHello is longer than 16 KiB");
		if (have < TLS_HANDSHAKE_HEADER_LEN + hello_len)
			continue;
		if (have > TLS_HANDSHAKE_HEADER_LEN + hello_len)
			return malformed(out, "handshake data follows the ClientHello");
		kind = parse_hello(hello + TLS_HANDSHAKE_HEADER_LEN, hello_len, out);
		if (kind == SBGW_FIRST_FLIGHT_TLS) {
			out->length = off;
			out->reason = NULL;
			out->kind = kind;
		}
		return kind;
	}
}
