# SPDX-License-Identifier: BSD-3-Clause
"""The one table bench.py prints (markdown), from its results."""
from common import BURST, MAIN_LCORE, WORKER_LCORE


def fmt(x, d=1):
    return "-" if x is None or x != x else ("%.*f" % (d, x))


def table(cfg, res):
    L = []
    m = res["machine"]
    L.append("sbgw benchmarks, %s — %s, %d vCPU, Linux %s, DPDK %s (Debian); load average at start %s, at end %s"
             % (res["date"], m["cpu"], m["cpus"], m["kernel"], m["dpdk"], " ".join(m["loadavg"]),
                " ".join(res.get("loadavg_end", ["?"]))))
    L.append("Other programs busy at start: %s; at end: %s."
             % (", ".join(m["busy_others"]) or "none", ", ".join(res.get("busy_others_end", [])) or "none"))
    L.append("Worker on lcore %d (CPU %d), main and slow threads on CPU %d; %d pairs x %g s (warm-up %g s); burst %d."
             % (WORKER_LCORE, WORKER_LCORE, MAIN_LCORE, cfg.pairs, cfg.dur, cfg.warm, BURST))
    if res.get("est") or res.get("rev"):
        L.append("")
        L.append("Established flows (net_pcap infinite_rx -> forwarder -> net_null, one core): median of pairs [min-max]")
        L.append("")
        hdr = "| direction | frames | flows | sbgw Mpps | sbgw cycles/pkt |"
        sep = "|---|---|---:|---:|---:|"
        for c in cfg.ceilings:
            hdr += " testpmd %s Mpps | %s cycles/pkt |" % (c, c)
            sep += "---:|---:|"
        others = [c for c in cfg.ceilings if c != "5tswap"]
        for c in others:
            hdr += " sbgw / %s cycles |" % c
            sep += "---:|"
        hdr += " sbgw / 5tswap cycles [min-max] | target | met |"
        sep += "---:|---:|:---:|"
        L += [hdr, sep]
        for c in res.get("est", []) + res.get("rev", []):
            fw = c["fwd"]
            row = "| %s | %s %d B | %d | %s [%s-%s] | %s [%s-%s] |" % (
                c["dir"], c["proto"].upper(), c["size"], c["flows"],
                fmt(fw["sbgw"]["mpps"], 2), fmt(fw["sbgw"]["mpps_min"], 2), fmt(fw["sbgw"]["mpps_max"], 2),
                fmt(fw["sbgw"]["cpp"], 0), fmt(fw["sbgw"]["cpp_min"], 0), fmt(fw["sbgw"]["cpp_max"], 0))
            for cl in cfg.ceilings:
                f = fw["testpmd " + cl]
                row += " %s | %s |" % (fmt(f["mpps"], 2), fmt(f["cpp"], 0))
            for cl in others:
                row += " %s |" % fmt(c["ratios"][cl]["median"], 2)
            rt = c["ratios"].get("5tswap") or list(c["ratios"].values())[0]
            target = None
            if c["dir"] == "guest->uplink" and c["size"] == 64 and c["proto"] == "udp":
                target = 2.5 if c["flows"] >= 100000 else 2.0
            met = "" if target is None else ("yes" if rt["median"] <= target else "**no**")
            row += " %s [%s-%s] | %s | %s |" % (fmt(rt["median"], 2), fmt(rt["min"], 2), fmt(rt["max"], 2),
                                                "≤ %.1f" % target if target else "", met)
            L.append(row)
        before = [c for c in res.get("est", []) if "sbgw before" in c["fwd"]]
        if before:
            L.append("")
            L.append("Before and after in the same pairs (--sbgw-before): busy cycles per packet, median "
                     "[min-max]; ratios to 5tswap per pair; and by the worker thread's CPU time")
            L.append("")
            L.append("| frames | flows | before cycles/pkt | after cycles/pkt | 5tswap cycles/pkt | before / 5tswap "
                     "| after / 5tswap | by CPU time: before / 5tswap, after / 5tswap |")
            L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
            for c in before:
                fw, rt = c["fwd"], c["ratios"].get("5tswap")
                if not rt or "before" not in rt:
                    continue
                L.append("| %s %d B | %d | %s [%s-%s] | %s [%s-%s] | %s | %s [%s-%s] | %s [%s-%s] | %s |" % (
                    c["proto"].upper(), c["size"], c["flows"],
                    fmt(fw["sbgw before"]["cpp"], 0), fmt(fw["sbgw before"]["cpp_min"], 0),
                    fmt(fw["sbgw before"]["cpp_max"], 0),
                    fmt(fw["sbgw"]["cpp"], 0), fmt(fw["sbgw"]["cpp_min"], 0), fmt(fw["sbgw"]["cpp_max"], 0),
                    fmt(fw["testpmd 5tswap"]["cpp"], 0),
                    fmt(rt["before"]["median"], 2), fmt(rt["before"]["min"], 2), fmt(rt["before"]["max"], 2),
                    fmt(rt["median"], 2), fmt(rt["min"], 2), fmt(rt["max"], 2),
                    fmt(rt["before"].get("cpu_median"), 2) + ", " + fmt(rt.get("cpu_median"), 2)))
        drops = [(c["case"], c["drops"]) for c in res.get("est", []) + res.get("rev", []) if c["drops"]]
        if drops:
            L.append("")
            L.append("sbgw drops inside measured windows: " + "; ".join("%s %s" % d for d in drops))
    if res.get("new"):
        L.append("")
        L.append("New flows (every packet opens a UDP flow until the table holds %d; median of %d runs [min-max])"
                 % (cfg.new_flows, cfg.new_reps))
        L.append("")
        L.append("| policy rules | new flows/s | cycles per new flow | then established at {:,} flows: Mpps, cycles/pkt "
                 "| target ≥ 1,000,000/s | vs 10 rules (target ≤ 25 % slower) |".format(cfg.new_flows))
        L.append("|---:|---:|---:|---:|:---:|---:|")
        base = res["new"][0]["flows_per_s"]
        for n in res["new"]:
            slower = (base / n["flows_per_s"] - 1) * 100
            L.append("| %d | %s [%s-%s] | %s [%s-%s] | %s, %s | %s | %s |" % (
                n["rules"], "{:,.0f}".format(n["flows_per_s"]), "{:,.0f}".format(n["flows_per_s_min"]),
                "{:,.0f}".format(n["flows_per_s_max"]), fmt(n["cpf"], 0), fmt(n["cpf_min"], 0), fmt(n["cpf_max"], 0),
                fmt(n["est_mpps"], 2), fmt(n["est_cpp"], 0), "yes" if n["flows_per_s"] >= 1e6 else "**no**",
                "%+.1f %% %s" % (slower, "" if n["rules"] == res["new"][0]["rules"] else ("(met)" if slower <= 25 else "(**missed**)"))))
    if res.get("workers"):
        w = res["workers"]
        L.append("")
        L.append("Two workers (lcore 1 on CPU 1, lcore 2 on CPU 0): %d flows per guest; %d replies injected "
                 "(each reply once into each uplink queue), %d received by sbgw's uplink; delivered %s; misdelivered %d; flows with both replies %d of %d; "
                 "handed off %s; NAT ports in the owner's slice: %s; drops %s — %s"
                 % (w["flows_per_guest"], w["replies_sent"], w["uplink_rx"], "+".join(str(x) for x in w["delivered"]),
                    w["misdelivered"], w["flows_with_both_replies"], 2 * w["flows_per_guest"],
                    w["handed_off"], w["nat_port_in_owner_slice"], w["drops"] or "none", "OK" if w["ok"] else "**FAILED**"))
    if res.get("e2e"):
        e = res["e2e"]["fwd"]
        L.append("")
        L.append("End to end (testpmd txonly 64 B, 1 flow, on CPU 0 -> net_virtio_user -> vhost-user -> forwarder on CPU 1 -> net_null):")
        L.append("")
        L.append("| forwarder | Mpps | busy cycles/pkt |")
        L.append("|---|---:|---:|")
        for k in ("sbgw", "testpmd io"):
            L.append("| %s | %s [%s-%s] | %s [%s-%s] |" % (k, fmt(e[k]["mpps"], 2), fmt(e[k]["mpps_min"], 2),
                                                    fmt(e[k]["mpps_max"], 2), fmt(e[k]["cpp"], 0),
                                                    fmt(e[k]["cpp_min"], 0), fmt(e[k]["cpp_max"], 0)))
        r = res["e2e"]["ratios"]["io"]
        L.append("")
        L.append("sbgw / testpmd io busy cycles: %s [%s-%s]" % (fmt(r["median"], 2), fmt(r["min"], 2), fmt(r["max"], 2)))
    if res.get("kernel"):
        L.append("")
        L.append("Linux kernel (veth + nftables masquerade + conntrack in a router namespace, mausezahn, 64 B UDP; "
                 "median [min-max] of %d runs). Router CPU time per packet = CPU 1's kernel time per packet "
                 "through the router minus straight into a sink, mausezahn on CPU 1 (same core, difference); "
                 "the steered figure (router alone on CPU 1 by RPS) is a diagnostic, see docs/benchmarks.md:"
                 % cfg.kernel_reps)
        L.append("")
        L.append("| flows | pps through the router | router CPU ns/packet | packets/s per core | kernel cycles/packet "
                 "| sbgw cycles/packet (same frames) | kernel / sbgw (target ≥ 10x) | steered: pps, CPU 1 kernel time, ns/packet |")
        L.append("|---:|---:|---:|---:|---:|---:|---:|---|")
        hz = res.get("tsc_mhz", 2600.0) * 1e6
        for k in res["kernel"]:
            sb = None
            for c in res.get("est", []):
                if c["proto"] == "udp" and c["size"] == 64 and c["flows"] == k["flows"]:
                    sb = c["fwd"]["sbgw"]["cpp"]
            kc = k["diff_ns"] * hz / 1e9
            ratio = "-"
            if sb:
                ratio = "%.1fx %s" % (kc / sb, "(met)" if kc / sb >= 10 else "(**missed**)")
            L.append("| %d | %s | %s [%s-%s] | %s | %s | %s | %s | %s, %.0f %%, %s [%s-%s] |" % (
                k["flows"], "{:,.0f}".format(k["same_core_pps"]), fmt(k["diff_ns"], 0), fmt(k["diff_min"], 0),
                fmt(k["diff_max"], 0), "{:,.0f}".format(1e9 / k["diff_ns"]) if k["diff_ns"] > 0 else "-",
                fmt(kc, 0), fmt(sb, 0), ratio, "{:,.0f}".format(k["pps"]), 100 * k["cpu1_util"],
                fmt(k["ns_per_pkt"], 0), fmt(k["min"], 0), fmt(k["max"], 0)))
    if res.get("profile"):
        L.append("")
        L.append("Profile (-Dprofile=true build): cycles per packet by fast-path stage; the release build's total "
                 "measured just before, in the same conditions:")
        L.append("")
        stages = list(res["profile"][0]["stages"].keys())
        L.append("| case | " + " | ".join(stages) + " | profile build total | release build total |")
        L.append("|---|" + "---:|" * (len(stages) + 2))
        for p in res["profile"]:
            L.append("| %s | %s | %s | %s |" % (
                p["case"], " | ".join(fmt(p["stages"][s]["cpp"], 0) for s in stages),
                fmt(p["total_cpp"], 0), fmt(p.get("release_cpp"), 0)))
        for p in res["profile"]:
            if p["stages"].get("classify", {}).get("calls"):
                L.append("")
                L.append("%s: per new flow, classify %s cycles, flow_create %s cycles."
                         % (p["case"], fmt(p["stages"]["classify"]["per_call"], 0),
                            fmt(p["stages"]["flow_create"]["per_call"], 0)))
    return "\n".join(L) + "\n"
