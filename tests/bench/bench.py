#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sbgw's benchmarks: every case, one table. Run through tests/bench/run.sh
(which builds what it needs); the method is in docs/benchmarks.md.

Rigs:
  est      established flows, guest -> uplink: net_pcap (infinite_rx) into the
           guest port, net_null (no-rx) as the uplink, one worker on lcore 1;
           dpdk-testpmd io / mac / 5tswap on the same vdevs, pcap, mbuf count,
           burst and core as the ceilings, alternated with sbgw in pairs
  rev      established flows, uplink -> guest: the remote side's replies to
           the NAT ports sbgw chose (learnt in a warm-up run) replayed into
           the uplink, the guest port the sink
  new      every packet opens a flow until the table holds 1,000,000, under
           policies of 10, 1,000 and 10,000 rules (the matching rule last)
  workers  two workers, two guests, replies injected into both uplink
           queues: every reply must reach its own guest, none lost
  e2e      dpdk-testpmd txonly on net_virtio_user into sbgw's net_vhost guest
           port (as a VM would), and the same into dpdk-testpmd io
  kernel   veth + nftables masquerade + conntrack in a router namespace,
           driven by mausezahn; router CPU time per packet
  profile  the -Dprofile=true build: cycles per packet per fast-path stage
  serve-sbgw, serve-testpmd
           not a case: the e2e rig's forwarder on its vhost-user socket for an
           external generator (Pktgen-DPDK), Mpps and cycles every second
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mkpcap  # noqa: E402
from common import (BURST, MAIN_LCORE, NEXT_HOP, NEXT_HOP_MAC, PREFIX, PROCS, TESTPMD,  # noqa: E402
                    UPLINK_ADDR, WORKER_LCORE, base_mbufs, file_has, lcore_cpu_seconds, log, med,
                    round_up, sh, wait_for)
from kernel import case_kernel  # noqa: E402
from report import table  # noqa: E402
from telemetry import Telemetry  # noqa: E402


RUNTIME_DIR = "/var/run/dpdk"  # DPDK's runtime directory for root
TSC_HZ = float("nan")  # the TSC rate, as the first dpdk-testpmd run reports it


class Hugepages:
    """Reserve 2 MiB pages for the run; give them back and remove our files after."""

    MNT = "/dev/hugepages"

    def __init__(self, pages):
        self.nr_path = "/proc/sys/vm/nr_hugepages"
        self.orig = int(open(self.nr_path).read())
        self.mounted = False
        if not any(l.split()[2] == "hugetlbfs" for l in open("/proc/mounts")):
            os.makedirs(self.MNT, exist_ok=True)
            subprocess.run(["mount", "-t", "hugetlbfs", "nodev", self.MNT], check=True)
            self.mounted = True
        self.mnt = [l.split()[1] for l in open("/proc/mounts") if l.split()[2] == "hugetlbfs"][0]
        if self.orig < pages:
            with open(self.nr_path, "w") as f:
                f.write(str(pages))
        self.pages = int(open(self.nr_path).read())
        log("hugepages: %d x 2 MiB reserved (was %d), mounted at %s" % (self.pages, self.orig, self.mnt))
        if self.pages < pages:
            log("warning: only %d of %d hugepages could be reserved" % (self.pages, pages))

    @staticmethod
    def remove_runtime_dirs():
        """DPDK leaves each file prefix's runtime directory (its config, fbarray
        and telemetry socket) in /var/run/dpdk: remove ours once our
        processes have ended."""
        for name in os.listdir(RUNTIME_DIR) if os.path.isdir(RUNTIME_DIR) else []:
            if name == PREFIX or name.startswith(PREFIX + "-"):
                shutil.rmtree(os.path.join(RUNTIME_DIR, name), ignore_errors=True)

    def remove_files(self):
        for name in os.listdir(self.mnt):
            if name.startswith(PREFIX):
                try:
                    os.unlink(os.path.join(self.mnt, name))
                except OSError:
                    pass

    def release(self):
        self.remove_files()
        self.remove_runtime_dirs()
        with open(self.nr_path, "w") as f:
            f.write(str(self.orig))
        if self.mounted:
            subprocess.run(["umount", self.MNT], check=False)
        log("hugepages: files and %s/%s* removed, reservation back to %d" % (RUNTIME_DIR, PREFIX, self.orig))


# ---------------------------------------------------------------- testpmd


def testpmd_args(prefix, vdevs, lcores=None, unlink=True, extra_eal=()):
    eal = [TESTPMD]
    eal += ["--lcores", lcores] if lcores else ["-l", "%d,%d" % (MAIN_LCORE, WORKER_LCORE), "--main-lcore", str(MAIN_LCORE)]
    eal += ["--file-prefix", prefix, "--no-pci", "--log-level", "*:warning"]
    if unlink:
        eal.append("--huge-unlink")
    eal += list(extra_eal)
    for v in vdevs:
        eal += ["--vdev", v]
    return eal


def run_testpmd(cfg, mode, vdevs, mbufs, warm, dur, tag):
    """A forwarder on lcore 1: Mpps over the window (testpmd's own Rx-pps) and
    its busy cycles per packet (--record-core-cycles) over the same window."""
    logf = os.path.join(cfg.work, "testpmd-%s.log" % tag)
    cmd = testpmd_args(PREFIX + "-tp", vdevs) + [
        "--", "-i", "--forward-mode=" + mode, "--nb-cores=1", "--burst=%d" % BURST,
        "--rxd=1024", "--txd=1024", "--total-num-mbufs=%d" % mbufs, "--mbcache=256",
        "--record-core-cycles"]
    with open(logf, "w") as out:
        p = PROCS.start(["stdbuf", "-oL"] + cmd, stdin=subprocess.PIPE, stdout=out,
                        stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: file_has(logf, "Checking link statuses") or p.poll() is not None, 120,
             "testpmd to start")
    if p.poll() is not None:
        raise RuntimeError("testpmd failed, see " + logf)

    def send(s):
        p.stdin.write(s + "\n")
        p.stdin.flush()

    send("start")
    time.sleep(warm)
    send("stop")
    send("start")
    send("show port stats all")
    cpu0 = lcore_cpu_seconds(p.pid)
    time.sleep(dur)
    cpu1 = lcore_cpu_seconds(p.pid)
    send("show port stats all")
    send("stop")
    send("quit")
    p.stdin.close()
    p.wait(60)
    PROCS.live.remove(p)
    text = open(logf, errors="replace").read()
    cyc = re.findall(r"CPU cycles/packet=([\d.]+) \((?:busy|total) cycles=(\d+) / total \S+ packets=(\d+)\)", text)
    pps = re.findall(r"Rx-pps:\s+(\d+)", text)
    tpps = re.findall(r"Tx-pps:\s+(\d+)", text)
    if not cyc or len(pps) < 4:
        raise RuntimeError("testpmd: no statistics in " + logf)
    nports = len(vdevs)
    rx = sum(int(x) for x in pps[-nports:])
    tx = sum(int(x) for x in tpps[-nports:])
    c, pk = int(cyc[-1][1]), int(cyc[-1][2])
    mhz = re.findall(r"at (\d+) MHz Clock", text)
    if mhz:
        global TSC_HZ
        TSC_HZ = float(mhz[-1]) * 1e6
    # CPU time of the forwarding lcore per packet, for packets at the window's rate.
    cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    return {"fwd": "testpmd " + mode, "mpps": rx / 1e6, "tx_mpps": tx / 1e6,
            "cpp": c / pk if pk else float("nan"),
            "cpu_cpp": cpu * TSC_HZ / (rx * dur) if cpu and rx else float("nan")}


# ------------------------------------------------------------------- sbgw


def sbgw_conf(cfg, sandboxes, uplink, mbufs, workers=(WORKER_LCORE,), eal_extra=(), flows=None,
              unlink=True):
    eal = ["--file-prefix", PREFIX, "--no-pci", "--log-level", "*:warning"]
    if unlink:
        eal.append("--huge-unlink")
    eal += list(eal_extra)
    lines = ["version = 1;", "gateway = {",
             "\teal = [ %s ];" % ", ".join('"%s"' % a for a in eal),
             "\tworkers = [ %s ];" % ", ".join(str(w) for w in workers),
             "\tslow = [ %d ];" % MAIN_LCORE,
             "\tuplink = {", '\t\tdevice = "%s";' % uplink, '\t\taddress = "%s";' % UPLINK_ADDR,
             '\t\tnext_hop = "%s";' % NEXT_HOP, '\t\tnext_hop_mac = "%s";' % NEXT_HOP_MAC, "\t};",
             '\tcontrol = { socket = "%s/control.sock"; };' % cfg.work,
             "\tmbufs = %d;" % mbufs]
    if flows:
        lines.append("\tflows = %d;" % flows)
    lines += ["};", "sandboxes = ("]
    for i, (name, port, policy) in enumerate(sandboxes):
        lines += ["\t{", '\t\tname = "%s";' % name, '\t\tport = "%s";' % port,
                  "\t\tnetwork = {", "\t\t\tmax_connections = 4096;"]
        if policy:
            lines.append("\t\t\tpolicy = %s;" % policy)
        lines += ["\t\t};", "\t}" + ("," if i + 1 < len(sandboxes) else "")]
    lines.append(");")
    return "\n".join(lines) + "\n"


class Sbgw:
    def __init__(self, cfg, conf, tag, binary=None, preload=False, netns=None):
        self.cfg = cfg
        self.conf = os.path.join(cfg.work, "sbgw-%s.conf" % tag)
        self.logf = os.path.join(cfg.work, "sbgw-%s.log" % tag)
        with open(self.conf, "w") as f:
            f.write(conf)
        env = dict(os.environ)
        if preload:
            env["LD_PRELOAD"] = cfg.seed_shim
        cmd = [binary or cfg.sbgw, "-c", self.conf]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        with open(self.logf, "w") as out:
            self.p = PROCS.start(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        wait_for(lambda: file_has(self.logf, "sbgw: running") or self.p.poll() is not None, 300,
                 "sbgw to start")
        if self.p.poll() is not None:
            raise RuntimeError("sbgw failed to start: %s" % open(self.logf).read()[-2000:])
        self.tel = Telemetry(PREFIX)
        self.sandboxes = [s for s in self.tel.query("/sbgw/sandboxes")]

    def sample(self):
        t = time.monotonic()
        s = {"t": t, "cpu": lcore_cpu_seconds(self.p.pid), "workers": self.tel.query("/sbgw/workers"),
             "uplink": self.tel.query("/sbgw/uplink")}
        s["sandbox"] = {n: self.tel.query("/sbgw/sandbox," + n) for n in self.sandboxes}
        return s

    def stop(self):
        self.tel.close()
        PROCS.stop(self.p)
        if self.p.returncode not in (0, None):
            log("sbgw exited with %s, see %s" % (self.p.returncode, self.logf))


def wsum(s, key):
    return sum(w[key] for w in s["workers"].values())


def drops_delta(a, b):
    """Drop reasons that grew between two samples, summed over uplink and sandboxes."""
    out = {}

    def add(d0, d1):
        for k, v in d1.items():
            dv = v - d0.get(k, 0)
            if dv:
                out[k] = out.get(k, 0) + dv
    add(a["uplink"]["drops"], b["uplink"]["drops"])
    for n in b["sandbox"]:
        add(a["sandbox"][n]["drops"], b["sandbox"][n]["drops"])
    return out


def window(a, b):
    dt = b["t"] - a["t"]
    dp = wsum(b, "busy_packets") - wsum(a, "busy_packets")
    dc = wsum(b, "busy_cycles") - wsum(a, "busy_cycles")
    tx = b["uplink"]["tx_packets"] - a["uplink"]["tx_packets"]
    tg = sum(b["sandbox"][n]["to_guest_packets"] - a["sandbox"][n]["to_guest_packets"] for n in b["sandbox"])
    cpu = b["cpu"] - a["cpu"] if a.get("cpu") is not None and b.get("cpu") is not None else None
    # CPU time of the worker per packet (its busy loops; idle polls add to it only when
    # the replay starves the worker, which the rig never does).
    return {"fwd": "sbgw", "mpps": dp / dt / 1e6, "cpp": dc / dp if dp else float("nan"),
            "cpu_cpp": cpu * TSC_HZ / dp if cpu and dp else float("nan"),
            "tx_mpps": (tx + tg) / dt / 1e6, "drops": drops_delta(a, b), "packets": dp}


def run_sbgw_window(cfg, conf, tag, warm, dur, binary=None, preload=False):
    g = Sbgw(cfg, conf, tag, binary, preload)
    try:
        time.sleep(warm)
        a = g.sample()
        time.sleep(dur)
        b = g.sample()
    finally:
        g.stop()
    r = window(a, b)
    r["samples"] = (a, b)
    return r


# ------------------------------------------------------------------ pcaps


def pcap(cfg, name, *args):
    path = os.path.join(cfg.pcaps, name)
    if not os.path.exists(path):
        out = subprocess.run([sys.executable, os.path.join(HERE, "mkpcap.py")] + list(args) + [path],
                             check=True, capture_output=True, text=True).stdout
        log(out.strip())
    return path


def pcap_count(path):
    return sum(1 for _ in mkpcap.read_pcap(path))


def empty_pcap(cfg):
    path = os.path.join(cfg.pcaps, "empty.pcap")
    if not os.path.exists(path):
        mkpcap.Writer(path).close()
    return path


# ------------------------------------------------------------ statistics


def pair_summary(runs, ceilings):
    """runs: list of per-pair dicts {fwd: result}. Per-pair ratios sbgw / ceiling."""
    out = {}
    for fwd in ["sbgw", "sbgw before"] + ["testpmd " + c for c in ceilings]:
        vals = [r[fwd] for r in runs if fwd in r]
        if not vals:
            continue
        out[fwd] = {"mpps": med([v["mpps"] for v in vals]), "cpp": med([v["cpp"] for v in vals]),
                    "mpps_min": min(v["mpps"] for v in vals), "mpps_max": max(v["mpps"] for v in vals),
                    "cpp_min": min(v["cpp"] for v in vals), "cpp_max": max(v["cpp"] for v in vals)}
    ratios = {}
    for c in ceilings:
        rs = [r["sbgw"]["cpp"] / r["testpmd " + c]["cpp"] for r in runs]
        ratios[c] = {"median": med(rs), "min": min(rs), "max": max(rs)}
        cs = [r["sbgw"].get("cpu_cpp", float("nan")) / r["testpmd " + c].get("cpu_cpp", float("nan"))
              for r in runs]
        ratios[c]["cpu_median"] = med(cs)
        if all("sbgw before" in r for r in runs):
            bs = [r["sbgw before"]["cpp"] / r["testpmd " + c]["cpp"] for r in runs]
            ratios[c]["before"] = {"median": med(bs), "min": min(bs), "max": max(bs)}
            ratios[c]["before"]["cpu_median"] = med(
                [r["sbgw before"].get("cpu_cpp", float("nan")) / r["testpmd " + c].get("cpu_cpp", float("nan"))
                 for r in runs])
    for fwd in out:
        out[fwd]["cpu_cpp"] = med([r[fwd].get("cpu_cpp", float("nan")) for r in runs if fwd in r])
    return out, ratios


# ------------------------------------------------------------------ cases


def est_cases(cfg):
    cases = [("udp", 64, 1), ("udp", 64, 1000), ("udp", 64, 128000),
             ("tcp", 64, 1), ("tcp", 64, 1000), ("udp", 1518, 1000)]
    if cfg.only_est:
        want = set(cfg.only_est.split(","))
        cases = [c for c in cases if "%s%d-%d" % c in want]
    return cases


def case_est(cfg, proto, size, flows):
    name = "%s%d-%d" % (proto, size, flows)
    f = pcap(cfg, "guest-%s.pcap" % name, "guest", "--proto", proto, "--size", str(size), "--flows", str(flows))
    n = pcap_count(f)
    mbufs = base_mbufs(2) + round_up(n)
    guest = "net_pcap0,rx_pcap=%s,infinite_rx=1" % f
    uplink = "net_null0,no-rx=1"
    conf = sbgw_conf(cfg, [("bench", guest, None)], uplink, mbufs)
    runs = []
    for pair in range(cfg.pairs):
        r = {}
        for mode in cfg.ceilings:
            r["testpmd " + mode] = run_testpmd(cfg, mode, [guest, uplink], mbufs, cfg.warm, cfg.dur,
                                               "%s-%s-%d" % (name, mode, pair))
        if cfg.sbgw_before:
            r["sbgw before"] = run_sbgw_window(cfg, conf, "%s-before-%d" % (name, pair), cfg.warm,
                                               cfg.dur, binary=cfg.sbgw_before)
        r["sbgw"] = run_sbgw_window(cfg, conf, "%s-%d" % (name, pair), cfg.warm, cfg.dur)
        if r["sbgw"]["drops"]:
            log("%s pair %d: sbgw dropped %s" % (name, pair, r["sbgw"]["drops"]))
        log("%s pair %d: %s" % (name, pair, ", ".join(
            "%s %.2f Mpps %.0f c/p (CPU time %.0f)" % (k, v["mpps"], v["cpp"], v.get("cpu_cpp", float("nan")))
            for k, v in r.items())))
        runs.append(r)
    fw, ratios = pair_summary(runs, cfg.ceilings)
    return {"case": name, "dir": "guest->uplink", "proto": proto, "size": size, "flows": flows,
            "pcap_packets": n, "mbufs": mbufs, "fwd": fw, "ratios": ratios,
            "drops": sum((list(r["sbgw"]["drops"].items()) for r in runs), []),
            "runs": [{k: {kk: vv for kk, vv in v.items() if kk != "samples"} for k, v in r.items()} for r in runs]}


def learn_nat(cfg, opens, flows, tag):
    """Warm-up run: sbgw creates the flows of opens once; its uplink output,
    captured, tells the NAT ports; the replies to them are the measured pcap."""
    cap = os.path.join(cfg.work, "uplink-%s.pcap" % tag)
    if os.path.exists(cap):
        os.unlink(cap)
    conf = sbgw_conf(cfg, [("bench", "net_pcap0,rx_pcap=%s" % opens, None)],
                     "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (empty_pcap(cfg), cap),
                     base_mbufs(2) + 1024)
    g = Sbgw(cfg, conf, "warmup-" + tag, preload=True)
    try:
        wait_for(lambda: g.tel.query("/sbgw/uplink")["tx_packets"] >= flows, 60, "the warm-up flows")
    finally:
        g.stop()
    return cap


def case_rev(cfg, flows):
    name = "udp64-%d" % flows
    opens = pcap(cfg, "opens-%s.pcap" % name, "guest", "--flows", str(flows), "--packets", str(flows))
    cap = learn_nat(cfg, opens, flows, name)
    rep = os.path.join(cfg.pcaps, "replies-%s.pcap" % name)
    subprocess.run([sys.executable, os.path.join(HERE, "mkpcap.py"), "replies", cap, rep],
                   check=True, capture_output=True)
    n = pcap_count(rep)
    mbufs = base_mbufs(2) + round_up(n)
    guest = "net_pcap0,rx_pcap=%s" % opens
    uplink = "net_pcap1,rx_pcap=%s,infinite_rx=1" % rep
    conf = sbgw_conf(cfg, [("bench", guest, None)], uplink, mbufs)
    runs = []
    for pair in range(cfg.pairs):
        r = {}
        for mode in cfg.ceilings:
            r["testpmd " + mode] = run_testpmd(cfg, mode, [guest, uplink], mbufs, cfg.warm, cfg.dur,
                                               "rev-%s-%s-%d" % (name, mode, pair))
        r["sbgw"] = run_sbgw_window(cfg, conf, "rev-%s-%d" % (name, pair), cfg.warm, cfg.dur, preload=True)
        d = r["sbgw"]["drops"]
        if d:
            log("rev %s pair %d: sbgw dropped %s (no_flow: the NAT ports did not repeat)" % (name, pair, d))
        log("rev %s pair %d: %s" % (name, pair, ", ".join(
            "%s %.2f Mpps %.0f c/p" % (k, v["mpps"], v["cpp"]) for k, v in r.items())))
        runs.append(r)
    fw, ratios = pair_summary(runs, cfg.ceilings)
    return {"case": "rev-" + name, "dir": "uplink->guest", "proto": "udp", "size": 64, "flows": flows,
            "pcap_packets": n, "mbufs": mbufs, "fwd": fw, "ratios": ratios,
            "drops": sum((list(r["sbgw"]["drops"].items()) for r in runs), []),
            "runs": [{k: {kk: vv for kk, vv in v.items() if kk != "samples"} for k, v in r.items()} for r in runs]}


def policy_text(n_rules, seed=1):
    """n_rules rules; only the last one matches the benchmark's traffic
    (UDP to 203.0.113.0/24); the others deny or allow other destinations."""
    rnd = random.Random(seed)
    rules = []
    for i in range(n_rules - 1):
        proto = rnd.choice(("tcp", "udp"))
        plen = rnd.choice((16, 20, 24, 28, 32))
        net = (198 << 24) | (18 << 16) | rnd.randrange(1 << 17)  # 198.18.0.0/15
        net &= ~((1 << (32 - plen)) - 1) & 0xFFFFFFFF
        dst = "%d.%d.%d.%d/%d" % (net >> 24, (net >> 16) & 255, (net >> 8) & 255, net & 255, plen)
        port = rnd.randrange(1, 65536)
        rules.append('{ action = "%s"; protocol = "%s"; port = %d; destination = "%s"; }'
                     % (rnd.choice(("allow", "deny")), proto, port, dst))
    rules.append('{ action = "allow"; protocol = "udp"; destination = "203.0.113.0/24"; }')
    return '{ default_egress = "deny"; rules = (\n\t\t\t\t%s ); }' % ",\n\t\t\t\t".join(rules)


def case_new(cfg, n_rules, rep, binary=None, tag="new"):
    total = cfg.new_flows
    f = pcap(cfg, "new-udp64-%d.pcap" % total, "guest", "--flows", str(total), "--packets", str(total))
    mbufs = base_mbufs(2) + round_up(total)
    conf = sbgw_conf(cfg, [("bench", "net_pcap0,rx_pcap=%s,infinite_rx=1" % f, policy_text(n_rules))],
                     "net_null0,no-rx=1", mbufs, flows=1048576)
    g = Sbgw(cfg, conf, "%s-%d-%d" % (tag, n_rules, rep), binary=binary)
    samples = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            s = g.sample()
            samples.append(s)
            if wsum(s, "live_flows") >= total:
                break
            time.sleep(0.005)
        # The replay's second pass: the same packets, now 1,000,000 established flows.
        time.sleep(0.5)
        a = g.sample()
        time.sleep(min(cfg.dur, 3))
        b = g.sample()
    finally:
        g.stop()
    lo, hi = 0.05 * total, 0.95 * total
    inside = [s for s in samples if lo <= wsum(s, "live_flows") <= hi]
    if len(inside) < 2:
        raise RuntimeError("new flows: too few samples during the fill (%d)" % len(inside))
    s0, s1 = inside[0], inside[-1]
    dflows = wsum(s1, "live_flows") - wsum(s0, "live_flows")
    dpk = wsum(s1, "busy_packets") - wsum(s0, "busy_packets")
    dcy = wsum(s1, "busy_cycles") - wsum(s0, "busy_cycles")
    est = window(a, b)
    return {"rules": n_rules, "flows_per_s": dflows / (s1["t"] - s0["t"]), "cpf": dcy / max(dflows, 1),
            "new_share": dflows / max(dpk, 1), "fill_drops": drops_delta(samples[0], samples[-1]),
            "live": wsum(samples[-1], "live_flows"), "est_mpps": est["mpps"], "est_cpp": est["cpp"],
            "samples": (s0, s1)}


def case_new_all(cfg):
    out = []
    for n_rules in cfg.rules:
        reps = [case_new(cfg, n_rules, i) for i in range(cfg.new_reps)]
        for r in reps:
            log("new flows, %d rules: %.2f M flows/s, %.0f cycles/flow, then %.2f Mpps at 1M flows"
                % (n_rules, r["flows_per_s"] / 1e6, r["cpf"], r["est_mpps"]))
        out.append({"rules": n_rules,
                    "flows_per_s": med([r["flows_per_s"] for r in reps]),
                    "flows_per_s_min": min(r["flows_per_s"] for r in reps),
                    "flows_per_s_max": max(r["flows_per_s"] for r in reps),
                    "cpf": med([r["cpf"] for r in reps]),
                    "cpf_min": min(r["cpf"] for r in reps), "cpf_max": max(r["cpf"] for r in reps),
                    "est_mpps": med([r["est_mpps"] for r in reps]), "est_cpp": med([r["est_cpp"] for r in reps]),
                    "drops": [r["fill_drops"] for r in reps], "live": [r["live"] for r in reps]})
    return out


# --------------------------------------------------------------- workers


def case_workers(cfg, flows=1000):
    """Two guests on two workers (lcore 1 on core 1, lcore 2 on core 0 beside
    the main lcore). Each guest opens `flows` flows; the remote side's reply
    to every flow is injected twice, once into each uplink queue, so half of
    them arrive at the worker that does not own the flow and must be handed
    over. Every reply must reach its own guest, addressed to the port that
    opened it; none may be lost or reach the other guest."""
    ns = "sbgwbench-w"
    sh("ip", "netns", "add", ns)
    try:
        for i in range(2):
            sh("ip", "link", "add", "bq%d" % i, "type", "veth", "peer", "name", "bp%d" % i, ns=ns)
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
        sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
        for i in range(2):
            sh("ip", "link", "set", "bq%d" % i, "up", ns=ns)
            sh("ip", "link", "set", "bp%d" % i, "up", ns=ns)
        opens = [pcap(cfg, "opens-slot%d-%d.pcap" % (s, flows), "guest", "--slot", str(s), "--flows",
                      str(flows), "--packets", str(flows), "--seed", str(0x1000 + s)) for s in range(2)]
        outs = [os.path.join(cfg.work, "workers-guest%d.pcap" % s) for s in range(2)]
        ups = [os.path.join(cfg.work, "workers-uplink%d.pcap" % q) for q in range(2)]
        for p in outs + ups:
            if os.path.exists(p):
                os.unlink(p)
        sbs = [("w%d" % s, "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (s, opens[s], outs[s]), None) for s in range(2)]
        uplink = "net_pcap9,rx_iface_in=bq0,rx_iface_in=bq1,tx_pcap=%s,tx_pcap=%s" % tuple(ups)
        conf = sbgw_conf(cfg, sbs, uplink, base_mbufs(3, 2) + 2048, workers=(1, 2),
                         eal_extra=("--lcores", "0@0,1@1,2@0"))
        g = Sbgw(cfg, conf, "workers", netns=ns)
        try:
            wait_for(lambda: g.tel.query("/sbgw/uplink")["tx_packets"] >= 2 * flows, 60, "both guests' flows")
            time.sleep(0.2)
            # Which worker sent each flow out, and which NAT port it chose.
            per_q = [list(mkpcap.read_pcap(u)) for u in ups]
            owner_ok = True
            replies = []
            for q, frames in enumerate(per_q):
                for fr in frames:
                    t = mkpcap.parse_l4(fr)
                    if t is None:
                        continue
                    proto, src, dst, sport, dport = t
                    slice_q = 0 if sport < 1024 + (65536 - 1024) // 2 else 1
                    owner_ok &= slice_q == q
                    replies.append(mkpcap.frame(fr[6:12], fr[0:6], dst, src, proto, dport, sport, len(fr) + 4, 0x10))
            # AF_PACKET sockets must be opened inside the namespace: a helper does it.
            inj = os.path.join(cfg.work, "workers-inject.bin")
            with open(inj, "wb") as fo:
                for r in replies:
                    fo.write(struct.pack("!H", len(r)) + r)
            helper = ("import socket,struct,sys,time\n"
                      "d=open(sys.argv[1],'rb').read();fr=[];o=0\n"
                      "while o<len(d):\n n=struct.unpack('!H',d[o:o+2])[0];fr.append(d[o+2:o+2+n]);o+=2+n\n"
                      "ss=[socket.socket(socket.AF_PACKET,socket.SOCK_RAW) for _ in range(2)]\n"
                      "[s.bind(('bp%d'%i,0)) for i,s in enumerate(ss)]\n"
                      "for k,f in enumerate(fr):\n ss[0].send(f);ss[1].send(f)\n if k%10==9: time.sleep(0.003)\n")
            sh(sys.executable, "-c", helper, inj, ns=ns)
            sent = 2 * len(replies)
            want = sent
            try:
                wait_for(lambda: sum(g.tel.query("/sbgw/sandbox,w%d" % s)["to_guest_packets"] for s in range(2)) >= want,
                         30, "the replies to reach the guests")
            except RuntimeError:
                pass
            time.sleep(0.3)
            fin = g.sample()
        finally:
            g.stop()
        # Every reply at its own guest, to the flow that opened it.
        opened = []
        for s in range(2):
            fl = set()
            for fr in mkpcap.read_pcap(opens[s]):
                proto, src, dst, sport, dport = mkpcap.parse_l4(fr)
                fl.add((proto, dst, src, dport, sport))  # as the reply reads
            opened.append(fl)
        got = [0, 0]
        wrong = 0
        per_flow = {}
        for s in range(2):
            gw_mac, guest_mac, guest_ip = mkpcap.slot_addrs(s)
            for fr in mkpcap.read_pcap(outs[s]):
                t = mkpcap.parse_l4(fr)
                if t is None:
                    continue
                got[s] += 1
                key = t
                if fr[0:6] != guest_mac or fr[6:12] != gw_mac or key not in opened[s]:
                    wrong += 1
                per_flow[(s,) + key] = per_flow.get((s,) + key, 0) + 1
        complete = sum(1 for s in range(2) for k in opened[s] if per_flow.get((s,) + k, 0) == 2)
        handed = {k: v["handed_off"] for k, v in fin["workers"].items()}
        drops = {}
        drops.update({"uplink." + k: v for k, v in fin["uplink"]["drops"].items()})
        for n, sb in fin["sandbox"].items():
            drops.update({n + "." + k: v for k, v in sb["drops"].items()})
        uplink_rx = fin["uplink"]["rx_packets"]
        return {"flows_per_guest": flows, "uplink_frames": sum(len(x) for x in per_q), "uplink_rx": uplink_rx,
                "nat_port_in_owner_slice": owner_ok, "replies_sent": sent, "delivered": got,
                "misdelivered": wrong, "flows_with_both_replies": complete, "handed_off": handed,
                "drops": drops,
                "ok": owner_ok and wrong == 0 and sum(got) == uplink_rx and not drops}
    finally:
        sh("ip", "netns", "del", ns, check=False)


# ------------------------------------------------------------------- e2e


def case_e2e(cfg):
    """testpmd txonly (lcore on core 0) -> net_virtio_user -> vhost-user ->
    sbgw's net_vhost guest port (worker on core 1) -> net_null; then the same
    generator into dpdk-testpmd io (on core 1) with the same vdevs."""
    sock = os.path.join(cfg.work, "vhost0.sock")
    mbufs = base_mbufs(2)
    guest = "net_vhost0,iface=%s,queues=1" % sock
    uplink = "net_null0,no-rx=1"

    def generator():
        args = testpmd_args(PREFIX + "-gen", ["net_virtio_user0,path=%s,queues=1,queue_size=1024,mac=02:6d:73:00:00:02" % sock],
                            lcores="2@0,3@0", unlink=False, extra_eal=["--single-file-segments"])
        args += ["--", "--forward-mode=txonly", "--txpkts=60", "--tx-ip=172.16.0.2,203.0.113.1",
                 "--tx-udp=1024,1024", "--eth-peer=0,02:6d:73:00:00:01", "--nb-cores=1",
                 "--burst=%d" % BURST, "--txd=1024", "--rxd=1024", "--auto-start", "--stats-period=1"]
        logf = os.path.join(cfg.work, "generator.log")
        out = open(logf, "w")
        p = PROCS.start(args, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
        return p

    runs = []
    for pair in range(cfg.e2e_pairs):
        r = {}
        # sbgw
        if os.path.exists(sock):
            os.unlink(sock)
        conf = sbgw_conf(cfg, [("bench", guest, None)], uplink, mbufs)
        g = Sbgw(cfg, conf, "e2e-%d" % pair)
        gen = generator()
        try:
            time.sleep(cfg.warm + 2)
            a = g.sample()
            time.sleep(cfg.dur)
            b = g.sample()
        finally:
            PROCS.stop(gen)
            g.stop()
        r["sbgw"] = window(a, b)
        # testpmd io with the same vdevs
        if os.path.exists(sock):
            os.unlink(sock)
        logf = os.path.join(cfg.work, "testpmd-e2e-%d.log" % pair)
        cmd = testpmd_args(PREFIX + "-tp", [guest, uplink]) + [
            "--", "-i", "--forward-mode=io", "--nb-cores=1", "--burst=%d" % BURST, "--rxd=1024",
            "--txd=1024", "--total-num-mbufs=%d" % mbufs, "--mbcache=256", "--record-core-cycles"]
        with open(logf, "w") as out:
            p = PROCS.start(["stdbuf", "-oL"] + cmd, stdin=subprocess.PIPE, stdout=out,
                            stderr=subprocess.STDOUT, text=True)
        wait_for(lambda: file_has(logf, "Checking link statuses") or p.poll() is not None, 60, "testpmd")
        p.stdin.write("start\n")
        p.stdin.flush()
        gen = generator()
        try:
            time.sleep(cfg.warm + 2)
            for c in ("stop", "start", "show port stats all"):
                p.stdin.write(c + "\n")
            p.stdin.flush()
            time.sleep(cfg.dur)
            for c in ("show port stats all", "stop", "quit"):
                p.stdin.write(c + "\n")
            p.stdin.flush()
            p.stdin.close()
            p.wait(60)
            PROCS.live.remove(p)
        finally:
            PROCS.stop(gen)
        text = open(logf, errors="replace").read()
        cyc = re.findall(r"CPU cycles/packet=([\d.]+) \((?:busy|total) cycles=(\d+) / total \S+ packets=(\d+)\)", text)
        pps = re.findall(r"Rx-pps:\s+(\d+)", text)
        c, pk = int(cyc[-1][1]), int(cyc[-1][2])
        r["testpmd io"] = {"fwd": "testpmd io", "mpps": sum(int(x) for x in pps[-2:]) / 1e6, "cpp": c / pk}
        log("e2e pair %d: %s" % (pair, ", ".join("%s %.2f Mpps %.0f c/p" % (k, v["mpps"], v["cpp"]) for k, v in r.items())))
        runs.append(r)
    fw, ratios = pair_summary(runs, ["io"])
    return {"fwd": fw, "ratios": ratios,
            "drops": [r["sbgw"]["drops"] for r in runs]}


def serve_vhost(cfg, forwarder="sbgw"):
    """For an external generator such as Pktgen-DPDK: the e2e rig's forwarder
    (sbgw, or testpmd io) on its vhost-user socket, a line per second of
    Mpps and busy cycles per packet, until ^C."""
    sock = os.path.join(cfg.work, "vhost0.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    guest = "net_vhost0,iface=%s,queues=1" % sock
    uplink = "net_null0,no-rx=1"
    if forwarder != "sbgw":
        cmd = testpmd_args(PREFIX + "-tp", [guest, uplink]) + [
            "--", "--forward-mode=io", "--nb-cores=1", "--burst=%d" % BURST, "--rxd=1024", "--txd=1024",
            "--total-num-mbufs=%d" % base_mbufs(2), "--mbcache=256", "--record-core-cycles", "--auto-start",
            "--stats-period=1"]
        log("testpmd io on %s (worker CPU %d); ^C prints its cycles/packet" % (sock, WORKER_LCORE))
        subprocess.run(cmd)
        return
    g = Sbgw(cfg, sbgw_conf(cfg, [("bench", guest, None)], uplink, base_mbufs(2)), "serve")
    log("sbgw serves %s: guest 172.16.0.2 MAC 02:6d:73:00:00:02, gateway MAC 02:6d:73:00:00:01; "
        "send UDP or TCP to 203.0.113.0/24. ^C (or SIGTERM) stops." % sock)
    try:
        a = g.sample()
        while True:
            time.sleep(1)
            b = g.sample()
            w = window(a, b)
            if w["packets"]:
                print("%.3f Mpps, %.0f busy cycles/packet, drops %s" % (w["mpps"], w["cpp"], w["drops"] or "none"),
                      flush=True)
            else:
                print("idle (no packets), drops %s" % (w["drops"] or "none"), flush=True)
            a = b
    except KeyboardInterrupt:
        pass
    finally:
        g.stop()


# --------------------------------------------------------------- profile


def profile_of(a, b):
    w0, w1 = list(a["workers"].values())[0], list(b["workers"].values())[0]
    if "profile" not in w1:
        raise RuntimeError("this sbgw has no profile counters (build with -Dprofile=true)")
    pk = w1["busy_packets"] - w0["busy_packets"]
    if "profile_loops" in w1:
        # Preempted loops are left out of the stages: count only the packets of the others.
        kept = w1["profile_loops"] - w0["profile_loops"]
        dropped = w1["profile_loops_preempted"] - w0["profile_loops_preempted"]
        pk = pk * kept / (kept + dropped) if kept + dropped else pk
    stages = {}
    for name, v in w1["profile"].items():
        cyc = v["cycles"] - w0["profile"][name]["cycles"]
        calls = v["calls"] - w0["profile"][name]["calls"]
        stages[name] = {"cpp": cyc / pk, "calls": calls, "per_call": cyc / calls if calls else 0.0}
    return {"stages": stages, "total_cpp": (w1["busy_cycles"] - w0["busy_cycles"]) / pk}


def case_profile(cfg):
    """Each case twice in a row: the release build (its total) and the
    profile build (its stages); the difference of the totals is the marks' cost."""
    out = []
    wanted = cfg.profile_cases.split(",")
    for proto, size, flows in (("udp", 64, 1), ("udp", 64, 1000), ("udp", 64, 128000)):
        if str(flows) not in wanted:
            continue
        name = "%s%d-%d" % (proto, size, flows)
        f = pcap(cfg, "guest-%s.pcap" % name, "guest", "--proto", proto, "--size", str(size), "--flows", str(flows))
        mbufs = base_mbufs(2) + round_up(pcap_count(f))
        conf = sbgw_conf(cfg, [("bench", "net_pcap0,rx_pcap=%s,infinite_rx=1" % f, None)], "net_null0,no-rx=1", mbufs)
        rel = run_sbgw_window(cfg, conf, "profile-rel-" + name, cfg.warm, min(cfg.dur, 5))
        r = run_sbgw_window(cfg, conf, "profile-" + name, cfg.warm, min(cfg.dur, 5), binary=cfg.sbgw_profile)
        p = profile_of(*r["samples"])
        p["case"] = "guest->uplink UDP 64 B, %d flows" % flows
        p["release_cpp"] = rel["cpp"]
        out.append(p)
        log("profile %s: %s" % (name, ", ".join("%s %.0f" % (k, v["cpp"]) for k, v in p["stages"].items())))
    # New flows: the fill phase, 10 rules.
    if "new" not in wanted:
        return out
    rel = case_new(cfg, 10, 0, tag="profile-new-rel")
    r = case_new(cfg, 10, 0, binary=cfg.sbgw_profile, tag="profile-new")
    p = profile_of(*r["samples"])
    p["case"] = "new flows (fill to %d), 10 rules" % cfg.new_flows
    s0, s1 = rel["samples"]
    p["release_cpp"] = (wsum(s1, "busy_cycles") - wsum(s0, "busy_cycles")) / (wsum(s1, "busy_packets") - wsum(s0, "busy_packets"))
    out.append(p)
    log("profile new flows: %s" % ", ".join("%s %.0f" % (k, v["cpp"]) for k, v in p["stages"].items()))
    return out


def busy_others():
    """Other programs using a CPU when a run starts or ends (the load they put on our cores)."""
    out = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    hot = []
    for line in out.splitlines()[1:8]:
        f = line.split(None, 2)
        if len(f) == 3 and float(f[1]) >= 20 and str(os.getpid()) != f[0]:
            hot.append("%s (%s %%)" % (f[2], f[1]))
    return hot


def machine():
    model = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    dpdk = (subprocess.run(["dpkg-query", "-W", "-f=${Version}", "dpdk"], capture_output=True, text=True).stdout or "?")
    return {"cpu": model, "cpus": os.cpu_count(), "kernel": platform.release(), "dpdk": dpdk,
            "loadavg": open("/proc/loadavg").read().split()[:3], "host": platform.node(),
            "busy_others": busy_others()}


# ------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbgw", required=True, help="release build of sbgw")
    ap.add_argument("--sbgw-profile", help="the -Dprofile=true build (for 'profile')")
    ap.add_argument("--sbgw-before", help="another sbgw (an earlier tree's release build): 'est' runs "
                    "it in every pair too, beside the ceilings and --sbgw")
    ap.add_argument("--seed-shim", help="bench_fixed_seed.so (for 'rev')")
    ap.add_argument("--work", default="/tmp/sbgw-bench")
    ap.add_argument("--cases", default="est,rev,new,workers,e2e,kernel,profile")
    ap.add_argument("--only-est", help="est cases, e.g. udp64-1000,tcp64-1")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--dur", type=float, default=10.0)
    ap.add_argument("--warm", type=float, default=1.0)
    ap.add_argument("--ceilings", default="io,mac,5tswap")
    ap.add_argument("--rules", default="10,1000,10000")
    ap.add_argument("--new-flows", type=int, default=1000000)
    ap.add_argument("--profile-cases", default="1,1000,128000,new",
                    help="what 'profile' runs: flow counts of the established case, 'new'")
    ap.add_argument("--new-reps", type=int, default=3)
    ap.add_argument("--e2e-pairs", type=int, default=3)
    ap.add_argument("--kernel-dur", type=float, default=10.0)
    ap.add_argument("--kernel-reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="2 pairs of 3 s: a smoke run, not a result")
    ap.add_argument("--hugepages", type=int, default=2048)
    ap.add_argument("--out", help="write the table (markdown) here too")
    cfg = ap.parse_args()
    if cfg.quick:
        cfg.pairs, cfg.dur, cfg.new_reps, cfg.e2e_pairs, cfg.kernel_dur, cfg.kernel_reps = 2, 3.0, 1, 1, 3.0, 1
    cfg.ceilings = cfg.ceilings.split(",")
    cfg.rules = [int(x) for x in cfg.rules.split(",")]
    cfg.pcaps = os.path.join(cfg.work, "pcaps")
    os.makedirs(cfg.pcaps, exist_ok=True)
    cases = cfg.cases.split(",")
    res = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "machine": machine(),
           "config": {k: v for k, v in vars(cfg).items()}}
    log("lcores: sbgw's worker and every forwarder on CPU %d; main/slow threads, testpmd's main lcore, "
        "telemetry and generators on CPU %d" % (WORKER_LCORE, MAIN_LCORE))
    huge = Hugepages(cfg.hugepages)

    def on_signal(sig, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        if "serve-sbgw" in cases or "serve-testpmd" in cases:
            serve_vhost(cfg, "sbgw" if "serve-sbgw" in cases else "testpmd")
            return
        if "est" in cases:
            res["est"] = [case_est(cfg, *c) for c in est_cases(cfg)]
        if "rev" in cases:
            res["rev"] = [case_rev(cfg, 1000)]
        if "new" in cases:
            res["new"] = case_new_all(cfg)
        if "workers" in cases:
            res["workers"] = case_workers(cfg)
        if "e2e" in cases:
            res["e2e"] = case_e2e(cfg)
        if "kernel" in cases:
            res["kernel"] = case_kernel(cfg)
        if "profile" in cases and cfg.sbgw_profile:
            res["profile"] = case_profile(cfg)
    finally:
        PROCS.stop_all()
        huge.release()
    res["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    res["busy_others_end"] = busy_others()
    res["tsc_mhz"] = tsc_mhz(cfg)
    text = table(cfg, res)
    print(text)
    with open(os.path.join(cfg.work, "results.json"), "w") as f:
        json.dump(res, f, indent=1, default=str)
    with open(os.path.join(cfg.work, "results.md"), "w") as f:
        f.write(text)
    if cfg.out:
        with open(cfg.out, "w") as f:
            f.write(text)
    log("results: %s/results.md and results.json" % cfg.work)


def tsc_mhz(cfg):
    for name in sorted(os.listdir(cfg.work)):
        if name.startswith("testpmd-"):
            m = re.search(r"at (\d+) MHz Clock", open(os.path.join(cfg.work, name), errors="replace").read())
            if m:
                return float(m.group(1))
    return 2600.0


if __name__ == "__main__":
    main()
