#!/usr/bin/env bash
# The guest's link, configured from sbgw alone by the real clients of a
# Linux guest: the kernel's router solicitation and SLAAC, isc-dhcp-client,
# ND and ARP resolution (arping, ndisc6, rdisc6).
# Conformance scenarios named by number (../shared/spec/conformance.md).
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw

GW_MAC=02:6d:73:00:00:01
GW_LL=fe80::6d:73ff:fe00:1
# Not 1500, so the MTU the guest ends up with is the one sbgw gave it.
START_MTU=9000

# bare_guest INDEX: the guest namespace of slot INDEX with eth0 carrying only
# the guest MAC: no address, no route, IPv6 on with router advertisements
# accepted and forwarding off, SLAAC from the MAC (EUI-64), no temporary
# addresses. eth0 stays down until sbgw runs, so the kernel's first router
# solicitation is answered.
bare_guest() {
	local i=$1 ns gif
	ns=$(e2e_guest_ns "$i")
	gif=$(e2e_guest_if "$i")
	e2e_ns_add "$ns" || return 1
	ip link add "$gif" netns "$NS_GW" type veth peer name eth0 netns "$ns" || return 1
	ip netns exec "$NS_GW" sysctl -qw "net.ipv6.conf.$gif.disable_ipv6=1"
	ip -n "$NS_GW" link set "$gif" up
	ip -n "$ns" link set eth0 address "02:6d:73:00:$(printf %02x "$i"):02" mtu $START_MTU
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=0 \
		net.ipv6.conf.eth0.disable_ipv6=0 net.ipv6.conf.eth0.forwarding=0 \
		net.ipv6.conf.eth0.accept_ra=1 net.ipv6.conf.eth0.accept_ra_defrtr=1 \
		net.ipv6.conf.eth0.accept_ra_pinfo=1 net.ipv6.conf.eth0.accept_ra_mtu=1 \
		net.ipv6.conf.eth0.autoconf=1 net.ipv6.conf.eth0.use_tempaddr=0 \
		net.ipv6.conf.eth0.addr_gen_mode=0 net.ipv6.conf.eth0.accept_dad=1 || return 1
	# Frames leave veth with partial checksums unless offload is off.
	ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1
	# dhclient's private files: config, script, lease, pid, what it was told.
	mkdir -p "$E2E_TMP/dhcp$i"
	cat >"$E2E_TMP/dhcp$i/dhclient.conf" <<'CONF'
timeout 20;
retry 1;
initial-interval 1;
request subnet-mask, broadcast-address, routers, domain-name-servers,
	interface-mtu, dhcp-lease-time, dhcp-renewal-time, dhcp-rebinding-time;
CONF
	# Slot 1 renews (RENEWING: a unicast request naming its address in
	# ciaddr, RFC 2131 §4.3.2) after 2 s instead of sbgw's T1 of hours.
	[ "$i" -eq 1 ] && echo 'supersede dhcp-renewal-time 2;' >>"$E2E_TMP/dhcp$i/dhclient.conf"
	# dhclient runs its script with an environment of its own: the output
	# folder is written into it. It applies the lease to eth0 of the
	# namespace and nothing else (no resolv.conf).
	cat >"$E2E_TMP/dhcp$i/script" <<SCRIPT
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
out=$E2E_TMP/dhcp$i
SCRIPT
	cat >>"$E2E_TMP/dhcp$i/script" <<'SCRIPT'
echo "$reason" >>"$out/reasons"
env | grep -E '^(new|old)_' | sort >"$out/$reason.env"
case "$reason" in
PREINIT)
	ip link set dev "$interface" up
	;;
BOUND | RENEW | REBIND | REBOOT)
	if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
		ip -4 addr flush dev "$interface"
	fi
	[ -n "$new_interface_mtu" ] && ip link set dev "$interface" mtu "$new_interface_mtu"
	ip -4 addr replace "$new_ip_address/$new_subnet_mask" brd + dev "$interface" || exit 1
	for r in $new_routers; do
		ip -4 route replace default via "$r" dev "$interface" || exit 1
		break
	done
	cp "$out/$reason.env" "$out/lease.env"
	;;
EXPIRE | FAIL | RELEASE | STOP)
	ip -4 addr flush dev "$interface"
	;;
esac
exit 0
SCRIPT
	chmod +x "$E2E_TMP/dhcp$i/script"
}

# Without them the checks that expect no answer would pass for nothing.
for tool in dhclient arping ndisc6 rdisc6; do
	command -v "$tool" >/dev/null ||
		{ echo "Bail out! $tool missing: run scripts/deps test"; exit 1; }
done

e2e_internet || exit 1
bare_guest 0 && bare_guest 1 || exit 1
G0=$(e2e_guest_ns 0)
G1=$(e2e_guest_ns 1)

{
	e2e_conf_head
	cat <<CONF
sandboxes = (
	{ name = "s0"; port = "net_af_packet1,iface=$(e2e_guest_if 0)"; },
	{ name = "s1"; port = "net_af_packet2,iface=$(e2e_guest_if 1)"; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1
# Only now: the kernel solicits a router as soon as eth0 is up.
ip -n "$G0" link set eth0 up && ip -n "$G1" link set eth0 up || exit 1

expect() { # expected actual-command...
	local want=$1 got
	shift
	got=$("$@")
	[ "$got" = "$want" ] || { echo "expected '$want', got '$got'"; return 1; }
}
has() { # pattern command...: the command's output matches the extended regex
	local pat=$1 out
	shift
	out=$("$@" 2>&1)
	grep -Eiq -- "$pat" <<<"$out" || { echo "no /$pat/ in:"; echo "$out"; return 1; }
}
exits() { # status command...: the command exits with exactly that status
	local want=$1 rc
	shift
	"$@"
	rc=$?
	[ $rc -eq "$want" ] || { echo "exit status $rc, want $want"; return 1; }
}
page() { # ns url: the page arrives intact
	local body
	body=$(e2e_in "$1" curl -s -m 5 "$2") || { echo "curl exit $?"; return 1; }
	[ "$body" = "hello from the internet" ] || { echo "got: $body"; return 1; }
}

# ---- IPv6: router solicitation, SLAAC, RDNSS, neighbour discovery ----------
# The kernel solicits on link up; sbgw sends advertisements only when
# solicited, so all that follows comes from answering that solicitation.
prefix6() { printf 'fd42:6d73:62:%x' "$1"; }
eui64() { # slot: the guest's SLAAC address, as ip(8) prints it
	"$PY" -c 'import ipaddress,sys; i=int(sys.argv[1]); print(ipaddress.IPv6Address(
	(0xfd426d730062 << 80) | (i << 64) | (0x006d73fffe00 << 16) | (i << 8) | 2))' "$1"
}
slaac_line() { # ns slot: ip's line for the autoconfigured address
	e2e_in "$1" ip -6 -o addr show dev eth0 to "$(prefix6 "$2")::/64" scope global
}
slaac_preferred() { # ns slot: the SLAAC address exists, DAD done, preferred
	local line
	line=$(slaac_line "$1" "$2")
	echo "$line"
	grep -q "inet6 $(eui64 "$2")/64 " <<<"$line" || return 1
	! grep -Eq 'tentative|deprecated|dadfailed|preferred_lft 0sec' <<<"$line"
}
gw_ll() { printf 'fe80::6d:73ff:fe00:%x' $(($1 << 8 | 1)); } # slot
ready6() { # ns slot
	slaac_preferred "$1" "$2" && e2e_in "$1" ip -6 route show default | grep -q "via $(gw_ll "$2") "
}
e2e_wait 20 ready6 "$G0" 0
e2e_wait 20 ready6 "$G1" 1

e2e_check "ipv6: RS answered: default route via the gateway's link-local $GW_LL" \
	has "^default via $GW_LL dev eth0 proto ra" e2e_in "$G0" ip -6 route show default
e2e_check "ipv6: the /64 from the RA is on-link" \
	has "^fd42:6d73:62::/64 dev eth0 proto (kernel|ra)" e2e_in "$G0" ip -6 route show fd42:6d73:62::/64
e2e_check "ipv6: SLAAC address in fd42:6d73:62::/64, preferred (conformance 107)" \
	slaac_preferred "$G0" 0
e2e_check "ipv6: the RA's MTU 1500 taken on a 9000-byte eth0" \
	expect 1500 e2e_in "$G0" sysctl -n net.ipv6.conf.eth0.mtu
e2e_check "ipv6: the router's neighbour entry is sbgw's MAC, flagged router" \
	has "lladdr $GW_MAC router" e2e_in "$G0" ip -6 neigh show "$GW_LL" dev eth0
e2e_check "ipv6: slot 1 autoconfigures in fd42:6d73:62:1::/64 (conformance 107)" slaac_preferred "$G1" 1
e2e_check "ipv6: slot 1's default route via its gateway's link-local $(gw_ll 1)" \
	has "^default via $(gw_ll 1) dev eth0 proto ra" e2e_in "$G1" ip -6 route show default

RA=$(e2e_in "$G0" rdisc6 -1 -r 3 -w 1000 eth0 2>&1)
# Lines joined with '.', so one pattern can span several.
ra_has() { tr '\n' . <<<"$RA" | grep -Eiq -- "$1" || { echo "no /$1/ in:"; echo "$RA"; return 1; }; }
e2e_check "rdisc6: the RA comes from $GW_LL" ra_has "\. *from $GW_LL\."
e2e_check "rdisc6: RDNSS fd42:6d73:62::1" ra_has "Recursive DNS server *: *fd42:6d73:62::1\."
e2e_check "rdisc6: prefix fd42:6d73:62::/64, on-link and autonomous" \
	ra_has "Prefix *: *fd42:6d73:62::/64\. *On-link *: *Yes\. *Autonomous address conf\. *: *Yes"
e2e_check "rdisc6: MTU 1500" ra_has "MTU *: *1500 bytes"
e2e_check "rdisc6: source link-layer address $GW_MAC" ra_has "Source link-layer address *: *$GW_MAC"
e2e_check "rdisc6: a default router (lifetime > 0), SLAAC only (no M/O flags)" \
	ra_has "Stateful address conf\. *: *No\. *Stateful other conf\. *: *No\..*Router lifetime *: *[1-9]"

e2e_check "ipv6: curl http://[PUB6]/ over the autoconfigured address" page "$G0" "http://[$PUB6_IP]/"
e2e_check "ipv6: and it left from the SLAAC address" \
	has "src $(eui64 0) " e2e_in "$G0" ip -6 route get "$PUB6_IP"
e2e_check "ipv6: sbgw counted no spoofed source for the SLAAC address" \
	expect 0 e2e_counter s0 drops.spoof_source_address

# The gateway's address is resolved like any neighbour; its echo is not
# answered under the default policy (conformance 9), the resolution is.
neigh_gw6() {
	e2e_in "$G0" ping -6 -c1 -W1 fd42:6d73:62::1 >/dev/null 2>&1
	e2e_in "$G0" ip -6 neigh show fd42:6d73:62::1 dev eth0 |
		grep -Eq "lladdr $GW_MAC .*(REACHABLE|STALE|DELAY|PROBE)"
}
e2e_check "nd: the kernel resolves fd42:6d73:62::1 to $GW_MAC" e2e_wait 10 neigh_gw6
e2e_check "nd: ndisc6 fd42:6d73:62::1 answered by $GW_MAC" \
	has "Target link-layer address: $GW_MAC" e2e_in "$G0" ndisc6 -1 -r 3 -w 1000 fd42:6d73:62::1 eth0
e2e_check "nd: ndisc6 $GW_LL answered by $GW_MAC" \
	has "Target link-layer address: $GW_MAC" e2e_in "$G0" ndisc6 -1 -r 3 -w 1000 "$GW_LL" eth0
# ndisc6 exits 2 when nothing answered (1 is an error of its own).
e2e_check "nd: no answer for fd42:6d73:62::3 (not the gateway's)" \
	exits 2 e2e_in "$G0" ndisc6 -1 -r 2 -w 500 fd42:6d73:62::3 eth0
e2e_check "nd: no answer for slot 1's gateway fd42:6d73:62:1::1" \
	exits 2 e2e_in "$G0" ndisc6 -1 -r 2 -w 500 fd42:6d73:62:1::1 eth0

# ---- DHCPv4 with isc-dhcp-client -----------------------------------------
dhclient_run() { # slot: one lease, applied by the script; the client stays
	local d=$E2E_TMP/dhcp$1
	e2e_in "$(e2e_guest_ns "$1")" timeout 40 dhclient -4 -1 -v -cf "$d/dhclient.conf" \
		-sf "$d/script" -lf "$d/leases" -pf "$d/pid" eth0 >>"$d/dhclient.log" 2>&1 ||
		{ echo "dhclient failed:"; cat "$d/dhclient.log"; return 1; }
}
lease() { # slot option: what dhclient was told, from the applied lease
	sed -n "s/^new_$2=//p" "$E2E_TMP/dhcp$1/lease.env"
}
e2e_check "dhcp: dhclient gets a lease for slot 0" dhclient_run 0
e2e_check "dhcp: address 172.16.0.2 (conformance 105)" expect 172.16.0.2 lease 0 ip_address
e2e_check "dhcp: netmask /30 (conformance 105)" expect 255.255.255.252 lease 0 subnet_mask
e2e_check "dhcp: router 172.16.0.1 (conformance 105)" expect 172.16.0.1 lease 0 routers
e2e_check "dhcp: DNS 172.16.0.1" expect 172.16.0.1 lease 0 domain_name_servers
e2e_check "dhcp: MTU 1500 (conformance 108)" expect 1500 lease 0 interface_mtu
e2e_check "dhcp: server identifier 172.16.0.1" expect 172.16.0.1 lease 0 dhcp_server_identifier
lease_times() { # T1 < T2 < lease time, all positive
	local t t1 t2
	t=$(lease 0 dhcp_lease_time)
	t1=$(lease 0 dhcp_renewal_time)
	t2=$(lease 0 dhcp_rebinding_time)
	echo "lease $t, T1 $t1, T2 $t2"
	[ "$t1" -gt 0 ] && [ "$t1" -lt "$t2" ] && [ "$t2" -lt "$t" ]
}
e2e_check "dhcp: a lease with renewal before rebinding before expiry" lease_times
e2e_check "dhcp: applied: eth0 has 172.16.0.2/30 (conformance 105)" \
	has "inet 172\.16\.0\.2/30 brd 172\.16\.0\.3 scope global eth0" e2e_in "$G0" ip -4 -o addr show dev eth0
e2e_check "dhcp: applied: default route via 172.16.0.1 (conformance 105)" \
	has "^default via 172\.16\.0\.1 dev eth0" e2e_in "$G0" ip -4 route show default
e2e_check "dhcp: applied: eth0 went from MTU $START_MTU to 1500 (conformance 108)" \
	has "mtu 1500 .*link/ether 02:6d:73:00:00:02 " e2e_in "$G0" ip -o link show eth0
e2e_check "dhcp: then curl http://PUB_IP/ gives the page (conformance 1)" page "$G0" "http://$PUB_IP/"

e2e_check "dhcp: dhclient gets a lease for slot 1" dhclient_run 1
e2e_check "dhcp: slot 1 gets 172.16.0.6 (conformance 105)" expect 172.16.0.6 lease 1 ip_address
e2e_check "dhcp: slot 1's router 172.16.0.5" expect 172.16.0.5 lease 1 routers
e2e_check "dhcp: slot 1's DNS 172.16.0.5" expect 172.16.0.5 lease 1 domain_name_servers
e2e_check "dhcp: slot 1 applied 172.16.0.6/30 (conformance 105)" \
	has "inet 172\.16\.0\.6/30 brd 172\.16\.0\.7 scope global eth0" e2e_in "$G1" ip -4 -o addr show dev eth0
e2e_check "dhcp: slot 1 then fetches the page" page "$G1" "http://$PUB_IP/"

renewed() { grep -qx RENEW "$E2E_TMP/dhcp1/reasons"; }
dhclient_stop() { # slot
	local d=$E2E_TMP/dhcp$1
	e2e_in "$(e2e_guest_ns "$1")" dhclient -4 -x -cf "$d/dhclient.conf" -sf "$d/script" \
		-lf "$d/leases" -pf "$d/pid" eth0 >>"$d/dhclient.log" 2>&1
}
e2e_check "dhcp: slot 1's renewal (unicast, RENEWING) is acknowledged" e2e_wait 15 renewed
e2e_check "dhcp: and slot 1 keeps 172.16.0.6" expect 172.16.0.6 lease 1 ip_address
dhclient_stop 1

# A rebooting guest asks for its old lease again (INIT-REBOOT, RFC 2131
# §3.2) and gets it acknowledged.
dhclient_reboot() {
	local d=$E2E_TMP/dhcp0
	dhclient_stop 0
	: >"$d/reasons"
	dhclient_run 0 || return 1
	grep -qx REBOOT "$d/reasons" || { echo "reasons:"; cat "$d/reasons"; return 1; }
}
e2e_check "dhcp: after a restart dhclient's INIT-REBOOT is acknowledged" dhclient_reboot
e2e_check "dhcp: and the address is still 172.16.0.2" expect 172.16.0.2 lease 0 ip_address
e2e_check "dhcp: and the page still arrives" page "$G0" "http://$PUB_IP/"

# ---- ARP ------------------------------------------------------------------
arp_gw() { # every reply to arping 172.16.0.1 comes from the gateway's MAC
	local out replies
	out=$(e2e_in "$G0" arping -c 3 -w 5 -I eth0 172.16.0.1) || { echo "$out"; return 1; }
	echo "$out"
	replies=$(grep -ci "reply from" <<<"$out")
	[ "$replies" -ge 1 ] &&
		[ "$(grep -ci "reply from 172\.16\.0\.1 \[$GW_MAC\]" <<<"$out")" -eq "$replies" ]
}
e2e_check "arp: arping 172.16.0.1 answered, only by $GW_MAC" arp_gw
# arping exits 1 when nothing answered (2 is an error of its own).
# 172.16.0.3 is the /30's broadcast address, which arping cannot probe its
# source address with: hence -s.
e2e_check "arp: no answer for 172.16.0.3 (not the gateway's)" \
	exits 1 e2e_in "$G0" arping -c 2 -w 3 -I eth0 -s 172.16.0.2 172.16.0.3
e2e_check "arp: no answer for slot 1's gateway 172.16.0.5" \
	exits 1 e2e_in "$G0" arping -c 2 -w 3 -I eth0 172.16.0.5
e2e_check "arp: the kernel's entry for 172.16.0.1 is $GW_MAC" \
	has "lladdr $GW_MAC" e2e_in "$G0" ip -4 neigh show 172.16.0.1 dev eth0
# Duplicate address detection: sbgw defends its own addresses.
arp_dad() { # arping -D exits 1 when the address is in use
	local out rc
	out=$(e2e_in "$G1" arping -D -c 2 -w 3 -I eth0 172.16.0.5)
	rc=$?
	echo "$out"
	[ $rc -eq 1 ] && grep -qi "reply from 172\.16\.0\.5 \[02:6d:73:00:01:01\]" <<<"$out"
}
e2e_check "arp: DAD probe for slot 1's gateway 172.16.0.5 finds it in use (arping -D)" arp_dad
dad_failed() { # ns address
	e2e_in "$1" ip -6 -o addr show dev eth0 to "$2/128" | grep -q dadfailed
}
nd_dad() {
	e2e_in "$G1" ip -6 addr add fd42:6d73:62:1::1/128 dev eth0 || return 1
	e2e_wait 10 dad_failed "$G1" fd42:6d73:62:1::1
	local rc=$?
	e2e_in "$G1" ip -6 -o addr show dev eth0 to fd42:6d73:62:1::1/128
	e2e_in "$G1" ip -6 addr del fd42:6d73:62:1::1/128 dev eth0
	return $rc
}
e2e_check "nd: DAD for the gateway's fd42:6d73:62:1::1 fails (sbgw defends it)" nd_dad

both_families() { page "$G0" "http://$PUB_IP/" && page "$G0" "http://[$PUB6_IP]/"; }
e2e_check "after all of it slot 0 still fetches over both families" both_families
e2e_done
