#!/usr/bin/env python3
"""Helpers of bench/scan-bench.sh: live-set generation, result parsing, scoring, summary.

  benchlib.py live CIDR COUNT SEED            -> COUNT addresses of CIDR, one a line (MINSTD)
  benchlib.py mamori-open JSONL               -> "ip port" of open TCP ports, sorted
  benchlib.py nmap-open XML                   -> same from nmap -oX
  benchlib.py score CASE ROUND TOOL TIME OPEN TRUTH RC -> one TSV row (see COLUMNS)
  benchlib.py summary RESULTS.tsv             -> Markdown table: medians, ratio, agreement
"""
import ipaddress
import json
import re
import statistics
import sys
import xml.etree.ElementTree as ET

COLUMNS = ["case", "round", "tool", "wall_s", "user_s", "sys_s", "maxrss_kib", "found",
           "truth", "true_pos", "false_pos", "missed", "rc", "open_file", "load1"]


def minstd(seed):
    x = seed % 2147483647 or 1
    while True:
        x = (x * 48271) % 2147483647
        yield x


def live(cidr, count, seed):
    net = ipaddress.ip_network(cidr)
    chosen, seen = [], set()
    gen = minstd(seed)
    while len(chosen) < count:
        i = next(gen) % net.num_addresses
        if i not in seen:
            seen.add(i)
            chosen.append(i)
    for i in sorted(chosen):
        print(net.network_address + i)


def sort_key(line):
    ip, port = line.split()
    return (ipaddress.ip_address(ip), int(port))


def emit(pairs):
    for line in sorted(set(pairs), key=sort_key):
        print(line)


def mamori_open(path):
    pairs, end = [], None
    with open(path) as f:
        for raw in f:
            rec = json.loads(raw)
            if rec.get("type") == "port" and rec.get("state") == "open" and rec.get("proto") == "tcp":
                pairs.append(f"{rec['ip']} {rec['port']}")
            elif rec.get("type") == "scan" and rec.get("phase") == "end":
                end = rec
    if end is None or not end.get("complete", False):
        print(f"benchlib: {path}: no complete scan end record", file=sys.stderr)
    emit(pairs)


def nmap_open(path):
    pairs = []
    try:
        hosts = list(ET.parse(path).getroot().iter("host"))
    except ET.ParseError:
        # A run stopped early leaves the XML unfinished: keep the hosts it completed.
        text = open(path).read()
        hosts = [ET.fromstring(m) for m in re.findall(r"<host[ >].*?</host>", text, re.S)]
        print(f"benchlib: {path}: incomplete XML, {len(hosts)} hosts finished", file=sys.stderr)
    for host in hosts:
        addr = next(a.get("addr") for a in host.iter("address") if a.get("addrtype") in ("ipv4", "ipv6"))
        for port in host.iter("port"):
            st = port.find("state")
            if port.get("protocol") == "tcp" and st is not None and st.get("state") == "open":
                pairs.append(f"{addr} {port.get('portid')}")
    emit(pairs)


def read_set(path):
    with open(path) as f:
        return {line.strip() for line in f if line.strip()}


def score(case, rnd, tool, timefile, openfile, truthfile, rc, load):
    # timefile: /usr/bin/time -f '%e %U %S %M' (its last line; earlier lines may be notes).
    with open(timefile) as f:
        wall, user, sys_, rss = f.read().split("\n")[-2].split()
    found, truth = read_set(openfile), read_set(truthfile)
    row = [case, rnd, tool, wall, user, sys_, rss, len(found), len(truth), len(found & truth),
           len(found - truth), len(truth - found), rc, openfile, load]
    print("\t".join(str(x) for x in row))


def summary(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("case\t") or not line.strip():
                continue
            rows.append(dict(zip(COLUMNS, line.rstrip("\n").split("\t"))))
    cases = []
    for r in rows:
        if r["case"] not in cases:
            cases.append(r["case"])
    print("| case | tool | runs | wall s (median; all) | CPU user+sys s (median) | max RSS MiB | "
          "found / truth (FP, missed; worst run) | rc | load avg before |")
    print("|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for case in cases:
        med = {}
        sets = {}
        for tool in ("mamori", "nmap", "floor"):
            rs = [r for r in rows if r["case"] == case and r["tool"] == tool]
            if not rs:
                continue
            walls = [float(r["wall_s"]) for r in rs]
            cpu = [float(r["user_s"]) + float(r["sys_s"]) for r in rs]
            users = [float(r["user_s"]) for r in rs]
            syss = [float(r["sys_s"]) for r in rs]
            rss = max(int(r["maxrss_kib"]) for r in rs) / 1024
            worst = max(rs, key=lambda r: int(r["false_pos"]) + int(r["missed"]))
            med[tool] = statistics.median(walls)
            sets[tool] = [read_set(r["open_file"]) for r in rs]
            print(f"| {case} | {tool} | {len(rs)} | **{statistics.median(walls):.2f}**; "
                  f"{', '.join(f'{w:.2f}' for w in walls)} | {statistics.median(cpu):.2f} "
                  f"({statistics.median(users):.2f}+{statistics.median(syss):.2f}) | {rss:.1f} | "
                  f"{worst['true_pos']} / {worst['truth']} ({worst['false_pos']}, {worst['missed']}) | "
                  f"{','.join(sorted({r['rc'] for r in rs}))} | "
                  f"{min(float(r['load1']) for r in rs):.1f}-{max(float(r['load1']) for r in rs):.1f} |")
        if "mamori" in med and "nmap" in med:
            all_sets = sets["mamori"] + sets["nmap"]
            same = all(s == all_sets[0] for s in all_sets)
            pairs = list(zip(sets["mamori"], sets["nmap"]))
            same_pairs = sum(1 for m, n in pairs if m == n)
            verdicts.append(f"- case {case}: nmap/mamori wall ratio = **{med['nmap'] / med['mamori']:.2f}x** "
                            f"(medians {med['nmap']:.2f} s / {med['mamori']:.2f} s); open sets "
                            + ("identical in every run of both tools" if same else
                               f"NOT identical: {same_pairs}/{len(pairs)} round pairs agree"))
            if "floor" in med:
                verdicts.append(f"- case {case}: connect-floor (kernel floor, no engine) median "
                                f"{med['floor']:.2f} s: nmap/floor = {med['nmap'] / med['floor']:.2f}x, "
                                f"mamori/floor = {med['mamori'] / med['floor']:.2f}x")
        elif "mamori" in med:
            verdicts.append(f"- case {case}: mamori only, median wall {med['mamori']:.2f} s")
    print()
    print("\n".join(verdicts))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "live":
        live(args[0], int(args[1]), int(args[2]))
    elif cmd == "mamori-open":
        mamori_open(args[0])
    elif cmd == "nmap-open":
        nmap_open(args[0])
    elif cmd == "score":
        score(*args)
    elif cmd == "summary":
        summary(args[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
