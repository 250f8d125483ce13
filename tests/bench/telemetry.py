# SPDX-License-Identifier: BSD-3-Clause
"""A DPDK telemetry (v2 socket) client that stays connected, so that the
benchmarks can sample sbgw's counters every few milliseconds."""
import json
import os
import socket
import time


class Telemetry:
    def __init__(self, prefix, timeout=30.0):
        path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        info = json.loads(self.sock.recv(4096).decode())
        self.max_len = int(info.get("max_output_len", 16384))

    def query(self, cmd):
        self.sock.send(cmd.encode())
        reply = json.loads(self.sock.recv(self.max_len).decode())
        return reply[cmd.split(",")[0]]

    def close(self):
        self.sock.close()


def socket_path(prefix):
    return "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix


def exists(prefix):
    return os.path.exists(socket_path(prefix))
