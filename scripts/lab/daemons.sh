#!/usr/bin/env bash
# Real third-party daemons configured as weak or hardened IoT-like devices, each on its own
# loopback address (default 127.65.0.0/24), standard ports, specific-address binds only.
#
# Usage: scripts/lab/daemons.sh up|down|status [--state DIR] [--net A.B.C]
#   --state DIR   state dir (default $MAMORI_LAB_STATE or /tmp/mamori-lab-daemons): configs,
#                 logs, pid files, manifest.jsonl, the list of things created (users, dirs)
#   --net A.B.C   first three octets of the loopback /24 (default $MAMORI_LAB_NET or 127.65.0);
#                 must be inside 127.0.0.0/8
#
# `up` is idempotent (says "already up"), `down` stops exactly the PIDs it recorded (and the
# sessions they forked), deletes the lab user it created and the state dir. Nothing is
# installed as a system service and no file under /etc is edited except through
# useradd/chpasswd/userdel for the lab user `admin` (removed at `down`).
# See docs/daemons.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
LAB_TAG=daemons
# shellcheck source=lib.sh
. "$here/lib.sh"

STATE=${MAMORI_LAB_STATE:-/tmp/mamori-lab-daemons}
NET=${MAMORI_LAB_NET:-127.65.0}
LAB_USER=admin
LAB_PASS=admin

cmd=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case $1 in
    --state) STATE=$2; shift 2 ;;
    --state=*) STATE=${1#*=}; shift ;;
    --net) NET=$2; shift 2 ;;
    --net=*) NET=${1#*=}; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) lab_die "unknown argument: $1" ;;
  esac
done
[[ $NET =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || lab_die "--net must look like 127.X.Y (loopback only), got '$NET'"
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac

MANIFEST=$STATE/manifest.jsonl
PIDS=$STATE/pids
CREATED=$STATE/created

# ---------------------------------------------------------------------------------------------
# helpers

# start_daemon NAME EXE_PATH PROTO IP PORT CMD...: starts CMD in the background (it must
# stay in the foreground), records "PID EXE" in pids/NAME.pid, waits until IP:PORT listens.
start_daemon() {
  local name=$1 exe=$2 proto=$3 ip=$4 port=$5; shift 5
  local log=$STATE/$name/daemon.log
  if lab_port_busy "$proto" "$ip" "$port"; then
    lab_die "$name: $proto $ip:$port is already in use"
  fi
  "$@" >>"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $exe" > "$PIDS/$name.pid"
  if ! lab_wait_exec "$pid" "$exe"; then
    echo "---- $log" >&2; tail -n 20 "$log" >&2 || true
    lab_die "$name: $exe did not start"
  fi
  if ! lab_wait_listen "$proto" "$ip" "$port" "" 8; then
    echo "---- $log" >&2; tail -n 20 "$log" >&2 || true
    lab_die "$name: $exe did not listen on $proto $ip:$port"
  fi
  if ! lab_pid_alive "$pid" "$exe"; then
    echo "---- $log" >&2; tail -n 20 "$log" >&2 || true
    lab_die "$name: $exe (pid $pid) exited"
  fi
  lab_log "started $name (${exe##*/} pid $pid) on $proto $ip:$port"
}

# record NAME IP PORT PROTO SERVICE POSTURE DAEMON CREDS_JSON EXPECT_JSON EXPECT_ABSENT_JSON NOTE
record() {
  local name=$1 ip=$2 port=$3 proto=$4 service=$5 posture=$6 daemon=$7 creds=$8 expect=$9
  local absent=${10} note=${11}
  local pid; read -r pid _ < "$PIDS/$name.pid"
  printf '{"name":"%s","ip":"%s","port":%s,"proto":"%s","service":"%s","posture":"%s","daemon":"%s","pid":%s,"credentials":%s,"expect":%s,"expect_absent":%s,"config":"%s","note":"%s"}\n' \
    "$name" "$ip" "$port" "$proto" "$service" "$posture" "$daemon" "$pid" "$creds" "$expect" "$absent" \
    "$STATE/$name" "$note" >> "$MANIFEST"
}

user_marker() { echo "mamori-lab $STATE"; }

create_user() {
  if getent passwd "$LAB_USER" >/dev/null; then
    if [ "$(getent passwd "$LAB_USER" | cut -d: -f5)" = "$(user_marker)" ]; then
      lab_log "user $LAB_USER already created by this lab (left over), reusing it"
    else
      lab_die "user '$LAB_USER' already exists and was not created by this lab state ($STATE); refusing to touch it"
    fi
  else
    getent group "$LAB_USER" >/dev/null && lab_die "group '$LAB_USER' already exists; refusing to create user '$LAB_USER'"
    echo "user $LAB_USER" >> "$CREATED"
    mkdir -p "$STATE/home"
    useradd --system --shell /bin/sh --home-dir "$STATE/home/$LAB_USER" --create-home \
            --comment "$(user_marker)" "$LAB_USER"
  fi
  grep -qx "user $LAB_USER" "$CREATED" 2>/dev/null || echo "user $LAB_USER" >> "$CREATED"
  # SHA512, not Debian 12's default yescrypt: busybox login cannot check yescrypt hashes.
  echo "$LAB_USER:$LAB_PASS" | chpasswd -c SHA512
}

randpw() { openssl rand -hex 12; }

# ---------------------------------------------------------------------------------------------
# the devices

up_ssh() {
  local name=$1 ip=$2 posture=$3 d=$STATE/$1
  mkdir -p "$d/authorized_keys"
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$d/ssh_host_ed25519_key"
  ssh-keygen -q -t ecdsa -N '' -C "$name" -f "$d/ssh_host_ecdsa_key"
  if [ ! -d /run/sshd ]; then mkdir -m 0755 /run/sshd; echo "dir /run/sshd" >> "$CREATED"; fi
  local auth
  if [ "$posture" = weak ]; then
    auth="PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes"
  else
    ssh-keygen -q -t ed25519 -N '' -C "mamori-lab client" -f "$d/client_ed25519"
    cp "$d/client_ed25519.pub" "$d/authorized_keys/$LAB_USER"
    chmod 0644 "$d/authorized_keys/$LAB_USER"
    auth="PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthenticationMethods publickey
MaxAuthTries 3"
  fi
  cat > "$d/sshd_config" <<EOF
# mamori-lab $name ($posture), generated by scripts/lab/daemons.sh
ListenAddress $ip:22
HostKey $d/ssh_host_ed25519_key
HostKey $d/ssh_host_ecdsa_key
PidFile $d/sshd.pid
UsePAM yes
$auth
PermitRootLogin no
AllowUsers $LAB_USER
AuthorizedKeysFile $d/authorized_keys/%u
# the state dir lives under /tmp (mode 1777), which StrictModes would reject
StrictModes no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
EOF
  /usr/sbin/sshd -t -f "$d/sshd_config"
  start_daemon "$name" /usr/sbin/sshd tcp "$ip" 22 /usr/sbin/sshd -D -e -f "$d/sshd_config"
  if [ "$posture" = weak ]; then
    record "$name" "$ip" 22 tcp ssh weak openssh \
      "[{\"user\":\"$LAB_USER\",\"password\":\"$LAB_PASS\"}]" \
      "$(lab_jarr default-credential)" "$(lab_jarr)" "password login for admin/admin"
  else
    record "$name" "$ip" 22 tcp ssh hardened openssh \
      "[{\"user\":\"$LAB_USER\",\"key_file\":\"$d/client_ed25519\"}]" \
      "$(lab_jarr)" "$(lab_jarr default-credential)" "public key only; admin/admin is refused"
  fi
}

# dropbear (the SSH server of most camera/DVR/router firmware) with password login for admin.
up_dropbear() {
  local name=$1 ip=$2 d=$STATE/$1
  mkdir -p "$d"
  dropbearkey -t ed25519 -f "$d/dropbear_ed25519_host_key" >/dev/null 2>&1
  dropbearkey -t ecdsa -f "$d/dropbear_ecdsa_host_key" >/dev/null 2>&1
  # -F foreground, -E log to stderr, -s would disable passwords: not here (weak device)
  start_daemon "$name" /usr/sbin/dropbear tcp "$ip" 22 \
    /usr/sbin/dropbear -F -E -p "$ip:22" -r "$d/dropbear_ed25519_host_key" \
      -r "$d/dropbear_ecdsa_host_key" -P "$d/dropbear.pid"
  record "$name" "$ip" 22 tcp ssh weak dropbear \
    "[{\"user\":\"$LAB_USER\",\"password\":\"$LAB_PASS\"}]" \
    "$(lab_jarr default-credential)" "$(lab_jarr)" "dropbear 2022 password login for admin/admin"
}

up_telnet() {
  local name=$1 ip=$2 d=$STATE/$1 bb
  bb=$(lab_busybox)
  mkdir -p "$d/bin"
  cp "$bb" "$d/bin/busybox"
  ln -sf busybox "$d/bin/login"
  printf 'mamori-lab IP camera (busybox telnetd)\n' > "$d/issue"
  start_daemon "$name" "$d/bin/busybox" tcp "$ip" 23 \
    "$d/bin/busybox" telnetd -F -b "$ip:23" -l "$d/bin/login" -f "$d/issue"
  record "$name" "$ip" 23 tcp telnet weak busybox-telnetd \
    "[{\"user\":\"$LAB_USER\",\"password\":\"$LAB_PASS\"}]" \
    "$(lab_jarr telnet-enabled default-credential cleartext-admin)" "$(lab_jarr)" \
    "busybox telnetd + busybox login; 3 s delay after a wrong password"
}

up_ftp() {
  local name=$1 ip=$2 posture=$3 d=$STATE/$1
  mkdir -p "$d/root/pub" "$d/empty"
  chmod 0755 "$d/root" "$d/root/pub" "$d/empty"
  echo "mamori-lab $name firmware notes" > "$d/root/pub/README.txt"
  local auth
  if [ "$posture" = weak ]; then
    auth="anonymous_enable=YES
no_anon_password=YES
anon_root=$d/root
local_enable=NO"
  else
    : > "$d/user_list"
    auth="anonymous_enable=NO
local_enable=YES
# only users listed in user_list may log in, and it is empty: every login is refused
userlist_enable=YES
userlist_deny=NO
userlist_file=$d/user_list"
  fi
  cat > "$d/vsftpd.conf" <<EOF
# mamori-lab $name ($posture), generated by scripts/lab/daemons.sh
listen=YES
listen_ipv6=NO
listen_address=$ip
listen_port=21
background=NO
$auth
write_enable=NO
secure_chroot_dir=$d/empty
pam_service_name=vsftpd
seccomp_sandbox=NO
xferlog_enable=NO
ftpd_banner=mamori-lab $name FTP service
EOF
  start_daemon "$name" /usr/sbin/vsftpd tcp "$ip" 21 /usr/sbin/vsftpd "$d/vsftpd.conf"
  if [ "$posture" = weak ]; then
    record "$name" "$ip" 21 tcp ftp weak vsftpd "[{\"user\":\"anonymous\",\"password\":\"\"}]" \
      "$(lab_jarr ftp-anonymous)" "$(lab_jarr)" "anonymous read-only login"
  else
    record "$name" "$ip" 21 tcp ftp hardened vsftpd "[]" \
      "$(lab_jarr)" "$(lab_jarr ftp-anonymous default-credential)" "no anonymous; no user may log in"
  fi
}

up_mqtt() {
  local name=$1 ip=$2 posture=$3 d=$STATE/$1
  mkdir -p "$d"
  local auth creds pw=""
  if [ "$posture" = weak ]; then
    auth="allow_anonymous true"
    creds="[{\"user\":\"\",\"password\":\"\"}]"
  else
    pw=$(randpw)
    mosquitto_passwd -c -b "$d/passwd" lab "$pw" >/dev/null
    chown mosquitto:mosquitto "$d/passwd" 2>/dev/null || true
    chmod 0600 "$d/passwd"
    auth="allow_anonymous false
password_file $d/passwd"
    creds="[{\"user\":\"lab\",\"password\":\"$pw\"}]"
  fi
  cat > "$d/mosquitto.conf" <<EOF
# mamori-lab $name ($posture), generated by scripts/lab/daemons.sh
persistence false
log_dest stderr
listener 1883 $ip
$auth
EOF
  start_daemon "$name" /usr/sbin/mosquitto tcp "$ip" 1883 /usr/sbin/mosquitto -c "$d/mosquitto.conf"
  if [ "$posture" = weak ]; then
    record "$name" "$ip" 1883 tcp mqtt weak mosquitto "$creds" \
      "$(lab_jarr mqtt-anonymous)" "$(lab_jarr)" "anonymous CONNECT accepted"
  else
    record "$name" "$ip" 1883 tcp mqtt hardened mosquitto "$creds" \
      "$(lab_jarr)" "$(lab_jarr mqtt-anonymous)" "password file, random password"
  fi
}

up_snmp() {
  local name=$1 ip=$2 posture=$3 d=$STATE/$1
  mkdir -p "$d/persist"
  local access creds
  if [ "$posture" = weak ]; then
    access="rocommunity public default"
    creds="[{\"community\":\"public\"}]"
  else
    local apw ppw; apw=$(randpw); ppw=$(randpw)
    access="createUser labv3 SHA \"$apw\" AES \"$ppw\"
rouser labv3 priv"
    creds="[{\"version\":\"3\",\"user\":\"labv3\",\"auth\":\"SHA\",\"auth_password\":\"$apw\",\"priv\":\"AES\",\"priv_password\":\"$ppw\"}]"
  fi
  cat > "$d/snmpd.conf" <<EOF
# mamori-lab $name ($posture), generated by scripts/lab/daemons.sh
agentAddress udp:$ip:161
$access
sysName mamori-lab-$name
sysLocation mamori lab
sysContact lab@example.invalid
sysDescr Linux mamori-lab-$name 4.9.37 armv7l
sysServices 72
EOF
  chmod 0600 "$d/snmpd.conf"
  SNMP_PERSISTENT_DIR=$d/persist start_daemon "$name" /usr/sbin/snmpd udp "$ip" 161 \
    /usr/sbin/snmpd -f -C -c "$d/snmpd.conf" -Lf "$d/snmpd.log" -p "$d/snmpd.pid" -I -smux
  # (-I -smux: the SMUX sub-agent module would listen on 0.0.0.0:199)
  if [ "$posture" = weak ]; then
    record "$name" "$ip" 161 udp snmp weak net-snmp "$creds" \
      "$(lab_jarr snmp-default-community)" "$(lab_jarr)" "v1/v2c community public (read-only)"
  else
    record "$name" "$ip" 161 udp snmp hardened net-snmp "$creds" \
      "$(lab_jarr)" "$(lab_jarr snmp-default-community)" "SNMPv3 authPriv only, no community"
  fi
}

up_web() {
  local name=$1 ip=$2 posture=$3 d=$STATE/$1 pw
  mkdir -p "$d/www"
  if [ "$posture" = weak ]; then pw=$LAB_PASS; else pw=$(randpw); fi
  cat > "$d/www/index.html" <<EOF
<html><head><title>Router Admin</title></head><body><h1>mamori-lab $name</h1></body></html>
EOF
  chmod -R a+rX "$d/www"
  htpasswd -b -c -m "$d/htpasswd" admin "$pw" 2>/dev/null
  chgrp www-data "$d/htpasswd"; chmod 0640 "$d/htpasswd"
  cat > "$d/lighttpd.conf" <<EOF
# mamori-lab $name ($posture), generated by scripts/lab/daemons.sh
server.bind = "$ip"
server.port = 80
server.document-root = "$d/www"
server.username = "www-data"
server.groupname = "www-data"
server.modules = ( "mod_auth", "mod_authn_file" )
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html" )
auth.backend = "htpasswd"
auth.backend.htpasswd.userfile = "$d/htpasswd"
auth.require = ( "/" => ( "method" => "basic", "realm" => "Router Admin", "require" => "valid-user" ) )
EOF
  lighttpd -tt -f "$d/lighttpd.conf" >/dev/null
  start_daemon "$name" /usr/sbin/lighttpd tcp "$ip" 80 /usr/sbin/lighttpd -D -f "$d/lighttpd.conf"
  if [ "$posture" = weak ]; then
    record "$name" "$ip" 80 tcp http weak lighttpd "[{\"user\":\"admin\",\"password\":\"$pw\"}]" \
      "$(lab_jarr default-credential cleartext-admin)" "$(lab_jarr)" "HTTP Basic admin/admin, router admin page"
  else
    record "$name" "$ip" 80 tcp http hardened lighttpd "[{\"user\":\"admin\",\"password\":\"$pw\"}]" \
      "$(lab_jarr cleartext-admin)" "$(lab_jarr default-credential)" "HTTP Basic with a random password (still cleartext HTTP)"
  fi
}

# ---------------------------------------------------------------------------------------------

all_alive() {
  local f pid exe n=0
  for f in "$PIDS"/*.pid; do
    [ -f "$f" ] || continue
    read -r pid exe < "$f"
    lab_pid_alive "$pid" "$exe" || return 1
    n=$((n + 1))
  done
  [ $n -gt 0 ]
}

do_down() {
  if [ ! -d "$STATE" ]; then lab_log "not up (no state dir $STATE)"; return 0; fi
  lab_stop_pidfiles "$PIDS"/*.pid
  if [ -f "$CREATED" ]; then
    local kind what
    while read -r kind what; do
      case $kind in
        user)
          if getent passwd "$what" >/dev/null; then
            if [ "$(getent passwd "$what" | cut -d: -f5)" = "$(user_marker)" ]; then
              userdel "$what" || lab_warn "userdel $what failed"
            else
              lab_warn "user $what no longer carries this lab's marker; left alone"
            fi
          fi ;;
        dir) rmdir "$what" 2>/dev/null || true ;;
      esac
    done < "$CREATED"
  fi
  rm -rf "$STATE"
  lab_log "down (state $STATE removed)"
}

do_up() {
  lab_need_root
  lab_need_cmds /usr/sbin/sshd ssh-keygen /usr/sbin/dropbear dropbearkey /usr/sbin/vsftpd /usr/sbin/mosquitto mosquitto_passwd \
    /usr/sbin/snmpd /usr/sbin/lighttpd htpasswd useradd userdel chpasswd openssl ss apt-get dpkg-deb
  if [ -f "$MANIFEST" ]; then
    if all_alive; then lab_log "already up ($STATE)"; return 0; fi
    lab_die "state $STATE exists but some daemons are not running; run '$0 down --state $STATE' first"
  fi
  mkdir -p "$STATE" "$PIDS"
  chmod 0755 "$STATE"
  : > "$MANIFEST.tmp"
  MANIFEST=$MANIFEST.tmp
  # roll back whatever was started if any step fails (lab_die exits, so trap EXIT)
  trap 'rc=$?; trap - EXIT; if [ $rc -ne 0 ]; then lab_warn "up failed, rolling back"; do_down >/dev/null 2>&1 || true; fi; exit $rc' EXIT
  create_user
  up_ssh    ssh-weak       "$NET.10" weak
  up_ssh    ssh-hardened   "$NET.11" hardened
  up_telnet telnet-weak    "$NET.12"
  up_dropbear ssh-dropbear "$NET.13"
  up_ftp    ftp-anon       "$NET.20" weak
  up_ftp    ftp-hardened   "$NET.21" hardened
  up_mqtt   mqtt-anon      "$NET.30" weak
  up_mqtt   mqtt-auth      "$NET.31" hardened
  up_snmp   snmp-public    "$NET.40" weak
  up_snmp   snmp-v3        "$NET.41" hardened
  up_web    web-weak       "$NET.50" weak
  up_web    web-hardened   "$NET.51" hardened
  trap - EXIT
  mv "$MANIFEST" "${MANIFEST%.tmp}"
  MANIFEST=${MANIFEST%.tmp}
  lab_log "up: $(wc -l < "$MANIFEST") devices; manifest $MANIFEST"
}

do_status() {
  if [ ! -f "$MANIFEST" ]; then lab_log "not up (no manifest in $STATE)"; return 3; fi
  cat "$MANIFEST"
  local f pid exe name dead=0
  for f in "$PIDS"/*.pid; do
    [ -f "$f" ] || continue
    read -r pid exe < "$f"; name=$(basename "$f" .pid)
    if lab_pid_alive "$pid" "$exe"; then echo "# $name pid $pid (${exe##*/}) alive"
    else echo "# $name pid $pid (${exe##*/}) DEAD"; dead=$((dead + 1)); fi
  done
  [ $dead -eq 0 ]
}

case $cmd in
  up) do_up ;;
  down) lab_need_root; do_down ;;
  status) do_status ;;
  *) echo "usage: $0 up|down|status [--state DIR] [--net 127.X.Y]" >&2; exit 2 ;;
esac
