#!/usr/bin/env python3
"""The fleet view across scans (issue 6, deliverable 3), end to end, in network namespaces.

Segment 198.18.6.0/24 on a bridge in namespaces this test creates (nothing in the root namespace
but the guard route `unreachable 198.18.0.0/15`): the scanner at .100, unit A (MAC
02:6d:00:06:00:0a) and unit B (MAC 02:6d:00:06:00:0b), each an `openssl s_server` and an OpenSSH
sshd with the SAME generated TLS key and SSH host key (one firmware image). `mamori scan` runs in
the scanner namespace (MACs from its neighbour table); the ssh service record must carry the SSH
posture (`ssh` object with the host key's fingerprint):

  scan 1  A at .10                      no shared-private-key
  scan 2  A moved to .11 (same MAC)     no shared-private-key; one device in the store, 2 scans
  scan 3  only B, at .12                shared-private-key on .12 for each key (443, 22),
                                        across_scans, naming A (.11, scan 2, mac:...0a)
  scan 4  A at .11 and B at .12         shared-private-key on both for each key, naming each
                                        other (this scan's fleet view), nothing across scans

Store: scans 1-4 write SQLite with `--db` (the scan computes the fleet view); the same four
result files, with every across_scans finding removed, are then `mamori import`ed one by one
into a PostgreSQL database (tests/lib/pgserver.py, loopback, root namespace): the import must
find the same across-scans findings. `mamori keys --shared --json` lists both keys with A and B
on both. Every output line validates against the results schema. Needs root; exit 77 = skipped.

Usage: fleet_netns_test.py --mamori PATH --schema PATH
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import jsonschema

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pgserver import PgServer  # noqa: E402

P = os.environ.get("MAMORI_TEST_FLEET_PREFIX", "mfl")
NET = "198.18.6"
MAC_A, MAC_B = "02:6d:00:06:00:0a", "02:6d:00:06:00:0b"
# Our own guard route (a metric of its own: another test's cleanup never removes ours).
GUARD = ["unreachable", "198.18.0.0/15", "metric", "4976"]
FAILS = []


def check(cond, what):
    print(("ok   - " if cond else "FAIL - ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def run(*cmd, ok=True, **kw):
    p = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if ok and p.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(cmd)}: exit {p.returncode}: {p.stderr[-1500:]}")
    return p


def nsx(name, *cmd, **kw):
    return run("ip", "netns", "exec", f"{P}-{name}", *cmd, **kw)


class Lab:
    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = {}
        self.guard = False

    def up(self):
        if run("ip", "route", "add", *GUARD, ok=False).returncode == 0:
            self.guard = True
        elif not run("ip", "route", "show").stdout.count("unreachable 198.18.0.0/15"):
            raise SystemExit("FAIL: cannot add the guard route unreachable 198.18.0.0/15")
        run("ip", "netns", "add", f"{P}-sw")
        nsx("sw", "ip", "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0")
        nsx("sw", "ip", "link", "set", "br0", "up")
        for name, ip, mac in (("scan", f"{NET}.100", "02:6d:00:06:00:64"), ("a", f"{NET}.10", MAC_A),
                              ("b", f"{NET}.12", MAC_B)):
            run("ip", "netns", "add", f"{P}-{name}")
            nsx(name, "ip", "link", "set", "lo", "up")
            nsx(name, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", f"v-{name}", "netns", f"{P}-sw")
            nsx(name, "ip", "link", "set", "eth0", "address", mac)
            nsx(name, "ip", "addr", "add", f"{ip}/24", "dev", "eth0")
            nsx(name, "ip", "link", "set", "eth0", "up")
            nsx("sw", "ip", "link", "set", f"v-{name}", "master", "br0", "up")

    def serve(self, name):
        """s_server (443) and sshd (22) on every address of the unit's namespace, the shared keys."""
        self.stop(name)
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
        conf = os.path.join(self.tmp, f"sshd-{name}.conf")
        open(conf, "w").write(
            f"ListenAddress 0.0.0.0:22\nHostKey {self.tmp}/ssh_host_ed25519_key\nPidFile {self.tmp}/sshd-{name}.pid\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication no\n"
            "AuthorizedKeysFile none\nAllowUsers nobody-mamori\nStrictModes no\n")
        log = open(os.path.join(self.tmp, f"{name}.log"), "w")
        self.procs[name] = [
            subprocess.Popen(["ip", "netns", "exec", f"{P}-{name}", "openssl", "s_server", "-www", "-accept", "443",
                              "-cert", "fleet.pem", "-key", "fleet.key"], cwd=self.tmp, stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log),
            subprocess.Popen(["ip", "netns", "exec", f"{P}-{name}", "/usr/sbin/sshd", "-D", "-f", conf, "-E",
                              os.path.join(self.tmp, f"sshd-{name}.log")], stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log)]
        for port in (443, 22):
            for _ in range(100):
                if nsx(name, "ss", "-ltn", f"sport = :{port}").stdout.count("LISTEN"):
                    break
                time.sleep(0.05)
            else:
                raise SystemExit(f"FAIL: port {port} in {name} did not start listening: "
                                 + open(os.path.join(self.tmp, f"{name}.log")).read()[-1000:])

    def stop(self, name):
        for p in self.procs.pop(name, []):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)  # our own child, by PID (ip netns exec execs it)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def move(self, name, old, new):
        nsx(name, "ip", "addr", "del", f"{old}/24", "dev", "eth0")
        nsx(name, "ip", "addr", "add", f"{new}/24", "dev", "eth0")

    def down(self):
        for name in list(self.procs):
            self.stop(name)
        for name in ("scan", "a", "b", "sw"):
            run("ip", "netns", "del", f"{P}-{name}", ok=False)
        if self.guard:
            run("ip", "route", "del", *GUARD, ok=False)


def records(path):
    return [json.loads(l) for l in open(path) if l.strip()]


def scan(args, tmp, n, db):
    out = os.path.join(tmp, f"scan{n}.jsonl")
    nsx("scan", "ip", "neigh", "flush", "all", ok=False)  # every scan reads MACs afresh
    t0 = time.monotonic()
    p = nsx("scan", args.mamori, "scan", f"{NET}.10-{NET}.13", "-p", "22,443", "--db", db, "--format", "jsonl",
            "-o", out, "--no-progress", "--timeout", "500ms", "--max-attempts", "2", ok=False, timeout=240)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: scan {n} exited {p.returncode}: {p.stderr[-2000:]}")
    recs = records(out)
    v = jsonschema.Draft202012Validator(json.load(open(args.schema)))
    bad = [(r, e.message) for r in recs for e in list(v.iter_errors(r))[:1]]
    check(not bad, f"scan {n}: {len(recs)} records schema-valid ({time.monotonic() - t0:.1f} s)"
          + (f": {bad[0]}" if bad else ""))
    return out, recs


def shared(recs):
    return [r for r in recs if r["type"] == "finding" and r["check_id"] == "shared-private-key"]


def by_kind(fs):
    """(ip, key kind, port) of shared-private-key findings, sorted."""
    return sorted((f["ip"], f["evidence"]["key_kind"], f.get("port")) for f in fs)


def check_ssh_records(recs, n, fingerprint):
    ssh = [r for r in recs if r["type"] == "service" and r["service"] == "ssh"]
    check(len(ssh) == len({(r["ip"], r["port"]) for r in ssh}) and ssh, f"scan {n}: one ssh service record per ssh port")
    for r in ssh:
        s = r.get("ssh") or {}
        fps = [k["fingerprint"] for k in s.get("host_keys", [])]
        check(s.get("behaviour") == "ok" and s.get("server", "").startswith("SSH-2.0-OpenSSH") and fingerprint in fps
              and s.get("kex") and s.get("ciphers") and s.get("macs") and s.get("host_key_algorithms"),
              f"scan {n}: {r['ip']}:22 service record carries the SSH posture with the host key: "
              f"{s.get('behaviour')} {fps} kex {len(s.get('kex', []))}")


def mamori(args, *cmd):
    p = run(args.mamori, *cmd, ok=False, timeout=120)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: mamori {' '.join(cmd)}: exit {p.returncode}: {p.stderr[-1500:]}")
    return p


def jsonl(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def check_store(args, db, label, scan_ids, spki, ssh_sha):
    """What the store says after the four scans, the same on both backends."""
    keys = jsonl(mamori(args, "keys", "--shared", "--json", "--db", db).stdout)
    got = sorted((k["key_kind"], k["key_sha256"]) for k in keys)
    check(got == [("ssh-host-key", ssh_sha), ("tls-spki", spki)],
          f"{label}: mamori keys --shared lists the two shared keys: {got}")
    for k in keys:
        ids = sorted(i for d in k["devices"] for i in d["identity"])
        check(ids == [f"mac:{MAC_A}", f"mac:{MAC_B}"], f"{label}: {k['key_kind']} is on unit A and unit B: {ids}")
    fs = jsonl(mamori(args, "findings", "--scan", scan_ids[2], "--check", "shared-private-key", "--json",
                      "--db", db).stdout)
    across = [f for f in fs if f["evidence"].get("across_scans")]
    check(by_kind(across) == [(f"{NET}.12", "ssh-host-key", 22), (f"{NET}.12", "tls-spki", 443)],
          f"{label}: scan 3's across-scans findings are in the store: {by_kind(across)}")
    for f in across:
        o = f["evidence"]["also_on"]
        check([(x["ip"], x["scan_id"], x["identity"]) for x in o] == [(f"{NET}.11", scan_ids[1], [f"mac:{MAC_A}"])],
              f"{label}: {f['evidence']['key_kind']} names unit A at .11 in scan 2: {o}")
    devs = jsonl(mamori(args, "devices", "--json", "--db", db).stdout)
    a = [d for d in devs if f"mac:{MAC_A}" in d["keys"]]
    check(len(a) == 1 and a[0]["scans"] == 3, f"{label}: unit A is one device seen in 3 scans: {a}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--schema", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (creates network namespaces)")
        return 77
    for exe in ("ip", "openssl", "ssh-keygen", "/usr/sbin/sshd"):
        if not shutil.which(exe):
            print(f"SKIP: {exe} not installed")
            return 77
    if run("ip", "netns", "add", f"{P}-probe-{os.getpid()}", ok=False).returncode != 0:
        print("SKIP: cannot create network namespaces here")
        return 77
    run("ip", "netns", "del", f"{P}-probe-{os.getpid()}", ok=False)
    for n in ("sw", "scan", "a", "b"):
        if os.path.exists(f"/run/netns/{P}-{n}"):
            print(f"SKIP: namespace {P}-{n} exists already (a leftover? ip netns del {P}-{n})")
            return 77
    with tempfile.TemporaryDirectory(prefix="mamori-fleet-") as tmp:
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "fleet.key", "-out",
            "fleet.pem", "-subj", "/CN=fleet.test", "-days", "30", cwd=tmp)
        der = subprocess.run("openssl x509 -in fleet.pem -pubkey -noout | openssl pkey -pubin -outform DER",
                             shell=True, check=True, cwd=tmp, capture_output=True).stdout
        import hashlib
        spki = hashlib.sha256(der).hexdigest()
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "ssh_host_ed25519_key", cwd=tmp)
        fingerprint = run("ssh-keygen", "-l", "-E", "sha256", "-f", "ssh_host_ed25519_key.pub",
                          cwd=tmp).stdout.split()[1]  # "SHA256:..."
        import base64
        ssh_sha = base64.b64decode(fingerprint[len("SHA256:"):] + "=").hex()
        db = os.path.join(tmp, "fleet.db")
        lab = Lab(tmp)
        files, scan_ids = [], []
        try:
            lab.up()
            nsx("b", "ip", "link", "set", "eth0", "down")  # B is not on the network yet
            # 1: A at .10.
            lab.serve("a")
            f, recs = scan(args, tmp, 1, db)
            files.append(f)
            scan_ids.append(recs[0]["scan_id"])
            tls = [r for r in recs if r["type"] == "tls"]
            check([(r["ip"], r["cert"]["spki_sha256"]) for r in tls] == [(f"{NET}.10", spki)],
                  f"scan 1: A's key at .10: {[(r['ip'], r['cert']['spki_sha256'][:12]) for r in tls]}")
            dev = [r for r in recs if r["type"] == "device"]
            check([d.get("mac") for d in dev] == [MAC_A], f"scan 1: A's MAC from the neighbour table: {dev}")
            check(not shared(recs), "scan 1: no shared-private-key")
            check_ssh_records(recs, 1, fingerprint)
            # 2: A moved to .11 (same unit: same MAC, same key).
            lab.move("a", f"{NET}.10", f"{NET}.11")
            f, recs = scan(args, tmp, 2, db)
            files.append(f)
            scan_ids.append(recs[0]["scan_id"])
            check([r["ip"] for r in recs if r["type"] == "tls"] == [f"{NET}.11"], "scan 2: A's key at .11")
            check(not shared(recs), f"scan 2: a unit that moved shares no key: {shared(recs)}")
            # 3: only B, at .12, with the same key.
            nsx("a", "ip", "link", "set", "eth0", "down")
            nsx("b", "ip", "link", "set", "eth0", "up")
            lab.serve("b")
            f, recs = scan(args, tmp, 3, db)
            files.append(f)
            scan_ids.append(recs[0]["scan_id"])
            s3 = shared(recs)
            check(by_kind(s3) == [(f"{NET}.12", "ssh-host-key", 22), (f"{NET}.12", "tls-spki", 443)],
                  f"scan 3: shared-private-key on .12 for both keys: {by_kind(s3)}")
            check_ssh_records(recs, 3, fingerprint)
            for f3 in s3:
                ev = f3["evidence"]
                want = spki if ev.get("key_kind") == "tls-spki" else ssh_sha
                check(ev.get("across_scans") is True and ev.get("key_sha256") == want,
                      f"scan 3: {ev.get('key_kind')} across scans, the right key: {ev.get('key_sha256')}")
                o = ev.get("also_on", [])
                check(len(o) == 1 and o[0]["ip"] == f"{NET}.11" and o[0]["scan_id"] == scan_ids[1]
                      and o[0]["identity"] == [f"mac:{MAC_A}"] and o[0]["port"] == f3.get("port") and o[0]["seen"],
                      f"scan 3: {ev.get('key_kind')} names unit A (.11, scan 2, its MAC): {o}")
                check(f3.get("severity") and f3.get("title"), "scan 3: the finding has the catalog's severity and title")
            # 4: A and B on the network at once.
            nsx("a", "ip", "link", "set", "eth0", "up")
            f, recs = scan(args, tmp, 4, db)
            files.append(f)
            scan_ids.append(recs[0]["scan_id"])
            s4 = shared(recs)
            check(by_kind(s4) == [(f"{NET}.11", "ssh-host-key", 22), (f"{NET}.11", "tls-spki", 443),
                                  (f"{NET}.12", "ssh-host-key", 22), (f"{NET}.12", "tls-spki", 443)]
                  and not any(r["evidence"].get("across_scans") for r in s4),
                  f"scan 4: this scan's fleet view on .11 and .12, nothing across scans: "
                  f"{[(r['ip'], r['evidence'].get('across_scans')) for r in s4]}")
            for r in s4:
                other = f"{NET}.12" if r["ip"] == f"{NET}.11" else f"{NET}.11"
                check([o["ip"] for o in r["evidence"]["also_on"]] == [other], f"scan 4: {r['ip']} names {other}")
        finally:
            lab.down()
        check_store(args, db, "sqlite", scan_ids, spki, ssh_sha)
        # The same scans imported into PostgreSQL without their across-scans findings: the
        # import computes them.
        with PgServer(tmp) as pg:
            uri = pg.create_database("fleet")
            for i, f in enumerate(files, 1):
                stripped = os.path.join(tmp, f"import{i}.jsonl")
                with open(stripped, "w") as out:
                    for r in records(f):
                        if r["type"] == "finding" and r["evidence"].get("across_scans"):
                            continue
                        out.write(json.dumps(r) + "\n")
                p = mamori(args, "import", stripped, "--db", uri)
                added = "shared-private-key finding(s) with devices of earlier scans added" in p.stderr
                check(added == (i == 3), f"postgresql: import {i} adds an across-scans finding: {added}")
            check_store(args, uri, "postgresql", scan_ids, spki, ssh_sha)
    if FAILS:
        print(f"# {len(FAILS)} check(s) failed")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
