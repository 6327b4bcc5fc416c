#!/usr/bin/env bash
# Runs every libFuzzer target built by the `fuzz` preset for SECONDS each (default 300), with
# the seed corpus from fuzz/corpus/<name> when there is one. Findings are written to
# build/fuzz/findings/. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-300}
mkdir -p build/fuzz/findings
status=0
for bin in $(find build/fuzz/fuzz build/fuzz/src -type f -executable -name 'fuzz_*' 2>/dev/null | sort); do
  name=$(basename "$bin")
  corpus=build/fuzz/corpus/$name
  mkdir -p "$corpus"
  seeds=fuzz/corpus/${name#fuzz_}
  [ -d "$seeds" ] || seeds=""
  echo "-- $name (${secs}s)"
  if ! "$bin" -max_total_time="$secs" -max_len=4096 -print_final_stats=0 \
       -artifact_prefix=build/fuzz/findings/"$name"- "$corpus" $seeds >build/fuzz/"$name".log 2>&1; then
    echo "FAILED: $name; see build/fuzz/$name.log and build/fuzz/findings/"
    tail -30 build/fuzz/"$name".log
    status=1
  fi
done
exit $status
