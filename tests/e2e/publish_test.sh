#!/usr/bin/env bash
# Published ports (semantics §6): real clients in their own namespaces
# reach a guest's nginx and UDP echo server through sbgw's listeners in
# the gateway namespace; the ingress policy judges the peer's address
# (a denied peer is reset / gets no answer, and the counters say so);
# the guest sees the gateway's address and an ephemeral port; a closed
# guest port resets the client; an ingress rule on a guest port
# (conformance 103); an IPv6 listener; the 256-connection limit; the host
# kernel itself still does not reach guests.
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
E2E_HOST_PORT=hp$E2E_ID
# Two workers, and a third sandbox so that the host port (attached after
# the sandboxes, dealt round-robin) lands on the other worker than "web":
# every relayed frame crosses between workers through their rings.
E2E_WORKERS="1, 2"
E2E_EAL_EXTRA=', "--lcores", "0@0,1@1,2@1"'
E2E_UPLINK_ARGS=",qpairs=2"
NS_C1=sbgwt-$E2E_ID-c1 # an allowed client, 10.99.1.2
NS_C2=sbgwt-$E2E_ID-c2 # a client the ingress policy denies, 10.99.2.2

e2e_internet || exit 1
e2e_guest 0 && e2e_guest 1 || exit 1
G0=$(e2e_guest_ns 0)

# client NS INDEX: a namespace with a plain kernel link to the gateway namespace.
client() {
	e2e_ns_add "$1" || return 1
	ip link add "c$2-$E2E_ID" netns "$NS_GW" type veth peer name eth0 netns "$1" || return 1
	ip -n "$NS_GW" addr add "10.99.$2.1/24" dev "c$2-$E2E_ID"
	ip -n "$NS_GW" link set "c$2-$E2E_ID" up
	ip -n "$1" addr add "10.99.$2.2/24" dev eth0
	ip -n "$1" link set eth0 up
}
client "$NS_C1" 1 && client "$NS_C2" 2 || exit 1

# The guest's servers: nginx on 80 logging the client's address and port, UDP/TCP echo on 7.
mkdir -p "$E2E_TMP/guest-www"
echo "hello from the guest" >"$E2E_TMP/guest-www/index.html"
head -c 4000000 /dev/urandom >"$E2E_TMP/guest-www/big"
cat >"$E2E_TMP/guest-nginx.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
pid $E2E_TMP/guest-nginx.pid;
error_log $E2E_TMP/guest-nginx-error.log;
worker_rlimit_nofile 2048;
events { worker_connections 1024; }
http {
	log_format peer '\$remote_addr \$remote_port \$request';
	access_log $E2E_TMP/guest-access.log peer;
	keepalive_timeout 60s;
	client_max_body_size 16m;
	server { listen 80; root $E2E_TMP/guest-www; }
}
NGINX
e2e_bg "$G0" guest-nginx nginx -c "$E2E_TMP/guest-nginx.conf" -e "$E2E_TMP/guest-nginx-error.log"
e2e_bg "$G0" guest-echo "$PY" "$E2E_ROOT/tests/e2e/echo_server.py" 7 172.16.0.2
e2e_wait 5 ip netns exec "$G0" bash -c "exec 3<>/dev/tcp/172.16.0.2/80" || {
	e2e_log "guest nginx did not start"; cat "$E2E_TMP/guest-nginx-error.log"; exit 1; }

# The decision log (INFO, log type sbgw.publish) goes in front of the
# harness's "*:warning" (DPDK applies the first matching --log-level).
{
	e2e_conf_head | sed -e 's/"--log-level", "\*:warning"/"--log-level", "sbgw.publish:info", &/'
	cat <<CONF
sandboxes = (
	{ name = "web"; port = "net_af_packet1,iface=$(e2e_guest_if 0)";
	  network = {
		policy = { default_egress = "deny"; default_ingress = "allow";
			rules = ( "allow_dns",
				{ action = "deny"; direction = "ingress"; destination = "10.99.2.0/24"; },
				{ action = "deny"; direction = "ingress"; protocol = "tcp"; port = 7; } ); };
		ports = ( { host_port = 8080; guest_port = 80; bind = "0.0.0.0"; },
			  { host_port = 7007; guest_port = 7; bind = "0.0.0.0"; protocol = "udp"; },
			  [ 8081, 80 ],
			  { host_port = 8082; guest_port = 81; bind = "10.99.1.1"; },
			  { host_port = 8083; guest_port = 7; bind = "0.0.0.0"; },
			  { host_port = 8084; guest_port = 80; bind = "::1"; } );
	  }; },
	{ name = "quiet"; port = "net_af_packet2,iface=$(e2e_guest_if 1)"; },
	{ name = "offline"; network = { policy = "none"; }; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1

pub() { e2e_counter web "published.$1"; }
pub_at_least() { [ "$(pub "$1")" -ge "$2" ]; }
fetch() { # ns url
	e2e_in "$1" curl -s -m5 "$2" | grep -qx "hello from the guest"
}

e2e_check "publish: a client in another namespace fetches the guest's page on 0.0.0.0:8080" \
	fetch "$NS_C1" http://10.99.1.1:8080/
e2e_check "publish: the mapping shorthand [ 8081, 80 ] serves on 127.0.0.1" \
	fetch "$NS_GW" http://127.0.0.1:8081/
e2e_check_fails "publish: the shorthand is not reachable beyond loopback" \
	e2e_in "$NS_C1" curl -s -m3 http://10.99.1.1:8081/
guest_sees_gateway() {
	local line
	line=$(grep "GET / " "$E2E_TMP/guest-access.log" | tail -n 1)
	echo "guest access log: $line"
	set -- $line
	[ "$1" = 172.16.0.1 ] && [ "$2" -ge 49152 ] && [ "$2" -le 65535 ]
}
e2e_check "publish: the guest sees the gateway 172.16.0.1 and an ephemeral port (semantics §6)" \
	guest_sees_gateway
big_transfer() {
	local want got
	want=$(sha256sum <"$E2E_TMP/guest-www/big")
	got=$(e2e_in "$NS_C1" curl -s -m20 http://10.99.1.1:8080/big | sha256sum)
	[ "$want" = "$got" ]
}
e2e_check "publish: a 4 MB download arrives intact" big_transfer
upload() { # the peer → guest direction with a body (nginx answers 405 for POST on a file)
	head -c 2000000 /dev/zero | e2e_in "$NS_C1" curl -s -m20 -o /dev/null -w '%{http_code}' \
		--data-binary @- http://10.99.1.1:8080/index.html | grep -qx 405
}
e2e_check "publish: a 2 MB request body crosses to the guest" upload
accepted() { [ "$(pub tcp_accepted)" -ge 4 ]; }
e2e_check "publish: relayed connections are counted (published.tcp_accepted)" accepted

# Ingress: 10.99.2.0/24 is denied by the sandbox's ingress rule.
reset_after_accept() { # ns addr port: the handshake completes, then a reset comes instead of data
	e2e_in "$1" "$PY" - "$2" "$3" <<'PYEOF'
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = s.recv(100)
except (ConnectionResetError, BrokenPipeError) as e:
    sys.exit(0)
sys.exit("no reset: got %r" % data[:40])
PYEOF
}
ip -n "$NS_C2" route add 10.99.1.0/24 via 10.99.2.1
e2e_check "publish: a peer the ingress policy denies is reset" \
	reset_after_accept "$NS_C2" 10.99.1.1 8080
e2e_check "publish: the denial is counted (published.tcp_denied)" \
	pub_at_least tcp_denied 1
e2e_check "publish: the denial is logged with the peer and the rule" \
	grep -q "sandbox web: ingress denies 10.99.2.2:[0-9]* to host port 8080/tcp (rule 2): reset" \
	"$E2E_TMP/sbgw.log"

# Conformance 103: an ingress rule on the guest port (tcp/7) resets 8083 -> 7; 8080 -> 80 is unaffected.
e2e_check "publish: an ingress rule on guest port 7 resets the binding 8083 -> 7" \
	reset_after_accept "$NS_C1" 10.99.1.1 8083
e2e_check "publish: ...while 8080 -> 80 still serves the same peer" fetch "$NS_C1" http://10.99.1.1:8080/
e2e_check "publish: an IPv6 listener ([::1]:8084) relays into the guest's IPv4" \
	fetch "$NS_GW" "http://[::1]:8084/"

# UDP: the echo server in the guest answers an allowed peer, from the published address.
e2e_check "publish: UDP datagrams reach the guest and the answer comes back" \
	e2e_udp_echo "$NS_C1" 10.99.1.1 7007
udp_connected_echo() { # ns addr port: the answer must come from the address written to
	e2e_in "$1" "$PY" - "$2" "$3" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))  # a connected socket accepts that source only
s.send(b"published-udp-probe")
sys.exit(0 if s.recv(100) == b"published-udp-probe" else 1)
PYEOF
}
# 10.99.2.1 is the gateway namespace's address on the other client link.
ip -n "$NS_C1" route add 10.99.2.0/24 via 10.99.1.1
e2e_check "publish: a UDP answer leaves from the address the peer wrote to (wildcard bind)" \
	udp_connected_echo "$NS_C1" 10.99.2.1 7007
e2e_check_fails "publish: a denied UDP peer gets no answer" e2e_udp_echo "$NS_C2" 10.99.1.1 7007
udp_counted() { [ "$(pub udp_denied)" -ge 1 ] && [ "$(pub udp_datagrams_out)" -ge 1 ]; }
e2e_check "publish: UDP denials and answers are counted" udp_counted

# Nothing listens on guest port 81: the client is reset, not left waiting.
closed_guest_port() {
	local start=$SECONDS rc
	e2e_in "$NS_C1" curl -s -m10 http://10.99.1.1:8082/
	rc=$?
	echo "curl exit status $rc after $((SECONDS - start)) s"
	{ [ $rc -eq 56 ] || [ $rc -eq 52 ]; } && [ $((SECONDS - start)) -le 3 ]
}
e2e_check "publish: a closed guest port resets the client at once" closed_guest_port
e2e_check "publish: ...counted as published.tcp_guest_refused" \
	pub_at_least tcp_guest_refused 1

# The host kernel itself reaches no guest port, published or not.
e2e_check_fails "publish: the host kernel does not reach the guest's port 80 directly" \
	e2e_in "$NS_GW" curl -s -m3 http://172.16.0.2:80/
e2e_check_fails "publish: nor the unpublished sandbox's guest" \
	e2e_in "$NS_GW" curl -s -m3 http://172.16.0.6:80/
host_no_route() { [ "$(e2e_counter host drops.no_route)" -ge 2 ]; }
e2e_check "publish: those attempts are no_route drops on the host port" host_no_route

# Semantics §2.12: at most 256 inbound connections per sandbox; the next is reset.
limit() {
	e2e_in "$NS_C1" "$PY" - <<'PYEOF'
import socket, sys, time
held = []
for i in range(256):
    s = socket.create_connection(("10.99.1.1", 8080), timeout=5)
    held.append(s)
# Every held connection must have reached the guest before the extra one.
for s in held[-4:]:
    s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
    if not s.recv(100).startswith(b"HTTP/1.1 200"):
        sys.exit("a held connection got no answer")
try:
    extra = socket.create_connection(("10.99.1.1", 8080), timeout=5)
    extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = extra.recv(100)
    sys.exit("connection 257 was answered: %r" % data[:40])
except (ConnectionResetError, BrokenPipeError):
    pass
for s in held:
    s.close()
# Capacity comes back once connections close.
deadline = time.time() + 5
while True:
    try:
        s = socket.create_connection(("10.99.1.1", 8080), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if s.recv(100).startswith(b"HTTP/1.1 200"):
            break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("no connection after the others closed")
    time.sleep(0.1)
PYEOF
}
e2e_check "publish: connection 257 is reset, capacity returns when they close" limit
e2e_check "publish: ...counted as published.tcp_limit" \
	pub_at_least tcp_limit 1
e2e_check "publish: the other sandbox is unaffected" \
	bash -c "ip netns exec $(e2e_guest_ns 1) curl -s -m5 http://$PUB_IP/ | grep -qx 'hello from the internet'"

e2e_stop
e2e_check "publish: a stopped gateway releases its listeners" \
	e2e_not e2e_in "$NS_GW" bash -c "ss -Hltn 'sport = :8080' | grep -q ."
e2e_done
