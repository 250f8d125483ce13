/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address slots (semantics §7, deviation D9). Slot n of a pool is its n-th
 * /30 (IPv4) or /64 (IPv6). A sandbox takes the lowest slot of its own
 * pool that no other sandbox of the gateway holds, so links never overlap
 * even when pools do and the host kernel can route to every guest.
 *
 * Pools are at most /30 and /64 long with their host bits clear, so every
 * slot is aligned to its own size: two slots overlap exactly when their
 * networks are equal, which keeps the check a comparison.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

#define SLOT4_PREFIX 30
#define SLOT6_PREFIX 64
#define SLOT4_SIZE 4
#define MAC_OUI0 0x02 /* locally administered, unicast */
#define MAC_OUI1 0x6d /* 'm' */
#define MAC_OUI2 0x73 /* 's' */
#define MAC_GATEWAY 0x01
#define MAC_GUEST 0x02

uint64_t sbgw_pool_slots(const struct sbgw_cidr *pool)
{
	unsigned int bits = pool->addr.family == AF_INET ? SLOT4_PREFIX : SLOT6_PREFIX;
	unsigned int free_bits;

	if (pool->len > bits)
		return 0;
	free_bits = bits - pool->len;
	/* Beyond 16 bits the MAC could not tell slots apart. */
	if (free_bits >= 16)
		return SBGW_SLOTS_MAX;
	return (uint64_t)1 << free_bits;
}

static uint64_t get_be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void put_be64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static struct sbgw_cidr slot_net(const struct sbgw_cidr *pool, uint64_t slot)
{
	struct sbgw_cidr c = *pool;

	if (pool->addr.family == AF_INET) {
		c.addr.v4 = pool->addr.v4 + (uint32_t)(slot * SLOT4_SIZE);
		c.len = SLOT4_PREFIX;
	} else {
		put_be64(c.addr.v6, get_be64(pool->addr.v6) + slot);
		memset(c.addr.v6 + 8, 0, 8);
		c.len = SLOT6_PREFIX;
	}
	return c;
}

/* Host number i of a slot network: .1 / ::1 is the gateway, .2 / ::2 the guest. */
static struct sbgw_addr slot_host(const struct sbgw_cidr *net, uint8_t i)
{
	struct sbgw_addr a = net->addr;

	if (a.family == AF_INET)
		a.v4 += i;
	else
		a.v6[15] = i;
	return a;
}

static void slot_mac(struct sbgw_mac *m, uint64_t slot, uint8_t last)
{
	m->b[0] = MAC_OUI0;
	m->b[1] = MAC_OUI1;
	m->b[2] = MAC_OUI2;
	m->b[3] = (uint8_t)(slot >> 8);
	m->b[4] = (uint8_t)slot;
	m->b[5] = last;
}

void sbgw_link_fill(struct sbgw_link *l, const struct sbgw_cidr *pool4, uint64_t slot4,
		    const struct sbgw_cidr *pool6, uint64_t slot6)
{
	memset(l, 0, sizeof(*l));
	l->nic_present = true;
	l->slot4 = slot4;
	l->slot6 = slot6;
	l->net4 = slot_net(pool4, slot4);
	l->gw4 = slot_host(&l->net4, 1);
	l->guest4 = slot_host(&l->net4, 2);
	l->net6 = slot_net(pool6, slot6);
	l->gw6 = slot_host(&l->net6, 1);
	l->guest6 = slot_host(&l->net6, 2);
	/* The MAC follows the IPv4 slot, as in semantics §7. */
	slot_mac(&l->gw_mac, slot4, MAC_GATEWAY);
	slot_mac(&l->guest_mac, slot4, MAC_GUEST);
	l->mtu = SBGW_LINK_MTU;
}

static bool slot_taken(const struct sbgw_cidr *net, const struct sbgw_sandbox *others,
		       unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct sbgw_link *l = &others[i].link;
		const struct sbgw_cidr *used = net->addr.family == AF_INET ? &l->net4 : &l->net6;

		if (l->nic_present && sbgw_addr_equal(&used->addr, &net->addr))
			return true;
	}
	return false;
}

static int lowest_free(const struct sbgw_cidr *pool, const struct sbgw_sandbox *others,
		       unsigned int n, uint64_t *out)
{
	uint64_t cap = sbgw_pool_slots(pool);

	/* At most n slots are taken, so this ends after n + 1 tries. */
	for (uint64_t slot = 0; slot < cap; slot++) {
		struct sbgw_cidr net = slot_net(pool, slot);

		if (!slot_taken(&net, others, n)) {
			*out = slot;
			return 0;
		}
	}
	return -ENOSPC;
}

int sbgw_link_allocate(struct sbgw_sandbox *sb, const struct sbgw_sandbox *others, unsigned int n,
		       int *family)
{
	uint64_t slot4, slot6;

	if (lowest_free(&sb->net.ipv4_pool, others, n, &slot4) < 0) {
		*family = AF_INET;
		return -ENOSPC;
	}
	if (lowest_free(&sb->net.ipv6_pool, others, n, &slot6) < 0) {
		*family = AF_INET6;
		return -ENOSPC;
	}
	sbgw_link_fill(&sb->link, &sb->net.ipv4_pool, slot4, &sb->net.ipv6_pool, slot6);
	sb->host.v4 = sb->link.gw4;
	sb->host.v6 = sb->link.gw6;
	return 0;
}

void cfg_assign_link(struct cfg_ctx *ctx, const config_setting_t *s, struct sbgw_sandbox *sb,
		     const struct sbgw_sandbox *others, unsigned int n)
{
	const config_setting_t *net = cfg_member(s, "network", CFG_T_GROUP), *at;
	char pool[SBGW_CIDR_STRLEN];
	int family = 0;

	memset(&sb->link, 0, sizeof(sb->link));
	memset(&sb->host, 0, sizeof(sb->host));
	/* Deviation D1: "none" has no NIC, so it takes no slot either. */
	if (sb->net.has_policy_preset && sb->net.preset == SBGW_PRESET_NONE)
		return;
	if (sbgw_link_allocate(sb, others, n, &family) == 0)
		return;
	at = cfg_member(net, family == AF_INET ? "ipv4_pool" : "ipv6_pool", CFG_T_STRING);
	if (at == NULL)
		at = s;
	cfg_error(ctx, at, "%s%s pool %s is exhausted: every /%d is taken by another sandbox",
		  at == s ? "default " : "", family == AF_INET ? "IPv4" : "IPv6",
		  sbgw_cidr_format(family == AF_INET ? &sb->net.ipv4_pool : &sb->net.ipv6_pool,
				   pool, sizeof(pool)),
		  family == AF_INET ? SLOT4_PREFIX : SLOT6_PREFIX);
}
