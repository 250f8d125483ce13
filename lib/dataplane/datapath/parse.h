/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parse stage: the first thing every received frame meets. It checks the
 * frame from Ethernet to the transport header without trusting a single
 * length field, and either describes it (struct sbgw_pkt_info) or names
 * why it must be dropped. It never reads past the first segment's data,
 * never writes to the frame, never logs and never allocates.
 */
#ifndef SBGW_DATAPLANE_PARSE_H
#define SBGW_DATAPLANE_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "drop.h"

enum sbgw_l3 {
	SBGW_L3_ARP = 1,
	SBGW_L3_IPV4,
	SBGW_L3_IPV6,
};

struct sbgw_pkt_info {
	uint8_t l3;          /* enum sbgw_l3 */
	uint8_t proto;       /* IP protocol of the transport header */
	uint8_t tcp_flags;   /* TCP only */
	uint8_t icmp_type;   /* ICMP / ICMPv6 only */
	uint8_t icmp_code;
	bool fragment;       /* IPv4 MF/offset or an IPv6 fragment header */
	bool first_fragment; /* offset 0: transport header present */
	uint16_t l3_off;     /* from the start of the frame */
	uint16_t l4_off;
	uint16_t l3_len;     /* IP total length (IPv6: header + payload) */
	uint16_t l4_len;     /* transport header + payload */
	uint16_t sport, dport; /* host order; ICMP echo: the identifier in both */
	uint16_t payload_off;  /* transport payload */
};

/*
 * Parse frame[0..len). Returns SBGW_DROP_NONE and fills info, or the
 * reason to drop. verify_l3_csum=false when the port already checked it.
 */
enum sbgw_drop sbgw_parse_frame(const uint8_t *frame, uint32_t len, bool verify_l3_csum,
				struct sbgw_pkt_info *info);

/*
 * The same for a frame of len bytes of which only the first seg are
 * contiguous (a reassembled datagram): every header must lie within seg.
 */
enum sbgw_drop sbgw_parse_segmented(const uint8_t *frame, uint32_t seg, uint32_t len,
				    bool verify_l3_csum, struct sbgw_pkt_info *info);

#endif
