"""The Python checks accept exactly what sbgw accepts: a corpus of awkward values per field,
each judged by the Python constructor and by `sbgw -t` on one hand-written file (one rule,
list element or sandbox per value, so sbgw's error paths say which values it refused)."""

from __future__ import annotations

import re
import unittest

from sbgw import DnsConfig, Network, Rule, TlsConfig
from sbgw.render import _format, gateway_value, quote

from seed_examples import GATEWAY, PORT
from support import run_sbgw

DESTINATIONS = [
    "*", "public", "Public", "link_local", "link-local", "host", "domain=public", "suffix=example.com",
    "suffix=com", ".com", ".example.com", "..example.com", "example.com.", "10.0.0.0/8", "10.0.0.5/8",
    "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/", "/8", "::/0", "fe80::1%eth0", "1.1.1.1", "01.1.1.1", "1.1.1",
    "::ffff:10.1.2.3", "2001:db8::1", "2001:db8::/129", "exa mple.com", "example.com:443", "user@example.com",
    "a..b", "-a.com", "_srv._tcp.example.com", "x" * 63 + ".com", "x" * 64 + ".com", "bücher.example",
    "*.example.com", "a.*.com", "example.com/path", "domain=", "suffix=", "domain=*.x.com", "ex!ample.com",
    "1.2.3.4.5", "999.1.1.1", "localhost", ("a" * 62 + ".") * 4 + "com", "example.com?q", "example.com#f",
]
PORTS = [0, 65535, 65536, -1, "0", "443", "0443", "1-2", "2-1", "1-65536", " 80", "80 ", "80-", "-80", "+80",
         "0x50", "1-1", "65535-65535", "99999999999999999999"]
NAMESERVERS = [
    "1.1.1.1", "1.1.1.1:53", "1.1.1.1:0", "1.1.1.1:65536", "[::1]:53", "::1", "[::1]", "[1.1.1.1]:53",
    "ns.example:53", "ns.example", "ns..example", ":53", "host:port", "2001:db8::1:53", "a b", "1.1.1.1:abc",
    "ns.example:053", "[2001:db8::1]:5353",
]
POOLS = ["10.0.0.0/8", "10.0.0.0", "192.168.7.0/30", "10.0.0.0/31", "10.0.0.1/8", "fd00::/48", "10.0.0.0/08",
         " 10.0.0.0/8", "10.0.0.0/-1"]
BYPASS = ["*.gov", "gov", ".gov", "*.", "*", "*.*.gov", "a*.gov", "example.com", "EXAMPLE.com", "*.bücher.example",
          "example.com:443"]


def _accepts(build) -> bool:
    try:
        build()
    except (ValueError, TypeError):
        return False
    return True


def _scalar(v) -> str:
    return str(v) if isinstance(v, int) else quote(v)


def _sbgw_refused(entries: list[str], path: re.Pattern) -> tuple[set[int], str]:
    """Indices sbgw refuses, from the `sandboxes...[i]...` paths of its messages."""
    head = f"version = 1;\ngateway = {_format(gateway_value(GATEWAY), 0)};\n"
    text = head + "sandboxes = (\n" + ",\n".join(entries) + "\n);\n"
    proc = run_sbgw("-t", text)
    return {int(m.group(1)) for m in path.finditer(proc.stderr)}, proc.stderr


class SameVerdicts(unittest.TestCase):
    maxDiff = None

    def compare(self, values, python_build, entries, path):
        refused, stderr = _sbgw_refused(entries, re.compile(path))
        python = {v: _accepts(lambda v=v: python_build(v)) for v in values}
        differ = [(v, python[v], i not in refused) for i, v in enumerate(values) if python[v] != (i not in refused)]
        self.assertEqual(differ, [], "value, python accepts, sbgw accepts\n" + stderr)
        self.assertTrue(refused and len(refused) < len(values), "the corpus must hold good and bad values")

    def _rules(self, values, key):
        rules = ", ".join(f'{{ action = "allow"; {key} = {_scalar(v)}; }}' for v in values)
        return [f'{{ name = "api"; port = "{PORT}"; network = {{ policy = {{ rules = ( {rules} ); }}; }}; }}']

    def test_destination_shorthand(self):
        self.compare(DESTINATIONS, lambda v: Rule.allow(destination=v), self._rules(DESTINATIONS, "destination"),
                     r"rules\.\[(\d+)\]\.destination:")

    def test_rule_port(self):
        self.compare(PORTS, lambda v: Rule.allow(port=v), self._rules(PORTS, "port"), r"rules\.\[(\d+)\]\.port:")

    def test_nameservers(self):
        names = ", ".join(quote(v) for v in NAMESERVERS)
        entry = f'{{ name = "api"; port = "{PORT}"; network = {{ dns = {{ nameservers = [ {names} ]; }}; }}; }}'
        self.compare(NAMESERVERS, lambda v: DnsConfig(nameservers=(v,)), [entry], r"nameservers\.\[(\d+)\]:")

    def test_tls_bypass(self):
        names = ", ".join(quote(v) for v in BYPASS)
        entry = f'{{ name = "api"; port = "{PORT}"; network = {{ tls = {{ bypass = [ {names} ]; }}; }}; }}'
        self.compare(BYPASS, lambda v: TlsConfig(bypass=(v,)), [entry], r"bypass\.\[(\d+)\]:")

    def test_ipv4_pool(self):
        entries = [f'{{ name = "s{i}"; port = "net_af_packet{i + 1},iface=p{i}"; network = {{ ipv4_pool = {quote(v)}; }}; }}'
                   for i, v in enumerate(POOLS)]
        self.compare(POOLS, lambda v: Network(ipv4_pool=v), entries, r"sandboxes\.\[(\d+)\]\.network\.ipv4_pool:")


if __name__ == "__main__":
    unittest.main()
