#!/usr/bin/python3
"""The Python package's side of python_control_test.sh: write configurations and talk to the
control socket with sbgw.ControlClient. Each subcommand exits 0 when what it checks holds, else
prints why and exits 1.

usage: python_control.py SOCKET COMMAND ARGS...
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

from sbgw import (  # noqa: E402
    ControlClient,
    ControlError,
    Gateway,
    Network,
    NetworkPolicy,
    Rule,
    Sandbox,
    Uplink,
    write_config,
)

PUB = "203.0.113.10"


def beta_network(deny: str | None) -> Network:
    """public_only's rules with, optionally, one public address denied in front."""
    rules = (*Rule.allow_dns(),) + ((Rule.deny(destination=deny),) if deny else ()) + (Rule.allow(destination="public"),)
    return Network(policy=NetworkPolicy(rules=rules))


def write(path: str, sock: str, run_id: str, uplink: str, g0: str, g1: str, deny: str) -> None:
    gw = Gateway(
        uplink=Uplink(device=f"net_af_packet0,iface={uplink}", address="198.51.100.2/24", next_hop="198.51.100.1"),
        eal=("--no-huge", "--no-shconf", "-m", "768", "--no-pci", "--file-prefix", f"sbgwt-{run_id}",
             "--log-level", "*:warning"),
        workers=(1,),
        slow=(0,),
        flows=65536,
        control_socket=sock,
    )
    write_config(path, gw, [
        Sandbox("alpha", f"net_af_packet1,iface={g0}"),
        Sandbox("beta", f"net_af_packet2,iface={g1}", beta_network(deny if deny != "-" else None)),
    ])


def expect_error(call, needle: str) -> None:
    try:
        answer = call()
    except ControlError as e:
        print(e)
        if needle not in str(e):
            sys.exit(f"the error does not say {needle!r}")
        return
    sys.exit(f"accepted: {answer}")


def main() -> None:
    sock, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd == "write-config":
        write(*args)
        return
    with ControlClient(sock, timeout=20) as ctl:
        if cmd == "list":
            got = {s["name"]: s for s in ctl.list()}
            print(json.dumps(got))
            for name, ip in (("alpha", "172.16.0.2"), ("beta", "172.16.0.6")):
                if name not in got or ip not in json.dumps(got[name]["link"]):
                    sys.exit(f"{name} with {ip} missing")
        elif cmd == "deny-pub":
            answer = ctl.replace_policy("beta", beta_network(PUB), origin="python")
            print(answer)
            if answer.get("changed") != "beta":
                sys.exit("the answer does not name beta")
        elif cmd == "show-hits":
            sb = ctl.show("beta")
            print(json.dumps(sb["policy"]))
            hits = [r["hits"] for r in sb["policy"]["rules"] if f"deny egress to ip {PUB}" in r["rule"]]
            if not hits or hits[0] < 1:
                sys.exit("the deny rule has no hit")
        elif cmd == "bad-policy":
            # Text the Python classes would refuse to build, sent as text: the gateway must say why.
            bad = 'policy = { rules = ( { action = "allow"; port = "9000-8000"; } ); };'
            expect_error(lambda: ctl.replace_network("beta", bad, origin="bad.conf"), "range start must be <= end")
        elif cmd == "replace-public":
            g1 = args[0]
            print(ctl.replace(Sandbox("beta", f"net_af_packet2,iface={g1}", Network.public_only())))
        elif cmd == "add-existing":
            expect_error(lambda: ctl.add(Sandbox("alpha", "net_af_packet9,iface=none")), "already exists")
        elif cmd == "remove-unknown":
            expect_error(lambda: ctl.remove("nosuch"), 'no sandbox named "nosuch"')
        elif cmd == "reload":
            answer = ctl.reload()
            print(answer)
            if "beta" not in json.dumps(answer.get("changed")):
                sys.exit("the answer does not list beta as changed")
        else:
            sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
