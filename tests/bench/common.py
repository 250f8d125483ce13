# SPDX-License-Identifier: BSD-3-Clause
"""What the benchmark's parts share: the rig's constants, the processes it
started (so that a failure or ^C ends exactly those), small helpers."""
import os
import signal
import statistics
import subprocess
import sys
import time

TESTPMD = "dpdk-testpmd"
PREFIX = "sbgwbench"  # EAL file prefix of every process we start
WORKER_LCORE = 1
MAIN_LCORE = 0
BURST = 32  # SBGW_BURST
NEXT_HOP_MAC = "02:00:5e:00:01:01"
UPLINK_ADDR = "198.51.100.2/24"
NEXT_HOP = "198.51.100.1"


# sbgw's own pool for n ports and w workers (startup.c): ports * 2048 * w + w * (256 + 128 + 4096).


def base_mbufs(ports, workers=1):
    return ports * 2048 * workers + workers * (256 + 2 * 64 + 4096)


def round_up(n, to=1024):
    return (n + to - 1) // to * to


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


class Procs:
    """Every process we start, so that a failure or ^C ends exactly those."""

    def __init__(self):
        self.live = []

    def start(self, cmd, **kw):
        p = subprocess.Popen(cmd, **kw)
        self.live.append(p)
        return p

    def stop(self, p, sig=signal.SIGINT, timeout=30):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.live:
            self.live.remove(p)

    def stop_all(self):
        for p in list(self.live):
            self.stop(p, signal.SIGTERM, 10)


PROCS = Procs()


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    raise RuntimeError("timed out waiting for " + what)


def file_has(path, text):
    try:
        with open(path, errors="replace") as f:
            return text in f.read()
    except OSError:
        return False


def lcore_cpu_seconds(pid, lcore=WORKER_LCORE):
    """CPU time (user + system) so far of a DPDK process's worker thread for
    lcore (named rte-worker-N): the time it actually ran, which the TSC
    accounting cannot tell from time it spent preempted. None if not found."""
    tck = os.sysconf("SC_CLK_TCK")
    want = "rte-worker-%d" % lcore
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            base = "/proc/%d/task/%s/" % (pid, tid)
            with open(base + "comm") as f:
                if f.read().strip() != want:
                    continue
            with open(base + "stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tck
    except OSError:
        return None
    return None


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def sh(*cmd, check=True, ns=None):
    if ns:
        cmd = ("ip", "netns", "exec", ns) + cmd
    return subprocess.run(cmd, check=check, capture_output=True, text=True).stdout
