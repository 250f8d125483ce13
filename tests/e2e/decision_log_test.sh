#!/usr/bin/env bash
# The decision log (gateway.decision_log): JSON lines, parsed with
# python3's json, for a denied TCP connection, a denied and an allowed DNS
# query (nsd upstream), an intercepted DNS-over-TCP connection; its rate
# limit under a burst of denied datagrams, with every left-out event
# counted. And the per-rule hit counters of sbgwctl show: one per new
# flow, whether the flow's later packets take the burst fast path or not.
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
CTL=$E2E_BUILD/app/sbgwctl/sbgwctl
SOCK=$E2E_TMP/control.sock
E2E_HOST_PORT=hp$E2E_ID
LOG=$E2E_TMP/decisions.jsonl
RATE=50

for tool in nsd dig nc curl; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool missing: run scripts/deps test"; exit 1; }
done
e2e_internet || exit 1
e2e_nsd || exit 1
for i in 0 1; do
	e2e_guest $i || exit 1
done
g() { e2e_guest_ns "$1"; }
port() { echo "net_af_packet$(($1 + 1)),iface=$(e2e_guest_if "$1")"; }
head -c $((8 * 1024 * 1024)) /dev/urandom >"$E2E_TMP/www/eight.bin"

E2E_GATEWAY_EXTRA="	dns = { nameservers = [ \"$E2E_NSD_ADDR\" ]; };
	decision_log = { output = \"$LOG\"; lines_per_second = $RATE; };"
{
	e2e_conf_head
	cat <<CONF
sandboxes = (
	{ name = "alpha"; port = "$(port 0)";
	  network = { policy = { default_egress = "deny"; rules = ( "allow_dns",
		{ action = "deny"; protocol = "tcp"; destination = "$PRIV2_IP"; },
		{ action = "allow"; protocol = "tcp"; port = 80; destination = "public"; } ); }; }; },
	{ name = "beta"; port = "$(port 1)"; network = { deny_domains = [ "blocked.test" ]; }; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1
# The DNS service's upstream sockets leave the gateway namespace through
# the host port, as an operator routes the host (dns_test.sh does the same).
ip -n "$NS_GW" route add default via 169.254.253.2 dev "$E2E_HOST_PORT"
ctl() { "$CTL" -s "$SOCK" "$@"; }

# logged PYTHON-EXPR: some line d (a dict) of the log satisfies the expression.
logged() {
	"$PY" - "$LOG" "$1" <<'PYEOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
expr = "(" + sys.argv[2] + ")"  # parenthesised: the expression may span lines
if not any(eval(expr, {}, {"d": d}) for d in lines):
    sys.exit("no line with %s among %d:\n%s" % (sys.argv[2], len(lines),
             "\n".join(json.dumps(d) for d in lines[-8:])))
PYEOF
}

# ---- Denied and intercepted flows, DNS decisions -----------------------------
e2e_check "alpha's TCP to $PRIV2_IP is refused" bash -c "
	! ip netns exec $(g 0) nc -z -w3 $PRIV2_IP 80"
e2e_check "denied TCP: one line with sandbox, 5-tuple, reason and the deciding rule" \
	e2e_wait 5 logged "d.get('event') == 'flow' and d['verdict'] == 'deny' and
	d['reason'] == 'acl_deny' and d['sandbox'] == 'alpha' and d['proto'] == 'tcp' and
	d['src'] == '172.16.0.2' and d['dst'] == '$PRIV2_IP' and d['dport'] == 80 and
	d['rule'] == 2 and isinstance(d['sport'], int) and isinstance(d['time'], float)"
e2e_check "the logged rule is the deny rule sbgwctl show lists at that index" bash -c "
	'$CTL' -s '$SOCK' -j show alpha | '$PY' -c 'import json,sys
r = json.load(sys.stdin)[\"sandbox\"][\"policy\"][\"rules\"][2]
assert r[\"rule\"].startswith(\"deny\") and r[\"hits\"] >= 1, r'"
e2e_check "denied DNS query: NXDOMAIN for beta" bash -c "
	ip netns exec $(g 1) dig +time=2 +tries=1 @172.16.0.5 blocked.test | grep -q 'status: NXDOMAIN'"
e2e_check "denied DNS query: its line (not allowed, the policy's verdict, the name)" \
	e2e_wait 5 logged "d.get('event') == 'dns' and d['allowed'] is False and
	d['verdict'] == 'nxdomain-policy' and d['sandbox'] == 'beta' and
	d['name'].rstrip('.') == 'blocked.test' and d['type'] == 'A' and d['rcode'] == 'NXDOMAIN' and
	d['transport'] == 'udp'"
e2e_check "allowed DNS query: answered by nsd" bash -c "
	ip netns exec $(g 1) dig +time=2 +tries=1 @172.16.0.5 www.test | grep -q '8\.8\.8\.8'"
e2e_check "allowed DNS query: its line (allowed, forwarded to nsd, NOERROR)" \
	e2e_wait 5 logged "d.get('event') == 'dns' and d['allowed'] is True and
	d['verdict'] == 'forward' and d['sandbox'] == 'beta' and d['name'].rstrip('.') == 'www.test' and
	d['upstream'] == '$E2E_NSD_ADDR:53' and d['rcode'] == 'NOERROR'"
e2e_check "DNS over TCP: answered" bash -c "
	ip netns exec $(g 1) dig +tcp +time=3 +tries=1 @172.16.0.5 www.test | grep -q '8\.8\.8\.8'"
e2e_check "DNS over TCP: an intercept line for the connection and a dns line for the query" \
	bash -c "$(declare -f logged); PY=$PY LOG=$LOG
	logged \"d.get('event') == 'flow' and d['verdict'] == 'intercept' and
		d['reason'] == 'relay_dns' and d['sandbox'] == 'beta' and d['dport'] == 53\" &&
	logged \"d.get('event') == 'dns' and d['transport'] == 'tcp' and d['allowed'] is True\""
e2e_check "a guest's odd name is escaped: every line is one JSON object" bash -c "
	ip netns exec $(g 1) dig +time=2 +tries=1 @172.16.0.5 'we\"ird\\\\name\\007.test' >/dev/null
	sleep 1
	'$PY' -c 'import json,sys
n = 0
for l in open(sys.argv[1]):
    d = json.loads(l); n += 1
    assert isinstance(d, dict) and isinstance(d[\"time\"], float), l
assert n >= 5, n' '$LOG'"

# ---- The rate limit ------------------------------------------------------------
acl_denies() { e2e_counter alpha drops.acl_deny; }
before=$(acl_denies)
lines_before=$(wc -l <"$LOG")
# 400 datagrams alpha's policy denies (UDP to a private address), as fast as python sends.
e2e_in "$(g 0)" "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(400):
    s.sendto(b"x", ("10.9.9.9", 7000 + i))'
sleep 2.5
after=$(acl_denies)
e2e_check "burst: at most $RATE lines a second, the rest counted as suppressed, none lost" \
	"$PY" - "$LOG" "$lines_before" "$((after - before))" "$RATE" <<'PYEOF'
import json, sys
path, skip, denied, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
new = [json.loads(l) for l in open(path).readlines()[skip:]]
udp = [d for d in new if d.get("event") == "flow" and d.get("proto") == "udp" and
       d.get("dst") == "10.9.9.9"]
supp = [d for d in new if d.get("event") == "suppressed"]
per_second = {}
for d in udp:
    per_second[int(d["time"])] = per_second.get(int(d["time"]), 0) + 1
suppressed = sum(d["count"] for d in supp)
print("denied %d, logged %d %s, suppressed %d" % (denied, len(udp), per_second, suppressed))
assert denied >= 300, denied
# The budget is per wall-clock second; a line admitted at a second's very end
# may be stamped with the next one (one per thread).
assert max(per_second.values()) <= rate + 2, per_second
assert supp and all(d["limit_per_second"] == rate for d in supp)
assert len(udp) + suppressed == denied, (len(udp), suppressed, denied)
PYEOF
e2e_check "telemetry /sbgw/decision_log counts written and suppressed lines" bash -c "
	$(declare -f e2e_telemetry); E2E_ID=$E2E_ID PY=$PY
	e2e_telemetry /sbgw/decision_log | '$PY' -c 'import json,sys
d = json.load(sys.stdin); print(d)
assert d[\"enabled\"] == 1 and d[\"written\"] >= 10 and d[\"suppressed\"] >= 200 and d[\"queue_full\"] == 0'"

# ---- Per-rule hits: one per flow, fast path or not -----------------------------------
hits() { ctl -j show alpha | "$PY" -c 'import json,sys
print(json.load(sys.stdin)["sandbox"]["policy"]["rules"][3]["hits"])'; }
h0=$(hits)
for _ in 1 2 3 4 5; do
	e2e_in "$(g 0)" nc -z -w3 "$PUB_IP" 80
done
h1=$(hits)
e2e_check "five connections: the allow rule's hits grow by exactly 5 ($h0 -> $h1)" test "$((h1 - h0))" -eq 5
e2e_in "$(g 0)" curl -sS -o "$E2E_TMP/eight.out" "http://$PUB_IP/eight.bin"
h2=$(hits)
e2e_check "an 8 MB download (thousands of fast-path packets) is one hit ($h1 -> $h2)" bash -c "
	cmp -s '$E2E_TMP/eight.out' '$E2E_TMP/www/eight.bin' && [ $((h2 - h1)) -eq 1 ]"
e2e_check "telemetry's rule_hits agree with sbgwctl show" bash -c "
	[ \"\$($(declare -f e2e_counter e2e_telemetry); E2E_ID=$E2E_ID PY=$PY e2e_counter alpha rule_hits.3)\" = $h2 ]"
e2e_check "allowed flows are not logged (only denied and intercepted ones)" bash -c "
	$(declare -f logged); PY=$PY LOG=$LOG
	! logged \"d.get('event') == 'flow' and d.get('dst') == '$PUB_IP'\""

# ---- Rotation: rename the file, SIGHUP, the next lines go to a new file ------------
mv "$LOG" "$LOG.1"
kill -HUP "$SBGW_PID"
e2e_wait 10 grep -q "reload .*sandbox(es) changed" "$E2E_TMP/sbgw.log"
e2e_in "$(g 0)" nc -z -w3 "$PRIV2_IP" 81
e2e_check "after a rename and SIGHUP, a new denial is in a new file of the old name" \
	e2e_wait 5 logged "d.get('event') == 'flow' and d['dst'] == '$PRIV2_IP' and d['dport'] == 81"
e2e_check "... and not in the renamed one" bash -c "! grep -q '\"dport\":81' '$LOG.1'"

# ---- Bad settings ------------------------------------------------------------------
sed -e "s|output = \"$LOG\"|output = \"$E2E_TMP/nodir/d.jsonl\"|" \
	-e "s|lines_per_second = $RATE|lines_per_second = 0|" "$E2E_TMP/sbgw.conf" >"$E2E_TMP/bad.conf"
e2e_check "sbgw -t: a missing directory and a zero rate, each with its line" bash -c "
	out=\$('$SBGW' -t -c '$E2E_TMP/bad.conf' 2>&1); rc=\$?; echo \"\$out\"
	[ \$rc -ne 0 ] &&
	echo \"\$out\" | grep -q 'gateway.decision_log.output: .*directory .*nodir.* does not exist' &&
	echo \"\$out\" | grep -q 'gateway.decision_log.lines_per_second'"
e2e_done
