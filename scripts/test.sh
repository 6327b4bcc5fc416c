#!/usr/bin/env bash
# Builds Mamori and runs every test. This is the README's test command; .ci/run calls exactly
# this. One build serves both halves, so CI stays short on a 2-core machine:
#   1. the `asan` preset: clang with AddressSanitizer + UndefinedBehaviorSanitizer, the whole
#      CTest suite (unit, integration, device lab, real daemons, namespaces, recall floors);
#   2. the libFuzzer targets of that same build, FUZZ_SECONDS (default 5) each.
# Usage: scripts/test.sh [--release]
#   --release  also build the optimized `release` preset and run the suite on it
#              (the build that `scripts/setup.sh` and the benchmarks use)
# Environment: FUZZ_SECONDS per fuzz target (scripts/fuzz.sh for long runs).
set -euo pipefail
cd "$(dirname "$0")/.."

release=0
case "${1:-}" in
  "") ;;
  --release) release=1 ;;
  *) echo "test.sh: unknown option '$1' (expected --release)" >&2; exit 2 ;;
esac

SECONDS=0
stamp() { echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }

stamp "install the packages that building and testing need"
scripts/install-deps.sh --no-bench

stamp "ASan + UBSan build (clang): tests and fuzz targets"
cmake --preset asan >/dev/null
cmake --build --preset asan
stamp "ASan + UBSan: the CTest suite"
ctest --preset asan

stamp "fuzz targets (${FUZZ_SECONDS:-5} s each)"
scripts/fuzz.sh --build build/asan "${FUZZ_SECONDS:-5}"

if [ $release -eq 1 ]; then
  stamp "release build and the CTest suite"
  cmake --preset release >/dev/null
  cmake --build --preset release
  ctest --preset release
fi
stamp "all tests passed"
