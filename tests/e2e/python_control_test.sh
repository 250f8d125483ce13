#!/usr/bin/env bash
# The Python package (python/sbgw) against a running gateway: a configuration
# rendered by it runs, and its ControlClient lists and shows sandboxes,
# swaps a policy (enforced at once, other sandboxes untouched), gets the
# gateway's message for a rejected change (old policy still enforced),
# replaces a sandbox and makes the gateway reload its file.
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
SOCK=$E2E_TMP/control.sock
PYCTL="$PY $E2E_ROOT/tests/e2e/python_control.py $SOCK"

e2e_internet || exit 1
for i in 0 1; do
	e2e_guest $i || exit 1
done
g() { e2e_guest_ns "$1"; }
conf() { # DENIED ("-" for none): beta's policy denies that address first
	$PYCTL write-config "$E2E_TMP/sbgw.conf" "$SOCK" "$E2E_ID" "$UP_GW" \
		"$(e2e_guest_if 0)" "$(e2e_guest_if 1)" "$1"
}
conf - || exit 1
e2e_start "$E2E_TMP/sbgw.conf" || exit 1

# A gateway built without the control socket (lib/control) runs the file
# but never creates the socket: nothing to test against.
if ! e2e_wait 5 test -S "$SOCK"; then
	echo "ok 1 - python control client # SKIP this sbgw has no control socket"
	e2e_stop
	echo "1..1"
	exit 0
fi

connects() { e2e_in "$1" nc -z -w3 "$2" "$3"; }
refused() { # ns ip port: refused by RST
	local out
	out=$(e2e_in "$1" nc -zv -w3 "$2" "$3" 2>&1) && { echo "connected: $out"; return 1; }
	echo "$out" | grep -q "refused" || { echo "not refused: $out"; return 1; }
}

e2e_check "list: both sandboxes with their addresses" $PYCTL list
e2e_check "beta reaches the public server" connects "$(g 1)" "$PUB_IP" 80
e2e_check "replace_policy: beta denies the public server" $PYCTL deny-pub
e2e_check "beta is refused at once" refused "$(g 1)" "$PUB_IP" 80
e2e_check "alpha is untouched" connects "$(g 0)" "$PUB_IP" 80
e2e_check "beta still reaches other public addresses" connects "$(g 1)" 1.1.1.1 80
e2e_check "show: the new deny rule has hits" $PYCTL show-hits
e2e_check "a rejected policy comes back with the gateway's message" $PYCTL bad-policy
e2e_check "after the rejected policy the old one is enforced" refused "$(g 1)" "$PUB_IP" 80
e2e_check "replace: beta becomes public_only" $PYCTL replace-public "$(e2e_guest_if 1)"
e2e_check "beta reaches the public server again" connects "$(g 1)" "$PUB_IP" 80
e2e_check "add of an existing name is refused" $PYCTL add-existing
e2e_check "remove of an unknown name is refused" $PYCTL remove-unknown
conf "$PUB_IP"
e2e_check "reload: the rewritten file is in force" $PYCTL reload
e2e_check "beta is refused after the reload" refused "$(g 1)" "$PUB_IP" 80

e2e_done
