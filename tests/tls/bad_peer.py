#!/usr/bin/env python3
"""Scripted bad TLS/SSH peers for the posture tests (loopback only).

bad_peer.py MODE IP PORT, MODE one of:
  garbage    answers anything with HTTP-looking bytes, then closes
  stall      accepts, reads, never answers (until the client gives up)
  stallmid   answers a ClientHello with the first 20 bytes of a ServerHello, then stalls
  hugechain  answers with a ServerHello and a Certificate message claiming 16 MiB, and streams
             up to 4 MiB of it while the client reads
  sshgarbage an SSH identification line followed by a malformed binary packet
Serves until killed. Refuses any address outside 127.0.0.0/8 and ::1.
"""
import ipaddress
import socket
import struct
import sys
import threading
import time


def server_hello():
    body = b"\x03\x03" + b"r" * 32 + b"\x00" + b"\xc0\x2f" + b"\x00"
    hs = b"\x02" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack(">H", len(hs)) + hs


def handle(mode, conn):
    try:
        conn.settimeout(30)
        if mode == "sshgarbage":
            conn.sendall(b"SSH-2.0-Bad_1.0\r\n" + b"\x7f\xff\xff\xff\x00garbage")
            time.sleep(1)
            return
        conn.recv(65536)
        if mode == "garbage":
            conn.sendall(b"HTTP/1.0 400 Bad Request\r\nServer: junk\r\n\r\n" + bytes(range(256)))
        elif mode == "stall":
            time.sleep(30)
        elif mode == "stallmid":
            conn.sendall(server_hello()[:20])
            time.sleep(30)
        elif mode == "hugechain":
            conn.sendall(server_hello())
            conn.sendall(b"\x16\x03\x03\x40\x00" + b"\x0b\xff\xff\xff" + b"\x00" * (0x4000 - 4))
            sent = 0x4000
            while sent < 4 * 1024 * 1024:
                conn.sendall(b"\x16\x03\x03\x40\x00" + b"\x30" * 0x4000)
                sent += 0x4000
    except OSError:
        pass
    finally:
        conn.close()


def main():
    mode, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if not ipaddress.ip_address(ip).is_loopback:
        sys.exit("loopback addresses only")
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=handle, args=(mode, conn), daemon=True).start()


if __name__ == "__main__":
    main()
