#!/usr/bin/env bash
# Scan benchmark (issue 2, item 5): Mamori's TCP connect sweep against `nmap -sT -n -Pn` on the
# same namespace lab in one run, alternating mamori, nmap, mamori, nmap, ... and reporting the
# median of each. See bench/README.md for what each case measures and the results.
#
#   bench/scan-bench.sh                  # cases a, b, b2 and c, 3 rounds each (b2, c: 1 round)
#   bench/scan-bench.sh --cases a --rounds 5
#   bench/scan-bench.sh --cleanup        # remove what an interrupted run left behind
#
# Cases:
#   a   all 65535 TCP ports of 127.0.0.1 in a fresh namespace with 9 listeners
#   b   the `iot` TCP ports over 198.18.0.0/20 seen through a veth, 1% of the addresses live
#       (ports 23 and 80 listen, RST elsewhere), the rest drop silently
#   b1  as b, but each device's listeners have a backlog of 1, like BusyBox telnetd/httpd
#   b2  as b, but ONE listener per port (0.0.0.0:23, 0.0.0.0:80) with backlog 1 serves all live
#       addresses, as BusyBox telnetd/httpd on AnyIP did in shared/research/peer-baseline.md
#   a+  with --floor, case a also runs bench/connect-floor.c (4 syscalls a probe, no timeouts):
#       the kernel's floor for a connect sweep, to tell engine overhead from kernel cost
#   c   mamori alone, 198.18.0.0/16 x ports 1-100, every address answers RST: peak memory
#
# Network safety: every probe runs under `ip netns exec` in namespaces this script creates
# (mamori-bench-*); the lab uses 198.18.0.0/15 and 127.0.0.1 only. While the lab is up the root
# namespace holds `unreachable 198.18.0.0/15`; teardown (trap, idempotent) removes only what
# this script added. Needs root, nmap, nft, python3, GNU time (scripts/install-deps.sh).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MAMORI=${MAMORI:-$ROOT/build/bench/src/cli/mamori}
PY=/usr/bin/python3
LIB="$HERE/benchlib.py"
CASES=a,b,b2,c
ROUNDS=3
B2_ROUNDS=1
C_ROUNDS=1
B_CONCURRENCY=19000   # fits the open-file hard limit of 20000 (mamori keeps 64 + 8/thread spare)
NMAP_B_RATE=10000     # nmap --min-rate in case b (nmap's default timing needs hours there)
RUN_CAP=900           # seconds: a run still going then is stopped with SIGINT (rc 124)
WORK=""
KEEP_WORK=0

NS_LO=mamori-bench-lo
NS_SCAN=mamori-bench-scan
NS_TGT=mamori-bench-tgt
NS_MEM=mamori-bench-mem
GUARD=198.18.0.0/15
GUARD_MARK=/run/mamori-bench.guard   # exists while a route we added is in place

B_NET=198.18.0.0/20
B_LIVE=41             # 1% of 4096 addresses
B_SEED=20240601
B_OPEN_PORTS="23 80"
A_OPEN_PORTS="1 22 23 80 443 1883 8080 50000 65535"   # 1 and 65535: the edges; 50000: ephemeral
C_NET=198.18.0.0/16
C_PORTS=1-100

usage() { sed -n '2,/^set -euo/{/^set -euo/!p}' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

DO_CLEANUP=0
DO_BUILD=0
FLOOR=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --c-rounds) C_ROUNDS=$2; shift 2 ;;
    --b2-rounds) B2_ROUNDS=$2; shift 2 ;;
    --mamori) MAMORI=$2; shift 2 ;;
    --concurrency) B_CONCURRENCY=$2; shift 2 ;;
    --nmap-rate) NMAP_B_RATE=$2; shift 2 ;;
    --run-cap) RUN_CAP=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --keep-work) KEEP_WORK=1; shift ;;
    --build) DO_BUILD=1; shift ;;
    --floor) FLOOR=1; shift ;;
    --cleanup) DO_CLEANUP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "scan-bench: unknown argument $1" >&2; usage 2 ;;
  esac
done

log() { printf '[scan-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- lab lifecycle
CREATED_NS=()
PIDS=()
ADDED_GUARD=0

our_leftovers() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^mamori-bench-' || true; }

kill_ns_pids() {  # processes inside a namespace this script created are ours: end them by PID
  local ns=$1 pid
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  sleep 0.2
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
}

# Our own guard route, told apart from other labs' guards by its metric: each lab removes only
# its own, so no lab is left unguarded when another one finishes first.
GUARD_METRIC=4343
guard_present() {
  ip -4 route show exact "$GUARD" type unreachable 2>/dev/null | grep -q "metric $GUARD_METRIC\b"
}

teardown() {
  local rc=$? pid ns
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in "${CREATED_NS[@]}"; do
    kill_ns_pids "$ns"
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ "$ADDED_GUARD" = 1 ]; then
    ip route del unreachable "$GUARD" metric "$GUARD_METRIC" 2>/dev/null || true
    rm -f "$GUARD_MARK"
  fi
  if [ -n "$WORK" ] && [ "$KEEP_WORK" = 0 ] && [ -d "$WORK" ] && [ "$WORK_IS_TEMP" = 1 ]; then
    rm -rf "$WORK"
  fi
  exit "$rc"
}

cleanup_leftovers() {
  local ns
  for ns in $(our_leftovers); do
    log "removing leftover namespace $ns"
    kill_ns_pids "$ns"
    ip netns del "$ns"
  done
  if [ -e "$GUARD_MARK" ]; then
    log "removing the guard route an earlier run added"
    ip route del unreachable "$GUARD" metric "$GUARD_METRIC" 2>/dev/null || true
    rm -f "$GUARD_MARK"
  fi
}

new_ns() {
  local ns=$1
  ip netns add "$ns"
  CREATED_NS+=("$ns")
  ip -n "$ns" link set lo up
}

del_ns() {
  local ns=$1 keep=() n
  kill_ns_pids "$ns"
  ip netns del "$ns" 2>/dev/null || true
  for n in "${CREATED_NS[@]}"; do [ "$n" = "$ns" ] || keep+=("$n"); done
  CREATED_NS=("${keep[@]}")
}

guard_up() {
  if guard_present; then die "a guard route with our metric $GUARD_METRIC exists already"; fi
  ip route add unreachable "$GUARD" metric "$GUARD_METRIC"
  ADDED_GUARD=1
  : >"$GUARD_MARK"
  guard_present || die "guard route did not take"
}

# start_listeners NS NAME ARGS...: listen.py in NS, waits until every socket listens.
start_listeners() {
  local ns=$1 name=$2 i
  shift 2
  ip netns exec "$ns" "$PY" "$HERE/listen.py" "$@" >"$WORK/$name.ready" 2>"$WORK/$name.err" &
  PIDS+=($!)
  for i in $(seq 1 100); do
    grep -q '^ready' "$WORK/$name.ready" 2>/dev/null && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  cat "$WORK/$name.err" >&2
  die "listeners $name did not start"
}

stop_listeners() {  # the last started listener process
  local pid=${PIDS[-1]}
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'PIDS[-1]'
}

# ---------------------------------------------------------------- measuring
RESULTS=""

# measure CASE ROUND TOOL NS TRUTH -- CMD...: runs CMD under GNU time inside NS, scores it.
measure() {
  local case=$1 rnd=$2 tool=$3 ns=$4 truth=$5 rc=0 base open load
  shift 6
  load=$(cut -d' ' -f1 /proc/loadavg)   # other work on the machine skews wall times: keep it
  base="$WORK/$case-$tool-$rnd"
  log "case $case round $rnd: $tool"
  printf '%q ' ip netns exec "$ns" "$@" >"$base.cmd"; echo >>"$base.cmd"
  ip netns exec "$ns" /usr/bin/time -f '%e %U %S %M' -o "$base.time" \
    timeout -s INT "$RUN_CAP" "$@" \
    >"$base.stdout" 2>"$base.stderr" || rc=$?
  open="$base.open"
  if [ "$tool" = mamori ]; then
    "$PY" "$LIB" mamori-open "$base.jsonl" >"$open"
  elif [ "$tool" = floor ]; then
    cp "$base.stdout" "$open"
  else
    "$PY" "$LIB" nmap-open "$base.xml" >"$open"
  fi
  "$PY" "$LIB" score "$case" "$rnd" "$tool" "$base.time" "$open" "$truth" "$rc" "$load" | tee -a "$RESULTS" |
    awk -F'\t' '{printf "    wall %s s, user %s s, sys %s s, maxrss %s KiB, found %s of %s (FP %s, missed %s), rc %s, load before %s\n", $4, $5, $6, $7, $8, $9, $11, $12, $13, $15}' >&2
}

mamori_cmd() {  # CASE ROUND TARGET ARGS...
  local case=$1 rnd=$2 target=$3
  shift 3
  echo "$MAMORI" scan "$target" --seed "$rnd" --no-progress --format jsonl \
    -o "$WORK/$case-mamori-$rnd.jsonl" "$@"
}

# ---------------------------------------------------------------- case a
case_a() {
  local truth="$WORK/a.truth" r p eps=()
  new_ns "$NS_LO"
  : >"$truth"
  for p in $A_OPEN_PORTS; do eps+=("127.0.0.1:$p"); echo "127.0.0.1 $p" >>"$truth"; done
  start_listeners "$NS_LO" a-listeners "${eps[@]}"
  for r in $(seq 1 "$ROUNDS"); do
    # shellcheck disable=SC2046
    measure a "$r" mamori "$NS_LO" "$truth" -- $(mamori_cmd a "$r" 127.0.0.1 -p 1-65535 \
      --timeout 500ms --retries 1)
    measure a "$r" nmap "$NS_LO" "$truth" -- nmap -sT -n -Pn -p 1-65535 --max-retries 1 \
      --initial-rtt-timeout 500ms --max-rtt-timeout 500ms -oX "$WORK/a-nmap-$r.xml" 127.0.0.1
    if [ "$FLOOR" = 1 ]; then
      measure a "$r" floor "$NS_LO" "$truth" -- "$WORK/connect-floor" 127.0.0.1 1 65535 2048 2
    fi
  done
  stop_listeners
  del_ns "$NS_LO"
}

# ---------------------------------------------------------------- case b
b_lab_up() {
  new_ns "$NS_SCAN"
  new_ns "$NS_TGT"
  # The veth is created inside the scanner namespace and its peer moved straight into the
  # target: it never exists in the root namespace.
  ip -n "$NS_SCAN" link add mbv-scan type veth peer name mbv-tgt netns "$NS_TGT"
  ip -n "$NS_SCAN" addr add 198.19.255.2/30 dev mbv-scan
  ip -n "$NS_TGT" addr add 198.19.255.1/30 dev mbv-tgt
  ip -n "$NS_SCAN" link set mbv-scan up
  ip -n "$NS_TGT" link set mbv-tgt up
  # Static neighbours: no ARP; no default route anywhere; forwarding stays off.
  local mac_s mac_t
  mac_s=$(ip -n "$NS_SCAN" -br link show mbv-scan | awk '{print $3}')
  mac_t=$(ip -n "$NS_TGT" -br link show mbv-tgt | awk '{print $3}')
  ip -n "$NS_SCAN" neigh replace 198.19.255.1 lladdr "$mac_t" dev mbv-scan nud permanent
  ip -n "$NS_TGT" neigh replace 198.19.255.2 lladdr "$mac_s" dev mbv-tgt nud permanent
  ip -n "$NS_SCAN" route add "$B_NET" via 198.19.255.1 dev mbv-scan
  # AnyIP: the target namespace owns every address of the /20 ...
  ip -n "$NS_TGT" route add local "$B_NET" dev lo
  # ... but only the live ones answer; the rest drop silently (raw prerouting, before any
  # socket lookup), as unused addresses on the internet do.
  "$PY" "$LIB" live "$B_NET" "$B_LIVE" "$B_SEED" >"$WORK/b.live"
  {
    echo "table inet mamori_bench {"
    echo "  set live { type ipv4_addr; elements = { $(paste -sd, "$WORK/b.live") } }"
    echo "  chain pre { type filter hook prerouting priority raw; policy accept;"
    echo "    ip daddr $B_NET ip daddr != @live drop"
    echo "  }"
    echo "}"
  } >"$WORK/b.nft"
  ip netns exec "$NS_TGT" nft -f "$WORK/b.nft"
  : >"$WORK/b.truth"
  : >"$WORK/b.endpoints"
  local ip p
  while read -r ip; do
    for p in $B_OPEN_PORTS; do
      echo "$ip $p" >>"$WORK/b.truth"
      echo "$ip:$p" >>"$WORK/b.endpoints"
    done
  done <"$WORK/b.live"
  # Safety check: the scanner namespace has lo and the veth only, and no default route.
  [ "$(ip -n "$NS_SCAN" -o link show | wc -l)" = 2 ] || die "unexpected links in $NS_SCAN"
  if ip -n "$NS_SCAN" route show default | grep -q .; then die "default route in $NS_SCAN"; fi
}

case_b() {  # CASE BACKLOG ROUNDS [shared]
  local case=$1 backlog=$2 rounds=$3 mode=${4:-per-device} r ports
  ports=$("$MAMORI" scan --dry-run -p iot 127.0.0.1 2>/dev/null | cut -d: -f2 | sort -n | paste -sd,)
  echo "$ports" >"$WORK/b.ports"
  if [ "$mode" = shared ]; then
    start_listeners "$NS_TGT" "$case-listeners" --backlog "$backlog" $(printf '0.0.0.0:%s ' $B_OPEN_PORTS)
  else
    start_listeners "$NS_TGT" "$case-listeners" --backlog "$backlog" --file "$WORK/b.endpoints"
  fi
  ip netns exec "$NS_TGT" env NSTAT_HISTORY="$WORK/nstat.hist" nstat -n >/dev/null 2>&1 || true   # counters from here on
  for r in $(seq 1 "$rounds"); do
    # shellcheck disable=SC2046
    measure "$case" "$r" mamori "$NS_SCAN" "$WORK/b.truth" -- $(mamori_cmd "$case" "$r" "$B_NET" \
      -p iot --timeout 500ms --retries 1 --concurrency "$B_CONCURRENCY")
    # shellcheck disable=SC2046
    measure "$case" "$r" nmap "$NS_SCAN" "$WORK/b.truth" -- nmap -sT -n -Pn -p "$ports" \
      --max-retries 1 --initial-rtt-timeout 500ms --max-rtt-timeout 500ms \
      $([ "$NMAP_B_RATE" = 0 ] || echo --min-rate "$NMAP_B_RATE") \
      -oX "$WORK/$case-nmap-$r.xml" "$B_NET"
    # Accept-queue overflows in the target since the previous round (SYNs the kernel dropped).
    ip netns exec "$NS_TGT" env NSTAT_HISTORY="$WORK/nstat.hist" nstat -z TcpExtListenOverflows 2>/dev/null |
      awk 'NR>1 {printf "    target: %s %s (mamori + nmap of this round)\n", $1, $2}' |
      tee -a "$WORK/$case.overflows" >&2 || true
  done
  stop_listeners
}

# ---------------------------------------------------------------- case c
case_c() {
  local r
  new_ns "$NS_MEM"
  ip -n "$NS_MEM" route add local "$C_NET" dev lo
  : >"$WORK/c.truth"
  for r in $(seq 1 "$C_ROUNDS"); do
    # shellcheck disable=SC2046
    measure c "$r" mamori "$NS_MEM" "$WORK/c.truth" -- $(mamori_cmd c "$r" "$C_NET" -p "$C_PORTS" \
      --timeout 500ms --retries 1)
  done
  del_ns "$NS_MEM"
}

# ---------------------------------------------------------------- main
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
if [ "$DO_CLEANUP" = 1 ]; then cleanup_leftovers; exit 0; fi
if [ "$DO_BUILD" = 1 ]; then
  cmake -S "$ROOT" -B "$ROOT/build/bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAMORI_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build/bench" --target mamori >/dev/null
fi
for t in nmap nft ip; do command -v "$t" >/dev/null || die "$t missing: run scripts/install-deps.sh"; done
[ -x /usr/bin/time ] || die "GNU time missing: run scripts/install-deps.sh"
[ -x "$PY" ] || die "$PY missing"
[ -x "$MAMORI" ] || die "mamori not built at $MAMORI (cmake --build build/bench)"
left=$(our_leftovers)
[ -z "$left" ] || die "leftover namespaces from an earlier run: $left (bench/scan-bench.sh --cleanup)"
[ ! -e "$GUARD_MARK" ] || die "$GUARD_MARK exists: an earlier run did not finish (--cleanup)"

WORK_IS_TEMP=0
if [ -z "$WORK" ]; then WORK=$(mktemp -d /tmp/mamori-bench.XXXXXX); WORK_IS_TEMP=1; fi
mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf 'case\tround\ttool\twall_s\tuser_s\tsys_s\tmaxrss_kib\tfound\ttruth\ttrue_pos\tfalse_pos\tmissed\trc\topen_file\tload1\n' >"$RESULTS"
REV="HEAD $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), binary of $(date -u -r "$MAMORI" +%Y-%m-%dT%H:%MZ)"
log "mamori: $MAMORI ($REV); $(nmap --version | head -1)"
log "work dir: $WORK; $(nproc) cores; open files: $(ulimit -Hn)"
guard_up
if [ "$FLOOR" = 1 ]; then
  cc -O2 -pthread -o "$WORK/connect-floor" "$HERE/connect-floor.c" || die "cannot build connect-floor"
fi

IFS=, read -ra want <<<"$CASES"
for c in "${want[@]}"; do
  case "$c" in
    a) case_a ;;
    b|b1|b2)
      if ! ip netns list | grep -q "^$NS_TGT\b"; then b_lab_up; fi
      case "$c" in
        b) case_b b 4096 "$ROUNDS" ;;
        b1) case_b b1 1 "$ROUNDS" ;;
        b2) case_b b2 1 "$B2_ROUNDS" shared ;;
      esac ;;
    c) case_c ;;
    *) die "unknown case $c" ;;
  esac
done

echo
echo "## Scan benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, mamori $REV"
echo
"$PY" "$LIB" summary "$RESULTS"
echo
echo "Raw rows: $RESULTS"
[ "$WORK_IS_TEMP" = 1 ] && [ "$KEEP_WORK" = 0 ] && echo "(work dir removed at exit; --keep-work keeps it)"
exit 0
