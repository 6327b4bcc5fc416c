#!/usr/bin/env bash
# Runs every libFuzzer target of a build tree for SECONDS each (default 300), with the seed
# corpus from fuzz/corpus/<name> when there is one. Findings go to BUILD/findings/.
# Usage: scripts/fuzz.sh [--build DIR] [SECONDS]
#   --build DIR  the build tree holding the fuzz_* executables: build/fuzz (the `fuzz` preset,
#                optimized, for long runs; the default) or build/asan (the test build, which
#                scripts/test.sh fuzzes briefly)
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/fuzz
if [ "${1:-}" = "--build" ]; then build=${2:?--build needs a directory}; shift 2; fi
secs=${1:-300}
[[ $secs =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, got '$secs'" >&2; exit 2; }
mkdir -p "$build"/findings
status=0
n=0
for bin in $(find "$build"/fuzz "$build"/src -type f -executable -name 'fuzz_*' 2>/dev/null | sort); do
  name=$(basename "$bin")
  corpus=$build/corpus/$name
  mkdir -p "$corpus"
  seeds=fuzz/corpus/${name#fuzz_}
  [ -d "$seeds" ] || seeds=""
  echo "-- $name (${secs}s)"
  n=$((n + 1))
  if ! "$bin" -max_total_time="$secs" -max_len=4096 -print_final_stats=0 \
       -artifact_prefix="$build"/findings/"$name"- "$corpus" $seeds >"$build"/"$name".log 2>&1; then
    echo "FAILED: $name; see $build/$name.log and $build/findings/"
    tail -30 "$build"/"$name".log
    status=1
  fi
done
if [ $n -eq 0 ]; then echo "fuzz.sh: no fuzz_* executables under $build (build them first)"; exit 1; fi
echo "fuzz.sh: $n targets, ${secs}s each"
exit $status
