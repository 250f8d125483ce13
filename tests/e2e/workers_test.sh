#!/usr/bin/env bash
# Two worker lcores: each owns one guest port and its flows; replies that
# the uplink's second queue receives for the other worker's flows are
# handed over through its ring. Nothing may be lost or misdelivered. (This
# machine has two CPUs, so the workers share one; the point is the state
# partitioning, not the speed.)
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
E2E_WORKERS="1, 2"
E2E_EAL_EXTRA=', "--lcores", "0@0,1@1,2@1"'
E2E_UPLINK_ARGS=",qpairs=2"

e2e_internet || exit 1
e2e_guest 0 && e2e_guest 1 || exit 1
G0=$(e2e_guest_ns 0)
G1=$(e2e_guest_ns 1)
{
	e2e_conf_head
	cat <<CONF
sandboxes = (
	{ name = "w0"; port = "net_af_packet1,iface=$(e2e_guest_if 0)"; },
	{ name = "w1"; port = "net_af_packet2,iface=$(e2e_guest_if 1)"; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1

many_fetches() { # ns count: every fetch returns the page
	local ns=$1 n=$2 ok=0
	for _ in $(seq 1 "$n"); do
		ip netns exec "$ns" curl -s -m5 "http://$PUB_IP/" | grep -qx "hello from the internet" &&
			ok=$((ok + 1))
	done
	[ $ok -eq "$n" ] || { echo "$ok of $n fetches worked"; return 1; }
}
many_echoes() { # ns count
	local ns=$1 n=$2
	for _ in $(seq 1 "$n"); do
		e2e_udp_echo "$ns" "$PUB_IP" || return 1
	done
}

e2e_check "two workers: 40 fetches from each guest at once all succeed" \
	bash -c "$(declare -f many_fetches); PUB_IP=$PUB_IP; many_fetches $G0 40 & a=\$!; many_fetches $G1 40; b=\$?; wait \$a && [ \$b -eq 0 ]"
e2e_check "two workers: UDP echoes from guest 0" many_echoes "$G0" 20
e2e_check "two workers: UDP echoes from guest 1" many_echoes "$G1" 20
e2e_check "two workers: pings from both guests" \
	bash -c "ip netns exec $G0 ping -c3 -i0.2 -W2 1.1.1.1 && ip netns exec $G1 ping -c3 -i0.2 -W2 1.1.1.1"
workers_json() { e2e_telemetry /sbgw/workers; }
both_busy() {
	workers_json | "$PY" -c 'import sys,json
d=json.load(sys.stdin); sys.exit(0 if all(w["busy_packets"]>0 for w in d.values()) and len(d)==2 else 1)'
}
handed_over() {
	workers_json | "$PY" -c 'import sys,json
d=json.load(sys.stdin); sys.exit(0 if sum(w["handed_off"] for w in d.values())>0 else 1)'
}
no_flow_drops() {
	local n
	n=$(e2e_telemetry /sbgw/uplink | "$PY" -c 'import sys,json; print(json.load(sys.stdin)["drops"].get("no_flow",0))')
	[ "$n" -eq 0 ] || { echo "uplink no_flow drops: $n"; return 1; }
}
e2e_check "two workers: both workers carried traffic" both_busy
e2e_check "two workers: replies arriving on the other worker's queue were handed over" handed_over
e2e_check "two workers: no reply was lost for want of its flow" no_flow_drops

e2e_done
