"""The seed's network API (shared/seed/network-api.md): enums, frozen dataclasses, factories.

Names, fields, defaults and factories are the seed's one to one. Values are
checked when an object is built, with the messages `sbgw -t` uses
(semantics §1), so a mistake surfaces as a Python ValueError/TypeError at
the line that made it. Strings are accepted wherever an enum is (they are
StrEnums) and are converted to the enum.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Union

from . import _check as c
from .secrets import ViolationAction, ViolationPolicy, violation


class _LenientStrEnum(enum.StrEnum):
    """A StrEnum that also accepts the spelling with '-' and '_' swapped."""

    @classmethod
    def _missing_(cls, value: object):  # noqa: D105
        if isinstance(value, str):
            for member in cls:
                if member.value.replace("-", "_") == value.replace("-", "_"):
                    return member
        return None


class Action(enum.StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class Direction(enum.StrEnum):
    EGRESS = "egress"
    INGRESS = "ingress"
    ANY = "any"


class Protocol(enum.StrEnum):
    TCP = "tcp"
    UDP = "udp"
    ICMPV4 = "icmpv4"
    ICMPV6 = "icmpv6"


class PortProtocol(enum.StrEnum):
    TCP = "tcp"
    UDP = "udp"


class DestGroup(_LenientStrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    LOOPBACK = "loopback"
    LINK_LOCAL = "link-local"
    METADATA = "metadata"
    MULTICAST = "multicast"
    HOST = "host"


PRESETS = ("none", "public_only", "allow_all")
# Group keywords of the string shorthand, case-sensitive (semantics §1.5.2 step 5).
_GROUP_WORDS = {g.value for g in DestGroup} | {"link_local"}


def _enum(cls, value, what: str, message: str):
    """value as a member of cls, or ValueError with sbgw's message for an unknown string."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected {cls.__name__} or a string, got {type(value).__name__}")
    try:
        return cls(value)
    except ValueError:
        raise ValueError(f"{what}: {message}: {c.quote(value)}") from None


def _set(obj, name: str, value) -> None:
    object.__setattr__(obj, name, value)  # normalising a frozen dataclass in __post_init__


# ---- destinations ----------------------------------------------------------------

DestinationKind = Literal["any", "ip", "cidr", "domain", "domain_suffix", "group"]


@dataclass(frozen=True)
class NetworkDestination:
    """A typed destination, produced by the Destination helpers."""

    kind: DestinationKind
    value: str | None = None

    def __post_init__(self) -> None:
        kind = c.expect_str(self.kind, "destination kind")
        if kind == "domain-suffix":
            kind = "domain_suffix"
        _set(self, "kind", kind)
        if kind not in ("any", "ip", "cidr", "domain", "domain_suffix", "group"):
            raise ValueError(f"unknown destination kind: {c.quote(kind)}")
        if kind == "any":
            if self.value is not None:
                raise ValueError("destination kind `any` takes no value")
            return
        if self.value is None:
            raise ValueError(f"destination is required for destination kind `{kind}`")
        if kind == "ip":
            c.check_ip(self.value, "Destination.ip")
        elif kind == "cidr":
            c.check_cidr(self.value, "Destination.cidr")
        elif kind == "domain":
            c.check_domain(self.value, "Destination.domain")
        elif kind == "domain_suffix":
            c.check_suffix(self.value, "Destination.domain_suffix")
        else:
            group = c.expect_str(self.value, "Destination.group")
            if group not in _GROUP_WORDS:
                raise ValueError(f"unknown destination group: {c.quote(group)}")
            _set(self, "value", DestGroup(group).value)


class Destination:
    """Factory namespace for NetworkDestination values."""

    @staticmethod
    def any() -> NetworkDestination:
        return NetworkDestination("any")

    @staticmethod
    def ip(ip: str) -> NetworkDestination:
        return NetworkDestination("ip", ip)

    @staticmethod
    def cidr(cidr: str) -> NetworkDestination:
        return NetworkDestination("cidr", cidr)

    @staticmethod
    def domain(domain: str) -> NetworkDestination:
        return NetworkDestination("domain", domain)

    @staticmethod
    def domain_suffix(suffix: str) -> NetworkDestination:
        return NetworkDestination("domain_suffix", suffix)

    @staticmethod
    def group(group: DestGroup | str) -> NetworkDestination:
        return NetworkDestination("group", str(group) if isinstance(group, DestGroup) else group)


def check_shorthand(text: str, what: str = "destination") -> str:
    """The seed's string shorthand, resolved in semantics §1.5.2 order, each kind checked."""
    text = c.expect_str(text, what)
    if text == "*" or text in _GROUP_WORDS:
        return text
    if text.startswith("domain="):
        c.check_domain(text[len("domain="):], what)
    elif text.startswith("suffix="):
        c.check_suffix(text[len("suffix="):], what)
    elif text.startswith("."):
        c.check_suffix(text, what)
    elif "/" in text:
        c.check_cidr(text, what)
    elif c.parse_ip(text) is None:
        c.check_domain(text, what)
    return text


# ---- rules and policies ----------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One policy rule; prefer Rule.allow() / Rule.deny()."""

    action: Action
    direction: Direction = Direction.EGRESS
    destination: str | NetworkDestination | None = None
    protocol: Protocol | None = None
    port: int | str | None = None

    def __post_init__(self) -> None:
        _set(self, "action", _enum(Action, self.action, "action", "unknown rule action"))
        _set(self, "direction", _enum(Direction, self.direction, "direction", "unknown direction"))
        if self.protocol is not None:
            _set(self, "protocol", _enum(Protocol, self.protocol, "protocol", "unknown protocol"))
        if self.port is not None:
            c.check_rule_port(self.port, "port")
        if isinstance(self.destination, str):
            check_shorthand(self.destination)
        elif self.destination is not None and not isinstance(self.destination, NetworkDestination):
            raise TypeError(
                "destination: expected a string, a NetworkDestination or None, "
                f"got {type(self.destination).__name__}"
            )

    @classmethod
    def allow(
        cls,
        *,
        direction: Direction = Direction.EGRESS,
        protocol: Protocol | None = None,
        port: int | str | None = None,
        destination: str | NetworkDestination | None = None,
    ) -> Rule:
        return cls(Action.ALLOW, direction, destination, protocol, port)

    @classmethod
    def deny(
        cls,
        *,
        direction: Direction = Direction.EGRESS,
        protocol: Protocol | None = None,
        port: int | str | None = None,
        destination: str | NetworkDestination | None = None,
    ) -> Rule:
        return cls(Action.DENY, direction, destination, protocol, port)

    @classmethod
    def allow_dns(cls) -> tuple[Rule, Rule]:
        """Plain DNS (UDP and TCP 53) to the sandbox gateway: (udp_rule, tcp_rule)."""
        host = Destination.group(DestGroup.HOST)
        return (
            cls.allow(protocol=Protocol.UDP, port=53, destination=host),
            cls.allow(protocol=Protocol.TCP, port=53, destination=host),
        )


@dataclass(frozen=True)
class NetworkPolicy:
    """Ordered rules, first match wins per direction, plus the two defaults."""

    default_egress: Action = Action.DENY
    default_ingress: Action = Action.ALLOW
    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "default_egress",
             _enum(Action, self.default_egress, "default_egress", "unknown default_egress"))
        _set(self, "default_ingress",
             _enum(Action, self.default_ingress, "default_ingress", "unknown default_ingress"))
        if isinstance(self.rules, (str, Rule)):
            raise TypeError("rules: expected a sequence of Rule values (splat Rule.allow_dns() with *)")
        rules = tuple(self.rules)
        for i, rule in enumerate(rules):
            if not isinstance(rule, Rule):
                hint = " (splat Rule.allow_dns() with *)" if isinstance(rule, tuple) else ""
                raise TypeError(f"rules[{i}]: expected a Rule, got {type(rule).__name__}{hint}")
            # Deviation D4: there is no inbound ICMP path, so such a rule could never match.
            if rule.direction != Direction.EGRESS and rule.protocol in (Protocol.ICMPV4, Protocol.ICMPV6):
                raise ValueError(
                    f"rule #{i}: ICMP protocols are egress-only; ingress and any-direction "
                    "rules cannot include icmpv4 or icmpv6"
                )
        _set(self, "rules", rules)


# ---- ports, DNS, TLS -------------------------------------------------------------


@dataclass(frozen=True)
class PortBinding:
    """A published host-to-guest port."""

    host_port: int
    guest_port: int
    bind: str = "127.0.0.1"
    protocol: PortProtocol = PortProtocol.TCP

    def __post_init__(self) -> None:
        c.check_bound_port(self.host_port, "host_port")
        c.check_bound_port(self.guest_port, "guest_port")
        c.expect_str(self.bind, "bind")
        if c.parse_ip(self.bind) is None:
            raise ValueError(f"invalid bind address: {c.quote(self.bind)}")
        _set(self, "protocol", _enum(PortProtocol, self.protocol, "protocol", "invalid port protocol"))

    @classmethod
    def tcp(cls, host_port: int, guest_port: int, *, bind: str = "127.0.0.1") -> PortBinding:
        return cls(host_port, guest_port, bind, PortProtocol.TCP)

    @classmethod
    def udp(cls, host_port: int, guest_port: int, *, bind: str = "127.0.0.1") -> PortBinding:
        return cls(host_port, guest_port, bind, PortProtocol.UDP)


@dataclass(frozen=True)
class DnsConfig:
    """DNS interception settings."""

    rebind_protection: bool = True
    nameservers: tuple[str, ...] = ()
    query_timeout_ms: int | None = None

    def __post_init__(self) -> None:
        c.expect_bool(self.rebind_protection, "rebind_protection")
        names = c.str_tuple(self.nameservers, "nameservers")
        for ns in names:
            if not c.nameserver_ok(ns):
                raise ValueError(
                    f'invalid nameserver "{c.quote(ns)}"; expected IP, IP:PORT, HOST, or HOST:PORT'
                )
        _set(self, "nameservers", names)
        if self.query_timeout_ms is not None:
            t = c.expect_int(self.query_timeout_ms, "query_timeout_ms")
            if t < 1:
                raise ValueError(f"query_timeout_ms must be at least 1, got {t}")
            if t > c.QUERY_TIMEOUT_MAX_MS:
                raise ValueError(f"query_timeout_ms {t} exceeds {c.QUERY_TIMEOUT_MAX_MS} (one hour)")


def check_ca_cn(cn: object, what: str = "ca_cn") -> None:
    cn = c.expect_str(cn, what)
    if not cn:
        raise ValueError(f"{what} must not be empty")
    if len(cn.encode()) > c.CA_CN_MAX:
        raise ValueError(f"{what} is longer than {c.CA_CN_MAX} bytes")
    if cn in (".", ".."):
        raise ValueError(f'{what} must not be "." or ".."')
    if any(ch == "/" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in cn):
        raise ValueError(f'{what} must not contain "/" or control characters (it names a directory under state_dir)')


def check_ca_pair(cert: str | None, key: str | None) -> None:
    if cert is not None:
        c.expect_str(cert, "ca_cert")
    if key is not None:
        c.expect_str(key, "ca_key")
    if cert is not None and key is None:
        raise ValueError("ca_cert is set but ca_key is missing")
    if key is not None and cert is None:
        raise ValueError("ca_key is set but ca_cert is missing")


@dataclass(frozen=True)
class TlsConfig:
    """TLS interception settings; any TlsConfig (even TlsConfig()) turns interception on."""

    bypass: tuple[str, ...] = ()
    verify_upstream: bool = True
    intercepted_ports: tuple[int, ...] = (443,)
    block_quic: bool = False
    ca_cert: str | None = None
    ca_key: str | None = None
    ca_cn: str | None = None

    def __post_init__(self) -> None:
        bypass = c.str_tuple(self.bypass, "bypass")
        for pattern in bypass:
            reason = c.host_pattern_reason(pattern)
            if reason is not None:
                raise ValueError(f'invalid bypass pattern "{c.quote(pattern)}": {reason}')
        _set(self, "bypass", bypass)
        c.expect_bool(self.verify_upstream, "verify_upstream")
        c.expect_bool(self.block_quic, "block_quic")
        if isinstance(self.intercepted_ports, int):
            raise TypeError("intercepted_ports: expected a sequence of integers, got int")
        ports = tuple(self.intercepted_ports)
        seen: set[int] = set()
        for i, port in enumerate(ports):
            c.check_bound_port(port, f"intercepted_ports[{i}]")
            if port == 53:
                raise ValueError("port 53 cannot be intercepted: it carries DNS, which the DNS interceptor handles")
            if port == 853:
                raise ValueError(
                    "port 853 cannot be intercepted: it carries DNS over TLS, which the DNS interceptor handles"
                )
            if port in seen:
                raise ValueError(f"port {port} is listed twice")
            seen.add(port)
        _set(self, "intercepted_ports", ports)
        check_ca_pair(self.ca_cert, self.ca_key)
        if self.ca_cn is not None:
            check_ca_cn(self.ca_cn)


# ---- Network ---------------------------------------------------------------------

Ports = Union[Mapping[int, int], tuple[PortBinding, ...]]


@dataclass(frozen=True)
class Network:
    """A sandbox's network configuration; Network() is the public_only preset."""

    policy: str | NetworkPolicy | None = None
    ports: Ports = field(default_factory=dict)
    deny_domains: tuple[str, ...] = ()
    deny_domain_suffixes: tuple[str, ...] = ()
    dns: DnsConfig | None = None
    tls: TlsConfig | None = None
    ipv4_pool: str | None = None
    ipv6_pool: str | None = None
    max_connections: int | None = None
    on_secret_violation: ViolationAction | ViolationPolicy = ViolationAction.BLOCK_AND_LOG

    def __post_init__(self) -> None:
        if isinstance(self.policy, str):
            if self.policy.replace("-", "_") not in PRESETS:
                raise ValueError(f"unknown network policy preset: {c.quote(self.policy)}")
        elif self.policy is not None and not isinstance(self.policy, NetworkPolicy):
            raise TypeError(f"policy: expected a preset name, a NetworkPolicy or None, got {type(self.policy).__name__}")
        _set(self, "ports", self._checked_ports(self.ports))
        _set(self, "deny_domains", c.str_tuple(self.deny_domains, "deny_domains"))
        _set(self, "deny_domain_suffixes", c.str_tuple(self.deny_domain_suffixes, "deny_domain_suffixes"))
        for name in self.deny_domains:
            reason = c.domain_reason(name)
            if reason is not None:
                raise ValueError(f'deny_domains["{c.quote(name)}"]: {reason}')
        for name in self.deny_domain_suffixes:
            reason = c.suffix_reason(name)
            if reason is not None:
                raise ValueError(f'deny_domain_suffixes["{c.quote(name)}"]: {reason}')
        if self.dns is not None and not isinstance(self.dns, DnsConfig):
            raise TypeError(f"dns: expected a DnsConfig or None, got {type(self.dns).__name__}")
        if self.tls is not None and not isinstance(self.tls, TlsConfig):
            raise TypeError(f"tls: expected a TlsConfig or None, got {type(self.tls).__name__}")
        if self.ipv4_pool is not None:
            c.check_pool(self.ipv4_pool, "ipv4_pool", 4)
        if self.ipv6_pool is not None:
            c.check_pool(self.ipv6_pool, "ipv6_pool", 6)
        if self.max_connections is not None:
            n = c.expect_int(self.max_connections, "max_connections")
            if n < 0:
                raise ValueError(f"max_connections must not be negative, got {n}")
            if n > c.MAX_CONNECTIONS_MAX:
                raise ValueError(f"max_connections {n} exceeds hard limit {c.MAX_CONNECTIONS_MAX}")
        _set(self, "on_secret_violation", violation(self.on_secret_violation, "on_secret_violation"))
        # Deviation D1: "none" attaches no NIC, so a published port could never work.
        if self.is_offline and self.port_bindings():
            raise ValueError('ports cannot be published with policy "none": it attaches no network interface')

    @staticmethod
    def _checked_ports(ports: object) -> Ports:
        message = "ports must be a mapping of host_port to guest_port or a sequence of PortBinding values"
        if isinstance(ports, Mapping):
            frozen = dict(ports)  # a copy: the caller's dict must not change a frozen Network
            for host, guest in frozen.items():
                PortBinding.tcp(host, guest)  # same checks as the binding it stands for
            return frozen
        if isinstance(ports, (str, bytes)):
            raise TypeError(message)
        try:
            bindings = tuple(ports)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(message) from None
        if not all(isinstance(b, PortBinding) for b in bindings):
            raise TypeError(message)
        return bindings

    @property
    def is_offline(self) -> bool:
        return isinstance(self.policy, str) and self.policy == "none"

    def port_bindings(self) -> tuple[PortBinding, ...]:
        """Every published port as a PortBinding (the mapping form is TCP on 127.0.0.1)."""
        if isinstance(self.ports, Mapping):
            return tuple(PortBinding.tcp(h, g) for h, g in self.ports.items())
        return tuple(self.ports)

    @classmethod
    def none(cls) -> Network:
        """Deny everything; no network interface is attached (deviation D1)."""
        return cls(policy="none")

    @classmethod
    def public_only(cls) -> Network:
        """Public internet only (the default): private ranges, metadata and the host are denied."""
        return cls(policy="public_only")

    @classmethod
    def allow_all(cls) -> Network:
        """Unrestricted access, including private addresses and the host."""
        return cls(policy="allow_all")
