#!/usr/bin/env bash
# Integration test for scripts/lab/daemons.sh: brings the real daemons up on a private
# loopback /24, checks with real clients that each weak device accepts what it should and
# each hardened one refuses it, then brings them down and checks nothing is left.
# Exit 0 pass, 1 fail, 77 skip (not root, a tool is missing, or the lab user already exists).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/daemons
lab=$root/scripts/lab/daemons.sh
NET=${MAMORI_TEST_NET:-127.65.9}
STATE=$(mktemp -d /tmp/mamori-test-daemons.XXXXXX)
rmdir "$STATE"   # daemons.sh creates it

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (starts daemons, creates the lab user)"
for c in /usr/sbin/sshd /usr/sbin/vsftpd /usr/sbin/mosquitto /usr/sbin/snmpd /usr/sbin/lighttpd \
         ssh sshpass curl mosquitto_pub mosquitto_sub snmpget htpasswd python3 ss; do
  command -v "$c" >/dev/null 2>&1 || skip "missing $c (run scripts/install-deps.sh)"
done
getent passwd admin >/dev/null && skip "user 'admin' already exists (is a lab already up? run scripts/lab/daemons.sh down)"

fails=0; passes=0
SECONDS=0
ok()   { passes=$((passes + 1)); echo "ok   - $* [${SECONDS}s]"; }
bad()  { fails=$((fails + 1)); echo "FAIL - $* [${SECONDS}s]"; }
# alive PID: running and not a zombie
alive() { [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
# expect_ok DESC CMD...: CMD must exit 0.   expect_no DESC CMD...: CMD must exit non-zero.
expect_ok() { local d=$1; shift; if "$@" >/tmp/mamori-test-out.$$ 2>&1; then ok "$d"; else bad "$d (exit $?): $(tail -n 3 /tmp/mamori-test-out.$$ | tr '\n' ' ')"; fi; }
expect_no() { local d=$1; shift; if "$@" >/tmp/mamori-test-out.$$ 2>&1; then bad "$d (unexpectedly succeeded)"; else ok "$d"; fi; }
# expect_out DESC WANT CMD...: CMD's output must contain WANT.
expect_out() { local d=$1 w=$2; shift 2; local o; o=$("$@" 2>&1); if grep -qF -- "$w" <<<"$o"; then ok "$d"; else bad "$d (wanted '$w', got: $(head -c 300 <<<"$o" | tr '\n' ' '))"; fi; }

cleanup() { "$lab" down --state "$STATE" >/dev/null 2>&1 || true; rm -f /tmp/mamori-test-out.$$; rm -rf "$SNMPDIR"; }
SNMPDIR=$(mktemp -d)
trap cleanup EXIT
export SNMP_PERSISTENT_DIR=$SNMPDIR   # keep snmp client state out of ~

t0=$(date +%s)
if ! "$lab" up --state "$STATE" --net "$NET"; then echo "FAIL - daemons.sh up"; exit 1; fi
M=$STATE/manifest.jsonl
field() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["name"] == sys.argv[2]: print(eval(sys.argv[3], {}, {"d": d}))' "$M" "$1" "$2"; }

# --- manifest and idempotency ------------------------------------------------------------------
expect_out "second up says already up" "already up" "$lab" up --state "$STATE" --net "$NET"
expect_ok "manifest has 12 valid JSON lines with the required fields" python3 -c '
import json, sys
need = {"name","ip","port","proto","service","posture","credentials","expect","expect_absent","pid"}
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 12, len(lines)
for d in lines:
    assert need <= d.keys(), d
    assert d["posture"] in ("weak", "hardened"), d
    assert d["ip"].startswith(sys.argv[2] + "."), d
ids = {i for d in lines for i in d["expect"]}
for want in ("default-credential","ftp-anonymous","mqtt-anonymous","snmp-default-community","telnet-enabled"):
    assert want in ids, want
' "$M" "$NET"
expect_ok "status exits 0 and shows every daemon alive" bash -c \
  "out=\$('$lab' status --state '$STATE') && [ \$(grep -c '^# .* alive\$' <<<\"\$out\") -eq 12 ]"
expect_ok "lab user admin exists while up" getent passwd admin
# every listening socket of the lab's daemons is on the device's own address: no wildcard
lab_pids=$(awk '{print $1}' "$STATE"/pids/*.pid | paste -sd'|')
expect_out "daemons listen on their own addresses only (12 sockets, none on a wildcard)" "12 12" \
  bash -c "ss -ltunpH | grep -E 'pid=($lab_pids),' | awk '{n++; if (index(\$5, \"$NET.\") == 1) own++} END {print n, own}'"

# --- SSH ------------------------------------------------------------------------------------
SO=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR)
PWONLY=(-o PreferredAuthentications=password,keyboard-interactive -o PubkeyAuthentication=no)
expect_out "ssh weak: admin/admin logs in" "LAB-admin" \
  sshpass -p admin ssh "${SO[@]}" "${PWONLY[@]}" "admin@$NET.10" 'echo LAB-$(id -un)'
expect_no "ssh weak: a wrong password is refused" \
  sshpass -p wrong ssh "${SO[@]}" "${PWONLY[@]}" "admin@$NET.10" true
expect_out "dropbear: admin/admin logs in" "LAB-admin" \
  sshpass -p admin ssh "${SO[@]}" "${PWONLY[@]}" "admin@$NET.13" 'echo LAB-$(id -un)'
expect_no "dropbear: a wrong password is refused" \
  sshpass -p wrong ssh "${SO[@]}" "${PWONLY[@]}" "admin@$NET.13" true
expect_out "ssh hardened: offers publickey only" "Permission denied (publickey)" \
  ssh "${SO[@]}" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityFile=none "admin@$NET.11" true
expect_no "ssh hardened: admin/admin is refused" \
  sshpass -p admin ssh "${SO[@]}" "${PWONLY[@]}" "admin@$NET.11" true
expect_out "ssh hardened: the lab key logs in" "LAB-admin" \
  ssh "${SO[@]}" -o BatchMode=yes -o IdentitiesOnly=yes -i "$(field ssh-hardened 'd["credentials"][0]["key_file"]')" \
  "admin@$NET.11" 'echo LAB-$(id -un)'
expect_ok "ssh weak and hardened have different host keys" bash -c \
  "[ \"\$(ssh-keyscan -t ed25519 $NET.10 2>/dev/null | cut -d' ' -f3)\" != \"\$(ssh-keyscan -t ed25519 $NET.11 2>/dev/null | cut -d' ' -f3)\" ]"

# --- Telnet (busybox telnetd + busybox login) -----------------------------------------------------
expect_ok "telnet: admin/admin logs in to a shell" python3 "$here/telnet_login.py" "$NET.12" 23 admin admin
# exit 1 = "Login incorrect" (a refusal), as opposed to 2 = no prompt / protocol trouble
expect_ok "telnet: a wrong password is refused by login" bash -c \
  "python3 '$here/telnet_login.py' '$NET.12' 23 admin wrong; [ \$? -eq 1 ]"

# --- FTP --------------------------------------------------------------------------------------
expect_out "ftp anon: anonymous login lists /pub" "README.txt" curl -sS --max-time 5 "ftp://$NET.20/pub/"
expect_no "ftp hardened: anonymous is refused" curl -sS --max-time 5 "ftp://$NET.21/"
expect_no "ftp hardened: admin/admin is refused" curl -sS --max-time 5 -u admin:admin "ftp://$NET.21/"

# --- MQTT -------------------------------------------------------------------------------------
expect_ok "mqtt anon: anonymous publish" mosquitto_pub -h "$NET.30" -t lab/test -m hello-anon -r
expect_out "mqtt anon: anonymous subscribe receives it" "hello-anon" mosquitto_sub -h "$NET.30" -t lab/test -C 1 -W 3
expect_out "mqtt auth: anonymous CONNECT is refused" "not authorised" mosquitto_sub -h "$NET.31" -t lab/test -C 1 -W 3
MPW=$(field mqtt-auth 'd["credentials"][0]["password"]')
expect_ok "mqtt auth: publish with the password" mosquitto_pub -h "$NET.31" -u lab -P "$MPW" -t lab/test -m hello-auth -r
expect_out "mqtt auth: subscribe with the password receives it" "hello-auth" \
  mosquitto_sub -h "$NET.31" -u lab -P "$MPW" -t lab/test -C 1 -W 3

# --- SNMP -------------------------------------------------------------------------------------
SYSNAME=1.3.6.1.2.1.1.5.0
expect_out "snmp public: v2c community public answers" "mamori-lab-snmp-public" \
  snmpget -v2c -c public -t 1 -r 0 "$NET.40" $SYSNAME
expect_out "snmp v3: community public gets no answer (timeout)" "Timeout" \
  snmpget -v2c -c public -t 1 -r 0 "$NET.41" $SYSNAME
expect_out "snmp v3: authPriv with the lab user answers" "mamori-lab-snmp-v3" \
  snmpget -v3 -l authPriv -u labv3 -a SHA -A "$(field snmp-v3 'd["credentials"][0]["auth_password"]')" \
  -x AES -X "$(field snmp-v3 'd["credentials"][0]["priv_password"]')" -t 1 -r 0 "$NET.41" $SYSNAME

# --- HTTP Basic (lighttpd) -------------------------------------------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
expect_out "web weak: no credentials -> 401" 401 code "http://$NET.50/"
expect_out "web weak: admin/admin -> 200" 200 code -u admin:admin "http://$NET.50/"
expect_out "web weak: admin/wrong -> 401" 401 code -u admin:wrong "http://$NET.50/"
expect_out "web hardened: admin/admin -> 401" 401 code -u admin:admin "http://$NET.51/"
expect_out "web hardened: the random password -> 200" 200 \
  code -u "admin:$(field web-hardened 'd["credentials"][0]["password"]')" "http://$NET.51/"

# --- the GoogleTest cases that need these daemons ---------------------------------------------
# Each executable given as an argument runs its real-daemon cases (probes and checkers) against
# this lab; a case that skips here is a failure, since everything it needs is up.
ipport() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["name"] == sys.argv[2]:
        print(d["ip"] + ":" + str(d["port"]))' "$M" "$1"; }
GFILTER='*RealDaemon.*:*Daemons.*:SshLocalSshd.*:SnmpLab.*'
for exe in "$@"; do
  name=$(basename "$exe")
  out=/tmp/mamori-test-gtest.$$
  MAMORI_DAEMONS_MANIFEST=$M \
  MAMORI_TEST_FTP=$(ipport ftp-anon) MAMORI_TEST_TELNET_LOGIN=$(ipport telnet-weak) \
  MAMORI_TEST_MQTT_ANON=$(ipport mqtt-anon) MAMORI_TEST_MQTT_AUTH=$(ipport mqtt-auth) \
    "$exe" --gtest_filter="$GFILTER" >"$out" 2>&1
  rc=$?
  ran=$(grep -c '^\[       OK \]' "$out")
  if [ $rc -ne 0 ]; then bad "$name real-daemon cases (exit $rc): $(grep -E '^\[  FAILED  \]|Failure' "$out" | head -5 | tr '\n' ' ')"
  elif grep -q '^\[  SKIPPED \]' "$out"; then bad "$name real-daemon cases: skipped with the lab up: $(grep -A1 'Skipped' "$out" | head -4 | tr '\n' ' ')"
  elif [ "$ran" -eq 0 ]; then bad "$name: no real-daemon case ran"
  else ok "$name: $ran real-daemon cases pass"; fi
  rm -f "$out"
done

# --- down ------------------------------------------------------------------------------------
# "PID DEV:INODE-of-its-executable" per daemon (the inode stays valid for a deleted file)
pidlines=$(awk '{print $1}' "$STATE"/pids/*.pid | while read -r p; do echo "$p $(stat -L -c %d:%i /proc/$p/exe)"; done)
# leave an SSH session open: down must end it too (it is a child of our sshd)
sshpass -p admin ssh "${SO[@]}" "${PWONLY[@]}" "admin@$NET.10" 'sleep 60' >/dev/null 2>&1 &
sshbg=$!
sleep 1
expect_ok "down succeeds" "$lab" down --state "$STATE"
wait $sshbg 2>/dev/null
# same PID and same executable (PIDs wrap quickly on a busy machine: a bare PID may be reused)
left=""
while read -r p e; do
  [ -n "$p" ] && alive "$p" && [ "$(stat -L -c %d:%i /proc/$p/exe 2>/dev/null)" = "$e" ] && left+=" $p ($(ps -o cmd= -p "$p"))"
done <<<"$pidlines"
if [ -z "$left" ]; then ok "down: no recorded daemon is alive"; else bad "down: still alive:$left"; fi
expect_no "down: lab user admin removed" getent passwd admin
expect_no "down: lab group admin removed" getent group admin
expect_no "down: no process of user admin" pgrep -u admin
expect_no "down: state dir removed" test -e "$STATE"
expect_no "down: nothing listens on $NET.*" bash -c "ss -ltunH | grep -F ' $NET.'"
expect_ok "down is idempotent" "$lab" down --state "$STATE"
expect_out "status after down says not up" "not up" "$lab" status --state "$STATE"

echo "# $(( $(date +%s) - t0 )) s"
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
