# shellcheck shell=bash
# End-to-end harness: namespaces, veths, real servers and sbgw itself.
#
# Topology (names carry a per-run suffix so runs never collide):
#
#   guest ns g<i> (eth0: 02:6d:73:00:0i:02, 172.16.0.4i+2/30, fd42:6d73:62:i::2/64)
#        │ veth
#   gw ns: sbgw, net_af_packet on the gw-side veths
#        │ veth (uplink, 198.51.100.2 / 2001:db8:1::2 owned by sbgw)
#   inet ns: the next hop 198.51.100.1 / 2001:db8:1::1 and every test server on
#            its loopback: PUB 203.0.113.10, 1.1.1.1, 8.8.8.8, PRIV 10.1.2.3,
#            PRIV2 10.9.9.9, metadata 169.254.169.254, PUB6 2001:db8:ff::10
#
# No namespace has a route to the machine's real interfaces. Every process
# and namespace the harness creates is recorded and removed by e2e_cleanup,
# which runs on exit.
#
# Results are TAP: e2e_check NAME CMD... prints "ok N - NAME" or
# "not ok N - NAME" with the command's output; tests/run counts them.

set -uo pipefail

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_BUILD=${E2E_BUILD:-$E2E_ROOT/build}
SBGW=$E2E_BUILD/app/sbgw/sbgw
PY=/usr/bin/python3
E2E_ID=$(printf '%04x' $(( (RANDOM << 1 ^ $$) & 0xffff )))
E2E_TMP=$(mktemp -d "/tmp/sbgw-e2e-$E2E_ID.XXXX")
NS_GW=sbgwt-$E2E_ID-gw
NS_INET=sbgwt-$E2E_ID-inet
UP_GW=up$E2E_ID-g
UP_INET=up$E2E_ID-i
PUB_IP=203.0.113.10
PUB6_IP=2001:db8:ff::10
PRIV_IP=10.1.2.3
PRIV2_IP=10.9.9.9
META_IP=169.254.169.254
E2E_NAMESPACES=()
E2E_PIDS=()
E2E_N=0
E2E_FAILED=0
SBGW_PID=

e2e_log() { echo "# $*"; }

e2e_cleanup() {
	local pid ns
	for pid in "${E2E_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for ns in "${E2E_NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null
		done
	done
	# Give them a moment to exit, then insist.
	for _ in $(seq 1 50); do
		local left=0
		for ns in "${E2E_NAMESPACES[@]}"; do
			[ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && left=1
		done
		[ $left -eq 0 ] && break
		sleep 0.1
	done
	for ns in "${E2E_NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$E2E_TMP"
	# DPDK runtime directories of sbgw and of any peer the test started
	# (their prefixes carry this run's id).
	rm -rf "/var/run/dpdk/sbgwt-$E2E_ID" /var/run/dpdk/vu"$E2E_ID"*
	# Hugepage files of a gateway run with E2E_EAL_MEM="" (its prefix's only).
	rm -f /dev/hugepages/sbgwt-"$E2E_ID"map_* 2>/dev/null
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

e2e_ns_add() {
	ip netns add "$1" || return 1
	E2E_NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}

# Poll CMD until it succeeds or SECONDS pass.
e2e_wait() {
	local seconds=$1
	shift
	local deadline=$((SECONDS + seconds))
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}

# A veth pair with one end in each namespace; the sbgw side gets no
# addresses and no IPv6, so the kernel there never answers for sbgw.
e2e_veth() { # ns_a if_a ns_b if_b
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
	# Frames leave veth with partial checksums unless offload is off, and as
	# one oversized frame unless segmentation is done before veth (the
	# af_packet PMD reads at most one ring frame, about 2 KB, per packet).
	ip netns exec "$3" ethtool -K "$4" tx off sg off gso off >/dev/null 2>&1
}

e2e_internet() {
	e2e_ns_add "$NS_GW" || return 1
	e2e_ns_add "$NS_INET" || return 1
	e2e_veth "$NS_GW" "$UP_GW" "$NS_INET" "$UP_INET" || return 1
	ip -n "$NS_INET" addr add 198.51.100.1/24 dev "$UP_INET"
	ip -n "$NS_INET" addr add 2001:db8:1::1/64 dev "$UP_INET" nodad
	for a in $PUB_IP/32 1.1.1.1/32 8.8.8.8/32 $PRIV_IP/32 $PRIV2_IP/32 $META_IP/32; do
		ip -n "$NS_INET" addr add "$a" dev lo
	done
	ip -n "$NS_INET" addr add $PUB6_IP/128 dev lo
	# Servers answer the gateway's uplink address, nothing else.
	ip -n "$NS_INET" route add 198.51.100.0/24 dev "$UP_INET" 2>/dev/null
	e2e_servers
}

e2e_bg() { # ns logname cmd...: start a server, remember its PID
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$E2E_TMP/$log.log" 2>&1 &
	E2E_PIDS+=($!)
}

e2e_servers() {
	mkdir -p "$E2E_TMP/www"
	echo "hello from the internet" >"$E2E_TMP/www/index.html"
	cat >"$E2E_TMP/nginx.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
pid $E2E_TMP/nginx.pid;
error_log $E2E_TMP/nginx-error.log;
events { worker_connections 256; }
http {
	access_log $E2E_TMP/nginx-access.log;
	server {
		listen 80; listen [::]:80; listen 8080; listen 9001; listen [::]:8080;
		root $E2E_TMP/www;
		location / { add_header X-Server-Addr \$server_addr; }
	}
}
NGINX
	e2e_bg "$NS_INET" nginx nginx -c "$E2E_TMP/nginx.conf" -e "$E2E_TMP/nginx-error.log"
	e2e_bg "$NS_INET" echo "$PY" "$E2E_ROOT/tests/e2e/echo_server.py" 7 \
		$PUB_IP 1.1.1.1 8.8.8.8 $PRIV_IP $PRIV2_IP $PUB6_IP
	e2e_wait 5 ip netns exec "$NS_INET" bash -c "exec 3<>/dev/tcp/$PUB_IP/80" || {
		e2e_log "nginx did not start:"; cat "$E2E_TMP/nginx-error.log"; return 1; }
	e2e_wait 5 ip netns exec "$NS_INET" bash -c "exec 3<>/dev/tcp/$PUB_IP/7"
}

# e2e_guest INDEX: namespace g<INDEX> as the guest of the INDEX-th sandbox
# (slot INDEX with the default pools); prints the gw-side interface name.
e2e_guest() {
	local i=$1 ns=sbgwt-$E2E_ID-g$1 gif=g$1-$E2E_ID
	e2e_ns_add "$ns" || return 1
	e2e_veth "$NS_GW" "$gif" "$ns" eth0 || return 1
	ip -n "$ns" link set eth0 address "02:6d:73:00:$(printf %02x "$i"):02"
	ip -n "$ns" addr add "172.16.0.$((4 * i + 2))/30" dev eth0
	ip -n "$ns" route add default via "172.16.0.$((4 * i + 1))"
	ip -n "$ns" addr add "fd42:6d73:62:$(printf %x "$i")::2/64" dev eth0 nodad
	ip -n "$ns" -6 route add default via "fd42:6d73:62:$(printf %x "$i")::1"
}

e2e_guest_ns() { echo "sbgwt-$E2E_ID-g$1"; }
e2e_guest_if() { echo "g$1-$E2E_ID"; }

# nsd on 203.0.113.53 (and 1.1.1.1) in the internet namespace, serving
# tests/e2e/dns/test.zone; waits until it answers.
E2E_NSD_ADDR=203.0.113.53
e2e_nsd() {
	local dir=$E2E_ROOT/tests/e2e/dns
	command -v nsd >/dev/null || { echo "nsd missing: run scripts/deps test"; return 1; }
	ip -n "$NS_INET" addr add "$E2E_NSD_ADDR/32" dev lo
	sed -e "s|@TMP@|$E2E_TMP|g" -e "s|@ZONES@|$dir|g" "$dir/nsd.conf.in" >"$E2E_TMP/nsd.conf"
	for a in 1.1.1.1 $E2E_NSD_ADDR; do
		sed -i "/^server:/a\\    ip-address: $a" "$E2E_TMP/nsd.conf"
	done
	e2e_bg "$NS_INET" nsd-stdout nsd -d -c "$E2E_TMP/nsd.conf"
	e2e_wait 10 bash -c "ip netns exec $NS_INET dig +time=1 +tries=1 @$E2E_NSD_ADDR www.test |
		grep -q 'status: NOERROR'" ||
		{ e2e_log "nsd did not start:"; cat "$E2E_TMP"/nsd*.log 2>/dev/null; return 1; }
}

# EAL memory options of e2e_conf_head: no hugepages and no shared
# configuration by default (runs never collide); "" for a gateway that a
# secondary process (dpdk-dumpcap) must attach to.
E2E_EAL_MEM=${E2E_EAL_MEM-'"--no-huge", "--no-shconf", "-m", "768",'}

# The gateway section every e2e configuration shares; sandboxes follow.
e2e_conf_head() {
	local host_line=
	[ -n "${E2E_HOST_PORT:-}" ] &&
		host_line="	host = { device = \"net_tap0,iface=$E2E_HOST_PORT\"; };"
	cat <<CONF
version = 1;
gateway = {
	eal = [ $E2E_EAL_MEM "--no-pci",
		"--file-prefix", "sbgwt-$E2E_ID"${E2E_EAL_EXTRA:-},
		"--log-level", "*:warning" ];
	workers = [ ${E2E_WORKERS:-1} ];
	slow = [ 0 ];
	uplink = {
		device = "net_af_packet0,iface=$UP_GW${E2E_UPLINK_ARGS:-}";
		address = "198.51.100.2/24";
		next_hop = "198.51.100.1";
		address6 = "2001:db8:1::2/64";
		next_hop6 = "2001:db8:1::1";
	};
	flows = 65536;
	control = { socket = "$E2E_TMP/control.sock"; };
$host_line
${E2E_GATEWAY_EXTRA:-}
};
CONF
}

# e2e_start CONFFILE: run sbgw in the gateway namespace until it is up.
e2e_start() {
	ip netns exec "$NS_GW" "$SBGW" -c "$1" >"$E2E_TMP/sbgw.log" 2>&1 &
	SBGW_PID=$!
	E2E_PIDS+=("$SBGW_PID")
	if ! e2e_wait 30 grep -q "sbgw: running" "$E2E_TMP/sbgw.log"; then
		e2e_log "sbgw did not start:"
		sed 's/^/#   /' "$E2E_TMP/sbgw.log"
		return 1
	fi
}

e2e_stop() {
	[ -n "$SBGW_PID" ] || return 0
	kill -INT "$SBGW_PID" 2>/dev/null
	e2e_wait 20 bash -c "! kill -0 $SBGW_PID"
	local rc=$?
	SBGW_PID=
	return $rc
}

# e2e_telemetry CMD: the JSON answer of sbgw's telemetry. Fails loudly,
# naming what is missing, when the client is not installed or sbgw does not
# answer.
e2e_telemetry() {
	local text
	if ! command -v dpdk-telemetry.py >/dev/null; then
		echo "dpdk-telemetry.py not found (Debian package dpdk-dev: scripts/deps test)" >&2
		return 1
	fi
	text=$(echo "$1" | dpdk-telemetry.py -f "sbgwt-$E2E_ID" 2>&1)
	"$PY" -c 'import sys,json
cmd=sys.argv[1].split(",")[0]; text=sys.argv[2]; i=text.find("{\""+cmd)
if i < 0:
    sys.exit("telemetry did not answer %s: %r" % (sys.argv[1], text.strip()[-300:]))
print(json.dumps(json.JSONDecoder().raw_decode(text[i:])[0][cmd]))' "$1" "$text"
}

# e2e_counter SANDBOX PATH: one number from /sbgw/sandbox (drops.x, rule_hits.N, ...).
e2e_counter() {
	local json
	json=$(e2e_telemetry "/sbgw/sandbox,$1") || return 1
	"$PY" -c 'import sys,json
d=json.loads(sys.argv[2])
for k in sys.argv[1].split("."):
    d=d[int(k)] if isinstance(d,list) else d.get(k,0)
print(d)' "$2" "$json"
}

e2e_in() { # ns cmd...
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# e2e_udp_echo NS ADDR [PORT [SIZE]]: one datagram to an echo server, which
# must answer it unchanged (SIZE > 1472 makes the kernels fragment it).
e2e_udp_echo() {
	e2e_in "$1" "$PY" - "$2" "${3:-7}" "${4:-0}" <<'PYEOF'
import os, socket, sys
addr, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
probe = os.urandom(size) if size else b"sbgw-udp-probe"
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(probe, (addr, port))
data, _ = s.recvfrom(65535)
sys.exit(0 if data == probe else 1)
PYEOF
}

e2e_check() { # name cmd...
	local name=$1 out
	shift
	E2E_N=$((E2E_N + 1))
	if out=$("$@" 2>&1); then
		echo "ok $E2E_N - $name"
	else
		echo "not ok $E2E_N - $name"
		echo "$out" | tail -n 15 | sed 's/^/#   /'
		E2E_FAILED=$((E2E_FAILED + 1))
	fi
}

e2e_check_fails() { # name cmd...: the command must fail
	local name=$1
	shift
	e2e_check "$name" e2e_not "$@"
}

e2e_not() { ! "$@"; }

e2e_done() {
	if [ $E2E_FAILED -gt 0 ] && [ -n "$SBGW_PID" ]; then
		e2e_log "sbgw log:"
		sed 's/^/#   /' "$E2E_TMP/sbgw.log" | tail -n 30
		for s in $(e2e_telemetry /sbgw/sandboxes | tr -d '[]",'); do
			e2e_log "counters of $s: $(e2e_telemetry "/sbgw/sandbox,$s")"
		done
		e2e_log "uplink: $(e2e_telemetry /sbgw/uplink)"
	fi
	e2e_stop
	echo "1..$E2E_N"
	[ $E2E_FAILED -eq 0 ]
}
