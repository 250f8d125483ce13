/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every reason the gateway drops a frame has a name and a counter
 * (per sandbox and per port), so an operator can always say why.
 */
#ifndef SBGW_DATAPLANE_DROP_H
#define SBGW_DATAPLANE_DROP_H

#define SBGW_DROP_REASONS(X)                                                                     \
	X(NONE, "none")                                                                          \
	X(PARSE_SHORT, "parse_short_frame")                                                      \
	X(PARSE_ETHERTYPE, "parse_unsupported_ethertype")                                        \
	X(PARSE_BAD_ARP, "parse_bad_arp")                                                        \
	X(PARSE_BAD_IPV4, "parse_bad_ipv4")                                                      \
	X(PARSE_IPV4_CSUM, "parse_bad_ipv4_checksum")                                            \
	X(PARSE_BAD_IPV6, "parse_bad_ipv6")                                                      \
	X(PARSE_IPV6_EXT, "parse_ipv6_extension_headers")                                        \
	X(PARSE_BAD_TCP, "parse_bad_tcp")                                                        \
	X(PARSE_BAD_UDP, "parse_bad_udp")                                                        \
	X(PARSE_BAD_ICMP, "parse_bad_icmp")                                                      \
	X(PARSE_MULTISEG, "parse_headers_not_contiguous")                                        \
	X(SPOOF_MAC, "spoof_source_mac")                                                         \
	X(SPOOF_IP, "spoof_source_address")                                                      \
	X(ACL_DENY, "acl_deny")                                                                  \
	X(FLOOR_DENY, "floor_deny")                                                              \
	X(FLOW_TABLE_FULL, "flow_table_full")                                                    \
	X(NAT_PORTS, "nat_ports_exhausted")                                                      \
	X(MAX_CONNECTIONS, "max_connections")                                                    \
	X(NO_ROUTE, "no_route")                                                                  \
	X(NO_FLOW, "no_flow")                                                                    \
	X(UNSUPPORTED_PROTO, "unsupported_protocol")                                             \
	X(FRAGMENT, "fragment_dropped")                                                          \
	X(TTL, "ttl_expired")                                                                    \
	X(NEIGH_PENDING, "neighbour_queue_full")                                                 \
	X(TX_FULL, "tx_queue_full")                                                              \
	X(FAMILY_INACTIVE, "family_inactive")                                                    \
	X(LINK_IGNORED, "link_layer_ignored")                                                    \
	X(HOST_SERVICE, "host_service_unavailable")                                              \
	X(DNS_UNAVAILABLE, "dns_service_unavailable")                                            \
	X(DNS_QUEUE_FULL, "dns_queue_full")                                                      \
	X(DNS_PORT_BLOCKED, "dns_port_blocked")                                                  \
	X(RELAY_FULL, "relay_table_full")                                                        \
	X(ICMP_ERROR_UNUSABLE, "icmp_error_unusable")                                            \
	X(ALLOC, "mbuf_alloc_failed")                                                            \
	X(HANDOFF_FULL, "handoff_ring_full")                                                     \
	X(REVOKED, "policy_revoked")

#define SBGW_DROP_ENUM(e, s) SBGW_DROP_##e,
enum sbgw_drop {
	SBGW_DROP_REASONS(SBGW_DROP_ENUM) SBGW_DROP_COUNT
};
#undef SBGW_DROP_ENUM

const char *sbgw_drop_name(enum sbgw_drop d);

#endif
