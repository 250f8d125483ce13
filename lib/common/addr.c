/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int sbgw_addr_parse(const char *text, struct sbgw_addr *out)
{
	struct in_addr a4;
	struct in6_addr a6;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, text, &a4) == 1) {
		out->family = AF_INET;
		out->v4 = ntohl(a4.s_addr);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6) == 1) {
		out->family = AF_INET6;
		memcpy(out->v6, &a6, 16);
		return 0;
	}
	return -EINVAL;
}

static unsigned int family_bits(const struct sbgw_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

/* Clear the bits past len; report whether any was set. */
static bool mask_host_bits(struct sbgw_addr *a, uint8_t len)
{
	bool had = false;

	if (a->family == AF_INET) {
		uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
		had = (a->v4 & ~mask) != 0;
		a->v4 &= mask;
		return had;
	}
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int lo = i * 8;
		uint8_t mask;

		if (len >= lo + 8)
			continue;
		mask = len <= lo ? 0 : (uint8_t)(0xff << (8 - (len - lo)));
		if (a->v6[i] & ~mask)
			had = true;
		a->v6[i] &= mask;
	}
	return had;
}

int sbgw_cidr_parse(const char *text, bool strict, struct sbgw_cidr *out, bool *host_bits_set)
{
	char buf[SBGW_CIDR_STRLEN + 8];
	const char *slash;
	char *end;
	long len;

	memset(out, 0, sizeof(*out));
	if (host_bits_set != NULL)
		*host_bits_set = false;
	if (text == NULL || strlen(text) >= sizeof(buf))
		return -EINVAL;
	slash = strchr(text, '/');
	if (slash == NULL) {
		if (sbgw_addr_parse(text, &out->addr) < 0)
			return -EINVAL;
		out->len = (uint8_t)family_bits(&out->addr);
		return 0;
	}
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	if (sbgw_addr_parse(buf, &out->addr) < 0)
		return -EINVAL;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || len < 0 || len > (long)family_bits(&out->addr))
		return -EINVAL;
	out->len = (uint8_t)len;
	if (mask_host_bits(&out->addr, out->len)) {
		if (host_bits_set != NULL)
			*host_bits_set = true;
		if (strict)
			return -EINVAL;
	}
	return 0;
}

void sbgw_addr_normalise(struct sbgw_addr *a)
{
	uint32_t v4;

	if (a->family != AF_INET6 || memcmp(a->v6, v4_mapped_prefix, 12) != 0)
		return;
	v4 = (uint32_t)a->v6[12] << 24 | (uint32_t)a->v6[13] << 16 | (uint32_t)a->v6[14] << 8 |
	     a->v6[15];
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->v4 = v4;
}

void sbgw_cidr_normalise(struct sbgw_cidr *c)
{
	if (c->addr.family != AF_INET6 || c->len < 96 ||
	    memcmp(c->addr.v6, v4_mapped_prefix, 12) != 0)
		return;
	sbgw_addr_normalise(&c->addr);
	c->len = (uint8_t)(c->len - 96);
}

bool sbgw_addr_equal(const struct sbgw_addr *a, const struct sbgw_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	if (a->family == AF_INET6)
		return memcmp(a->v6, b->v6, 16) == 0;
	return true;
}

bool sbgw_addr_is_unspecified(const struct sbgw_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == AF_INET)
		return a->v4 == 0;
	return a->family == AF_INET6 && memcmp(a->v6, zero, 16) == 0;
}

bool sbgw_cidr_contains(const struct sbgw_cidr *c, const struct sbgw_addr *a)
{
	struct sbgw_addr masked;

	if (c->addr.family != a->family)
		return false;
	masked = *a;
	mask_host_bits(&masked, c->len);
	return sbgw_addr_equal(&masked, &c->addr);
}

const char *sbgw_addr_format(const struct sbgw_addr *a, char *buf, size_t len)
{
	struct in_addr a4;

	if (a->family == AF_INET) {
		a4.s_addr = htonl(a->v4);
		if (inet_ntop(AF_INET, &a4, buf, (socklen_t)len) != NULL)
			return buf;
	} else if (a->family == AF_INET6) {
		if (inet_ntop(AF_INET6, a->v6, buf, (socklen_t)len) != NULL)
			return buf;
	}
	snprintf(buf, len, "-");
	return buf;
}

const char *sbgw_cidr_format(const struct sbgw_cidr *c, char *buf, size_t len)
{
	char a[SBGW_ADDR_STRLEN];

	snprintf(buf, len, "%s/%u", sbgw_addr_format(&c->addr, a, sizeof(a)), c->len);
	return buf;
}
