"""Client of sbgw's control socket (gateway.control.socket): JSON lines over a unix stream socket.

The protocol (lib/control/protocol.h): one JSON object per line each way,
one response line per request, in order.

    {"cmd": "list"}                                     sandboxes and their addresses
    {"cmd": "show", "name": NAME}                       addresses, counters, rule hits, flows
    {"cmd": "policy", "name": NAME, "network": TEXT}    new network settings for a sandbox
    {"cmd": "replace", "sandbox": TEXT}                 a sandbox by a whole new definition
    {"cmd": "add", "sandbox": TEXT}
    {"cmd": "remove", "name": NAME}
    {"cmd": "reload"}                                   re-read the configuration file

Responses are {"ok": true, ...} or {"ok": false, "error": MESSAGE,
"details": [LINE, ...]}; the latter raises ControlError. A rejected change
leaves the running configuration as it was.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from .gateway import Sandbox
from .network import Network
from .render import network_body, render_sandbox

DEFAULT_SOCKET = "/run/sbgw/control.sock"
# lib/control/protocol.h: the longest line either side accepts (4 MiB).
LINE_MAX = 4 << 20


class ControlError(Exception):
    """The gateway refused a request; details are its `ORIGIN:LINE: path: message` lines."""

    def __init__(self, error: str, details: list[str] | None = None, response: dict | None = None):
        self.error = error
        self.details = list(details or [])
        self.response = response or {}
        text = error if not self.details else error + "\n" + "\n".join(self.details)
        super().__init__(text)


class ControlClient:
    """One connection to the control socket; requests are answered in order.

        with ControlClient("/run/sbgw/control.sock") as ctl:
            print(ctl.list())
            ctl.replace_network("api", Network(policy=policy))
    """

    def __init__(self, path: str = DEFAULT_SOCKET, timeout: float | None = 30.0):
        self.path = path
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buf = b""

    # -- connection --------------------------------------------------------------

    def connect(self) -> ControlClient:
        if self._sock is None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.timeout)
            try:
                s.connect(self.path)
            except OSError:
                s.close()
                raise
            self._sock = s
        return self

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            self._buf = b""

    def __enter__(self) -> ControlClient:
        return self.connect()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the protocol ------------------------------------------------------------

    def request(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Send one request object, return the response object; ControlError when not ok."""
        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        if len(line) > LINE_MAX:
            raise ValueError(f"request is {len(line)} bytes; the control socket takes at most {LINE_MAX}")
        sock = self.connect()._sock
        assert sock is not None
        sock.sendall(line)
        response = json.loads(self._read_line())
        if not isinstance(response, dict):
            raise ControlError(f"unexpected response: {response!r}")
        if response.get("ok") is not True:
            raise ControlError(str(response.get("error", "request failed")), response.get("details"), response)
        return response

    def _read_line(self) -> bytes:
        assert self._sock is not None
        while b"\n" not in self._buf:
            chunk = self._sock.recv(65536)
            if not chunk:
                self.close()
                raise ConnectionError("the gateway closed the control connection")
            self._buf += chunk
            if len(self._buf) > LINE_MAX:
                self.close()
                raise ConnectionError("response line longer than the protocol allows")
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    # -- commands ----------------------------------------------------------------

    def list(self) -> list[dict[str, Any]]:
        """Every sandbox: name, port, link (addresses, MAC, MTU), policy label."""
        return self.request({"cmd": "list"})["sandboxes"]

    def show(self, name: str) -> dict[str, Any]:
        """One sandbox: link, counters, policy with per-rule hits, a sample of its flows."""
        return self.request({"cmd": "show", "name": name})["sandbox"]

    def replace_network(self, name: str, network: Network | str, origin: str | None = None) -> dict[str, Any]:
        """New network settings (policy, ports, DNS, TLS, ...) for a running sandbox.

        The whole `network` group is replaced, as if the file's
        `network = { ... };` of that sandbox were rewritten; its name, port
        and secrets stay. network is a Network, or libconfig text (what goes
        between the braces) for callers that hold text already.
        """
        if isinstance(network, Network):
            if network.is_offline:
                raise ValueError('policy "none" attaches no network interface; a running sandbox cannot switch to it '
                                 "(replace the sandbox instead)")
            text = network_body(network)
        elif isinstance(network, str):
            text = network
        else:
            raise TypeError(f"network: expected a Network or libconfig text, got {type(network).__name__} "
                            "(a NetworkPolicy goes in Network(policy=...))")
        return self.request(self._with_origin({"cmd": "policy", "name": name, "network": text}, origin))

    replace_policy = replace_network  # the name for it

    def replace(self, sandbox: Sandbox | str, origin: str | None = None) -> dict[str, Any]:
        """Replace the running sandbox of the same name by this definition."""
        return self.request(self._with_origin({"cmd": "replace", "sandbox": _sandbox_text(sandbox)}, origin))

    def add(self, sandbox: Sandbox | str, origin: str | None = None) -> dict[str, Any]:
        """Add a sandbox (its name must be new)."""
        return self.request(self._with_origin({"cmd": "add", "sandbox": _sandbox_text(sandbox)}, origin))

    def remove(self, name: str) -> dict[str, Any]:
        return self.request({"cmd": "remove", "name": name})

    def reload(self) -> dict[str, Any]:
        """Re-read the configuration file (like SIGHUP); the answer says what changed."""
        return self.request({"cmd": "reload"})

    @staticmethod
    def _with_origin(obj: dict[str, Any], origin: str | None) -> dict[str, Any]:
        if origin is not None:
            obj["origin"] = origin
        return obj


def _sandbox_text(sandbox: Sandbox | str) -> str:
    if isinstance(sandbox, Sandbox):
        return render_sandbox(sandbox)
    if isinstance(sandbox, str):
        return sandbox
    raise TypeError(f"sandbox: expected a Sandbox or libconfig text, got {type(sandbox).__name__}")
