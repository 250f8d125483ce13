#!/usr/bin/env bash
# Default policy, allow_all, ICMP, UDP, IPv6, spoofed and malformed frames:
# real clients in guest namespaces through sbgw to real servers.
# Conformance scenarios named by number (../shared/spec/conformance.md).
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw

# The gateway floor: every sandbox must also pass it (allow_all included).
E2E_GATEWAY_EXTRA='	floor = { default_egress = "allow"; default_ingress = "allow";
		rules = ( { action = "deny"; destination = "10.9.9.9"; } ); };'
e2e_internet || exit 1
e2e_guest 0 && e2e_guest 1 || exit 1
G0=$(e2e_guest_ns 0)
G1=$(e2e_guest_ns 1)

{
	e2e_conf_head
	cat <<CONF
sandboxes = (
	{ name = "def"; port = "net_af_packet1,iface=$(e2e_guest_if 0)"; },
	{ name = "all"; port = "net_af_packet2,iface=$(e2e_guest_if 1)";
	  network = { policy = "allow_all"; }; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1

curl_code() { # ns url: the HTTP status, or curl's exit code as "exitN"
	local code
	code=$(e2e_in "$1" curl -s -o /dev/null -m "${3:-5}" -w '%{http_code}' "$2")
	local rc=$?
	[ $rc -eq 0 ] && echo "$code" || echo "exit$rc"
}
expect() { # expected actual-command...
	local want=$1 got
	shift
	got=$("$@")
	[ "$got" = "$want" ] || { echo "expected $want, got $got"; return 1; }
}
refused_fast() { # ns ip port: connect must be refused (RST), not time out
	local start=$SECONDS
	e2e_in "$1" curl -s -o /dev/null -m 5 "http://$2:$3/"
	local rc=$?
	[ $rc -eq 7 ] || { echo "curl exit $rc, want 7 (refused)"; return 1; }
	[ $((SECONDS - start)) -le 2 ] || { echo "took $((SECONDS - start)) s"; return 1; }
}

# 1: the default policy reaches the public internet.
e2e_check "default: curl http://PUB_IP/ gives 200 (conformance 1)" expect 200 curl_code "$G0" "http://$PUB_IP/"
e2e_check "default: the page body arrives intact" \
	bash -c "ip netns exec $G0 curl -s -m5 http://$PUB_IP/ | grep -qx 'hello from the internet'"
e2e_check "default: a 1 MB download completes" \
	bash -c "head -c 1000000 /dev/urandom > $E2E_TMP/www/big && ip netns exec $G0 curl -s -m20 http://$PUB_IP/big | cmp - $E2E_TMP/www/big"
e2e_check "default: metadata 169.254.169.254 refused quickly (conformance 2)" refused_fast "$G0" "$META_IP" 80
e2e_check "default: private server refused (conformance 3)" refused_fast "$G0" "$PRIV_IP" 80
e2e_check "default: the gateway (host group) refused (conformance 4)" refused_fast "$G0" 172.16.0.1 8080
e2e_check "default: the other sandbox's guest refused" refused_fast "$G0" 172.16.0.6 80
nc_refused_fast() { # ns ip port
	local start=$SECONDS out
	out=$(e2e_in "$1" nc -zv -w3 "$2" "$3" 2>&1) && { echo "connected: $out"; return 1; }
	echo "$out" | grep -q refused || { echo "not refused: $out"; return 1; }
	[ $((SECONDS - start)) -le 2 ]
}
e2e_check "default: DNS over TLS (TCP 853) refused so stubs fall back to 53 (§3.1)" \
	nc_refused_fast "$G0" 1.1.1.1 853
e2e_check "default: TCP to the gateway's port 53 refused at once (no TCP DNS service)" \
	nc_refused_fast "$G0" 172.16.0.1 53
e2e_check "default: ping 1.1.1.1 answered (conformance 8)" e2e_in "$G0" ping -c1 -W3 1.1.1.1
e2e_check_fails "default: ping the gateway gets no reply (conformance 9)" e2e_in "$G0" ping -c1 -W2 172.16.0.1
e2e_check "default: UDP echo to PUB_IP:7 answered" e2e_udp_echo "$G0" "$PUB_IP"
e2e_check "default: IPv6 UDP echo answered" e2e_udp_echo "$G0" "$PUB6_IP"
e2e_check "fragments: a 4000-byte UDP datagram is reassembled, NATed and echoed" \
	e2e_udp_echo "$G0" "$PUB_IP" 7 4000
e2e_check "fragments: a 6000-byte ping is answered" e2e_in "$G0" ping -c1 -W3 -s 6000 1.1.1.1
e2e_check "default: TCP echo to PUB_IP:7" \
	bash -c "echo ping-tcp | ip netns exec $G0 nc -w2 -q2 $PUB_IP 7 | grep -qx ping-tcp"
e2e_check "default: IPv6 curl http://[PUB6]/ gives 200" expect 200 curl_code "$G0" "http://[$PUB6_IP]/"
e2e_check "default: IPv6 ping answered" e2e_in "$G0" ping -6 -c1 -W3 "$PUB6_IP"
e2e_check "default: IPv6 to the gateway refused" bash -c "ip netns exec $G0 curl -s -m5 'http://[fd42:6d73:62::1]:8080/'; [ \$? -eq 7 ]"

# 10: crafted SYNs to addresses no connect() would send out.
crafted_syn() { # ns dst: SYN via scapy; prints the reply's TCP flags or "none"
	e2e_in "$1" "$PY" - "$2" <<'PYEOF' 2>/dev/null
import sys
from scapy.all import IP, IPv6, TCP, Ether, srp1, conf
conf.verb = 0
dst = sys.argv[1]
l3 = IPv6(dst=dst, src="fd42:6d73:62::2") if ":" in dst else IP(dst=dst, src="172.16.0.2")
p = Ether(src="02:6d:73:00:00:02", dst="02:6d:73:00:00:01") / l3 / TCP(sport=40001, dport=8080, flags="S")
r = srp1(p, iface="eth0", timeout=3)
print(r[TCP].sprintf("%TCP.flags%") if r is not None and TCP in r else "none")
PYEOF
}
e2e_check "default: SYN to 0.0.0.0 answered with RST (conformance 10)" expect RA crafted_syn "$G0" 0.0.0.0
e2e_check "default: SYN to :: answered with RST (conformance 10)" expect RA crafted_syn "$G0" ::
e2e_check "default: SYN to 127.0.0.1 answered with RST (loopback group)" expect RA crafted_syn "$G0" 127.0.0.1

# allow_all reaches everything the default refuses.
G1_CODE() { curl_code "$G1" "$1"; }
e2e_check "allow_all: private server reachable" expect 200 G1_CODE "http://$PRIV_IP/"
e2e_check "allow_all: metadata server reachable" expect 200 G1_CODE "http://$META_IP/"
e2e_check "floor: allow_all still refused what the gateway floor denies" refused_fast "$G1" "$PRIV2_IP" 80
floor_counted() { [ "$(e2e_counter all drops.floor_deny)" -ge 1 ]; }
e2e_check "floor: the refusal is counted as floor_deny" floor_counted
e2e_check "allow_all: ping the gateway answered" e2e_in "$G1" ping -c1 -W3 172.16.0.5
e2e_check "allow_all: a fragmented ping to the gateway is answered whole" \
	e2e_in "$G1" ping -c1 -W3 -s 3000 172.16.0.5

# Counters: the deciding rules and the refusals are visible.
at_least() { # min counter-path
	local v
	v=$(e2e_counter def "$2")
	[ "$v" -ge "$1" ] || { echo "$2 = $v, want >= $1"; return 1; }
}
e2e_check "counters: acl_deny counted for 'def'" at_least 4 drops.acl_deny
e2e_check "counters: rule 2 (allow public) of 'def' has hits" at_least 3 rule_hits.2

# Spoofed and malformed frames are counted and dropped; forwarding goes on.
GUEST_ETH="Ether(src='02:6d:73:00:00:02',dst='02:6d:73:00:00:01')"
counter_reaches() { # counter min
	[ "$(e2e_counter def "drops.$1")" -ge "$2" ]
}
dropped_as() { # counter scapy-frame: sending 5 of them adds 5 to drops.counter
	local before
	before=$(e2e_counter def "drops.$1")
	e2e_in "$G0" "$PY" -c "from scapy.all import *; conf.verb=0; sendp($2, iface='eth0', count=5)" || return 1
	e2e_wait 3 counter_reaches "$1" $((before + 5)) ||
		{ echo "drops.$1 went $before -> $(e2e_counter def "drops.$1")"; return 1; }
}
e2e_check "spoof: foreign source address dropped and counted" dropped_as spoof_source_address \
	"$GUEST_ETH/IP(src='172.16.0.99',dst='$PUB_IP')/UDP(dport=7)/b'x'"
e2e_check "spoof: foreign source MAC dropped and counted" dropped_as spoof_source_mac \
	"Ether(src='02:00:00:00:00:99',dst='02:6d:73:00:00:01')/IP(src='172.16.0.2',dst='$PUB_IP')/UDP(dport=7)/b'x'"
e2e_check "malformed: IPv4 length past the frame counted" dropped_as parse_bad_ipv4 \
	"Ether(src='02:6d:73:00:00:02',dst='02:6d:73:00:00:01',type=0x800)/Raw(bytes(IP(src='172.16.0.2',dst='$PUB_IP',len=1400)/UDP()/b'x'))"
e2e_check "malformed: bad IPv4 checksum counted" dropped_as parse_bad_ipv4_checksum \
	"$GUEST_ETH/IP(src='172.16.0.2',dst='$PUB_IP',chksum=0x1234)/UDP(dport=7)/b'x'"
e2e_check "malformed: truncated TCP header counted" dropped_as parse_bad_tcp \
	"$GUEST_ETH/IP(src='172.16.0.2',dst='$PUB_IP',proto=6)/Raw(b'\\x01'*7)"
e2e_check "malformed: frame of an unknown type counted" dropped_as parse_unsupported_ethertype \
	"Ether(src='02:6d:73:00:00:02',dst='02:6d:73:00:00:01',type=0x88b5)/Raw(b'\\x02'*10)"
e2e_check "after all of it the guest still fetches the page" expect 200 curl_code "$G0" "http://$PUB_IP/"

e2e_done
