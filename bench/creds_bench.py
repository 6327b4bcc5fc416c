#!/usr/bin/env python3
"""Helpers of bench/creds-bench.sh: credential lists, the 1,000-device lab scenario and its
ground truth, parsing of what mamori, hydra and medusa found, scoring and the summary.

  creds_bench.py lists DIR                      -> DIR/{long,wrong,short}.{mamori,hydra,medusa}
  creds_bench.py scenario N BASE SEED YAML TRUTH -> lab scenario + truth TSV (ip port user pass)
  creds_bench.py manifest-truth MANIFEST IP PORT -> truth TSV of one shared daemon
  creds_bench.py found TOOL OUT LOG             -> TSV "ip port user password" of every hit
  creds_bench.py attempts TOOL OUT LOG          -> login attempts the tool made (its own count)
  creds_bench.py score CASE ROUND TOOL TIMES FOUND TRUTH ATTEMPTS TARGETS RC LOAD -> one TSV row
  creds_bench.py summary RESULTS.tsv            -> Markdown tables: rates, agreement with truth

Every comparison is per target (ip, port): the pair a tool reports as valid there against the
pair the ground truth says is valid (none for hardened targets and for the wrong-only list).
A tool that reports a pair the truth does not have is wrong (false hit), one that misses a
truth pair is wrong (miss); two tools "agree" only when their per-target sets are equal.
"""
import ipaddress
import json
import random
import re
import statistics
import sys
from pathlib import Path

COLUMNS = ["case", "round", "tool", "wall_s", "user_s", "sys_s", "maxrss_kib", "targets",
           "attempts", "found", "truth", "true_hits", "false_hits", "missed", "rc", "load1",
           "found_file"]

# The list of the single-target cases: 29 Mirai pairs (shared/research/mirai-creds.tsv, in
# Mirai's order, empty passwords and admin/admin left out) and the valid pair last, so every
# tool must walk the whole list before the hit.
LONG_WRONG = [
    ("root", "xc3511"), ("root", "vizxv"), ("root", "admin"), ("root", "888888"),
    ("root", "xmhdipc"), ("root", "default"), ("root", "juantech"), ("root", "123456"),
    ("root", "54321"), ("support", "support"), ("admin", "password"), ("root", "root"),
    ("root", "12345"), ("user", "user"), ("root", "pass"), ("admin", "admin1234"),
    ("root", "1111"), ("admin", "smcadmin"), ("admin", "1111"), ("root", "666666"),
    ("root", "password"), ("root", "1234"), ("root", "klv123"), ("Administrator", "meinsm"),
    ("service", "service"), ("supervisor", "supervisor"), ("guest", "guest"),
    ("guest", "12345"), ("admin1", "password"),
]
LONG = LONG_WRONG + [("admin", "admin")]
# Wrong pairs only, for the busybox login correctness run: nothing may be reported.
WRONG = [("admin", "password"), ("admin", "1234"), ("admin", "12345"), ("root", "default"),
         ("admin", "admin1234"), ("root", "xc3511"), ("admin", "smcadmin"), ("admin", "1111")]
# The 1,000-device case: one short list for every device; each weak device has exactly one of
# these pairs (so a tool that stops at the first hit per device finds exactly the truth).
SHORT = [("root", "xc3511"), ("root", "vizxv"), ("admin", "admin"), ("root", "888888"),
         ("support", "support")]


def write_list(path_stem, pairs):
    """One list in the three tools' formats (no ':' may appear in a user name)."""
    for user, _ in pairs:
        assert ":" not in user
    Path(path_stem + ".mamori").write_text("".join(f"{u}:{p}\n" for u, p in pairs))
    Path(path_stem + ".hydra").write_text("".join(f"{u}:{p}\n" for u, p in pairs))
    # medusa combo: host:user:password, an empty host applies to every host
    Path(path_stem + ".medusa").write_text("".join(f":{u}:{p}\n" for u, p in pairs))


def lists(directory):
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    write_list(str(d / "long"), LONG)
    write_list(str(d / "wrong"), WRONG)
    write_list(str(d / "short"), SHORT)


def device_plan(n, seed):
    """Which pair each of n devices has: a fixed mix (about 10% hardened), shuffled by seed."""
    kinds = []
    for i in range(n):
        r = i % 20
        if r < 2:
            kinds.append(None)  # hardened: a unique random password
        elif r < 9:
            kinds.append(SHORT[0])
        elif r < 15:
            kinds.append(SHORT[2])
        elif r < 17:
            kinds.append(SHORT[1])
        elif r < 19:
            kinds.append(SHORT[3])
        else:
            kinds.append(SHORT[4])
    random.Random(seed).shuffle(kinds)
    return kinds


def addresses(base, n):
    """n device addresses after base, host byte 1..254 (mamori-lab takes 127/8 hosts 1..254)."""
    net = int(ipaddress.IPv4Address(base))
    out, i = [], 0
    while len(out) < n:
        a = ipaddress.IPv4Address(net + 256 * (i // 254) + 1 + i % 254)
        out.append(str(a))
        i += 1
    return out


def scenario(n, base, seed, yaml_path, truth_path):
    n, seed = int(n), int(seed)
    rng = random.Random(seed + 1)
    plan = device_plan(n, seed)
    ips = addresses(base, n)
    if not ipaddress.IPv4Address(ips[-1]) in ipaddress.ip_network(base + "/16", strict=False):
        sys.exit(f"creds_bench: {n} devices do not fit in {base}/16")
    y = [f"name: creds-bench-{n}", "devices:"]
    truth = []
    for i, (ip, pair) in enumerate(zip(ips, plan)):
        hardened = pair is None
        if hardened:
            pair = ("admin", "%016x" % rng.getrandbits(64))
        cat = "dvr" if i % 3 == 0 else "network_camera" if i % 3 == 1 else "router"
        y += [f"  - name: bench-{i:04d}",
              f"    address: {ip}",
              f"    category: {cat}",
              "    services:",
              "      - kind: telnet",
              "        auth: login",
              f"        max_tries: 3",
              "        credentials:",
              f"          - {{username: {pair[0]}, password: \"{pair[1]}\", default: {str(not hardened).lower()}}}"]
        if not hardened:
            truth.append(f"{ip}\t23\t{pair[0]}\t{pair[1]}")
    Path(yaml_path).write_text("\n".join(y) + "\n")
    Path(truth_path).write_text("".join(t + "\n" for t in truth))
    Path(truth_path + ".targets").write_text("".join(ip + "\n" for ip in ips))


def manifest_truth(manifest, ip, port):
    for raw in open(manifest):
        dev = json.loads(raw)
        if dev.get("ip") == ip and str(dev.get("port")) == str(port):
            for c in dev.get("credentials", []):
                if "user" in c and c.get("password"):
                    print(f"{ip}\t{port}\t{c['user']}\t{c['password']}")
            return
    sys.exit(f"creds_bench: {ip}:{port} is not in {manifest}")


# --- what each tool found -------------------------------------------------------------------

def found_mamori(out, _log):
    hits = []
    if not Path(out).exists():
        return hits
    for raw in open(out):
        raw = raw.strip()
        if not raw:
            continue
        rec = json.loads(raw)
        if rec.get("type") == "credential" and rec.get("outcome") == "accepted":
            hits.append((rec["ip"], rec["port"], rec.get("username", ""), rec.get("password", "")))
    return hits


HYDRA_FOUND = re.compile(r"^\[(\d+)\]\[\S+\] host: (\S+)\s+login: (.*?)\s+password: (.*)$", re.M)


def found_hydra(out, log):
    """The -b json file, and the hits on stdout: a run stopped at the cap (or one hydra per
    device, the hydra1 tool) leaves no complete JSON. Hydra prints a password with trailing
    spaces ambiguously; the lists here have none."""
    hits = []
    text = Path(out).read_text() if Path(out).exists() else ""
    if text.strip():
        try:
            doc = json.loads(text)
            for r in doc.get("results", []):
                hits.append((r["host"], int(r["port"]), r.get("login", ""), r.get("password", "")))
        except json.JSONDecodeError:
            print(f"creds_bench: {out}: incomplete hydra JSON, using its stdout", file=sys.stderr)
    logtext = Path(log).read_text(errors="replace") if Path(log).exists() else ""
    for m in HYDRA_FOUND.finditer(logtext):
        hits.append((m.group(2), int(m.group(1)), m.group(3), m.group(4).rstrip()))
    return hits


MEDUSA_FOUND = re.compile(r"ACCOUNT FOUND: \[(\S+)\] Host: (\S+) User: (.*?) Password: (.*?) \[SUCCESS\]")


def found_medusa(out, log, port_of=None):
    hits = []
    path = Path(out)
    for line in (path.read_text(errors="replace") if path.exists() else "").splitlines():
        m = MEDUSA_FOUND.search(line)
        if m:
            module = m.group(1)
            port = {"ssh": 22, "telnet": 23}.get(module, 0)
            hits.append((m.group(2), port, m.group(3), m.group(4)))
    return hits


FOUND = {"mamori": found_mamori, "hydra": found_hydra, "hydra1": found_hydra, "medusa": found_medusa}


def unique_hits(hits):
    return sorted(set(hits), key=lambda h: (ipaddress.ip_address(h[0]), int(h[1]), h[2], h[3]))


def found(tool, out, log):
    for ip, port, user, pw in unique_hits(FOUND[tool](out, log)):
        print(f"{ip}\t{port}\t{user}\t{pw}")


def attempts(tool, out, log):
    """Login attempts as each tool counts them: mamori's end record (negative controls
    included), hydra -V [ATTEMPT]/[RE-ATTEMPT] lines, medusa ACCOUNT CHECK lines."""
    text = Path(log).read_text(errors="replace") if Path(log).exists() else ""
    if tool == "mamori":
        n = None
        for raw in (open(out) if Path(out).exists() else []):
            rec = json.loads(raw) if raw.strip() else {}
            if rec.get("type") == "scan" and rec.get("phase") == "end":
                n = rec.get("stats", {}).get("login_attempts")
        print(n if n is not None else "")
    elif tool in ("hydra", "hydra1"):
        print(len(re.findall(r"^\[(?:RE-)?ATTEMPT\]", text, re.M)))
    else:
        print(len(re.findall(r"ACCOUNT CHECK: ", text)))


# --- scoring ----------------------------------------------------------------------------------

def read_tsv_hits(path):
    hits = set()
    for line in Path(path).read_text().splitlines():
        if line.strip():
            ip, port, user, pw = (line.split("\t") + ["", "", "", ""])[:4]
            hits.add((ip, int(port), user, pw))
    return hits


def score(case, rnd, tool, times, found_path, truth_path, attempts_n, targets, rc, load1):
    # GNU time writes "Command exited with non-zero status N" first when the tool failed
    lines = Path(times).read_text().splitlines() if Path(times).exists() else []
    wall, user, sys_, rss = ((lines[-1].split() if lines else []) + ["", "", "", ""])[:4]
    got = read_tsv_hits(found_path)
    truth = read_tsv_hits(truth_path)
    # A hit counts as true only with the exact pair of the truth for that target; the redacted
    # password of mamori without --reveal-secrets would not match (the script reveals them).
    true_hits = len(got & truth)
    row = [case, rnd, tool, wall, user, sys_, rss, targets, attempts_n, len(got), len(truth),
           true_hits, len(got - truth), len(truth - got), rc, load1, found_path]
    print("\t".join(str(x) for x in row))


def fnum(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def summary(path):
    rows = [dict(zip(COLUMNS, l.split("\t"))) for l in Path(path).read_text().splitlines()[1:] if l]
    cases = []
    for r in rows:
        if r["case"] not in cases:
            cases.append(r["case"])
    print("| case | tool | runs | wall s (median; all) | attempts | attempts/s | devices/min "
          "| found / truth (false hits, missed) | rc | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for case in cases:
        crows = [r for r in rows if r["case"] == case]
        tools = []
        for r in crows:
            if r["tool"] not in tools:
                tools.append(r["tool"])
        rate = {}
        capped_of = {}  # a capped peer's rate is an upper bound, so mamori's ratio is a lower one
        for tool in tools:
            tr = [r for r in crows if r["tool"] == tool]
            walls = [fnum(r["wall_s"]) for r in tr if fnum(r["wall_s"]) is not None]
            med = statistics.median(walls) if walls else None
            att = [fnum(r["attempts"]) for r in tr if fnum(r["attempts"]) is not None]
            att_med = statistics.median(att) if att else None
            targets = int(tr[0]["targets"])
            aps = f"{att_med / med:.2f}" if med and att_med is not None else "?"
            dpm = 60.0 * targets / med if med else None
            rate[tool] = dpm
            capped_of[tool] = any(r["rc"] == "124" for r in tr)
            worst = max(tr, key=lambda r: int(r["false_hits"]) + int(r["missed"]))
            loads = sorted(fnum(r["load1"]) or 0 for r in tr)
            # a run stopped at the cap did not finish its targets: its rate is an upper bound
            capped = "<= " if any(r["rc"] == "124" for r in tr) else ""
            print(f"| {case} | {tool} | {len(tr)} | **{med:.2f}**; {', '.join(f'{w:.2f}' for w in walls)} "
                  f"| {att_med if att_med is None else f'{att_med:g}'} | {aps} | {capped}{dpm:.1f} | {worst['found']} / {worst['truth']} "
                  f"({worst['false_hits']}, {worst['missed']}) | {','.join(sorted(set(r['rc'] for r in tr)))} "
                  f"| {loads[0]:.1f}-{loads[-1]:.1f} |" if med else
                  f"| {case} | {tool} | {len(tr)} | ? | ? | ? | ? | ? | ? | ? |")
        # agreement: every run of every tool against the truth and against each other
        sets = {}
        for r in crows:
            sets.setdefault(r["tool"], []).append(frozenset(read_tsv_hits(r["found_file"])))
        correct = {t: all(int(r["false_hits"]) == 0 and int(r["missed"]) == 0
                          for r in crows if r["tool"] == t) for t in tools}
        all_sets = {s for v in sets.values() for s in v}
        ratio = ""
        if rate.get("mamori") and rate.get("hydra"):
            ge = ">= " if capped_of.get("hydra") else ""
            ratio = f"; mamori/hydra devices per minute {ge}{rate['mamori'] / rate['hydra']:.2f}x"
        if rate.get("mamori") and rate.get("medusa"):
            ge = ">= " if capped_of.get("medusa") else ""
            ratio += f", mamori/medusa {ge}{rate['mamori'] / rate['medusa']:.2f}x"
        verdicts.append(f"- {case}: results identical across all tools and runs: "
                        f"{'yes' if len(all_sets) == 1 else 'NO'}; exactly the truth: "
                        + ", ".join(f"{t} {'yes' if ok else 'NO'}" for t, ok in correct.items())
                        + ratio)
        for tool in tools:
            for r in crows:
                if r["tool"] == tool and (int(r["false_hits"]) or int(r["missed"])):
                    got = read_tsv_hits(r["found_file"])
                    wrong = sorted(got - read_tsv_hits_truth(case, rows))[:3]
                    if wrong:
                        verdicts.append(f"  - {tool} round {r['round']} false hits (first 3): "
                                        + "; ".join(f"{ip}:{p} {u}/{pw}" for ip, p, u, pw in wrong))
    print()
    print("\n".join(verdicts))


_TRUTH = {}


def read_tsv_hits_truth(case, rows):
    # the truth file of a case sits beside its found files: CASE.truth in the work dir
    if case not in _TRUTH:
        found_file = Path(next(r["found_file"] for r in rows if r["case"] == case))
        _TRUTH[case] = read_tsv_hits(found_file.parent / f"{case}.truth")
    return _TRUTH[case]


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "lists":
        lists(*args)
    elif cmd == "scenario":
        scenario(*args)
    elif cmd == "manifest-truth":
        manifest_truth(*args)
    elif cmd == "found":
        found(*args)
    elif cmd == "attempts":
        attempts(*args)
    elif cmd == "score":
        score(*args)
    elif cmd == "summary":
        summary(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
