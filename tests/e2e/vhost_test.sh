#!/usr/bin/env bash
# A guest on a vhost-user port, driven by a virtio-user peer: dpdk-testpmd
# forwards between net_virtio_user (connected to sbgw's vhost-user socket)
# and a tap device in the guest namespace, where real clients run. Covers
# sbgw as vhost-user server, and as client (client=1) across a restart of
# the peer.
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw

e2e_internet || exit 1

# vhost_guest INDEX VDEV-ARGS: testpmd with virtio-user + tap in a new
# namespace; the tap gets the guest's MAC and addresses of slot INDEX.
vhost_guest() {
	local i=$1 ns=sbgwt-$E2E_ID-v$1 tap=vtap$1
	ip netns list | grep -qw "$ns" || e2e_ns_add "$ns" || return 1
	ip netns exec "$ns" bash -c "sleep 3600 | exec stdbuf -oL dpdk-testpmd --no-huge -m 256 --no-pci \
		--file-prefix vu$E2E_ID$i -l 0,1 --log-level '*:error' \
		--vdev net_virtio_user0,$2 --vdev net_tap0,iface=$tap,mac=02:6d:73:00:0$i:02 -- \
		--forward-mode=io --total-num-mbufs=4096 -a --no-mlockall" \
		>"$E2E_TMP/testpmd$i.log" 2>&1 &
	E2E_PIDS+=($!)
	# The tap's MAC is the guest's (devarg); configure it once testpmd runs.
	e2e_wait 20 grep -q "Press enter to exit" "$E2E_TMP/testpmd$i.log" ||
		{ cat "$E2E_TMP/testpmd$i.log"; return 1; }
	ip -n "$ns" addr replace "172.16.0.$((4 * i + 2))/30" dev "$tap"
	ip -n "$ns" link set "$tap" up
	ip -n "$ns" route replace default via "172.16.0.$((4 * i + 1))"
	ip netns exec "$ns" ethtool -K "$tap" tx off >/dev/null 2>&1
}
fetch() { # ns: the page through sbgw
	ip netns exec "$1" curl -s -m3 "http://$PUB_IP/" | grep -qx "hello from the internet"
}

SERVER_SOCK=$E2E_TMP/server.sock
CLIENT_SOCK=$E2E_TMP/client.sock
{
	e2e_conf_head
	cat <<CONF
sandboxes = (
	{ name = "vserver"; port = "net_vhost1,iface=$SERVER_SOCK"; },
	{ name = "vclient"; port = "net_vhost2,iface=$CLIENT_SOCK,client=1"; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1

vhost_guest 0 "path=$SERVER_SOCK,queues=1" || exit 1
vhost_guest 1 "path=$CLIENT_SOCK,queues=1,server=1" || exit 1
V0=sbgwt-$E2E_ID-v0
V1=sbgwt-$E2E_ID-v1

e2e_check "vhost-user server: the guest fetches a page" e2e_wait 15 fetch "$V0"
e2e_check "vhost-user server: metadata refused" \
	bash -c "ip netns exec $V0 curl -s -m3 http://$META_IP/; [ \$? -eq 7 ]"
e2e_check "vhost-user server: UDP echo" e2e_udp_echo "$V0" "$PUB_IP"
# virtio hands fragments as they are: sbgw's own reassembly judges the whole
# datagram and splits it again for the uplink's MTU.
e2e_check "vhost-user server: a 4000-byte UDP datagram is reassembled and echoed" \
	e2e_udp_echo "$V0" "$PUB_IP" 7 4000
e2e_check "vhost-user server: a 6000-byte ping is answered" \
	e2e_in "$V0" ping -c1 -W3 -s 6000 1.1.1.1
e2e_check "vhost-user client=1: the guest fetches a page" e2e_wait 15 fetch "$V1"

# The peer goes away and comes back: sbgw (the client) reconnects. The
# peer's namespace holds only it and its stdin feeder.
peer_gone() { [ -z "$(ip netns pids "$V1")" ]; }
for pid in $(ip netns pids "$V1"); do
	kill "$pid"
done
e2e_check "vhost-user client=1: the peer exits" e2e_wait 20 peer_gone
e2e_check_fails "vhost-user client=1: no traffic while the peer is gone" fetch "$V1"
vhost_guest 1 "path=$CLIENT_SOCK,queues=1,server=1" || exit 1
e2e_check "vhost-user client=1: traffic resumes after the peer restarts" e2e_wait 20 fetch "$V1"
e2e_check "vhost-user server: unaffected by the other guest's restart" fetch "$V0"

e2e_done
