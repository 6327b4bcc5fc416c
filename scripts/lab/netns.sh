#!/usr/bin/env bash
# Network-namespace topologies for the seed paper's connection forms: a device directly on
# the internet, LAN devices behind a home router (not reachable from outside), and a LAN
# device made reachable through port forwarding (a static rule, and UPnP IGD via miniupnpd).
#
# Usage: scripts/lab/netns.sh up|down|status [--state DIR] [--bare]
#   --state DIR  state dir (default $MAMORI_NETNS_STATE or /tmp/mamori-lab-netns)
#   --prefix P   namespace name prefix (default $MAMORI_NETNS_PREFIX or mlab): two topologies
#                with different prefixes can be up at once (the tests use their own)
#   --bare       do not start the simple device listeners (busybox httpd) in mlab-camera,
#                mlab-dvr and mlab-direct, so `ip netns exec NS mamori-lab run ...` can take
#                their ports; the router (NAT, port forward, miniupnpd) is set up as usual
#
#   segment "inet" 198.18.0.0/24 (bridge br-inet in mlab-sw)
#     mlab-inet     198.18.0.1   outside scanner vantage; also a tiny STUN server (udp/3478)
#     mlab-router   198.18.0.2   WAN side of the home router
#     mlab-direct   198.18.0.20  device directly on the internet (http/80)
#   segment "lan" 198.19.1.0/24 (bridge br-lan in mlab-sw)
#     mlab-router   198.19.1.1   LAN side: NAT (masquerade), forward tcp/8080 -> camera:80,
#                                miniupnpd (UPnP IGD http/5000, SSDP, NAT-PMP) on the LAN only
#     mlab-camera   198.19.1.10  camera (http/80)
#     mlab-dvr      198.19.1.11  DVR (http/80)
#     mlab-lan-scan 198.19.1.100 inside scanner vantage
#
# Every address is inside 198.18.0.0/15. While up, the root namespace holds
# `unreachable 198.18.0.0/15 metric M` (this script's own route, M = 4000-4999 derived from the
# prefix: 4155 for mlab; removed at down), so a
# command run without `ip netns exec` fails here instead of leaving the machine. Nothing is
# created in the root namespace besides that route: veths are created directly inside the
# namespaces, nftables tables live in mlab-router only. Multicast (SSDP) stays on br-lan.
# See docs/daemons.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
LAB_TAG=netns
# shellcheck source=lib.sh
. "$here/lib.sh"

STATE=${MAMORI_NETNS_STATE:-/tmp/mamori-lab-netns}
BARE=0
P=${MAMORI_NETNS_PREFIX:-mlab}

cmd=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case $1 in
    --state) STATE=$2; shift 2 ;;
    --state=*) STATE=${1#*=}; shift ;;
    --bare) BARE=1; shift ;;
    --prefix) P=$2; shift 2 ;;
    --prefix=*) P=${1#*=}; shift ;;
    -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
    *) lab_die "unknown argument: $1" ;;
  esac
done
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac
PIDS=$STATE/pids
NSLIST=$STATE/namespaces
TOPO=$STATE/topology.jsonl

[[ $P =~ ^[a-z][a-z0-9]{0,5}$ ]] || lab_die "--prefix must be 1-6 lower-case letters/digits, got '$P'"
# each prefix owns its own guard route (its own metric), so one topology's down never
# removes the guard another one relies on
GUARD_METRIC=$((4000 + $(printf %s "$P" | cksum | cut -d' ' -f1) % 1000))
GUARD="unreachable 198.18.0.0/15 metric $GUARD_METRIC"
SW=$P-sw; INET=$P-inet; ROUTER=$P-router; DIRECT=$P-direct
CAMERA=$P-camera; DVR=$P-dvr; LANSCAN=$P-lan-scan
ALL_NS=("$SW" "$INET" "$ROUTER" "$DIRECT" "$CAMERA" "$DVR" "$LANSCAN")

INET_IP=198.18.0.1; WAN_IP=198.18.0.2; DIRECT_IP=198.18.0.20
LAN_GW=198.19.1.1; CAMERA_IP=198.19.1.10; DVR_IP=198.19.1.11; LANSCAN_IP=198.19.1.100
FWD_PORT=8080   # WAN tcp/8080 -> camera:80 (static port forward)

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# new_ns NAME FORWARDING: creates a namespace (recorded first, so a failed up can be cleaned),
# loopback up, IPv6 off (keeps the segments quiet), IPv4 forwarding as given.
new_ns() {
  local ns=$1 fwd=$2
  if [ -e "/run/netns/$ns" ]; then
    lab_die "namespace $ns already exists but is not recorded in $STATE; remove it by hand (ip netns del $ns) if it is a leftover of this lab"
  fi
  echo "$ns" >> "$NSLIST"
  ip netns add "$ns"
  nsx "$ns" ip link set lo up
  nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  nsx "$ns" sysctl -qw net.ipv4.ip_forward="$fwd"
}

# plug NS IFNAME BRIDGE PORTNAME ADDR/LEN: veth from NS (as IFNAME) to BRIDGE in $SW.
plug() {
  local ns=$1 ifname=$2 br=$3 port=$4 addr=$5
  ip link add "$ifname" netns "$ns" type veth peer name "$port" netns "$SW"
  nsx "$SW" ip link set "$port" master "$br"
  nsx "$SW" ip link set "$port" up
  nsx "$ns" ip addr add "$addr" dev "$ifname"
  nsx "$ns" ip link set "$ifname" up
}

# spawn NAME NS EXE_PATH CMD...: runs CMD (foreground program) in NS, records "PID EXE".
spawn() {
  local name=$1 ns=$2 exe=$3; shift 3
  mkdir -p "$STATE/log"
  ip netns exec "$ns" "$@" >>"$STATE/log/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $exe" > "$PIDS/$name.pid"
  if ! lab_wait_exec "$pid" "$exe"; then
    tail -n 20 "$STATE/log/$name.log" >&2 || true
    lab_die "$name: $exe did not start in $ns"
  fi
}

# wait_port NS PROTO PORT NAME: until something listens on PORT in NS (and NAME still runs).
wait_port() {
  local ns=$1 proto=$2 port=$3 name=$4 flag=-ltnH i pid exe
  [ "$proto" = udp ] && flag=-lunH
  read -r pid exe < "$PIDS/$name.pid"
  for i in $(seq 80); do
    nsx "$ns" ss $flag "sport = :$port" | grep . >/dev/null && return 0
    lab_pid_alive "$pid" || break   # no exe check: it may not have exec'ed yet
    sleep 0.1
  done
  echo "---- $STATE/log/$name.log" >&2; tail -n 20 "$STATE/log/$name.log" >&2 || true
  lab_die "$name did not listen on $proto/$port in $ns"
}

httpd_device() {   # httpd_device NAME NS IP TITLE
  local name=$1 ns=$2 ip=$3 title=$4 www=$STATE/www/$1
  mkdir -p "$www"
  printf '<html><head><title>%s</title></head><body>mamori-lab %s %s</body></html>\n' \
    "$title" "$name" "$ip" > "$www/index.html"
  : > "$STATE/www/$name.httpd.conf"
  chmod -R a+rX "$STATE/www"
  spawn "$name-http" "$ns" "$BB" "$BB" httpd -f -p "$ip:80" -h "$www" \
    -c "$STATE/www/$name.httpd.conf" -u nobody:nogroup
  wait_port "$ns" tcp 80 "$name-http"
}

topo() {   # topo NS ROLE SEGMENT IP SERVICES_JSON EXTRA_JSON_FIELDS
  printf '{"ns":"%s","role":"%s","segment":"%s","ip":"%s","services":%s%s}\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" >> "$TOPO"
}

router_nft() {
  cat > "$STATE/router/ruleset.nft" <<EOF
# mlab-router only (never the root namespace). The miniupnpd chains are filled by miniupnpd.
table inet mlab_router {
  chain input {
    type filter hook input priority 0; policy drop;
    iif "lo" accept
    ct state established,related accept
    iifname "lan" accept
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
    iifname "wan" oifname "lan" ip daddr $CAMERA_IP tcp dport 80 ct status dnat accept
    jump miniupnpd
  }
  chain miniupnpd {
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan" tcp dport $FWD_PORT dnat ip to $CAMERA_IP:80
    jump prerouting_miniupnpd
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    jump postrouting_miniupnpd
    oifname "wan" masquerade
  }
  chain postrouting_miniupnpd {
  }
}
EOF
  nsx "$ROUTER" nft -f "$STATE/router/ruleset.nft"
}

router_upnp() {
  cat > "$STATE/router/miniupnpd.conf" <<EOF
# mamori-lab home router, generated by scripts/lab/netns.sh (runs in $ROUTER only)
ext_ifname=wan
listening_ip=lan
port=5000
enable_upnp=yes
enable_natpmp=yes
secure_mode=yes
system_uptime=yes
notify_interval=60
uuid=6d616d6f-7269-4c61-8220-726f75746572
lease_file=$STATE/router/upnp.leases
upnp_table_name=mlab_router
upnp_nat_table_name=mlab_router
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
# The WAN address is in 198.18.0.0/15, which miniupnpd treats as reserved and would refuse
# to forward for. A STUN answer from the inet side (mlab-inet) tells it the address is
# reachable 1:1, which turns port forwarding on.
ext_perform_stun=yes
ext_stun_host=$INET_IP
ext_stun_port=3478
allow 1024-65535 198.19.1.0/24 1-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
  : > "$STATE/router/upnp.leases"
  spawn router-upnp "$ROUTER" /usr/sbin/miniupnpd /usr/sbin/miniupnpd -f "$STATE/router/miniupnpd.conf" -d \
    -P "$STATE/router/miniupnpd.pid"
  wait_port "$ROUTER" tcp 5000 router-upnp
  grep -q "Port forwarding is now enabled" "$STATE/log/router-upnp.log" \
    || { tail -n 20 "$STATE/log/router-upnp.log" >&2; lab_die "miniupnpd did not enable port forwarding (STUN)"; }
}

write_stun() {
  cat > "$STATE/stun.py" <<'EOF'
# Minimal STUN binding responder (RFC 5389 XOR-MAPPED-ADDRESS), for mlab-inet only.
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data, (ip, port) = s.recvfrom(2048)
    if len(data) < 20 or data[0:2] != b"\x00\x01":
        continue
    xip = bytes(a ^ b for a, b in zip(socket.inet_aton(ip), b"\x21\x12\xa4\x42"))
    attr = struct.pack("!HHBBH", 0x0020, 8, 0, 1, port ^ 0x2112) + xip
    s.sendto(struct.pack("!HH", 0x0101, len(attr)) + data[4:20] + attr, (ip, port))
EOF
}

# ---------------------------------------------------------------------------------------------

guard_present() { ip route show table main | grep "^unreachable 198.18.0.0/15 .*metric $GUARD_METRIC" >/dev/null; }

all_alive() {
  local f pid exe ns
  for f in "$PIDS"/*.pid; do
    [ -f "$f" ] || continue
    read -r pid exe < "$f"
    lab_pid_alive "$pid" "$exe" || return 1
  done
  while read -r ns; do [ -e "/run/netns/$ns" ] || return 1; done < "$NSLIST"
  guard_present
}

do_down() {
  if [ ! -d "$STATE" ]; then
    lab_log "not up (no state dir $STATE)"
    local ns leftovers=""
    for ns in "${ALL_NS[@]}"; do [ -e "/run/netns/$ns" ] && leftovers+=" $ns"; done
    [ -z "$leftovers" ] || lab_warn "namespaces without state (not touched):$leftovers"
    return 0
  fi
  local f ns
  lab_stop_pidfiles "$PIDS"/*.pid
  if [ -f "$NSLIST" ]; then
    while read -r ns; do
      [ -n "$ns" ] || continue
      if [ -e "/run/netns/$ns" ]; then
        local rest; rest=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        [ -z "$rest" ] || lab_warn "processes still in $ns (not started by this script, left alone): $rest"
        ip netns del "$ns"
      fi
    done < <(tac "$NSLIST")
  fi
  if [ -f "$STATE/guard-route" ]; then
    ip route del $GUARD 2>/dev/null || true
  fi
  rm -rf "$STATE"
  lab_log "down (namespaces deleted, guard route removed, state $STATE removed)"
}

do_up() {
  lab_need_root
  lab_need_cmds ip nft ss /usr/bin/python3 /usr/sbin/miniupnpd apt-get dpkg-deb
  if [ -f "$TOPO" ]; then
    if all_alive; then lab_log "already up ($STATE)"; return 0; fi
    lab_die "state $STATE exists but the topology is incomplete; run '$0 down --state $STATE --prefix $P' first"
  fi
  [ -d "$STATE" ] && lab_die "state dir $STATE exists without a topology (a failed up?); run '$0 down --state $STATE --prefix $P'"
  BB=$(lab_busybox)
  mkdir -p "$STATE" "$PIDS" "$STATE/router"
  chmod 0755 "$STATE"
  : > "$NSLIST"
  trap 'rc=$?; trap - EXIT; if [ $rc -ne 0 ]; then lab_warn "up failed, rolling back"; do_down >/dev/null 2>&1 || true; fi; exit $rc' EXIT

  # the guard first: from here on, 198.18.0.0/15 cannot leave the root namespace
  if ! guard_present; then
    touch "$STATE/guard-route"
    ip route add $GUARD
  fi

  new_ns "$SW" 0
  local br
  for br in br-inet br-lan; do
    nsx "$SW" ip link add "$br" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    nsx "$SW" ip link set "$br" up
  done
  new_ns "$INET" 0;    plug "$INET" eth0 br-inet inet "$INET_IP/24"
  new_ns "$ROUTER" 1;  plug "$ROUTER" wan br-inet router-wan "$WAN_IP/24"
                       plug "$ROUTER" lan br-lan router-lan "$LAN_GW/24"
  new_ns "$DIRECT" 0;  plug "$DIRECT" eth0 br-inet direct "$DIRECT_IP/24"
  new_ns "$CAMERA" 0;  plug "$CAMERA" eth0 br-lan camera "$CAMERA_IP/24"
  new_ns "$DVR" 0;     plug "$DVR" eth0 br-lan dvr "$DVR_IP/24"
  new_ns "$LANSCAN" 0; plug "$LANSCAN" eth0 br-lan lan-scan "$LANSCAN_IP/24"
  local ns
  for ns in "$CAMERA" "$DVR" "$LANSCAN"; do nsx "$ns" ip route add default via "$LAN_GW"; done
  # An attacker next to the WAN can always send packets for the LAN to the router; the
  # route makes the router's firewall, not a missing route, what keeps the LAN closed.
  nsx "$INET" ip route add 198.19.0.0/16 via "$WAN_IP"

  router_nft
  write_stun
  # Debian's interpreter by full path (a python3 earlier in PATH may be a wrapper script)
  spawn inet-stun "$INET" "$(readlink -f /usr/bin/python3)" /usr/bin/python3 "$STATE/stun.py" "$INET_IP" 3478
  wait_port "$INET" udp 3478 inet-stun
  router_upnp

  httpd_device router "$ROUTER" "$LAN_GW" "Home Router"   # router admin page, LAN side only
  if [ $BARE -eq 0 ]; then
    httpd_device direct "$DIRECT" "$DIRECT_IP" "Direct IP camera"
    httpd_device camera "$CAMERA" "$CAMERA_IP" "Camera"
    httpd_device dvr "$DVR" "$DVR_IP" "DVR"
  fi
  local http='[{"port":80,"proto":"tcp","service":"http"}]'
  [ $BARE -eq 1 ] && http='[]'
  topo "$INET" scanner-outside inet "$INET_IP" '[{"port":3478,"proto":"udp","service":"stun"}]'
  topo "$ROUTER" router inet "$WAN_IP" '[]' ",\"lan_ip\":\"$LAN_GW\",\"lan_services\":[{\"port\":80,\"proto\":\"tcp\",\"service\":\"http\"},{\"port\":5000,\"proto\":\"tcp\",\"service\":\"upnp-igd\"},{\"port\":1900,\"proto\":\"udp\",\"service\":\"ssdp\"},{\"port\":5351,\"proto\":\"udp\",\"service\":\"nat-pmp\"}],\"port_forwards\":[{\"wan_port\":$FWD_PORT,\"proto\":\"tcp\",\"to\":\"$CAMERA_IP:80\"}]"
  topo "$DIRECT" device-direct inet "$DIRECT_IP" "$http" ',"form":"direct"'
  topo "$CAMERA" device-lan lan "$CAMERA_IP" "$http" ",\"form\":\"port-forward\",\"forwarded_from\":\"$WAN_IP:$FWD_PORT\""
  topo "$DVR" device-lan lan "$DVR_IP" "$http" ',"form":"behind-nat"'
  topo "$LANSCAN" scanner-inside lan "$LANSCAN_IP" '[]'
  trap - EXIT
  lab_log "up: $(wc -l < "$NSLIST") namespaces; topology $TOPO"
}

do_status() {
  if [ ! -f "$TOPO" ]; then lab_log "not up (no topology in $STATE)"; return 3; fi
  cat "$TOPO"
  local f pid exe name ns bad=0
  for f in "$PIDS"/*.pid; do
    [ -f "$f" ] || continue
    read -r pid exe < "$f"; name=$(basename "$f" .pid)
    if lab_pid_alive "$pid" "$exe"; then echo "# $name pid $pid (${exe##*/}) alive"
    else echo "# $name pid $pid (${exe##*/}) DEAD"; bad=$((bad + 1)); fi
  done
  while read -r ns; do
    if [ -e "/run/netns/$ns" ]; then echo "# namespace $ns present"
    else echo "# namespace $ns MISSING"; bad=$((bad + 1)); fi
  done < "$NSLIST"
  if guard_present; then echo "# root namespace: $GUARD present"
  else echo "# root namespace: guard route MISSING"; bad=$((bad + 1)); fi
  [ $bad -eq 0 ]
}

case $cmd in
  up) do_up ;;
  down) lab_need_root; do_down ;;
  status) do_status ;;
  *) echo "usage: $0 up|down|status [--state DIR] [--bare]" >&2; exit 2 ;;
esac
