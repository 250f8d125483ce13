"""Render a gateway and its sandboxes into sbgw's libconfig file (spec/config.md).

The output is deterministic: settings always come in the same order (the
order of config.md), lists keep the order they were given in, and only
settings that differ from "absent" are written. Every string is quoted
and escaped for libconfig 1.5, so no value can end a string, add a
setting or an @include.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence

from .gateway import Gateway, Sandbox
from .network import DnsConfig, Network, NetworkDestination, NetworkPolicy, Rule, TlsConfig
from .secrets import SecretEntry, ViolationAction, ViolationPolicy

INDENT = "  "
INLINE_MAX = 120  # a group or array this short stays on one line

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}


def quote(text: str) -> str:
    """A libconfig string literal. NUL cannot be represented (libconfig strings are C strings)."""
    if "\0" in text:
        raise ValueError("a configuration string cannot contain a NUL character")
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)  # UTF-8 passes through; sbgw turns names into A-labels
    out.append('"')
    return "".join(out)


class Group(dict):
    """A libconfig group { name = value; ... } (insertion-ordered)."""


class List(list):
    """A libconfig list ( ... ): elements of any kind, here groups or port pairs."""


class Array(list):
    """A libconfig array [ ... ]: scalars of one type."""


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # libconfig 1.5 silently truncates a 32-bit literal that overflows; L makes it 64-bit.
        return str(value) if -(2**31) <= value < 2**31 else f"{value}L"
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot write {type(value).__name__} into a configuration file")


def _inline(value: object) -> str:
    if isinstance(value, Group):
        body = " ".join(f"{k} = {_inline(v)};" for k, v in value.items())
        return f"{{ {body} }}" if body else "{ }"
    if isinstance(value, (List, Array)):
        open_, close = ("(", ")") if isinstance(value, List) else ("[", "]")
        body = ", ".join(_inline(v) for v in value)
        return f"{open_} {body} {close}" if body else f"{open_} {close}"
    return _scalar(value)


def _format(value: object, depth: int) -> str:
    """value at nesting depth; containers that fit stay on one line."""
    one_line = _inline(value)
    if not isinstance(value, (Group, List, Array)) or len(one_line) + len(INDENT) * depth <= INLINE_MAX:
        return one_line
    pad, inner = INDENT * depth, INDENT * (depth + 1)
    if isinstance(value, Group):
        lines = [f"{inner}{k} = {_format(v, depth + 1)};" for k, v in value.items()]
        return "{\n" + "\n".join(lines) + f"\n{pad}}}"
    open_, close = ("(", ")") if isinstance(value, List) else ("[", "]")
    lines = [f"{inner}{_format(v, depth + 1)}" for v in value]
    return f"{open_}\n" + ",\n".join(lines) + f"\n{pad}{close}"


# ---- seed objects to libconfig values ----------------------------------------------


def _destination(dest: str | NetworkDestination) -> object:
    if isinstance(dest, str):
        return dest  # the seed's string shorthand is the file's too
    g = Group(kind=dest.kind)
    if dest.value is not None:
        g["value"] = dest.value
    return g


def rule_value(rule: Rule) -> Group:
    g = Group(action=rule.action.value)
    if rule.direction.value != "egress":
        g["direction"] = rule.direction.value
    if rule.protocol is not None:
        g["protocol"] = rule.protocol.value
    if rule.port is not None:
        g["port"] = rule.port
    if rule.destination is not None:
        g["destination"] = _destination(rule.destination)
    return g


def policy_value(policy: str | NetworkPolicy) -> object:
    if isinstance(policy, str):
        return policy
    return Group(
        default_egress=policy.default_egress.value,
        default_ingress=policy.default_ingress.value,
        rules=List(rule_value(r) for r in policy.rules),
    )


def violation_value(v: ViolationAction | ViolationPolicy) -> object:
    if isinstance(v, ViolationAction):
        return v.config_name
    g = Group(fallback=v.fallback.config_name)
    if v.passthrough_hosts:
        g["passthrough_hosts"] = Array(v.passthrough_hosts)
    if v.passthrough_host_patterns:
        g["passthrough_host_patterns"] = Array(v.passthrough_host_patterns)
    if v.passthrough_all_hosts:
        g["passthrough_all_hosts"] = True
    return g


def _dns_value(dns: DnsConfig) -> Group:
    g = Group(rebind_protection=dns.rebind_protection)
    if dns.nameservers:
        g["nameservers"] = Array(dns.nameservers)
    if dns.query_timeout_ms is not None:
        g["query_timeout_ms"] = dns.query_timeout_ms
    return g


def _tls_value(tls: TlsConfig) -> Group:
    g = Group()
    if tls.bypass:
        g["bypass"] = Array(tls.bypass)
    g["verify_upstream"] = tls.verify_upstream
    g["intercepted_ports"] = Array(tls.intercepted_ports)
    g["block_quic"] = tls.block_quic
    for name in ("ca_cert", "ca_key", "ca_cn"):
        if getattr(tls, name) is not None:
            g[name] = getattr(tls, name)
    return g


def network_value(net: Network) -> Group:
    g = Group()
    if net.policy is not None:
        g["policy"] = policy_value(net.policy)
    if isinstance(net.ports, Mapping):
        if net.ports:
            g["ports"] = List(Array([h, gp]) for h, gp in net.ports.items())  # the seed's {8080: 80}
    elif net.ports:
        g["ports"] = List(
            Group(host_port=b.host_port, guest_port=b.guest_port, bind=b.bind, protocol=b.protocol.value)
            for b in net.ports
        )
    if net.deny_domains:
        g["deny_domains"] = Array(net.deny_domains)
    if net.deny_domain_suffixes:
        g["deny_domain_suffixes"] = Array(net.deny_domain_suffixes)
    if net.dns is not None:
        g["dns"] = _dns_value(net.dns)
    if net.tls is not None:
        g["tls"] = _tls_value(net.tls)  # present, even empty, turns interception on
    for name in ("ipv4_pool", "ipv6_pool", "max_connections"):
        if getattr(net, name) is not None:
            g[name] = getattr(net, name)
    if net.on_secret_violation != ViolationAction.BLOCK_AND_LOG:
        g["on_secret_violation"] = violation_value(net.on_secret_violation)
    return g


def secret_value(s: SecretEntry) -> Group:
    g = Group(env_var=s.env_var)
    for name in ("value", "value_file", "value_env"):
        if getattr(s, name) is not None:
            g[name] = getattr(s, name)
    if s.allow_hosts:
        g["allow_hosts"] = Array(s.allow_hosts)
    if s.allow_host_patterns:
        g["allow_host_patterns"] = Array(s.allow_host_patterns)
    if s.placeholder is not None:
        g["placeholder"] = s.placeholder
    g["require_tls"] = s.require_tls
    if s.on_violation is not None:
        g["on_violation"] = violation_value(s.on_violation)
    if s.injection is not None:
        i = s.injection
        g["injection"] = Group(headers=i.headers, basic_auth=i.basic_auth, query_params=i.query_params, body=i.body)
    return g


def sandbox_value(sb: Sandbox) -> Group:
    g = Group(name=sb.name)
    if sb.port is not None:
        g["port"] = sb.port
    if sb.network is not None:
        g["network"] = network_value(sb.network)
    if sb.secrets:
        g["secrets"] = List(secret_value(s) for s in sb.secrets)
    return g


def gateway_value(gw: Gateway) -> Group:
    g = Group()
    if gw.eal:
        g["eal"] = Array(gw.eal)
    if gw.workers is not None:
        g["workers"] = Array(gw.workers)
    if gw.slow is not None:
        g["slow"] = Array(gw.slow)
    up = Group(device=gw.uplink.device, address=gw.uplink.address, next_hop=gw.uplink.next_hop)
    for name in ("address6", "next_hop6", "next_hop_mac"):
        if getattr(gw.uplink, name) is not None:
            up[name] = getattr(gw.uplink, name)
    g["uplink"] = up
    if gw.host_device is not None:
        g["host"] = Group(device=gw.host_device)
    if gw.nameservers:
        g["dns"] = Group(nameservers=Array(gw.nameservers))
    if gw.tls is not None:
        g["tls"] = Group((k, getattr(gw.tls, k)) for k in
                         ("ca_cert", "ca_key", "ca_cn", "state_dir", "upstream_ca_file")
                         if getattr(gw.tls, k) is not None)
    if gw.control_socket is not None:
        g["control"] = Group(socket=gw.control_socket)
    for name in ("flows", "mbufs"):
        if getattr(gw, name) is not None:
            g[name] = getattr(gw, name)
    if gw.floor is not None:
        g["floor"] = policy_value(gw.floor)
    return g


# ---- text --------------------------------------------------------------------------

HEADER = "# Written by the sbgw Python package (python/sbgw); check with: sbgw -t -c FILE\n"


def render_sandbox(sandbox: Sandbox) -> str:
    """One `sandboxes` entry, as the control socket's add/replace takes it."""
    if not isinstance(sandbox, Sandbox):
        raise TypeError(f"expected a Sandbox, got {type(sandbox).__name__}")
    return _format(sandbox_value(sandbox), 0) + "\n"


def network_body(network: Network) -> str:
    """The settings of a `network = { ... };` group without its braces (the control
    socket's "policy" command takes this)."""
    if not isinstance(network, Network):
        raise TypeError(f"expected a Network, got {type(network).__name__}")
    g = network_value(network)
    return "".join(f"{k} = {_format(v, 0)};\n" for k, v in g.items())


def render_config(gateway: Gateway, sandboxes: Sequence[Sandbox] = ()) -> str:
    """The whole configuration file: version, gateway, sandboxes in the given order."""
    if not isinstance(gateway, Gateway):
        raise TypeError(f"expected a Gateway, got {type(gateway).__name__}")
    sandboxes = tuple(sandboxes)
    seen: set[str] = set()
    for sb in sandboxes:
        if not isinstance(sb, Sandbox):
            raise TypeError(f"sandboxes: expected Sandbox values, got {type(sb).__name__}")
        if sb.name in seen:
            raise ValueError(f'duplicate sandbox name "{sb.name}"')
        seen.add(sb.name)
    parts = [HEADER, "version = 1;\n\n", f"gateway = {_format(gateway_value(gateway), 0)};\n"]
    if sandboxes:
        entries = ",\n".join(INDENT + _format(sandbox_value(sb), 1) for sb in sandboxes)
        parts.append(f"\nsandboxes = (\n{entries}\n);\n")
    return "".join(parts)


def write_config(path: str | os.PathLike[str], gateway: Gateway, sandboxes: Sequence[Sandbox] = ()) -> None:
    """Write the file atomically (a reader or SIGHUP never sees half of it), mode 0600.

    0600 because an inline secret value may be in it.
    """
    text = render_config(gateway, sandboxes)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".sbgw-", suffix=".conf", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
