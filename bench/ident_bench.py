#!/usr/bin/env python3
"""Scores Mamori's identify stage and `nmap -sV` against a mamori-lab truth (bench/ident-bench.sh).

  ident_bench.py ports MAMORI_JSONL                 -> nmap -p spec of the ports Mamori scanned
  ident_bench.py ports MAMORI_JSONL tcp             -> the TCP ports only
  ident_bench.py score TRUTH_JSONL MAMORI_JSONL NMAP_XML MAMORI_WALL NMAP_WALL [tcp]
                                                    (tcp: score the truth's TCP services only)

Service agreement: a truth service (ip, port, proto) counts when the tool reports that port with
the truth's service name. nmap's names are mapped to the results-contract vocabulary only where
they name the same protocol (`ssl/http` = `https`, UPnP's SSDP on udp/1900 `upnp` = `ssdp`,
`ws-discovery` = the truth's `onvif` WS-Discovery endpoint is NOT mapped: nmap does not say it is
ONVIF). A name nmap took from its port table (method="table") rather than from an answer is
counted apart. Services the truth marks `"discoverable": false` (silent SNMP agents) are left out
for both tools.

Category coverage: Mamori's `device` records against the truth's category. nmap has no device
category; its `devicetype` service attribute is counted as a hint, and as right when it maps to
the truth's category (webcam -> network_camera, router/WAP/broadband router -> router,
printer -> mfp, media device -> tv_stb or smart_speaker, game console -> game_console,
security-misc -> dvr or network_camera, power-device -> smart_meter).
"""
import collections
import json
import sys
import xml.etree.ElementTree as ET

# nmap name -> results-contract name, where both name the same protocol.
NMAP_SAME = {
    ("http", "tcp", True): "https",
    ("https", "tcp", False): "https",
    ("https", "tcp", True): "https",
    ("mqtt", "tcp", True): "mqtts",
    ("secure-mqtt", "tcp", False): "mqtts",
    ("upnp", "udp", False): "ssdp",
}
DEVICETYPE = {
    "webcam": {"network_camera"},
    "router": {"router"},
    "wap": {"router"},
    "broadband router": {"router"},
    "printer": {"mfp"},
    "media device": {"tv_stb", "smart_speaker"},
    "game console": {"game_console"},
    "security-misc": {"dvr", "network_camera"},
    "power-device": {"smart_meter"},
}


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def nmap_ports_spec(mamori_jsonl, tcp_only=False):
    start = next(r for r in jsonl(mamori_jsonl) if r.get("type") == "scan" and r.get("phase") == "start")
    tcp, udp = [], []
    for part in start["ports"].split(","):
        (udp if part.startswith("U:") else tcp).append(part.removeprefix("U:"))
    if tcp_only:
        return ",".join(tcp)
    return "T:" + ",".join(tcp) + (",U:" + ",".join(udp) if udp else "")


def nmap_services(xml_path):
    """(ip, port, proto) -> (name, method, devicetype) for every open (or open|filtered with a
    name from an answer) port."""
    out = {}
    root = ET.parse(xml_path).getroot()
    for host in root.iter("host"):
        addr = next((a.get("addr") for a in host.iter("address") if a.get("addrtype") == "ipv4"), None)
        for p in host.iter("port"):
            state = p.find("state").get("state")
            svc = p.find("service")
            if svc is None:
                continue
            method = svc.get("method", "table")
            if state != "open" and not (state == "open|filtered" and method == "probed"):
                continue
            name = svc.get("name", "")
            tunnel = svc.get("tunnel") == "ssl"
            proto = p.get("protocol")
            name = NMAP_SAME.get((name, proto, tunnel), name)
            out[(addr, int(p.get("portid")), proto)] = (name, method, svc.get("devicetype", "").lower())
    return out


def score(truth_path, mamori_path, nmap_path, m_wall, n_wall, tcp_only=False):
    truth = jsonl(truth_path)
    recs = jsonl(mamori_path)
    m_svc = {(r["ip"], r["port"], r["proto"]): r["service"] for r in recs if r.get("type") == "service"}
    m_dev = {r["ip"]: r for r in recs if r.get("type") == "device"}
    n_svc = nmap_services(nmap_path)

    total = silent = m_ok = n_ok = n_ok_probed = 0
    m_miss, n_miss = collections.Counter(), collections.Counter()
    cat_ok = m_cat_any = n_hint = n_hint_ok = 0
    for d in truth:
        got = m_dev.get(d["ip"], {})
        if got.get("category", "unknown") != "unknown":
            m_cat_any += 1
        cat_ok += got.get("category") == d["category"]
        hints = {t for (ip, _, _), (_, _, t) in n_svc.items() if ip == d["ip"] and t}
        if hints:
            n_hint += 1
            n_hint_ok += any(d["category"] in DEVICETYPE.get(h, set()) for h in hints)
        for s in d["services"]:
            if tcp_only and s["proto"] != "tcp":
                continue
            if s.get("discoverable") is False:
                silent += 1
                continue
            total += 1
            key = (d["ip"], s["port"], s["proto"])
            if m_svc.get(key) == s["service"]:
                m_ok += 1
            else:
                m_miss[f'{s["service"]}/{s["proto"]} -> {m_svc.get(key, "<none>")}'] += 1
            name, method, _ = n_svc.get(key, ("<none>", "", ""))
            if name == s["service"]:
                n_ok += 1
                n_ok_probed += method == "probed"
            else:
                n_miss[f'{s["service"]}/{s["proto"]} -> {name}'] += 1

    n = len(truth)
    pct = lambda a, b: f"{a}/{b} = {100.0 * a / b:5.1f}%" if b else f"{a}/0"
    rows = [
        ("devices in the lab", str(n), str(n)),
        ("services named as the truth names them", pct(m_ok, total), pct(n_ok, total)),
        ("  of them from an answer (not the port table)", pct(m_ok, total), pct(n_ok_probed, total)),
        ("devices with a category / device-type hint", pct(m_cat_any, n), pct(n_hint, n)),
        ("devices whose category is right", pct(cat_ok, n), pct(n_hint_ok, n) + " (hint maps to it)"),
        ("wall time", f"{m_wall:.1f} s", f"{n_wall:.1f} s"),
    ]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'':{w0}}  {'mamori (ports,identify)':{w1}}  nmap -sV")
    for a, b, c in rows:
        print(f"{a:{w0}}  {b:{w1}}  {c}")
    ratio = n_wall / m_wall if m_wall > 0 else float("inf")
    print(f"wall-time ratio nmap/mamori: {ratio:.1f}x")
    print(f"left out of both: {silent} silent SNMP agents (no community known)")
    for tool, miss in (("mamori", m_miss), ("nmap", n_miss)):
        if miss:
            print(f"{tool} disagreements (truth -> reported):")
            for k, v in miss.most_common(12):
                print(f"  {v:5}  {k}")


def main():
    if len(sys.argv) in (3, 4) and sys.argv[1] == "ports":
        print(nmap_ports_spec(sys.argv[2], sys.argv[3:] == ["tcp"]))
    elif len(sys.argv) in (7, 8) and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6]), sys.argv[7:] == ["tcp"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
