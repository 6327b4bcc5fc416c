#!/usr/bin/env python3
"""Recall of identification on the device lab: start mamori-lab on a scenario, scan it with
`mamori scan --stages ports,identify`, and compare the records with `mamori-lab truth`.

Usage: recall.py {demo,generated} --mamori PATH --lab PATH --schema PATH --scenario PATH
                 [--devices N] [--seed S[,S...]] [--base A] [--quiet]
                 [--min-category F] [--min-service F] [--min-vendor F] [--ports SPEC]
With several seeds, one lab per seed is generated, served and scanned in turn, and the floors
apply to the figures summed over them. Misses are also printed grouped by kind.

Figures (printed, then checked against the floors):
  category  devices whose `device` record has the truth's category (a device with no record
            counts as wrong)
  service   truth services (ip, port, proto) reported by a `service` record with the truth's
            service name (a service not reported, e.g. on a port outside the scanned set,
            counts as a disagreement). A service the truth marks `"discoverable": false` (an
            SNMP agent whose community is not `public` answers no unauthenticated probe) is
            left out and counted as `silent`.
  vendor    devices whose record names the truth's vendor: equal after case folding, or one is
            the other's leading words ("Sony" for "Sony Interactive")
Every record must match spec/results.schema.json. The lab is ended by its PID. Traffic goes only
to the scenario's loopback addresses. Exit 0 pass, 1 below a floor or a broken record.
"""
import argparse
import collections
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import jsonschema


def records(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def words(name):
    return re.findall(r"[a-z0-9]+", (name or "").lower())


def same_vendor(truth, seen):
    t, s = words(truth), words(seen)
    if not t or not s:
        return False
    n = min(len(t), len(s))
    return t[:n] == s[:n]


class Lab:
    """mamori-lab serving one scenario until stop(); stopped by its own PID only."""

    def __init__(self, lab, scenario, workdir):
        self.ready = os.path.join(workdir, "lab.ready")
        if os.path.exists(self.ready):  # left by the previous lab of this run
            os.unlink(self.ready)
        self.log = open(os.path.join(workdir, "lab.log"), "w+")
        self.proc = subprocess.Popen([lab, "run", scenario, "--ready-file", self.ready],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"mamori-lab exited {self.proc.returncode}: {self.log.read()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("mamori-lab did not become ready within 90 s")
            time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def targets_of(truth):
    """The smallest address range covering the truth's devices (never beyond them)."""
    ips = sorted(ipaddress.ip_address(d["ip"]) for d in truth)
    return f"{ips[0]}-{ips[-1]}"


def compare(truth, recs):
    devices = {r["ip"]: r for r in recs if r["type"] == "device"}
    services = {(r["ip"], r["port"], r["proto"]): r for r in recs if r["type"] == "service"}
    cat_ok, svc_ok, svc_n, ven_ok, ven_n, silent = 0, 0, 0, 0, 0, 0
    misses = []
    for d in truth:
        got = devices.get(d["ip"], {})
        if got.get("category") == d["category"]:
            cat_ok += 1
        else:
            misses.append(f"category {d['ip']} {d.get('vendor', '')} {d.get('model', '')}: want {d['category']}, "
                          f"got {got.get('category', '<no device record>')} ({','.join(got.get('evidence', []))})")
        if d.get("vendor"):
            ven_n += 1
            if same_vendor(d["vendor"], got.get("vendor")):
                ven_ok += 1
            else:
                misses.append(f"vendor {d['ip']}: want {d['vendor']}, got {got.get('vendor', '<none>')}")
        for s in d.get("services", []):
            if s.get("discoverable") is False:
                silent += 1  # e.g. SNMP without a known community: no scanner can see it
                continue
            svc_n += 1
            seen = services.get((d["ip"], s["port"], s["proto"]))
            if seen and seen["service"] == s["service"]:
                svc_ok += 1
            else:
                misses.append(f"service {d['ip']}:{s['port']}/{s['proto']}: want {s['service']}, "
                              f"got {seen['service'] if seen else '<not reported>'}")
    frac = lambda a, b: a / b if b else 1.0
    return {
        "category": (cat_ok, len(truth), frac(cat_ok, len(truth))),
        "service": (svc_ok, svc_n, frac(svc_ok, svc_n)),
        "vendor": (ven_ok, ven_n, frac(ven_ok, ven_n)),
        "silent": (silent, silent, 1.0),
    }, misses


def scan_one(a, validator, work, scenario):
    """Runs the lab on `scenario`, scans it; returns (truth, records, wall seconds, bad records)."""
    truth = records(subprocess.run([a.lab, "truth", scenario], check=True, capture_output=True, text=True,
                                   timeout=60).stdout)
    for d in truth:
        if not ipaddress.ip_address(d["ip"]).is_loopback:
            sys.exit(f"recall: {d['ip']} is not a loopback address; refusing to scan it")
    lab = Lab(a.lab, scenario, work)
    try:
        t0 = time.monotonic()
        scan = subprocess.run([a.mamori, "scan", targets_of(truth), "-p", a.ports, "--stages", "ports,identify",
                               "--format", "jsonl", "--no-db"], capture_output=True, text=True, timeout=900)
        wall = time.monotonic() - t0
    finally:
        lab.stop()
    if scan.returncode != 0:
        sys.exit(f"recall: mamori scan exited {scan.returncode}: {scan.stderr[-2000:]}")
    recs = records(scan.stdout)
    bad = 0
    for r in recs:
        errors = list(validator.iter_errors(r))
        if errors:
            bad += 1
            print(f"record does not match the schema: {json.dumps(r)[:300]}: {errors[0].message}")
    return truth, recs, wall, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["demo", "generated"])
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--lab", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--scenario", help="demo: the scenario file")
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--base", default="127.72.0.0")
    ap.add_argument("--seed", default="7", help="generated: a seed, or a comma-separated list (one lab each)")
    ap.add_argument("--ports", default="iot")
    ap.add_argument("--min-category", type=float, default=0.0)
    ap.add_argument("--min-service", type=float, default=0.0)
    ap.add_argument("--min-vendor", type=float, default=0.0)
    ap.add_argument("--quiet", action="store_true", help="print the misses only as counts")
    a = ap.parse_args()

    with open(a.schema) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    totals = {"category": [0, 0], "service": [0, 0], "vendor": [0, 0], "silent": [0, 0]}
    kinds = collections.Counter()
    bad, devices, wall = 0, 0, 0.0
    seeds = [int(x) for x in str(a.seed).split(",") if x.strip()] if a.case == "generated" else [None]
    with tempfile.TemporaryDirectory(prefix="mamori-recall-") as work:
        for seed in seeds:
            scenario = a.scenario
            if a.case == "generated":
                scenario = os.path.join(work, f"generated-{seed}.yaml")
                subprocess.run([a.lab, "gen", "--devices", str(a.devices), "--base", a.base, "--seed", str(seed),
                                "-o", scenario], check=True, timeout=60)
            truth, recs, w, b = scan_one(a, validator, work, scenario)
            bad += b
            wall += w
            devices += len(truth)
            figures, misses = compare(truth, recs)
            for m in misses:
                # "category IP VENDOR MODEL: want X, got Y (...)" -> grouped without the address
                kinds[re.sub(r"^(\w+) [0-9.]+(:\d+/\w+)? ?", r"\1 ", m.split(" (")[0])] += 1
                if not a.quiet:
                    print("  miss:", m)
            tag = f"seed {seed}" if seed is not None else a.case
            print(f"recall[{tag}]: {len(truth)} devices, scan {w:.1f} s: " +
                  ", ".join(f"{k} {ok}/{n}" for k, (ok, n, _) in figures.items()))
            for k, (ok, n, _) in figures.items():
                totals[k][0] += ok
                totals[k][1] += n
    if kinds:
        print("misses by kind:")
        for k, n in kinds.most_common():
            print(f"  {n:5}  {k}")
    print(f"recall[{a.case}]: {devices} devices in {len(seeds)} lab(s), scans {wall:.1f} s")
    floors = {"category": a.min_category, "service": a.min_service, "vendor": a.min_vendor}
    failed = bad > 0
    print(f"  silent   {totals['silent'][0]} truth services answer no unauthenticated probe (left out of 'service')")
    for name, (ok, n) in totals.items():
        if name == "silent":
            continue
        f = ok / n if n else 1.0
        below = f + 1e-9 < floors[name]
        failed |= below
        print(f"  {name:8} {ok}/{n} = {f:.3f} (floor {floors[name]:.3f}){'  BELOW FLOOR' if below else ''}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
