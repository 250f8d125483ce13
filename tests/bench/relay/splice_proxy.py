#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A TCP proxy that moves bytes with splice(2) through a pipe, never through
user space: the kernel's own zero-copy path, the baseline the relay
benchmark (tests/bench/relay/run.sh) sets sbgw's relay beside.

    splice_proxy.py LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT

One thread per direction of each connection (the benchmark runs one stream);
prints "listening" once ready.
"""
import fcntl
import os
import socket
import sys
import threading

CHUNK = 1 << 20


def pump(src, dst):
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, CHUNK)
    except (OSError, AttributeError):
        pass  # the default 64 KiB pipe
    try:
        while True:
            n = os.splice(src.fileno(), w, CHUNK)
            if n == 0:
                break
            while n > 0:
                n -= os.splice(r, dst.fileno(), n)
    except OSError:
        pass
    finally:
        os.close(r)
        os.close(w)
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(conn, target):
    up = socket.create_connection(target)
    a = threading.Thread(target=pump, args=(conn, up), daemon=True)
    b = threading.Thread(target=pump, args=(up, conn), daemon=True)
    a.start()
    b.start()
    a.join()
    b.join()
    conn.close()
    up.close()


def main():
    laddr, lport, taddr, tport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    ls = socket.socket(socket.AF_INET6 if ":" in laddr else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((laddr, lport))
    ls.listen(128)
    print("listening", flush=True)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, (taddr, tport)), daemon=True).start()


if __name__ == "__main__":
    main()
