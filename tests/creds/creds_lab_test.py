#!/usr/bin/env python3
"""End-to-end credential audit against the emulated device lab.

The demo home scenario (data/lab/demo-home.yaml) is moved from 127.66.0.x to 127.73.0.x, served
by mamori-lab, scanned by `mamori scan` (all stages), and the findings are compared with
`mamori-lab truth`: every expected credential finding must be reported (recall) and nothing else
(no false hit). Traffic goes only to 127.73.0.0/24. Exit 77 = skipped.

Usage: creds_lab_test.py CASE --mamori PATH --lab PATH --scenario PATH --schema PATH
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import jsonschema

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from labharness import Lab as LabProcess, moved_scenario  # noqa: E402

NET = "127.73.0"
CRED_CHECKS = {"default-credential", "no-authentication", "ftp-anonymous", "mqtt-anonymous",
               "snmp-default-community", "telnet-enabled", "cleartext-admin", "rtsp-stream-open"}
PORTS = "iot,1400,1401,5000,52323,8883"


class Lab(LabProcess):
    """The demo home on NET (tests/lib/labharness.py), with its truth."""

    def __init__(self, args, tmp):
        super().__init__(args.lab, moved_scenario(args.scenario, NET), tmp, name="creds-lab", ready_timeout=30)
        self.truth = self.load_truth()


def records(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def validate(args, recs):
    schema = json.load(open(args.schema))
    v = jsonschema.Draft202012Validator(schema)
    for r in recs:
        errs = list(v.iter_errors(r))
        if errs:
            raise AssertionError(f"record does not match the schema: {r}: {errs[0].message}")


def expected_findings(truth):
    out = set()
    for d in truth:
        for f in d["findings"]:
            if f["check_id"] in CRED_CHECKS:
                out.add((d["ip"], f["check_id"], f["port"]))
    return out


def lab_secrets(truth):
    """Every password in the scenario (none may appear in output without --reveal-secrets)."""
    out = set()
    for d in truth:
        for s in d["services"]:
            for c in s.get("credentials", []):
                if len(c["password"]) > 1:
                    out.add(c["password"])
    return out


def walk_strings(obj, key=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk_strings(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_strings(v, key)
    elif isinstance(obj, str):
        yield key, obj


def accepted_is_real(truth, rec):
    for d in truth:
        if d["ip"] != rec["ip"]:
            continue
        for s in d["services"]:
            if s["port"] != rec["port"]:
                continue
            if s["kind"] == "snmp":
                return any(c["name"] == rec["password"] for c in s.get("communities", []))
            return any(c["username"] == rec["username"] and c["password"] == rec["password"]
                       for c in s.get("credentials", []))
    return False


def check_verdicts(args, lab, recs, tmp, scan_file):
    """The judge stage: every device gets one verdict per requirement of the catalog, each pinned
    verdict of the scenario (`verdicts:` in the lab file) is met, no `pass` rests on a finding,
    and `mamori evaluate` re-judges the stored results to the same verdicts."""
    verdicts = {}
    for r in recs:
        if r["type"] == "verdict":
            verdicts.setdefault(r["ip"], {})[r["requirement"]] = r
    devices = {r["ip"] for r in recs if r["type"] == "device"}
    assert devices and devices == set(verdicts), (devices, set(verdicts))
    counts = {len(v) for v in verdicts.values()}
    assert len(counts) == 1 and counts.pop() > 100, "every device is judged on the whole catalog"
    pinned = 0
    wrong = []
    for d in lab.truth:
        for req, want in d.get("verdicts", {}).items():
            pinned += 1
            got = verdicts.get(d["ip"], {}).get(req)
            if got is None or got["status"] != want:
                wrong.append(f"{d['name']} {req}: want {want}, got "
                             f"{got['status'] + ' (' + got.get('reason', '') + ')' if got else 'nothing'}")
    print(f"verdicts: {sum(len(v) for v in verdicts.values())} for {len(verdicts)} devices; "
          f"{pinned} pinned by the scenario, {len(wrong)} wrong")
    assert pinned >= 20, "the demo scenario pins verdicts for its devices"
    assert not wrong, "\n".join(wrong)
    findings = {}
    for r in recs:
        if r["type"] == "finding":
            findings.setdefault(r["ip"], set()).add(r["check_id"])
            assert "severity_reason" in r and "base_severity" in r, r
    for ip, vs in verdicts.items():
        for req, v in vs.items():
            if v["status"] == "pass":
                assert not v.get("findings"), v
            if v["status"] == "fail":
                assert set(v["findings"]) <= findings.get(ip, set()), v
    # Re-judging the stored scan gives the same verdicts.
    p = subprocess.run([args.mamori, "evaluate", scan_file], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    again = records(p.stdout)
    validate(args, again)
    re = {(r["ip"], r["requirement"]): r["status"] for r in again if r["type"] == "verdict"}
    orig = {(ip, q): v["status"] for ip, vs in verdicts.items() for q, v in vs.items()}
    assert re == orig, sorted(set(re.items()) ^ set(orig.items()))[:10]


def case_lab_truth(args, lab, tmp):
    out = os.path.join(tmp, "scan.jsonl")
    p = subprocess.run([args.mamori, "scan", NET + ".0/24", "-p", PORTS, "--attempt-spacing", "0",
                        "--reveal-secrets", "-o", out, "--no-progress"],
                       capture_output=True, text=True, timeout=200)
    if p.returncode != 0:
        raise AssertionError(f"mamori scan exit {p.returncode}: {p.stderr[-2000:]}")
    recs = records(open(out).read())
    validate(args, recs)
    got = {(r["ip"], r["check_id"], r.get("port")) for r in recs if r["type"] == "finding"
           and r["check_id"] in CRED_CHECKS}
    want = expected_findings(lab.truth)
    missed = sorted(want - got)
    extra = sorted(got - want)
    creds = [r for r in recs if r["type"] == "credential"]
    print(f"credential records: {len(creds)}; findings expected {len(want)}, found {len(got & want)}, "
          f"missed {len(missed)}, extra {len(extra)}")
    for r in creds:
        print(f"  {r['ip']}:{r['port']} {r['service']:<7} {r['outcome']:<17} attempts={r['attempts']} "
              f"{r.get('username', '')} {r.get('detail', '')[:70]}")
    false_accepts = [r for r in creds if r["outcome"] == "accepted" and not accepted_is_real(lab.truth, r)]
    assert not false_accepts, f"accepted credentials the device does not have: {false_accepts}"
    assert not missed, f"missed findings: {missed}"
    assert not extra, f"findings the lab truth does not have: {extra}"
    end = [r for r in recs if r["type"] == "scan" and r["phase"] == "end"][0]
    assert end["complete"] is True and end["stats"]["login_attempts"] > 0, end
    check_verdicts(args, lab, recs, tmp, out)

    # Caps: no service more than the default 30, no device more than 100.
    per_dev = {}
    for r in creds:
        assert r["attempts"] <= 30, r
        per_dev[r["ip"]] = per_dev.get(r["ip"], 0) + r["attempts"]
    assert max(per_dev.values()) <= 100, per_dev

    # Secrets are redacted by default.
    out2 = os.path.join(tmp, "scan2.jsonl")
    p = subprocess.run([args.mamori, "scan", NET + ".10", "-p", "23,80", "--attempt-spacing", "0",
                        "-o", out2, "--no-progress"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    text = open(out2).read()
    leaked = []
    for rec in records(text):
        for key, value in walk_strings(rec):
            if key in ("username", "list", "source", "title", "title_ja"):
                continue
            for secret in lab_secrets(lab.truth):
                # the whole value, or a distinctive secret inside a detail text
                if value == secret or (len(secret) >= 6 and secret != "password" and secret in value):
                    leaked.append((key, value))
    assert not leaked, f"passwords in the output without --reveal-secrets: {leaked}"
    acc = [r for r in records(text) if r["type"] == "credential" and r["outcome"] == "accepted"]
    assert acc and all(r["password"].endswith("***") for r in acc), acc


def case_url_mode(args, lab, tmp):
    out = os.path.join(tmp, "urls.jsonl")
    p = subprocess.run([args.mamori, "creds", f"telnet://{NET}.10", f"http://{NET}.10:80",
                        f"telnet://{NET}.1", f"mqtt://{NET}.50", "--attempt-spacing", "0",
                        "--reveal-secrets", "-o", out], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, (p.returncode, p.stderr)
    recs = records(open(out).read())
    validate(args, recs)
    by = {(r["ip"], r["port"]): r for r in recs if r["type"] == "credential"}
    assert by[(NET + ".10", 23)]["outcome"] == "accepted" and by[(NET + ".10", 23)]["password"] == "xc3511", by
    assert by[(NET + ".10", 80)]["outcome"] == "accepted", by[(NET + ".10", 80)]
    assert by[(NET + ".1", 23)]["outcome"] == "no_auth_required", by[(NET + ".1", 23)]
    assert by[(NET + ".50", 1883)]["outcome"] == "no_auth_required", by[(NET + ".50", 1883)]
    # the opt-in brute-force test: the lab's web UI keeps rejecting at full speed
    out2 = os.path.join(tmp, "lockout.jsonl")
    p = subprocess.run([args.mamori, "creds", f"http://{NET}.10", "--test-lockout", "--lockout-burst", "4",
                        "--attempt-spacing", "0", "-o", out2], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, (p.returncode, p.stderr)
    recs = records(open(out2).read())
    validate(args, recs)
    tests = [r for r in recs if r["type"] == "credential" and r.get("evidence", {}).get("test") == "lockout"]
    assert len(tests) == 1 and tests[0]["attempts"] == 4 and tests[0]["evidence"]["verdict"] == "unlimited", tests
    assert any(r["type"] == "finding" and r["check_id"] == "brute-force-unlimited" for r in recs), recs
    p = subprocess.run([args.mamori, "creds", NET + ".0/24", "--test-lockout"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "explicit list of service URLs" in p.stderr, (p.returncode, p.stderr)
    # usage errors name the bad token and exit 2
    for bad, token in ((["creds", "gopher://127.73.0.1"], "gopher"),
                       (["creds", "telnet://127.73.0.1:99999"], "99999"),
                       (["creds", "telnet://127.73.0.0/24x", "127.73.0.1"], "127.73.0.1"),
                       (["scan", "telnet://127.73.0.1"], "telnet://127.73.0.1"),
                       (["creds", f"telnet://{NET}.10", "--max-attempts", "1"], "--max-attempts")):
        p = subprocess.run([args.mamori, *bad], capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and token in p.stderr, (bad, p.returncode, p.stderr)


def case_interrupt(args, lab, tmp):
    """SIGINT during the audit keeps every record already written and ends the file cleanly."""
    out = os.path.join(tmp, "int.jsonl")
    p = subprocess.Popen([args.mamori, "scan", NET + ".0/24", "-p", PORTS, "--attempt-spacing", "300ms",
                          "-o", out, "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if os.path.exists(out) and '"credential"' in open(out).read():
            break
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    rc = p.wait(timeout=30)
    assert rc in (130, 0), (rc, p.stderr.read())
    recs = records(open(out).read())
    validate(args, recs)
    assert any(r["type"] == "credential" for r in recs)
    end = recs[-1]
    assert end["type"] == "scan" and end["phase"] == "end", end
    if rc == 130:
        assert end["complete"] is False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--lab", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--schema", required=True)
    args = ap.parse_args()
    cases = {"LabTruth": case_lab_truth, "UrlMode": case_url_mode, "Interrupt": case_interrupt}
    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab(args, tmp)
        try:
            cases[args.case](args, lab, tmp)
        except AssertionError as e:
            print("FAIL:", e)
            return 1
        finally:
            lab.stop()
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
