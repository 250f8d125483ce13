#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The TCP relay's throughput and connection rate (docs/benchmarks.md "TCP
# relay"), side by side with the kernel's own proxies and plain routing, in
# one run. Not part of the test suite.
#
#   tests/bench/relay/run.sh [BUILD] [REPS] [SECONDS]
#     BUILD    sbgw build directory (default: build; needs tests/bench/connload)
#     REPS     repetitions of every measurement (default: 3)
#     SECONDS  length of one measurement (default: 10)
#   RESULTS=FILE  the raw rows are appended there (default build-bench-relay/results.tsv)
#   PROFILE=DIR   perf samples (cpu-clock) of the relay's thread during each
#                 connection-rate run of the relay (perf report -i ...)
#
# Needs iperf3 and socat besides the end-to-end suite's packages
# (scripts/deps bench). Everything runs in namespaces this script creates
# (tests/e2e/lib.sh) and removes on exit.
#
# Topology: guest g0 --af_packet-- sbgw (gw ns) --af_packet-- inet ns.
#   relay:  guest -> 172.16.0.1:PORT (the gateway, a host service) -> sbgw
#           worker -> host port (net_tap) -> the relay (main lcore) -> the
#           gw namespace's 127.0.0.1:PORT
#   socat / splice: guest -> sbgw fast path (NAT) -> uplink -> a proxy on
#           203.0.113.10 in the inet namespace -> its 127.0.0.1:PORT
#           (socat: read/write in user space; splice: splice_proxy.py, the
#           bytes never leave the kernel)
#   direct: guest -> sbgw fast path -> the server on 203.0.113.10 itself
#           (connections per second: from a second sandbox, g1)
# So every target crosses sbgw's worker once each way; the proxies differ
# in what terminates and re-originates the TCP connection.
#
# Per repetition (the order of the targets alternates):
#   stream: iperf3 -c, one stream, SECONDS; Gbit/s received, and the proxy's
#     CPU (user+system, from /proc: the relay's thread alone, not sbgw's
#     busy-polling worker; socat with its forked children; the splice
#     proxy's threads) per GB moved.
#   conns: tests/bench/connload, 64 connections at a time, each opened,
#     answered by the sink with one byte (so it was really dialled through
#     the proxy), closed; connections per second, and the relay thread's
#     CPU share meanwhile. "relay-dns": connections to port 53 that close
#     at once (the relay accepts, finds the destination, reads EOF): the
#     relay's accept path alone, no dial.
. "$(dirname "$0")/../../e2e/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
LOAD=$E2E_BUILD/tests/bench/connload
REPS=${2:-3}
DUR=${3:-10}
CONC=64
E2E_HOST_PORT=hp$E2E_ID
RESULTS=${RESULTS:-$E2E_ROOT/build-bench-relay/results.tsv}
ROWS=$E2E_TMP/rows.tsv # this run's rows, for the medians
mkdir -p "$(dirname "$RESULTS")"
SPLICE=$E2E_ROOT/tests/bench/relay/splice_proxy.py
HZ=$(getconf CLK_TCK)

for tool in iperf3 socat; do
	command -v "$tool" >/dev/null || { echo "$tool is missing: scripts/deps bench" >&2; exit 1; }
done
[ -x "$SBGW" ] && [ -x "$LOAD" ] || { echo "build $E2E_BUILD first (sbgw, tests/bench/connload)" >&2; exit 1; }

e2e_internet || exit 1
e2e_guest 0 || exit 1
G=$(e2e_guest_ns 0)
# The direct connection-rate baseline runs from a sandbox of its own: its NAT
# flows linger closing for 10 s and count against that sandbox's
# max_connections, which must not refuse the relay's connections after it.
e2e_guest 1 || exit 1
G1=$(e2e_guest_ns 1)
ip netns exec "$G1" sysctl -qw net.ipv4.tcp_tw_reuse=1
# The load generator's own ports: a connection it closes first (relay-dns)
# leaves TIME-WAIT behind; let connect() reuse those (timestamps are on).
ip netns exec "$G" sysctl -qw net.ipv4.tcp_tw_reuse=1
GW=172.16.0.1
# Servers. inet: iperf3 (direct, and behind the proxies), the sink.
e2e_bg "$NS_INET" iperf3-inet iperf3 -s -p 5201
e2e_bg "$NS_INET" socat socat -b 131072 TCP-LISTEN:5202,bind=$PUB_IP,reuseaddr,fork TCP:127.0.0.1:5201
SOCAT_PID=${E2E_PIDS[-1]}
e2e_bg "$NS_INET" splice "$PY" "$SPLICE" "$PUB_IP" 5203 127.0.0.1 5201
SPLICE_PID=${E2E_PIDS[-1]}
e2e_bg "$NS_INET" sink-inet "$LOAD" serve "$PUB_IP" 7000
# gw: what the relay dials, on the loopback.
e2e_bg "$NS_GW" iperf3-gw iperf3 -s -B 127.0.0.1 -p 5201
e2e_bg "$NS_GW" sink-gw "$LOAD" serve 127.0.0.1 7000
e2e_wait 10 grep -q listening "$E2E_TMP/splice.log" || { echo "splice proxy did not start" >&2; exit 1; }

HOSTRULES='{ action = "allow"; protocol = "tcp"; port = 5201; destination = "host"; },
		{ action = "allow"; protocol = "tcp"; port = 7000; destination = "host"; }'
{
	e2e_conf_head | sed "/^	flows = /i\\	dns = { nameservers = [ \"1.1.1.1\" ]; };"
	cat <<CONF
sandboxes = ( { name = "bench"; port = "net_af_packet1,iface=$(e2e_guest_if 0)";
	network = { max_connections = 4096;
	  policy = { default_egress = "allow"; rules = ( $HOSTRULES ); }; }; },
	{ name = "direct"; port = "net_af_packet2,iface=$(e2e_guest_if 1)";
	  network = { max_connections = 4096; policy = "allow_all"; }; } );
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1
ip -n "$NS_GW" route add default via 169.254.253.2 dev "$E2E_HOST_PORT"
e2e_wait 10 bash -c "ip netns exec $G bash -c 'exec 3<>/dev/tcp/$GW/7000'" ||
	{ echo "the relay does not reach the sink" >&2; exit 1; }

# cpu_ticks PID [TID]: user+system ticks (with reaped children for a process).
cpu_ticks() {
	if [ -n "${2:-}" ]; then
		awk '{print $14 + $15}' "/proc/$1/task/$2/stat"
	else
		awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"
	fi
}
# target -> "pid tid" whose CPU is the proxy's; direct: none
who() {
	case $1 in
	relay | relay-dns) echo "$SBGW_PID $SBGW_PID" ;;
	socat) echo "$SOCAT_PID" ;;
	splice) echo "$SPLICE_PID" ;;
	*) echo "" ;;
	esac
}
dest() { # target -> address port for the stream
	case $1 in
	relay) echo "$GW 5201" ;;
	socat) echo "$PUB_IP 5202" ;;
	splice) echo "$PUB_IP 5203" ;;
	direct) echo "$PUB_IP 5201" ;;
	esac
}

stream() { # target rep
	local t=$1 w c0 c1 json gbps bytes cpu_s per_gb
	w=$(who "$t")
	set -- $(dest "$t")
	c0=${w:+$(cpu_ticks $w)}
	json=$(e2e_in "$G" iperf3 -c "$1" -p "$2" -t "$DUR" -J 2>&1)
	sleep 0.5 # socat's child is reaped
	c1=${w:+$(cpu_ticks $w)}
	read -r gbps bytes < <("$PY" -c 'import json,sys
d=json.loads(sys.stdin.read())
s=d["end"]["sum_received"]
print("%.3f %d" % (s["bits_per_second"]/1e9, s["bytes"]))' <<<"$json" 2>/dev/null || echo "0 0")
	if [ -n "$w" ] && [ "$bytes" -gt 0 ]; then
		cpu_s=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}')
		per_gb=$(awk -v s="$cpu_s" -v by="$bytes" 'BEGIN {printf "%.3f", s / (by / 1e9)}')
	else
		cpu_s=-
		per_gb=-
	fi
	printf 'stream\t%s\t%s\t%s\t%s\t%s\n' "$t" "$gbps" "$bytes" "$cpu_s" "$per_gb" | tee -a "$RESULTS" "$ROWS"
}

conns() { # target rep
	local t=$1 w c0 c1 out rate share addr port mode=read perfpid= ns=$G
	case $t in
	relay) addr=$GW port=7000 ;;
	relay-dns) addr=$GW port=53 mode=shut ;;
	direct) addr=$PUB_IP port=7000 ns=$G1 ;;
	esac
	w=$(who "$t")
	if [ -n "${PROFILE:-}" ] && [ -n "$w" ]; then
		mkdir -p "$PROFILE"
		perf record -e cpu-clock -g -t "$SBGW_PID" -o "$PROFILE/$t-$2.data" -- sleep "$DUR" \
			>/dev/null 2>&1 &
		perfpid=$!
	fi
	c0=${w:+$(cpu_ticks $w)}
	out=$(e2e_in "$ns" "$LOAD" connect "$addr" "$port" "$DUR" $CONC "$mode" 2>&1)
	c1=${w:+$(cpu_ticks $w)}
	[ -n "$perfpid" ] && wait "$perfpid"
	rate=$(sed -n 's/.* rate \([0-9]*\)$/\1/p' <<<"$out")
	if [ -n "$w" ]; then
		share=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v d="$DUR" 'BEGIN {printf "%.0f", 100 * (b - a) / hz / d}')
	else
		share=-
	fi
	printf 'conns\t%s\t%s\t%s\t%s\n' "$t" "${rate:-0}" "$share" "$out" | tee -a "$RESULTS" "$ROWS"
}

echo "# $(date -u +%FT%TZ) sbgw $(git -C "$E2E_ROOT" rev-parse --short HEAD) reps $REPS seconds $DUR" | tee -a "$RESULTS"
STREAMS=(relay socat splice direct)
CONNS=(relay relay-dns direct)
for rep in $(seq 1 "$REPS"); do
	order=("${STREAMS[@]}")
	[ $((rep % 2)) -eq 0 ] && order=(direct splice socat relay)
	for t in "${order[@]}"; do stream "$t" "$rep"; done
	order=("${CONNS[@]}")
	[ $((rep % 2)) -eq 0 ] && order=(direct relay-dns relay)
	for t in "${order[@]}"; do conns "$t" "$rep"; done
done

# Medians per target.
echo "# medians over $REPS repetitions"
awk -F'\t' '$1 == "stream" { g[$2] = g[$2] " " $3; c[$2] = c[$2] " " $6 }
	$1 == "conns" { r[$2] = r[$2] " " $3; s[$2] = s[$2] " " $4 }
	function med(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n ? a[int((n + 1) / 2)] : "-"
	}
	END {
		for (t in g) printf "stream %-9s %8s Gbit/s  %8s CPU s/GB\n", t, med(g[t]), med(c[t])
		for (t in r) printf "conns  %-9s %8s conn/s  %8s %% of a core (relay thread)\n", t, med(r[t]), med(s[t])
	}' "$ROWS"
e2e_stop
