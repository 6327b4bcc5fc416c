#!/usr/bin/env python3
"""The store end to end: real `mamori scan`s of the emulated lab written to SQLite.

History: the demo home (moved to 127.74.0.x) is scanned, then changed (the kitchen speaker is
unplugged, the camera's telnet service is switched off, the TV moves to another address with the
same UPnP UDN) and scanned again; `mamori diff` must name exactly those changes, and the TV must
keep its device id. Report: `mamori report` renders the stored scan as HTML (parsed with
html.parser, the device names present, nothing fetched) and the other formats.
Kill: a scan is killed with SIGKILL mid-way; the database must pass integrity_check and hold the
records the scan had flushed to its JSON Lines file.
Import: `mamori import` of a JSONL file gives the same records as the scan wrote.
History, Kill and PgUnit start a PostgreSQL server on loopback (tests/lib/pgserver.py): History
runs on SQLite and on PostgreSQL (`--db postgresql://...`) and has several `mamori import`s write
one PostgreSQL database at once; Kill kills a scan writing each; PgUnit runs the store's unit
tests on it. A server that cannot start fails the test.

Traffic goes only to 127.74.0.0/24. Exit 77 = skipped.
Usage: store_lab_test.py CASE --mamori PATH --lab PATH --scenario PATH
"""
import argparse
import html.parser
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from labharness import Lab as LabProcess, moved_scenario  # noqa: E402
from pgserver import PgServer  # noqa: E402

NET = "127.74.0"
PORTS = "iot,1400,1401,5000,52323,8883"
TV_UUID = "6d616d6f-7269-4c61-8004-0000000074aa"


def scenario_text(path, changed):
    text = moved_scenario(path, NET)
    # A stable UDN for the TV, wherever it sits.
    text = text.replace("  - name: living-room-tv\n", f"  - name: living-room-tv\n    uuid: {TV_UUID}\n")
    if not changed:
        return text
    # Unplug the kitchen speaker: drop its block (up to the next device's comment line).
    text, n = re.subn(r"  - name: kitchen-speaker\n.*?\n\n", "\n", text, flags=re.S)
    assert n == 1, "kitchen-speaker block not found"
    # Switch the camera's telnet off.
    text, n = re.subn(r"      - kind: telnet\n        auth: login\n        hostname: hikvision\n"
                      r"        credentials: \[\"root:xc3511\"\]\n", "", text)
    assert n == 1, "camera telnet block not found"
    # Move the TV.
    block = text.index("  - name: living-room-tv")
    text = text[:block] + text[block:].replace(f"address: {NET}.21", f"address: {NET}.22", 1)
    return text


def Lab(args, tmp, changed):
    """The demo home on NET (tests/lib/labharness.py), as it was or changed."""
    return LabProcess(args.lab, scenario_text(args.scenario, changed), tmp, name=f"store-lab-{int(changed)}")


def run(args, *argv, check=True, timeout=300, env=None):
    p = subprocess.run([args.mamori, *argv], capture_output=True, text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"mamori {' '.join(argv)}: exit {p.returncode}: {p.stderr[-2000:]}")
    return p


def scan(args, db, out):
    t0 = time.time()
    run(args, "scan", NET + ".0/24", "-p", PORTS, "--attempt-spacing", "0", "--no-progress",
        "-o", out, "--db", db, "--vantage", "inside")
    print(f"scan into {'PostgreSQL' if db.startswith('postgresql:') else db}: {time.time() - t0:.1f} s")
    return [json.loads(l) for l in open(out) if l.strip()]


def lines(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


class Checker(html.parser.HTMLParser):
    """Collects text and every attribute that could make a browser fetch something."""

    def __init__(self):
        super().__init__()
        self.text = []
        self.fetching = []
        self.tags = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag in ("script", "link", "img", "iframe", "object", "embed", "audio", "video", "source"):
            self.fetching.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "action", "data", "poster", "background") and v:
                self.fetching.append(f"{tag} {k}={v}")
            if k == "style" and v and "url(" in v:
                self.fetching.append(f"{tag} style={v}")

    def handle_data(self, data):
        self.text.append(data)


def check_html(text, names):
    p = Checker()
    p.feed(text)
    p.close()
    assert not p.fetching, f"the report would fetch: {p.fetching[:5]}"
    assert "url(" not in text and "@import" not in text, "CSS fetch in the report"
    assert {"html", "svg", "table"} <= p.tags, p.tags
    body = "".join(p.text)
    missing = [n for n in names if n not in body]
    assert not missing, f"device names missing from the report: {missing}"


def case_history(args, tmp):
    """Two scans of the lab with changes between them, checked on SQLite and on PostgreSQL: scan A
    is written live into an SQLite file, scan B live into PostgreSQL (`--db postgresql://`), and
    each scan's JSON Lines file is imported into the other database; then the same queries,
    diff, reports and notification lists on both. Then several writers into one PostgreSQL
    database at once."""
    with PgServer(tmp) as pg:
        sqlite_db = os.path.join(tmp, "history.db")
        uri = pg.create_database("mamori")
        lab = Lab(args, tmp, changed=False)
        try:
            first = scan(args, sqlite_db, os.path.join(tmp, "a.jsonl"))
        finally:
            lab.stop()
        p = run(args, "import", os.path.join(tmp, "a.jsonl"), "--db", uri)
        assert "127.0.0.1" in p.stderr and pg.password not in p.stderr, p.stderr  # the database, not its password
        lab = Lab(args, tmp, changed=True)
        try:
            second = scan(args, uri, os.path.join(tmp, "b.jsonl"))
        finally:
            lab.stop()
        run(args, "import", os.path.join(tmp, "b.jsonl"), "--db", sqlite_db)
        for db in (sqlite_db, uri):
            t0 = time.time()
            check_history(args, tmp, db, first, second, full=db == sqlite_db)
            print(f"database {db.replace(pg.password, '***')}: checked in {time.time() - t0:.1f} s")
        t0 = time.time()
        check_postgres_writers(args, tmp, pg, uri, first, sqlite_db)
        print(f"PostgreSQL writers checked in {time.time() - t0:.1f} s")


def check_history(args, tmp, db, first, second, full=True):
    scan_a, scan_b = first[0]["scan_id"], second[0]["scan_id"]
    scans = lines(run(args, "scans", "--db", db, "--json").stdout)
    assert [s["scan_id"] for s in scans] == [scan_a, scan_b], scans
    assert all(s["complete"] is True for s in scans), scans

    d = json.loads(run(args, "diff", "--db", db, "--json").stdout)
    assert (d["scan_a"], d["scan_b"]) == (scan_a, scan_b), d
    gone = {x["ip"] for x in d["gone_devices"]}
    new = {x["ip"] for x in d["new_devices"]}
    print("diff:", json.dumps({k: d[k] for k in d if k.endswith(("devices", "ports"))}, indent=None)[:1500])
    assert gone == {NET + ".20"}, f"gone devices: {gone}"
    assert new == set(), f"new devices (the TV moved but kept its UDN): {new}"
    closed = {(x["ip"], x["port"]) for x in d["closed_ports"]}
    assert closed == {(NET + ".10", 23)}, f"closed ports: {closed}"
    opened = {(x["ip"], x["port"]) for x in d["opened_ports"]}
    assert opened == set(), f"opened ports: {opened}"
    fixed = {(x["ip"], x["check_id"], x.get("port")) for x in d["fixed_findings"]}
    assert fixed and all(ip == NET + ".10" and port == 23 for ip, _, port in fixed), fixed
    assert (NET + ".10", "telnet-enabled", 23) in fixed, fixed
    assert d["new_findings"] == [], d["new_findings"]
    # Same answer with explicit scan ids; the text form names the changes.
    d2 = json.loads(run(args, "diff", scan_a, scan_b, "--db", db, "--json").stdout)
    assert d2 == d
    text = run(args, "diff", "--db", db).stdout
    assert "gone devices: 1" in text and f"- {NET}.10:23/tcp" in text, text

    # The TV: one device, seen at .21 then .22, identified by its UDN.
    devs = lines(run(args, "devices", "--db", db, "--json").stdout)
    tv = [x for x in devs if f"udn:uuid:{TV_UUID}" in x["keys"]]
    assert len(tv) == 1 and tv[0]["ip"] == NET + ".22" and tv[0]["scans"] == 2, tv
    cams = lines(run(args, "devices", "--db", db, "--json", "--category", "network_camera").stdout)
    assert [c["ip"] for c in cams] == [NET + ".10"], cams
    # Filters on findings.
    fa = lines(run(args, "findings", "--db", db, "--json", "--scan", scan_a).stdout)
    assert fa and all(f["scan_id"] == scan_a for f in fa)
    crit = lines(run(args, "findings", "--db", db, "--json", "--scan", scan_a, "--severity", "critical").stdout)
    assert crit and all(f["severity"] == "critical" for f in crit), crit
    net = lines(run(args, "findings", "--db", db, "--json", "--scan", scan_a, "--network", NET + ".10/32").stdout)
    assert net and all(f["ip"] == NET + ".10" for f in net), net
    chk = lines(run(args, "findings", "--db", db, "--json", "--scan", scan_a, "--check", "telnet-enabled").stdout)
    assert chk and all(f["check_id"] == "telnet-enabled" for f in chk), chk
    p = run(args, "findings", "--db", db, "--network", "nonsense", check=False)
    assert p.returncode == 2, p

    # Reports of the first scan, from the store and from its JSONL file: the same.
    from_file = run(args, "report", "--input", os.path.join(tmp, "a.jsonl"), "--format", "json").stdout
    from_store = run(args, "report", "--db", db, "--scan", scan_a, "--format", "json").stdout
    assert json.loads(from_file) == json.loads(from_store)
    rep = json.loads(from_store)
    assert sum(rep["summary"]["findings_by_severity"].values()) == sum(r["type"] == "finding" for r in first)
    latest = run(args, "report", "--db", db, "--format", "html").stdout  # scan B, with history
    assert "Findings per scan" in latest
    # The label from the store: the camera by address and by device id, as from the file.
    cam_id = [c["device_id"] for c in cams]
    label_file = run(args, "label", NET + ".10", "-i", os.path.join(tmp, "a.jsonl")).stdout
    assert run(args, "label", NET + ".10", "--db", db, "--scan", scan_a).stdout == label_file
    assert run(args, "label", str(cam_id[0]), "--db", db, "--scan", scan_a).stdout == label_file
    if not full:
        return  # the rest renders the same records again

    names = sorted({r["vendor"] for r in first if r["type"] == "device" and r.get("vendor")})
    assert len(names) >= 5, names
    for lang in ("en", "ja"):
        out = os.path.join(tmp, f"report-{lang}.html")
        run(args, "report", "--db", db, "--scan", scan_a, "--format", "html", "--lang", lang, "-o", out)
        check_html(open(out, encoding="utf-8").read(), names)
    assert "Findings per scan" not in open(os.path.join(tmp, "report-en.html"), encoding="utf-8").read()
    ja = open(os.path.join(tmp, "report-ja.html"), encoding="utf-8").read()
    assert "既知の初期パスワード" in ja, "Japanese finding titles missing"
    csv = run(args, "report", "--db", db, "--scan", scan_a, "--format", "csv").stdout.splitlines()
    assert len(csv) == 1 + sum(r["type"] == "finding" for r in first), len(csv)
    md = run(args, "report", "--db", db, "--format", "md").stdout
    assert md.startswith("# Mamori report") and scan_b in md
    xml = run(args, "report", "--db", db, "--scan", scan_a, "--format", "nmap-xml").stdout
    import xml.etree.ElementTree as ET
    root = ET.fromstring(xml)
    assert root.tag == "nmaprun"
    xml_ports = {(h.find("address").get("addr"), int(p.get("portid")), p.get("protocol"))
                 for h in root.findall("host") for p in h.find("ports").findall("port")}
    want = {(r["ip"], r["port"], r["proto"]) for r in first if r["type"] == "port" and r["state"] == "open"}
    assert want <= xml_ports, sorted(want - xml_ports)[:5]
    assert all(p.find("state").get("state") == "open"
               for h in root.findall("host") for p in h.find("ports").findall("port"))

    # Notification lists: one CSV per owner, no password anywhere.
    owners = os.path.join(tmp, "owners.csv")
    open(owners, "w").write(f"prefix,owner\n{NET}.0/25,Home ISP\n{NET}.10/32,Camera Team\n")
    outdir = os.path.join(tmp, "notify")
    run(args, "notify", "--db", db, "--scan", scan_a, "--owners", owners, "--out-dir", outdir)
    files = sorted(os.listdir(outdir))
    assert files == ["Camera_Team.csv", "Home_ISP.csv"], files
    cam = open(os.path.join(outdir, "Camera_Team.csv")).read().splitlines()
    assert cam[0] == "address,port,service,check,severity,date", cam[0]
    assert len(cam) > 1 and all(l.startswith(NET + ".10,") for l in cam[1:]), cam
    secrets = {r["password"] for r in first if r["type"] == "credential" and r.get("password")}
    for f in files:
        body = open(os.path.join(outdir, f)).read()
        assert not any(s and s in body for s in secrets if len(s) > 2), f"password in {f}"
        assert "password" not in body.lower(), f


def case_kill(args, tmp):
    """A scan killed with SIGKILL keeps every record it had flushed: into SQLite, then into
    PostgreSQL (a server the test starts)."""
    lab = Lab(args, tmp, changed=False)
    try:
        kill_scan(args, tmp, os.path.join(tmp, "kill.db"), "sqlite")
        with PgServer(tmp) as pg:
            kill_scan(args, tmp, pg.create_database("killed"), "postgresql", pg)
    finally:
        lab.stop()


def kill_scan(args, tmp, db, kind, pg=None):
    out = os.path.join(tmp, f"kill-{kind}.jsonl")

    def query(sql):
        """One value; None while the schema is not there yet."""
        if pg is not None:
            try:
                return int(pg.psql(sql, db="killed").strip() or 0)
            except Exception:  # noqa: BLE001 (the tables may not exist yet)
                return None
        if not os.path.exists(db):
            return None
        try:
            c = sqlite3.connect(db, timeout=5)
            v = c.execute(sql).fetchone()[0]
            c.close()
            return v
        except sqlite3.OperationalError:
            return None

    proc = subprocess.Popen([args.mamori, "scan", NET + ".0/24", "-p", PORTS, "--attempt-spacing", "0",
                             "--no-progress", "-o", out, "--db", db],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = 0
    for _ in range(1200):  # a guard against a hang, not a pass/fail criterion
        if proc.poll() is not None:
            break
        seen = query("SELECT count(*) FROM records WHERE type IN ('service','device')") or 0
        ended = query("SELECT count(*) FROM records WHERE type='scan' AND data LIKE '%\"end\"%'") or 0
        if seen >= 3 and not ended:
            break
        time.sleep(0.1)
    assert proc.poll() is None, "the scan finished before it could be killed: " + proc.stderr.read()[-500:]
    proc.send_signal(signal.SIGKILL)  # our own child, by PID
    proc.wait()
    if pg is None:
        c = sqlite3.connect(db)
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = [json.loads(r[0]) for r in c.execute("SELECT data FROM records ORDER BY id")]
        c.close()
    else:
        stored = [json.loads(l) for l in pg.psql("SELECT data FROM records ORDER BY id", db="killed").splitlines()
                  if l.strip()]
    assert len(stored) >= seen
    # Every record the scan had flushed to its JSONL file is in the store, except possibly the
    # last one (the file is written first; the kill may fall between the two writes).
    flushed = [json.loads(l) for l in open(out).read().splitlines() if l.strip() and l.endswith("}")]
    missing = [r for r in flushed[:-1] if r not in stored]
    assert not missing, f"{kind}: {len(missing)} flushed records missing from the store: {missing[:3]}"
    print(f"{kind}: killed after {len(stored)} stored records ({len(flushed)} in the JSONL file)")
    scans = lines(run(args, "scans", "--db", db, "--json").stdout)
    assert len(scans) == 1 and scans[0]["complete"] is None, scans
    # The killed scan's records still make a report.
    run(args, "report", "--db", db, "--format", "html", "-o", os.path.join(tmp, f"killed-{kind}.html"))


def case_import(args, tmp):
    """Import and the default database path ($MAMORI_DB), without a lab."""
    recs = [
        {"type": "scan", "phase": "start", "scan_id": "IMP-1", "time": "2026-11-01T00:00:00Z", "version": "0.1.0",
         "targets": [NET + ".0/24"], "ports": "iot"},
        {"type": "port", "scan_id": "IMP-1", "ip": NET + ".9", "port": 80, "proto": "tcp", "state": "open"},
        {"type": "device", "scan_id": "IMP-1", "ip": NET + ".9", "category": "router", "confidence": 0.8,
         "vendor": "Acme<script>"},
        {"type": "verdict", "scan_id": "IMP-1", "ip": NET + ".9", "requirement": "JEITA-AUTH", "status": "pass"},
        {"type": "scan", "phase": "end", "scan_id": "IMP-1", "time": "2026-11-01T00:00:09Z", "version": "0.1.0",
         "targets": [NET + ".0/24"], "ports": "iot", "complete": True,
         "stats": {"hosts_scanned": 256, "ports_open": 1, "duration_s": 9, "packets_sent": 256}},
    ]
    path = os.path.join(tmp, "in.jsonl")
    open(path, "w").write("\n".join(json.dumps(r) for r in recs) + "\nnot json\n")
    env = dict(os.environ, MAMORI_DB=os.path.join(tmp, "env", "m.db"))
    p = run(args, "import", path, env=env, check=False)
    assert p.returncode == 1 and "line 6" in p.stderr, p.stderr  # the bad line is named, the rest stored
    assert os.path.exists(env["MAMORI_DB"])
    scans = lines(run(args, "scans", "--json", env=env).stdout)
    assert [s["scan_id"] for s in scans] == ["IMP-1"] and scans[0]["complete"] is True, scans
    p = run(args, "import", path, env=env, check=False)
    assert "already in the store" in p.stderr, p.stderr
    html_text = run(args, "report", "--format", "html", env=env).stdout
    check_html(html_text, ["Acme<script>"])  # as text: the parser decodes the escaped name
    assert "<script>" not in html_text
    assert "JEITA-AUTH" in html_text
    # A database that cannot be created is a clear error, exit 1.
    p = run(args, "scans", "--db", os.path.join(tmp, "missing", "x.db"), check=False)
    assert p.returncode == 1 and "no database" in p.stderr, p.stderr
    p = run(args, "scan", "127.0.0.1", "-p", "1", "--db", "/proc/nope/x.db", "--no-progress", check=False)
    assert p.returncode == 1 and "store" in p.stderr, (p.returncode, p.stderr)
    p = run(args, "scan", "127.0.0.1", "-p", "1", "--no-db", "--no-progress", "--timeout", "200ms", env=env)
    assert [s["scan_id"] for s in lines(run(args, "scans", "--json", env=env).stdout)] == ["IMP-1"]


def case_pg_unit(args, tmp):
    """The store's GoogleTest cases (StoreOn) on a real PostgreSQL server."""
    assert args.store_tests, "--store-tests is required"
    with PgServer(tmp) as pg:
        env = dict(os.environ, MAMORI_TEST_PG_URI=pg.base_uri())
        p = subprocess.run([args.store_tests, "--gtest_filter=Backends/StoreOn.*/postgresql"], capture_output=True,
                           text=True, timeout=300, env=env)
        print(p.stdout[-3000:])
        ok = [l for l in p.stdout.splitlines() if l.startswith("[       OK ]") and l.split()[3].endswith("/postgresql")]
        assert p.returncode == 0, f"store_tests on PostgreSQL: exit {p.returncode}: {p.stderr[-2000:]}"
        assert len(ok) >= 14, f"only {len(ok)} StoreOn tests ran on PostgreSQL"


def check_postgres_writers(args, tmp, pg, uri, first, sqlite_db):
    """Errors name a PostgreSQL database without its password; many writers at once."""
    # The query commands name the database without its password.
    empty = pg.create_database("empty")
    p = run(args, "scans", "--db", empty, check=False)
    assert p.returncode == 1 and "no Mamori store" in p.stderr and pg.password not in p.stderr, p.stderr
    p = run(args, "scans", "--db", uri.replace(pg.password, "wrong"), check=False)
    assert p.returncode == 1 and "wrong" not in p.stderr, p.stderr
    # Three scanners writing one database at once (each its own copy of scan A, a new scan id):
    # each scan complete with all its records, and the same devices as scan A alone (SQLite).
    shared = pg.create_database("shared")
    text = open(os.path.join(tmp, "a.jsonl")).read()
    scan_a = first[0]["scan_id"]
    files = []
    for i in range(3):
        f = os.path.join(tmp, f"copy{i}.jsonl")
        open(f, "w").write(text.replace(scan_a, f"{scan_a}-copy{i}"))
        files.append(f)
    procs = [subprocess.Popen([args.mamori, "import", f, "--db", shared], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for f in files]
    for pr in procs:
        out, err = pr.communicate(timeout=300)
        assert pr.returncode == 0, err[-2000:]
    scans = lines(run(args, "scans", "--db", shared, "--json").stdout)
    assert len(scans) == 3 and all(s["complete"] is True for s in scans), scans
    one = [s for s in lines(run(args, "scans", "--db", sqlite_db, "--json").stdout) if s["scan_id"] == scan_a][0]
    for s in scans:
        assert (s["hosts"], s["devices"], s["open_ports"], s["findings"]) == (
            one["hosts"], one["devices"], one["open_ports"], one["findings"]), (s, one)
    devs_shared = lines(run(args, "devices", "--db", shared, "--json").stdout)
    devs_single = lines(run(args, "devices", "--db", sqlite_db, "--scan", scan_a, "--json").stdout)
    assert sorted(d["ip"] for d in devs_shared) == sorted(d["ip"] for d in devs_single), (devs_shared, devs_single)
    assert all(d["scans"] == 3 for d in devs_shared), devs_shared
    n = int(pg.psql("SELECT count(*) FROM records", db="shared"))
    assert n == 3 * sum(1 for l in text.splitlines() if l.strip()), n
    print(f"PostgreSQL: 3 concurrent imports, {n} records, {len(devs_shared)} devices")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--lab", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--test-db", help="the MAMORI_DB every test of this build must get from ctest")
    ap.add_argument("--store-tests", help="the store_tests GoogleTest binary (PgUnit)")
    args = ap.parse_args()
    if args.test_db:
        assert os.environ.get("MAMORI_DB") == args.test_db, f"MAMORI_DB={os.environ.get('MAMORI_DB')}"
    cases = {"History": case_history, "Kill": case_kill, "Import": case_import, "PgUnit": case_pg_unit}
    with tempfile.TemporaryDirectory(prefix="mamori-store-") as tmp:
        cases[args.case](args, tmp)
    print("PASS")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
