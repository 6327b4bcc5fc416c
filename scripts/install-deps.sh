#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing, the integration tests and the
# benchmarks of Mamori need: the union of scripts/packages/*.txt ('#' comments allowed).
# Idempotent and quick when everything is present; needs root (or sudo).
# Usage: scripts/install-deps.sh [--no-bench]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

pkgs=()
for list in "$here"/packages/*.txt; do
  if [ "${1:-}" = "--no-bench" ] && case "$(basename "$list")" in bench.txt|credbench.txt) true;; *) false;; esac; then continue; fi
  while read -r line; do
    line=${line%%#*}
    for p in $line; do pkgs+=("$p"); done
  done < "$list"
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages are installed"
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
