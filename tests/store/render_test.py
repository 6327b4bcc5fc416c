#!/usr/bin/env python3
"""The HTML report and the device label rendered by headless Chromium (issue 9, item 6).

A results file with two devices is imported into a store; `mamori report` and `mamori label`
(from the store, by address and by device id, and from the file) write HTML; Chromium loads each
from a file:// URL and writes a PNG screenshot and its DOM. The PNG must be a real rendering
(the requested size, many non-white pixels, the red of a `high` badge or a `failed` mark) and
the DOM must hold the device names. Chromium runs in a new network namespace with no interface
up when we are root (and with every host name unresolvable and a dead loopback proxy in any
case): nothing leaves the machine, and the pages' CSP forbids fetches anyway.

No lab, no network. Chromium missing or failing is a failure, not a skip.
Usage: render_test.py --mamori PATH
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

NET = "127.74.0"
WIDTH, HEIGHT = 1100, 1600


def records():
    s = "REN-1"
    recs = [
        {"type": "scan", "phase": "start", "scan_id": s, "time": "2026-11-20T09:00:00Z", "version": "0.1.0",
         "targets": [NET + ".0/24"], "ports": "iot", "vantage": "inside"},
        {"type": "port", "scan_id": s, "ip": NET + ".10", "port": 23, "proto": "tcp", "state": "open"},
        {"type": "port", "scan_id": s, "ip": NET + ".10", "port": 80, "proto": "tcp", "state": "open"},
        {"type": "service", "scan_id": s, "ip": NET + ".10", "port": 23, "proto": "tcp", "service": "telnet"},
        {"type": "service", "scan_id": s, "ip": NET + ".10", "port": 80, "proto": "tcp", "service": "http",
         "product": "App-webs"},
        {"type": "device", "scan_id": s, "ip": NET + ".10", "category": "network_camera", "confidence": 0.97,
         "vendor": "Hikvision", "model": "DS-2CD2032-I", "connection_form": "port_forwarded"},
        {"type": "finding", "scan_id": s, "ip": NET + ".10", "port": 23, "service": "telnet",
         "check_id": "telnet-enabled", "severity": "high", "cia": ["C", "I"], "requirements": ["JEITA-PORTS"],
         "evidence": {"banner": "login:"}},
        {"type": "finding", "scan_id": s, "ip": NET + ".10", "port": 80, "service": "http",
         "check_id": "default-credential", "severity": "critical", "cia": ["C", "I", "A"],
         "requirements": ["JEITA-INITIAL-PASSWORD"], "evidence": {"username": "admin", "password": "1***"}},
        {"type": "port", "scan_id": s, "ip": NET + ".30", "port": 631, "proto": "tcp", "state": "open"},
        {"type": "service", "scan_id": s, "ip": NET + ".30", "port": 631, "proto": "tcp", "service": "ipp"},
        {"type": "device", "scan_id": s, "ip": NET + ".30", "category": "mfp", "confidence": 0.9,
         "vendor": "Brother", "model": "HL-L2350DW", "connection_form": "lan_only"},
        {"type": "finding", "scan_id": s, "ip": NET + ".30", "port": 631, "check_id": "cleartext-admin",
         "severity": "medium", "cia": ["C"], "requirements": ["JEITA-TLS"], "evidence": {}},
    ]
    statuses = {"JEITA-PORTS": "fail", "JEITA-AUTH": "pass", "JEITA-INITIAL-PASSWORD": "fail",
                "JEITA-PASSWORD-CHANGE": "not_verifiable", "JEITA-TLS": "fail", "JEITA-FIRMWARE-UPDATE": "not_verifiable"}
    for req, st in statuses.items():
        recs.append({"type": "verdict", "scan_id": s, "ip": NET + ".10", "requirement": req, "status": st,
                     "reason": "test fixture"})
    recs.append({"type": "scan", "phase": "end", "scan_id": s, "time": "2026-11-20T09:02:00Z", "version": "0.1.0",
                 "targets": [NET + ".0/24"], "ports": "iot", "complete": True,
                 "stats": {"hosts_scanned": 256, "ports_open": 3, "duration_s": 120, "packets_sent": 900}})
    return recs


def run(args, *argv, check=True):
    p = subprocess.run([args.mamori, *argv], capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"mamori {' '.join(argv)}: exit {p.returncode}: {p.stderr[-2000:]}")
    return p


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    raise AssertionError("chromium not found (Debian package chromium, scripts/packages/store.txt)")


def chromium(tmp, page, *what):
    """Runs headless Chromium on file://page; `what` = --screenshot=... or --dump-dom."""
    cmd = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--hide-scrollbars",
           f"--user-data-dir={os.path.join(tmp, 'chromium-profile')}", f"--window-size={WIDTH},{HEIGHT}",
           *what, "file://" + page]
    if os.geteuid() == 0 and shutil.which("unshare"):
        cmd = ["unshare", "--net", "--", *cmd]  # a namespace with only a loopback that is down
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"), XDG_CACHE_HOME=os.path.join(tmp, "xdg"))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError(f"chromium exit {p.returncode}: {p.stderr[-2000:]}")
    return p.stdout


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA non-interlaced PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, hdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xff
            elif f == 2:
                line[i] = (line[i] + b) & 0xff
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def check_png(path, want_rgb, what, dims=(WIDTH, HEIGHT), min_size=10000):
    size = os.path.getsize(path)
    w, h, bpp, rows = png_pixels(path)
    assert (w, h) == dims, f"{what}: {w}x{h}, asked for {dims[0]}x{dims[1]}"
    inked = colored = 0
    for line in rows[::2]:
        for x in range(0, w * bpp, 2 * bpp):
            r, g, b = line[x], line[x + 1], line[x + 2]
            if r + g + b < 600:
                inked += 1
            if all(abs(v - t) <= 40 for v, t in zip((r, g, b), want_rgb)):
                colored += 1
    sampled = (h // 2) * (w // 2)
    print(f"{what}: {os.path.basename(path)} {w}x{h}, {size} bytes, {100 * inked / sampled:.1f}% inked, "
          f"{colored} sampled pixels of {want_rgb}")
    assert size > min_size, f"{what}: PNG of {size} bytes"
    assert inked > sampled // 200, f"{what}: an almost blank page ({inked} of {sampled} sampled pixels inked)"
    assert colored >= 20, f"{what}: no pixel of the colour {want_rgb}: the CSS was not applied"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mamori", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mamori-render-") as tmp:
        recs = records()
        src = os.path.join(tmp, "ren.jsonl")
        open(src, "w").write("\n".join(json.dumps(r) for r in recs) + "\n")
        db = os.path.join(tmp, "ren.db")
        run(args, "import", src, "--db", db)

        report = os.path.join(tmp, "report.html")
        run(args, "report", "--db", db, "--format", "html", "-o", report)
        names = ["Hikvision DS-2CD2032-I", "Brother HL-L2350DW"]
        dom = chromium(tmp, report, "--dump-dom")
        missing = [n for n in names if n not in dom]
        assert not missing, f"device names not in the rendered DOM: {missing}"
        assert "Findings by connection form" in dom and "port_forwarded" in dom, "connection-form chart missing"
        shot = os.path.join(tmp, "report.png")
        chromium(tmp, report, f"--screenshot={shot}")
        check_png(shot, (0xc6, 0x28, 0x28), "report")  # the `high` badge

        # The label: from the store by address and by device id, and from the file: one page.
        label = os.path.join(tmp, "label.html")
        run(args, "label", NET + ".10", "--db", db, "-o", label)
        devs = [json.loads(l) for l in run(args, "devices", "--db", db, "--json").stdout.splitlines() if l.strip()]
        cam = [d for d in devs if d["ip"] == NET + ".10"]
        assert len(cam) == 1, devs
        by_id = run(args, "label", str(cam[0]["device_id"]), "--db", db).stdout
        from_file = run(args, "label", NET + ".10", "-i", src).stdout
        text = open(label, encoding="utf-8").read()
        assert text == by_id == from_file, "the label differs between the store (address, id) and the file"
        p = run(args, "label", NET + ".99", "--db", db, check=False)
        assert p.returncode == 1 and NET + ".99" in p.stderr, (p.returncode, p.stderr)
        p = run(args, "label", NET + ".10", "--db", db, "--scan", "NOPE", check=False)
        assert p.returncode == 1 and "NOPE" in p.stderr, (p.returncode, p.stderr)
        dom = chromium(tmp, label, "--dump-dom")
        assert "Hikvision" in dom and "DS-2CD2032-I" in dom, "device name missing from the rendered label"
        shot = os.path.join(tmp, "label.png")
        chromium(tmp, label, f"--screenshot={shot}")
        check_png(shot, (0xc6, 0x28, 0x28), "label")  # a `failed` measure

        # `mamori label --format png`: the same label rendered by the Chromium on PATH, exactly
        # the label's size; without a Chromium on PATH a usage error.
        png = os.path.join(tmp, "label-direct.png")
        isolate = ["unshare", "--net", "--"] if os.geteuid() == 0 and shutil.which("unshare") else []
        p = subprocess.run([*isolate, args.mamori, "label", NET + ".10", "--db", db, "--format", "png", "-o", png],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
        check_png(png, (0xc6, 0x28, 0x28), "label --format png", dims=(640, 534), min_size=5000)
        # Japanese: a font with the glyphs must be there (else every character is a box).
        fonts = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True, timeout=30).stdout
        assert fonts.strip(), "no Japanese font for Chromium (fonts-ipafont-gothic, scripts/packages/store.txt)"
        p = subprocess.run([*isolate, args.mamori, "label", NET + ".10", "--db", db, "--format", "png", "--lang", "ja",
                            "-o", png + ".ja"], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
        check_png(png + ".ja", (0xc6, 0x28, 0x28), "label --format png --lang ja", dims=(640, 534), min_size=5000)
        no_browser = subprocess.run([args.mamori, "label", NET + ".10", "--db", db, "--format", "png", "-o", png + "2"],
                                    capture_output=True, text=True, timeout=60, env=dict(os.environ, PATH="/nonexistent"))
        assert no_browser.returncode == 2 and "Chromium" in no_browser.stderr, (no_browser.returncode, no_browser.stderr)
        assert not os.path.exists(png + "2")
    print("PASS")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
