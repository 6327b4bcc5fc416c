#!/usr/bin/env bash
# Credential benchmark (issue 5, item 7): the same credential list against the same targets with
# `mamori creds`, hydra and medusa in one run; prints wall time, attempts/s, devices checked per
# minute, and whether each tool found exactly the valid pairs of the ground truth (per target).
# See bench/README.md ("Credential benchmark") for the cases, commands and figures.
#
#   bench/creds-bench.sh                       # every case, 1 round each
#   bench/creds-bench.sh --cases lab --rounds 3 --devices 1000
#   bench/creds-bench.sh --cases telnet-wrong  # hydra's false "valid" against busybox login
#
# Cases (single targets are the shared real daemons, see docs/daemons.md and the manifest):
#   ssh           OpenSSH 9.2 at 127.65.0.10:22, 30 pairs, admin/admin last
#   dropbear      dropbear 2022.83 at 127.65.0.13:22, the same 30 pairs
#   telnet        busybox telnetd + busybox login at 127.65.0.12:23 (3 s after a wrong
#                 password), the same 30 pairs
#   telnet-wrong  the same daemon, 8 wrong pairs only: the truth is "nothing valid"
#   lab           N emulated telnet devices (default 1000) served by `mamori-lab run` on
#                 127.74.0.0/16, each with one pair of a 5-pair list (about 10% hardened with
#                 a random password); the same 5 pairs for every tool
# Every single-target case runs all three tools at 4 logins in parallel on the target and
# stops at the first valid pair (hydra -t 4 -f, medusa -t 4 -f, mamori --login-parallel 4
# --attempt-spacing 0 --max-attempts 100 and its own stop-at-first). mamori also proves each
# hit with a negative control (one more login with a wrong password), counted in its attempts.
#
# Options: --rounds N (rounds of every case; tools alternate within a round and the order
# rotates between rounds), --devices N, --lab-device-concurrency N, --lab-login-parallel N,
# --lab-spacing T (mamori in case lab), --lab-hydra-T N, --lab-medusa-T N (peers' host
# parallelism in case lab), --run-cap S (a run still going after S seconds gets SIGINT,
# rc 124), --tools LIST, --mamori PATH, --lab-bin PATH, --manifest F, --work DIR, --keep-work,
# --build (build mamori and mamori-lab in build/credbench first).
#
# Network safety: every packet goes to loopback (127.65.0.x: the shared daemons; 127.74.x.y:
# this script's lab, bound per address). The shared daemons are used by others at the same
# time: keep --rounds low on the single-target cases (each run is about 30 logins). The lab
# process is started and stopped by this script, by PID. Needs hydra, medusa, python3 and GNU
# time (scripts/packages/credbench.txt).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=$ROOT/build/credbench
MAMORI=${MAMORI:-$BUILD/src/cli/mamori}
LAB_BIN=${MAMORI_LAB:-$BUILD/src/lab/mamori-lab}
MANIFEST=${MAMORI_DAEMONS_MANIFEST:-/tmp/mamori-shared-daemons/manifest.jsonl}
PY=/usr/bin/python3
LIB="$HERE/creds_bench.py"
CASES=ssh,dropbear,telnet,telnet-wrong,lab
TOOLS=mamori,hydra,hydra1,medusa   # hydra1: case lab only
ROUNDS=1
DEVICES=1000
LAB_BASE=127.74.0.0
LAB_SEED=20261126
LAB_DEVICE_CONCURRENCY=256   # mamori: devices audited at once in case lab
LAB_LOGIN_PARALLEL=1         # mamori: logins in flight per device in case lab
LAB_SPACING=500ms            # mamori: its default spacing between attempts on one device
LAB_HYDRA_T=64               # hydra -T: connects in parallel overall (its default with -M)
LAB_MEDUSA_T=64              # medusa -T: hosts at once
RUN_CAP=900
HYDRA1_CAP=300              # hydra1: cap of each per-device hydra process
WORK=""
KEEP_WORK=0
DO_BUILD=0

usage() { sed -n '2,/^set -euo/{/^set -euo/!p}' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES=$2; shift 2 ;;
    --tools) TOOLS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --devices) DEVICES=$2; shift 2 ;;
    --lab-device-concurrency) LAB_DEVICE_CONCURRENCY=$2; shift 2 ;;
    --lab-login-parallel) LAB_LOGIN_PARALLEL=$2; shift 2 ;;
    --lab-spacing) LAB_SPACING=$2; shift 2 ;;
    --lab-hydra-T) LAB_HYDRA_T=$2; shift 2 ;;
    --lab-medusa-T) LAB_MEDUSA_T=$2; shift 2 ;;
    --run-cap) RUN_CAP=$2; shift 2 ;;
    --mamori) MAMORI=$2; shift 2 ;;
    --lab-bin) LAB_BIN=$2; shift 2 ;;
    --manifest) MANIFEST=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --keep-work) KEEP_WORK=1; shift ;;
    --build) DO_BUILD=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "creds-bench: unknown argument $1" >&2; usage 2 ;;
  esac
done

die() { echo "creds-bench: $*" >&2; exit 1; }
has() { case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }

for c in ${CASES//,/ }; do
  case "$c" in ssh|dropbear|telnet|telnet-wrong|lab) ;; *) die "unknown case '$c'" ;; esac
done
for t in ${TOOLS//,/ }; do
  case "$t" in mamori|hydra|hydra1|medusa) ;; *) die "unknown tool '$t'" ;; esac
done
case "$ROUNDS$DEVICES" in *[!0-9]*) die "--rounds and --devices take numbers" ;; esac
[ "$DEVICES" -ge 1 ] && [ "$DEVICES" -le 60000 ] || die "--devices must be 1..60000 (127.74.0.0/16)"

if [ "$DO_BUILD" = 1 ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" --target mamori mamori-lab -j2
fi
has "$TOOLS" mamori && { [ -x "$MAMORI" ] || die "no mamori at $MAMORI (--build or --mamori)"; }
{ has "$TOOLS" hydra || has "$TOOLS" hydra1; } && { command -v hydra >/dev/null || die "hydra is not installed (scripts/install-deps.sh)"; }
has "$TOOLS" medusa && { command -v medusa >/dev/null || die "medusa is not installed (scripts/install-deps.sh)"; }
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is missing"
if has "$CASES" lab; then [ -x "$LAB_BIN" ] || die "no mamori-lab at $LAB_BIN (--build or --lab-bin)"; fi
for c in ssh dropbear telnet telnet-wrong; do
  if has "$CASES" $c; then [ -r "$MANIFEST" ] || die "case $c needs the shared daemons manifest ($MANIFEST)"; fi
done

if [ -z "$WORK" ]; then WORK=$(mktemp -d /tmp/creds-bench.XXXXXX); fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
LAB_PID=""

teardown() {
  if [ -n "$RUN_SID" ]; then
    pids=$(ps -o pid= -s "$RUN_SID" 2>/dev/null | tr -d ' ' | tr '\n' ' ' || true)
    [ -z "${pids// /}" ] || kill -TERM $pids 2>/dev/null || true
  fi
  if [ -n "$LAB_PID" ] && kill -0 "$LAB_PID" 2>/dev/null; then
    kill -TERM "$LAB_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$LAB_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$LAB_PID" 2>/dev/null || true
    wait "$LAB_PID" 2>/dev/null || true
  fi
  LAB_PID=""
  # hydra leaves ./hydra.restore when interrupted; it runs in $WORK, so nothing else is touched
  if [ "$KEEP_WORK" = 0 ]; then rm -rf "$WORK"; else echo "creds-bench: work files kept in $WORK"; fi
}
trap teardown EXIT
trap 'exit 130' INT TERM

RESULTS=$WORK/results.tsv
printf '%s\n' "case	round	tool	wall_s	user_s	sys_s	maxrss_kib	targets	attempts	found	truth	true_hits	false_hits	missed	rc	load1	found_file" >"$RESULTS"

$PY "$LIB" lists "$WORK/lists"

RUN_SID=""
# Waits up to 10 s for the processes left in session $1, then ends them (TERM, then KILL).
reap_session() {
  local sid=$1 pids i
  for i in $(seq 100); do
    pids=$(ps -o pid= -s "$sid" 2>/dev/null | tr -d ' ' | tr '\n' ' ' || true)
    [ -z "${pids// /}" ] && return 0
    sleep 0.1
  done
  echo "creds-bench: ending processes left behind: $pids" >&2
  kill -TERM $pids 2>/dev/null || true
  sleep 1
  pids=$(ps -o pid= -s "$sid" 2>/dev/null | tr -d ' ' | tr '\n' ' ' || true)
  [ -z "${pids// /}" ] || kill -KILL $pids 2>/dev/null || true
}

# run CASE ROUND TOOL TARGETS -- CMD...: one timed run in $WORK, scored against $WORK/CASE.truth
run() {
  local case=$1 round=$2 tool=$3 targets=$4; shift 5
  local stem=$WORK/$case-$tool-$round rc=0 load1
  load1=$(cut -d' ' -f1 /proc/loadavg)
  echo "creds-bench: $case round $round: $tool (load $load1)" >&2
  # In a session of its own, so that whatever the tool leaves running (hydra children after
  # SIGINT) is found and ended, by PID, before the next run starts.
  (cd "$WORK" && exec setsid /usr/bin/time -f '%e %U %S %M' -o "$stem.time" \
      timeout -s INT -k 15 "$RUN_CAP" "$@" <"${RUN_STDIN:-/dev/null}" >"$stem.log" 2>&1) &
  RUN_SID=$!
  wait "$RUN_SID" || rc=$?
  reap_session "$RUN_SID"
  RUN_SID=""
  $PY "$LIB" found "$tool" "$stem.out" "$stem.log" >"$stem.found" || {
    echo "creds-bench: cannot read $tool's results ($stem.out)" >&2; : >"$stem.found"; }
  local attempts
  attempts=$($PY "$LIB" attempts "$tool" "$stem.out" "$stem.log" 2>/dev/null || echo "")
  $PY "$LIB" score "$case" "$round" "$tool" "$stem.time" "$stem.found" "$WORK/$case.truth" \
      "$attempts" "$targets" "$rc" "$load1" >>"$RESULTS"
  tail -n 1 "$RESULTS" | cut -f1-16 | sed 's/^/creds-bench:   /' >&2
}

# Tools alternate within a round; the order rotates by round so load drifts hit all alike.
tool_order() {
  local round=$1 list=() n i
  for t in ${TOOLS//,/ }; do list+=("$t"); done
  n=${#list[@]}
  for ((i = 0; i < n; i++)); do echo "${list[$(((i + round - 1) % n))]}"; done
}

# single CASE SCHEME IP PORT LIST: one shared daemon, all tools at 4 in parallel
single() {
  local case=$1 scheme=$2 ip=$3 port=$4 list=$WORK/lists/$5 round tool stem
  if [ "$5" = wrong ]; then : >"$WORK/$case.truth"
  else $PY "$LIB" manifest-truth "$MANIFEST" "$ip" "$port" >"$WORK/$case.truth"; fi
  for ((round = 1; round <= ROUNDS; round++)); do
    for tool in $(tool_order "$round"); do
      stem=$WORK/$case-$tool-$round
      case "$tool" in
        mamori) run "$case" "$round" mamori 1 -- "$MAMORI" creds "$scheme://$ip:$port" \
                  --creds-only --creds-file "$list.mamori" --login-parallel 4 \
                  --attempt-spacing 0 --max-attempts 100 --reveal-secrets --format jsonl -o "$stem.out" ;;
        hydra) run "$case" "$round" hydra 1 -- hydra -I -V -t 4 -f -C "$list.hydra" \
                  -o "$stem.out" -b json "$scheme://$ip:$port" ;;
        medusa) run "$case" "$round" medusa 1 -- medusa -b -h "$ip" -n "$port" -M "$scheme" \
                  -C "$list.medusa" -t 4 -f -O "$stem.out" ;;
        hydra1) ;;  # the same as hydra on one target
      esac
    done
  done
}

lab_up() {
  local scen=$WORK/lab.yaml ready=$WORK/lab.ready
  $PY "$LIB" scenario "$DEVICES" "$LAB_BASE" "$LAB_SEED" "$scen" "$WORK/lab.truth"
  "$LAB_BIN" check "$scen" >/dev/null
  rm -f "$ready"
  "$LAB_BIN" run "$scen" --bind per-address --ready-file "$ready" >"$WORK/lab-run.log" 2>&1 &
  LAB_PID=$!
  for _ in $(seq 600); do
    [ -s "$ready" ] && break
    kill -0 "$LAB_PID" 2>/dev/null || { cat "$WORK/lab-run.log" >&2; die "mamori-lab exited"; }
    sleep 0.1
  done
  [ -s "$ready" ] || die "mamori-lab not ready after 60 s"
  echo "creds-bench: lab up (pid $LAB_PID): $(cat "$ready")" >&2
}

lab_case() {
  lab_up
  local targets=$WORK/lab.truth.targets round tool stem urls=()
  while read -r ip; do urls+=("telnet://$ip"); done <"$targets"
  awk '{print $1}' "$targets" >"$WORK/lab.hydra-targets"
  for ((round = 1; round <= ROUNDS; round++)); do
    for tool in $(tool_order "$round"); do
      stem=$WORK/lab-$tool-$round
      case "$tool" in
        mamori) run lab "$round" mamori "$DEVICES" -- "$MAMORI" creds "${urls[@]}" \
                  --creds-only --creds-file "$WORK/lists/short.mamori" \
                  --device-concurrency "$LAB_DEVICE_CONCURRENCY" \
                  --login-parallel "$LAB_LOGIN_PARALLEL" --attempt-spacing "$LAB_SPACING" \
                  --reveal-secrets --format jsonl -o "$stem.out" ;;
        hydra) run lab "$round" hydra "$DEVICES" -- hydra -I -V -t 4 -T "$LAB_HYDRA_T" -f \
                  -C "$WORK/lists/short.hydra" -M "$WORK/lab.hydra-targets" -o "$stem.out" -b json telnet ;;
        medusa) run lab "$round" medusa "$DEVICES" -- medusa -b -H "$WORK/lab.hydra-targets" -M telnet \
                  -C "$WORK/lists/short.medusa" -t 4 -T "$LAB_MEDUSA_T" -f -O "$stem.out" ;;
        # One hydra per device, LAB_HYDRA_T/4 of them at once (4 tasks each): the same logins
        # in flight as hydra -M, without -M's scheduler (which hangs here, see README).
        hydra1) RUN_STDIN=$WORK/lab.hydra-targets run lab "$round" hydra1 "$DEVICES" -- xargs -P "$((LAB_HYDRA_T / 4 > 0 ? LAB_HYDRA_T / 4 : 1))" \
                  -I{} timeout -s INT "$HYDRA1_CAP" hydra -I -V -t 4 -f -C "$WORK/lists/short.hydra" \
                  "telnet://{}"
                RUN_STDIN="" ;;
      esac
    done
  done
  teardown_lab_only
}

teardown_lab_only() {
  if [ -n "$LAB_PID" ]; then
    kill -TERM "$LAB_PID" 2>/dev/null || true
    wait "$LAB_PID" 2>/dev/null || true
    LAB_PID=""
  fi
}

echo "creds-bench: work dir $WORK; $(uptime)" >&2
for c in ${CASES//,/ }; do
  case "$c" in
    ssh) single ssh ssh 127.65.0.10 22 long ;;
    dropbear) single dropbear ssh 127.65.0.13 22 long ;;
    telnet) single telnet telnet 127.65.0.12 23 long ;;
    telnet-wrong) single telnet-wrong telnet 127.65.0.12 23 wrong ;;
    lab) lab_case ;;
  esac
done
echo "creds-bench: done; $(uptime)" >&2
echo
$PY "$LIB" summary "$RESULTS"
