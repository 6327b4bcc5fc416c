#!/usr/bin/env bash
# TLS/SSH posture benchmark (issue 6): Mamori vs `nmap --script ssl-enum-ciphers,ssh2-enum-algos`
# and `openssl s_client` on the same loopback targets, in one run: agreement and wall time.
#
#   bench/tls-bench.sh [--mamori PATH] [--keep-work]
#
# Targets (127.74.30.0/24 only; every server is started here and stopped by its PID on exit):
#   .1:443  openssl s_server, CA-signed RSA 2048, ECDHE suites, TLS 1.2 + 1.3
#   .2:443  openssl s_server, TLS 1.0 only, static-RSA suite AES128-SHA
#   .3:443  openssl s_server, self-signed RSA 1024, every version the library allows at level 0
#   .4:22   OpenSSH sshd, Debian defaults
#   .5:22   OpenSSH sshd, legacy algorithms (group1/group14-sha1, ssh-rsa, CBC, 3DES, hmac-md5)
#   .6:21   vsftpd with ssl_enable (FTP AUTH TLS)
#   .7:8883 mosquitto with a TLS listener (MQTT over TLS)
# Compared: accepted TLS versions per target (mamori `tls` records, nmap's ssl-enum-ciphers
# tables, s_client with -tls1 .. -tls1_3 at @SECLEVEL=0, -starttls ftp on .6), and the
# deprecated SSH algorithms Mamori flags against the lists nmap's ssh2-enum-algos prints.
# Times: the whole `mamori scan` (sweep, identification, credential audit, posture), the same
# with --no-posture, nmap, the s_client runs, and the posture analysis alone
# (mamori-posture-bench, built beside mamori) one connection at a time (--parallel 1) and with
# up to 4 connections per endpoint (--parallel 4), whose results must be identical. Needs root
# (sshd, vsftpd, mosquitto).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
MAMORI=${MAMORI:-$ROOT/build/release/src/cli/mamori}
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mamori) MAMORI=$2; shift 2 ;;
    --keep-work) KEEP=1; shift ;;
    *) echo "usage: $0 [--mamori PATH] [--keep-work]" >&2; exit 2 ;;
  esac
done
MAMORI=$(realpath "$MAMORI" 2>/dev/null || echo "$MAMORI")
[ -x "$MAMORI" ] || { echo "no mamori at $MAMORI (build it or pass --mamori)" >&2; exit 2; }
POSTURE=$(dirname "$(dirname "$MAMORI")")/tls/mamori-posture-bench
[ -x "$POSTURE" ] || { echo "no mamori-posture-bench at $POSTURE (ninja mamori-posture-bench)" >&2; exit 2; }
for t in openssl nmap /usr/sbin/sshd ssh-keygen python3 /usr/sbin/vsftpd /usr/sbin/mosquitto; do
  command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }
done
NET=127.74.30
WORK=$(mktemp -d /tmp/mamori-tls-bench-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ "$KEEP" = 1 ] && echo "work dir kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
q() { "$@" >/dev/null 2>&1; }
wait_port() {
  for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('$1',$2),0.3)" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server $1:$2 did not start" >&2; exit 1
}

q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj '/CN=Bench CA' -days 7
q openssl req -new -newkey rsa:2048 -nodes -keyout good.key -out good.csr -subj '/CN=good.bench'
q openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 -out good.pem
q openssl req -x509 -newkey rsa:1024 -nodes -keyout weak.key -out weak.pem -subj '/CN=weak.bench' -days 7
serve() {  # ip cert extra...
  local ip=$1 name=$2; shift 2
  openssl s_server -www -accept "$ip:443" -cert "$name.pem" -key "$name.key" "$@" \
    </dev/null >"s_server-$ip.log" 2>&1 &
  PIDS+=($!)
  wait_port "$ip" 443
}
serve $NET.1 good -cipher 'ECDHE+AESGCM'
serve $NET.2 good -tls1 -cipher 'AES128-SHA:@SECLEVEL=0'
serve $NET.3 weak -cipher 'ALL:@SECLEVEL=0'
mkdir -p /run/sshd
sshd_at() {  # ip extra-config
  local ip=$1 dir=$WORK/sshd-$1
  mkdir -p "$dir"
  q ssh-keygen -q -t ed25519 -N '' -f "$dir/ed25519"
  q ssh-keygen -q -t rsa -b 3072 -N '' -f "$dir/rsa"
  printf 'ListenAddress %s:22\nHostKey %s/ed25519\nHostKey %s/rsa\nPidFile %s/pid\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication no\nAllowUsers nobody-mamori-bench\n%b' \
    "$ip" "$dir" "$dir" "$dir" "$2" >"$dir/config"
  /usr/sbin/sshd -D -f "$dir/config" -E "$dir/log" &
  PIDS+=($!)
  wait_port "$ip" 22
}
sshd_at $NET.4 ''
sshd_at $NET.5 'KexAlgorithms diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,curve25519-sha256\nHostKeyAlgorithms ssh-rsa,ssh-ed25519\nCiphers aes128-cbc,3des-cbc,aes128-ctr\nMACs hmac-md5,hmac-sha1-96,hmac-sha2-256\n'

# FTP with AUTH TLS and MQTT over TLS (their daemons drop privileges: world-readable test files).
chmod 0755 "$WORK"
chmod 0644 good.key good.pem
mkdir -p "$WORK/empty"
printf 'listen=YES\nlisten_ipv6=NO\nlisten_address=%s\nlisten_port=21\nbackground=NO\nanonymous_enable=YES\nanon_root=%s/empty\nlocal_enable=NO\nwrite_enable=NO\nsecure_chroot_dir=%s/empty\npam_service_name=vsftpd\nseccomp_sandbox=NO\nxferlog_enable=NO\nssl_enable=YES\nrsa_cert_file=%s/good.pem\nrsa_private_key_file=%s/good.key\n' \
  $NET.6 "$WORK" "$WORK" "$WORK" "$WORK" >vsftpd.conf
/usr/sbin/vsftpd "$WORK/vsftpd.conf" >vsftpd.log 2>&1 &
PIDS+=($!)
wait_port $NET.6 21
printf 'persistence false\nlog_dest stderr\nlistener 8883 %s\ncertfile %s/good.pem\nkeyfile %s/good.key\nallow_anonymous true\n' \
  $NET.7 "$WORK" "$WORK" >mosquitto.conf
/usr/sbin/mosquitto -c "$WORK/mosquitto.conf" >mosquitto.log 2>&1 &
PIDS+=($!)
wait_port $NET.7 8883

PORTS=21,22,443,8883
now() { date +%s.%N; }
t0=$(now)
"$MAMORI" scan $NET.1-7 -p $PORTS --format jsonl -o mamori.jsonl --no-progress --no-db >/dev/null 2>mamori.err || true
t1=$(now)
nmap -sT -n -Pn -p $PORTS --script ssl-enum-ciphers,ssh2-enum-algos -oX nmap.xml $NET.1-7 >/dev/null 2>nmap.err || true
t2=$(now)
: >sclient.txt
for target in $NET.1:443 $NET.2:443 $NET.3:443 $NET.6:21 $NET.7:8883; do
  extra=()
  [ "${target##*:}" = 21 ] && extra=(-starttls ftp)
  for v in tls1 tls1_1 tls1_2 tls1_3; do
    c=(-cipher 'ALL:@SECLEVEL=0')
    [ $v = tls1_3 ] && c=()
    out=$(timeout 10 openssl s_client -connect "$target" "${extra[@]}" -$v "${c[@]}" </dev/null 2>&1 || true)
    printf "%s\n" "$out" >"s_client-$target-$v.txt"
    # "New, TLSv1.3, Cipher is ..." (the SSL-Session block with "Protocol :" may not come when
    # the server's TLS 1.3 session ticket arrives after s_client has read EOF on stdin).
    if grep -Eq '^New, (TLSv1(\.[0-3])?|SSLv3), Cipher is ' <<<"$out" && ! grep -q 'Cipher is (NONE)' <<<"$out"; then
      echo "${target%:*} $v accepted" >>sclient.txt
    else
      echo "${target%:*} $v rejected" >>sclient.txt
    fi
  done
done
t3=$(now)
"$MAMORI" scan $NET.1-7 -p $PORTS --format jsonl -o mamori-noposture.jsonl --no-progress --no-db --no-posture \
  >/dev/null 2>>mamori.err || true
t4=$(now)
ENDPOINTS="tls://$NET.1:443 tls://$NET.2:443 tls://$NET.3:443 ssh://$NET.4:22 ssh://$NET.5:22 ftp://$NET.6:21 tls://$NET.7:8883"
for p in 1 4; do
  "$POSTURE" --parallel $p --repeat 3 $ENDPOINTS >posture-p$p.jsonl 2>>posture.err || true
done
python3 - "$t0" "$t1" "$t2" "$t3" "$t4" <<'PY'
import json, statistics, sys, xml.etree.ElementTree as ET
t0, t1, t2, t3, t4 = map(float, sys.argv[1:6])
NAMES = {"tls1": "TLSv1.0", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}
recs = [json.loads(l) for l in open("mamori.jsonl") if l.strip()]
m_tls = {r["ip"]: set(r["versions"]) for r in recs if r["type"] == "tls"}
m_weak = {}
for r in recs:
    if r["type"] == "finding" and r["check_id"] == "ssh-weak-algorithms":
        m_weak[r["ip"]] = {a["name"] for a in r["evidence"]["algorithms"]}
n_tls, n_ssh = {}, {}
for host in ET.parse("nmap.xml").getroot().iter("host"):
    ip = host.find("address").get("addr")
    for port in host.iter("port"):
        for script in port.iter("script"):
            if script.get("id") == "ssl-enum-ciphers":
                n_tls[ip] = {t.get("key") for t in script.findall("table")}
            if script.get("id") == "ssh2-enum-algos":
                algs = set()
                for t in script.findall("table"):
                    algs |= {e.text for e in t.findall("elem")}
                n_ssh[ip] = algs
s_tls = {}
for line in open("sclient.txt"):
    ip, v, st = line.split()
    s_tls.setdefault(ip, set())
    if st == "accepted":
        s_tls[ip].add(NAMES[v])
print(f"{'target':<14} {'mamori':<34} {'nmap ssl-enum-ciphers':<34} {'s_client':<34} agree")
agree_all = True
for ip in sorted(set(m_tls) | set(n_tls) | set(s_tls)):
    m, n, s = (sorted(x.get(ip, set()) - {"SSLv3"}) for x in (m_tls, n_tls, s_tls))
    ok = m == n == s
    agree_all &= ok
    print(f"{ip:<14} {','.join(m) or '-':<34} {','.join(n) or '-':<34} {','.join(s) or '-':<34} {ok}")
for ip in sorted(set(n_ssh) | set(m_weak)):
    flagged = m_weak.get(ip, set())
    missing_in_nmap = flagged - n_ssh.get(ip, set())
    agree_all &= not missing_in_nmap
    print(f"{ip:<14} ssh: mamori flags {len(flagged)} deprecated of the {len(n_ssh.get(ip, set()))} algorithms nmap lists"
          f" ({', '.join(sorted(flagged)) or 'none'}); flagged but not offered per nmap: {sorted(missing_in_nmap) or 'none'}")
print(f"wall time: mamori scan (sweep+identify+credential audit+posture) {t1 - t0:.1f} s, "
      f"the same with --no-posture {t4 - t3:.1f} s, nmap -sT + both scripts {t2 - t1:.1f} s, "
      f"s_client x20 {t3 - t2:.1f} s")
runs = {p: [json.loads(l) for l in open(f"posture-p{p}.jsonl") if l.strip()] for p in (1, 4)}
if runs[1] and runs[4]:
    same = [r["found"] for r in runs[1]] == [r["found"] for r in runs[4]]
    agree_all &= same
    print("posture alone (mamori-posture-bench, median of 3 rounds, ms per endpoint):")
    print(f"{'endpoint':<24} {'--parallel 1':>12} {'--parallel 4':>12}")
    eps = list(dict.fromkeys(r["endpoint"] for r in runs[1]))
    tot = {p: [] for p in runs}
    for p in runs:
        for k in range(len(runs[p]) // len(eps)):
            tot[p].append(sum(r["ms"] for r in runs[p][k * len(eps):(k + 1) * len(eps)]))
    for e in eps:
        m = {p: statistics.median(r["ms"] for r in runs[p] if r["endpoint"] == e) for p in runs}
        print(f"{e:<24} {m[1]:>12.0f} {m[4]:>12.0f}")
    print(f"{'all, one after another':<24} {statistics.median(tot[1]):>12.0f} {statistics.median(tot[4]):>12.0f}")
    print("posture results identical with --parallel 1 and 4" if same else "posture results DIFFER between --parallel 1 and 4")
else:
    agree_all = False
    print("mamori-posture-bench produced nothing (see posture.err)")
print("versions and SSH algorithms agree" if agree_all else "DISAGREEMENT (see above)")
PY
