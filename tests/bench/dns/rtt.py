"""Round-trip times, one request at a time (tests/bench/dns/run.sh).

  rtt.py dns ADDR [N]    N queries for www.test A to ADDR:53
  rtt.py echo ADDR [N]   N 40-byte datagrams to a UDP echo server, ADDR:7

Requests are sent one after another, 5 ms apart (so nothing queues), and
the line printed is "median p10 p90 max lost" in milliseconds: the time a
request takes through the path when the path is otherwise idle.
"""
import socket
import statistics
import struct
import sys
import time


def main():
    mode, addr = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    port = 53 if mode == "dns" else 7
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((addr, port))
    rtts, lost = [], 0
    key = 2 if mode == "dns" else 4  # the DNS ID, or the echo's sequence number
    for i in range(n):
        if mode == "dns":
            msg = struct.pack("!HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0)
            msg += b"\x03www\x04test\x00" + struct.pack("!HH", 1, 1)
        else:
            msg = struct.pack("!I", i) + b"x" * 36
        t = time.perf_counter()
        s.send(msg)
        try:
            while s.recv(4096)[:key] != msg[:key]:
                pass
        except socket.timeout:
            lost += 1
            continue
        rtts.append((time.perf_counter() - t) * 1000)
        time.sleep(0.005)
    rtts.sort()
    if not rtts:
        print("nan nan nan nan %d" % lost)
        return
    print("%.3f %.3f %.3f %.3f %d" % (statistics.median(rtts), rtts[len(rtts) // 10],
                                      rtts[len(rtts) * 9 // 10], rtts[-1], lost))


if __name__ == "__main__":
    main()
