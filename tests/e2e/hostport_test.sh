#!/usr/bin/env bash
# The host port (net_tap): sbgw configures its kernel side with the host
# link address and a route to every guest subnet; the host's own traffic
# to the internet goes out through the fast path, NATed to the uplink like
# a guest's (the path the slow-path services' sockets take); the host does
# not reach guests except through published ports.
. "$(dirname "$0")/lib.sh"
E2E_BUILD=${1:-$E2E_BUILD}
SBGW=$E2E_BUILD/app/sbgw/sbgw
E2E_HOST_PORT=hp$E2E_ID

e2e_internet || exit 1
e2e_guest 0 && e2e_guest 1 || exit 1
G0=$(e2e_guest_ns 0)
{
	e2e_conf_head
	cat <<CONF
sandboxes = (
	{ name = "a"; port = "net_af_packet1,iface=$(e2e_guest_if 0)"; },
	{ name = "b"; port = "net_af_packet2,iface=$(e2e_guest_if 1)"; network = { ipv4_pool = "10.200.0.0/16"; }; }
);
CONF
} >"$E2E_TMP/sbgw.conf"
e2e_start "$E2E_TMP/sbgw.conf" || exit 1

route_to() { # prefix: the kernel routes it through the host link
	ip -n "$NS_GW" route show "$1" | grep -q "via 169.254.253.2 dev $E2E_HOST_PORT"
}
e2e_check "host port: the kernel side has the host link address" \
	bash -c "ip -n $NS_GW -4 addr show dev $E2E_HOST_PORT | grep -q 'inet 169.254.253.1/30'"
e2e_check "host port: route to sandbox a's /30" route_to 172.16.0.0/30
e2e_check "host port: route to sandbox b's /30 from its own pool" route_to 10.200.0.0/30

# The harness (not sbgw) sends the gateway namespace's default route over
# the host link, as an operator would for the slow path's sockets.
ip -n "$NS_GW" route add default via 169.254.253.2 dev "$E2E_HOST_PORT"
host_fetch() { ip netns exec "$NS_GW" curl -s -m5 "http://$PUB_IP/" | grep -qx "hello from the internet"; }
e2e_check "host port: the host fetches a page through the uplink" host_fetch
e2e_check "host port: the host's UDP reaches the internet" e2e_udp_echo "$NS_GW" "$PUB_IP"
host_flows() { [ "$(e2e_counter host flows_created)" -ge 2 ]; }
e2e_check "host port: the host's flows are counted under 'host'" host_flows
seen_from_uplink() { grep -q "198.51.100.2 .*GET / " "$E2E_TMP/nginx-access.log"; }
e2e_check "host port: the server sees the uplink address (NAT)" seen_from_uplink
e2e_check_fails "host port: the host does not reach a guest directly" \
	ip netns exec "$NS_GW" curl -s -m3 "http://172.16.0.2:80/"
no_route() { [ "$(e2e_counter host drops.no_route)" -ge 1 ]; }
e2e_check "host port: that attempt is counted as no_route" no_route
e2e_check "host port: guests are unaffected" \
	bash -c "ip netns exec $G0 curl -s -m5 http://$PUB_IP/ | grep -qx 'hello from the internet'"

e2e_done
