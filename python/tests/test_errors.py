"""(c) Invalid input: the seed/semantics rejections raise Python errors with sbgw's message,
and sbgw rejects the same value written by hand with that same message; what only sbgw can
judge (files, environment, clashes between sandboxes) comes back from `sbgw -t` as
ConfigRejected with its messages."""

from __future__ import annotations

import os
import tempfile
import unittest

from sbgw import (
    ConfigRejected,
    Destination,
    Direction,
    DnsConfig,
    Network,
    NetworkDestination,
    NetworkPolicy,
    PortBinding,
    Protocol,
    Rule,
    Sandbox,
    Secret,
    TlsConfig,
    ViolationAction,
    ViolationPolicy,
    check_text,
    render_config,
)
from sbgw.render import _format, gateway_value

from seed_examples import GATEWAY, PORT
from support import run_sbgw, sbgw_binary


def _policy(rule: str) -> tuple[str, str]:
    return ("network", f"policy = {{ rules = ( {rule} ); }};")


# name, the Python that must fail, the same value written by hand (where: network | secrets |
# sandbox, text), the message both must give.
CASES = [
    ("port_range_reversed", lambda: Rule.allow(port="9000-8000"),
     _policy('{ action = "allow"; port = "9000-8000"; }'), '"9000-8000": range start must be <= end'),
    ("port_out_of_range", lambda: Rule.allow(port=70000),
     _policy('{ action = "allow"; port = 70000; }'), "70000: port must be in 0..65535"),
    ("port_not_a_number", lambda: Rule.allow(port="any"),
     _policy('{ action = "allow"; port = "any"; }'), '"any": invalid port; expected a number or a range "LO-HI"'),
    ("unknown_action", lambda: Rule("permit"),
     _policy('{ action = "permit"; }'), "unknown rule action: permit"),
    ("unknown_direction", lambda: Rule.allow(direction="inbound"),
     _policy('{ action = "allow"; direction = "inbound"; }'), "unknown direction: inbound"),
    ("unknown_protocol", lambda: Rule.allow(protocol="sctp"),
     _policy('{ action = "allow"; protocol = "sctp"; }'), "unknown protocol: sctp"),
    ("icmp_ingress", lambda: NetworkPolicy(rules=(Rule.allow(direction=Direction.INGRESS, protocol=Protocol.ICMPV4),)),
     _policy('{ action = "allow"; direction = "ingress"; protocol = "icmpv4"; }'),
     "rule #0: ICMP protocols are egress-only; ingress and any-direction rules cannot include icmpv4 or icmpv6"),
    ("wildcard_domain", lambda: Destination.domain("*.example.com"),
     _policy('{ action = "allow"; destination = { kind = "domain"; value = "*.example.com"; }; }'),
     'invalid domain "*.example.com": a "*" label never matches; write a suffix as ".example.com"'),
    ("wildcard_shorthand", lambda: Rule.deny(destination="*.example.com"),
     _policy('{ action = "deny"; destination = "*.example.com"; }'),
     'invalid domain "*.example.com": a "*" label never matches'),
    ("single_label_suffix", lambda: Destination.domain_suffix(".com"),
     _policy('{ action = "allow"; destination = { kind = "domain_suffix"; value = ".com"; }; }'),
     'invalid domain suffix ".com": suffix is a single DNS label and would match every domain under that TLD'),
    ("url_as_destination", lambda: Rule.allow(destination="https://example.com"),
     _policy('{ action = "allow"; destination = "https://example.com"; }'), 'invalid CIDR "https://example.com"'),
    ("host_and_port_as_domain", lambda: Rule.allow(destination="example.com:443"),
     _policy('{ action = "allow"; destination = "example.com:443"; }'),
     'invalid domain "example.com:443": domain name contains \':\'; write the name without a URL scheme or port'),
    ("bad_ip", lambda: Destination.ip("1.1.1"),
     _policy('{ action = "allow"; destination = { kind = "ip"; value = "1.1.1"; }; }'), 'invalid IP address "1.1.1"'),
    ("bad_cidr", lambda: Destination.cidr("10.0.0.0/33"),
     _policy('{ action = "allow"; destination = { kind = "cidr"; value = "10.0.0.0/33"; }; }'),
     'invalid CIDR "10.0.0.0/33"'),
    ("unknown_group", lambda: Destination.group("internet"),
     _policy('{ action = "allow"; destination = { kind = "group"; value = "internet"; }; }'),
     "unknown destination group: internet"),
    ("unknown_kind", lambda: NetworkDestination("ipv4", "1.1.1.1"),
     _policy('{ action = "allow"; destination = { kind = "ipv4"; value = "1.1.1.1"; }; }'),
     "unknown destination kind: ipv4"),
    ("kind_without_value", lambda: NetworkDestination("ip"),
     _policy('{ action = "allow"; destination = { kind = "ip"; }; }'),
     "destination is required for destination kind `ip`"),
    ("unknown_default_egress", lambda: NetworkPolicy(default_egress="block"),
     ("network", 'policy = { default_egress = "block"; };'), "unknown default_egress: block"),
    ("unknown_preset", lambda: Network(policy="public"),
     ("network", 'policy = "public";'), "unknown network policy preset: public"),
    ("deny_domain_with_space", lambda: Network(deny_domains=("bad domain.com",)),
     ("network", 'deny_domains = [ "bad domain.com" ];'),
     'deny_domains["bad domain.com"]: domain name contains whitespace'),
    ("deny_single_label_suffix", lambda: Network(deny_domain_suffixes=(".com",)),
     ("network", 'deny_domain_suffixes = [ ".com" ];'),
     'deny_domain_suffixes[".com"]: suffix is a single DNS label'),
    ("max_connections_too_high", lambda: Network(max_connections=5000),
     ("network", "max_connections = 5000;"), "max_connections 5000 exceeds hard limit 4096"),
    ("max_connections_negative", lambda: Network(max_connections=-1),
     ("network", "max_connections = -1;"), "max_connections must not be negative, got -1"),
    ("pool_too_small", lambda: Network(ipv4_pool="10.0.0.0/31"),
     ("network", 'ipv4_pool = "10.0.0.0/31";'), "invalid IPv4 pool `10.0.0.0/31`: prefix must be /30 or shorter"),
    ("pool_host_bits", lambda: Network(ipv4_pool="10.0.0.1/16"),
     ("network", 'ipv4_pool = "10.0.0.1/16";'),
     'invalid ipv4_pool "10.0.0.1/16": host bits are set (the network is 10.0.0.0/16)'),
    ("ipv6_pool_too_small", lambda: Network(ipv6_pool="fd00::/80"),
     ("network", 'ipv6_pool = "fd00::/80";'), "invalid IPv6 pool `fd00::/80`: prefix must be /64 or shorter"),
    ("ports_with_none", lambda: Network(policy="none", ports={8080: 80}),
     ("sandbox-none", 'network = { policy = "none"; ports = ( [ 8080, 80 ] ); };'),
     'ports cannot be published with policy "none": it attaches no network interface'),
    ("host_port_zero", lambda: PortBinding.tcp(0, 80),
     ("network", "ports = ( { host_port = 0; guest_port = 80; } );"), "port must be in 1..65535, got 0"),
    ("mapping_guest_port_zero", lambda: Network(ports={8080: 0}),
     ("network", "ports = ( [ 8080, 0 ] );"), "port must be in 1..65535, got 0"),
    ("bind_not_an_ip", lambda: PortBinding.tcp(8080, 80, bind="localhost"),
     ("network", 'ports = ( { host_port = 8080; guest_port = 80; bind = "localhost"; } );'),
     "invalid bind address: localhost"),
    ("port_protocol", lambda: PortBinding(8080, 80, protocol="sctp"),
     ("network", 'ports = ( { host_port = 8080; guest_port = 80; protocol = "sctp"; } );'),
     "invalid port protocol: sctp"),
    ("query_timeout_zero", lambda: DnsConfig(query_timeout_ms=0),
     ("network", "dns = { query_timeout_ms = 0; };"), "query_timeout_ms must be at least 1, got 0"),
    ("bad_nameserver", lambda: DnsConfig(nameservers=("1.1.1.1:abc",)),
     ("network", 'dns = { nameservers = [ "1.1.1.1:abc" ]; };'),
     'invalid nameserver "1.1.1.1:abc"; expected IP, IP:PORT, HOST, or HOST:PORT'),
    ("intercept_dns", lambda: TlsConfig(intercepted_ports=(53,)),
     ("network", "tls = { intercepted_ports = [ 53 ]; };"),
     "port 53 cannot be intercepted: it carries DNS, which the DNS interceptor handles"),
    ("intercept_twice", lambda: TlsConfig(intercepted_ports=(443, 443)),
     ("network", "tls = { intercepted_ports = [ 443, 443 ]; };"), "port 443 is listed twice"),
    ("ca_cert_without_key", lambda: TlsConfig(ca_cert="ca.pem"),
     ("network", 'tls = { ca_cert = "ca.pem"; };'), "ca_cert is set but ca_key is missing"),
    ("bypass_leading_dot", lambda: TlsConfig(bypass=(".example.com",)),
     ("network", 'tls = { bypass = [ ".example.com" ]; };'),
     'invalid bypass pattern ".example.com": a pattern cannot start with "."'),
    ("unknown_violation_action", lambda: Network(on_secret_violation="explode"),
     ("network", 'on_secret_violation = "explode";'), "unknown violation action: explode"),
    ("passthrough_fallback", lambda: ViolationPolicy(fallback=ViolationAction.PASSTHROUGH),
     ("network", 'on_secret_violation = { fallback = "passthrough"; };'),
     "passthrough fallback must be a blocking action"),
    ("fallback_with_passthrough_hosts",
     lambda: ViolationPolicy(fallback=ViolationAction.BLOCK, passthrough_hosts=("a.example.com",)),
     ("network", 'on_secret_violation = { fallback = "block"; passthrough_hosts = [ "a.example.com" ]; };'),
     "fallback has no effect together with passthrough hosts"),
    ("secret_without_hosts", lambda: Secret.env("API_KEY", value="k"),
     ("secrets", '{ env_var = "API_KEY"; value = "k"; }'),
     "requires at least one allowed host or allowed host pattern"),
    ("secret_env_var_with_equals", lambda: Secret.env("A=B", value="k", allow_hosts=("a.example.com",)),
     ("secrets", '{ env_var = "A=B"; value = "k"; allow_hosts = [ "a.example.com" ]; }'),
     "env_var must not contain `=`"),
    ("secret_pattern_in_hosts", lambda: Secret.env("K", value="k", allow_hosts=("*.example.com",)),
     ("secrets", '{ env_var = "K"; value = "k"; allow_hosts = [ "*.example.com" ]; }'),
     '"*.example.com" is a pattern; list it in allow_host_patterns'),
    ("secret_without_value", lambda: Secret.env("K", allow_hosts=("a.example.com",)),
     ("secrets", '{ env_var = "K"; allow_hosts = [ "a.example.com" ]; }'),
     "exactly one of value, value_file or value_env is required"),
    ("secret_long_placeholder", lambda: Secret.env("K", value="k", allow_hosts=("a.example.com",), placeholder="p" * 1025),
     ("secrets", '{ env_var = "K"; value = "k"; allow_hosts = [ "a.example.com" ]; placeholder = "' + "p" * 1025 + '"; }'),
     "placeholder must be at most 1024 bytes, got 1025"),
    ("secret_value_with_newline", lambda: Secret.env("K", value="a\nb", allow_hosts=("a.example.com",)),
     ("secrets", '{ env_var = "K"; value = "a\\nb"; allow_hosts = [ "a.example.com" ]; }'),
     "the secret value must not contain NUL, CR or LF"),
    ("sandbox_name", lambda: Sandbox("Api", PORT),
     ("sandbox-name", 'name = "Api";'), 'invalid sandbox name "Api": must match [a-z0-9][a-z0-9_-]{0,62}'),
    ("port_with_none", lambda: Sandbox("offline", PORT, Network.none()),
     ("sandbox", 'network = { policy = "none"; };'), 'policy "none" attaches no network interface; remove port'),
]


def _raw_file(where: str, text: str) -> str:
    """A whole file with text placed by hand (no Python checks) into sandbox "api"."""
    head = f"version = 1;\ngateway = {_format(gateway_value(GATEWAY), 0)};\n"
    if where == "network":
        entry = f'name = "api"; port = "{PORT}"; network = {{ {text} }};'
    elif where == "secrets":
        entry = f'name = "api"; port = "{PORT}"; secrets = ( {text} );'
    elif where == "sandbox":
        entry = f'name = "api"; port = "{PORT}"; {text}'
    elif where == "sandbox-none":
        entry = f'name = "api"; {text}'
    else:  # sandbox-name
        entry = f'port = "{PORT}"; {text}'
    return head + f"sandboxes = ( {{ {entry} }} );\n"


class PythonRejects(unittest.TestCase):
    """The Python object cannot be built; the message is sbgw's."""


class SbgwRejectsTheSame(unittest.TestCase):
    """The same value written by hand: sbgw -t says the same thing, so the Python check is
    neither stricter nor looser than the gateway (and the message is the same)."""


def _python_case(self, build, message):
    with self.assertRaises((ValueError, TypeError)) as cm:
        build()
    self.assertIn(message, str(cm.exception))


def _sbgw_case(self, where, text, message):
    proc = run_sbgw("-t", _raw_file(where, text))
    self.assertNotEqual(proc.returncode, 0, proc.stdout)
    self.assertIn(message, proc.stderr)


for _name, _build, (_where, _text), _message in CASES:
    setattr(PythonRejects, f"test_{_name}", lambda self, b=_build, m=_message: _python_case(self, b, m))
    setattr(SbgwRejectsTheSame, f"test_{_name}",
            lambda self, w=_where, t=_text, m=_message: _sbgw_case(self, w, t, m))


class TypeMistakes(unittest.TestCase):
    def test_string_where_a_tuple_is_expected(self):
        with self.assertRaisesRegex(TypeError, "deny_domains: expected a sequence of strings, got a single string"):
            Network(deny_domains="malware.example.com")

    def test_allow_dns_not_splatted(self):
        with self.assertRaisesRegex(TypeError, r"rules\[0\]: expected a Rule, got tuple \(splat Rule.allow_dns\(\) with \*\)"):
            NetworkPolicy(rules=(Rule.allow_dns(),))

    def test_ports_of_another_shape(self):
        with self.assertRaisesRegex(TypeError, "ports must be a mapping of host_port to guest_port or a sequence of PortBinding values"):
            Network(ports=[(8080, 80)])

    def test_bool_is_not_a_port(self):
        with self.assertRaisesRegex(TypeError, "port: expected an integer or a string, got bool"):
            Rule.allow(port=True)

    def test_sandbox_needs_a_port_unless_offline(self):
        with self.assertRaisesRegex(ValueError, 'sandbox "api": port is required'):
            Sandbox("api")

    def test_duplicate_sandbox_names(self):
        with self.assertRaisesRegex(ValueError, 'duplicate sandbox name "api"'):
            render_config(GATEWAY, [Sandbox("api", PORT), Sandbox("api", "net_af_packet2,iface=x")])


class OnlySbgwCanJudge(unittest.TestCase):
    """Checks that need the gateway's view: they come back as ConfigRejected with sbgw's lines."""

    def rejected(self, sandboxes, directory=None) -> list[str]:
        with self.assertRaises(ConfigRejected) as cm:
            check_text(render_config(GATEWAY, sandboxes), binary=sbgw_binary(), directory=directory)
        return cm.exception.messages

    def test_missing_ca_files(self):
        with tempfile.TemporaryDirectory() as d:
            tls = TlsConfig(ca_cert=os.path.join(d, "ca.pem"), ca_key=os.path.join(d, "ca.key"))
            msgs = self.rejected([Sandbox("api", PORT, Network(tls=tls))])
            self.assertTrue(any(f"failed to read intercept CA certificate `{d}/ca.pem`: No such file or directory" in m
                                for m in msgs), msgs)

    def test_unset_environment_variable(self):
        os.environ.pop("SBGW_PY_TEST_UNSET", None)
        secret = Secret.env("K", value_env="SBGW_PY_TEST_UNSET", allow_hosts=("api.example.com",))
        msgs = self.rejected([Sandbox("api", PORT, secrets=(secret,))])
        self.assertTrue(any('environment variable "SBGW_PY_TEST_UNSET" is not set' in m for m in msgs), msgs)

    def test_missing_value_file(self):
        secret = Secret.env("K", value_file="/nonexistent/sbgw-key", allow_hosts=("api.example.com",))
        msgs = self.rejected([Sandbox("api", PORT, secrets=(secret,))])
        self.assertTrue(any("cannot read value_file `/nonexistent/sbgw-key`: No such file or directory" in m
                            for m in msgs), msgs)

    def test_host_port_published_twice(self):
        msgs = self.rejected([Sandbox("a", PORT, Network(ports={8080: 80})),
                              Sandbox("b", "net_af_packet2,iface=sbgw-g1", Network(ports={8080: 81}))])
        self.assertTrue(any('host port 127.0.0.1:8080/tcp is already published by sandbox "a"' in m for m in msgs), msgs)

    def test_same_guest_port_twice(self):
        msgs = self.rejected([Sandbox("a", PORT), Sandbox("b", PORT)])
        self.assertTrue(any(f'port "{PORT}" is already the port of sandbox "a"' in m for m in msgs), msgs)

    def test_pool_exhausted(self):
        net = Network(ipv4_pool="10.9.0.0/30")
        msgs = self.rejected([Sandbox("a", PORT, net), Sandbox("b", "net_af_packet2,iface=sbgw-g1", net)])
        self.assertTrue(any("IPv4 pool 10.9.0.0/30 is exhausted" in m for m in msgs), msgs)

    def test_messages_name_file_and_line(self):
        msgs = self.rejected([Sandbox("a", PORT), Sandbox("b", PORT)])
        self.assertRegex(msgs[0], r"^.*sbgw-[^:]*\.conf:\d+: sandboxes\.\[1\]\.port: ")


if __name__ == "__main__":
    unittest.main()
