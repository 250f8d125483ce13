# SPDX-License-Identifier: BSD-3-Clause
"""The kernel doing sbgw's job, for comparison (bench.py --cases kernel): two
namespaces joined by a router namespace that forwards with nftables
masquerade and conntrack, driven by mausezahn (netsniff-ng)."""
import os
import signal
import subprocess
import time

from common import NEXT_HOP, PROCS, UPLINK_ADDR, log, med, sh


def cpu_times(cpu):
    for line in open("/proc/stat"):
        f = line.split()
        if f[0] == "cpu%d" % cpu:
            v = [int(x) for x in f[1:]]
            # user nice system idle iowait irq softirq steal
            # The router's work is kernel time (softirq, and system when the
            # sender's own context runs it); user time is other programs'.
            return {"busy": v[2] + v[5] + v[6], "softirq": v[6], "system": v[2],
                    "steal": v[7] if len(v) > 7 else 0}
    raise RuntimeError("no cpu%d in /proc/stat" % cpu)


def case_kernel(cfg):
    """guest ns --veth--> router ns (forwarding, nftables masquerade,
    conntrack) --veth--> internet ns (drops at ingress), driven by mausezahn.
    Two ways to find the router's CPU time per packet:
      steered     mausezahn on CPU 0; RPS moves the router's receive work
                  (its guest-side veth) to CPU 1 and the sink's back to CPU 0:
                  CPU 1's kernel time is the router's;
      same-core   mausezahn on CPU 1, no RPS: CPU 1's kernel time per packet
                  through the router minus the same with mausezahn sending
                  straight into a sink namespace (the sender's own cost)."""
    hz = os.sysconf("SC_CLK_TCK")
    g, r, i, d = "sbgwbench-kg", "sbgwbench-kr", "sbgwbench-ki", "sbgwbench-kd"
    for n in (g, r, i, d):
        sh("ip", "netns", "add", n)
    results = []
    try:
        sh("ip", "link", "add", "kg0", "netns", g, "type", "veth", "peer", "name", "kr0", "netns", r)
        sh("ip", "link", "add", "kr1", "netns", r, "type", "veth", "peer", "name", "ki0", "netns", i)
        sh("ip", "link", "add", "kg1", "netns", g, "type", "veth", "peer", "name", "kd0", "netns", d)
        for n in (g, r, i, d):
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=n)
            sh("ip", "link", "set", "lo", "up", ns=n)
        sh("ip", "addr", "add", "172.16.0.2/30", "dev", "kg0", ns=g)
        sh("ip", "link", "set", "kg0", "up", ns=g)
        sh("ip", "link", "set", "kg1", "up", ns=g)
        sh("ip", "link", "set", "kd0", "up", ns=d)
        sh("ip", "addr", "add", "172.16.0.1/30", "dev", "kr0", ns=r)
        sh("ip", "addr", "add", UPLINK_ADDR, "dev", "kr1", ns=r)
        sh("ip", "link", "set", "kr0", "up", ns=r)
        sh("ip", "link", "set", "kr1", "up", ns=r)
        sh("ip", "addr", "add", NEXT_HOP + "/24", "dev", "ki0", ns=i)
        sh("ip", "link", "set", "ki0", "up", ns=i)
        sh("ip", "route", "add", "default", "via", NEXT_HOP, ns=r)
        sh("ip", "route", "add", "default", "via", "172.16.0.1", ns=g)
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=r)
        sh("ip", "neigh", "replace", NEXT_HOP, "lladdr", sh("cat", "/sys/class/net/ki0/address", ns=i).strip(),
           "dev", "kr1", "nud", "permanent", ns=r)
        nft = ("table ip nat {\n chain post { type nat hook postrouting priority 100; oifname \"kr1\" masquerade; }\n}\n"
               "table ip filter {\n chain fw_count { type filter hook forward priority 0; counter; }\n}\n")
        subprocess.run(["ip", "netns", "exec", r, "nft", "-f", "-"], input=nft, text=True, check=True)
        for ns, dev in ((i, "ki0"), (d, "kd0")):
            sink = ("table netdev sink {\n chain in { type filter hook ingress device \"%s\" priority 0; counter; drop; }\n}\n" % dev)
            subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=sink, text=True, check=True)
        kr0_mac = sh("cat", "/sys/class/net/kr0/address", ns=r).strip()
        kd0_mac = sh("cat", "/sys/class/net/kd0/address", ns=d).strip()
        kg0_mac = sh("cat", "/sys/class/net/kg0/address", ns=g).strip()
        kg1_mac = sh("cat", "/sys/class/net/kg1/address", ns=g).strip()

        def counter(ns, dev, what):
            return int(sh("cat", "/sys/class/net/%s/statistics/%s" % (dev, what), ns=ns))

        def rps(steer):
            sh("sh", "-c", "echo %d > /sys/class/net/kr0/queues/rx-0/rps_cpus" % (2 if steer else 0), ns=r)
            sh("sh", "-c", "echo %d > /sys/class/net/ki0/queues/rx-0/rps_cpus" % (1 if steer else 0), ns=i)

        def measure(cpu, dev, mac, dst, dp, count):
            mz = PROCS.start(["ip", "netns", "exec", g, "taskset", "-c", str(cpu), "mausezahn", dev, "-q",
                              "-c", "0", "-d", "0", "-a", kg0_mac if dev == "kg0" else kg1_mac, "-b", mac,
                              "-A", "172.16.0.2", "-B", dst, "-t", "udp", "sp=40000,dp=%s" % dp, "-p", "18"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(cfg.warm + 1)
            t0, p0, c0 = time.monotonic(), count(), cpu_times(1)
            time.sleep(cfg.kernel_dur)
            t1, p1, c1 = time.monotonic(), count(), cpu_times(1)
            PROCS.stop(mz, signal.SIGINT)
            dt, pk = t1 - t0, p1 - p0
            busy = (c1["busy"] - c0["busy"]) / hz
            return {"pps": pk / dt, "ns": busy / pk * 1e9 if pk else float("nan"), "util": busy / dt,
                    "soft": (c1["softirq"] - c0["softirq"]) / hz / dt, "busy": busy, "dt": dt, "pk": pk}

        routed = lambda: counter(r, "kr1", "tx_packets")  # noqa: E731
        direct = lambda: counter(d, "kd0", "rx_packets")  # noqa: E731
        # CPU 1's kernel time without traffic: what the rest of the machine spends there.
        c0 = cpu_times(1)
        time.sleep(cfg.kernel_dur)
        c1 = cpu_times(1)
        idle_busy = (c1["busy"] - c0["busy"]) / hz / cfg.kernel_dur
        for flows, dst, dp in ((1, "203.0.113.1", "1024"), (1000, "203.0.113.1-203.0.113.250", "1024-1027")):
            for rep in range(cfg.kernel_reps):
                rps(True)
                st = measure(0, "kg0", kr0_mac, dst, dp, routed)
                rps(False)
                sc = measure(1, "kg0", kr0_mac, dst, dp, routed)
                dr = measure(1, "kg1", kd0_mac, dst, dp, direct)
                conn = sh("sh", "-c", "cat /proc/sys/net/netfilter/nf_conntrack_count", ns=r).strip()
                res = {"flows": flows, "pps": st["pps"], "cpu1_util": st["util"],
                       "ns_per_pkt": st["ns"],
                       "ns_per_pkt_net": (st["busy"] - idle_busy * st["dt"]) / st["pk"] * 1e9 if st["pk"] else float("nan"),
                       "same_core_pps": sc["pps"], "same_core_ns": sc["ns"], "direct_ns": dr["ns"],
                       "diff_ns": sc["ns"] - dr["ns"], "conntrack": conn, "idle_busy": idle_busy}
                log("kernel %d flows: steered %.0f kpps, CPU 1 %.0f %% (%.0f %% softirq), %.0f ns/packet; "
                    "same core %.0f kpps %.0f ns/packet through the router, %.0f ns straight to a sink: "
                    "router %.0f ns/packet; conntrack %s"
                    % (flows, st["pps"] / 1e3, 100 * st["util"], 100 * st["soft"], st["ns"], sc["pps"] / 1e3,
                       sc["ns"], dr["ns"], res["diff_ns"], conn))
                results.append(res)
    finally:
        for n in (g, r, i, d):
            sh("ip", "netns", "del", n, check=False)
    out = []
    for flows in (1, 1000):
        rs = [x for x in results if x["flows"] == flows]
        out.append({"flows": flows, "pps": med([x["pps"] for x in rs]),
                    "ns_per_pkt": med([x["ns_per_pkt"] for x in rs]),
                    "ns_per_pkt_net": med([x["ns_per_pkt_net"] for x in rs]),
                    "cpu1_util": med([x["cpu1_util"] for x in rs]), "idle_busy": rs[0]["idle_busy"],
                    "min": min(x["ns_per_pkt"] for x in rs), "max": max(x["ns_per_pkt"] for x in rs),
                    "same_core_pps": med([x["same_core_pps"] for x in rs]),
                    "same_core_ns": med([x["same_core_ns"] for x in rs]),
                    "direct_ns": med([x["direct_ns"] for x in rs]),
                    "diff_ns": med([x["diff_ns"] for x in rs]),
                    "diff_min": min(x["diff_ns"] for x in rs), "diff_max": max(x["diff_ns"] for x in rs)})
    return out
