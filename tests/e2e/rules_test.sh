#!/usr/bin/env bash
# Custom policies through the fast path: port ranges, rule order,
# direction "any", UDP and ICMP rules, max_connections, Network.none().
# Conformance scenarios named by number (../shared/spec/conformance.md).
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw

e2e_internet || exit 1
for i in 0 1 2 3 4 5 6 7 8; do
	e2e_guest $i || exit 1
done
g() { e2e_guest_ns "$1"; }
port() { echo "net_af_packet$(($1 + 1)),iface=$(e2e_guest_if "$1")"; }

{
	e2e_conf_head
	cat <<CONF
sandboxes = (
	{ name = "ports"; port = "$(port 0)";
	  network = { policy = { default_egress = "deny"; rules = ( "allow_dns",
		{ action = "allow"; protocol = "tcp"; port = "8000-9000"; destination = "public"; } ); }; }; },
	{ name = "order"; port = "$(port 1)";
	  network = { policy = { default_egress = "deny"; rules = (
		{ action = "allow"; destination = "10.0.0.0/8"; },
		{ action = "deny"; destination = "$PRIV_IP"; } ); }; }; },
	{ name = "reversed"; port = "$(port 2)";
	  network = { policy = { default_egress = "deny"; rules = (
		{ action = "deny"; destination = "$PRIV_IP"; },
		{ action = "allow"; destination = "10.0.0.0/8"; } ); }; }; },
	{ name = "noudp"; port = "$(port 3)";
	  network = { policy = { default_egress = "allow"; rules = (
		{ action = "deny"; protocol = "udp"; destination = "public"; } ); }; }; },
	{ name = "noicmp"; port = "$(port 4)";
	  network = { policy = { default_egress = "allow"; default_ingress = "allow"; rules = (
		{ action = "deny"; protocol = "icmpv4"; } ); }; }; },
	{ name = "icmpport"; port = "$(port 5)";
	  network = { policy = { default_egress = "allow"; default_ingress = "allow"; rules = (
		{ action = "deny"; protocol = "icmpv4"; port = 1; } ); }; }; },
	{ name = "any"; port = "$(port 6)";
	  network = { policy = { default_egress = "allow"; rules = (
		{ action = "deny"; direction = "any"; destination = "$PRIV_IP"; } ); }; }; },
	{ name = "capped"; port = "$(port 7)"; network = { max_connections = 4; }; },
	{ name = "offline"; network = { policy = "none"; }; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1

connects() { # ns ip port
	e2e_in "$1" nc -z -w3 "$2" "$3"
}
refused() { # ns ip port: refused by RST, quickly
	local start=$SECONDS out
	out=$(e2e_in "$1" nc -zv -w3 "$2" "$3" 2>&1)
	if [ $? -eq 0 ]; then echo "connected: $out"; return 1; fi
	echo "$out" | grep -q "refused" || { echo "not refused: $out"; return 1; }
	[ $((SECONDS - start)) -le 2 ]
}

e2e_check "port range 8000-9000: 8080 connects (conformance 21)" connects "$(g 0)" "$PUB_IP" 8080
e2e_check "port range 8000-9000: 9001 refused (conformance 21)" refused "$(g 0)" "$PUB_IP" 9001
e2e_check "port range 8000-9000: 80 refused" refused "$(g 0)" "$PUB_IP" 80
e2e_check "rule order: allow 10/8 before deny PRIV_IP lets PRIV_IP in (conformance 19)" connects "$(g 1)" "$PRIV_IP" 80
e2e_check "rule order reversed: PRIV_IP refused (conformance 20)" refused "$(g 2)" "$PRIV_IP" 80
e2e_check "rule order reversed: the rest of 10/8 still allowed by the later rule" \
	connects "$(g 2)" "$PRIV2_IP" 80
e2e_check_fails "deny udp public: UDP echo gets no answer (conformance 23)" e2e_udp_echo "$(g 3)" "$PUB_IP"
e2e_check "deny udp public: UDP to a private address still echoed" e2e_udp_echo "$(g 3)" "$PRIV_IP"
e2e_check "deny udp public: TCP still works (conformance 23)" connects "$(g 3)" "$PUB_IP" 80
e2e_check_fails "deny icmpv4: ping fails (conformance 26)" e2e_in "$(g 4)" ping -c1 -W2 1.1.1.1
e2e_check "deny icmpv4: TCP works (conformance 26)" connects "$(g 4)" "$PUB_IP" 80
e2e_check "deny icmpv4 port 1: never matches ICMP, ping answered (conformance 25)" \
	e2e_in "$(g 5)" ping -c1 -W3 1.1.1.1
e2e_check "direction any: deny PRIV_IP refuses egress" refused "$(g 6)" "$PRIV_IP" 80
e2e_check "direction any: other destinations still allowed" connects "$(g 6)" "$PRIV2_IP" 80

# 109: max_connections = 4.
for n in 1 2 3 4; do
	e2e_bg "$(g 7)" "hold$n" bash -c "sleep 60 | nc $PUB_IP 7"
done
conns() { [ "$(e2e_counter capped tcp_connections)" -ge "$1" ]; }
e2e_check "max_connections=4: four connections held" e2e_wait 10 conns 4
e2e_check "max_connections=4: the fifth is refused (conformance 109)" refused "$(g 7)" "$PUB_IP" 80
refusals_counted() { [ "$(e2e_counter capped drops.max_connections)" -ge 1 ]; }
e2e_check "max_connections=4: the refusal is counted" refusals_counted
pkill_one() { # end one held connection: kill the nc of one holder
	local pid
	for pid in $(ip netns pids "$(g 7)"); do
		if [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = nc ]; then
			kill "$pid"
			return 0
		fi
	done
	return 1
}
pkill_one
e2e_check "max_connections=4: a slot frees after a connection closes (conformance 109)" \
	e2e_wait 30 connects "$(g 7)" "$PUB_IP" 80

# 15 (deviation D1): Network.none() attaches no port, nothing answers.
e2e_check_fails "none: the gateway does not answer ARP (conformance 15)" \
	e2e_in "$(g 8)" ping -c1 -W2 172.16.0.33
e2e_check_fails "none: no connection leaves" connects "$(g 8)" "$PUB_IP" 80

e2e_done
