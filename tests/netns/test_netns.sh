#!/usr/bin/env bash
# Integration test for scripts/lab/netns.sh: the connection forms of the seed paper.
#  - from the outside vantage (inet) the direct device is reachable, the LAN camera only
#    through the router's static port forward, the other LAN devices not at all;
#  - from the inside vantage (lan-scan) every LAN device is reachable;
#  - a LAN device adds a mapping with upnpc (miniupnpd, nftables backend) and becomes
#    reachable from inet; upnpc -l lists it; deleting it closes it again;
#  - the root namespace cannot reach 198.18.0.0/15 while up; down leaves nothing behind.
# Uses its own namespace prefix and state dir, so a developer's topology may stay up.
# Exit 0 pass, 1 fail, 77 skip (not root, no netns support, a tool missing).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lab=$root/scripts/lab/netns.sh
PFX=${MAMORI_TEST_NETNS_PREFIX:-mlt}
STATE=/tmp/mamori-test-netns.$$

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (creates network namespaces)"
for c in ip nft ss curl upnpc /usr/sbin/miniupnpd /usr/bin/python3; do
  command -v "$c" >/dev/null 2>&1 || skip "missing $c (run scripts/install-deps.sh)"
done
probe=$PFX-probe-$$
ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here (ip netns add failed)"
ip netns del "$probe"
for n in sw inet router direct camera dvr lan-scan; do
  [ -e "/run/netns/$PFX-$n" ] && skip "namespace $PFX-$n exists already (another run of this test? its state was lost; delete it with: ip netns del $PFX-$n)"
done

SECONDS=0
fails=0; passes=0
ok()  { passes=$((passes + 1)); echo "ok   - $* [${SECONDS}s]"; }
bad() { fails=$((fails + 1)); echo "FAIL - $* [${SECONDS}s]"; }
OUT=/tmp/mamori-test-netns-out.$$
expect_ok()  { local d=$1; shift; if "$@" >"$OUT" 2>&1; then ok "$d"; else bad "$d (exit $?): $(tail -n 3 "$OUT" | tr '\n' ' ')"; fi; }
expect_no()  { local d=$1; shift; if "$@" >"$OUT" 2>&1; then bad "$d (unexpectedly succeeded: $(head -c 200 "$OUT" | tr '\n' ' '))"; else ok "$d"; fi; }
expect_out() { local d=$1 w=$2; shift 2; local o; o=$("$@" 2>&1); if grep -qF -- "$w" <<<"$o"; then ok "$d"; else bad "$d (wanted '$w', got: $(head -c 300 <<<"$o" | tr '\n' ' '))"; fi; }
cleanup() { "$lab" down --state "$STATE" --prefix "$PFX" >/dev/null 2>&1 || true; rm -f "$OUT"; }
trap cleanup EXIT

in_ns() { local ns=$PFX-$1; shift; ip netns exec "$ns" "$@"; }
get() { local ns=$1 url=$2; in_ns "$ns" curl -sS --connect-timeout 1 --max-time 2 "$url"; }
metric=$((4000 + $(printf %s "$PFX" | cksum | cut -d' ' -f1) % 1000))
guard_routes() { ip route show table main | grep -c "^unreachable 198.18.0.0/15 .*metric $metric" ; }

tables_before=$(nft list tables 2>/dev/null)
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort)

if ! "$lab" up --state "$STATE" --prefix "$PFX"; then echo "FAIL - netns.sh up"; exit 1; fi
expect_out "second up says already up" "already up" "$lab" up --state "$STATE" --prefix "$PFX"
expect_ok "status exits 0 (all pids alive, namespaces present, guard route present)" \
  "$lab" status --state "$STATE" --prefix "$PFX"

# --- the root namespace ----------------------------------------------------------------------
expect_out "root: guard route present" 1 guard_routes
expect_no "root: ip route get 198.18.0.2 fails (unreachable)" ip route get 198.18.0.2
expect_no "root: ip route get 198.19.1.10 fails (unreachable)" ip route get 198.19.1.10
expect_no "root: curl to the router's WAN port fails" curl -sS --connect-timeout 1 --max-time 2 http://198.18.0.2:8080/
expect_ok "root: no nftables table was created" test "$(nft list tables 2>/dev/null)" = "$tables_before"
expect_ok "root: no link was created" test "$(ip -o link show | awk -F': ' '{print $2}' | sort)" = "$links_before"
expect_ok "root: no veth/bridge of the lab in the root namespace" bash -c "! ip -o link show | grep -E 'router-(wan|lan)|br-(inet|lan)'"

# --- forwarding only in the router -----------------------------------------------------------
for n in sw inet direct camera dvr lan-scan; do
  expect_out "$n: ip_forward is 0" "= 0" in_ns "$n" sysctl net.ipv4.ip_forward
done
expect_out "router: ip_forward is 1" "= 1" in_ns router sysctl net.ipv4.ip_forward
expect_out "router: masquerade and the static port forward are in its nftables" "dnat ip to 198.19.1.10:80" \
  in_ns router nft list table inet mlab_router

# --- outside vantage (inet, 198.18.0.1) ------------------------------------------------------
expect_out "inet: the direct device 198.18.0.20:80 is reachable" "mamori-lab direct 198.18.0.20" get inet http://198.18.0.20/
expect_out "inet: WAN 198.18.0.2:8080 reaches the camera (port forward)" "mamori-lab camera 198.19.1.10" get inet http://198.18.0.2:8080/
expect_no "inet: the camera's own address 198.19.1.10 is not reachable" get inet http://198.19.1.10/
expect_no "inet: the DVR 198.19.1.11 is not reachable" get inet http://198.19.1.11/
expect_no "inet: the router's admin page is not reachable from WAN" get inet http://198.18.0.2/
expect_no "inet: the router's UPnP service is not reachable from WAN" get inet http://198.18.0.2:5000/rootDesc.xml
expect_no "inet: WAN 198.18.0.2:8081 is closed before any UPnP mapping" get inet http://198.18.0.2:8081/

# --- inside vantage (lan-scan, 198.19.1.100) --------------------------------------------------
expect_out "lan-scan: the camera is reachable" "mamori-lab camera" get lan-scan http://198.19.1.10/
expect_out "lan-scan: the DVR is reachable" "mamori-lab dvr" get lan-scan http://198.19.1.11/
expect_out "lan-scan: the router admin page is reachable" "mamori-lab router" get lan-scan http://198.19.1.1/
expect_out "lan-scan: the router's UPnP IGD description is reachable" "InternetGatewayDevice" get lan-scan http://198.19.1.1:5000/rootDesc.xml
expect_out "lan-scan: the direct device is reachable through NAT" "mamori-lab direct" get lan-scan http://198.18.0.20/

# --- UPnP IGD: a LAN device opens a port --------------------------------------------------------
# -i: upnpc treats an IGD whose external address is in a reserved range (ours: 198.18.0.2)
# as "not connected"; miniupnpd itself reports Connected.
expect_out "dvr: upnpc -a (SSDP discovery on the LAN) adds 8081 -> 198.19.1.11:80" "is redirected to internal 198.19.1.11:80" \
  in_ns dvr upnpc -i -e mamori-test -a 198.19.1.11 80 8081 TCP
# the first call discovered the IGD over SSDP; the next ones go straight to its description
IGD=(-u http://198.19.1.1:5000/rootDesc.xml)
expect_out "dvr: upnpc -l lists the mapping" "8081->198.19.1.11:80" in_ns dvr upnpc -i "${IGD[@]}" -l
expect_out "inet: WAN 198.18.0.2:8081 now reaches the DVR" "mamori-lab dvr 198.19.1.11" get inet http://198.18.0.2:8081/
expect_out "router: miniupnpd wrote its DNAT into the nftables chain" "dnat ip to 198.19.1.11:80" \
  in_ns router nft list chain inet mlab_router prerouting_miniupnpd
expect_no "dvr: secure mode refuses a mapping to another host (the camera)" \
  bash -c "ip netns exec $PFX-dvr upnpc -i ${IGD[*]} -a 198.19.1.10 80 8082 TCP | grep 'is redirected' >/dev/null"
expect_ok "dvr: upnpc -d removes the mapping" in_ns dvr upnpc -i "${IGD[@]}" -d 8081 TCP
expect_no "inet: WAN 198.18.0.2:8081 is closed again" get inet http://198.18.0.2:8081/

# --- down ---------------------------------------------------------------------------------------
# "PID DEV:INODE-of-its-executable" per daemon (the inode stays valid for a deleted file)
pidlines=$(awk '{print $1}' "$STATE"/pids/*.pid | while read -r p; do echo "$p $(stat -L -c %d:%i /proc/$p/exe)"; done)
expect_ok "down succeeds" "$lab" down --state "$STATE" --prefix "$PFX"
alive() { [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
# same PID and same executable (PIDs wrap quickly on a busy machine: a bare PID may be reused)
left=""
while read -r p e; do
  [ -n "$p" ] && alive "$p" && [ "$(stat -L -c %d:%i /proc/$p/exe 2>/dev/null)" = "$e" ] && left+=" $p ($(ps -o cmd= -p "$p"))"
done <<<"$pidlines"
if [ -z "$left" ]; then ok "down: no recorded daemon is alive"; else bad "down: still alive:$left"; fi
expect_no "down: no namespace $PFX-* left" bash -c "ip netns list | grep -E '^$PFX-'"
expect_out "down: the guard route is removed" 0 guard_routes
expect_no "down: state dir removed" test -e "$STATE"
expect_ok "down: root nftables unchanged" test "$(nft list tables 2>/dev/null)" = "$tables_before"
expect_ok "down: root links unchanged" test "$(ip -o link show | awk -F': ' '{print $2}' | sort)" = "$links_before"
expect_ok "down is idempotent" "$lab" down --state "$STATE" --prefix "$PFX"
expect_out "status after down says not up" "not up" "$lab" status --state "$STATE" --prefix "$PFX"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
