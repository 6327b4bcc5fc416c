#!/usr/bin/env bash
# Identification benchmark (issue 4): Mamori's identify stage vs `nmap -sV` on the same emulated
# IoT devices, in one run: service names against the lab truth, category coverage, wall time.
#
#   bench/ident-bench.sh [--devices N] [--seed S] [--mamori PATH] [--lab PATH] [--keep-work]
#
# Targets: a `mamori-lab gen --devices N --seed S` lab on 127.76.0.0/16 (loopback only; the lab is
# started here and stopped by its PID on exit). Both tools scan the same address range and the
# same ports: the `iot` set as Mamori expands it (TCP and the UDP ports of its UDP probes).
#   mamori scan RANGE -p iot --stages ports,identify --format jsonl --no-db
#   nmap -sV -sS -sU -n -Pn -p T:<iot tcp>,U:<iot udp> -oX nmap.xml A.B.C.X-Y     (needs root for -sS/-sU)
# Then the same pair on the TCP ports alone (nmap -sV -sS), scored on the truth's TCP services.
# Scoring: bench/ident_bench.py (what counts as agreement is written there).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build/ident}  # RelWithDebInfo (-O2)
MAMORI=$BUILD/src/cli/mamori
LAB=$BUILD/src/lab/mamori-lab
DEVICES=100
SEED=7
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) DEVICES=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --mamori) MAMORI=$2; shift 2 ;;
    --lab) LAB=$2; shift 2 ;;
    --keep-work) KEEP=1; shift ;;
    *) echo "usage: $0 [--devices N] [--seed S] [--mamori PATH] [--lab PATH] [--keep-work]" >&2; exit 2 ;;
  esac
done
for b in "$MAMORI" "$LAB"; do
  [ -x "$b" ] || { echo "no $b (build mamori and mamori-lab, or pass --mamori/--lab)" >&2; exit 2; }
done
command -v nmap >/dev/null || { echo "missing nmap (apt-get install nmap)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (nmap -sS/-sU)" >&2; exit 2; }
[ "$DEVICES" -ge 1 ] && [ "$DEVICES" -le 250 ] || { echo "--devices 1..250 (one /24 of 127.76.0.0)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/mamori-ident-bench-XXXXXX)
LABPID=
cleanup() {
  if [ -n "$LABPID" ]; then kill "$LABPID" 2>/dev/null || true; wait "$LABPID" 2>/dev/null || true; fi
  [ "$KEEP" = 1 ] && echo "work dir kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

"$LAB" gen --devices "$DEVICES" --seed "$SEED" --base 127.76.0.0 -o lab.yaml
"$LAB" truth lab.yaml >truth.jsonl
read -r RANGE NRANGE < <(python3 -c '
import json, ipaddress, sys
ips = sorted(ipaddress.ip_address(json.loads(l)["ip"]) for l in open("truth.jsonl") if l.strip())
assert all(ip.is_loopback for ip in ips), "lab outside loopback"
lo, hi = str(ips[0]), str(ips[-1])
assert lo.rsplit(".", 1)[0] == hi.rsplit(".", 1)[0], "lab wider than one /24"
print(lo + "-" + hi, lo + "-" + hi.rsplit(".", 1)[1])')
"$LAB" run lab.yaml --ready-file lab.ready >lab.log 2>&1 &
LABPID=$!
for _ in $(seq 300); do [ -s lab.ready ] && break; sleep 0.1; done
[ -s lab.ready ] || { echo "mamori-lab did not become ready: $(tail -3 lab.log)" >&2; exit 1; }

now() { date +%s.%N; }
echo "lab: $DEVICES devices (seed $SEED) on $RANGE; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(now)
"$MAMORI" scan "$RANGE" -p iot --stages ports,identify --format jsonl -o mamori.jsonl --no-progress --no-db \
  >/dev/null 2>mamori.err || { echo "mamori scan failed: $(tail -3 mamori.err)" >&2; exit 1; }
t1=$(now)
PORTS=$(python3 "$HERE/ident_bench.py" ports mamori.jsonl)
t2=$(now)
nmap -sV -sS -sU -n -Pn -p "$PORTS" -oX nmap.xml "$NRANGE" >nmap.out 2>nmap.err ||
  { echo "nmap failed: $(tail -3 nmap.err)" >&2; exit 1; }
t3=$(now)
echo "mamori: $MAMORI scan $RANGE -p iot --stages ports,identify --format jsonl --no-db"
grep -q '<host ' nmap.xml || { echo "nmap scanned no host: $(tail -3 nmap.err nmap.out)" >&2; exit 1; }
echo "nmap:   nmap -sV -sS -sU -n -Pn -p $PORTS $NRANGE"
echo
echo "== 1. TCP and UDP (the iot set: $(echo "$PORTS" | tr -cd , | wc -c | tr -d ' ') entries) =="
python3 "$HERE/ident_bench.py" score truth.jsonl mamori.jsonl nmap.xml \
  "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)"

# 2. TCP only: the same comparison without UDP (nmap -sU and Mamori's UDP probes wait on silent
# ports), and without the SSDP/UPnP, ECHONET and CoAP evidence Mamori's categories lean on.
TCP=$(python3 "$HERE/ident_bench.py" ports mamori.jsonl tcp)
t4=$(now)
"$MAMORI" scan "$RANGE" -p "$TCP" --stages ports,identify --format jsonl -o mamori-tcp.jsonl --no-progress --no-db \
  >/dev/null 2>>mamori.err || { echo "mamori scan (tcp) failed: $(tail -3 mamori.err)" >&2; exit 1; }
t5=$(now)
nmap -sV -sS -n -Pn -p "$TCP" -oX nmap-tcp.xml "$NRANGE" >nmap-tcp.out 2>>nmap.err ||
  { echo "nmap (tcp) failed: $(tail -3 nmap.err)" >&2; exit 1; }
t6=$(now)
echo
echo "== 2. TCP only: mamori scan $RANGE -p <tcp> --stages ports,identify; nmap -sV -sS -n -Pn -p <tcp> $NRANGE =="
python3 "$HERE/ident_bench.py" score truth.jsonl mamori-tcp.jsonl nmap-tcp.xml \
  "$(echo "$t5 - $t4" | bc)" "$(echo "$t6 - $t5" | bc)" tcp
