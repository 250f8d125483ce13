"""sbgw: the seed's Python network API, rendered into sbgw's configuration file.

    from sbgw import *
    policy = NetworkPolicy(default_egress=Action.DENY,
                           rules=(*Rule.allow_dns(),
                                  Rule.allow(protocol=Protocol.TCP, port=443,
                                             destination=Destination.group(DestGroup.PUBLIC))))
    text = render_config(gateway, [Sandbox("api", "net_vhost0,iface=/run/api.sock",
                                           Network(policy=policy, ports=(PortBinding.tcp(8080, 80),)))])
"""

from .control import ControlClient, ControlError
from .gateway import Gateway, GatewayTls, Sandbox, Uplink
from .network import (
    Action,
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
    TlsConfig,
)
from .render import network_body, render_config, render_sandbox, write_config
from .sbgwtool import ConfigRejected, check_file, check_text, dump_file, dump_text
from .secrets import Secret, SecretEntry, SecretInjection, ViolationAction, ViolationPolicy

__all__ = [
    "Action", "ConfigRejected", "ControlClient", "ControlError", "DestGroup", "Destination", "Direction", "DnsConfig", "Gateway",
    "GatewayTls", "Network", "NetworkDestination", "NetworkPolicy", "PortBinding", "PortProtocol",
    "Protocol", "Rule", "Sandbox", "Secret", "SecretEntry", "SecretInjection", "TlsConfig", "Uplink",
    "ViolationAction", "ViolationPolicy", "check_file", "check_text", "dump_file", "dump_text", "network_body",
    "render_config", "render_sandbox", "write_config",
]
