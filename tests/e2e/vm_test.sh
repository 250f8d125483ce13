#!/usr/bin/env bash
# A real VM as a sandbox: QEMU (TCG) boots the Debian cloud kernel with a
# busybox initramfs built here (tests/e2e/vm/), its virtio-net device a
# vhost-user port of sbgw (QEMU the server, sbgw client=1). The guest's
# /init takes a lease from sbgw's DHCP (udhcpc), resolves through the DNS
# interceptor (nslookup against nsd upstream), fetches a page (wget to
# nginx), is refused a connection, and keeps fetching while sbgw is
# restarted under it. It reports on the serial console ("@@ " lines,
# tests/e2e/vm/init); this script turns them into TAP checks.
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
E2E_HOST_PORT=hp$E2E_ID
VM_DIR=$E2E_ROOT/tests/e2e/vm
NSD_ADDR=203.0.113.53
SOCK=$E2E_TMP/vm.sock
CONSOLE=$E2E_TMP/console.log
GUEST_MAC=02:6d:73:00:00:02
# Seconds the guest gets to boot and run its first phase under TCG: about
# 10 s on a quiet machine, several times that on a loaded one.
BOOT_LIMIT=${VM_BOOT_LIMIT:-90}
# Guest command line: the guest's parameters (tests/e2e/vm/init), and no
# speculation mitigations or crypto self-tests (slow under TCG). The TSC
# keeps its watchdog: on a loaded host, a TSC declared reliable ran the
# guest's clock many times too fast, and every timeout in the guest with it.
APPEND="console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off cryptomgr.notests"
APPEND+=" vmtest.allow=allowed.test vmtest.deny=notallowed.test vmtest.refuse=1.1.1.1 vmtest.probes=150"

# No skips: a missing piece fails the script (scripts/deps test installs them).
for tool in qemu-system-x86_64 nsd cpio modinfo; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing: run scripts/deps test"; exit 1; }
done
KERNEL=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$KERNEL" ] || { echo "Bail out! no Debian cloud kernel in /boot: run scripts/deps test"; exit 1; }
KVER=${KERNEL#/boot/vmlinuz-}
"$VM_DIR/build-initramfs.sh" "$E2E_TMP/initramfs.cpio" "$KVER" ||
	{ echo "Bail out! could not build the guest's initramfs"; exit 1; }
e2e_log "guest kernel $KVER, initramfs $(stat -c %s "$E2E_TMP/initramfs.cpio") bytes"

# ---- The internet: nginx (the harness) and nsd with the DNS suite's zone ----
e2e_internet || exit 1
ip -n "$NS_INET" addr add "$NSD_ADDR/32" dev lo
sed -e "s|@TMP@|$E2E_TMP|g" -e "s|@ZONES@|$E2E_ROOT/tests/e2e/dns|g" \
	"$E2E_ROOT/tests/e2e/dns/nsd.conf.in" >"$E2E_TMP/nsd.conf"
sed -i "/^server:/a\\    ip-address: $NSD_ADDR" "$E2E_TMP/nsd.conf"
e2e_bg "$NS_INET" nsd nsd -d -c "$E2E_TMP/nsd.conf"
nsd_up() { ip netns exec "$NS_INET" dig +time=1 +tries=1 @$NSD_ADDR www.test | grep -q "status: NOERROR"; }
e2e_wait 10 nsd_up || { e2e_log "nsd did not start:"; cat "$E2E_TMP"/nsd*.log; exit 1; }

# ---- The gateway: one sandbox, a domain allowlist ------------------------------
# HTTP only to allowed.test (8.8.8.8 once looked up); every other name is
# NXDOMAIN and every other connection is refused. The decision log (INFO on
# sbgw.dns) goes in front of the harness's "*:warning" (see dns_test.sh).
{
	e2e_conf_head | sed -e "/^	flows = /i\\	dns = { nameservers = [ \"$NSD_ADDR\" ]; };" \
		-e 's/"--log-level", "\*:warning"/"--log-level", "sbgw.dns:info", &/'
	cat <<CONF
sandboxes = (
	{ name = "vm"; port = "net_vhost0,iface=$SOCK,client=1";
	  network = { policy = { default_egress = "deny"; rules = (
		{ action = "allow"; protocol = "tcp"; port = 80; destination = "allowed.test"; } ); }; }; }
);
CONF
} >"$E2E_TMP/sbgw.conf"

# ---- The VM: QEMU serves the vhost-user socket, sbgw connects to it ------------
# Guest memory is a shared memfd so sbgw can map the rings and buffers;
# vectors=0 gives the device no MSI-X (interrupts through QEMU, INTx).
# QEMU runs in the gateway namespace so the harness's cleanup ends it.
e2e_bg "$NS_GW" qemu qemu-system-x86_64 -M pc -accel tcg -m 256M -smp 1 \
	-nodefaults -no-user-config -display none -monitor none -no-reboot \
	-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
	-chardev "socket,id=vu0,path=$SOCK,server=on,wait=off" \
	-netdev vhost-user,id=net0,chardev=vu0 \
	-device "virtio-net-pci,netdev=net0,mac=$GUEST_MAC,vectors=0" \
	-kernel "$KERNEL" -initrd "$E2E_TMP/initramfs.cpio" \
	-append "$APPEND" \
	-serial "file:$CONSOLE"
QEMU_PID=${E2E_PIDS[-1]}
T0=$SECONDS
e2e_wait 20 test -S "$SOCK" || { e2e_log "QEMU did not open $SOCK:"; cat "$E2E_TMP/qemu.log"; exit 1; }
e2e_start "$E2E_TMP/sbgw.conf" || exit 1
# The DNS service's upstream sockets leave through the host port, NATed.
ip -n "$NS_GW" route add default via 169.254.253.2 dev "$E2E_HOST_PORT"

# ---- Reading the console ---------------------------------------------------------
con() { tr -d '\r' <"$CONSOLE"; }
said() { con | grep -q -- "^@@ $1"; }
# guest_wait SECONDS CMD...: poll CMD like e2e_wait, but give up at once
# when QEMU has exited (the guest can print nothing more).
guest_wait() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		# The last look decides (QEMU may exit right after its last line).
		if ! kill -0 "$QEMU_PID" 2>/dev/null; then echo "(QEMU has exited)"; "$@"; return; fi
		if [ $SECONDS -ge $deadline ]; then "$@"; return; fi
		sleep 0.1
	done
}
wait_said() { # SECONDS PATTERN: the guest printed a line starting "@@ PATTERN"
	guest_wait "$1" said "$2" || { echo "no '@@ $2' within $1 s; console:"; con | tail -n 20; return 1; }
}
step_field() { con | sed -n "s/^@@ step $1 rc=\([0-9]*\) ms=\([0-9]*\)$/\\$2/p" | tail -n 1; }
step_out() { con | sed -n "s/^@@ out $1: //p"; }
step_ok() { # NAME [GREP-PATTERN]: the step exited 0 (and printed the pattern)
	local rc
	rc=$(step_field "$1" 1)
	step_out "$1"
	echo "=> rc=${rc:-none}"
	[ "$rc" = 0 ] || return 1
	[ -z "${2:-}" ] || step_out "$1" | grep -Eq -- "$2"
}
step_failed_with() { # NAME PATTERN MAX_MS: non-zero exit, PATTERN in its output, within MAX_MS
	local rc ms
	rc=$(step_field "$1" 1)
	ms=$(step_field "$1" 2)
	step_out "$1"
	echo "=> rc=${rc:-none} ms=${ms:-none} (want a failure within $3 ms)"
	[ -n "$rc" ] && [ "$rc" != 0 ] && [ "${ms:-999999}" -le "$3" ] && step_out "$1" | grep -Eq -- "$2"
}
dlog() { grep "sbgw.dns: " "$E2E_TMP/sbgw.log"; }
dlog_has() { dlog | grep -E "$1"; }

# ---- First boot: link, DHCP, DNS, HTTP -----------------------------------------
e2e_check "the guest boots the cloud kernel and finds its virtio-net device" \
	wait_said "$BOOT_LIMIT" "link eth0 mac=$GUEST_MAC"
e2e_log "guest up (eth0) after $((SECONDS - T0)) s; $(con | grep '^@@ boot')"
e2e_check "the guest runs its first phase to the end (DHCP, DNS, HTTP)" \
	wait_said "$BOOT_LIMIT" "step http-refused "
e2e_log "first phase done after $((SECONDS - T0)) s"
e2e_check "DHCP: udhcpc gets a lease from sbgw" step_ok dhcp
lease() { con | grep '^@@ dhcp '; }
lease_is() {
	lease
	lease | grep -q "ip=172.16.0.2 subnet=255.255.255.252 router=172.16.0.1 dns=172.16.0.1 "
}
e2e_check "DHCP: the sandbox's address, its /30, the gateway as router and DNS" lease_is
e2e_check "DHCP: the guest routes through the gateway" step_ok route "^default via 172\.16\.0\.1 dev eth0"
e2e_check "DNS: the allowed name resolves through the interceptor (nsd's answer)" \
	step_ok dns-allowed "^Address: 8\.8\.8\.8$"
e2e_check "DNS: the interceptor forwarded it to nsd" \
	dlog_has "sandbox=vm query=allowed\.test type=A verdict=forward .*upstream=$NSD_ADDR:53 rcode=NOERROR"
e2e_check "DNS: a name no rule grants is NXDOMAIN" step_failed_with dns-denied "NXDOMAIN" 5000
e2e_check "DNS: the interceptor denied it by policy" \
	dlog_has "sandbox=vm query=notallowed\.test type=A verdict=nxdomain-policy"
e2e_check "HTTP: wget of the allowed name gets nginx's page" \
	step_ok http-allowed "^hello from the internet$"
from_nat() { grep -E '^198\.51\.100\.2 .*"GET / HTTP' "$E2E_TMP/nginx-access.log"; }
e2e_check "HTTP: nginx saw the request from the gateway's uplink address (NAT)" from_nat
# Guest time, wget's start-up included; a SYN lost or ignored would hold
# wget until its 10 s bound.
e2e_check "HTTP: a connection the policy denies is reset within 3 s (not a timeout)" \
	step_failed_with http-refused "refused" 3000
acl_denied_once() {
	local v
	v=$(e2e_counter vm drops.acl_deny)
	echo "drops.acl_deny = $v (want 1: the first SYN got the reset)"
	[ "$v" = 1 ]
}
e2e_check "HTTP: the refusal is counted as acl_deny, one SYN, no retransmission" acl_denied_once

# ---- sbgw restarts under the running guest (client=1, QEMU the server) --------
# Twice: stopped cleanly (an upgrade), then killed (a crash). The guest
# fetches once a second throughout and keeps its lease.
probe_after() { # LINE KIND: a "@@ probe N KIND" line after console line LINE
	con | tail -n +"$(($1 + 1))" | grep -Eq "^@@ probe [0-9]+ $2 "
}
lines() { con | wc -l; }
e2e_check "restart: the guest's fetches succeed before the restart" guest_wait 30 probe_after 0 ok
restart() { # HOW SIGNAL
	local how=$1 gone back t1
	kill -"$2" "$SBGW_PID"
	e2e_wait 20 bash -c "! kill -0 $SBGW_PID"
	SBGW_PID=
	gone=$(lines)
	cp "$E2E_TMP/sbgw.log" "$E2E_TMP/sbgw.log.before-$how"
	if [ "$how" = stopped ]; then
		e2e_check "restart ($how): sbgw shuts down cleanly with the guest attached" \
			grep -q "^sbgw: stopped" "$E2E_TMP/sbgw.log.before-$how"
	fi
	e2e_check "restart ($how): the guest's fetches fail while sbgw is gone" \
		guest_wait 30 probe_after "$gone" fail
	e2e_check "restart ($how): QEMU and the guest keep running without their backend" \
		kill -0 "$QEMU_PID"
	back=$(lines)
	e2e_start "$E2E_TMP/sbgw.conf" || exit 1
	t1=$SECONDS
	ip -n "$NS_GW" route add default via 169.254.253.2 dev "$E2E_HOST_PORT"
	e2e_check "restart ($how): sbgw reconnects to QEMU and the guest's fetches work again" \
		guest_wait 45 probe_after "$back" ok
	e2e_log "guest traffic back $((SECONDS - t1)) s after sbgw printed 'running' (probes 1 s apart)"
}
restart stopped INT
restart killed KILL
# Tells the guest the test is done: its loop ends at its next fetch.
echo finished >"$E2E_TMP/www/finished"
e2e_check "restart: DNS through the new interceptor works too" \
	guest_wait 30 step_ok dns-after-restart "^Address: 8\.8\.8\.8$"
e2e_check "the guest powers off at the end" e2e_wait 30 bash -c "! kill -0 $QEMU_PID"
e2e_log "VM test took $((SECONDS - T0)) s from QEMU's start"
if [ $E2E_FAILED -gt 0 ]; then
	e2e_log "guest console:"
	con | tail -n 60 | sed 's/^/#   /'
	e2e_log "QEMU:"
	sed 's/^/#   /' "$E2E_TMP/qemu.log" | tail -n 20
fi

e2e_done
