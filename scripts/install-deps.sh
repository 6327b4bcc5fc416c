#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing, the integration tests and the
# benchmarks of Mamori need. Idempotent; needs root (or sudo).
# Usage: scripts/install-deps.sh [--no-bench]
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

build=(build-essential cmake ninja-build pkg-config git
       clang libclang-rt-14-dev llvm
       libboost1.81-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
       libre2-dev libpugixml-dev libssh-dev libtelnet-dev libsqlite3-dev libpq-dev libssl-dev
       libgtest-dev libgmock-dev libbenchmark-dev)
tests=(python3 python3-jsonschema iproute2 nftables procps curl openssl)
bench=(nmap hyperfine time)

pkgs=("${build[@]}" "${tests[@]}")
if [ "${1:-}" != "--no-bench" ]; then pkgs+=("${bench[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Daemons installed for the tests must not start as system services: the tests start their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
