"""The gateway section and the sandbox entry of sbgw's configuration file (spec/config.md).

These are not part of the seed: they say where the seed's Network runs
(which DPDK port is the guest's, which is the uplink). Only what a file
can hold is checked here; device strings and lcore ids are judged by sbgw.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from . import _check as c
from .network import Network, NetworkPolicy, PRESETS, check_ca_cn, check_ca_pair
from .secrets import SecretEntry


def _ints(value: object, what: str) -> tuple[int, ...]:
    if isinstance(value, int):
        raise TypeError(f"{what}: expected a sequence of integers, got int")
    items = tuple(value)  # type: ignore[arg-type]
    for i, item in enumerate(items):
        c.expect_int(item, f"{what}[{i}]")
    return items


@dataclass(frozen=True)
class Uplink:
    """The port towards the internet; address is the NAT source with its prefix."""

    device: str
    address: str
    next_hop: str
    address6: str | None = None
    next_hop6: str | None = None
    next_hop_mac: str | None = None

    def __post_init__(self) -> None:
        if not c.expect_str(self.device, "uplink.device"):
            raise ValueError("uplink.device: device must not be empty")
        try:
            iface = ipaddress.ip_interface(c.expect_str(self.address, "uplink.address"))
            ok = iface.version == 4
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f'uplink.address: invalid address "{c.quote(self.address)}": '
                             "expected an IPv4 address with its prefix length")
        ip = c.parse_ip(c.expect_str(self.next_hop, "uplink.next_hop"))
        if ip is None or ip.version != 4:
            raise ValueError(f'uplink.next_hop: invalid next_hop "{c.quote(self.next_hop)}": expected an IPv4 address')
        if (self.address6 is None) != (self.next_hop6 is None):
            raise ValueError("uplink: address6 is set but next_hop6 is missing" if self.address6 is not None
                             else "uplink: next_hop6 is set but address6 is missing")
        for name in ("address6", "next_hop6", "next_hop_mac"):
            if getattr(self, name) is not None:
                c.expect_str(getattr(self, name), f"uplink.{name}")


@dataclass(frozen=True)
class GatewayTls:
    """The gateway's default interception CA and upstream trust."""

    ca_cert: str | None = None
    ca_key: str | None = None
    ca_cn: str | None = None
    state_dir: str | None = None
    upstream_ca_file: str | None = None

    def __post_init__(self) -> None:
        check_ca_pair(self.ca_cert, self.ca_key)
        if self.ca_cn is not None:
            check_ca_cn(self.ca_cn, "gateway.tls.ca_cn")
        for name in ("state_dir", "upstream_ca_file"):
            if getattr(self, name) is not None:
                c.expect_str(getattr(self, name), f"gateway.tls.{name}")


@dataclass(frozen=True)
class Gateway:
    """The `gateway` group: EAL, lcores, uplink, host port, DNS, TLS, control socket, limits, floor."""

    uplink: Uplink
    eal: tuple[str, ...] = ()
    workers: tuple[int, ...] | None = None
    slow: tuple[int, ...] | None = None
    host_device: str | None = None
    nameservers: tuple[str, ...] = ()
    tls: GatewayTls | None = None
    control_socket: str | None = None
    flows: int | None = None
    mbufs: int | None = None
    floor: str | NetworkPolicy | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.uplink, Uplink):
            raise TypeError("uplink: expected an Uplink")
        object.__setattr__(self, "eal", c.str_tuple(self.eal, "gateway.eal"))
        for name in ("workers", "slow"):
            if getattr(self, name) is not None:
                items = _ints(getattr(self, name), f"gateway.{name}")
                if not items:
                    raise ValueError(f"gateway.{name}: must list at least one lcore (omit it for the default)")
                object.__setattr__(self, name, items)
        if self.host_device is not None and not c.expect_str(self.host_device, "gateway.host.device"):
            raise ValueError("gateway.host.device: device must not be empty")
        object.__setattr__(self, "nameservers", c.str_tuple(self.nameservers, "gateway.dns.nameservers"))
        for ns in self.nameservers:
            if not c.nameserver_ok(ns):
                raise ValueError(f'invalid nameserver "{c.quote(ns)}"; expected IP, IP:PORT, HOST, or HOST:PORT')
        if self.control_socket is not None:
            path = c.expect_str(self.control_socket, "gateway.control.socket")
            if len(path.encode()) > 107:
                raise ValueError(f"gateway.control.socket: socket path `{path}` is longer than 107 bytes")
        if self.flows is not None and not 1 <= c.expect_int(self.flows, "gateway.flows") <= 268435456:
            raise ValueError(f"gateway.flows: {self.flows} is out of range 1..268435456")
        if self.mbufs is not None and not 1024 <= c.expect_int(self.mbufs, "gateway.mbufs") <= 67108864:
            raise ValueError(f"gateway.mbufs: {self.mbufs} is out of range 1024..67108864")
        if isinstance(self.floor, str) and self.floor.replace("-", "_") not in PRESETS:
            raise ValueError(f"gateway.floor: unknown network policy preset: {c.quote(self.floor)}")


@dataclass(frozen=True)
class Sandbox:
    """One `sandboxes` entry: a name, the guest's DPDK port, the seed's Network, its secrets.

    port is None exactly when the network is Network.none(), which attaches
    no interface (deviation D1).
    """

    name: str
    port: str | None = None
    network: Network | None = None
    secrets: tuple[SecretEntry, ...] = field(default=())

    def __post_init__(self) -> None:
        name = c.expect_str(self.name, "name")
        if not c.SANDBOX_NAME.fullmatch(name):
            raise ValueError(f'invalid sandbox name "{c.quote(name)}": must match [a-z0-9][a-z0-9_-]{{0,62}}')
        if self.network is not None and not isinstance(self.network, Network):
            raise TypeError(f"network: expected a Network or None, got {type(self.network).__name__}")
        offline = self.network is not None and self.network.is_offline
        if self.port is not None:
            if not c.expect_str(self.port, "port"):
                raise ValueError("port: port must not be empty")
            if offline:
                raise ValueError('policy "none" attaches no network interface; remove port')
        elif not offline:
            raise ValueError(f'sandbox "{name}": port is required (the guest\'s DPDK device string), '
                             'except with Network.none()')
        if isinstance(self.secrets, SecretEntry):
            raise TypeError("secrets: expected a sequence of SecretEntry values, got one SecretEntry")
        secrets = tuple(self.secrets)
        seen: dict[str, int] = {}
        for i, s in enumerate(secrets):
            if not isinstance(s, SecretEntry):
                raise TypeError(f"secrets[{i}]: expected a SecretEntry, got {type(s).__name__}")
            if s.env_var in seen:
                raise ValueError(f'secrets[{i}]: env_var "{s.env_var}" is already used by secret #{seen[s.env_var]}')
            seen[s.env_var] = i
        object.__setattr__(self, "secrets", secrets)
