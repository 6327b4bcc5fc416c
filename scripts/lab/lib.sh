# Shared helpers for scripts/lab/*.sh (sourced, not run).
# Everything here acts only on files under a state dir and on PIDs recorded in it.

lab_die()  { echo "${LAB_TAG:-lab}: error: $*" >&2; exit 1; }
lab_log()  { echo "${LAB_TAG:-lab}: $*"; }
lab_warn() { echo "${LAB_TAG:-lab}: warning: $*" >&2; }

lab_need_root() {
  [ "$(id -u)" -eq 0 ] || lab_die "must run as root (it starts daemons, creates users/namespaces)"
}

lab_need_cmds() {
  local missing=() c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || missing+=("$c"); done
  [ ${#missing[@]} -eq 0 ] || lab_die "missing commands: ${missing[*]} (run scripts/install-deps.sh)"
}

# lab_busybox: prints the path of a busybox binary that has telnetd/login/httpd.
# Debian's `busybox` package lacks telnetd and `busybox-static` conflicts with it, so the
# static build is unpacked (never installed) into a cache dir that survives `down`.
LAB_CACHE=${MAMORI_LAB_CACHE:-/var/tmp/mamori-lab-cache}
lab_busybox() {
  local bb=$LAB_CACHE/busybox-static/bin/busybox
  if [ -x "$bb" ] && "$bb" --list | grep -x telnetd >/dev/null; then echo "$bb"; return 0; fi
  mkdir -p "$LAB_CACHE/dl"
  chmod 0777 "$LAB_CACHE/dl"   # apt's _apt user downloads into it
  ( cd "$LAB_CACHE/dl" && rm -f busybox-static_*.deb && apt-get download -q busybox-static >/dev/null 2>&1 ) \
    || ( apt-get update -qq >/dev/null 2>&1 \
         && cd "$LAB_CACHE/dl" && apt-get download -q busybox-static >/dev/null 2>&1 ) \
    || { local d; d=$(ls /var/cache/apt/archives/busybox-static_*.deb 2>/dev/null | head -n1)
         [ -n "$d" ] && cp "$d" "$LAB_CACHE/dl/"; } \
    || true
  local deb; deb=$(ls "$LAB_CACHE"/dl/busybox-static_*.deb 2>/dev/null | head -n1)
  [ -n "$deb" ] || lab_die "cannot fetch busybox-static (apt-get download busybox-static failed)"
  rm -rf "$LAB_CACHE/busybox-static"
  mkdir -p "$LAB_CACHE/busybox-static"
  dpkg-deb -x "$deb" "$LAB_CACHE/busybox-static.x"
  mkdir -p "$LAB_CACHE/busybox-static/bin"
  cp "$LAB_CACHE/busybox-static.x/bin/busybox" "$bb"
  rm -rf "$LAB_CACHE/busybox-static.x"
  "$bb" --list | grep -x telnetd >/dev/null || lab_die "$bb has no telnetd applet"
  echo "$bb"
}

# lab_pid_alive PID [EXE]: true if PID runs and is not a zombie and, when EXE is given, runs
# that executable (full path: compared by inode; a bare name: compared with the basename).
# This protects against signalling a reused PID. No forks (it runs in loops on a busy machine).
lab_pid_alive() {
  local pid=$1 want=${2:-} line rest
  [ -n "$pid" ] && read -r line 2>/dev/null < "/proc/$pid/stat" || return 1
  rest=${line##*) }
  [ "${rest%% *}" != Z ] || return 1
  case $want in
    "") return 0 ;;
    */*) [ "/proc/$pid/exe" -ef "$want" ] ;;
    *) local exe; exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
       exe=${exe% (deleted)}; [ "${exe##*/}" = "$want" ] ;;
  esac
}

# lab_wait_exec PID EXE: right after `cmd &`, PID is still the forked shell (or `ip netns exec`)
# for a moment; wait (up to 5 s) until it runs EXE, so that a later down/rollback, which only
# signals a PID running its recorded executable, can stop it. A child that never gets there
# is killed here (it is our own fresh child) and the call fails.
lab_wait_exec() {
  local pid=$1 exe=$2 i
  for i in $(seq 50); do
    lab_pid_alive "$pid" "$exe" && return 0
    lab_pid_alive "$pid" || return 1
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  return 1
}

# lab_stop_pidfiles FILE...: stops the processes recorded in FILEs (format: "PID EXE_BASENAME",
# checked against /proc so a reused PID is never hit) and the processes they started (sessions
# forked by sshd/telnetd...). TERM to all at once, KILL what is left after 5 s.
lab_stop_pidfiles() {
  local f pid exe roots=() victims=() p i
  for f in "$@"; do
    [ -f "$f" ] || continue
    read -r pid exe < "$f" || true
    lab_pid_alive "$pid" "$exe" && roots+=("$pid")
  done
  if [ ${#roots[@]} -gt 0 ]; then
    # shellcheck disable=SC2207
    victims=($(ps -e -o pid=,ppid= | awk -v roots="${roots[*]}" '
      { kids[$2] = kids[$2] " " $1 }
      END { n = split(roots, q, " "); i = 1
            while (i <= n) { p = q[i++]; out = out " " p
                             m = split(kids[p], k, " "); for (j = 1; j <= m; j++) q[++n] = k[j] }
            print out }'))
    for p in "${victims[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for i in $(seq 50); do
      local alive=0
      for p in "${victims[@]}"; do lab_pid_alive "$p" && { alive=1; break; }; done
      [ $alive -eq 0 ] && break
      sleep 0.1
    done
    for p in "${victims[@]}"; do
      if lab_pid_alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
    done
  fi
  rm -f "$@"
}

# lab_wait_listen PROTO IP PORT [NETNS] [SECONDS]: waits until a socket listens there.
lab_wait_listen() {
  local proto=$1 ip=$2 port=$3 ns=${4:-} secs=${5:-5} i flag=-ltnH
  [ "$proto" = udp ] && flag=-lunH
  for i in $(seq $((secs * 10))); do
    if [ -n "$ns" ]; then
      ip netns exec "$ns" ss $flag "src $ip:$port" 2>/dev/null | grep . >/dev/null && return 0
    else
      ss $flag "src $ip:$port" 2>/dev/null | grep . >/dev/null && return 0
    fi
    sleep 0.1
  done
  return 1
}

# lab_port_busy PROTO IP PORT: true if something already listens on IP:PORT or on *:PORT.
lab_port_busy() {
  local proto=$1 ip=$2 port=$3 flag=-ltnH
  [ "$proto" = udp ] && flag=-lunH
  ss $flag "( src $ip:$port or src 0.0.0.0:$port )" 2>/dev/null | grep . >/dev/null
}

# JSON helpers (values are generated by these scripts: no quotes or backslashes inside).
lab_jstr() { printf '"%s"' "$1"; }
lab_jarr() { local out="" s; for s in "$@"; do out+="${out:+,}\"$s\""; done; printf '[%s]' "$out"; }
