"""Every example of the seed's network API reference, built with the sbgw package.

Each entry names the hand-written file in config/examples/ that says the
same thing in libconfig; the tests render the Python, and sbgw must
accept it and normalise it to the same configuration as that file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sbgw import (
    Action,
    DestGroup,
    Destination,
    Direction,
    DnsConfig,
    Gateway,
    Network,
    NetworkPolicy,
    PortBinding,
    Protocol,
    Rule,
    Sandbox,
    TlsConfig,
    Uplink,
)

# config/examples/gateway.inc, as a Gateway.
GATEWAY = Gateway(
    uplink=Uplink(device="net_af_packet0,iface=sbgw-up", address="198.51.100.2/24", next_hop="198.51.100.1"),
    eal=("--no-huge", "--no-shconf", "--no-pci", "-m", "512"),
    host_device="net_tap0,iface=sbgw0",
    nameservers=("198.51.100.53",),
    control_socket="/run/sbgw/control.sock",
)
PORT = "net_af_packet1,iface=sbgw-g0"


@dataclass(frozen=True)
class Example:
    name: str  # the seed's section
    conf: str  # config/examples/<conf>
    build: Callable[[], list[Sandbox]]


def typical_flow() -> list[Sandbox]:
    policy = NetworkPolicy(                             # 1. compose a policy
        default_egress=Action.DENY,
        rules=(
            *Rule.allow_dns(),
            Rule.allow(
                protocol=Protocol.TCP,
                port=443,
                destination=Destination.group(DestGroup.PUBLIC),
            ),
        ),
    )
    return [Sandbox("api", PORT, Network(policy=policy, ports=(PortBinding.tcp(8080, 80),)))]


def rule_factory() -> list[Sandbox]:
    policy = NetworkPolicy(
        default_egress=Action.DENY,
        default_ingress=Action.ALLOW,
        rules=(
            Rule.allow(protocol=Protocol.TCP, port=443, destination=Destination.ip("1.1.1.1")),
            Rule.deny(destination=Destination.domain("api.example.com")),
        ),
    )
    return [Sandbox("api", PORT, Network(policy=policy))]


def rule_order() -> list[Sandbox]:
    policy = NetworkPolicy(
        default_egress=Action.DENY,
        default_ingress=Action.ALLOW,
        rules=(
            Rule.allow(destination="10.0.0.0/8"),     # matches everything in 10.x
            Rule.deny(destination="10.0.0.5"),        # never reached
        ),
    )
    return [Sandbox("api", PORT, Network(policy=policy))]


def allow_dns() -> list[Sandbox]:
    policy = NetworkPolicy(
        default_egress=Action.DENY,
        rules=(
            *Rule.allow_dns(),
            Rule.allow(
                protocol=Protocol.TCP,
                port=443,
                destination=Destination.group(DestGroup.PUBLIC),
            ),
        ),
    )
    return [Sandbox("api", PORT, Network(policy=policy))]


def destinations() -> list[Sandbox]:
    r = Rule.allow(protocol=Protocol.TCP, port=443, destination=Destination.domain("api.example.com"))
    typed = (
        Destination.ip("1.1.1.1"),
        Destination.cidr("10.0.0.0/8"),
        Destination.domain("api.example.com"),
        Destination.domain_suffix(".example.com"),
        Destination.group(DestGroup.LINK_LOCAL),
        Destination.any(),
    )
    policy = NetworkPolicy(rules=(r, *(Rule.allow(destination=d) for d in typed)))
    return [Sandbox("api", PORT, Network(policy=policy))]


def published_ports() -> list[Sandbox]:
    # The seed's two PortBinding examples and its mapping form, in one Network
    # as the hand-written file has them (a Network takes one form or the other,
    # so the mapping {8080: 80} is written as the binding it stands for; the
    # mapping form itself is compared separately).
    ports = (
        PortBinding.tcp(8001, 8001, bind="0.0.0.0"),
        PortBinding.udp(5353, 5353, bind="0.0.0.0"),
        *Network(ports={8080: 80}).port_bindings(),
    )
    # The file also shows an ingress rule, which published ports are judged by.
    policy = NetworkPolicy(
        default_egress=Action.DENY,
        default_ingress=Action.ALLOW,
        rules=(
            *Rule.allow_dns(),
            Rule.allow(protocol=Protocol.TCP, port=443, destination=Destination.group(DestGroup.PUBLIC)),
            Rule.deny(direction=Direction.INGRESS, destination=Destination.cidr("192.0.2.0/24")),
        ),
    )
    return [Sandbox("api", PORT, Network(policy=policy, ports=ports))]


EXAMPLES = [
    Example("Typical flow", "typical-flow.conf", typical_flow),
    Example("Network.none()", "none.conf", lambda: [Sandbox("offline", network=Network.none())]),
    Example("Network.public_only()", "public-only.conf", lambda: [Sandbox("api", PORT, Network.public_only())]),
    Example("Network.allow_all()", "allow-all.conf", lambda: [Sandbox("api", PORT, Network.allow_all())]),
    Example("Rule factory", "rule-factory.conf", rule_factory),
    Example("Rule order matters", "rule-order.conf", rule_order),
    Example("Rule.allow_dns()", "allow-dns.conf", allow_dns),
    Example("Destination factory and Rule.allow()", "destinations.conf", destinations),
    Example("PortBinding factory", "published-ports.conf", published_ports),
    Example(
        "Network.deny_domains / deny_domain_suffixes",
        "deny-domains.conf",
        lambda: [Sandbox("api", PORT, Network(deny_domains=("malware.example.com",),
                                              deny_domain_suffixes=(".tracking.com",)))],
    ),
    Example(
        "DnsConfig",
        "pinned-nameservers.conf",
        lambda: [Sandbox("api", PORT, Network(dns=DnsConfig(nameservers=("198.51.100.53", "198.51.100.54:5353"),
                                                            query_timeout_ms=2000)))],
    ),
    Example(
        "TlsConfig",
        "tls-bypass.conf",
        lambda: [Sandbox("api", PORT, Network(tls=TlsConfig(bypass=("pinned-api.example.com", "*.gov"),
                                                            intercepted_ports=(443,))))],
    ),
]
