/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A guest's flow as a decision-log line (lib/decision): who, to where,
 * what was decided and which rule decided it. Workers call it only for
 * the first packet of a denied or intercepted flow, after the log's
 * budget admitted the line; it formats on the stack and never blocks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "decision.h"
#include "runtime.h"

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		return "other";
	}
}

void sbgw_decision_flow(struct sbgw_worker *w, const struct sbgw_sandbox_rt *sb,
			const struct rte_mbuf *m, const struct sbgw_pkt_info *info,
			const char *verdict, const char *reason, int32_t rule)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *) + info->l3_off;
	bool v4 = info->l3 == SBGW_L3_IPV4;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], name[2 * sizeof(sb->cfg->name) * 3];
	char fields[SBGW_DLOG_LINE_MAX];
	size_t n;
	int k;

	if (!sbgw_dlog_admit(w->gw->dlog))
		return;
	inet_ntop(v4 ? AF_INET : AF_INET6, ip + (v4 ? 12 : 8), src, sizeof(src));
	inet_ntop(v4 ? AF_INET : AF_INET6, ip + (v4 ? 16 : 24), dst, sizeof(dst));
	if (sbgw_dlog_json_string(name, sizeof(name), sb->cfg->name) == 0)
		snprintf(name, sizeof(name), "\"?\"");
	k = snprintf(fields, sizeof(fields),
		     "\"event\":\"flow\",\"verdict\":\"%s\",\"reason\":\"%s\",\"sandbox\":%s,"
		     "\"proto\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\"",
		     verdict, reason, name, proto_name(info->proto), src, dst);
	n = k > 0 ? (size_t)k : 0;
	if (n < sizeof(fields) && (info->proto == IPPROTO_TCP || info->proto == IPPROTO_UDP)) {
		k = snprintf(fields + n, sizeof(fields) - n, ",\"sport\":%u,\"dport\":%u",
			     info->sport, info->dport);
		n += k > 0 ? (size_t)k : 0;
	}
	if (n < sizeof(fields) && rule != SBGW_DECISION_NO_RULE) {
		if (rule < 0)
			k = snprintf(fields + n, sizeof(fields) - n, ",\"rule\":\"default\"");
		else
			k = snprintf(fields + n, sizeof(fields) - n, ",\"rule\":%d", rule);
		n += k > 0 ? (size_t)k : 0;
	}
	if (n >= sizeof(fields))
		n = sizeof(fields) - 1;
	sbgw_dlog_emit(w->gw->dlog, fields, n);
}
