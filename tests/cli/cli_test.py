#!/usr/bin/env python3
"""End-to-end tests of `mamori scan` against listeners this test opens on loopback.

Usage: cli_test.py CASE --mamori PATH --schema PATH
Traffic goes only to 127.0.0.0/8 and ::1 (and, for SelfConnect, to the loopback of a private
network namespace made with `unshare -n`). Exit 77 means "skipped" to CTest.
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import unittest

import jsonschema

ARGS = None


def run(*args, **kw):
    return subprocess.run([ARGS.mamori, *args], capture_output=True, text=True, timeout=60, **kw)


def records(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def validate(recs):
    with open(ARGS.schema) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    for r in recs:
        errors = list(validator.iter_errors(r))
        if errors:
            raise AssertionError(f"record does not match the schema: {r}: {errors[0].message}")


def port_free(port):
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_base(n):
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 30000)
        if all(port_free(base + i) for i in range(n)):
            return base
    raise RuntimeError("no free port range")


class Listeners:
    def __init__(self, endpoints):
        self.socks = []
        for ip, port in endpoints:
            fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.bind((ip, port))
            s.listen(64)
            self.socks.append(s)

    def close(self):
        for s in self.socks:
            s.close()


class Usage(unittest.TestCase):
    """Malformed input: exit 2 and a message naming the bad token."""

    def expect_usage(self, args, needle):
        r = run("scan", *args)
        self.assertEqual(r.returncode, 2, f"{args}: rc={r.returncode} stderr={r.stderr}")
        self.assertIn(needle, r.stderr, f"{args}")
        self.assertEqual(r.stdout, "", "nothing on stdout for a usage error")

    def test_bad_tokens_are_named(self):
        self.expect_usage(["127.0.0.1", "1.2.3.256"], "'1.2.3.256'")
        self.expect_usage(["198.18.0.0/33"], "'198.18.0.0/33'")
        self.expect_usage(["127.0.0.1-127.0.0.0"], "'127.0.0.1-127.0.0.0'")
        self.expect_usage(["127.0.0.1", "-p", "80,70000"], "'70000'")
        self.expect_usage(["127.0.0.1", "-p", "cameras"], "'cameras'")
        self.expect_usage(["127.0.0.1", "--exclude", "127.0.0.x"], "'127.0.0.x'")
        self.expect_usage(["127.0.0.1", "--exclude-file", "/nonexistent/x"], "/nonexistent/x")
        self.expect_usage(["@/nonexistent/targets"], "/nonexistent/targets")
        self.expect_usage(["127.0.0.1", "--timeout", "5h"], "'5h'")
        self.expect_usage(["127.0.0.1", "--rate", "fast"], "'fast'")
        self.expect_usage(["127.0.0.1", "--shard", "0/2", "--seed", "1"], "'0/2'")
        self.expect_usage(["127.0.0.1", "--shard", "1/2"], "--seed")
        self.expect_usage(["127.0.0.1", "--seed", "-4"], "'-4'")
        self.expect_usage(["127.0.0.1", "--stages", "ports,bogus"], "'bogus'")
        self.expect_usage(["127.0.0.1", "--format", "xml"], "'xml'")
        self.expect_usage(["2001:db8::/64"], "more than")

    def test_judge_options_are_checked_before_scanning(self):
        self.expect_usage(["127.0.0.1", "--connection-form", "wifi"], "'wifi'")
        self.expect_usage(["127.0.0.1", "--standards", "EN303645,ISO9999"], "'ISO9999'")
        self.expect_usage(["127.0.0.1", "--manifest", "/nonexistent/model.yaml"], "/nonexistent/model.yaml")
        path = f"/tmp/mamori-cli-manifest-{os.getpid()}.yaml"
        with open(path, "w") as f:
            f.write("ports: [80/tcp, 99999]\n")
        try:
            self.expect_usage(["127.0.0.1", "--manifest", path], "'99999'")
        finally:
            os.unlink(path)
        self.expect_usage(["127.0.0.1", "--stages", "ports,judge"], "judge stage needs the identify stage")

    def test_profiles_set_defaults_that_options_override(self):
        self.expect_usage(["127.0.0.1", "--profile", "everything"], "'everything'")
        r = run("scan", "127.0.0.1", "--profile", "notice", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        ports = {int(l.rsplit(":", 1)[1]) for l in r.stdout.split()}
        self.assertIn(2323, ports)
        self.assertIn(7547, ports)
        self.assertNotIn(554, ports)  # the survey's ports, not the iot set
        r = run("scan", "127.0.0.1", "--profile", "notice", "-p", "80", "--dry-run")
        self.assertEqual(r.stdout.split(), ["127.0.0.1:80"])
        r = run("scan", "127.0.0.1", "--profile", "pre-shipment", "--dry-run")
        self.assertEqual(len(r.stdout.split()), 65535)

    def test_target_file_errors_name_file_and_line(self):
        path = f"/tmp/mamori-cli-test-{os.getpid()}.txt"
        with open(path, "w") as f:
            f.write("# lab\n127.0.0.1\n127.0.0.300\n")
        try:
            self.expect_usage([f"@{path}"], f"{path}:3")
        finally:
            os.unlink(path)

    def test_empty_after_exclusion(self):
        self.expect_usage(["127.0.0.0/30", "--exclude", "127.0.0.0/24"], "no targets left")

    def test_missing_targets_and_unknown_options(self):
        self.assertEqual(run("scan").returncode, 2)
        self.assertEqual(run("scan", "127.0.0.1", "--bogus").returncode, 2)
        self.assertEqual(run("frobnicate").returncode, 2)
        self.assertEqual(run("scan", "--help").returncode, 0)
        self.assertIn("--rate", run("scan", "--help").stdout)


class Catalog(unittest.TestCase):
    """`mamori catalog` and `mamori evaluate` on the shipped catalog."""

    def test_lint_list_show(self):
        r = run("catalog", "lint")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("catalog OK", r.stdout)
        r = run("catalog", "list", "--standard", "JCSTAR")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("JCSTAR-S1.1-02", r.stdout)
        self.assertIn("(not confirmed)", r.stdout)
        self.assertNotIn("EN303645-5.1-1", r.stdout)
        r = run("catalog", "show", "EN303645-5.1-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("default-credential", r.stdout)
        self.assertIn("初期パスワード", r.stdout)
        self.assertEqual(run("catalog", "show", "risk").returncode, 0)
        r = run("catalog", "show", "no-such-thing")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'no-such-thing'", r.stderr)

    def test_evaluate_rejudges_stored_records(self):
        recs = [
            {"type": "scan", "scan_id": "s1", "phase": "start", "time": "2026-11-26T00:00:00Z", "version": "x",
             "targets": ["198.18.0.5"], "ports": "23", "stages": ["ports", "identify", "audit", "judge"]},
            {"type": "service", "scan_id": "s1", "ip": "198.18.0.5", "port": 23, "proto": "tcp", "service": "telnet"},
            {"type": "device", "scan_id": "s1", "ip": "198.18.0.5", "category": "network_camera", "confidence": 0.9},
            {"type": "credential", "scan_id": "s1", "ip": "198.18.0.5", "port": 23, "service": "telnet",
             "outcome": "accepted", "attempts": 3},
            {"type": "finding", "scan_id": "s1", "ip": "198.18.0.5", "port": 23, "service": "telnet",
             "check_id": "default-credential", "severity": "low", "cia": ["C"], "requirements": [], "evidence": {}},
            {"type": "verdict", "scan_id": "s1", "ip": "198.18.0.5", "requirement": "EN303645-5.1-1", "status": "pass"},
        ]
        path = f"/tmp/mamori-cli-eval-{os.getpid()}.jsonl"
        with open(path, "w") as f:
            f.write("\n".join(json.dumps(r) for r in recs) + "\nnot json\n")
        try:
            r = run("evaluate", path, "--connection-form", "port_forwarded")
        finally:
            os.unlink(path)
        self.assertEqual(r.returncode, 1, "a line that is not a record is reported")
        self.assertIn(":7: not a results record", r.stderr)
        out = records(r.stdout)
        validate(out)
        verdicts = {v["requirement"]: v for v in out if v["type"] == "verdict"}
        self.assertEqual(verdicts["EN303645-5.1-1"]["status"], "fail", "the stale pass is re-judged")
        self.assertEqual(verdicts["EN303645-5.6-1"]["status"], "fail", "telnet is unneeded on a camera")
        checks = {f["check_id"]: f for f in out if f["type"] == "finding"}
        self.assertEqual(checks["default-credential"]["severity"], "critical")
        self.assertEqual(checks["default-credential"]["base_severity"], "high")
        self.assertIn("unneeded-port-open", checks)
        dev = [d for d in out if d["type"] == "device"][0]
        self.assertEqual(dev["connection_form"], "port_forwarded")


class Exposure(unittest.TestCase):
    """`mamori exposure`: connection forms from an inside and an outside scan (files or store ids)."""

    @staticmethod
    def scans():
        def web(sid, ip, port, title):
            return {"type": "service", "scan_id": sid, "ip": ip, "port": port, "proto": "tcp", "service": "http",
                    "evidence": {"http.status": "200", "http.title": title}}
        inside = [
            {"type": "scan", "scan_id": "in1", "phase": "start", "time": "2026-11-26T00:00:00Z", "version": "x",
             "targets": ["198.19.1.0/24"], "ports": "iot", "vantage": "inside", "stages": ["ports", "identify"]},
            {"type": "service", "scan_id": "in1", "ip": "198.19.1.1", "port": 1900, "proto": "udp", "service": "ssdp",
             "evidence": {"upnp.external_ip": "198.18.0.2", "upnp.mappings": "TCP 8081->198.19.1.11:80"}},
            {"type": "device", "scan_id": "in1", "ip": "198.19.1.1", "category": "router", "confidence": 0.9},
            web("in1", "198.19.1.10", 80, "Camera"),
            {"type": "device", "scan_id": "in1", "ip": "198.19.1.10", "category": "network_camera", "confidence": 0.9},
            web("in1", "198.19.1.11", 80, "DVR"),
            {"type": "device", "scan_id": "in1", "ip": "198.19.1.11", "category": "dvr", "confidence": 0.9},
            web("in1", "198.19.1.12", 80, "Printer"),
            {"type": "device", "scan_id": "in1", "ip": "198.19.1.12", "category": "mfp", "confidence": 0.9},
        ]
        outside = [
            {"type": "scan", "scan_id": "out1", "phase": "start", "time": "2026-11-26T00:01:00Z", "version": "x",
             "targets": ["198.18.0.0/24"], "ports": "iot", "vantage": "outside", "stages": ["ports", "identify"]},
            web("out1", "198.18.0.2", 8080, "Camera"),
            web("out1", "198.18.0.20", 80, "Direct"),
            {"type": "device", "scan_id": "out1", "ip": "198.18.0.20", "category": "network_camera", "confidence": 0.5},
        ]
        return inside, outside

    def write(self, name, recs):
        path = f"/tmp/mamori-cli-exposure-{os.getpid()}-{name}.jsonl"
        with open(path, "w") as f:
            f.write("\n".join(json.dumps(r) for r in recs) + "\n")
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        return path

    def forms(self, out):
        return {d["ip"]: d["connection_form"] for d in out if d["type"] == "device"}

    def test_forms_from_files_and_from_the_store(self):
        inside, outside = self.scans()
        a, b = self.write("in", inside), self.write("out", outside)
        r = run("exposure", "--inside", a, "--outside", b, "--format", "jsonl")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = records(r.stdout)
        validate(out)
        want = {"198.19.1.1": "direct", "198.19.1.10": "port_forwarded", "198.19.1.11": "port_forwarded",
                "198.19.1.12": "nat_unreachable", "198.18.0.20": "direct"}
        self.assertEqual(self.forms(out), want)
        fwd = {(f["ip"], f["port"]): f["evidence"]["via"] for f in out if f["type"] == "finding"}
        self.assertEqual(fwd, {("198.19.1.10", 80): "outside-scan", ("198.19.1.11", 80): "upnp-igd"})
        # The same two scans from a store, by id.
        db = f"/tmp/mamori-cli-exposure-{os.getpid()}.db"
        self.addCleanup(lambda: [os.unlink(p) for p in (db, db + "-wal", db + "-shm") if os.path.exists(p)])
        for f in (a, b):
            imp = run("import", f, "--db", db)
            self.assertEqual(imp.returncode, 0, imp.stderr)
        r = run("exposure", "--inside", "in1", "--outside", "out1", "--db", db, "--format", "jsonl")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.forms(records(r.stdout)), want)
        # A table for people.
        r = run("exposure", "--inside", a, "--outside", b, "--format", "table")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("port_forwarded", r.stdout)
        self.assertIn("forwarded: 198.19.1.11:80 <- 198.18.0.2:8081 (upnp-igd)", r.stdout)

    def test_judge_rescores_in_the_measured_form(self):
        inside, outside = self.scans()
        inside.append({"type": "finding", "scan_id": "in1", "ip": "198.19.1.12", "port": 80, "service": "http",
                       "check_id": "default-credential", "severity": "high", "cia": ["C", "I", "A"],
                       "requirements": [], "evidence": {}})
        r = run("exposure", "--inside", self.write("in", inside), "--outside", self.write("out", outside), "--judge")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = records(r.stdout)
        validate(out)
        self.assertEqual(self.forms(out)["198.19.1.10"], "port_forwarded")
        cred = [f for f in out if f["type"] == "finding" and f["check_id"] == "default-credential"][0]
        self.assertIn("nat_unreachable", cred["severity_reason"])  # the printer is measured behind NAT
        self.assertTrue(any(v["type"] == "verdict" for v in out))

    def test_bad_input_is_named(self):
        r = run("exposure")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--inside", r.stderr)
        bad = self.write("bad", [{"type": "scan", "scan_id": "x", "phase": "start"}])
        with open(bad, "a") as f:
            f.write("not json\n")
        r = run("exposure", "--inside", bad)
        self.assertEqual(r.returncode, 2)
        self.assertIn("line 2: not a results record", r.stderr)
        r = run("exposure", "--inside", "no-such-scan", "--db", f"/tmp/mamori-cli-exposure-none-{os.getpid()}.db")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'no-such-scan'", r.stderr)
        r = run("exposure", "--inside", bad, "--format", "xml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'xml'", r.stderr)


class Label(unittest.TestCase):
    """`mamori label`: the seed's measures as verified / failed / not verifiable."""

    def test_label_from_judged_records(self):
        import xml.etree.ElementTree as ET
        recs = [
            {"type": "scan", "scan_id": "s1", "phase": "start", "time": "2026-11-26T00:00:00Z", "version": "x",
             "targets": ["198.18.0.7"], "ports": "23,443", "stages": ["ports", "identify", "audit", "judge"]},
            {"type": "service", "scan_id": "s1", "ip": "198.18.0.7", "port": 23, "proto": "tcp", "service": "telnet"},
            {"type": "device", "scan_id": "s1", "ip": "198.18.0.7", "category": "network_camera", "confidence": 0.9,
             "vendor": "Acme <&> Cams", "model": "C1"},
            {"type": "credential", "scan_id": "s1", "ip": "198.18.0.7", "port": 23, "service": "telnet",
             "outcome": "accepted", "attempts": 3},
            {"type": "finding", "scan_id": "s1", "ip": "198.18.0.7", "port": 23, "service": "telnet",
             "check_id": "default-credential", "severity": "high", "cia": ["C"], "requirements": [], "evidence": {}},
        ]
        base = f"/tmp/mamori-cli-label-{os.getpid()}"
        with open(base + ".jsonl", "w") as f:
            f.write("\n".join(json.dumps(r) for r in recs) + "\n")
        try:
            r = run("label", "198.18.0.7", "-i", base + ".jsonl")
            self.assertEqual(r.returncode, 2, "no verdicts yet")
            self.assertIn("mamori evaluate", r.stderr)
            r = run("evaluate", base + ".jsonl", "-o", base + ".judged.jsonl")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run("label", "198.18.0.7", "-i", base + ".judged.jsonl", "--format", "svg")
            self.assertEqual(r.returncode, 0, r.stderr)
            root = ET.fromstring(r.stdout)
            status = {g.get("data-requirement"): g.get("data-status")
                      for g in root.iter("{http://www.w3.org/2000/svg}g")}
            self.assertEqual(status["JEITA-INITIAL-PASSWORD"], "fail")
            self.assertEqual(status["JEITA-PORTS"], "fail")  # telnet on a camera
            self.assertEqual(status["JEITA-FIRMWARE-UPDATE"], "not_verifiable")
            self.assertEqual(len(status), 6)
            self.assertIn("Acme &lt;&amp;&gt; Cams", r.stdout)
            self.assertIn("does not guarantee", r.stdout)
            r = run("label", "198.18.0.7", "-i", base + ".judged.jsonl", "--lang", "ja")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("初期パスワード", r.stdout)
            self.assertIn("default-src 'none'", r.stdout)
            for bad in ("src=", "href=", "<script", "url("):
                self.assertNotIn(bad, r.stdout)
            r = run("label", "198.18.0.99", "-i", base + ".judged.jsonl")
            self.assertEqual(r.returncode, 2)
            self.assertIn("198.18.0.99", r.stderr)
        finally:
            for suffix in (".jsonl", ".judged.jsonl"):
                if os.path.exists(base + suffix):
                    os.unlink(base + suffix)


class Scan(unittest.TestCase):
    """A scan reports exactly the listening ports, in the results contract."""

    @classmethod
    def setUpClass(cls):
        cls.base = free_base(40)
        b = cls.base
        cls.want = {("127.78.0.1", b + 1), ("127.78.0.1", b + 30), ("127.78.0.3", b + 39),
                    ("::1", b + 5)}
        cls.listeners = Listeners(sorted(cls.want))

    @classmethod
    def tearDownClass(cls):
        cls.listeners.close()

    def test_open_ports_exactly_and_schema(self):
        spec = f"{self.base}-{self.base + 39}"
        r = run("scan", "127.78.0.1-3", "::1", "-p", spec, "--timeout", "2s")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "", "silent on stderr when it is not a terminal")
        recs = records(r.stdout)
        validate(recs)
        self.assertEqual(recs[0]["type"], "scan")
        self.assertEqual(recs[0]["phase"], "start")
        self.assertEqual(recs[-1]["phase"], "end")
        self.assertTrue(recs[-1]["complete"])
        ids = {x["scan_id"] for x in recs}
        self.assertEqual(len(ids), 1)
        got = {(x["ip"], x["port"]) for x in recs if x["type"] == "port"}
        self.assertEqual(got, self.want)
        self.assertTrue(all(x["state"] == "open" and x["proto"] == "tcp"
                            for x in recs if x["type"] == "port"))
        stats = recs[-1]["stats"]
        self.assertEqual(stats["ports_open"], 4)
        self.assertEqual(stats["hosts_scanned"], 4)
        self.assertEqual(stats["packets_sent"], 4 * 40)

    def test_all_states_and_output_file(self):
        spec = f"{self.base}-{self.base + 39}"
        out = f"/tmp/mamori-cli-test-{os.getpid()}.jsonl"
        try:
            r = run("scan", "127.78.0.1-2", "-p", spec, "--all-states", "-o", out,
                    "--format", "table")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("127.78.0.1", r.stdout)
            self.assertIn(f"{self.base + 30}/tcp", r.stdout)
            with open(out) as f:
                recs = records(f.read())
            validate(recs)
            ports = [x for x in recs if x["type"] == "port"]
            self.assertEqual(len(ports), 2 * 40)
            states = {(x["ip"], x["port"]): x["state"] for x in ports}
            self.assertEqual(states[("127.78.0.1", self.base + 1)], "open")
            self.assertEqual(states[("127.78.0.2", self.base + 1)], "closed")
        finally:
            if os.path.exists(out):
                os.unlink(out)

    def test_hostname_is_kept(self):
        r = run("scan", "localhost", "-p", str(self.base + 5))
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = records(r.stdout)
        validate(recs)
        self.assertIn("localhost", recs[0]["targets"])

    def test_exclusions_are_never_touched(self):
        spec = f"{self.base}-{self.base + 39}"
        r = run("scan", "127.78.0.0/29", "-p", spec, "--exclude", "127.78.0.1,127.78.0.4-7",
                "--all-states")
        self.assertEqual(r.returncode, 0, r.stderr)
        hosts = {x["ip"] for x in records(r.stdout) if x["type"] == "port"}
        self.assertEqual(hosts, {"127.78.0.0", "127.78.0.2", "127.78.0.3"})


class Shards(unittest.TestCase):
    """N shards with one seed cover every (address, port) exactly once."""

    def probes(self, *extra):
        r = run("scan", "198.18.0.0/26", "198.18.9.1-198.18.9.5", "-p", "22,23,80,443,8080",
                "--dry-run", "--seed", "77", *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()

    def test_partition(self):
        full = self.probes()
        self.assertEqual(len(full), (64 + 5) * 5)
        self.assertEqual(len(set(full)), len(full))
        self.assertNotEqual(full, sorted(full), "the order is permuted")
        for n in (2, 3, 7):
            union = []
            host_shard = {}
            for i in range(1, n + 1):
                part = self.probes("--shard", f"{i}/{n}")
                for p in part:
                    host = p.rsplit(":", 1)[0]
                    self.assertEqual(host_shard.setdefault(host, i), i, "a host in two shards")
                union += part
            self.assertEqual(sorted(union), sorted(full), f"{n} shards")

    def test_seed_reproducible(self):
        self.assertEqual(self.probes(), self.probes())


class Interrupt(unittest.TestCase):
    """SIGINT stops cleanly: results so far are kept and the end record says complete: false."""

    def test_sigint(self):
        # A range nothing on this machine listens on (wildcard listeners would show up too).
        first = free_base(1000)
        base = first + 500
        lst = Listeners([("127.78.1.1", base)])
        out = f"/tmp/mamori-cli-int-{os.getpid()}.jsonl"
        try:
            # 1000 ports at 100/s: ten seconds unless interrupted. Pick a seed whose walk reaches
            # the open port early (the dry run shows the order), then wait until it is reported.
            ports = f"{first}-{first + 999}"
            for seed in range(1, 200):
                order = run("scan", "127.78.1.1", "-p", ports, "--seed", str(seed), "--dry-run").stdout.split()
                if f"127.78.1.1:{base}" in order[:100]:
                    break
            proc = subprocess.Popen([ARGS.mamori, "scan", "127.78.1.1", "-p", ports,
                                     "--rate", "100", "--seed", str(seed), "-o", out],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            deadline = time.time() + 15
            found = False
            while time.time() < deadline and not found:
                time.sleep(0.05)
                if os.path.exists(out):
                    with open(out) as f:
                        found = any('"type":"port"' in line for line in f)
            self.assertTrue(found, "the open port was not reported in time")
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=10)
            self.assertEqual(proc.returncode, 130, err)
            with open(out) as f:
                recs = records(f.read())
            validate(recs)
            self.assertEqual(recs[-1]["phase"], "end")
            self.assertFalse(recs[-1]["complete"])
            self.assertIn(("127.78.1.1", base), {(x["ip"], x["port"]) for x in recs if x["type"] == "port"})
            self.assertLess(recs[-1]["stats"]["packets_sent"], 1000)
        finally:
            lst.close()
            if os.path.exists(out):
                os.unlink(out)


class SelfConnect(unittest.TestCase):
    """On loopback a connect to an ephemeral port can meet itself; that is never an open port.

    In a private network namespace whose ephemeral range is one port, a connect to that port
    from 127.0.0.1 is a guaranteed self-connect."""

    def test_never_open(self):
        probe = ("ip link set lo up && sysctl -qw net.ipv4.ip_local_port_range='40000 40001' && "
                 "python3 -c \"import socket; s=socket.socket(); s.connect(('127.0.0.1', 40000)); "
                 "print('SELF' if s.getsockname()==s.getpeername() else 'OTHER')\" ; "
                 f"{ARGS.mamori} scan 127.0.0.1 -p 40000,40001 --all-states --format jsonl")
        try:
            r = subprocess.run(["unshare", "-n", "sh", "-c", probe], capture_output=True,
                               text=True, timeout=60)
        except FileNotFoundError:
            raise unittest.SkipTest("unshare not available")
        if r.returncode != 0 and "Operation not permitted" in r.stderr:
            raise unittest.SkipTest("cannot create a network namespace here")
        self.assertIn("SELF", r.stdout, f"the self-connect did not happen: {r.stdout} {r.stderr}")
        recs = records(r.stdout.split("\n", 1)[1])
        validate(recs)
        states = {x["port"]: x["state"] for x in recs if x["type"] == "port"}
        self.assertEqual(states, {40000: "closed", 40001: "closed"})


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--schema", required=True)
    ARGS = ap.parse_args()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(globals()[ARGS.case])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if result.wasSuccessful() and result.skipped and result.testsRun == len(result.skipped):
        sys.exit(77)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
