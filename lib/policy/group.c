/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address groups (semantics §1.6, §2.5) and the names of the policy enums.
 *
 * sbgw_addr_group() runs on the datapath (through sbgw_policy_key_init()),
 * so it is a handful of compares, no tables to initialise.
 */
#include <errno.h>
#include <string.h>

#include "policy.h"

/* 169.254.169.254, host byte order. */
#define V4_METADATA 0xa9fea9feu

static bool v4_in(uint32_t a, uint32_t net, unsigned int len)
{
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return (a & mask) == net;
}

static enum sbgw_group group_v4(uint32_t a)
{
	if (a == V4_METADATA)
		return SBGW_GROUP_METADATA;
	if (v4_in(a, 0x7f000000u, 8))
		return SBGW_GROUP_LOOPBACK;
	if (v4_in(a, 0x0a000000u, 8) || v4_in(a, 0xac100000u, 12) || v4_in(a, 0xc0a80000u, 16) ||
	    v4_in(a, 0x64400000u, 10))
		return SBGW_GROUP_PRIVATE;
	if (v4_in(a, 0xa9fe0000u, 16))
		return SBGW_GROUP_LINK_LOCAL;
	if (v4_in(a, 0xe0000000u, 4))
		return SBGW_GROUP_MULTICAST;
	return SBGW_GROUP_PUBLIC;
}

static enum sbgw_group group_v6(const uint8_t *a)
{
	static const uint8_t loopback[16] = {[15] = 1};

	if (memcmp(a, loopback, 16) == 0)
		return SBGW_GROUP_LOOPBACK;
	if ((a[0] & 0xfe) == 0xfc)
		return SBGW_GROUP_PRIVATE;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return SBGW_GROUP_LINK_LOCAL;
	if (a[0] == 0xff)
		return SBGW_GROUP_MULTICAST;
	return SBGW_GROUP_PUBLIC;
}

enum sbgw_group sbgw_addr_group(const struct sbgw_addr *addr, const struct sbgw_host_addrs *host)
{
	struct sbgw_addr a = *addr;

	/* Cheap, and a caller that forgot to normalise must not get "public" (§2.4). */
	sbgw_addr_normalise(&a);
	if (a.family != AF_INET && a.family != AF_INET6)
		return SBGW_GROUP_NONE;
	/* The order is the specification's: each step may shadow the later ones. */
	if (sbgw_addr_is_unspecified(&a))
		return SBGW_GROUP_NONE;
	if (host != NULL &&
	    (sbgw_addr_equal(&a, &host->v4) || sbgw_addr_equal(&a, &host->v6)))
		return SBGW_GROUP_HOST;
	if (a.family == AF_INET)
		return group_v4(a.v4);
	return group_v6(a.v6);
}

static const char *const group_names[SBGW_GROUP_COUNT] = {
	[SBGW_GROUP_NONE] = "none",
	[SBGW_GROUP_PUBLIC] = "public",
	[SBGW_GROUP_PRIVATE] = "private",
	[SBGW_GROUP_LOOPBACK] = "loopback",
	[SBGW_GROUP_LINK_LOCAL] = "link-local",
	[SBGW_GROUP_METADATA] = "metadata",
	[SBGW_GROUP_MULTICAST] = "multicast",
	[SBGW_GROUP_HOST] = "host",
};

const char *sbgw_group_name(enum sbgw_group g)
{
	if ((unsigned int)g >= SBGW_GROUP_COUNT)
		return "?";
	return group_names[g];
}

int sbgw_group_parse(const char *text)
{
	if (text == NULL)
		return -EINVAL;
	/* Case-sensitive like the seed's shorthand (§1.5.2 step 5). */
	if (strcmp(text, "link_local") == 0)
		return SBGW_GROUP_LINK_LOCAL;
	for (int g = SBGW_GROUP_PUBLIC; g < SBGW_GROUP_COUNT; g++)
		if (strcmp(text, group_names[g]) == 0)
			return g;
	return -EINVAL;
}

const char *sbgw_proto_name(enum sbgw_proto p)
{
	switch (p) {
	case SBGW_PROTO_ANY:
		return "any";
	case SBGW_PROTO_TCP:
		return "tcp";
	case SBGW_PROTO_UDP:
		return "udp";
	case SBGW_PROTO_ICMPV4:
		return "icmpv4";
	case SBGW_PROTO_ICMPV6:
		return "icmpv6";
	}
	return "?";
}

const char *sbgw_action_name(enum sbgw_action a)
{
	switch (a) {
	case SBGW_ACTION_ALLOW:
		return "allow";
	case SBGW_ACTION_DENY:
		return "deny";
	}
	return "?";
}
