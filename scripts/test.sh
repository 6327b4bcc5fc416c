#!/usr/bin/env bash
# Builds Mamori and runs every test: the release build's suite, the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, and a short run of every libFuzzer target.
# This is the README's test command; .ci/run calls exactly this.
# Usage: scripts/test.sh [--quick]   (--quick: release suite only)
# Environment: FUZZ_SECONDS (default 10) per fuzz target (23 targets).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== release build and tests"
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release

if [ "${1:-}" = "--quick" ]; then exit 0; fi

echo "== ASan + UBSan build and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan

echo "== fuzz targets (${FUZZ_SECONDS:-10} s each)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzz_all
scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
echo "== all tests passed"
