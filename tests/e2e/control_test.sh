#!/usr/bin/env bash
# The control socket and sbgwctl against a running gateway: list and show,
# a policy swap that resets a running connection within a second while
# another transfer goes on, a bad policy rejected with the old one still
# enforced, SIGHUP reloads (what changed, what needs a restart, an invalid
# file), and a long transfer that survives 100 reloads intact.
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
CTL=$E2E_BUILD/app/sbgwctl/sbgwctl
SOCK=$E2E_TMP/control.sock

e2e_internet || exit 1
for i in 0 1; do
	e2e_guest $i || exit 1
done
g() { e2e_guest_ns "$1"; }
port() { echo "net_af_packet$(($1 + 1)),iface=$(e2e_guest_if "$1")"; }

# A large file on the suite's nginx, served on 80 and 8080.
head -c $((48 * 1024 * 1024)) /dev/urandom >"$E2E_TMP/www/big.bin"
BIG_SUM=$(sha256sum <"$E2E_TMP/www/big.bin" | cut -d' ' -f1)
BIG_SIZE=$(stat -c %s "$E2E_TMP/www/big.bin")

# write_conf DENIED [MORE]: alpha allows everything public; beta's policy
# denies DENIED first (reloads change it); MORE adds sandbox entries.
write_conf() {
	{
		e2e_conf_head
		cat <<CONF
sandboxes = (
	{ name = "alpha"; port = "$(port 0)"; },
	{ name = "beta"; port = "$(port 1)";
	  network = { policy = { default_egress = "deny"; rules = ( "allow_dns",
		{ action = "deny"; destination = "$1"; },
		{ action = "allow"; protocol = "tcp"; destination = "public"; } ); }; }; }${2:-}
);
CONF
	} >"$E2E_TMP/sbgw.conf.new"
	mv "$E2E_TMP/sbgw.conf.new" "$E2E_TMP/sbgw.conf"
}
write_conf 10.9.9.9
# A socket file left behind by a gateway that died: replaced at start.
"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1

ctl() { "$CTL" -s "$SOCK" "$@"; }
connects() { e2e_in "$1" nc -z -w3 "$2" "$3"; }
refused() { # ns ip port: refused by RST, quickly
	local out
	out=$(e2e_in "$1" nc -zv -w3 "$2" "$3" 2>&1) && { echo "connected: $out"; return 1; }
	echo "$out" | grep -q "refused" || { echo "not refused: $out"; return 1; }
}
# fetch NS PORT NAME RATE: download big.bin in the background; NAME.rc gets
# "exit-status end-time" when curl ends.
fetch() {
	e2e_bg "$1" "fetch-$3" bash -c "curl -sS --limit-rate $4 -o '$E2E_TMP/$3.out' \
		http://$PUB_IP:$2/big.bin; echo \$? \$(date +%s.%N) >'$E2E_TMP/$3.rc'"
}
growing() { [ "$(stat -c %s "$E2E_TMP/$1.out" 2>/dev/null || echo 0)" -gt 1000000 ]; }
finished() { [ -s "$E2E_TMP/$1.rc" ]; }
intact() { # NAME: the whole file arrived unchanged
	local rc sum
	rc=$(cut -d' ' -f1 "$E2E_TMP/$1.rc")
	sum=$(sha256sum <"$E2E_TMP/$1.out" | cut -d' ' -f1)
	[ "$rc" = 0 ] && [ "$sum" = "$BIG_SUM" ] ||
		{ echo "curl $rc, $(stat -c %s "$E2E_TMP/$1.out") of $BIG_SIZE bytes, sha256 $sum"; return 1; }
}

# ---- The socket and the client -------------------------------------------
e2e_check "a stale socket file was replaced; the socket is mode 0660" \
	test "$(stat -c %a "$SOCK")" = 660
e2e_check "list: both sandboxes with their addresses" bash -c "
	out=\$('$CTL' -s '$SOCK' list) || exit 1; echo \"\$out\"
	echo \"\$out\" | grep -E '^alpha +172\.16\.0\.2 +fd42:6d73:62::2 +public_only' &&
	echo \"\$out\" | grep -E '^beta +172\.16\.0\.6 +fd42:6d73:62:1::2 +custom'"
e2e_check "alpha reaches the internet" connects "$(g 0)" "$PUB_IP" 80
e2e_check "show: addresses, counters, rules with hits" bash -c "
	out=\$('$CTL' -s '$SOCK' show alpha) || exit 1; echo \"\$out\"
	echo \"\$out\" | grep -q 'ipv4: 172.16.0.2 (gateway 172.16.0.1)' &&
	echo \"\$out\" | grep -qE 'flows: [1-9][0-9]* created' &&
	echo \"\$out\" | grep -qE '^  #[0-9]+ +[1-9][0-9]* +allow egress to group public'"
e2e_check "show -j: the JSON answer" bash -c "'$CTL' -s '$SOCK' -j show beta |
	'$PY' -c 'import json,sys; d=json.load(sys.stdin); assert d[\"ok\"]; \
assert d[\"sandbox\"][\"link\"][\"ipv4\"]==\"172.16.0.6\"; assert len(d[\"sandbox\"][\"policy\"][\"rules\"])==4'"
e2e_check_fails "show of an unknown sandbox fails" ctl show nosuch
e2e_check "show of an unknown sandbox says so" bash -c "'$CTL' -s '$SOCK' show nosuch 2>&1 |
	grep -q 'no sandbox named \"nosuch\"'"
e2e_check "no gateway on the socket: exit 3 and a clear message" bash -c "
	out=\$('$CTL' -s '$E2E_TMP/none.sock' list 2>&1); rc=\$?; echo \"\$out\"
	[ \$rc -eq 3 ] && echo \"\$out\" | grep -q 'no gateway is running on'"
raw() { # one raw request line, the answer
	"$PY" - "$SOCK" "$1" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().strip())
PYEOF
}
e2e_check "bad request: not JSON" bash -c "$(declare -f raw); PY=$PY SOCK=$SOCK
	raw 'list please' | grep -q '\"ok\":false.*bad request: not JSON'"
e2e_check "bad request: unknown command" bash -c "$(declare -f raw); PY=$PY SOCK=$SOCK
	raw '{\"cmd\":\"frobnicate\"}' | grep -q 'unknown command'"
e2e_check "bad request: unknown key" bash -c "$(declare -f raw); PY=$PY SOCK=$SOCK
	raw '{\"cmd\":\"show\",\"name\":\"alpha\",\"nmae\":1}' | grep -q 'unknown key'"
e2e_check "check FILE validates like sbgw -t" bash -c "'$CTL' check '$E2E_TMP/sbgw.conf' |
	grep -q ': ok$'"
echo 'version = 1; gateway = { wrkers = [ 1 ]; };' >"$E2E_TMP/bad.conf"
e2e_check "check FILE reports FILE:LINE problems" bash -c "
	out=\$('$CTL' check '$E2E_TMP/bad.conf' 2>&1); rc=\$?; echo \"\$out\"
	[ \$rc -eq 1 ] && echo \"\$out\" | grep -q 'bad.conf:1: gateway.wrkers: unknown setting'"
e2e_check "add and remove say they need a restart" bash -c "
	'$CTL' -s '$SOCK' remove beta 2>&1 | grep -q 'needs restart' &&
	echo '{ name = \"gamma\"; network = { policy = \"none\"; }; }' >'$E2E_TMP/gamma.sb' &&
	'$CTL' -s '$SOCK' add '$E2E_TMP/gamma.sb' 2>&1 | grep -q 'needs restart'"

# ---- A policy swap ---------------------------------------------------------
fetch "$(g 0)" 80 f80 4M
fetch "$(g 0)" 8080 f8080 4M
e2e_check "two transfers running in alpha" e2e_wait 20 bash -c "$(declare -f growing); E2E_TMP=$E2E_TMP
	growing f80 && growing f8080"
# An idle connection too: nothing flows on it when the policy changes.
e2e_bg "$(g 0)" idle bash -c "sleep 120 | nc $PUB_IP 7"
conns() { # NS sport|dport PORT: established TCP connections there
	e2e_in "$1" ss -Htn state established "( $2 = :$3 )" | grep -c .
}
e2e_check "an idle connection is open" e2e_wait 10 bash -c "
	$(declare -f e2e_in conns); [ \$(conns $NS_INET sport 7) -ge 1 ]"
cat >"$E2E_TMP/deny80.net" <<'NET'
policy = { default_egress = "allow";
	rules = ( { action = "deny"; protocol = "tcp"; port = 80; },
		  { action = "deny"; protocol = "tcp"; port = 7; } ); };
NET
# Resets are timed where they arrive: tcpdump on the guest and on the server side.
e2e_bg "$(g 0)" rst-guest tcpdump -l -n -tt -i eth0 'tcp[tcpflags] & tcp-rst != 0'
e2e_bg "$NS_INET" rst-server tcpdump -l -n -tt -i "$UP_INET" 'tcp[tcpflags] & tcp-rst != 0'
e2e_wait 10 grep -q "listening on" "$E2E_TMP/rst-guest.log"
e2e_wait 10 grep -q "listening on" "$E2E_TMP/rst-server.log"
# rst_within LOG PATTERN: the first reset matching PATTERN came within 1 s of the swap.
rst_within() {
	local at
	at=$(grep -E "$2" "$E2E_TMP/$1.log" | grep -m1 -E 'Flags \[R' | cut -d' ' -f1)
	[ -n "$at" ] || { echo "no reset matching $2"; return 1; }
	echo "first reset $(awk "BEGIN { print $at - $swap_at }") s after the swap"
	echo "$1 $2: $(awk "BEGIN { print $at - $swap_at }") s" >>"$E2E_TMP/reset-times"
	awk "BEGIN { exit !($at - $swap_at < 1.0) }"
}
asked_at=$(date +%s.%N)
e2e_check "policy alpha FILE: swapped in" bash -c "'$CTL' -s '$SOCK' -j policy alpha \
	'$E2E_TMP/deny80.net' >'$E2E_TMP/swap.json' && grep -q '\"changed\": \"alpha\"' '$E2E_TMP/swap.json'"
# The gateway says when the workers got the new policy.
swap_at=$("$PY" -c 'import json,sys; print("%.6f" % json.load(open(sys.argv[1]))["in_force_at"])' \
	"$E2E_TMP/swap.json")
e2e_check "the idle connection: the guest's side is closed" e2e_wait 5 bash -c "
	$(declare -f e2e_in conns); [ \$(conns $(g 0) dport 7) -eq 0 ]"
e2e_check "the idle connection: the server's side is closed" e2e_wait 5 bash -c "
	$(declare -f e2e_in conns); [ \$(conns $NS_INET sport 7) -eq 0 ]"
e2e_check "the idle connection: the guest got a reset within 1 s" \
	rst_within rst-guest "$PUB_IP\.7 > 172\.16\.0\.2\."
e2e_check "the idle connection: the server got a reset within 1 s" \
	rst_within rst-server "> $PUB_IP\.7:"
e2e_check "the denied transfer ends" e2e_wait 5 finished f80
e2e_check "the denied transfer: curl saw the reset" bash -c "grep -q '^56 ' '$E2E_TMP/f80.rc'"
e2e_check "the denied transfer: the guest got a reset within 1 s" \
	rst_within rst-guest "$PUB_IP\.80 > 172\.16\.0\.2\."
e2e_check "the denied transfer: the server got a reset within 1 s" \
	rst_within rst-server "> $PUB_IP\.80:"
e2e_log "swap: in force $(awk "BEGIN { print $swap_at - $asked_at }") s after sbgwctl started;" \
	"first resets after that:" $(tr '\n' ';' <"$E2E_TMP/reset-times")
e2e_check "the server's side of the denied transfer is closed" \
	bash -c "$(declare -f e2e_in conns); [ \$(conns $NS_INET sport 80) -eq 0 ]"
e2e_check "new connections to port 80 are refused" refused "$(g 0)" "$PUB_IP" 80
e2e_check "the allowed transfer goes on and completes intact" bash -c "
	$(declare -f e2e_wait finished intact); E2E_TMP=$E2E_TMP BIG_SUM=$BIG_SUM BIG_SIZE=$BIG_SIZE
	e2e_wait 60 finished f8080 && intact f8080"
e2e_check "show: the deny rule's hits and the revoked flow" bash -c "
	out=\$('$CTL' -s '$SOCK' show alpha) || exit 1; echo \"\$out\"
	echo \"\$out\" | grep -qE '^  #0 +[1-9][0-9]* +deny egress tcp port 80' &&
	echo \"\$out\" | grep -qE 'flows: [0-9]+ created, [1-9][0-9]* revoked' &&
	echo \"\$out\" | grep -q 'policy_revoked='"
cat >"$E2E_TMP/bad.net" <<'NET'
policy = { default_egress = "allow";
	rules = ( { action = "allow"; protocol = "tcp"; port = "90-80"; } ); };
NET
e2e_check "a bad policy is rejected with FILE:LINE: setting: message" bash -c "
	out=\$('$CTL' -s '$SOCK' policy alpha '$E2E_TMP/bad.net' 2>&1); rc=\$?; echo \"\$out\"
	[ \$rc -eq 1 ] && echo \"\$out\" | grep -q 'running configuration is unchanged' &&
	echo \"\$out\" | grep -q 'bad.net:2: sandbox.network.policy.rules.\[0\].port: \"90-80\"'"
e2e_check "after the rejection port 80 is still refused" refused "$(g 0)" "$PUB_IP" 80
e2e_check "after the rejection port 8080 still connects" connects "$(g 0)" "$PUB_IP" 8080

# ---- SIGHUP ----------------------------------------------------------------
logged() { grep -q "$1" "$E2E_TMP/sbgw.log"; }
write_conf "$PUB_IP"
kill -HUP "$SBGW_PID"
e2e_check "SIGHUP: the reload logs what changed" e2e_wait 10 logged \
	"reload .*: 2 sandbox(es) changed: alpha, beta; 0 unchanged ("
e2e_check "SIGHUP: alpha is back to the file's policy (port 80 connects)" \
	connects "$(g 0)" "$PUB_IP" 80
e2e_check "SIGHUP: beta's new rule denies PUB_IP" refused "$(g 1)" "$PUB_IP" 80
sed -i 's/name = "beta";/name = "beta"; mtu_typo = 1;/' "$E2E_TMP/sbgw.conf"
kill -HUP "$SBGW_PID"
e2e_check "SIGHUP with an invalid file: logged, nothing changed" e2e_wait 10 logged \
	"sbgw.conf: invalid; the running configuration is unchanged"
e2e_check "SIGHUP with an invalid file: beta still denies PUB_IP" refused "$(g 1)" "$PUB_IP" 80
write_conf "$PUB_IP" ',
	{ name = "gamma"; network = { policy = "none"; }; }'
e2e_check "reload with a sandbox added: needs restart, the rest unchanged" bash -c "
	out=\$('$CTL' -s '$SOCK' reload) || exit 1; echo \"\$out\"
	echo \"\$out\" | grep -q 'not applied: sandbox gamma: added to the file' &&
	echo \"\$out\" | grep -q '0 sandbox(es) changed; 2 unchanged'"
e2e_check "after it, gamma is not running" bash -c "! '$CTL' -s '$SOCK' list | grep -q gamma"

# ---- A long transfer through 100 reloads -----------------------------------
write_conf 10.9.9.8
cp "$E2E_TMP/sbgw.conf" "$E2E_TMP/conf.odd"
write_conf 10.9.9.9
cp "$E2E_TMP/sbgw.conf" "$E2E_TMP/conf.even"
ctl reload >/dev/null
# The long transfer reads slowly until the reloads are done, then at full speed,
# so that it spans them however long they take on a busy machine.
cat >"$E2E_TMP/slow_fetch.py" <<'PYEOF'
import hashlib, os, sys, time, urllib.request
url, base = sys.argv[1], sys.argv[2]
h, size, status = hashlib.sha256(), 0, "ok"
try:
    with urllib.request.urlopen(url, timeout=30) as r:
        while True:
            chunk = r.read(16384)
            if not chunk:
                break
            h.update(chunk)
            size += len(chunk)
            open(base + ".progress", "w").write(str(size))
            if not os.path.exists(base + ".fast"):
                time.sleep(0.125)  # about 128 KB/s
except Exception as e:
    status = "error: %r" % e
open(base + ".result", "w").write("%s %d %s\n" % (status, size, h.hexdigest()))
PYEOF
e2e_bg "$(g 1)" long "$PY" "$E2E_TMP/slow_fetch.py" "http://$PUB_IP/big.bin" "$E2E_TMP/long"
long_growing() { [ "$(cat "$E2E_TMP/long.progress" 2>/dev/null || echo 0)" -gt 100000 ]; }
e2e_check "the long transfer is running" e2e_wait 20 long_growing
reloads_ok=0
reload_start=$SECONDS
for n in $(seq 1 100); do
	if [ $((n % 2)) -eq 1 ]; then conf=odd; else conf=even; fi
	cp "$E2E_TMP/conf.$conf" "$E2E_TMP/sbgw.conf.new" && mv "$E2E_TMP/sbgw.conf.new" "$E2E_TMP/sbgw.conf"
	ctl reload | grep -q "1 sandbox(es) changed: beta" && reloads_ok=$((reloads_ok + 1))
done
e2e_log "100 reloads took $((SECONDS - reload_start)) s"
e2e_check "100 reloads, each swapping beta's policy" test "$reloads_ok" -eq 100
e2e_check "the transfer was still running after them" bash -c "! [ -e '$E2E_TMP/long.result' ]"
touch "$E2E_TMP/long.fast"
long_intact() {
	local status size sum
	read -r status size sum <"$E2E_TMP/long.result"
	echo "$status, $size of $BIG_SIZE bytes, sha256 $sum"
	[ "$status" = ok ] && [ "$size" = "$BIG_SIZE" ] && [ "$sum" = "$BIG_SUM" ]
}
e2e_check "the long transfer survived the reloads intact" bash -c "
	$(declare -f e2e_wait long_intact); E2E_TMP=$E2E_TMP BIG_SUM=$BIG_SUM BIG_SIZE=$BIG_SIZE
	e2e_wait 120 test -s '$E2E_TMP/long.result' && long_intact"
e2e_check "beta's policy still enforced after the reloads" refused "$(g 1)" "$PRIV2_IP" 80

e2e_done
