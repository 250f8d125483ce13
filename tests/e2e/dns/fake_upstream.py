"""A misbehaving DNS upstream for the end-to-end suite.

Run inside the suite's internet namespace: fake_upstream.py LOG ADDR...
Serves UDP port 53 on each ADDR until killed and appends one line per
query to LOG ("ADDR NAME TYPE"), so a test can tell whether it was asked.
The answer depends on the first label of the question's name:

  big...      NOERROR with 60 A records (8.8.8.x), whatever payload size
              the query advertised: a response the gateway has to
              truncate itself
  refused...  REFUSED
  anything    SERVFAIL

Only the header and the question are parsed; nothing here is a real
resolver.
"""
import socket
import struct
import sys
import threading

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
    if first.startswith("big") and qtype == 1:
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


def serve(addr, log):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53))
    while True:
        msg, peer = s.recvfrom(65535)
        q = parse_question(msg)
        if q is None:
            continue
        with LOCK, open(log, "a") as f:
            f.write("%s %s %d\n" % (addr, q[0], q[1]))
        s.sendto(answer(msg, q), peer)


def main():
    log = sys.argv[1]
    for addr in sys.argv[2:]:
        threading.Thread(target=serve, args=(addr, log), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
