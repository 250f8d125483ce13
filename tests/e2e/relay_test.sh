#!/usr/bin/env bash
# The slow-path TCP relay (issue 10): guest TCP that the gateway must
# terminate is redirected through the host port to the relay.
#  - DNS over TCP (semantics §3.1–§3.3) to any address goes through the
#    same pipeline as UDP: policy by name, direct path, rebind, pins,
#    failover; a truncated UDP answer is retried over TCP by dig itself.
#  - Host services (§3.6): allowed connections to the gateway's address
#    reach the host's loopback service on that port (127.0.0.1, then ::1);
#    denied ones get RST at SYN; nothing listening: reset after accept.
# nsd serves tests/e2e/dns/test.zone on 203.0.113.53 and 1.1.1.1; the
# internet side captures every DNS packet (UDP and TCP) so "never reached
# the upstream" is checked at the upstream.
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
E2E_HOST_PORT=hp$E2E_ID
DNS_DIR=$E2E_ROOT/tests/e2e/dns
NSD_ADDR=203.0.113.53
HOLE1=192.0.2.53
PCAP=$E2E_TMP/inet-dns.pcap

for tool in nsd tcpdump dig curl nc; do
	command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is missing (scripts/deps test)"; exit 0; }
done

e2e_internet || exit 1
ip -n "$NS_INET" addr add "$NSD_ADDR/32" dev lo
ip -n "$NS_INET" route add blackhole 192.0.2.0/24
# Unreachable networks: the next hop (a router here) answers with ICMP errors.
ip netns exec "$NS_INET" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NS_INET" route add unreachable 198.18.5.0/24
ip -n "$NS_INET" -6 route add unreachable 2001:db8:55::/64
sed -e "s|@TMP@|$E2E_TMP|g" -e "s|@ZONES@|$DNS_DIR|g" "$DNS_DIR/nsd.conf.in" >"$E2E_TMP/nsd.conf"
for a in 1.1.1.1 $NSD_ADDR; do
	sed -i "/^server:/a\\    ip-address: $a" "$E2E_TMP/nsd.conf"
done
e2e_bg "$NS_INET" tcpdump tcpdump -i any -n -U --immediate-mode -s 0 -Z root -w "$PCAP" \
	port 53 or tcp port 80 or tcp port 4433
# A TLS server for first flights with an SNI.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$E2E_TMP/tls.key" -out "$E2E_TMP/tls.crt" \
	-days 1 -subj /CN=test >/dev/null 2>&1
e2e_bg "$NS_INET" tls openssl s_server -quiet -accept 4433 -cert "$E2E_TMP/tls.crt" -key "$E2E_TMP/tls.key" -www
e2e_bg "$NS_INET" nsd-stdout nsd -d -c "$E2E_TMP/nsd.conf"
nsd_up() { ip netns exec "$NS_INET" dig +time=1 +tries=1 @$NSD_ADDR www.test | grep -q "status: NOERROR"; }
e2e_wait 10 nsd_up || { e2e_log "nsd did not start"; exit 1; }
e2e_wait 10 grep -q "listening on" "$E2E_TMP/tcpdump.log" || { e2e_log "tcpdump did not start"; exit 1; }

NG=6
for i in $(seq 0 $((NG - 1))); do
	e2e_guest "$i" || exit 1
done
g() { e2e_guest_ns "$1"; }
port() { echo "net_af_packet$(($1 + 1)),iface=$(e2e_guest_if "$1")"; }
gw4() { echo "172.16.0.$((4 * $1 + 1))"; }
gw6() { if [ "$1" -eq 0 ]; then echo fd42:6d73:62::1; else printf 'fd42:6d73:62:%x::1\n' "$1"; fi; }
conf_head() {
	e2e_conf_head | sed -e "/^	flows = /i\\	dns = { nameservers = [ \"$NSD_ADDR\" ]; };" \
		-e 's/"--log-level", "\*:warning"/"--log-level", "sbgw.dns:info", "--log-level", "sbgw.relay:info", &/'
}
T='query_timeout_ms = 500;'
# A short first-flight timeout, so the slow-client checks take seconds.
E2E_GATEWAY_EXTRA='	relay = { first_flight_timeout_ms = 1500; };'
{
	conf_head
	cat <<CONF
sandboxes = (
	{ name = "def"; port = "$(port 0)";
	  network = { deny_domains = [ "blocked.test" ]; dns = { $T }; }; },
	{ name = "allowall"; port = "$(port 1)"; network = { policy = "allow_all"; dns = { $T }; }; },
	{ name = "tcpdom"; port = "$(port 2)";
	  network = { policy = { default_egress = "deny"; rules = (
		{ action = "allow"; protocol = "tcp"; port = 80; destination = "allowed.test"; } ); }; }; },
	{ name = "failover"; port = "$(port 3)";
	  network = { dns = { nameservers = [ "$HOLE1", "$NSD_ADDR" ]; $T }; }; },
	{ name = "hostsvc"; port = "$(port 4)";
	  network = { policy = { default_egress = "deny"; rules = ( "allow_dns",
		{ action = "allow"; protocol = "tcp"; port = "8001-8002"; destination = "host"; },
		{ action = "allow"; protocol = "tcp"; port = 8004; destination = "host"; },
		{ action = "allow"; protocol = "tcp"; port = 8005; destination = "host"; } ); }; }; },
	{ name = "denyname"; port = "$(port 5)"; network = { deny_domains = [ "blocked.test" ]; }; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1
ip -n "$NS_GW" route add default via 169.254.253.2 dev "$E2E_HOST_PORT"

# ---- Helpers ----------------------------------------------------------------
qry() { # I SERVER NAME [TYPE] [DIG OPTIONS]
	local i=$1 srv=$2
	shift 2
	e2e_in "$(g "$i")" dig +time=3 +tries=1 @"$srv" "$@"
}
tcp_resolves() { # I SERVER NAME TYPE ADDR: over TCP, NOERROR with ADDR
	local out
	out=$(qry "$1" "$2" "$3" "$4" +tcp)
	echo "$out"
	grep -q "status: NOERROR" <<<"$out" && grep -q "SERVER: $2#53($2) (TCP)" <<<"$out" &&
		grep -Eq "[[:space:]]$4[[:space:]]+$5\$" <<<"$out"
}
tcp_gw_nxdomain() { # I SERVER NAME: the gateway's own NXDOMAIN, over TCP
	local out
	out=$(qry "$1" "$2" "$3" A +tcp)
	echo "$out"
	grep -q "status: NXDOMAIN" <<<"$out" && grep -q "ANSWER: 0, AUTHORITY: 0" <<<"$out" &&
		grep -q "(TCP)" <<<"$out"
}
wire() {
	local mark
	mark=sync$(date +%s%N).test
	ip netns exec "$NS_INET" dig +time=1 +tries=1 @$NSD_ADDR "$mark" >/dev/null
	e2e_wait 5 bash -c "tcpdump -r '$PCAP' -n 2>/dev/null | grep -qF '? $mark. '"
	tcpdump -r "$PCAP" -n 2>/dev/null
}
never_upstream() { if wire | grep -iF "? $1. "; then return 1; fi; }
# asked_tcp DST NAME: DST:53 got a query for NAME over TCP (tcpdump shows TCP DNS with "Flags").
asked_tcp() { wire | grep -E "> ${1//./\\.}\.53: Flags \[P.*\? ${2//./\\.}\. "; }
logged() { grep "sbgw.dns: " "$E2E_TMP/sbgw.log" | grep -E "$1"; }
refused() { # ns ip port: refused by RST at SYN, quickly
	local start=$SECONDS out
	out=$(e2e_in "$1" nc -zv -w3 "$2" "$3" 2>&1)
	if [ $? -eq 0 ]; then echo "connected: $out"; return 1; fi
	grep -q "refused" <<<"$out" || { echo "not refused: $out"; return 1; }
	[ $((SECONDS - start)) -le 2 ]
}
in_range() { echo "value $1 (want $2..$3)"; [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
answered_in() { # I SERVER NAME STATUS LO HI (over TCP)
	local out ms
	out=$(qry "$1" "$2" "$3" A +tcp)
	echo "$out" | head -n 6
	grep -q "status: $4" <<<"$out" || return 1
	ms=$(sed -n 's/^;; Query time: \([0-9]*\) msec$/\1/p' <<<"$out")
	in_range "${ms:--1}" "$5" "$6"
}
G0=$(gw4 0)

# ---- DNS over TCP --------------------------------------------------------------
e2e_check "dig +tcp to the gateway: answered over TCP" tcp_resolves 0 "$G0" www.test A 8.8.8.8
e2e_check "the upstream got it over TCP too (semantics §3.3)" asked_tcp $NSD_ADDR www.test
e2e_check "dig +tcp to the gateway's IPv6 address" tcp_resolves 0 "$(gw6 0)" pub6.test AAAA "$PUB6_IP"
e2e_check "dig +tcp over IPv6: a denied name is NXDOMAIN" tcp_gw_nxdomain 0 "$(gw6 0)" blocked.test
e2e_check "the decision log marks it as TCP" \
	logged "sandbox=def query=www\.test type=A verdict=forward .* transport=tcp"
e2e_check "dig +tcp: a denied name is NXDOMAIN from the gateway (§3.2 step 2)" tcp_gw_nxdomain 0 "$G0" blocked.test
e2e_check "dig +tcp: the denied name never reached the upstream" never_upstream blocked.test
e2e_check "dig +tcp @1.1.1.1: direct path, answered from 1.1.1.1" tcp_resolves 0 1.1.1.1 www.test A 8.8.8.8
e2e_check "direct path over TCP went to exactly that resolver" asked_tcp 1.1.1.1 www.test
e2e_check "dig +tcp to a private resolver: NXDOMAIN (judged as TCP/53)" tcp_gw_nxdomain 0 "$PRIV_IP" www.test
to_priv() { wire | grep -E "> 10\.1\.2\.3\.53:"; }
e2e_check_fails "... and nothing was sent to it" to_priv
e2e_check "rebind over TCP: a private answer is NXDOMAIN under public_only" tcp_gw_nxdomain 0 "$G0" rebind.test
e2e_check "rebind over TCP: and under allow_all" tcp_gw_nxdomain 1 "$(gw4 1)" local.test
e2e_check "host.microsandbox.internal over TCP" tcp_resolves 0 "$G0" host.microsandbox.internal A "$G0"
pipelined() { # several queries on one connection (dig +keepopen)
	local out
	out=$(e2e_in "$(g 0)" dig +tcp +keepopen +time=3 +tries=1 @"$G0" www.test A pub.test A blocked.test A)
	echo "$out"
	[ "$(grep -c 'status: NOERROR' <<<"$out")" -eq 2 ] && [ "$(grep -c 'status: NXDOMAIN' <<<"$out")" -eq 1 ]
}
e2e_check "several queries on one TCP connection" pipelined
truncated_then_tcp() {
	local out
	out=$(qry 0 "$G0" big.test TXT +bufsize=512)
	echo "$out"
	grep -q "Truncated, retrying in TCP mode" <<<"$out" && grep -q "ANSWER: 4," <<<"$out" &&
		grep -q "(TCP)" <<<"$out"
}
e2e_check "a truncated UDP answer: dig retries over TCP and gets all 4 records" truncated_then_tcp
e2e_check "TCP to the name's address before any lookup: refused" refused "$(g 2)" 8.8.8.8 80
e2e_check "pins over TCP: allowed.test resolves (over TCP)" tcp_resolves 2 "$(gw4 2)" allowed.test A 8.8.8.8
fetch() { local b; b=$(e2e_in "$1" curl -sS -m4 "http://$2/" 2>&1); echo "$b"; [ "$b" = "hello from the internet" ]; }
e2e_check "pins over TCP: the answer admits the address" fetch "$(g 2)" 8.8.8.8
e2e_check "no rule grants the lookup over TCP either: NXDOMAIN" tcp_gw_nxdomain 2 "$(gw4 2)" www.test
e2e_check "failover over TCP: a black-holed first nameserver, answer within one timeout" \
	answered_in 3 "$(gw4 3)" fo1.test NOERROR 450 1500
e2e_check "failover over TCP: the live one got it over TCP" asked_tcp $NSD_ADDR fo1.test

# ---- Host services (§3.6) ------------------------------------------------------
mkdir -p "$E2E_TMP/host"
echo "hello from the host" >"$E2E_TMP/host/index.html"
hsrv() { # name bind port
	e2e_bg "$NS_GW" "hsrv-$1" "$PY" -m http.server --bind "$2" --directory "$E2E_TMP/host" "$3"
}
hsrv v4 127.0.0.1 8001
hsrv v6 ::1 8002
hsrv denied 127.0.0.1 8003
hsrv link 169.254.253.1 8004
for a in 127.0.0.1:8001 '\[::1\]:8002' 127.0.0.1:8003 169.254.253.1:8004; do
	e2e_wait 10 bash -c "ip netns exec $NS_GW ss -ltn | grep -q '$a '" || e2e_log "host server $a did not start"
done
G4=$(gw4 4)
G6=$(gw6 4)
host_fetch() { # port [address]
	local b
	b=$(e2e_in "$(g 4)" curl -sS -m4 "http://${2:-$G4}:$1/" 2>&1)
	echo "$b"
	[ "$b" = "hello from the host" ]
}
e2e_check "host group: gateway:8001 reaches the host's 127.0.0.1:8001" host_fetch 8001
e2e_check "host group: gateway:8002 falls back to ::1 (nothing on 127.0.0.1)" host_fetch 8002
e2e_check "host group over IPv6: [gateway]:8002 reaches the host's ::1:8002" host_fetch 8002 "[$G6]"
e2e_check "host group over IPv6: [gateway]:8001 falls back to 127.0.0.1" host_fetch 8001 "[$G6]"
e2e_check "host group over IPv6: a denied port is refused at SYN" refused "$(g 4)" "$G6" 8003
e2e_check "host group: a port the policy denies is refused at SYN" refused "$(g 4)" "$G4" 8003
never_connected() { if grep -q "GET" "$E2E_TMP/hsrv-denied.log"; then cat "$E2E_TMP/hsrv-denied.log"; return 1; fi; }
e2e_check "host group: the denied port's server never saw a request" never_connected
relay_counter() { e2e_telemetry /sbgw/relay | "$PY" -c 'import sys,json; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# reset_after_accept PORT: the relay accepted (the handshake completed),
# found nothing to connect to and reset the guest at once.
reset_after_accept() {
	local out before after start end
	before=$(relay_counter host_refused)
	start=$(date +%s%N)
	out=$(e2e_in "$(g 4)" curl -sS -m4 "http://$G4:$1/" 2>&1) && { echo "fetched: $out"; return 1; }
	end=$(date +%s%N)
	after=$(relay_counter host_refused)
	echo "$out; host_refused $before -> $after; $(( (end - start) / 1000000 )) ms"
	[ "$after" -eq $((before + 1)) ] && [ $(( (end - start) / 1000000 )) -le 1500 ]
}
e2e_check "host group: a service only on another host address is not reachable (reset)" reset_after_accept 8004
e2e_check "host group: allowed but nothing listening: reset" reset_after_accept 8005
e2e_check "host group: another sandbox's policy (public_only) refuses the host" refused "$(g 0)" "$G0" 8001
# ---- Deferred domain decisions (§2.7.3) ------------------------------------------
# The gateway namespace's IPv6 traffic (the relay's upstream sockets) also
# leaves through the host port.
ip -n "$NS_GW" -6 route add default via fd6d:7367:7700::2 dev "$E2E_HOST_PORT"
syn_to() { wire | grep -E "> ${1//./\\.}\.$2: Flags \[S\]"; } # DST PORT: a SYN reached it
denied_reset() { # ns cmd...: the connection is reset, quickly
	local out rc start=$SECONDS
	shift 0
	out=$("$@" 2>&1)
	rc=$?
	echo "exit $rc: $out"
	[ $rc -ne 0 ] && grep -Eqi "reset|empty reply|errno=104|connection closed|unexpected eof" <<<"$out" &&
		[ $((SECONDS - start)) -le 3 ]
}
G5=$(g 5)
e2e_check "deny_domains + HTTP Host blocked.test to a raw address: reset" \
	denied_reset e2e_in "$G5" curl -sS -m4 --resolve "blocked.test:80:$PUB_IP" http://blocked.test/
e2e_check "deny_domains + TLS SNI blocked.test to a raw address: reset" \
	denied_reset e2e_in "$G5" bash -c "openssl s_client -connect $PUB_IP:4433 -servername blocked.test </dev/null"
e2e_check_fails "the denied flows never produced a SYN at the upstream (port 80)" syn_to "$PUB_IP" 80
e2e_check_fails "... nor at port 4433" syn_to "$PUB_IP" 4433
e2e_check "deny_domains: another SNI to the same address is relayed (TLS handshake completes)" \
	bash -c "ip netns exec $G5 openssl s_client -connect $PUB_IP:4433 -servername ok.test </dev/null 2>&1 | grep -q 'Verify return code'"
e2e_check "... and that one did reach the upstream" syn_to "$PUB_IP" 4433
e2e_check "deny_domains: plain HTTP to the address (Host is an address) is relayed" fetch "$G5" "$PUB_IP"
e2e_check "deny_domains over IPv6: Host blocked.test is reset" \
	denied_reset e2e_in "$G5" curl -sS -m4 --resolve "blocked.test:80:[$PUB6_IP]" http://blocked.test/
e2e_check "deny_domains over IPv6: by address it is relayed" fetch "$G5" "[$PUB6_IP]"
e2e_check "allow domain rule: the name resolves again (a fresh pin)" tcp_resolves 2 "$(gw4 2)" allowed.test A 8.8.8.8
e2e_check "allow domain rule: Host that is not the pinned name is reset (tcpdom)" \
	denied_reset e2e_in "$(g 2)" curl -sS -m4 -H "Host: evil.test" http://8.8.8.8/
e2e_check "allow domain rule: Host that is the pinned name is relayed" \
	bash -c "ip netns exec $(g 2) curl -sS -m4 -H 'Host: allowed.test' http://8.8.8.8/ | grep -qx 'hello from the internet'"

relay_logged() { grep "sbgw.relay: " "$E2E_TMP/sbgw.log" | grep -E "$1"; }
e2e_check "deferred decisions are logged with their name and rule" \
	relay_logged "sandbox=denyname dst=203\.0\.113\.10 port=80 name=blocked\.test source=host verdict=deny rule=#0"
deferred_counted() { local v; v=$(relay_counter deferred_denied); echo "$v"; [ "$v" -ge 4 ]; }
e2e_check "deferred denials are counted" deferred_counted

# ---- Bad input: slow, oversized and idle first flights ---------------------------
# slow_client NS SECONDS BYTES...: connect to PUB_IP:80, send BYTES, stay
# silent for SECONDS, then report whether the connection is still open.
slow_client() {
	e2e_in "$1" "$PY" - "$PUB_IP" "$2" "$3" "${4:-80}" <<'PYEOF'
import socket, sys, time
addr, wait, port = sys.argv[1], float(sys.argv[2]), int(sys.argv[4])
data = sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection((addr, port), timeout=5)
s.sendall(data)
time.sleep(wait)
s.settimeout(0.5)
try:
    got = s.recv(100)
    print("open" if got else "closed")
except socket.timeout:
    print("open")
except OSError as e:
    print("reset: %s" % e)
PYEOF
}
before_timeouts=$(relay_counter peek_timeouts)
slowloris() {
	local out
	# A TLS record header announcing a 512-byte handshake, then silence.
	out=$(slow_client "$G5" 3 '\x16\x03\x01\x02\x00\x01' 4433)
	echo "$out"
	[ "$out" = "open" ] && [ "$(relay_counter peek_timeouts)" -gt "$before_timeouts" ]
}
e2e_check "slow first flight: after first_flight_timeout_ms the pins decide (connection relayed on)" slowloris
e2e_check "... and the decision is logged as pins-timeout" \
	relay_logged "sandbox=denyname dst=203\.0\.113\.10 port=4433 name=- source=pins-timeout verdict=allow"
oversized() { # a TLS record of 20 KiB whose ClientHello never completes within the 16 KiB looked at
	local t0 p0 out
	t0=$(grep -c "source=pins-timeout" "$E2E_TMP/sbgw.log")
	p0=$(grep -c "source=pins verdict" "$E2E_TMP/sbgw.log")
	# The client stays longer than the timeout: a decision by size is "pins", by time "pins-timeout".
	out=$(slow_client "$G5" 2.5 "\\x16\\x03\\x01\\x4e\\x20\\x01\\x00\\x4e\\x1c$(head -c 20000 /dev/zero | tr '\0' a)" 4433)
	echo "$out; pins decisions $p0 -> $(grep -c "source=pins verdict" "$E2E_TMP/sbgw.log")"
	[ "$(grep -c "source=pins verdict" "$E2E_TMP/sbgw.log")" -gt "$p0" ] &&
		[ "$(grep -c "source=pins-timeout" "$E2E_TMP/sbgw.log")" -eq "$t0" ]
}
e2e_check "oversized first flight: decided at 16 KiB by the pins alone, not by the timeout" oversized
short_first() { # a client that speaks first with a few bytes (not TLS, not a whole HTTP head)
	local out start end
	start=$(date +%s%N)
	out=$(e2e_in "$G5" "$PY" -c 'import socket; s=socket.create_connection(("'"$PUB_IP"'", 7), timeout=3); s.sendall(b"hello"); print(s.recv(10).decode())')
	end=$(date +%s%N)
	echo "$out after $(( (end - start) / 1000000 )) ms"
	[ "$out" = "hello" ] && [ $(( (end - start) / 1000000 )) -lt 1400 ]
}
e2e_check "a short non-TLS first flight is judged at once (echo answered before the timeout)" short_first
# Idle connections: 200 deferred connections that never send a byte (under
# the sandbox's max_connections, 256: relay_limits_test.sh floods past it).
# While the relay holds them, the other sandboxes' relayed traffic is served.
idle_flood() {
	local before
	before=$(relay_counter accepted)
	e2e_in "$G5" "$PY" - "$PUB_IP" 200 <<'PYEOF' &
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket()
    s.settimeout(3)
    s.connect((sys.argv[1], 80))
    socks.append(s)
print("held %d" % len(socks), flush=True)
time.sleep(4)
PYEOF
	local flood=$!
	sleep 1
	local ok=0
	tcp_resolves 0 "$G0" www.test A 8.8.8.8 >/dev/null && host_fetch 8001 >/dev/null && ok=1
	wait $flood
	local after
	after=$(relay_counter accepted)
	echo "other sandboxes served: $ok; relay accepted $((after - before)) connections"
	[ $ok -eq 1 ] && [ $((after - before)) -ge 202 ]
}
e2e_check "200 idle first flights: other sandboxes' DNS over TCP and host services still served" idle_flood
e2e_check "sbgw is still running after the flood" kill -0 "$SBGW_PID"

# ---- ICMP errors from the uplink, DHCPINFORM ------------------------------------
# A guest's connected UDP socket learns of ECONNREFUSED only from an ICMP
# error that quotes its own address and port: the quote must be un-NATed.
udp_refused() { # ns addr port
	e2e_in "$1" "$PY" - "$2" "$3" <<'PYEOF'
import socket, sys, time
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((addr, port))
s.send(b"probe")
start = time.time()
try:
    s.recv(100)
    print("answered?"); sys.exit(1)
except ConnectionRefusedError:
    print("refused after %.0f ms" % ((time.time() - start) * 1000)); sys.exit(0)
except socket.timeout:
    print("timeout: no ICMP error reached the guest"); sys.exit(1)
PYEOF
}
e2e_check "UDP to a closed port: the port-unreachable reaches the guest (ECONNREFUSED)" \
	udp_refused "$(g 1)" "$PUB_IP" 9999
e2e_check "... over IPv6 too" udp_refused "$(g 1)" "$PUB6_IP" 9999
tcp_unreach() { # ns addr: connect fails at once (not a timeout) on the ICMP error
	local out rc start=$SECONDS
	out=$(e2e_in "$1" curl -sS -m5 "http://$2/" 2>&1)
	rc=$?
	echo "curl exit $rc: $out"
	[ $rc -eq 7 ] && [ $((SECONDS - start)) -le 3 ]
}
e2e_check "TCP to an unreachable network: host unreachable reaches the guest" tcp_unreach "$(g 1)" 198.18.5.1
e2e_check "... over IPv6 too" tcp_unreach "$(g 1)" "[2001:db8:55::1]"
ping_unreach() {
	local out
	out=$(e2e_in "$(g 1)" ping -c1 -W3 "$1" 2>&1)
	echo "$out"
	grep -qi "unreachable" <<<"$out"
}
e2e_check "ping to an unreachable network: the error reaches the pinging guest" ping_unreach 198.18.5.1
icmp_counted() { local v; v=$(e2e_counter allowall icmp_errors_relayed); echo "$v"; [ "$v" -ge 5 ]; }
e2e_check "relayed ICMP errors are counted" icmp_counted
e2e_check "TCP refused upstream: the guest sees the reset" refused "$(g 1)" "$PUB_IP" 9999
dhcp_inform() {
	e2e_in "$(g 1)" "$PY" - "$(gw4 1)" 172.16.0.6 <<'PYEOF'
import os, socket, struct, sys
gw, me = sys.argv[1], sys.argv[2]
xid = os.urandom(4)
mac = bytes.fromhex("026d73000102")
msg = struct.pack("!BBBB", 1, 1, 6, 0) + xid + b"\0" * 4 + socket.inet_aton(me) + b"\0" * 12
msg += mac + b"\0" * 10 + b"\0" * 192 + bytes([99, 130, 83, 99]) + bytes([53, 1, 8, 255])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((me, 68))
s.settimeout(3)
s.sendto(msg, (gw, 67))
data, _ = s.recvfrom(1500)
opts = data[240:]
ok = data[4:8] == xid and data[16:20] == b"\0" * 4 and bytes([53, 1, 5]) in opts and bytes([51, 4]) not in opts
print("ack" if ok else "bad reply", data[16:20].hex())
sys.exit(0 if ok else 1)
PYEOF
}
e2e_check "DHCPINFORM is answered with an ACK: configuration, no address, no lease" dhcp_inform

e2e_check "sbgw is still running" kill -0 "$SBGW_PID"
e2e_done
