"""Value checks shared by the dataclasses: the seed's grammars, with sbgw's messages.

Each check raises ValueError (or TypeError for a wrong type) whose text is
the message `sbgw -t` would print for the same value, prefixed with the
field, so a mistake is reported when the object is built rather than when
the rendered file reaches the gateway. What only the gateway can judge
(files, environment, clashes between sandboxes, pool exhaustion) is left
to `sbgw -t` (see sbgw.gatewaycheck).
"""

from __future__ import annotations

import ipaddress
import re

# Semantics §1.5.3: text form of a name whose wire form fits 255 octets.
NAME_TEXT_MAX = 253
LABEL_MAX = 63
PLACEHOLDER_MAX = 1024
MAX_CONNECTIONS_MAX = 4096
QUERY_TIMEOUT_MAX_MS = 3_600_000
CA_CN_MAX = 64
SANDBOX_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")

WILDCARD_REASON = 'a "*" label never matches; write a suffix as ".example.com"'
SINGLE_LABEL_REASON = (
    "suffix is a single DNS label and would match every domain under that TLD; "
    "add at least one parent label"
)

_WHITESPACE = " \t\n\r\v\f"
_CHAR_REASONS = {
    "*": WILDCARD_REASON,
    ":": "domain name contains ':'; write the name without a URL scheme or port",
    "@": "domain name contains '@'; write the host name without user information",
    "/": "domain name contains '/'; write the host name without a URL path "
    "(networks are written as CIDR destinations)",
    "?": "domain name contains '?'; write the host name without a URL query",
    "#": "domain name contains '#'; write the host name without a URL fragment",
}


def quote(text: str) -> str:
    """A value inside a message: quotes, backslashes and control bytes escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def expect_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a string, got {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{what}: {quote(value)!s} contains a NUL character")
    return value


def expect_int(value: object, what: str) -> int:
    # bool is an int subclass, but True is never meant as port 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what}: expected an integer, got {type(value).__name__}")
    return value


def expect_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what}: expected a boolean, got {type(value).__name__}")
    return value


def str_tuple(value: object, what: str) -> tuple[str, ...]:
    """A tuple of strings from any sequence; a bare string is a mistake, not a list of letters."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what}: expected a sequence of strings, got a single string")
    try:
        items = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{what}: expected a sequence of strings, got {type(value).__name__}") from None
    for i, item in enumerate(items):
        expect_str(item, f"{what}[{i}]")
    return items


def domain_reason(text: str) -> str | None:
    """Why text is not a domain name (semantics §1.5.3), or None when it is.

    Non-ASCII names are left to sbgw, which converts them to A-labels with
    libidn2 (IDNA 2008); Python's own codec implements IDNA 2003 and would
    judge some names differently.
    """
    name = text.strip(".")
    if not name:
        return "domain name is empty"
    for ch in name:
        if ch.isascii() and not (ch.isalnum() or ch in "-_."):
            if ch in _WHITESPACE:
                return "domain name contains whitespace"
            return _CHAR_REASONS.get(
                ch, "domain name contains a character other than letters, digits, '-', '_' and '.'"
            )
        if not ch.isascii() and ch.isspace():
            return "domain name contains whitespace"
    if not name.isascii():
        return None
    if len(name) > NAME_TEXT_MAX:
        return "domain name is longer than 253 characters"
    for label in name.split("."):
        if not label:
            return "domain name has an empty label (two dots in a row)"
        if len(label) > LABEL_MAX:
            return "a domain name label is longer than 63 characters"
    return None


def suffix_reason(text: str) -> str | None:
    reason = domain_reason(text)
    if reason is None and text.strip(".").isascii() and "." not in text.strip("."):
        return SINGLE_LABEL_REASON
    return reason


def check_domain(text: object, what: str) -> str:
    text = expect_str(text, what)
    reason = domain_reason(text)
    if reason is not None:
        raise ValueError(f'{what}: invalid domain "{quote(text)}": {reason}')
    return text


def check_suffix(text: object, what: str) -> str:
    text = expect_str(text, what)
    reason = suffix_reason(text)
    if reason is not None:
        raise ValueError(f'{what}: invalid domain suffix "{quote(text)}": {reason}')
    return text


def host_pattern_reason(text: str) -> str | None:
    """A TLS bypass / secret host pattern: "*.suffix" or an exact name."""
    if text.startswith("*."):
        return domain_reason(text[2:])
    if text.startswith("."):
        return 'a pattern cannot start with "."; write "*.example.com" for a domain and its subdomains'
    return domain_reason(text)


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if "%" in text:  # scope ids are host-local, never a policy address
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def check_ip(text: object, what: str) -> str:
    text = expect_str(text, what)
    if parse_ip(text) is None:
        raise ValueError(f'{what}: invalid IP address "{quote(text)}"')
    return text


def check_cidr(text: object, what: str) -> str:
    """addr/len or a bare address; host bits may be set (semantics §1.5.1)."""
    text = expect_str(text, what)
    addr, sep, length = text.partition("/")
    ok = parse_ip(addr) is not None
    if ok and sep:
        ok = length.isdigit() and length.isascii() and (
            int(length) <= (32 if ":" not in addr else 128)
        )
    if not ok:
        raise ValueError(f'{what}: invalid CIDR "{quote(text)}"')
    return text


def check_rule_port(port: object, what: str) -> int | str:
    """Rule.port: an integer 0..65535, "N" or "LO-HI" (deviation D3: ranges, errors)."""
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        raise TypeError(f"{what}: expected an integer or a string, got {type(port).__name__}")
    if isinstance(port, int):
        if not 0 <= port <= 65535:
            raise ValueError(f"{what}: {port}: port must be in 0..65535")
        return port
    m = re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", port, flags=re.ASCII)
    if m is None:
        raise ValueError(f'{what}: "{quote(port)}": invalid port; expected a number or a range "LO-HI"')
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) is not None else lo
    if lo > 65535 or hi > 65535:
        raise ValueError(f'{what}: "{port}": port must be in 0..65535')
    if lo > hi:
        raise ValueError(f'{what}: "{port}": range start must be <= end')
    return port


def check_bound_port(port: object, what: str) -> int:
    """A published or intercepted port: 1..65535 (Q26 rejects 0)."""
    port = expect_int(port, what)
    if not 1 <= port <= 65535:
        raise ValueError(f"{what}: port must be in 1..65535, got {port}")
    return port


def check_pool(text: object, what: str, version: int) -> str:
    text = expect_str(text, what)
    example, longest = ("172.16.0.0/12", 30) if version == 4 else ("fd42:6d73:62::/48", 64)
    fam = f"IPv{version}"
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        net = None
    if net is None or net.version != version or "/" not in text:
        raise ValueError(f'invalid {what} "{quote(text)}": expected an {fam} network such as {example}')
    if net.prefixlen > longest:
        raise ValueError(f"invalid {fam} pool `{text}`: prefix must be /{longest} or shorter")
    if net.network_address != ipaddress.ip_address(text.split("/")[0]):
        raise ValueError(f'invalid {what} "{text}": host bits are set (the network is {net})')
    return text


def nameserver_ok(text: str) -> bool:
    """Semantics §1.9 forms: IP:PORT, [v6]:PORT, IP, HOST:PORT, HOST (port 1..65535)."""

    def port_ok(p: str) -> bool:
        return p.isdigit() and p.isascii() and 1 <= int(p) <= 65535

    if text.startswith("["):
        inner, sep, rest = text[1:].partition("]")
        ip = parse_ip(inner)
        return bool(sep) and ip is not None and ip.version == 6 and rest.startswith(":") and port_ok(rest[1:])
    if parse_ip(text) is not None:
        return True
    host, colon, port = text.rpartition(":")
    if colon:
        if parse_ip(host) is not None:
            return parse_ip(host).version == 4 and port_ok(port)  # type: ignore[union-attr]
        if not host or ":" in host or not port_ok(port):
            return False
        return domain_reason(host) is None
    return domain_reason(text) is None
