#!/usr/bin/env bash
# Issue 7, end to end in network namespaces (scripts/lab/netns.sh topology): Mamori measures
# every device's connection form from an inside and an outside scan and the gateway's UPnP
# mapping table, with real miniupnpd, nftables NAT, a static port forward and a mapping added
# by a real UPnP client (upnpc).
#   direct device 198.18.0.20 (internet side)         -> direct
#   gateway 198.19.1.1 (WAN 198.18.0.2, miniupnpd)    -> direct (holds the external address)
#   camera 198.19.1.10 (static forward WAN:8080 -> 80) -> port_forwarded (outside scan match)
#   DVR 198.19.1.11, no mapping                        -> nat_unreachable
#   DVR after `upnpc -a ... 8081`                      -> port_forwarded (IGD mapping + outside scan)
# Scans run only inside the lab namespaces; the root namespace holds the guard route.
# Usage: test_exposure.sh MAMORI SCHEMA.  Exit 0 pass, 1 fail, 77 skip (not root, no netns).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lab=$root/scripts/lab/netns.sh
mamori=${1:?usage: test_exposure.sh MAMORI SCHEMA}
schema=${2:?usage: test_exposure.sh MAMORI SCHEMA}
PFX=${MAMORI_TEST_EXPOSURE_PREFIX:-mex}
STATE=/tmp/mamori-test-exposure.$$
WORK=$(mktemp -d /tmp/mamori-test-exposure-work.XXXXXX)

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (creates network namespaces)"
for c in ip nft upnpc /usr/sbin/miniupnpd /usr/bin/python3; do
  command -v "$c" >/dev/null 2>&1 || skip "missing $c (run scripts/install-deps.sh)"
done
probe=$PFX-probe-$$
ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here (ip netns add failed)"
ip netns del "$probe"

SECONDS=0
fails=0
ok()  { echo "ok   - $* [${SECONDS}s]"; }
bad() { fails=$((fails + 1)); echo "FAIL - $* [${SECONDS}s]"; }
cleanup() { "$lab" down --state "$STATE" --prefix "$PFX" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
in_ns() { local ns=$PFX-$1; shift; ip netns exec "$ns" "$@"; }

# The scans: judge without the credential audit (this test is about exposure), own store off.
scan() {  # scan NS VANTAGE OUT TARGETS...
  local ns=$1 vantage=$2 out=$3; shift 3
  in_ns "$ns" "$mamori" scan "$@" -p iot --stages ports,identify,judge --vantage "$vantage" --no-db \
    --timeout 1s --format jsonl -o "$out" 2>>"$WORK/scan.log"
}
form_of() {  # form_of FILE IP -> the connection_form of IP's device record
  python3 - "$1" "$2" <<'PY'
import json, sys
forms = [json.loads(l).get("connection_form", "<none>") for l in open(sys.argv[1])
         if l.strip() and json.loads(l).get("type") == "device" and json.loads(l).get("ip") == sys.argv[2]]
print(forms[-1] if forms else "<absent>")
PY
}
expect_form() {  # expect_form FILE IP FORM WHAT
  local got; got=$(form_of "$1" "$2")
  if [ "$got" = "$3" ]; then ok "$4: $2 is $3"; else bad "$4: $2 is '$got', wanted $3"; fi
}
expect_finding() {  # expect_finding FILE IP PORT VIA WHAT
  if python3 - "$1" "$2" "$3" "$4" <<'PY'
import json, sys
f, ip, port, via = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
hits = [r for r in map(json.loads, filter(str.strip, open(f)))
        if r.get("type") == "finding" and r.get("check_id") == "port-forwarded-service"
        and r.get("ip") == ip and r.get("port") == port and r["evidence"].get("via") == via]
sys.exit(0 if hits else 1)
PY
  then ok "$5: port-forwarded-service on $2:$3 via $4"; else bad "$5: no port-forwarded-service on $2:$3 via $4"; fi
}
validate() {  # every line of FILE against the results schema
  if python3 - "$schema" "$1" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft202012Validator(schema)
n = 0
for line in open(sys.argv[2]):
    if line.strip():
        v.validate(json.loads(line)); n += 1
sys.exit(0 if n else 1)
PY
  then ok "$2: output conforms to the results schema"; else bad "$2: output does not conform to the results schema"; fi
}

if ! "$lab" up --state "$STATE" --prefix "$PFX" >"$WORK/lab.log" 2>&1; then
  cat "$WORK/lab.log"; echo "FAIL - netns.sh up"; exit 1
fi
ok "lab up (prefix $PFX)"
INSIDE=(198.19.1.1-198.19.1.20)
OUTSIDE=(198.18.0.2 198.18.0.20)

# --- 1. no UPnP mapping yet --------------------------------------------------------------
scan lan-scan inside "$WORK/in1.jsonl" "${INSIDE[@]}" || bad "inside scan 1 failed (exit $?)"
scan inet outside "$WORK/out1.jsonl" "${OUTSIDE[@]}" || bad "outside scan 1 failed (exit $?)"
validate "$WORK/in1.jsonl" "inside scan"
# The inside scan alone: the gateway answered GetExternalIPAddress; nothing is mapped via UPnP.
expect_form "$WORK/in1.jsonl" 198.19.1.1 direct "inside scan (IGD)"
expect_form "$WORK/in1.jsonl" 198.19.1.11 unknown "inside scan (no mapping, no outside view)"
if grep '"service":"nat-pmp"' "$WORK/in1.jsonl" | grep -q '"natpmp.external_ip":"198.18.0.2"'; then
  ok "inside scan: NAT-PMP tells the gateway's external address"
else bad "inside scan: no NAT-PMP answer with the external address"; fi
if grep -q '"upnp.mapping_query":"ok"' "$WORK/in1.jsonl"; then ok "inside scan: the IGD's mapping table was read"
else bad "inside scan: the IGD's mapping table was not read ($(grep -o '"upnp.mapping_query":"[^"]*"' "$WORK/in1.jsonl"))"; fi

"$mamori" exposure --inside "$WORK/in1.jsonl" --outside "$WORK/out1.jsonl" -o "$WORK/exp1.jsonl" \
  || bad "mamori exposure 1 failed (exit $?)"
validate "$WORK/exp1.jsonl" "exposure"
expect_form "$WORK/exp1.jsonl" 198.18.0.20 direct "exposure 1"
expect_form "$WORK/exp1.jsonl" 198.19.1.1 direct "exposure 1"
expect_form "$WORK/exp1.jsonl" 198.19.1.10 port_forwarded "exposure 1 (static forward)"
expect_form "$WORK/exp1.jsonl" 198.19.1.11 nat_unreachable "exposure 1"
expect_finding "$WORK/exp1.jsonl" 198.19.1.10 80 outside-scan "exposure 1"

# --- 2. the DVR opens a port through UPnP (a real client; Mamori never adds mappings) --------
# -i: upnpc would otherwise refuse an IGD whose external address is in a reserved range
if in_ns dvr upnpc -i -e mamori-exposure -a 198.19.1.11 80 8081 TCP >"$WORK/upnpc.log" 2>&1; then
  ok "upnpc added 8081 -> 198.19.1.11:80"
else
  bad "upnpc -a failed: $(tail -n 3 "$WORK/upnpc.log" | tr '\n' ' ')"
fi
scan lan-scan inside "$WORK/in2.jsonl" "${INSIDE[@]}" || bad "inside scan 2 failed (exit $?)"
scan inet outside "$WORK/out2.jsonl" "${OUTSIDE[@]}" || bad "outside scan 2 failed (exit $?)"
expect_form "$WORK/in2.jsonl" 198.19.1.11 port_forwarded "inside scan 2 (IGD mapping)"
expect_finding "$WORK/in2.jsonl" 198.19.1.11 80 upnp-igd "inside scan 2"
"$mamori" exposure --inside "$WORK/in2.jsonl" --outside "$WORK/out2.jsonl" -o "$WORK/exp2.jsonl" \
  || bad "mamori exposure 2 failed (exit $?)"
expect_form "$WORK/exp2.jsonl" 198.19.1.11 port_forwarded "exposure 2 (UPnP mapping)"
expect_form "$WORK/exp2.jsonl" 198.19.1.10 port_forwarded "exposure 2"
expect_form "$WORK/exp2.jsonl" 198.18.0.20 direct "exposure 2"
expect_finding "$WORK/exp2.jsonl" 198.19.1.11 80 upnp-igd+outside-scan "exposure 2"
# --judge: the inside scan re-judged in the measured forms; the forwarded camera's findings
# are scored as exposed.
"$mamori" exposure --inside "$WORK/in2.jsonl" --outside "$WORK/out2.jsonl" --judge -o "$WORK/judged.jsonl" \
  || bad "mamori exposure --judge failed (exit $?)"
validate "$WORK/judged.jsonl" "exposure --judge"
expect_form "$WORK/judged.jsonl" 198.19.1.10 port_forwarded "exposure --judge"
if grep -q '"type":"verdict"' "$WORK/judged.jsonl"; then ok "exposure --judge: verdicts written"; else bad "exposure --judge: no verdicts"; fi

# Mamori changed nothing on the gateway: the table holds exactly the upnpc mapping.
maps=$(in_ns dvr upnpc -i -l 2>/dev/null | grep -cE '^ *[0-9]+ (TCP|UDP) ')
if [ "$maps" = 1 ]; then ok "the gateway holds exactly the one mapping upnpc added"; else bad "the gateway holds $maps mappings, wanted 1"; fi

echo "# $SECONDS s; scan log: $(wc -l < "$WORK/scan.log") lines"
if [ $fails -ne 0 ]; then
  echo "# scan log tail:"; tail -n 20 "$WORK/scan.log"
  echo "# $fails check(s) failed"; exit 1
fi
echo "# all checks passed"
