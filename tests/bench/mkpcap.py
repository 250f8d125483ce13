#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Capture files for the benchmarks (tests/bench/bench.py), standard library only.

  mkpcap.py guest --proto udp|tcp --size 64|1518 --flows N [--packets P] [--slot S] OUT
      Frames as sandbox slot S's guest sends them (MAC 02:6d:73:hi:lo:02, source
      172.16.0.0/12 slot address, to its gateway's MAC ...:01), to public
      destinations in 203.0.113.0/24. Flow i goes to 203.0.113.(1 + i % 254),
      destination port 1024 + i // 254, from a pseudorandom source port (all
      flows distinct). Packets are round robin over the flows; a TCP flow's
      first packet is a SYN (with an MSS option), the others ACK|PSH.
      Sizes are Ethernet frame sizes with the FCS: a 64-byte frame is 60 bytes
      in the file.
  mkpcap.py replies CAPTURE OUT [--packets P] [--flows-out FILE]
      The remote side's answer to every flow in CAPTURE (what sbgw sent on its
      uplink): addresses, ports and MACs swapped, TCP flags ACK, the same frame
      size. Flows in order of first appearance, packets round robin over them.
  mkpcap.py arp OUT --ip A --mac M
      One gratuitous ARP reply from A at M.
"""
import argparse
import struct
import sys

GUEST_NET = (172 << 24) | (16 << 16)  # the default ipv4_pool
DST_NET = (203 << 24) | (0 << 16) | (113 << 8)
HOSTS = 254
PORT_BASE = 1024


def csum(data, start=0):
    if len(data) % 2:
        data += b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload_len, ident):
    total = 20 + payload_len
    h = struct.pack("!BBHHHBBHII", 0x45, 0, total, ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", fold(csum(h))) + h[12:]


def l4(proto, src, dst, sport, dport, payload, flags, seq):
    if proto == 17:
        hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    else:
        opts = b"\x02\x04\x05\xb4" if flags & 0x02 else b""  # MSS 1460 on a SYN
        doff = (20 + len(opts)) // 4
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0 if flags & 0x02 else 1,
                          doff << 4, flags, 65535, 0, 0) + opts
    seg = hdr + payload
    pseudo = struct.pack("!IIBBH", src, dst, 0, proto, len(seg))
    c = fold(csum(pseudo + seg))
    if proto == 17 and c == 0:
        c = 0xFFFF
    off = 6 if proto == 17 else 16
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def frame(dmac, smac, src, dst, proto, sport, dport, size, flags=0x18, ident=0, seq=1):
    """An Ethernet frame of size bytes with the FCS (size - 4 in the file)."""
    l2len = size - 4
    l4hdr = 8 if proto == 17 else (24 if flags & 0x02 else 20)
    pay = 0 if flags & 0x02 else max(0, l2len - 14 - 20 - l4hdr)  # a SYN carries no data
    seg = l4(proto, src, dst, sport, dport, bytes(pay), flags, seq)
    f = dmac + smac + b"\x08\x00" + ipv4(src, dst, proto, len(seg), ident) + seg
    return f + bytes(max(0, l2len - len(f)))


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.n = 0

    def add(self, data):
        self.f.write(struct.pack("<IIII", self.n // 1000000, self.n % 1000000, len(data), len(data)))
        self.f.write(data)
        self.n += 1

    def close(self):
        self.f.close()


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        yield data[off:off + incl]
        off += incl


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def slot_addrs(slot):
    hi, lo = slot >> 8, slot & 0xFF
    gw_mac = bytes([0x02, 0x6D, 0x73, hi, lo, 0x01])
    guest_mac = bytes([0x02, 0x6D, 0x73, hi, lo, 0x02])
    return gw_mac, guest_mac, GUEST_NET + 4 * slot + 2


def flow_tuple(i, seed=0x2545F491):
    """Flow i: (source port, destination address, destination port), all distinct."""
    x = (i * 2654435761 + seed) & 0xFFFFFFFF
    x ^= x >> 15
    sport = PORT_BASE + x % (65536 - PORT_BASE)
    return sport, DST_NET + 1 + i % HOSTS, PORT_BASE + i // HOSTS


def cmd_guest(a):
    proto = 17 if a.proto == "udp" else 6
    gw_mac, guest_mac, src = slot_addrs(a.slot)
    n = a.flows
    if (n - 1) // HOSTS + PORT_BASE > 65535:
        sys.exit("mkpcap: too many flows")
    p = a.packets or max(n, 4096 // n * n if n < 4096 else n)
    if proto == 6 and not a.packets and p < 8 * n:
        p = 8 * n  # SYNs (the first pass) are one packet in eight
    w = Writer(a.out)
    tuples = [flow_tuple(i, a.seed) for i in range(n)]
    cache = {}
    for k in range(p):
        i = k % n
        sport, dst, dport = tuples[i]
        syn = proto == 6 and k < n
        flags = 0x02 if syn else 0x18
        # Identical frames per flow after the first: the IP id does not vary.
        key = (i, syn)
        f = cache.get(key) if n <= 4096 else None
        if f is None:
            f = frame(gw_mac, guest_mac, src, dst, proto, sport, dport, a.size, flags, ident=i)
            if n <= 4096:
                cache[key] = f
        w.add(f)
    w.close()
    print("%s: %d packets, %d flows" % (a.out, w.n, n))


def parse_l4(f):
    if len(f) < 34 or f[12:14] != b"\x08\x00":
        return None
    ihl = (f[14] & 0xF) * 4
    proto = f[23]
    if proto not in (6, 17):
        return None
    src, dst = struct.unpack("!II", f[26:34])
    sport, dport = struct.unpack("!HH", f[14 + ihl:18 + ihl])
    return proto, src, dst, sport, dport


def cmd_replies(a):
    flows = []
    seen = set()
    for f in read_pcap(a.capture):
        t = parse_l4(f)
        if t is None or t in seen:
            continue
        seen.add(t)
        flows.append((f[0:6], f[6:12], t, len(f) + 4))
    if not flows:
        sys.exit("mkpcap: no TCP or UDP frames in %s" % a.capture)
    n = len(flows)
    p = a.packets or max(n, 4096 // n * n if n < 4096 else n)
    frames = []
    for dmac, smac, (proto, src, dst, sport, dport), size in flows:
        frames.append(frame(smac, dmac, dst, src, proto, dport, sport, size, 0x10))
    w = Writer(a.out)
    for k in range(p):
        w.add(frames[k % n])
    w.close()
    if a.flows_out:
        with open(a.flows_out, "w") as out:
            for _, _, (proto, src, dst, sport, dport), _ in flows:
                out.write("%d %d %d %d %d\n" % (proto, src, dst, sport, dport))
    print("%s: %d packets, %d flows" % (a.out, w.n, n))


def cmd_arp(a):
    m = mac(a.mac)
    ip = struct.unpack("!I", bytes(int(x) for x in a.ip.split(".")))[0]
    arp = struct.pack("!HHBBH6sI6sI", 1, 0x0800, 6, 4, 2, m, ip, b"\xff" * 6, ip)
    f = b"\xff" * 6 + m + b"\x08\x06" + arp
    w = Writer(a.out)
    w.add(f + bytes(60 - len(f)))
    w.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("guest")
    g.add_argument("--proto", choices=("udp", "tcp"), default="udp")
    g.add_argument("--size", type=int, default=64)
    g.add_argument("--flows", type=int, default=1)
    g.add_argument("--packets", type=int, default=0)
    g.add_argument("--slot", type=int, default=0)
    g.add_argument("--seed", type=lambda v: int(v, 0), default=0x2545F491)
    g.add_argument("out")
    r = sub.add_parser("replies")
    r.add_argument("capture")
    r.add_argument("out")
    r.add_argument("--packets", type=int, default=0)
    r.add_argument("--flows-out")
    p = sub.add_parser("arp")
    p.add_argument("out")
    p.add_argument("--ip", required=True)
    p.add_argument("--mac", required=True)
    a = ap.parse_args()
    {"guest": cmd_guest, "replies": cmd_replies, "arp": cmd_arp}[a.cmd](a)


if __name__ == "__main__":
    main()
