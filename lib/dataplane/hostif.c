/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostif.h"

#define NL_BUF 1024

struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifinfomsg link;
		struct ifaddrmsg addr;
		struct rtmsg route;
	};
	char attrs[256];
};

static void add_attr(struct nl_req *r, unsigned short type, const void *data, unsigned short len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send one request and wait for its acknowledgement. 0 or -errno. */
static int talk(struct nl_req *r)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	char buf[NL_BUF];
	ssize_t n;
	int fd, rc = -EIO;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = 1;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			break;
		}
	}
out:
	close(fd);
	return rc;
}

static int write_sysctl(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (f == NULL)
		return -errno;
	if (fputs(value, f) < 0)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int sbgw_hostif_configure(int ifindex)
{
	char name[IF_NAMESIZE], path[128];
	struct nl_req r;
	struct in_addr a;
	struct in6_addr a6;
	int rc;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.h.nlmsg_type = RTM_NEWLINK;
	r.link.ifi_index = ifindex;
	r.link.ifi_flags = IFF_UP;
	r.link.ifi_change = IFF_UP;
	rc = talk(&r);
	if (rc < 0)
		return rc;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.h.nlmsg_type = RTM_NEWADDR;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	r.addr.ifa_family = AF_INET;
	r.addr.ifa_prefixlen = SBGW_HOSTIF_PREFIX;
	r.addr.ifa_index = (unsigned int)ifindex;
	inet_pton(AF_INET, SBGW_HOSTIF_KERNEL, &a);
	add_attr(&r, IFA_LOCAL, &a, sizeof(a));
	add_attr(&r, IFA_ADDRESS, &a, sizeof(a));
	rc = talk(&r);
	if (rc < 0)
		return rc;

	/*
	 * IPv6 on the host link only as sbgw configures it: a fixed address,
	 * no router advertisements, no autoconfiguration; it carries the
	 * relay's IPv6 guests (redirected to that address) and nothing the
	 * gateway's IPv6 handling does not see.
	 */
	if (if_indextoname((unsigned int)ifindex, name) != NULL) {
		static const char *const off[] = {"accept_ra", "autoconf", "accept_dad"};

		for (unsigned int i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
			snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", name, off[i]);
			write_sysctl(path, "0");
		}
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
		write_sysctl(path, "0");
	}
	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.h.nlmsg_type = RTM_NEWADDR;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	r.addr.ifa_family = AF_INET6;
	r.addr.ifa_prefixlen = SBGW_HOSTIF_PREFIX6;
	r.addr.ifa_flags = IFA_F_NODAD;
	r.addr.ifa_index = (unsigned int)ifindex;
	inet_pton(AF_INET6, SBGW_HOSTIF_KERNEL6, &a6);
	add_attr(&r, IFA_LOCAL, &a6, sizeof(a6));
	add_attr(&r, IFA_ADDRESS, &a6, sizeof(a6));
	return talk(&r);
}

static int route(int ifindex, int family, const uint8_t *dst, uint8_t len)
{
	struct nl_req r;
	uint8_t gw[16];
	uint32_t oif = (uint32_t)ifindex;
	unsigned short alen = family == AF_INET ? 4 : 16;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h.nlmsg_type = RTM_NEWROUTE;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	r.route.rtm_family = (unsigned char)family;
	r.route.rtm_dst_len = len;
	r.route.rtm_table = RT_TABLE_MAIN;
	r.route.rtm_protocol = RTPROT_STATIC;
	r.route.rtm_scope = RT_SCOPE_UNIVERSE;
	r.route.rtm_type = RTN_UNICAST;
	inet_pton(family, family == AF_INET ? SBGW_HOSTIF_GATEWAY : SBGW_HOSTIF_GATEWAY6, gw);
	add_attr(&r, RTA_DST, dst, alen);
	add_attr(&r, RTA_GATEWAY, gw, alen);
	add_attr(&r, RTA_OIF, &oif, sizeof(oif));
	return talk(&r);
}

int sbgw_hostif_route(int ifindex, const uint8_t dst[4], uint8_t len)
{
	return route(ifindex, AF_INET, dst, len);
}

int sbgw_hostif_route6(int ifindex, const uint8_t dst[16], uint8_t len)
{
	return route(ifindex, AF_INET6, dst, len);
}
