#!/usr/bin/env bash
# dpdk-dumpcap on a sandbox's port of a running gateway: sbgw is the
# primary process (rte_pdump_init), dumpcap attaches as a secondary with
# the gateway's --file-prefix, captures a guest's pings in both
# directions, and tcpdump reads the file. The capture must not disturb
# the guest: no ping is lost while it runs.
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
# Secondary processes need shared configuration and hugepages: a
# hugetlbfs of this run's own (the secondary finds it through the
# primary's runtime files), whatever the machine has mounted.
HUGE_DIR=$E2E_TMP/huge
E2E_EAL_MEM="\"--huge-dir\", \"$HUGE_DIR\","
CAP=$E2E_TMP/guest0.pcapng

for tool in dpdk-dumpcap tcpdump ping; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool missing: run scripts/deps test"; exit 1; }
done
# Secondary processes map the primary's hugepages. A machine without
# enough free 2 MB pages (a fresh one has none) gets them for this run, and
# the reservation is given back on exit, as is the mount.
PAGES=256
HP=/proc/sys/vm/nr_hugepages
HP_BEFORE=$(cat "$HP")
free_pages() { awk '/HugePages_Free/ {print $2}' /proc/meminfo; }
restore() {
	e2e_stop # its hugepage files are mapped until it exits
	umount "$HUGE_DIR" 2>/dev/null
	e2e_cleanup
	[ "$(cat "$HP")" = "$HP_BEFORE" ] || echo "$HP_BEFORE" >"$HP"
}
trap restore EXIT
if [ "$(free_pages)" -lt $PAGES ]; then
	echo $((HP_BEFORE + PAGES - $(free_pages))) >"$HP"
fi
mkdir -p "$HUGE_DIR" && mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_DIR" ||
	{ echo "Bail out! cannot mount hugetlbfs on $HUGE_DIR"; exit 1; }
if [ "$(free_pages)" -lt $PAGES ]; then
	echo "Bail out! dpdk-dumpcap needs $PAGES free 2 MB hugepages; $(free_pages) could be reserved"
	exit 1
fi
e2e_internet || exit 1
for i in 0 1; do
	e2e_guest $i || exit 1
done
g() { e2e_guest_ns "$1"; }
port() { echo "net_af_packet$(($1 + 1)),iface=$(e2e_guest_if "$1")"; }
{
	e2e_conf_head
	cat <<CONF
sandboxes = (
	{ name = "alpha"; port = "$(port 0)"; },
	{ name = "beta"; port = "$(port 1)"; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1
dumpcap() { ip netns exec "$NS_GW" timeout 60 dpdk-dumpcap --file-prefix="sbgwt-$E2E_ID" "$@"; }

e2e_check "sbgw offers packet capture (no 'capture unavailable' line)" bash -c "
	! grep -q 'packet capture unavailable' '$E2E_TMP/sbgw.log'"
e2e_check "dpdk-dumpcap -D lists the sandboxes' ports" bash -c "
	$(declare -f dumpcap); NS_GW=$NS_GW E2E_ID=$E2E_ID
	out=\$(dumpcap -D 2>&1); echo \"\$out\"
	echo \"\$out\" | grep -q 'net_af_packet1' && echo \"\$out\" | grep -q 'net_af_packet2'"

# alpha pings all along; beta's port is captured for the first 8 frames.
e2e_bg "$(g 0)" ping-alpha ping -n -i 0.1 -c 120 "$PUB_IP"
PING_A=$!
e2e_bg "$(g 1)" ping-beta ping -n -i 0.1 -c 100 "$PUB_IP"
PING_B=$!
dumpcap -i net_af_packet2 -c 8 -w "$CAP" >"$E2E_TMP/dumpcap.log" 2>&1
echo "$?" >"$E2E_TMP/dumpcap.rc"
e2e_check "dpdk-dumpcap captured 8 packets of beta's port and exited 0" bash -c "
	cat '$E2E_TMP/dumpcap.log'; [ \"\$(cat '$E2E_TMP/dumpcap.rc')\" = 0 ]"
e2e_check "tcpdump -r reads beta's echo requests and replies" bash -c "
	out=\$(tcpdump -n -r '$CAP' 2>&1); echo \"\$out\"
	[ \$(echo \"\$out\" | grep -c '172\.16\.0\.6 > $PUB_IP: ICMP echo request') -ge 1 ] &&
	[ \$(echo \"\$out\" | grep -c '$PUB_IP > 172\.16\.0\.6: ICMP echo reply') -ge 1 ]"
e2e_check "only beta's port is in the capture" bash -c "
	! tcpdump -n -r '$CAP' 2>/dev/null | grep -q '172\.16\.0\.2'"
wait "$PING_A" "$PING_B"
e2e_check "no ping lost on either guest while the capture ran" bash -c "
	grep -q ' 0% packet loss' '$E2E_TMP/ping-alpha.log' && grep -q ' 0% packet loss' '$E2E_TMP/ping-beta.log' ||
	{ cat '$E2E_TMP/ping-alpha.log' '$E2E_TMP/ping-beta.log'; exit 1; }"
e2e_check "a second capture after the first one ended works too" bash -c "
	$(declare -f dumpcap); NS_GW=$NS_GW E2E_ID=$E2E_ID
	ip netns exec $(g 1) ping -n -i 0.1 -c 20 $PUB_IP >/dev/null &
	dumpcap -i net_af_packet2 -c 4 -w '$E2E_TMP/second.pcapng' >/dev/null 2>&1 &&
	[ \$(tcpdump -n -r '$E2E_TMP/second.pcapng' 2>/dev/null | wc -l) -eq 4 ]; rc=\$?; wait; exit \$rc"
e2e_done
