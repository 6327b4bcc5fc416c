#!/usr/bin/env python3
"""Logs in to a Telnet service the way a person would, and says whether it worked.

usage: telnet_login.py HOST PORT USER PASSWORD [--timeout S]
exit 0: logged in (a shell ran `echo` and its output came back)
exit 1: the login was refused ("Login incorrect" or a new login prompt)
exit 2: anything else (no prompt, connection closed, timeout)

Option negotiation is refused (WONT/DONT) except the server's WILL ECHO / WILL SGA, which
busybox telnetd sends first; that is enough for busybox telnetd + busybox login.
"""
import socket
import sys
import time

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240


class Telnet:
    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.deadline = time.monotonic() + timeout
        self.text = b""

    def _feed(self, data):
        out = bytearray()
        i = 0
        while i < len(data):
            b = data[i]
            if b != IAC:
                out.append(b)
                i += 1
                continue
            if i + 1 >= len(data):
                break
            cmd = data[i + 1]
            if cmd in (DO, DONT, WILL, WONT) and i + 2 < len(data):
                opt = data[i + 2]
                if cmd == DO:
                    self.sock.sendall(bytes([IAC, WONT, opt]))
                elif cmd == WILL:
                    self.sock.sendall(bytes([IAC, DO if opt in (1, 3) else DONT, opt]))
                i += 3
            elif cmd == SB:
                end = data.find(bytes([IAC, SE]), i)
                i = len(data) if end < 0 else end + 2
            else:
                i += 2
        self.text += bytes(out)

    def expect(self, *needles):
        """Waits for one of needles (bytes, case-insensitive); returns its index or -1."""
        while True:
            low = self.text.lower()
            for k, n in enumerate(needles):
                pos = low.find(n.lower())
                if pos >= 0:
                    self.text = self.text[pos + len(n):]
                    return k
            left = self.deadline - time.monotonic()
            if left <= 0:
                return -1
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return -1
            if not data:
                return -1
            self._feed(data)

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")


def main():
    args = sys.argv[1:]
    timeout = 10.0
    if "--timeout" in args:
        k = args.index("--timeout")
        timeout = float(args[k + 1])
        del args[k:k + 2]
    if len(args) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, user, password = args[0], int(args[1]), args[2], args[3]
    try:
        t = Telnet(host, port, timeout)
    except OSError as e:
        print(f"connect failed: {e}", file=sys.stderr)
        return 2
    if t.expect(b"login:") != 0:
        print("no login prompt", file=sys.stderr)
        return 2
    t.send(user)
    if t.expect(b"password:") != 0:
        print("no password prompt", file=sys.stderr)
        return 2
    t.send(password)
    marker = "MAMORI_LOGIN_" + "OK"
    # A shell prompt ends in $ or #; a refusal says "Login incorrect" and prompts again.
    k = t.expect(b"login incorrect", b"login:", b"$ ", b"# ")
    if k in (0, 1):
        print("refused")
        return 1
    if k < 0:
        print("no answer after the password", file=sys.stderr)
        return 2
    t.send(f"echo {marker}_$((6*7)); exit")
    if t.expect((marker + "_42").encode()) == 0:
        print("logged in")
        return 0
    print("no shell output after login", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
