"""The seed's factories and types build what the reference says, and what they render is
read back by sbgw as the same values (escaping, Unicode names, every optional field)."""

from __future__ import annotations

import dataclasses
import os
import stat
import tempfile
import unittest

from sbgw import (
    Action,
    Gateway,
    GatewayTls,
    Uplink,
    DestGroup,
    Destination,
    Direction,
    DnsConfig,
    Network,
    NetworkDestination,
    NetworkPolicy,
    PortBinding,
    PortProtocol,
    Protocol,
    Rule,
    Sandbox,
    Secret,
    SecretInjection,
    TlsConfig,
    ViolationAction,
    ViolationPolicy,
    check_file,
    render_config,
    render_sandbox,
    write_config,
)

from seed_examples import GATEWAY, PORT
from support import run_sbgw, sbgw_binary


# With IPv6 on the uplink: an IPv6 published port needs it (semantics §6).
GATEWAY6 = dataclasses.replace(GATEWAY, uplink=dataclasses.replace(
    GATEWAY.uplink, address6="2001:db8:1::2/64", next_hop6="2001:db8:1::1"))


def dump(*sandboxes: Sandbox, gateway: Gateway = GATEWAY) -> str:
    proc = run_sbgw("-p", render_config(gateway, sandboxes))
    if proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return proc.stdout


class Factories(unittest.TestCase):
    def test_network_presets(self):
        self.assertEqual(Network.none().policy, "none")
        self.assertEqual(Network.public_only().policy, "public_only")
        self.assertEqual(Network.allow_all().policy, "allow_all")
        self.assertIsNone(Network().policy)  # None means public_only

    def test_rule_allow_and_deny(self):
        r = Rule.allow(protocol=Protocol.TCP, port=443, destination=Destination.domain("api.example.com"))
        self.assertEqual(r, Rule(Action.ALLOW, Direction.EGRESS, NetworkDestination("domain", "api.example.com"),
                                 Protocol.TCP, 443))
        self.assertEqual(Rule.deny(destination="10.0.0.5").action, Action.DENY)

    def test_allow_dns_is_udp_then_tcp_53_to_host(self):
        udp, tcp = Rule.allow_dns()
        for rule, proto in ((udp, Protocol.UDP), (tcp, Protocol.TCP)):
            self.assertEqual((rule.action, rule.direction, rule.protocol, rule.port, rule.destination),
                             (Action.ALLOW, Direction.EGRESS, proto, 53, NetworkDestination("group", "host")))

    def test_destination_kinds(self):
        self.assertEqual(Destination.any(), NetworkDestination("any", None))
        self.assertEqual(Destination.ip("1.1.1.1"), NetworkDestination("ip", "1.1.1.1"))
        self.assertEqual(Destination.cidr("10.0.0.0/8"), NetworkDestination("cidr", "10.0.0.0/8"))
        self.assertEqual(Destination.domain("api.example.com").kind, "domain")
        self.assertEqual(Destination.domain_suffix(".example.com"), NetworkDestination("domain_suffix", ".example.com"))
        self.assertEqual(Destination.group(DestGroup.LINK_LOCAL), NetworkDestination("group", "link-local"))
        self.assertEqual(Destination.group("link_local"), NetworkDestination("group", "link-local"))

    def test_port_bindings(self):
        self.assertEqual(PortBinding.tcp(8001, 8001, bind="0.0.0.0"), PortBinding(8001, 8001, "0.0.0.0", PortProtocol.TCP))
        self.assertEqual(PortBinding.udp(5353, 5353).protocol, PortProtocol.UDP)
        self.assertEqual(PortBinding.tcp(8080, 80).bind, "127.0.0.1")
        self.assertEqual(Network(ports={8080: 80}).port_bindings(), (PortBinding.tcp(8080, 80),))

    def test_strings_are_accepted_for_enums(self):
        r = Rule("deny", "any", "public", "udp", "1000-2000")
        self.assertIs(r.action, Action.DENY)
        self.assertIs(r.direction, Direction.ANY)
        self.assertIs(r.protocol, Protocol.UDP)
        self.assertIs(Network(on_secret_violation="block_and_terminate").on_secret_violation,
                      ViolationAction.BLOCK_AND_TERMINATE)

    def test_defaults_are_the_seeds(self):
        self.assertEqual((NetworkPolicy().default_egress, NetworkPolicy().default_ingress), (Action.DENY, Action.ALLOW))
        self.assertEqual(TlsConfig().intercepted_ports, (443,))
        self.assertFalse(TlsConfig().block_quic)
        self.assertTrue(DnsConfig().rebind_protection)
        self.assertIs(Network().on_secret_violation, ViolationAction.BLOCK_AND_LOG)

    def test_frozen(self):
        with self.assertRaises(dataclasses.FrozenInstanceError):
            Network().policy = "allow_all"  # type: ignore[misc]

    def test_caller_dict_cannot_change_a_network(self):
        ports = {8080: 80}
        net = Network(ports=ports)
        ports[9090] = 90
        self.assertEqual(net.port_bindings(), (PortBinding.tcp(8080, 80),))

    def test_secret_value_not_in_repr(self):
        s = Secret.env("API_KEY", value="sk-very-secret", allow_hosts=("api.example.com",))
        self.assertNotIn("sk-very-secret", repr(s))
        self.assertEqual(s.effective_placeholder, "$MSB_API_KEY")


class SbgwReadsWhatWasMeant(unittest.TestCase):
    def test_port_device_string_is_escaped(self):
        # A device string with quotes, backslashes and libconfig syntax stays one string.
        device = 'net_af_packet1,iface=g0"; } ); @include "/etc/passwd\\'
        out = dump(Sandbox("api", device))
        # The dump quotes text from the file with quotes and backslashes escaped.
        shown = device.replace("\\", "\\\\").replace('"', '\\"')
        self.assertIn(f"  port: {shown}\n", out)

    def test_unicode_domain_becomes_a_label(self):
        out = dump(Sandbox("api", PORT, Network(policy=NetworkPolicy(rules=(Rule.deny(destination=Destination.domain("bücher.example")),)))))
        self.assertIn("deny egress to domain xn--bcher-kva.example", out)

    def test_every_field(self):
        net = Network(
            policy=NetworkPolicy(default_egress="allow", default_ingress="deny", rules=(
                Rule.deny(direction=Direction.ANY, protocol=Protocol.UDP, port="8000-9000", destination="private"),
                Rule.allow(direction=Direction.INGRESS, destination=Destination.cidr("192.0.2.0/24")),
            )),
            ports=(PortBinding.udp(5353, 53, bind="::"),),
            deny_domains=("malware.example.com",),
            dns=DnsConfig(rebind_protection=False, nameservers=("[2001:db8::53]:5353", "ns.example.net:53")),
            tls=TlsConfig(bypass=("*.gov",), verify_upstream=False, intercepted_ports=(443, 8443), block_quic=True,
                          ca_cn="Team CA"),
            ipv4_pool="10.200.0.0/16",
            ipv6_pool="fd00:1::/48",
            max_connections=0,
            on_secret_violation=ViolationPolicy.passthrough(patterns=("*.example.org",)),
        )
        secret = Secret.env("TOKEN", value='a"b\\c', allow_host_patterns=("*.example.com",), placeholder="@@TOKEN@@",
                            require_tls=False, on_violation=ViolationAction.BLOCK_AND_TERMINATE,
                            injection=SecretInjection(headers=False, query_params=True))
        out = dump(Sandbox("api", PORT, net, secrets=(secret,)), gateway=GATEWAY6)
        for want in (
            "default egress allow, default ingress deny, 3 rules",
            "deny egress to domain malware.example.com",
            "deny any udp port 8000-9000 to group private",
            "allow ingress to cidr 192.0.2.0/24",
            "ports: [::]:5353/udp->53",
            "dns: rebind_protection no",
            "[2001:db8::53]:5353",
            "ns.example.net:53",
            "tls: on, intercepted ports 443 8443, verify_upstream no, block_quic yes",
            "pools: 10.200.0.0/16 fd00:1::/48",
            "ipv4 slot 0: 10.200.0.0/30",
            "max_connections: 0",
            "value <redacted, 5 bytes>, placeholder \"@@TOKEN@@\"",
            "require_tls no, injection: headers no basic_auth yes query_params yes body no",
        ):
            self.assertIn(want, out)

    def test_every_gateway_field(self):
        gw = Gateway(
            uplink=Uplink("net_af_packet0,iface=up0", "198.51.100.2/24", "198.51.100.1", address6="2001:db8:1::2/64",
                          next_hop6="2001:db8:1::1", next_hop_mac="02:00:5e:10:00:01"),
            eal=("--no-huge", "--no-pci"), workers=(1,), slow=(0,), host_device="net_tap0,iface=sbgw0",
            nameservers=("203.0.113.53", "dns.example:5353"),
            tls=GatewayTls(ca_cn="Edge CA", state_dir="/var/lib/sbgw/tls2"),
            control_socket="/run/sbgw/c.sock", flows=2000000, mbufs=65536,
            floor=NetworkPolicy(rules=(*Rule.allow_dns(), Rule.allow(destination="public"))),
        )
        proc = run_sbgw("-p", render_config(gw))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for want in (
            'eal: "--no-huge" "--no-pci"', "workers: 1\n", "slow: 0\n",
            "uplink next_hop_mac: 02:00:5e:10:00:01 (static, no ARP)",
            "uplink6: address 2001:db8:1::2/64 next_hop 2001:db8:1::1",
            'host: device "net_tap0,iface=sbgw0"', "nameservers: 203.0.113.53:53 dns.example:5353",
            'tls: generated CA "Edge CA" kept in "/var/lib/sbgw/tls2"', 'control socket: "/run/sbgw/c.sock"',
            "flows: 2000000", "mbufs: 65536", "allow egress to group public",
            "floor: 6 rte_acl rules",
        ):
            self.assertIn(want, proc.stdout)

    def test_large_integers_keep_their_value(self):
        # libconfig 1.5 truncates a 32-bit literal that overflows; the renderer adds L.
        gw = Gateway(uplink=Uplink("net_af_packet0,iface=up0", "198.51.100.2/24", "198.51.100.1"), flows=268435456)
        text = render_config(gw)
        self.assertIn("flows = 268435456;", text)
        from sbgw.render import _scalar
        self.assertEqual(_scalar(2**31), "2147483648L")
        self.assertEqual(_scalar(-(2**31)), "-2147483648")

    def test_write_config_is_private_and_checked(self):
        # 0600: an inline secret value may be in the file.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sbgw.conf")
            secret = Secret.env("K", value="v", allow_hosts=("api.example.com",))
            write_config(path, GATEWAY, [Sandbox("api", PORT, secrets=(secret,))])
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            self.assertEqual(os.listdir(d), ["sbgw.conf"])  # no temporary file left behind
            check_file(path, binary=sbgw_binary())

    def test_render_sandbox_is_one_entry(self):
        text = render_sandbox(Sandbox("api", PORT, Network.allow_all()))
        self.assertTrue(text.startswith("{") and text.rstrip().endswith("}"), text)
        self.assertIn('policy = "allow_all";', text)


if __name__ == "__main__":
    unittest.main()
