#!/usr/bin/env bash
# The main job on the bundled lab: starts `mamori-lab` with the demo home scenario on loopback
# (127.66.0.0/24), scans it with `mamori scan`, prints the table and keeps the JSON Lines in
# build/demo/results.jsonl, then stops the lab (by its PID). Traffic stays on loopback.
# Usage: scripts/demo.sh [extra mamori scan options]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release
scenario=data/lab/demo-home.yaml
out=build/demo
mkdir -p "$out"
rm -f "$out/ready.json"

"$bin/src/lab/mamori-lab" run "$scenario" --ready-file "$out/ready.json" >"$out/lab.log" 2>&1 &
lab=$!
trap 'kill "$lab" 2>/dev/null; wait "$lab" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$out/ready.json" ] && break
  kill -0 "$lab" 2>/dev/null || { cat "$out/lab.log"; echo "demo: mamori-lab failed to start" >&2; exit 1; }
  sleep 0.1
done
[ -s "$out/ready.json" ] || { echo "demo: mamori-lab did not become ready" >&2; exit 1; }
echo "demo: lab up: $(cat "$out/ready.json")"
echo "demo: mamori scan 127.66.0.0/24 -p iot $*"
echo
"$bin/src/cli/mamori" scan 127.66.0.0/24 -p iot --format table -o "$out/results.jsonl" "$@"
echo
echo "demo: JSON Lines results in $out/results.jsonl"
