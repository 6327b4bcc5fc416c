#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to Mamori's main job: installs the Debian packages,
# builds, starts the bundled device lab on loopback (127.66.0.0/24), scans it, and stops the lab.
# Usage: scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec scripts/demo.sh
