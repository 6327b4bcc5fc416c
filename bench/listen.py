#!/usr/bin/env python3
"""TCP listeners for the scan benchmark: bind every ADDR:PORT given, accept and close at once.

Runs inside a lab namespace (`ip netns exec NS python3 bench/listen.py ...`). One listening
socket per address and port, so each emulated device has its own accept queue, as a real device
does. --backlog 1 emulates BusyBox daemons (telnetd, httpd), which listen with a backlog of 1:
a SYN that arrives while the one-entry accept queue is full is dropped by the kernel
(TcpExtListenOverflows) and the client only retransmits after 1 s.

Writes "ready N" to stdout once every socket listens, then serves until SIGTERM.
Usage: listen.py [--backlog N] [--file LIST] [ADDR:PORT ...]   (LIST: one ADDR:PORT a line)
"""
import argparse
import selectors
import signal
import socket
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backlog", type=int, default=4096)
    ap.add_argument("--file")
    ap.add_argument("endpoints", nargs="*")
    a = ap.parse_args()
    eps = list(a.endpoints)
    if a.file:
        with open(a.file) as f:
            eps += [line.strip() for line in f if line.strip()]
    sel = selectors.DefaultSelector()
    for ep in eps:
        host, port = ep.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(a.backlog)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ready {len(eps)}", flush=True)
    while True:
        for key, _ in sel.select():
            try:
                c, _ = key.fileobj.accept()
                c.close()
            except (BlockingIOError, ConnectionError):
                pass


if __name__ == "__main__":
    sys.exit(main())
