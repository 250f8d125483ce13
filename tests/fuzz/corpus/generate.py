#!/usr/bin/python3
# Regenerate the seed corpora of tests/fuzz/corpus/TARGET/ (small, valid or
# nearly valid inputs that start each fuzzer deep inside its parser):
#   /usr/bin/python3 tests/fuzz/corpus/generate.py      (needs python3-scapy)
# Frames and DNS messages are built with scapy; ClientHellos and HTTP
# requests come from tests/unit/inspect/data (captured from real clients);
# configuration files from config/ and tests/config/good. Inputs named
# regress_* are past findings (docs/fuzzing.md) and are kept.
import os
import struct

from scapy.all import (ARP, fragment, DNS, DNSQR, DNSRR, DNSRROPT, ICMP, IP, TCP, UDP, BOOTP, DHCP,
                       Ether, IPv6, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RS,
                       ICMPv6NDOptSrcLLAddr, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, Raw, raw)

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", "..", ".."))

GW_MAC, GUEST_MAC = "02:6d:73:00:00:01", "02:6d:73:00:00:02"
GW4, GUEST4 = "172.16.0.1", "172.16.0.2"
GW6, GUEST6 = "fd42:6d73:62::1", "fd42:6d73:62::2"
GW6_LL = "fe80::6d:73ff:fe00:1"


def reset(target):
    """Empty a corpus directory, keeping the regress_* inputs of past findings."""
    d = os.path.join(here, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if not f.startswith("regress_"):
            os.remove(os.path.join(d, f))
    return d


def save(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frames():
    d = reset("frame")
    g4 = Ether(src=GUEST_MAC, dst=GW_MAC) / IP(src=GUEST4, dst="93.184.216.34")
    g6 = Ether(src=GUEST_MAC, dst=GW_MAC) / IPv6(src=GUEST6, dst="2606:2800:220:1::1")
    mss = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("WScale", 7)]
    seeds = {
        "arp_request": Ether(src=GUEST_MAC, dst="ff:ff:ff:ff:ff:ff") /
        ARP(op=1, hwsrc=GUEST_MAC, psrc=GUEST4, pdst=GW4),
        "arp_reply": Ether(src=GUEST_MAC, dst=GW_MAC) /
        ARP(op=2, hwsrc=GUEST_MAC, psrc=GUEST4, hwdst=GW_MAC, pdst=GW4),
        "tcp4_syn": g4 / TCP(sport=40000, dport=443, flags="S", options=mss),
        "tcp4_data": g4 / TCP(sport=40000, dport=80, flags="PA") / Raw(b"GET / HTTP/1.1\r\n\r\n"),
        "tcp4_fin": g4 / TCP(sport=40000, dport=80, flags="FA", seq=7, ack=9),
        "udp4_dns": g4 / UDP(sport=5353, dport=53) / DNS(rd=1, qd=DNSQR(qname="example.com")),
        "icmp4_echo_gw": Ether(src=GUEST_MAC, dst=GW_MAC) / IP(src=GUEST4, dst=GW4) /
        ICMP(type=8, id=7, seq=1) / Raw(b"ping"),
        "ipv4_options": Ether(src=GUEST_MAC, dst=GW_MAC) /
        IP(src=GUEST4, dst="93.184.216.34", options=[b"\x94\x04\x00\x00"]) /
        TCP(dport=22, flags="S"),
        "ipv4_ttl1": Ether(src=GUEST_MAC, dst=GW_MAC) / IP(src=GUEST4, dst="1.1.1.1", ttl=1) /
        UDP(dport=33434),
        "dhcp_discover": Ether(src=GUEST_MAC, dst="ff:ff:ff:ff:ff:ff") /
        IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) /
        BOOTP(chaddr=bytes.fromhex("026d73000002"), xid=0x1234) /
        DHCP(options=[("message-type", "discover"), ("param_req_list", [1, 3, 6, 26]), "end"]),
        "dhcp_request": Ether(src=GUEST_MAC, dst="ff:ff:ff:ff:ff:ff") /
        IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) /
        BOOTP(chaddr=bytes.fromhex("026d73000002"), xid=0x1234) /
        DHCP(options=[("message-type", "request"), ("requested_addr", GUEST4),
                      ("server_id", GW4), "end"]),
        "tcp6_syn": g6 / TCP(sport=40000, dport=443, flags="S", options=mss),
        "tcp6_hbh": g6.copy() / IPv6ExtHdrHopByHop() / TCP(dport=80, flags="S"),
        "udp6": g6 / UDP(sport=1000, dport=123) / Raw(b"\x23" + b"\0" * 47),
        "icmp6_echo_gw": Ether(src=GUEST_MAC, dst=GW_MAC) / IPv6(src=GUEST6, dst=GW6) /
        ICMPv6EchoRequest(id=3, seq=1, data=b"ping"),
        "nd_ns": Ether(src=GUEST_MAC, dst="33:33:ff:00:00:01") /
        IPv6(src=GUEST6, dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt=GW6) /
        ICMPv6NDOptSrcLLAddr(lladdr=GUEST_MAC),
        "nd_ns_dad": Ether(src=GUEST_MAC, dst="33:33:ff:00:00:02") /
        IPv6(src="::", dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt=GW6_LL),
        "nd_na": Ether(src=GUEST_MAC, dst=GW_MAC) / IPv6(src=GUEST6, dst=GW6, hlim=255) /
        ICMPv6ND_NA(tgt=GUEST6, R=0, S=1, O=1),
        "nd_rs": Ether(src=GUEST_MAC, dst="33:33:00:00:00:02") /
        IPv6(src="fe80::6d:73ff:fe00:2", dst="ff02::2", hlim=255) / ICMPv6ND_RS(),
    }
    frag = g4 / UDP(sport=1, dport=2) / Raw(b"x" * 64)
    frag[IP].flags = "MF"
    seeds["ipv4_frag_first"] = frag
    later = Ether(src=GUEST_MAC, dst=GW_MAC) / IP(src=GUEST4, dst="93.184.216.34", frag=3,
                                                  proto=17) / Raw(b"y" * 24)
    seeds["ipv4_frag_later"] = later
    seeds["ipv6_frag"] = g6.copy() / IPv6ExtHdrFragment(m=1, id=5) / UDP(dport=9) / Raw(b"z" * 32)
    for name, pkt in seeds.items():
        wire = raw(pkt)
        # Control byte: verify IPv4 checksum, and variants that recompute the
        # transport checksum or put the last 8 bytes in a second segment.
        save(d, name, b"\x01" + wire)
        save(d, name + "_l4csum", b"\x03" + wire)
        save(d, name + "_seg", bytes([0x01 | (8 << 2)]) + wire)
    return len(os.listdir(d))


def frags():
    d = reset("frag")

    def records(mtu_byte, frames):
        out = bytes([mtu_byte])
        for f in frames:
            b = raw(f) if f is not None else b""
            out += struct.pack(">H", len(b)) + b
        return out

    eth = Ether(src=GUEST_MAC, dst=GW_MAC)
    udp = IP(src=GUEST4, dst="93.184.216.34", id=77) / UDP(sport=5000, dport=6000) / Raw(b"u" * 1400)
    pieces = [eth / p for p in fragment(udp, fragsize=400)]
    tcp = IP(src=GUEST4, dst="93.184.216.34", id=78) / TCP(sport=4000, dport=80, flags="PA") / Raw(b"t" * 900)
    tpieces = [eth / p for p in fragment(tcp, fragsize=304)]
    small = IP(src=GUEST4, dst="198.51.100.9", id=79) / ICMP(type=8) / Raw(b"i" * 200)
    spieces = [eth / p for p in fragment(small, fragsize=96)]
    seeds = {
        "in_order": records(64, pieces),
        "reversed": records(64, list(reversed(pieces))),
        "duplicate": records(64, [pieces[0], pieces[0]] + pieces[1:]),
        "missing_then_timeout": records(64, pieces[:-1] + [None] + pieces[-1:]),
        "tcp_split_small": records(0, tpieces),
        "interleaved": records(200, [x for pair in zip(pieces, tpieces) for x in pair] + pieces[len(tpieces):]),
        "icmp_no_split": records(255, spieces),
        "unfragmented": records(10, [eth / IP(src=GUEST4, dst="1.1.1.1") / UDP(dport=53)]),
    }
    overlap = [eth / p for p in fragment(udp, fragsize=400)]
    overlap[1][IP].frag -= 10  # overlaps the first piece by 80 bytes
    seeds["overlap"] = records(64, overlap)
    for name, data in seeds.items():
        save(d, name, data)
    return len(os.listdir(d))


QUESTIONS = [("example.com", 1), ("example.com", 28), ("www.example.org", 1),
             ("www.example.org", 28), ("a.b.c.example.net", 1), ("example.com", 5),
             ("example.com", 16), ("example.com", 15), ("xn--caf-dma.example", 1),
             ("localhost", 1), ("metadata.internal", 1), ("", 2),
             ("rebind.example", 1), ("rebind.example", 28), ("cname.example", 1),
             ("cname.example", 28)]


def dns_queries():
    d = reset("dns_query")
    seeds = {
        "a": DNS(id=1, rd=1, qd=DNSQR(qname="example.com", qtype="A")),
        "aaaa_edns": DNS(id=2, rd=1, qd=DNSQR(qname="www.example.org", qtype="AAAA"),
                         ar=DNSRROPT(rclass=1232)),
        "host_alias": DNS(id=3, rd=1, qd=DNSQR(qname="host.microsandbox.internal", qtype="A")),
        "host_alias6": DNS(id=4, rd=1, qd=DNSQR(qname="Host.Microsandbox.Internal.", qtype="AAAA")),
        "mx": DNS(id=5, qd=DNSQR(qname="example.com", qtype="MX")),
        "root_ns": DNS(id=6, qd=DNSQR(qname=".", qtype="NS")),
        "two_questions": DNS(id=7, qd=DNSQR(qname="a.example") / DNSQR(qname="b.example")),
        "no_question": DNS(id=8, qd=None),
        "escapes": DNS(id=9, qd=DNSQR(qname=b"a\\.b.ex ample.com", qtype="TXT")),
        "long_name": DNS(id=10, qd=DNSQR(qname=".".join(["x" * 63] * 3) + ".com")),
        "notify": DNS(id=11, opcode=4, qd=DNSQR(qname="example.com", qtype="SOA")),
        "any_chaos": DNS(id=12, qd=DNSQR(qname="version.bind", qtype="TXT", qclass="CH")),
    }
    for name, pkt in seeds.items():
        save(d, name, raw(pkt))
    # A question name through a compression pointer (legal, rarely sent).
    save(d, "pointer", bytes.fromhex("000d0100000100000000000007") + b"example" +
         bytes.fromhex("03636f6d00") + b"\x03www\xc0\x0c" + b"\x00\x01\x00\x01")
    return len(os.listdir(d))


def dns_responses():
    d = reset("dns_response")

    def resp(sel, an=None, rcode=0, tc=0, ar=None):
        name, qtype = QUESTIONS[sel & 15]
        qname = name + "." if name else "."
        return bytes([sel]) + raw(DNS(id=0x1234, qr=1, rd=1, ra=1, rcode=rcode, tc=tc,
                                      qd=DNSQR(qname=qname, qtype=qtype), an=an, ar=ar))

    a = lambda n, ip, ttl=300: DNSRR(rrname=n, type="A", ttl=ttl, rdata=ip)
    aaaa = lambda n, ip, ttl=300: DNSRR(rrname=n, type="AAAA", ttl=ttl, rdata=ip)
    cname = lambda n, t, ttl=300: DNSRR(rrname=n, type="CNAME", ttl=ttl, rdata=t)
    seeds = {
        "a": resp(0x40, a("example.com", "93.184.216.34")),
        "a_tcp": resp(0x00, a("example.com", "93.184.216.34") / a("example.com", "93.184.216.35")),
        "aaaa": resp(0x41, aaaa("example.com", "2606:2800:220:1:248:1893:25c8:1946")),
        "aaaa_mapped": resp(0x41, aaaa("example.com", "::ffff:10.0.0.1")),
        "cname_chain": resp(0x4e, cname("cname.example", "mid.example") /
                            cname("mid.example", "end.example", 30) / a("end.example", "192.0.2.7", 60)),
        "cname_loop": resp(0x4e, cname("cname.example", "loop.example") /
                           cname("loop.example", "cname.example")),
        "cname_chain6": resp(0x4f, cname("cname.example", "v6.example") / aaaa("v6.example", "2001:db8::1")),
        "rebind_private": resp(0x5c, a("rebind.example", "10.0.0.5") / a("rebind.example", "127.0.0.1")),
        "rebind_allowed": resp(0x6c, a("rebind.example", "192.168.1.1")),
        "rebind6": resp(0x5d, aaaa("rebind.example", "fd00::1") / aaaa("rebind.example", "::1")),
        "nxdomain": resp(0x42, rcode=3),
        "servfail": resp(0x43, rcode=2),
        "truncated": resp(0x40, tc=1),
        "mx": resp(0x47, DNSRR(rrname="example.com", type="MX", rdata=b"\x00\x0a\x04mail\xc0\x0c")),
        "txt": resp(0x46, DNSRR(rrname="example.com", type="TXT", rdata="v=spf1 -all")),
        "edns": resp(0xc0, a("example.com", "93.184.216.34"), ar=DNSRROPT(rclass=4096)),
        "big_udp": resp(0x40, DNSRR(rrname="example.com", type="A", rdata="1.2.3.4") /
                        DNSRR(rrname="example.com", type="TXT", rdata="x" * 250) /
                        DNSRR(rrname="example.com", type="TXT", rdata="y" * 250) /
                        DNSRR(rrname="example.com", type="TXT", rdata="z" * 250)),
        "many_a": resp(0x44, DNSRR(rrname="a.b.c.example.net", type="A", rdata="198.51.100.1") /
                       DNSRR(rrname="a.b.c.example.net", type="A", rdata="198.51.100.2") /
                       DNSRR(rrname="a.b.c.example.net", type="A", rdata="198.51.100.3")),
        "localhost": resp(0x49, a("localhost", "127.0.0.1")),
        "metadata": resp(0x4a, a("metadata.internal", "169.254.169.254")),
        "root_ns": resp(0x4b, DNSRR(rrname=".", type="NS", rdata="a.root-servers.net.")),
        "wrong_id": b"\x40" + raw(DNS(id=0x9999, qr=1, qd=DNSQR(qname="example.com."),
                                       an=a("example.com", "1.2.3.4"))),
    }
    for name, data in seeds.items():
        save(d, name, data)
    return len(os.listdir(d))


def first_flights():
    d = reset("first_flight")
    data = os.path.join(root, "tests", "unit", "inspect", "data")
    for f in sorted(os.listdir(data)):
        if f.endswith(".bin"):
            b = open(os.path.join(data, f), "rb").read()
            save(d, f[:-4], b)
            if b[0] == 0x16:  # the same hello re-split into records of 64 bytes
                hs, out = b[5:], b""
                for i in range(0, len(hs), 64):
                    out += b"\x16\x03\x03" + struct.pack(">H", len(hs[i:i + 64])) + hs[i:i + 64]
                save(d, f[:-4] + "_split64", out)
    extra = {
        "http_connect": b"CONNECT tunnel.example:443 HTTP/1.1\r\nHost: tunnel.example:443\r\n\r\n",
        "http_options": b"OPTIONS * HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n",
        "http10": b"GET /a HTTP/1.0\r\nUser-Agent: x\r\n\r\n",
        "http_absolute_https": b"POST https://api.example/v1?x=1 HTTP/1.1\r\nHost: api.example\r\n"
                               b"Content-Length: 2\r\n\r\n{}",
        "h2_preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "ssh": b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
        "sslv2": bytes.fromhex("802e0103010015000000100000030000"),
    }
    for name, b in extra.items():
        save(d, name, b)
    return len(os.listdir(d))


def configs():
    d = reset("config")
    srcs = [os.path.join(root, "config", "sbgw.conf")]
    for sub in (("config", "examples"), ("tests", "config", "good")):
        p = os.path.join(root, *sub)
        srcs += [os.path.join(p, f) for f in sorted(os.listdir(p)) if f.endswith(".conf")]
    for s in srcs:
        b = open(s, "rb").read()
        save(d, os.path.relpath(s, root).replace("/", "_"), b)
    sandboxes = {
        "sandbox_minimal": b'{ name = "three"; port = "p2"; }',
        "sandbox_replace": b'{ name = "one"; port = "p0"; network = { policy = "public-only"; '
                           b'ipv4_pool = "172.16.0.0/24"; }; }',
        "sandbox_rules": b'{ name = "r"; port = "p9"; network = { policy = { default_egress = "deny"; '
                         b'rules = ( { action = "allow"; destination = { kind = "domain_suffix"; '
                         b'value = "example.com"; }; protocol = "tcp"; port = 443; } ); }; }; }',
        "sandbox_clash": b'{ name = "x"; port = "p1"; network = { ports = ( [ 8080, 80 ] ); }; }',
    }
    for name, b in sandboxes.items():
        save(d, name, b)
    return len(os.listdir(d))


if __name__ == "__main__":
    for fn in (frames, frags, dns_queries, dns_responses, first_flights, configs):
        print(fn.__name__, fn(), "seeds")
