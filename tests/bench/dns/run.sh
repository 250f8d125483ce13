#!/usr/bin/env bash
# DNS throughput and latency: sbgw's DNS interceptor next to dnsmasq as a
# forwarder and a direct-to-upstream baseline, all against one nsd, in one
# run (docs/benchmarks.md "DNS"). Not part of the test suite.
#
#   tests/bench/dns/run.sh [BUILD] [REPS] [SECONDS]
#     BUILD    sbgw build directory (default: build)
#     REPS     repetitions of every measurement (default: 5)
#     SECONDS  length of one throughput measurement (default: 10)
#   RESULTS=FILE  where the raw rows go; PROFILE=DIR  perf samples of the
#   DNS service's thread during the one-at-a-time queries and each
#   throughput run (perf report -i ...);
#   BEFORE=DIR  another sbgw build (e.g. the previous commit's) measured
#   as one more target, "before", in the same alternation
#
# Needs: nsd, dnsperf, dnsmasq-base, plus the end-to-end suite's packages
# (scripts/deps test). Everything runs in network namespaces this script
# creates (tests/e2e/lib.sh) and removes on exit; no traffic leaves them.
#
# Topology:
#   guest g0 --af_packet-- sbgw (gw ns; DNS service socket -> host port
#       -> sbgw fast path -> uplink, NAT) -- inet ns: nsd on 203.0.113.53
#   client ns 198.18.1.2 -- fwd ns 198.18.1.1 (dnsmasq, or kernel routing
#       for the direct baseline) 198.18.0.2 -- inet ns 198.18.0.1
#
# Each target is measured per repetition: first rtt.py sends requests one
# at a time: DNS queries, and a plain UDP echo over the same path (sbgw's
# fast path, or kernel routing) to tell the DNS service's share from the
# datapath's; then dnsperf from its client namespace, "throughput" (as
# fast as it answers, at most 50 queries outstanding: sbgw queues at most
# 64 per sandbox, semantics appendix B) and "latency" (a fixed, light 200
# queries/s). For sbgw, its own account of each forwarded query's time
# (telemetry /sbgw/dns: the service's own time and the upstream round
# trip, over the last 4096 answers) is read after the one-at-a-time DNS
# queries and after the throughput run. sbgw runs only
# during its own measurements: its worker polls a CPU at 100 % and would
# otherwise slow the others. The order of the targets alternates between
# repetitions.
. "$(dirname "$0")/../../e2e/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
SBGW_AFTER=$SBGW
SBGW_BEFORE=${BEFORE:+$BEFORE/app/sbgw/sbgw}
REPS=${2:-5}
DUR=${3:-10}
LAT_DUR=5
LAT_QPS=200
OUTSTANDING=50
E2E_HOST_PORT=hp$E2E_ID
DNS_DIR=$E2E_ROOT/tests/e2e/dns
NSD_ADDR=203.0.113.53
NS_FWD=sbgwt-$E2E_ID-fwd
NS_CLI=sbgwt-$E2E_ID-cli
RESULTS=${RESULTS:-$E2E_ROOT/build-bench-dns/results.tsv}
mkdir -p "$(dirname "$RESULTS")"
RTT=$E2E_ROOT/tests/bench/dns/rtt.py

for tool in nsd dnsperf dnsmasq dig; do
	command -v "$tool" >/dev/null ||
		{ echo "$tool is missing: apt-get install nsd dnsperf dnsmasq-base dnsutils" >&2; exit 1; }
done
[ -x "$SBGW" ] || { echo "no sbgw at $SBGW (build it first)" >&2; exit 1; }
[ -z "$SBGW_BEFORE" ] || [ -x "$SBGW_BEFORE" ] || { echo "no sbgw at $SBGW_BEFORE" >&2; exit 1; }

e2e_internet || exit 1
ip -n "$NS_INET" addr add $NSD_ADDR/32 dev lo
sed -e "s|@TMP@|$E2E_TMP|g" -e "s|@ZONES@|$DNS_DIR|g" "$DNS_DIR/nsd.conf.in" >"$E2E_TMP/nsd.conf"
sed -i "/^server:/a\\    ip-address: $NSD_ADDR" "$E2E_TMP/nsd.conf"
e2e_bg "$NS_INET" nsd-stdout nsd -d -c "$E2E_TMP/nsd.conf"
nsd_up() { ip netns exec "$NS_INET" dig +time=1 +tries=1 @$NSD_ADDR www.test | grep -q "status: NOERROR"; }
e2e_wait 10 nsd_up || { echo "nsd did not start" >&2; exit 1; }

# The forwarder's side: client -- fwd -- inet, plain kernel veths.
e2e_ns_add "$NS_FWD" && e2e_ns_add "$NS_CLI" || exit 1
ip link add "fi$E2E_ID" netns "$NS_INET" type veth peer name "fo$E2E_ID" netns "$NS_FWD"
ip link add "fc$E2E_ID" netns "$NS_FWD" type veth peer name "cf$E2E_ID" netns "$NS_CLI"
ip -n "$NS_INET" addr add 198.18.0.1/30 dev "fi$E2E_ID"
ip -n "$NS_FWD" addr add 198.18.0.2/30 dev "fo$E2E_ID"
ip -n "$NS_FWD" addr add 198.18.1.1/30 dev "fc$E2E_ID"
ip -n "$NS_CLI" addr add 198.18.1.2/30 dev "cf$E2E_ID"
for l in "$NS_INET fi$E2E_ID" "$NS_FWD fo$E2E_ID" "$NS_FWD fc$E2E_ID" "$NS_CLI cf$E2E_ID"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$NS_FWD" route add default via 198.18.0.1
ip -n "$NS_CLI" route add default via 198.18.1.1
ip -n "$NS_INET" route add 198.18.1.0/30 via 198.18.0.2
ip netns exec "$NS_FWD" sysctl -qw net.ipv4.ip_forward=1
# dnsmasq as a plain forwarder: no cache (sbgw has none: every allowed
# query is forwarded), no hosts file, no resolv.conf.
e2e_bg "$NS_FWD" dnsmasq dnsmasq -k --no-resolv --no-hosts --no-negcache --cache-size=0 \
	--server=$NSD_ADDR --listen-address=198.18.1.1 --bind-interfaces --user=root \
	--dns-forward-max=1000 --pid-file="$E2E_TMP/dnsmasq.pid"
e2e_wait 10 bash -c "ip netns exec $NS_CLI dig +time=1 +tries=1 @198.18.1.1 www.test | grep -q 'status: NOERROR'" ||
	{ echo "dnsmasq did not start" >&2; cat "$E2E_TMP/dnsmasq.log"; exit 1; }

# sbgw's side.
e2e_guest 0 || exit 1
{
	e2e_conf_head | sed "/^	flows = /i\\	dns = { nameservers = [ \"$NSD_ADDR\" ]; };"
	cat <<CONF
sandboxes = ( { name = "bench"; port = "net_af_packet1,iface=$(e2e_guest_if 0)";
	network = { dns = { query_timeout_ms = 2000; }; }; } );
CONF
} >"$E2E_TMP/sbgw.conf"
sbgw_up() {
	e2e_start "$E2E_TMP/sbgw.conf" || exit 1
	ip -n "$NS_GW" route add default via 169.254.253.2 dev "$E2E_HOST_PORT"
	e2e_wait 10 bash -c "ip netns exec $(e2e_guest_ns 0) dig +time=1 +tries=1 @172.16.0.1 www.test | grep -q 'status: NOERROR'" ||
		{ echo "sbgw's DNS does not answer" >&2; exit 1; }
}

# Queries: names whose answers every target returns unchanged (public
# addresses, no rebinding), one CNAME among them.
QFILE=$E2E_TMP/queries.txt
for n in www allowed sub.allowed other eviltracker target alias a.sfx dual fo1 fo2 fo3 fo4; do
	echo "$n.test A"
done >"$QFILE"

# perf NS SERVER MODE: one dnsperf run; prints "qps avg_ms min_ms max_ms sd_ms lost noerror%".
perf() {
	local ns=$1 srv=$2 mode=$3 out args
	if [ "$mode" = throughput ]; then
		args=(-l "$DUR" -q "$OUTSTANDING")
	else
		args=(-l "$LAT_DUR" -Q "$LAT_QPS" -q 20)
	fi
	out=$(timeout $((DUR + 30)) ip netns exec "$ns" dnsperf -s "$srv" -d "$QFILE" -t 2 "${args[@]}" 2>&1)
	printf '== %s %s %s\n%s\n' "$ns" "$srv" "$mode" "$out" >>"$RESULTS.dnsperf.log"
	echo "$out" | "$PY" -c '
import re, sys
t = sys.stdin.read()
def f(p, d="nan"):
    m = re.search(p, t)
    return m.group(1) if m else d
qps = f(r"Queries per second:\s+([\d.]+)")
avg = f(r"Average Latency \(s\):\s+([\d.]+)")
mn = f(r"Average Latency \(s\):\s+[\d.]+ \(min ([\d.]+)")
mx = f(r"Average Latency \(s\):\s+[\d.]+ \(min [\d.]+, max ([\d.]+)")
sd = f(r"Latency StdDev \(s\):\s+([\d.]+)")
lost = f(r"Queries lost:\s+(\d+)")
ok = f(r"NOERROR (\d+)")
sent = f(r"Queries sent:\s+(\d+)")
ms = lambda s: "%.3f" % (float(s) * 1000) if s != "nan" else s
pct = "%.1f" % (100.0 * int(ok) / int(sent)) if ok != "nan" and sent not in ("nan", "0") else "nan"
print(qps, ms(avg), ms(mn), ms(mx), ms(sd), lost, pct)'
}

echo -e "rep\ttarget\tmode\tqps\tavg_ms\tmin_ms\tmax_ms\tsd_ms\tlost\tnoerror_pct" >"$RESULTS"
: >"$RESULTS.dnsperf.log"
echo -e "rep\ttarget\tkind\tmedian_ms\tp10_ms\tp90_ms\tmax_ms\tlost" >"$RESULTS.rtt"
echo -e "rep\tphase\tsamples\tservice_p50_ms\tservice_p90_ms\tservice_p99_ms\twork_p50_ms\twork_p90_ms\twork_p99_ms\tupstream_p50_ms\tupstream_p90_ms\tupstream_p99_ms\tsockets\tsockets_opened\tforwarded" >"$RESULTS.svc"
# svc_timing REP PHASE: sbgw's own account of its forwarded queries (telemetry /sbgw/dns).
svc_timing() {
	local row
	row=$(e2e_telemetry /sbgw/dns | "$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    d = None
if not isinstance(d, dict):
    sys.exit(0)  # a build without /sbgw/dns
ms = lambda k: "%.4f" % (d.get(k, 0) / 1e6)
print("\t".join([str(d.get("samples", 0))] + [ms("%s_ns_%s" % (w, p)) for w in ("service", "work", "upstream")
      for p in ("p50", "p90", "p99")] + [str(d.get("upstream_sockets", 0)), str(d.get("upstream_sockets_opened", 0)),
      str(d.get("forwarded", 0))]))')
	[ -z "$row" ] || printf '%s\t%s\t%s\n' "$1" "$2" "$row" | tee -a "$RESULTS.svc"
}
measure() { # rep target
	local ns srv mode
	case $2 in
	direct) ns=$NS_CLI; srv=$NSD_ADDR ;;
	dnsmasq) ns=$NS_CLI; srv=198.18.1.1 ;;
	sbgw) ns=$(e2e_guest_ns 0); srv=172.16.0.1; SBGW=$SBGW_AFTER; sbgw_up ;;
	before) ns=$(e2e_guest_ns 0); srv=172.16.0.1; SBGW=$SBGW_BEFORE; sbgw_up ;;
	esac
	# One request at a time: a DNS query, and (not for dnsmasq, which
	# relays no other traffic) a plain UDP echo over the same path.
	if [ -n "${PROFILE:-}" ] && [ "$2" = sbgw ]; then
		mkdir -p "$PROFILE"
		command perf record -q -e cpu-clock -F 4999 -g -t "$SBGW_PID" -o "$PROFILE/rtt-$1.data" \
			-- sleep 3 >/dev/null 2>&1 &
	fi
	printf '%s\t%s\tdns\t%s\n' "$1" "$2" "$(ip netns exec "$ns" "$PY" "$RTT" dns "$srv" | tr ' ' '\t')" |
		tee -a "$RESULTS.rtt"
	[ "$2" = dnsmasq ] ||
		printf '%s\t%s\techo\t%s\n' "$1" "$2" "$(ip netns exec "$ns" "$PY" "$RTT" echo 1.1.1.1 | tr ' ' '\t')" |
		tee -a "$RESULTS.rtt"
	[ "$2" = sbgw ] && svc_timing "$1" one-at-a-time
	[ "$2" = before ] && svc_timing "$1" before-one-at-a-time
	for mode in throughput latency; do
		# PROFILE=DIR: perf samples of sbgw's main thread (the DNS service) during throughput.
		if [ -n "${PROFILE:-}" ] && [ "$2" = sbgw ] && [ "$mode" = throughput ]; then
			mkdir -p "$PROFILE"
			command perf record -q -e cpu-clock -F 4999 -g -t "$SBGW_PID" -o "$PROFILE/svc-$1.data" \
				-- sleep "$DUR" >/dev/null 2>&1 &
		fi
		printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$mode" "$(perf "$ns" "$srv" "$mode" | tr ' ' '\t')" |
			tee -a "$RESULTS"
		[ "$2" = sbgw ] && [ "$mode" = throughput ] && svc_timing "$1" throughput
	done
	if [ "$2" = sbgw ] || [ "$2" = before ]; then
		echo "# sbgw dns counters: $(e2e_telemetry /sbgw/sandbox,bench | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("dns"))')"
		e2e_stop
	fi
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
echo "# sbgw $(git -C "$E2E_ROOT" describe --always --dirty 2>/dev/null), $(nsd -v 2>&1 | head -1), $(dnsmasq --version | head -1 | cut -d' ' -f1-3), dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p')"
echo "# $REPS repetitions, throughput ${DUR}s at most $OUTSTANDING outstanding, latency ${LAT_DUR}s at $LAT_QPS q/s"
for r in $(seq 1 "$REPS"); do
	if [ $((r % 2)) -eq 1 ]; then order="direct dnsmasq sbgw${SBGW_BEFORE:+ before}"
	else order="${SBGW_BEFORE:+before }sbgw dnsmasq direct"; fi
	for t in $order; do
		measure "$r" "$t"
	done
done

# Summary: median [min–max] over the repetitions.
"$PY" - "$RESULTS" "$RESULTS.rtt" "$RESULTS.svc" <<'PYEOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def col(target, mode, key):
    return [float(r[key]) for r in rows if r["target"] == target and r["mode"] == mode and r[key] != "nan"]
def fmt(v, nd):
    if not v:
        return "n/a"
    return "%.*f [%.*f–%.*f]" % (nd, statistics.median(v), nd, min(v), nd, max(v))
print()
print("| target | throughput q/s | lost (throughput) | latency at 200 q/s, mean ms | max ms | NOERROR % |")
print("|---|---:|---:|---:|---:|---:|")
base = col("direct", "latency", "avg_ms")
for t in ("direct", "dnsmasq", "sbgw", "before"):
    if not col(t, "throughput", "qps"):
        continue
    print("| %s | %s | %s | %s | %s | %s |" % (
        t, fmt(col(t, "throughput", "qps"), 0), fmt(col(t, "throughput", "lost"), 0),
        fmt(col(t, "latency", "avg_ms"), 3), fmt(col(t, "latency", "max_ms"), 2),
        fmt(col(t, "throughput", "noerror_pct"), 1)))
if base:
    for t in ("dnsmasq", "sbgw", "before"):
        v = col(t, "latency", "avg_ms")
        if v:
            print("added mean latency over direct, %s: %.3f ms (medians)" % (t, statistics.median(v) - statistics.median(base)))
rtt = list(csv.DictReader(open(sys.argv[2]), delimiter="\t"))
def rcol(target, kind, key):
    return [float(r[key]) for r in rtt if r["target"] == target and r["kind"] == kind and r[key] != "nan"]
print()
ratio = lambda a, b: "%.2f" % (statistics.median(a) / statistics.median(b)) if a and b else "n/a"
print("throughput ratio sbgw / dnsmasq (medians): %s; sbgw / direct: %s" % (
    ratio(col("sbgw", "throughput", "qps"), col("dnsmasq", "throughput", "qps")),
    ratio(col("sbgw", "throughput", "qps"), col("direct", "throughput", "qps"))))
def per_rep_ratio(a, b):
    va = {r["rep"]: float(r["qps"]) for r in rows if r["target"] == a and r["mode"] == "throughput" and r["qps"] != "nan"}
    vb = {r["rep"]: float(r["qps"]) for r in rows if r["target"] == b and r["mode"] == "throughput" and r["qps"] != "nan"}
    return [va[k] / vb[k] for k in va if k in vb and vb[k] > 0]
for a, b in (("sbgw", "dnsmasq"), ("before", "dnsmasq"), ("sbgw", "before")):
    v = per_rep_ratio(a, b)
    if v:
        print("throughput ratio %s / %s, per repetition: median %.2f [%.2f–%.2f]" % (a, b, statistics.median(v), min(v), max(v)))
print()
print("| one request at a time | median ms | p10 ms | p90 ms | max ms | lost |")
print("|---|---:|---:|---:|---:|---:|")
names = {("direct", "dns"): "DNS query, direct to nsd (kernel routing)",
         ("dnsmasq", "dns"): "DNS query through dnsmasq",
         ("sbgw", "dns"): "DNS query through sbgw",
         ("before", "dns"): "DNS query through sbgw (before)",
         ("before", "echo"): "UDP echo through sbgw's fast path (before)",
         ("direct", "echo"): "UDP echo, kernel routing",
         ("sbgw", "echo"): "UDP echo through sbgw's fast path"}
for (t, k), label in names.items():
    if rcol(t, k, "median_ms"):
        print("| %s | %s | %s | %s | %s | %s |" % (label, fmt(rcol(t, k, "median_ms"), 3), fmt(rcol(t, k, "p10_ms"), 3),
              fmt(rcol(t, k, "p90_ms"), 3), fmt(rcol(t, k, "max_ms"), 2), fmt(rcol(t, k, "lost"), 0)))
def per_rep_diff(a, b):
    # per repetition: median of a minus median of b (same run)
    ra = {r["rep"]: float(r["median_ms"]) for r in rtt if (r["target"], r["kind"]) == a and r["median_ms"] != "nan"}
    rb = {r["rep"]: float(r["median_ms"]) for r in rtt if (r["target"], r["kind"]) == b and r["median_ms"] != "nan"}
    return [ra[k] - rb[k] for k in ra if k in rb]
print()
print("| difference of medians, per repetition | median ms | min–max |")
print("|---|---:|---:|")
for label, a, b in (("DNS through sbgw − UDP echo through sbgw", ("sbgw", "dns"), ("sbgw", "echo")),
                    ("DNS through dnsmasq − DNS direct", ("dnsmasq", "dns"), ("direct", "dns")),
                    ("DNS through sbgw − DNS direct", ("sbgw", "dns"), ("direct", "dns")),
                    ("DNS through sbgw (before) − UDP echo through it", ("before", "dns"), ("before", "echo")),
                    ("UDP echo through sbgw − echo via kernel routing", ("sbgw", "echo"), ("direct", "echo"))):
    v = per_rep_diff(a, b)
    if v:
        print("| %s | %.3f | %.3f–%.3f |" % (label, statistics.median(v), min(v), max(v)))
svc = list(csv.DictReader(open(sys.argv[3]), delimiter="\t"))
print()
print("| sbgw's own account (/sbgw/dns), ms | samples | service p50 | p90 | p99 | of which working p50 | p90 | p99 | upstream round trip p50 | p90 | p99 | sockets opened / forwarded |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for phase in ("one-at-a-time", "throughput"):
    rows_p = [r for r in svc if r["phase"] == phase]
    if not rows_p:
        continue
    c = lambda k, nd=3: fmt([float(r[k]) for r in rows_p], nd)
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (phase, c("samples", 0),
          c("service_p50_ms"), c("service_p90_ms"), c("service_p99_ms"),
          c("work_p50_ms"), c("work_p90_ms"), c("work_p99_ms"),
          c("upstream_p50_ms"), c("upstream_p90_ms"), c("upstream_p99_ms"),
          "%s / %s" % (c("sockets_opened", 0), c("forwarded", 0))))
PYEOF
echo "# raw results: $RESULTS, $RESULTS.rtt, $RESULTS.svc; dnsperf output: $RESULTS.dnsperf.log"
