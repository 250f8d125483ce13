/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Addresses and networks as sbgw stores them: one type for both families,
 * IPv4 in host byte order, IPv6 as 16 network-order bytes.
 *
 * Usage: parse user text with sbgw_addr_parse() / sbgw_cidr_parse(), and
 * normalise every packet address with sbgw_addr_normalise() before any
 * classification (semantics §2.4: ::ffff:a.b.c.d is a.b.c.d). All functions
 * are pure and safe on any thread, datapath included.
 */
#ifndef SBGW_COMMON_ADDR_H
#define SBGW_COMMON_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sbgw_addr {
	uint8_t family; /* AF_INET or AF_INET6; 0 = unset */
	union {
		uint32_t v4; /* host byte order */
		uint8_t v6[16];
	};
};

struct sbgw_cidr {
	struct sbgw_addr addr; /* host bits cleared */
	uint8_t len;
};

#define SBGW_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */
#define SBGW_CIDR_STRLEN (SBGW_ADDR_STRLEN + 4)

/* Parse an IPv4 or IPv6 literal. 0 or -EINVAL. */
int sbgw_addr_parse(const char *text, struct sbgw_addr *out);

/*
 * Parse "addr/len" or a bare address (as /32 or /128). Host bits are
 * cleared unless strict is set, in which case they are an error (-EINVAL
 * and *host_bits_set = true), as for address pools.
 */
int sbgw_cidr_parse(const char *text, bool strict, struct sbgw_cidr *out, bool *host_bits_set);

/* Replace an IPv4-mapped IPv6 address by its IPv4 address. */
void sbgw_addr_normalise(struct sbgw_addr *a);

/* An IPv4-mapped IPv6 CIDR (inside ::ffff:0:0/96) becomes the IPv4 CIDR it covers. */
void sbgw_cidr_normalise(struct sbgw_cidr *c);

bool sbgw_addr_equal(const struct sbgw_addr *a, const struct sbgw_addr *b);
bool sbgw_addr_is_unspecified(const struct sbgw_addr *a);
bool sbgw_cidr_contains(const struct sbgw_cidr *c, const struct sbgw_addr *a);

/* Format into buf (at least SBGW_ADDR_STRLEN / SBGW_CIDR_STRLEN bytes); returns buf. */
const char *sbgw_addr_format(const struct sbgw_addr *a, char *buf, size_t len);
const char *sbgw_cidr_format(const struct sbgw_cidr *c, char *buf, size_t len);

struct sbgw_mac {
	uint8_t b[6];
};

#endif
