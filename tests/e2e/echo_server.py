"""TCP and UDP echo on one port, for the end-to-end suite.

Run inside the suite's internet namespace: echo_server.py PORT ADDR...
It serves until killed; every connection and datagram is echoed back
unchanged. UDP binds each address on its own so that a reply leaves from
the address the datagram was sent to (a wildcard socket would answer from
the outgoing interface's address, which no client would accept).
"""
import socket
import sys
import threading


def serve_udp(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def echo_conn(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)


def serve_tcp(family, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    s.listen(128)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=echo_conn, args=(conn,), daemon=True).start()


def main():
    port = int(sys.argv[1])
    for addr in sys.argv[2:]:
        threading.Thread(target=serve_udp, args=(addr, port), daemon=True).start()
    for fam in (socket.AF_INET, socket.AF_INET6):
        threading.Thread(target=serve_tcp, args=(fam, port), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
