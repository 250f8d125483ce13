#!/usr/bin/env bash
# Regenerate the ClientHello fixtures of this folder: real clients (openssl
# s_client, curl, Python's ssl module) connect to a one-shot listener on
# loopback that records the first bytes each sends, then hangs up.
#   tests/unit/inspect/data/capture.sh
set -euo pipefail
cd "$(dirname "$0")"
py=/usr/bin/python3

# listen PORTFILE OUTFILE: accept one connection, save what arrives until
# the client pauses for half a second (a ClientHello is all it sends first).
listen() {
	"$py" - "$1" "$2" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
c.settimeout(0.5)
data = b""
try:
    while len(data) < 65536:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
open(sys.argv[2], "wb").write(data)
c.close()
PY
	listener=$!
	for _ in $(seq 50); do [ -s "$1" ] && break; sleep 0.1; done
}

capture() { # OUT, then a command with PORT in its arguments
	local out=$1 portfile
	shift
	portfile=$(mktemp)
	listen "$portfile" "$out"
	port=$(cat "$portfile")
	"${@//PORT/$port}" </dev/null >/dev/null 2>&1 || true
	wait "$listener"
	rm -f "$portfile"
	echo "$out: $(stat -c %s "$out") bytes"
}

capture openssl_sni_alpn.bin timeout 5 openssl s_client -connect 127.0.0.1:PORT \
	-servername Example.COM -alpn h2,http/1.1
capture openssl_tls12_nosni.bin timeout 5 openssl s_client -connect 127.0.0.1:PORT \
	-noservername -tls1_2 -no_ticket
capture curl_sni.bin timeout 5 curl -sk --resolve www.example.org:PORT:127.0.0.1 \
	https://www.example.org:PORT/
capture python_sni.bin timeout 5 "$py" -c '
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.set_alpn_protocols(["http/1.1"])
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
ctx.wrap_socket(s, server_hostname="api.sandbox-test.dev.")' PORT
capture curl_http.bin timeout 5 curl -s --resolve Example.NET:PORT:127.0.0.1 \
	'http://Example.NET:PORT/path?q=1'
capture curl_proxy_absolute.bin timeout 5 curl -s -x http://127.0.0.1:PORT \
	http://proxied.example/index.html
