"""A misbehaving DNS upstream for the end-to-end suite.

Run inside the suite's internet namespace: fake_upstream.py LOG ADDR...
Serves UDP port 53 on each ADDR until killed and appends one line per
query to LOG ("ADDR NAME TYPE"), so a test can tell whether it was asked.
The answer depends on the first label of the question's name:

  big...      NOERROR with 60 A records (8.8.8.x), whatever payload size
              the query advertised: a response the gateway has to
              truncate itself
  refused...  REFUSED
  slow...     SERVFAIL, 0.8 s late (after the suite's 500 ms timeout)
  spoof...    first three forgeries, each NOERROR with A 6.6.6.6: one
              with the wrong ID, one with the right ID but another name,
              one with the right ID from another port (5300); 50 ms
              later the real answer, NOERROR with A 8.8.4.4
  anything    SERVFAIL

Only the header and the question are parsed; nothing here is a real
resolver.
"""
import socket
import struct
import sys
import threading
import time

LOCK = threading.Lock()


def parse_question(msg):
    """(name, qtype, end of question) or None."""
    if len(msg) < 12 or struct.unpack("!H", msg[4:6])[0] < 1:
        return None
    pos, labels = 12, []
    while pos < len(msg):
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n & 0xC0 or pos + n > len(msg):
            return None
        labels.append(msg[pos:pos + n].decode("ascii", "replace").lower())
        pos += n
    if pos + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[pos:pos + 2])[0]
    return ".".join(labels), qtype, pos + 4


def answer(msg, q):
    name, qtype, end = q
    ident, flags = struct.unpack("!HH", msg[:4])
    rd = flags & 0x0100
    first = name.split(".")[0]
    records = b""
    count = 0
    if first.startswith("spoof") and qtype == 1:
        rcode = 0
        records = struct.pack("!HHHIH", 0xC00C, 1, 1, 30, 4) + bytes([8, 8, 4, 4])
        count = 1
    elif first.startswith("big") and qtype == 1:
        rcode = 0
        for i in range(60):
            # Owner: a pointer to the question name at offset 12.
            records += struct.pack("!HHHIH", 0xC00C, 1, 1, 30, 4) + bytes([8, 8, 8, i + 1])
            count += 1
    elif first.startswith("refused"):
        rcode = 5
    else:
        rcode = 2
    header = struct.pack("!HHHHHH", ident, 0x8000 | rd | 0x0080 | rcode, 1, count, 0, 0)
    return header + msg[12:end] + records


def forge(real):
    """The real answer's forgeries: A 6.6.6.6 instead of 8.8.4.4."""
    return real[:-4] + bytes([6, 6, 6, 6])


def spoof(s, other, msg, q, peer):
    real = answer(msg, q)
    fake = forge(real)
    wrong_id = struct.pack("!H", struct.unpack("!H", fake[:2])[0] ^ 0xFFFF) + fake[2:]
    # Same length, another name: the first label's first letter changed.
    wrong_q = bytearray(fake)
    wrong_q[13] = ord("x") if wrong_q[13] != ord("x") else ord("y")
    s.sendto(wrong_id, peer)
    s.sendto(bytes(wrong_q), peer)
    other.sendto(fake, peer)
    time.sleep(0.05)
    s.sendto(real, peer)


def late(s, msg, q, peer):
    time.sleep(0.8)
    s.sendto(answer(msg, q), peer)


def serve(addr, log):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53))
    other = socket.socket(family, socket.SOCK_DGRAM)
    other.bind((addr, 5300))
    while True:
        msg, peer = s.recvfrom(65535)
        q = parse_question(msg)
        if q is None:
            continue
        with LOCK, open(log, "a") as f:
            f.write("%s %s %d\n" % (addr, q[0], q[1]))
        first = q[0].split(".")[0]
        if first.startswith("spoof"):
            threading.Thread(target=spoof, args=(s, other, msg, q, peer), daemon=True).start()
        elif first.startswith("slow"):
            threading.Thread(target=late, args=(s, msg, q, peer), daemon=True).start()
        else:
            s.sendto(answer(msg, q), peer)


def main():
    log = sys.argv[1]
    for addr in sys.argv[2:]:
        threading.Thread(target=serve, args=(addr, log), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
