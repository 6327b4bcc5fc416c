#!/usr/bin/env bash
# mamori-lab check/truth/gen/run exit codes and messages, and the demo scenario's ground truth.
# Usage: cli_test.sh MAMORI_LAB DATA_LAB_DIR
set -uo pipefail
LAB=$1
DATA=$2
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT
FAILS=0
check() {
  local name=$1; shift
  if "$@" >"$WORK/last" 2>&1; then echo "ok   - $name"; else echo "FAIL - $name"; sed 's/^/       /' "$WORK/last" | head -20; FAILS=$((FAILS + 1)); fi
}

check "check demo-home.yaml" "$LAB" check "$DATA/demo-home.yaml"
cat >"$WORK/bad.yaml" <<'Y'
devices:
  - category: router
    services: [{kind: http}]
  - category: router
    services: [{kind: telnet, credentials: ["root:root"]}]
  - category: network_camera
    services:
      - kind: http
        port: 70000
Y
"$LAB" check "$WORK/bad.yaml" 2>"$WORK/err"; rc=$?
check "bad scenario: exit 2" test "$rc" = 2
check "bad scenario: file, line and field" grep -qx "mamori-lab: $WORK/bad.yaml:9: devices\[2\].services\[0\].port: 70000 is not a port 1..65535" "$WORK/err"
"$LAB" run "$WORK/bad.yaml" 2>/dev/null; check "run on a bad scenario: exit 2" test $? = 2

"$LAB" truth "$DATA/demo-home.yaml" >"$WORK/truth.jsonl"
check "truth: one JSON line per device" bash -c "[ \$(wc -l <$WORK/truth.jsonl) = 8 ] && python3 -c 'import json,sys; [json.loads(l) for l in open(\"$WORK/truth.jsonl\")]'"
cat >"$WORK/truth.py" <<'P'
import json, sys
t = {d["ip"]: d for d in map(json.loads, open(sys.argv[1]))}
def ids(ip): return {f["check_id"] for f in t[ip]["findings"]}
assert {"telnet-enabled", "default-credential", "rtsp-stream-open", "no-authentication"} <= ids("127.66.0.10"), ids("127.66.0.10")
assert {"upnp-igd-exposed", "snmp-default-community", "tls-weak-key", "tls-expired", "tls-self-signed", "telnet-enabled"} <= ids("127.66.0.1")
assert "ftp-anonymous" in ids("127.66.0.11")
assert {"mqtt-anonymous"} <= ids("127.66.0.50")
assert not ({"default-credential", "tls-self-signed", "no-authentication"} & ids("127.66.0.40")), ids("127.66.0.40")
cam = t["127.66.0.10"]
assert cam["category"] == "network_camera" and cam["vendor"] == "Hikvision"
assert any(s["kind"] == "telnet" and s["credentials"][0] == {"username": "root", "password": "xc3511", "default": True} for s in cam["services"])
P
check "truth: expected findings of the demo" python3 "$WORK/truth.py" "$WORK/truth.jsonl"

check "gen: 300 devices" "$LAB" gen --devices 300 --seed 3 -o "$WORK/gen.yaml"
check "gen: output is a valid scenario" "$LAB" check "$WORK/gen.yaml"
"$LAB" gen --devices 300 --seed 3 -o "$WORK/gen2.yaml"
check "gen: deterministic per seed" cmp "$WORK/gen.yaml" "$WORK/gen2.yaml"

# Port in use: exit 1 naming address and port.
cat >"$WORK/one.yaml" <<'Y'
devices:
  - {address: 127.66.201.1, category: other, services: [{kind: http, port: 8080}]}
Y
python3 -c "
import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.66.201.1',8080)); s.listen(1)
open('$WORK/held','w').write('x'); time.sleep(30)" & PIDS+=($!)
for _ in $(seq 50); do [ -e "$WORK/held" ] && break; sleep 0.1; done
"$LAB" run "$WORK/one.yaml" >/dev/null 2>"$WORK/err"; rc=$?
check "port in use: exit 1" test "$rc" = 1
check "port in use: message names address and port" grep -q "127.66.201.1:8080/tcp" "$WORK/err"

# Wildcard per-port listeners dispatch by destination address. A small scenario of its own: a
# generated one listens on 49152 (UPnP), inside the kernel's ephemeral range, where any client
# connection of a concurrent test may hold the port and make the wildcard bind fail.
cat >"$WORK/perport.yaml" <<'Y'
devices:
  - {address: 127.66.202.1, category: network_camera, services: [{kind: http, port: 80}, {kind: telnet, port: 23, credentials: ["root:xc3511"]}]}
  - {address: 127.66.202.2, category: router, services: [{kind: http, port: 80}]}
Y
"$LAB" run "$WORK/perport.yaml" --bind per-port --ready-file "$WORK/ready" >/dev/null 2>"$WORK/stderr" & PIDS+=($!)
for _ in $(seq 300); do [ -s "$WORK/ready" ] && break; sleep 0.1; done
check "per-port mode: ready" grep -q '"ready":true' "$WORK/ready"
check "per-port mode: listeners are per port" grep -q "(per-port)" "$WORK/stderr"
for ip in 127.66.202.1 127.66.202.2; do
  check "per-port mode: $ip answers on its own address" bash -c "curl -s -o /dev/null -w '%{http_code}' http://$ip/ | grep -q '^[234]'"
done
cat >"$WORK/greets.py" <<'P'
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], 23), timeout=2)
    s.settimeout(2)
    sys.exit(0 if s.recv(64) else 1)
except OSError:
    sys.exit(1)
P
check "per-port mode: telnet greets on the device that has it" python3 "$WORK/greets.py" 127.66.202.1
check "per-port mode: no telnet on the device without it" bash -c "! python3 '$WORK/greets.py' 127.66.202.2"
check "per-port mode: a non-device address is dropped" bash -c "! curl -s --max-time 3 http://127.66.250.250/ >/dev/null"
[ -s "$WORK/ready" ] || cat "$WORK/stderr" >&2

echo "$FAILS failure(s)"
[ "$FAILS" = 0 ]
