#!/usr/bin/env python3
"""Scripted bad TLS/SSH peers for the posture tests (loopback only).

bad_peer.py MODE IP PORT, MODE one of:
  garbage    answers anything with HTTP-looking bytes, then closes
  stall      accepts, reads, never answers (until the client gives up)
  stallmid   answers a ClientHello with the first 20 bytes of a ServerHello, then stalls
  hugechain  answers with a ServerHello and a Certificate message claiming 16 MiB, and streams
             up to 4 MiB of it while the client reads
  sshgarbage an SSH identification line followed by a malformed binary packet
  ssl3only   a server that speaks only SSLv3: a ServerHello (version 3.0, 3DES suite 0x000a)
             to an SSLv3 ClientHello that offers 0x000a, a protocol_version alert otherwise
  ftpflood   an FTP greeting "220-" whose continuation lines never end (up to 4 MiB)
  ftpstall   an FTP server whose FEAT lists AUTH TLS, and which never answers AUTH TLS
  ftpnotls   an FTP server whose FEAT does not list AUTH TLS (and which refuses AUTH with 502)
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


def ssl3_reply(hello):
    # ClientHello: record header (5), handshake header (4), client_version (2), random (32),
    # session id, then the cipher suites.
    if len(hello) < 44 or hello[0] != 0x16 or hello[5] != 1:
        return b"\x15\x03\x00\x00\x02\x02\x46"
    version = hello[9:11]
    sid = hello[43]
    at = 44 + sid
    n = int.from_bytes(hello[at:at + 2], "big")
    suites = {hello[i:i + 2] for i in range(at + 2, at + 2 + n, 2)}
    if version != b"\x03\x00" or b"\x00\x0a" not in suites:
        return b"\x15\x03\x00\x00\x02\x02\x46"  # protocol_version (or no shared suite)
    body = b"\x03\x00" + b"s" * 32 + b"\x00" + b"\x00\x0a" + b"\x00"
    hs = b"\x02" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x00" + struct.pack(">H", len(hs)) + hs


def ftp(mode, conn):
    if mode == "ftpflood":
        conn.sendall(b"220-Welcome\r\n")
        for _ in range(4 * 1024 * 1024 // 64):
            conn.sendall(b" " + b"x" * 61 + b"\r\n")
        return
    conn.sendall(b"220 bad peer FTP\r\n")
    f = conn.makefile("rb")
    for line in f:
        cmd = line.strip().upper()
        if cmd == b"FEAT":
            feats = b" EPSV\r\n UTF8\r\n" if mode == "ftpnotls" else b" AUTH TLS\r\n PBSZ\r\n PROT\r\n"
            conn.sendall(b"211-Features:\r\n" + feats + b"211 End\r\n")
        elif cmd.startswith(b"AUTH"):
            if mode == "ftpnotls":
                conn.sendall(b"502 Command not implemented\r\n")
            else:
                time.sleep(30)
                return
        else:
            conn.sendall(b"500 Unknown command\r\n")


def handle(mode, conn):
    try:
        conn.settimeout(30)
        if mode == "sshgarbage":
            conn.sendall(b"SSH-2.0-Bad_1.0\r\n" + b"\x7f\xff\xff\xff\x00garbage")
            time.sleep(1)
            return
        if mode.startswith("ftp"):
            ftp(mode, conn)
            return
        data = conn.recv(65536)
        if mode == "ssl3only":
            conn.sendall(ssl3_reply(data))
            time.sleep(0.2)
        elif mode == "garbage":
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
