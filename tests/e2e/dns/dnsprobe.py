"""Hand-made DNS queries for the end-to-end suite (what dig cannot send).

Run inside a guest namespace:

  dnsprobe.py formerr SERVER        a query with two questions: the answer
                                    must be FORMERR with the ID echoed, QR
                                    and RA set, the first question echoed,
                                    no answer and no authority section
  dnsprobe.py malformed SERVER      unparsable messages: no answer at all
  dnsprobe.py burst SERVER NAME N   N queries for NAME at once from one
                                    socket: every one must be answered
                                    (NOERROR with an answer); prints the
                                    elapsed milliseconds
  dnsprobe.py mixed SERVER N        N queries at once for four names with
                                    different answers (test.zone), IDs
                                    random: every response must carry the
                                    question and the answer of the query
                                    with its ID
  dnsprobe.py single SERVER NAME SECONDS
                                    one query; every datagram that comes
                                    back within SECONDS is counted: exactly
                                    one response must arrive; prints its
                                    rcode and answers

Exit status 0 when the gateway behaved as described.
"""
import random
import socket
import struct
import sys
import time


def encode_name(name):
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def question(name, qtype=1):
    return encode_name(name) + struct.pack("!HH", qtype, 1)


def sock_for(server):
    s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((server, 53))
    return s


def formerr(server):
    s = sock_for(server)
    s.settimeout(3)
    q1 = question("www.test")
    msg = struct.pack("!HHHHHH", 0x4242, 0x0100, 2, 0, 0, 0) + q1 + question("other.test", 28)
    s.send(msg)
    data = s.recv(4096)
    ident, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", data[:12])
    rcode = flags & 0xF
    print("id=%#x flags=%#x rcode=%d qd=%d an=%d ns=%d ar=%d" % (ident, flags, rcode, qd, an, ns, ar))
    ok = (ident == 0x4242 and flags & 0x8000 and flags & 0x0080 and flags & 0x0100 and rcode == 1
          and an == 0 and ns == 0)
    # The first question is echoed (when one is echoed at all).
    if qd >= 1 and data[12:12 + len(q1)] != q1:
        print("question not echoed")
        ok = False
    return 0 if ok else 1


def malformed(server):
    s = sock_for(server)
    s.settimeout(1.5)
    probes = [
        b"\x12\x34garbage",                                   # shorter than a header
        struct.pack("!HHHHHH", 0x1111, 0x8100, 1, 0, 0, 0) + question("www.test"),  # QR set
        struct.pack("!HHHHHH", 0x2222, 0x0100, 1, 0, 0, 0) + b"\x3fabc",  # label past the end
    ]
    for p in probes:
        s.send(p)
    try:
        data = s.recv(4096)
    except socket.timeout:
        print("no answer, as required")
        return 0
    print("unexpected answer: %r" % data[:32])
    return 1


def burst(server, name, n):
    s = sock_for(server)
    s.settimeout(0.2)
    start = time.monotonic()
    want = set()
    for i in range(n):
        ident = 0x1000 + i
        want.add(ident)
        s.send(struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question(name))
    bad = 0
    while want and time.monotonic() - start < 5:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        ident, flags, qd, an = struct.unpack("!HHHH", data[:8])
        if ident in want:
            want.discard(ident)
            if flags & 0xF != 0 or an == 0:
                bad += 1
    ms = (time.monotonic() - start) * 1000
    print("%d queries, %d unanswered, %d not NOERROR with an answer, %.0f ms" % (n, len(want), bad, ms))
    print("elapsed_ms=%d" % ms)
    return 0 if not want and bad == 0 else 1


RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


def skip_name(msg, pos):
    while pos < len(msg):
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0:
            return pos + 2
        pos += 1 + n
    return pos


def answers(msg, qlen):
    """(rcode name, [rdata as text]) of a response whose question is qlen bytes."""
    flags, qd, an = struct.unpack("!HHH", msg[2:8])
    pos, out = 12 + qlen, []
    for _ in range(an):
        pos = skip_name(msg, pos)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
        rdata = msg[pos + 10:pos + 10 + rdlen]
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == 28 and rdlen == 16:
            out.append(socket.inet_ntop(socket.AF_INET6, rdata))
        pos += 10 + rdlen
    return RCODES.get(flags & 0xF, str(flags & 0xF)), out


def mixed(server, n):
    # name, type, the rcode and the answers test.zone gives
    cases = [("www.test", 1, "NOERROR", ["8.8.8.8"]), ("other.test", 1, "NOERROR", ["1.1.1.1"]),
             ("pub6.test", 28, "NOERROR", ["2001:db8:ff::10"]), ("nosuchname.test", 1, "NXDOMAIN", [])]
    s = sock_for(server)
    s.settimeout(0.2)
    sent, ids = {}, random.sample(range(65536), n)
    for i, ident in enumerate(ids):
        name, qtype, rcode, want = cases[i % len(cases)]
        q = question(name, qtype)
        sent[ident] = (q, rcode, want)
        s.send(struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + q)
    start, bad = time.monotonic(), 0
    while sent and time.monotonic() - start < 5:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        ident = struct.unpack("!H", data[:2])[0]
        if ident not in sent:
            print("response with an ID never sent or answered twice: %#x" % ident)
            bad += 1
            continue
        q, rcode, want = sent.pop(ident)
        got = answers(data, len(q))
        if data[12:12 + len(q)] != q or got != (rcode, want):
            print("ID %#x: question %r, got %s, want %s" % (ident, data[12:12 + len(q)], got, (rcode, want)))
            bad += 1
    print("%d queries, %d unanswered, %d wrong" % (n, len(sent), bad))
    return 0 if not sent and bad == 0 else 1


def single(server, name, seconds):
    s = sock_for(server)
    s.settimeout(0.1)
    q = question(name)
    s.send(struct.pack("!HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0) + q)
    got = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        got.append(answers(data, len(q)) if data[:2] == b"\x51\x51" else ("foreign ID", []))
    print("%d responses: %s" % (len(got), got))
    if len(got) == 1:
        print("rcode=%s answers=%s" % (got[0][0], " ".join(got[0][1])))
    return 0 if len(got) == 1 else 1


def main():
    cmd = sys.argv[1]
    if cmd == "formerr":
        return formerr(sys.argv[2])
    if cmd == "malformed":
        return malformed(sys.argv[2])
    if cmd == "burst":
        return burst(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    if cmd == "mixed":
        return mixed(sys.argv[2], int(sys.argv[3]))
    if cmd == "single":
        return single(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    print("unknown command " + cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
