#!/usr/bin/env bash
# The DNS interceptor (semantics §2.7–§2.8, §3) against a real
# authoritative server: nsd in the internet namespace serves
# tests/e2e/dns/test.zone on 203.0.113.53 and 1.1.1.1; a fake upstream
# (tests/e2e/dns/fake_upstream.py) on 203.0.113.55 answers SERVFAIL,
# REFUSED or an oversized answer; 192.0.2.53/.54 are black holes (true
# timeouts) and 203.0.113.54 has no server (port unreachable). The DNS
# service's sockets live in the gateway namespace and reach the internet
# through the host port, NATed to the uplink. Every query on the
# internet side is captured, so "never reached the upstream" is checked
# where it matters: at the upstream.
# Conformance scenarios named by number (../shared/spec/conformance.md).
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
E2E_HOST_PORT=hp$E2E_ID
DNS_DIR=$E2E_ROOT/tests/e2e/dns
NSD_ADDR=203.0.113.53
FAKE_ADDR=203.0.113.55
CLOSED_ADDR=203.0.113.54
HOLE1=192.0.2.53
HOLE2=192.0.2.54
PCAP=$E2E_TMP/inet-dns.pcap

for tool in nsd tcpdump dig; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool missing: run scripts/deps test"; exit 1; }
done

e2e_internet || exit 1

# ---- The internet side: nsd, the fake upstream, black holes, a capture ----
for a in $NSD_ADDR $FAKE_ADDR $CLOSED_ADDR; do
	ip -n "$NS_INET" addr add "$a/32" dev lo
done
# Queries to the black holes arrive and vanish: no answer, no ICMP.
ip -n "$NS_INET" route add blackhole 192.0.2.0/24
sed -e "s|@TMP@|$E2E_TMP|g" -e "s|@ZONES@|$DNS_DIR|g" "$DNS_DIR/nsd.conf.in" >"$E2E_TMP/nsd.conf"
for a in 1.1.1.1 $NSD_ADDR; do
	sed -i "/^server:/a\\    ip-address: $a" "$E2E_TMP/nsd.conf"
done
e2e_bg "$NS_INET" tcpdump tcpdump -i any -n -U --immediate-mode -s 0 -Z root -w "$PCAP" udp port 53
e2e_bg "$NS_INET" nsd-stdout nsd -d -c "$E2E_TMP/nsd.conf"
e2e_bg "$NS_INET" fake "$PY" "$DNS_DIR/fake_upstream.py" "$E2E_TMP/fake-queries.log" $FAKE_ADDR
# UDP echo on the name-service ports the gateway must drop, and on 5354
# as the control: the drops are the gateway's, not a missing server's.
for p in 137 853 5353 5354 5355; do
	e2e_bg "$NS_INET" "echo$p" "$PY" "$E2E_ROOT/tests/e2e/echo_server.py" $p 1.1.1.1 8.8.8.8
done
nsd_up() { ip netns exec "$NS_INET" dig +time=1 +tries=1 @$NSD_ADDR www.test | grep -q "status: NOERROR"; }
e2e_wait 10 nsd_up || { e2e_log "nsd did not start:"; cat "$E2E_TMP"/nsd*.log 2>/dev/null; exit 1; }
e2e_wait 10 grep -q "listening on" "$E2E_TMP/tcpdump.log" || { e2e_log "tcpdump did not start"; exit 1; }
e2e_wait 5 bash -c "ip netns exec $NS_INET ss -lun | grep -q '$FAKE_ADDR:53'" || exit 1

# ---- The gateway ------------------------------------------------------------
NG=14
for i in $(seq 0 $((NG - 1))); do
	e2e_guest "$i" || exit 1
done
g() { e2e_guest_ns "$1"; }
port() { echo "net_af_packet$(($1 + 1)),iface=$(e2e_guest_if "$1")"; }
gw4() { echo "172.16.0.$((4 * $1 + 1))"; }
gw6() { if [ "$1" -eq 0 ]; then echo fd42:6d73:62::1; else printf 'fd42:6d73:62:%x::1\n' "$1"; fi; }
# The sandboxes that set no nameservers use the gateway's. The decision
# log (INFO on log type sbgw.dns) is turned on in front of the harness's
# "*:warning": DPDK 22.11 applies the first --log-level option that
# matches a log type registered after EAL init, so appending it (as
# E2E_EAL_EXTRA does) would leave sbgw.dns at WARNING.
conf_head() {
	e2e_conf_head | sed -e "/^	flows = /i\\	dns = { nameservers = [ \"$NSD_ADDR\" ]; };" \
		-e 's/"--log-level", "\*:warning"/"--log-level", "sbgw.dns:info", &/'
}
T='query_timeout_ms = 500;'
{
	conf_head
	cat <<CONF
sandboxes = (
	{ name = "def"; port = "$(port 0)";
	  network = { deny_domains = [ "blocked.test" ]; deny_domain_suffixes = [ ".tracker.test" ];
		dns = { $T }; }; },
	{ name = "allowall"; port = "$(port 1)"; network = { policy = "allow_all"; dns = { $T }; }; },
	{ name = "privok"; port = "$(port 2)";
	  network = { policy = { default_egress = "deny"; rules = ( "allow_dns",
		{ action = "deny"; destination = "10.20.30.40/32"; },
		{ action = "allow"; destination = "public"; },
		{ action = "allow"; destination = "private"; } ); }; }; },
	{ name = "norebind"; port = "$(port 3)"; network = { dns = { rebind_protection = false; }; }; },
	{ name = "udpdom"; port = "$(port 4)";
	  network = { policy = { default_egress = "deny"; rules = (
		{ action = "allow"; protocol = "udp"; port = 7; destination = "allowed.test"; },
		{ action = "allow"; protocol = "icmpv4"; destination = "icmp.test"; } ); }; }; },
	{ name = "tcpdom"; port = "$(port 5)";
	  network = { policy = { default_egress = "deny"; rules = (
		{ action = "allow"; protocol = "tcp"; port = 80; destination = "allowed.test"; },
		{ action = "allow"; protocol = "tcp"; port = 80; destination = "dual.test"; },
		{ action = "allow"; protocol = "tcp"; port = 80; destination = ".sfx.test"; } ); };
		dns = { rebind_protection = false; }; }; },
	{ name = "ttl"; port = "$(port 6)";
	  network = { policy = { default_egress = "deny"; rules = (
		{ action = "allow"; protocol = "tcp"; destination = "short.test"; },
		{ action = "allow"; protocol = "tcp"; destination = "zero.test"; } ); }; }; },
	{ name = "cname"; port = "$(port 7)";
	  network = { policy = { default_egress = "deny"; rules = (
		{ action = "allow"; destination = "alias.test"; } ); }; }; },
	{ name = "cnametarget"; port = "$(port 8)";
	  network = { policy = { default_egress = "deny"; rules = ( "allow_dns",
		{ action = "allow"; destination = "target.test"; } ); }; }; },
	{ name = "failover"; port = "$(port 9)";
	  network = { dns = { nameservers = [ "$HOLE1", "$NSD_ADDR" ]; $T }; }; },
	{ name = "unreach"; port = "$(port 10)";
	  network = { dns = { nameservers = [ "$CLOSED_ADDR", "$NSD_ADDR:53" ]; query_timeout_ms = 1000; }; }; },
	{ name = "alldead"; port = "$(port 11)";
	  network = { dns = { nameservers = [ "$HOLE1", "$HOLE2" ]; $T }; }; },
	{ name = "servfail"; port = "$(port 12)";
	  network = { dns = { nameservers = [ "$FAKE_ADDR", "$NSD_ADDR" ]; $T }; }; },
	{ name = "udpdeny"; port = "$(port 13)";
	  network = { policy = { default_egress = "allow"; rules = (
		{ action = "deny"; protocol = "udp"; destination = "public"; } ); }; }; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1
# The DNS service's sockets (and the relay's upstream connections) leave
# the gateway namespace through the host port (as an operator routes the
# slow path's traffic).
ip -n "$NS_GW" route add default via 169.254.253.2 dev "$E2E_HOST_PORT"
ip -n "$NS_GW" -6 route add default via fd6d:7367:7700::2 dev "$E2E_HOST_PORT"

# ---- Helpers --------------------------------------------------------------
# qry I SERVER NAME [TYPE] [DIG OPTIONS]: dig from guest I, one try, no
# TCP fallback surprises (a truncated answer is asked for with +ignore).
qry() {
	local i=$1 srv=$2
	shift 2
	e2e_in "$(g "$i")" dig +time=3 +tries=1 @"$srv" "$@"
}
# resolves I SERVER NAME TYPE ADDR: NOERROR, and ADDR among the answers.
resolves() {
	local out answers
	out=$(qry "$1" "$2" "$3" "$4")
	answers=$(echo "$out" | awk '/^;; ANSWER SECTION/{a=1;next} /^$/{a=0} a{print $NF}' | tr '\n' ' ')
	echo "$out" | head -n 8
	echo "=> $(echo "$out" | grep -o 'status: [A-Z]*'), answers: $answers (want $5)"
	grep -q "status: NOERROR" <<<"$out" && grep -qF -- " $5 " <<<" $answers"
}
# gw_nxdomain I SERVER NAME [TYPE]: the gateway's own NXDOMAIN: no answer,
# no authority section, RA set (semantics §3.2).
gw_nxdomain() {
	local out
	out=$(qry "$1" "$2" "$3" "${4:-A}")
	echo "$out"
	grep -q "status: NXDOMAIN" <<<"$out" &&
		grep -q "ANSWER: 0, AUTHORITY: 0" <<<"$out" &&
		grep -Eq "flags: qr[a-z ]* ra" <<<"$out"
}
status_is() { # I SERVER NAME TYPE STATUS
	local out
	out=$(qry "$1" "$2" "$3" "$4")
	echo "$out"
	grep -q "status: $5" <<<"$out"
}
# The capture on the internet side, as text. A marker query from the
# internet namespace itself goes last: once the capture holds it, it holds
# every query the gateway sent before (one capture socket, arrival order).
wire() {
	local mark
	mark=sync$(date +%s%N).test
	ip netns exec "$NS_INET" dig +time=1 +tries=1 @$NSD_ADDR "$mark" >/dev/null
	e2e_wait 5 bash -c "tcpdump -r '$PCAP' -n 2>/dev/null | grep -qF '? $mark. '"
	tcpdump -r "$PCAP" -n 2>/dev/null
}
# never_upstream NAME: no query for NAME reached any upstream.
never_upstream() {
	if wire | grep -iF "? $1. "; then return 1; fi
	return 0
}
# asked DST NAME: DST:53 received a query for NAME.
asked() { wire | grep -E "> ${1//./\\.}\.53: .*\? ${2//./\\.}\. " ; }
dlog() { grep "sbgw.dns: " "$E2E_TMP/sbgw.log"; }
logged() { dlog | grep -E "$1"; }
counter_ge() { # SANDBOX PATH MIN
	local v
	v=$(e2e_counter "$1" "$2")
	echo "$1 $2 = $v (want >= $3)"
	[ "$v" -ge "$3" ]
}
connects() { e2e_in "$1" nc -z -w3 "$2" "$3"; }
refused() { # ns ip port: refused by RST, quickly
	local start=$SECONDS out
	out=$(e2e_in "$1" nc -zv -w3 "$2" "$3" 2>&1)
	if [ $? -eq 0 ]; then echo "connected: $out"; return 1; fi
	grep -q "refused" <<<"$out" || { echo "not refused: $out"; return 1; }
	[ $((SECONDS - start)) -le 2 ]
}
fetch() {
	local body
	body=$(e2e_in "$1" curl -sS -m4 "http://$2/" 2>&1)
	echo "$body"
	[ "$body" = "hello from the internet" ]
}
in_range() { # VALUE LO HI
	echo "value $1 (want $2..$3)"
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}
# answered_in I SERVER NAME TYPE STATUS LO HI: the answer has STATUS and
# dig's own query time (send to answer, no process start-up) is LO..HI ms.
answered_in() {
	local out ms
	out=$(qry "$1" "$2" "$3" "$4")
	echo "$out" | head -n 6
	grep -q "status: $5" <<<"$out" || return 1
	ms=$(sed -n 's/^;; Query time: \([0-9]*\) msec$/\1/p' <<<"$out")
	in_range "${ms:--1}" "$6" "$7"
}

G0=$(gw4 0)

# ---- Resolution, capture, direct path (sandbox def: public_only + denies) --
e2e_check "an allowed name resolves through the gateway" resolves 0 "$G0" www.test A 8.8.8.8
e2e_check "over IPv6 to the gateway too" resolves 0 "$(gw6 0)" www.test A 8.8.8.8
e2e_check "an AAAA record resolves" resolves 0 "$G0" pub6.test AAAA 2001:db8:ff::10
from_uplink() { wire | grep -E '198\.51\.100\.2\.[0-9]+ > 203\.0\.113\.53\.53: .*A\? www\.test\. '; }
e2e_check "the upstream sees the query from the uplink address (NAT)" from_uplink
real_nx() { # a real NXDOMAIN carries the zone's SOA: the contrast to policy denials
	local out
	out=$(qry 0 "$G0" nosuchname.test)
	echo "$out"
	grep -q "status: NXDOMAIN" <<<"$out" && grep -q "AUTHORITY: 1" <<<"$out"
}
e2e_check "a real NXDOMAIN from the zone is relayed with its authority section" real_nx
e2e_check "deny_domains: NXDOMAIN without authority (conformance 48, 49)" gw_nxdomain 0 "$G0" blocked.test
e2e_check "deny suffix: the apex is denied (conformance 36)" gw_nxdomain 0 "$G0" tracker.test
e2e_check "deny suffix: a name under it is denied (conformance 36)" gw_nxdomain 0 "$G0" ads.tracker.test
e2e_check "deny suffix: the same name in capitals is denied" gw_nxdomain 0 "$G0" ADS.Tracker.TEST. AAAA
e2e_check "deny suffix is label aligned: eviltracker.test resolves" resolves 0 "$G0" eviltracker.test A 8.8.8.8
e2e_check "denied names: AAAA and MX are denied alike" gw_nxdomain 0 "$G0" blocked.test MX
denied_never_sent() {
	local n
	for n in blocked.test tracker.test ads.tracker.test; do
		never_upstream $n || return 1
	done
}
e2e_check "denied names never reached the upstream (its capture holds none of them)" denied_never_sent
e2e_check "deny_domains: the rest of public_only still works (conformance 48)" fetch "$(g 0)" "$PUB_IP"
e2e_check "deny_domains: private addresses stay refused (conformance 48)" refused "$(g 0)" "$PRIV_IP" 80
e2e_check "the decision log names the denial and its rule (deny_domains #0)" \
	logged "sandbox=def query=blocked\.test type=A verdict=nxdomain-policy rule=#0 .*rcode=NXDOMAIN"
e2e_check "the decision log names the suffix rule (#1)" \
	logged "sandbox=def query=ads\.tracker\.test type=A verdict=nxdomain-policy rule=#1 "
e2e_check "the decision log shows forwarded queries with their upstream" \
	logged "sandbox=def query=www\.test type=A verdict=forward rule=#[0-9]+ upstream=203\.0\.113\.53:53 rcode=NOERROR"

direct_from() { # the answer came from the resolver the guest named
	local out
	out=$(qry 0 "$1" www.test)
	echo "$out"
	grep -q "status: NOERROR" <<<"$out" && grep -q "SERVER: $1#53($1) (UDP)" <<<"$out" &&
		grep -Eq "^www\.test\..*A[[:space:]]+8\.8\.8\.8$" <<<"$out"
}
e2e_check "direct path: dig @203.0.113.53 answers from 203.0.113.53 (conformance 6)" direct_from $NSD_ADDR
e2e_check "direct path: dig @1.1.1.1 answers from 1.1.1.1 (conformance 51)" direct_from 1.1.1.1
e2e_check "direct path: it went to exactly that resolver" asked 1.1.1.1 www.test
e2e_check "direct path: denied names stay denied (conformance 51)" gw_nxdomain 0 1.1.1.1 blocked.test
e2e_check "direct path: the denied name was not sent to that resolver either" never_upstream blocked.test
e2e_check "direct path to a private resolver: NXDOMAIN (conformance 7)" gw_nxdomain 0 "$PRIV_IP" www.test
e2e_check "direct path to a private IPv6 resolver: NXDOMAIN, from that address" gw_nxdomain 0 fd00::53 www.test
e2e_check "direct path: the resolver denial is logged" \
	logged "sandbox=def query=www\.test type=A verdict=nxdomain-resolver-denied"
to_denied_resolver() { wire | grep -E '> (10\.1\.2\.3|fd00::53)\.53:'; }
e2e_check_fails "direct path: the denied resolver's query was never sent" to_denied_resolver
e2e_check "direct path to a dead resolver: SERVFAIL after one timeout" \
	answered_in 0 $HOLE1 fo4.test A SERVFAIL 450 1000
e2e_check_fails "direct path: no failover to the configured upstream" asked $NSD_ADDR fo4.test

# ---- Rebind protection ----------------------------------------------------
for n in rebind local meta unspec mixed; do
	e2e_check "rebind: $n.test is NXDOMAIN under public_only (conformance 58, 60)" gw_nxdomain 0 "$G0" $n.test
done
e2e_check "rebind: AAAA ::1 is NXDOMAIN (conformance 60)" gw_nxdomain 0 "$G0" loop6.test AAAA
e2e_check "rebind: public_only's 'allow public' admits 203.0.113.10 (semantics §3.4, Q25)" \
	resolves 0 "$G0" pub.test A "$PUB_IP"
for n in rebind pub doc bench; do
	e2e_check "rebind: $n.test is NXDOMAIN under allow_all (conformance 59, 60)" gw_nxdomain 1 "$(gw4 1)" $n.test
done
e2e_check "rebind: AAAA 2001:db8::1 is NXDOMAIN under allow_all (conformance 60)" \
	gw_nxdomain 1 "$(gw4 1)" doc6.test AAAA
e2e_check "rebind: the upstream did answer; the gateway blocked it" asked $NSD_ADDR doc6.test
e2e_check "rebind: allow_all still resolves public names" resolves 1 "$(gw4 1)" www.test A 8.8.8.8
e2e_check "rebind: blocked answers are counted" counter_ge allowall dns.rebind_blocked 5
e2e_check "rebind: and logged" logged "sandbox=allowall query=rebind\.test type=A verdict=nxdomain-rebind"
e2e_check "rebind: an explicit 'allow private' admits 10.1.2.3 (conformance 59)" \
	resolves 2 "$(gw4 2)" rebind.test A "$PRIV_IP"
e2e_check "rebind: an earlier 'deny 10.20.30.40/32' wins over 'allow private'" \
	gw_nxdomain 2 "$(gw4 2)" rebind2.test
e2e_check "rebind: 'allow private' does not admit 127.0.0.1" gw_nxdomain 2 "$(gw4 2)" local.test
e2e_check "rebind: nor 169.254.169.254" gw_nxdomain 2 "$(gw4 2)" meta.test
e2e_check "rebind: nor 0.0.0.0" gw_nxdomain 2 "$(gw4 2)" unspec.test
e2e_check "rebind: a default 'allow' admits nothing (deny udp public, default allow)" \
	gw_nxdomain 13 "$(gw4 13)" rebind.test
e2e_check "rebind_protection=false: 10.1.2.3 is returned (conformance 58)" \
	resolves 3 "$(gw4 3)" rebind.test A "$PRIV_IP"
e2e_check "rebind_protection=false: 127.0.0.1 is returned" resolves 3 "$(gw4 3)" local.test A 127.0.0.1
e2e_check "rebind_protection=false: connecting to it is still refused (conformance 58)" \
	refused "$(g 3)" "$PRIV_IP" 80

# ---- host.microsandbox.internal --------------------------------------------
host_alias() { # I TYPE ADDR
	local out
	out=$(qry "$1" "$(gw4 "$1")" host.microsandbox.internal "$2")
	echo "$out"
	grep -Eq "flags: qr aa rd ra;" <<<"$out" &&
		grep -Eq "^host\.microsandbox\.internal\.[[:space:]]+60[[:space:]]+IN[[:space:]]+$2[[:space:]]+$3$" <<<"$out"
}
e2e_check "host.microsandbox.internal A: the gateway, aa, TTL 60 (conformance 62)" host_alias 0 A "$G0"
e2e_check "host.microsandbox.internal AAAA: the gateway's IPv6 (conformance 63)" host_alias 0 AAAA "$(gw6 0)"
e2e_check "host.microsandbox.internal: another slot gets its own gateway" host_alias 3 A "$(gw4 3)"
e2e_check "host.microsandbox.internal in capitals with a trailing dot" \
	resolves 0 "$G0" HOST.MicroSandbox.Internal. A "$G0"
e2e_check "host.microsandbox.internal never reaches the upstream" never_upstream host.microsandbox.internal
e2e_check "host.microsandbox.internal MX goes upstream (here: REFUSED, relayed)" \
	status_is 0 "$G0" host.microsandbox.internal MX REFUSED
e2e_check "host.microsandbox.internal is judged by policy first: NXDOMAIN without allow_dns" \
	gw_nxdomain 4 "$(gw4 4)" host.microsandbox.internal

# ---- Message handling ------------------------------------------------------
tc_set() { # I SERVER NAME TYPE [DIG OPTIONS]
	local out i=$1 srv=$2 name=$3 type=$4
	shift 4
	out=$(qry "$i" "$srv" "$name" "$type" +ignore "$@")
	echo "$out"
	grep -q "status: NOERROR" <<<"$out" && grep -Eq "flags: qr[a-z ]* tc" <<<"$out" &&
		grep -q "ANSWER: 0" <<<"$out"
}
e2e_check "oversize answer, bufsize 512: TC set" tc_set 0 "$G0" big.test TXT +bufsize=512
e2e_check "oversize answer, no EDNS (512): TC set" tc_set 0 "$G0" big.test TXT +noedns
n_answers() { # I SERVER NAME TYPE N
	qry "$1" "$2" "$3" "$4" +ignore | grep "ANSWER: $5,"
}
e2e_check "the full answer with a larger buffer" n_answers 0 "$G0" big.test TXT 4
e2e_check "an upstream ignoring the guest's size: the gateway truncates (TC)" \
	tc_set 0 $FAKE_ADDR big.test A +bufsize=512
e2e_check "that truncation is counted" counter_ge def dns.truncated 1
e2e_check "the same answer fits a 1232-byte buffer: 60 records" n_answers 0 $FAKE_ADDR big.test A 60
e2e_check "several questions: FORMERR, ID and question echoed, nothing else" \
	e2e_in "$(g 0)" "$PY" "$DNS_DIR/dnsprobe.py" formerr "$G0"
e2e_check "FORMERR is counted" counter_ge def dns.formerr 1
e2e_check "malformed queries get no answer at all" \
	e2e_in "$(g 0)" "$PY" "$DNS_DIR/dnsprobe.py" malformed "$G0"
e2e_check "malformed queries are counted" counter_ge def dns.malformed 3
e2e_check "queries are counted" counter_ge def dns.queries 30
e2e_check "denials are counted" counter_ge def dns.denied 8

# ---- Other name-service ports (sandbox allowall) ---------------------------
e2e_check "UDP 5354 (control) is relayed under allow_all" e2e_udp_echo "$(g 1)" 1.1.1.1 5354
for p in 853 5353 5355 137; do
	e2e_check_fails "UDP $p is dropped (conformance 56)" e2e_udp_echo "$(g 1)" 1.1.1.1 $p
done
e2e_check_fails "mDNS to 224.0.0.251:5353 gets no answer (conformance 56)" \
	e2e_in "$(g 1)" dig +time=1 +tries=1 -p 5353 @224.0.0.251 example.local
e2e_check "the drops are counted as dns_port_blocked" counter_ge allowall drops.dns_port_blocked 4

# ---- Names judged by policy; domain rules through the pins -------------------
e2e_check "no rule grants the lookup: NXDOMAIN (conformance 33)" gw_nxdomain 4 "$(gw4 4)" notallowed.test
e2e_check "... and it never reached the upstream" never_upstream notallowed.test
e2e_check_fails "UDP to the name's address before any lookup: dropped (conformance 46)" \
	e2e_udp_echo "$(g 4)" 8.8.8.8
e2e_check_fails "ICMP to the name's address before any lookup: dropped" \
	e2e_in "$(g 4)" ping -c1 -W2 1.1.1.1
e2e_check "a domain rule scoped to udp/7 still grants the lookup (§2.8)" resolves 4 "$(gw4 4)" allowed.test A 8.8.8.8
e2e_check "UDP to the name's address after the lookup: answered (conformance 46)" \
	e2e_udp_echo "$(g 4)" 8.8.8.8
e2e_check_fails "UDP to another port is still dropped" e2e_udp_echo "$(g 4)" 8.8.8.8 5354
e2e_check "an icmpv4 domain rule grants its lookup" resolves 4 "$(gw4 4)" icmp.test A 1.1.1.1
e2e_check "ICMP to the name's address after the lookup: answered" e2e_in "$(g 4)" ping -c1 -W3 1.1.1.1

e2e_check "TCP to a raw IP under a domain allowlist: refused at SYN (conformance 41)" \
	refused "$(g 5)" 8.8.8.8 80
e2e_check "the allowlisted name resolves" resolves 5 "$(gw4 5)" allowed.test A 8.8.8.8
e2e_check "TCP to the name's address after the lookup: the page" fetch "$(g 5)" 8.8.8.8
e2e_check "TCP to another port of it: refused" refused "$(g 5)" 8.8.8.8 7
e2e_check "TCP to an address no lookup returned: refused" refused "$(g 5)" 1.1.1.1 80
e2e_check "suffix allow: a name under it resolves" resolves 5 "$(gw4 5)" a.sfx.test A 1.1.1.1
e2e_check "suffix allow: TCP to its address works" fetch "$(g 5)" 1.1.1.1
e2e_check "suffix allow is label aligned: evilsfx.test is NXDOMAIN" gw_nxdomain 5 "$(gw4 5)" evilsfx.test
e2e_check "family partition: dual.test A resolves" resolves 5 "$(gw4 5)" dual.test A 8.8.8.8
e2e_check "family partition: its IPv6 address is refused after an A lookup (conformance 44)" \
	refused "$(g 5)" "$PUB6_IP" 80
e2e_check "family partition: dual.test AAAA resolves" resolves 5 "$(gw4 5)" dual.test AAAA "$PUB6_IP"
e2e_check "family partition: after the AAAA lookup IPv6 connects" connects "$(g 5)" "$PUB6_IP" 80

# CNAME chains pin the name asked, not the target (conformance 47).
e2e_check "CNAME: alias.test resolves through target.test" resolves 7 "$(gw4 7)" alias.test A 8.8.8.8
e2e_check "CNAME: 'allow alias.test' admits the chain's address" fetch "$(g 7)" 8.8.8.8
e2e_check "CNAME: resolving alias.test with only 'allow target.test'" resolves 8 "$(gw4 8)" alias.test A 8.8.8.8
e2e_check "CNAME: ... does not admit target.test's address (conformance 47)" refused "$(g 8)" 8.8.8.8 80
target_itself() { resolves 8 "$(gw4 8)" target.test A 8.8.8.8 && fetch "$(g 8)" 8.8.8.8; }
e2e_check "CNAME: resolving target.test itself does" target_itself

# Pin lifetime: TTL 0 is floored to 1 s, a 3 s TTL expires, an established
# connection outlives its pin (conformance 43, semantics §3.5).
zero_floor() {
	resolves 6 "$(gw4 6)" zero.test A 1.1.1.1 >/dev/null || return 1
	fetch "$(g 6)" 1.1.1.1
}
e2e_check "TTL 0: a connection right after the lookup works (conformance 43)" zero_floor
sleep 1.5
e2e_check "TTL 0: 1.5 s later the pin is gone, a new connection refused" refused "$(g 6)" 1.1.1.1 80
e2e_check "TTL 3: short.test resolves" resolves 6 "$(gw4 6)" short.test A 8.8.8.8
rm -f "$E2E_TMP/hold.go" "$E2E_TMP/hold.out"
# (A background job's standard input is /dev/null: the script goes in a file.)
cat >"$E2E_TMP/hold.py" <<'PYEOF'
import os, socket, sys, time
tmp = sys.argv[1]
out = open(os.path.join(tmp, "hold.out"), "w", buffering=1)
s = socket.create_connection(("8.8.8.8", 7), timeout=3)
s.sendall(b"before")
out.write("before=%s\n" % (s.recv(64) == b"before"))
deadline = time.time() + 20
while not os.path.exists(os.path.join(tmp, "hold.go")) and time.time() < deadline:
    time.sleep(0.05)
s.sendall(b"after")
try:
    out.write("after=%s\n" % (s.recv(64) == b"after"))
except OSError as e:
    out.write("after=%s\n" % e)
PYEOF
e2e_bg "$(g 6)" hold "$PY" "$E2E_TMP/hold.py" "$E2E_TMP"
e2e_check "TTL 3: a connection opened while the pin is live" e2e_wait 3 grep -q "before=True" "$E2E_TMP/hold.out"
e2e_check "TTL 3: a second one too" connects "$(g 6)" 8.8.8.8 80
sleep 3.2
e2e_check "TTL 3: after expiry a new connection is refused" refused "$(g 6)" 8.8.8.8 80
touch "$E2E_TMP/hold.go"
e2e_check "TTL 3: the established connection is not cut" e2e_wait 5 grep -q "after=True" "$E2E_TMP/hold.out"
relookup() { resolves 6 "$(gw4 6)" short.test A 8.8.8.8 && connects "$(g 6)" 8.8.8.8 80; }
e2e_check "TTL 3: a new lookup admits new connections again" relookup

# ---- Upstreams: failover, SERVFAIL, all dead ----------------------------------
e2e_check "failover: a black-holed first nameserver, answer within one timeout (conformance 65)" \
	answered_in 9 "$(gw4 9)" fo1.test A NOERROR 450 1000
e2e_check "failover: the dead one was asked first" asked $HOLE1 fo1.test
e2e_check "failover: then the live one" asked $NSD_ADDR fo1.test
e2e_check "failover: the timeout is counted" counter_ge failover dns.upstream_timeouts 1
e2e_check "failover: and logged" logged "sandbox=failover query=fo1\.test type=A verdict=upstream-timeout rule=#[0-9]+ upstream=192\.0\.2\.53:53"
burst() {
	local out
	out=$(e2e_in "$(g 9)" "$PY" "$DNS_DIR/dnsprobe.py" burst "$(gw4 9)" fo2.test 40) || { echo "$out"; return 1; }
	echo "$out"
	in_range "$(echo "$out" | sed -n 's/^elapsed_ms=//p')" 400 1500
}
e2e_check "many in flight: 40 queries through the dead first nameserver, all answered within ~one timeout" burst
unreach() { answered_in 10 "$(gw4 10)" fo2.test A NOERROR 0 2000; }
# The port-unreachable ICMP reaches the DNS service's socket on the host (the
# host port's flows get ICMP errors relayed like a guest's), so this is
# usually a transport error and an immediate failover; either way it must
# fail over within 2 x timeout.
e2e_check "failover: a first nameserver with no server (port unreachable) fails over within 2 x timeout" unreach
e2e_log "port-unreachable first nameserver: upstream_errors=$(e2e_counter unreach dns.upstream_errors)" \
	"upstream_timeouts=$(e2e_counter unreach dns.upstream_timeouts)"
e2e_check "SERVFAIL from the first nameserver is relayed at once (conformance 67)" \
	answered_in 12 "$(gw4 12)" fo3.test A SERVFAIL 0 400
e2e_check "SERVFAIL: the first nameserver was asked" grep -q "$FAKE_ADDR fo3.test 1" "$E2E_TMP/fake-queries.log"
e2e_check_fails "SERVFAIL: no failover, the second never saw the query (conformance 67)" asked $NSD_ADDR fo3.test
e2e_check "REFUSED from the first nameserver is relayed, no failover" status_is 12 "$(gw4 12)" refused.test A REFUSED
e2e_check_fails "REFUSED: the second never saw it" asked $NSD_ADDR refused.test
# ---- Shared upstream sockets: forgeries, late answers, many at once ----------
# The service keeps a few connected sockets per upstream and tells queries
# apart by their random ID; none of that may let a wrong answer through.
single() { # I SERVER NAME RCODE [ANSWERS]: exactly one response, with these
	local out
	out=$(e2e_in "$(g "$1")" "$PY" "$DNS_DIR/dnsprobe.py" single "$2" "$3" 1.5)
	echo "$out"
	grep -qx "rcode=$4 answers=${5:-}" <<<"$out"
}
e2e_check "forgeries (wrong ID, wrong question, wrong port) are ignored; the real answer is relayed, once" \
	single 12 "$(gw4 12)" spoof1.test NOERROR 8.8.4.4
e2e_check "an answer later than the timeout is ignored: one response, the second nameserver's" \
	single 12 "$(gw4 12)" slow1.test NXDOMAIN
e2e_check "... after the first nameserver was asked" grep -q "$FAKE_ADDR slow1.test 1" "$E2E_TMP/fake-queries.log"
CAPTURED_BEFORE_BURST=$(wire | wc -l)
e2e_check "60 queries at once for four names: each response carries its own question and answer" \
	e2e_in "$(g 0)" "$PY" "$DNS_DIR/dnsprobe.py" mixed "$G0" 60
few_ports() { # the burst's queries (as many as the capture kept) left through a few shared sockets
	local q ports
	q=$(wire | tail -n +$((CAPTURED_BEFORE_BURST + 1)) |
		grep -E '198\.51\.100\.2\.[0-9]+ > 203\.0\.113\.53\.53: .*\? (www|other|pub6|nosuchname)\.test\. ')
	ports=$(grep -oE '198\.51\.100\.2\.[0-9]+ >' <<<"$q" | sort -u | wc -l)
	echo "$(wc -l <<<"$q") queries captured, from $ports source ports (want 1..8)"
	[ "$ports" -ge 1 ] && [ "$ports" -le 8 ]
}
e2e_check "... sent upstream from a few shared sockets, not one per query" few_ports
e2e_check "all nameservers dead: SERVFAIL after 2 x timeout (conformance 66)" \
	answered_in 11 "$(gw4 11)" www.test A SERVFAIL 950 2000
e2e_check "all dead: SERVFAIL counted" counter_ge alldead dns.servfail 1
e2e_check "all dead: both timeouts counted" counter_ge alldead dns.upstream_timeouts 2

# ---- Direct path under 'deny udp public' (conformance 23) --------------------
e2e_check "deny udp public: dig @1.1.1.1 is NXDOMAIN (conformance 23)" gw_nxdomain 13 1.1.1.1 www.test
e2e_check "deny udp public: over IPv6 to a public resolver, NXDOMAIN from that address" \
	gw_nxdomain 13 "$PUB6_IP" www.test AAAA
e2e_check "deny udp public: the gateway's resolver still answers" resolves 13 "$(gw4 13)" www.test A 8.8.8.8

e2e_check "sbgw is still running after all of the above" kill -0 "$SBGW_PID"
if [ $E2E_FAILED -gt 0 ]; then
	e2e_log "sbgw log (first configuration):"
	tail -n 40 "$E2E_TMP/sbgw.log" | sed 's/^/#   /'
	for s in $(e2e_telemetry /sbgw/sandboxes | tr -d '[]",'); do
		e2e_log "counters of $s: $(e2e_telemetry "/sbgw/sandbox,$s")"
	done
fi

# ---- A gateway without IPv6: the inactive family (conformance 64) ------------
e2e_stop
v4_only_head() { conf_head | sed -e '/address6 = /d' -e '/next_hop6 = /d'; }
{
	v4_only_head
	cat <<CONF
sandboxes = ( { name = "v4only"; port = "$(port 0)"; network = { dns = { $T }; }; } );
CONF
} >"$E2E_TMP/sbgw-v4.conf"
cp "$E2E_TMP/sbgw.log" "$E2E_TMP/sbgw.log.phase1"
e2e_start "$E2E_TMP/sbgw-v4.conf" || exit 1
ip -n "$NS_GW" route add default via 169.254.253.2 dev "$E2E_HOST_PORT"
empty_noerror() { # NAME
	local out
	out=$(qry 0 "$G0" "$1" AAAA)
	echo "$out"
	grep -q "status: NOERROR" <<<"$out" && grep -q "ANSWER: 0, AUTHORITY: 0" <<<"$out"
}
e2e_check "no IPv6 gateway: AAAA gets an empty NOERROR (conformance 64)" empty_noerror v6probe.test
e2e_check "no IPv6 gateway: host.microsandbox.internal AAAA too" empty_noerror host.microsandbox.internal
e2e_check "no IPv6 gateway: the AAAA query never reached the upstream" never_upstream v6probe.test
e2e_check "no IPv6 gateway: A still resolves" resolves 0 "$G0" www.test A 8.8.8.8
e2e_check "no IPv6 gateway: answered locally, counted" counter_ge v4only dns.answered_locally 2

e2e_done
