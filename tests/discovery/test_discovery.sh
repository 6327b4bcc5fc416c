#!/usr/bin/env bash
# Issue 4, item 0: host discovery beyond open TCP ports, in namespaces this test creates
# (segment 198.18.5.0/24 and 2001:2:0:5::/64 (RFC 5180 benchmarking range) on a bridge; nothing
# in the root namespace but the guard routes, IPv4 and IPv6).
#   .10 quiet:  drops every TCP packet, answers ICMP echo; MAC with Hikvision's OUI; also
#               2001:2:0:5::10 (answers ICMPv6 echo)
#   .11 silent: drops every IPv4 packet (answers ARP only); a locally administered MAC whose
#               leading bytes equal a legacy registration (02:C0:8C, 3COM): no vendor
#   .12 ssdp:   drops TCP and ICMP, answers SSDP M-SEARCH (a UPnP device with no TCP port open)
#   .13         nobody; 2001:2:0:5::13 nobody
#   2001:2:0:5::14 nsonly: drops TCP and every ICMPv6 echo request, answers neighbour
#               solicitation only; MAC with Brother's OUI (00:80:77)
# `mamori scan --discover` must make .10 (icmp, MAC, vendor, and a low-confidence camera from
# the MAC alone) and .11 (arp) devices, never .13; over IPv6, ::10 (icmp) and ::14 (ndp, MAC,
# vendor, mfp from the MAC), never ::13; `--broadcast` must find .12 by SSDP; multicast and
# neighbour solicitation are sent only inside the scanner namespace.
# Usage: test_discovery.sh MAMORI SCHEMA.  Exit 0 pass, 1 fail, 77 skip (not root, no netns).
set -uo pipefail
mamori=${1:?usage: test_discovery.sh MAMORI SCHEMA}
schema=${2:?usage: test_discovery.sh MAMORI SCHEMA}
P=${MAMORI_TEST_DISCOVERY_PREFIX:-mdi}
WORK=$(mktemp -d /tmp/mamori-test-discovery.XXXXXX)
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (creates network namespaces)"
for c in ip nft python3; do command -v "$c" >/dev/null || skip "missing $c"; done
ip netns add "$P-probe-$$" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "$P-probe-$$"
for n in sw scan quiet silent ssdp nsonly; do
  [ -e "/run/netns/$P-$n" ] && skip "namespace $P-$n exists already (a leftover? ip netns del $P-$n)"
done

SECONDS=0
fails=0
ok()  { echo "ok   - $* [${SECONDS}s]"; }
bad() { fails=$((fails + 1)); echo "FAIL - $* [${SECONDS}s]"; }
GUARD="unreachable 198.18.0.0/15 metric 4977"
GUARD6="unreachable 2001:2::/48 metric 4977"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for n in scan quiet silent ssdp nsonly sw; do ip netns del "$P-$n" 2>/dev/null; done
  [ -f "$WORK/guard" ] && ip route del $GUARD 2>/dev/null
  [ -f "$WORK/guard6" ] && ip -6 route del $GUARD6 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
nsx() { local ns=$P-$1; shift; ip netns exec "$ns" "$@"; }
if ! ip route show | grep -q "^unreachable 198.18.0.0/15"; then ip route add $GUARD && touch "$WORK/guard"; fi
# IPv6 in the root namespace may be off (then nothing could leave for 2001:2::/48 anyway).
if ! ip -6 route show 2>/dev/null | grep -q "^unreachable 2001:2::/48"; then
  ip -6 route add $GUARD6 2>/dev/null && touch "$WORK/guard6"
fi

# plug NAME IP [MAC [IP6]]: a namespace with eth0 on the bridge (IP "-": no IPv4 address)
ip netns add "$P-sw"
nsx sw ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
nsx sw ip link set br0 up
V6=1
plug() {
  local name=$1 ip=$2 mac=${3:-} ip6=${4:-}
  ip netns add "$P-$name"
  nsx "$name" ip link set lo up
  nsx "$name" ip link add eth0 type veth peer name "v-$name" netns "$P-sw"
  [ -n "$mac" ] && nsx "$name" ip link set eth0 address "$mac"
  [ "$ip" != - ] && nsx "$name" ip addr add "$ip/24" dev eth0
  if [ -n "$ip6" ]; then
    nsx "$name" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 2>/dev/null
    nsx "$name" ip -6 addr add "$ip6/64" dev eth0 nodad 2>/dev/null || V6=0
  fi
  nsx "$name" ip link set eth0 up
  nsx sw ip link set "v-$name" master br0 up
}
plug scan 198.18.5.100 "" 2001:2:0:5::100
plug quiet 198.18.5.10 44:19:b6:00:00:10 2001:2:0:5::10
plug silent 198.18.5.11 02:c0:8c:00:00:11
plug ssdp 198.18.5.12 "" 2001:2:0:5::20
plug nsonly - 00:80:77:00:00:14 2001:2:0:5::14
nsx scan ip route add 239.0.0.0/8 dev eth0 2>/dev/null || true
nsx ssdp ip route add 239.0.0.0/8 dev eth0 2>/dev/null || true
filter() {  # filter NAME RULE: drop what RULE matches on input
  printf 'table inet t {\n  chain in {\n    type filter hook input priority 0;\n    %s drop\n  }\n}\n' "$2" > "$WORK/$1.nft"
  nsx "$1" nft -f "$WORK/$1.nft" || bad "nft rules for $1"
}
filter quiet "meta l4proto tcp"
filter silent "meta nfproto ipv4"
filter ssdp "meta l4proto { tcp, icmp }"
filter nsonly "meta l4proto tcp drop; icmpv6 type echo-request"
# A UPnP device's SSDP side: answers M-SEARCH (multicast or unicast) with its own LOCATION.
# Over IPv6 it listens on ff02::c (eth0) too and answers from its global address.
cat > "$WORK/ssdp.py" <<'PY'
import socket, struct, sys, threading
def serve(s, host):
    while True:
        data, peer = s.recvfrom(2048)
        if data.startswith(b"M-SEARCH"):
            s.sendto(b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\n"
                     b"USN: uuid:5a1e0000-0000-0000-0000-00000000d15c::upnp:rootdevice\r\n"
                     b"SERVER: Linux/5.10 UPnP/1.0 mamori-test/1\r\nLOCATION: http://" + host +
                     b":49152/desc.xml\r\n\r\n", peer)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 1900))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4s", socket.inet_aton("239.255.255.250"), socket.inet_aton("198.18.5.12")))
if len(sys.argv) > 1:
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s6.bind(("::", 1900))
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                  socket.inet_pton(socket.AF_INET6, "ff02::c") + struct.pack("@I", socket.if_nametoindex("eth0")))
    threading.Thread(target=serve, args=(s6, b"[" + sys.argv[1].encode() + b"]"), daemon=True).start()
serve(s, b"198.18.5.12")
PY
if [ "$V6" -eq 1 ]; then ip netns exec "$P-ssdp" python3 "$WORK/ssdp.py" 2001:2:0:5::20 & PIDS+=($!)
else ip netns exec "$P-ssdp" python3 "$WORK/ssdp.py" & PIDS+=($!); fi
for _ in $(seq 50); do nsx ssdp ss -uln | grep -q ':1900 ' && break; sleep 0.1; done

device_field() {  # device_field FILE IP FIELD
  python3 - "$@" <<'PY'
import json, sys
f, ip, key = sys.argv[1:4]
d = [json.loads(l) for l in open(f) if l.strip()]
d = [r for r in d if r.get("type") == "device" and r.get("ip") == ip]
print(d[-1].get(key, "<none>") if d else "<absent>")
PY
}
expect() {  # expect FILE IP FIELD VALUE
  local got; got=$(device_field "$1" "$2" "$3")
  if [ "$got" = "$4" ]; then ok "$(basename "$1"): $2 $3 = $4"; else bad "$(basename "$1"): $2 $3 = '$got', wanted '$4'"; fi
}
validate() {
  if python3 - "$schema" "$1" <<'PY'
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
n = 0
for line in open(sys.argv[2]):
    if line.strip():
        v.validate(json.loads(line)); n += 1
sys.exit(0 if n else 1)
PY
  then ok "$(basename "$1"): schema-valid"; else bad "$(basename "$1"): not schema-valid"; fi
}

# 1. --discover: ICMP echo + neighbour table; port 80 is dropped everywhere (filtered).
nsx scan "$mamori" scan 198.18.5.8-198.18.5.15 -p 80 --discover --stages ports,identify --no-db \
  --timeout 500ms --format jsonl -o "$WORK/discover.jsonl" 2>"$WORK/discover.err" || bad "scan --discover failed: $(tail -n 3 "$WORK/discover.err")"
validate "$WORK/discover.jsonl"
expect "$WORK/discover.jsonl" 198.18.5.10 alive_by icmp
expect "$WORK/discover.jsonl" 198.18.5.10 mac 44:19:b6:00:00:10
expect "$WORK/discover.jsonl" 198.18.5.10 mac_vendor "Hangzhou Hikvision Digital Technology Co.,Ltd."
# The MAC vendor is evidence: a camera from the OUI alone, with the OUI rule's low confidence.
expect "$WORK/discover.jsonl" 198.18.5.10 category network_camera
expect "$WORK/discover.jsonl" 198.18.5.10 confidence 0.3
expect "$WORK/discover.jsonl" 198.18.5.10 evidence "['hikvision-oui']"
expect "$WORK/discover.jsonl" 198.18.5.11 alive_by arp
expect "$WORK/discover.jsonl" 198.18.5.11 mac 02:c0:8c:00:00:11
# Locally administered: 02:C0:8C is a legacy 3COM registration, but such a MAC names nobody.
expect "$WORK/discover.jsonl" 198.18.5.11 mac_vendor "<none>"
expect "$WORK/discover.jsonl" 198.18.5.11 category unknown
expect "$WORK/discover.jsonl" 198.18.5.12 alive_by arp
expect "$WORK/discover.jsonl" 198.18.5.13 alive_by "<absent>"
expect "$WORK/discover.jsonl" 198.18.5.100 alive_by "<absent>"  # the scanner: not a target
# Without discovery, none of them is a device (nothing answers on TCP).
nsx scan "$mamori" scan 198.18.5.8-198.18.5.15 -p 80 --stages ports,identify --no-db --timeout 500ms \
  --format jsonl -o "$WORK/plain.jsonl" 2>/dev/null
if grep -q '"type":"device"' "$WORK/plain.jsonl"; then bad "plain scan: devices without discovery"; else ok "plain scan: no device without discovery"; fi

# 1b. --discover over IPv6: ICMPv6 echo, then the IPv6 neighbour table (rtnetlink): ::14 drops
# every echo request but answers the kernel's neighbour solicitation.
if [ "$V6" -eq 1 ]; then
  nsx scan "$mamori" scan 2001:2:0:5::10/124 -p 80 --discover --stages ports,identify --no-db \
    --timeout 500ms --format jsonl -o "$WORK/discover6.jsonl" 2>"$WORK/discover6.err" || bad "scan --discover (IPv6) failed: $(tail -n 3 "$WORK/discover6.err")"
  validate "$WORK/discover6.jsonl"
  expect "$WORK/discover6.jsonl" 2001:2:0:5::10 alive_by icmp
  expect "$WORK/discover6.jsonl" 2001:2:0:5::10 mac 44:19:b6:00:00:10
  expect "$WORK/discover6.jsonl" 2001:2:0:5::14 alive_by ndp
  expect "$WORK/discover6.jsonl" 2001:2:0:5::14 mac 00:80:77:00:00:14
  expect "$WORK/discover6.jsonl" 2001:2:0:5::14 mac_vendor "Brother industries, LTD."
  expect "$WORK/discover6.jsonl" 2001:2:0:5::14 category mfp
  expect "$WORK/discover6.jsonl" 2001:2:0:5::14 vendor Brother
  expect "$WORK/discover6.jsonl" 2001:2:0:5::13 alive_by "<absent>"
  # (alive_by ndp, not icmp: the echo was dropped, only the neighbour table knew ::14)
  # Without CAP_NET_RAW: the kernel's ICMPv6 ping socket (ping_group_range of this namespace).
  if command -v setpriv >/dev/null; then
    nsx scan ip neigh flush dev eth0 2>/dev/null
    nsx scan sysctl -qw net.ipv4.ping_group_range="0 0"
    nsx scan setpriv --inh-caps=-all --bounding-set=-net_raw -- "$mamori" scan 2001:2:0:5::10/124 -p 80 --discover \
      --stages ports,identify --no-db --timeout 500ms --format table >"$WORK/ping6.txt" 2>&1 || bad "unprivileged scan --discover (IPv6) failed: $(tail -n 3 "$WORK/ping6.txt")"
    if grep -q "ICMPv6 echo (ping socket): 16 sent, 1 answered" "$WORK/ping6.txt"; then ok "unprivileged: ICMPv6 ping socket, 16 sent, ::10 answered"; else bad "unprivileged: no ICMPv6 ping-socket sweep: $(head -n 3 "$WORK/ping6.txt")"; fi
    if grep -q "^2001:2:0:5::14 " "$WORK/ping6.txt"; then ok "unprivileged: ::14 found by the neighbour table"; else bad "unprivileged: ::14 not a device"; fi
  fi
else
  echo "SKIP - IPv6 discovery: no IPv6 addresses in the namespaces here"
fi

# 2. --broadcast: only the SSDP device answers the multicast M-SEARCH; only targets count.
nsx scan "$mamori" scan 198.18.5.12 -p 80,1900/udp --broadcast --stages ports,identify --no-db --timeout 500ms \
  --format jsonl -o "$WORK/broadcast.jsonl" 2>"$WORK/broadcast.err" || bad "scan --broadcast failed: $(tail -n 3 "$WORK/broadcast.err")"
validate "$WORK/broadcast.jsonl"
expect "$WORK/broadcast.jsonl" 198.18.5.12 alive_by ssdp
if grep '"type":"service"' "$WORK/broadcast.jsonl" | grep -q '"service":"ssdp"'; then ok "broadcast: the SSDP service is identified"; else bad "broadcast: no ssdp service"; fi
nsx scan "$mamori" scan 198.18.5.10 -p 80 --broadcast --stages ports,identify --no-db --timeout 500ms \
  --format jsonl -o "$WORK/broadcast2.jsonl" 2>/dev/null
if grep -q '"ip":"198.18.5.12"' "$WORK/broadcast2.jsonl"; then bad "broadcast: a non-target answer was reported"; else ok "broadcast: an answer from outside the targets is not reported"; fi

# 2b. --broadcast over IPv6: ff02::c with hop limit 1 from the scanner's global address; the
# device answers from its own global address, which the target list names.
if [ "$V6" -eq 1 ]; then
  nsx scan "$mamori" scan 2001:2:0:5::20 -p 80,1900/udp --broadcast --stages ports,identify --no-db --timeout 500ms \
    --format jsonl -o "$WORK/broadcast6.jsonl" 2>"$WORK/broadcast6.err" || bad "scan --broadcast (IPv6) failed: $(tail -n 3 "$WORK/broadcast6.err")"
  validate "$WORK/broadcast6.jsonl"
  expect "$WORK/broadcast6.jsonl" 2001:2:0:5::20 alive_by ssdp
  nsx scan "$mamori" scan 2001:2:0:5::21 -p 80 --broadcast --stages ports,identify --no-db --timeout 500ms \
    --format jsonl -o "$WORK/broadcast6b.jsonl" 2>/dev/null
  if grep -q '"ip":"2001:2:0:5::20"' "$WORK/broadcast6b.jsonl"; then bad "broadcast (IPv6): a non-target answer was reported"; else ok "broadcast (IPv6): an answer from outside the targets is not reported"; fi
fi

echo "# $SECONDS s"
[ $fails -eq 0 ] || { echo "# $fails check(s) failed"; exit 1; }
echo "# all checks passed"
