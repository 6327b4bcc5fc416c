#!/usr/bin/env python3
"""Credential audit against real daemons (scripts/lab/daemons.sh on 127.65.8.0/24): OpenSSH
(password and publickey-only), dropbear 2022, busybox telnetd + login, vsftpd, mosquitto, net-snmp
and lighttpd Basic auth. Every `expect` of the manifest must be reported, no `expect_absent`,
and no login the daemon does not have may be reported accepted. Exit 77 = skipped (not root, or
the lab user exists because another lab is up).

Usage: creds_daemons_test.py --mamori PATH --daemons PATH --schema PATH
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

NET = os.environ.get("MAMORI_TEST_NET_CREDS", "127.65.8")


def records(path):
    return [json.loads(l) for l in open(path).read().splitlines() if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--daemons", required=True)
    ap.add_argument("--schema", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    if subprocess.run(["getent", "passwd", "admin"], capture_output=True).returncode == 0:
        print("SKIP: user 'admin' exists (another daemons lab is up)")
        return 77
    schema = json.load(open(args.schema))
    validator = jsonschema.Draft202012Validator(schema)
    state = tempfile.mkdtemp(prefix="mamori-creds-daemons.")
    os.rmdir(state)
    up = subprocess.run([args.daemons, "up", "--state", state, "--net", NET], capture_output=True, text=True)
    if up.returncode != 0:
        print("FAIL: daemons.sh up:", up.stderr[-3000:])
        subprocess.run([args.daemons, "down", "--state", state], capture_output=True)
        return 1
    failures = []
    try:
        manifest = [json.loads(l) for l in open(os.path.join(state, "manifest.jsonl"))]
        with tempfile.TemporaryDirectory() as tmp:
            # 1. The full pipeline over the whole /24.
            out = os.path.join(tmp, "scan.jsonl")
            p = subprocess.run([args.mamori, "scan", f"{NET}.0/24", "-p", "21,22,23,80,1883,161/udp",
                                "--attempt-spacing", "0", "--reveal-secrets", "-o", out, "--no-progress"],
                               capture_output=True, text=True, timeout=240)
            if p.returncode != 0:
                failures.append(f"mamori scan exit {p.returncode}: {p.stderr[-1500:]}")
            recs = records(out)
            for r in recs:
                errs = list(validator.iter_errors(r))
                if errs:
                    failures.append(f"schema: {r}: {errs[0].message}")
            findings = {(r["ip"], r["check_id"]) for r in recs if r["type"] == "finding"}
            creds = {(r["ip"], r["port"]): r for r in recs if r["type"] == "credential"}
            for d in manifest:
                ip = d["ip"]
                for want in d["expect"]:
                    if (ip, want) not in findings:
                        failures.append(f"{d['name']} ({ip}): missing {want}; credential record: {creds.get((ip, d['port']))}")
                for absent in d["expect_absent"]:
                    if (ip, absent) in findings:
                        failures.append(f"{d['name']} ({ip}): reported {absent}, which it does not have")
                c = creds.get((ip, d["port"]))
                if c and c["outcome"] == "accepted":
                    ok = any((x.get("user") == c.get("username") and x.get("password") == c.get("password")) or
                             x.get("community") == c.get("password") for x in d["credentials"])
                    if not ok:
                        failures.append(f"{d['name']}: false accept {c}")
                print(f"{d['name']:<14} {ip}:{d['port']:<5} {c['outcome'] if c else '-':<17} "
                      f"{(c or {}).get('attempts', '')!s:<3} {(c or {}).get('detail', '')[:80]}")
            # 2. A wrong password only, on busybox login (hydra reports it valid) and dropbear.
            wrong = os.path.join(tmp, "wrong.txt")
            open(wrong, "w").write("admin:wrongpass\nroot:admin\n")
            out2 = os.path.join(tmp, "wrong.jsonl")
            p = subprocess.run([args.mamori, "creds", f"telnet://{NET}.12", f"ssh://{NET}.13",
                                f"ssh://{NET}.10", "--creds-file", wrong, "--creds-only",
                                "--attempt-spacing", "0", "-o", out2], capture_output=True, text=True, timeout=120)
            for r in records(out2):
                if r["type"] == "credential" and r["outcome"] != "rejected_all":
                    failures.append(f"wrong-password-only list: expected rejected_all, got {r}")
            # 3. The right pair only: accepted on each (and proven by the negative control).
            right = os.path.join(tmp, "right.txt")
            open(right, "w").write("admin:admin\n")
            out3 = os.path.join(tmp, "right.jsonl")
            p = subprocess.run([args.mamori, "creds", f"telnet://{NET}.12", f"ssh://{NET}.13",
                                f"ssh://{NET}.10", f"ssh://{NET}.11", "--creds-file", right, "--creds-only",
                                "--attempt-spacing", "0", "--reveal-secrets", "-o", out3],
                               capture_output=True, text=True, timeout=120)
            got = {r["ip"]: r for r in records(out3) if r["type"] == "credential"}
            for ip in (f"{NET}.12", f"{NET}.13", f"{NET}.10"):
                r = got.get(ip)
                if not r or r["outcome"] != "accepted" or r.get("negative_control") != "refused":
                    failures.append(f"{ip}: admin/admin should be accepted and the control refused: {r}")
            r = got.get(f"{NET}.11")
            if not r or r["outcome"] != "skipped":
                failures.append(f"{NET}.11 (publickey only): expected skipped, got {r}")
    finally:
        subprocess.run([args.daemons, "down", "--state", state], capture_output=True)
    for f in failures:
        print("FAIL:", f)
    print("PASS" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
