#!/usr/bin/env bash
# Real clients against `mamori-lab run clients.yaml` (127.66.200.x, loopback only):
# curl (HTTP basic/digest/form, HTTPS, FTP, RTSP OPTIONS), openssl s_client/x509, nmap -sV and
# rtsp-url-brute, python3 telnetlib, mosquitto_sub (3.1.1, 5, TLS), snmpget, coap-client,
# python3 one-datagram clients for ECHONET Lite, SSDP and WS-Discovery.
# Usage: clients_test.sh MAMORI_LAB TESTDIR
set -uo pipefail
LAB=$1
DIR=$2
WORK=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0
pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1"; FAILS=$((FAILS + 1)); }
check() {  # check NAME COMMAND...: passes when the command succeeds
  local name=$1; shift
  if "$@" >"$WORK/last" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/       /' "$WORK/last" | head -20; fi
}
has() { grep -q -- "$1" "$2"; }

"$LAB" run "$DIR/clients.yaml" --ready-file "$WORK/ready" >"$WORK/stdout" 2>"$WORK/stderr" &
PID=$!
for _ in $(seq 1 600); do [ -s "$WORK/ready" ] && break; kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if ! [ -s "$WORK/ready" ]; then echo "lab did not become ready"; cat "$WORK/stderr"; exit 1; fi
check "ready line" grep -q '^{"ready":true,"devices":6,"services":21}$' "$WORK/stdout"

C=127.66.200.1 H=127.66.200.2 R=127.66.200.3 N=127.66.200.4 M=127.66.200.5 G=127.66.200.6

# --- HTTP ------------------------------------------------------------------------------------
curl -s -i "http://$C/" >"$WORK/h1"
check "http basic: 401 + challenge without credentials" \
  bash -c "head -1 $WORK/h1 | grep -q ' 401 ' && grep -qi '^WWW-Authenticate: Basic realm=\"DS-2CD2032-I\"' $WORK/h1"
curl -s -i -u admin:12345 "http://$C/" >"$WORK/h2"
check "http basic: 200, title, Server header with the right pair" \
  bash -c "head -1 $WORK/h2 | grep -q ' 200 ' && grep -q '<title>Hikvision DS-2CD2032-I</title>' $WORK/h2 && grep -q '^Server: App-webs/' $WORK/h2"
check "http basic: wrong password is 401" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -u admin:admin http://$C/) = 401 ]"
check "http digest: 200 with the right pair" \
  bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' --digest -u admin:Xk9-long-unique http://$H/) = 200 ]"
check "http digest: 401 with a wrong pair" \
  bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' --digest -u admin:admin http://$H/) = 401 ]"
check "http digest: challenge is RFC 7616 MD5 qop=auth" \
  bash -c "curl -s -i http://$H/ | grep -i '^WWW-Authenticate: Digest' | grep -q 'qop=\"auth\".*algorithm=MD5'"
check "http form: wrong password gives no session" \
  bash -c "curl -s -i -d username=admin -d password=nope http://$R/login | grep -q 'Invalid user name' && ! curl -s -i -d username=admin -d password=nope http://$R/login | grep -qi '^Set-Cookie'"
check "http form: login, cookie, admin page" \
  bash -c "curl -s -c $WORK/jar -b $WORK/jar -L -d username=admin -d password=password http://$R/login | grep -q 'NETGEAR Router R7000' && grep -q SESSIONID $WORK/jar && curl -s -b $WORK/jar http://$R/ | grep -q 'Firmware Version'"
check "http form: no cookie redirects to /login" \
  bash -c "curl -s -i http://$R/ | grep -q '^Location: /login'"

# --- HTTPS -----------------------------------------------------------------------------------
check "https: curl -k with basic auth" bash -c "[ \$(curl -sk -o /dev/null -w '%{http_code}' -u admin:password https://$R/) = 200 ]"
check "https: curl without -k refuses the self-signed certificate" bash -c "! curl -s -o /dev/null https://$R/"
cert() { echo | openssl s_client -connect "$1:443" -servername x 2>/dev/null | openssl x509 "${@:2}"; }
check "https: 1024-bit key" bash -c "echo | openssl s_client -connect $R:443 2>/dev/null | openssl x509 -noout -text | grep -q 'Public-Key: (1024 bit)'"
check "https: self-signed (issuer = subject)" \
  bash -c "c=\$(echo | openssl s_client -connect $R:443 2>/dev/null | openssl x509 -noout -subject -issuer | sed 's/^[a-z]*=//' | uniq | wc -l); [ \$c = 1 ]"
check "https: expired certificate" bash -c "echo | openssl s_client -connect $N:443 2>/dev/null | openssl x509 -noout -checkend 0; [ \$? = 1 ]"
check "https: CA-signed certificate is not self-signed" \
  bash -c "echo | openssl s_client -connect $N:443 2>/dev/null | openssl x509 -noout -issuer | grep -q 'Mamori Lab CA'"
k1=$(cert "$R" -noout -pubkey | sha256sum); k2=$(cert "$N" -noout -pubkey | sha256sum)
check "https: two devices share one key (shared_key)" test "$k1" = "$k2" -a -n "$k1"

# --- Telnet ----------------------------------------------------------------------------------
cat >"$WORK/telnet.py" <<'EOF'
import sys, telnetlib
host, user, pw, expect_ok = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "ok"
t = telnetlib.Telnet(host, 23, timeout=5)
if user != "-":
    t.read_until(b"login: ", 5); t.write(user.encode() + b"\r\n")
    t.read_until(b"Password: ", 5); t.write(pw.encode() + b"\r\n")
idx, _, text = t.expect([b"# ", b"\\$ ", b"Login incorrect"], 5)
if not expect_ok:
    assert idx == 2, text
    # busybox re-prompts, and closes after 3 failures
    for i in range(2):
        t.read_until(b"login: ", 5); t.write(b"x\r\n"); t.read_until(b"Password: ", 5); t.write(b"y\r\n")
    rest = t.read_all()
    assert rest.count(b"Login incorrect") >= 1, rest
    sys.exit(0)
assert idx in (0, 1), text
t.write(b"echo mamori-ok-42\r\n")
out = t.read_until(b"\nmamori-ok-42\r\n", 5)
t.write(b"exit\r\n")
assert out.endswith(b"\nmamori-ok-42\r\n"), out
EOF
check "telnet (telnetlib): root/xc3511 logs in, echo answered" python3 -W ignore "$WORK/telnet.py" "$C" root xc3511 ok
check "telnet: wrong password, Login incorrect, 3 tries then close" python3 -W ignore "$WORK/telnet.py" "$C" root nope fail
check "telnet: auth none drops into a shell" python3 -W ignore "$WORK/telnet.py" "$H" - - ok

# --- nmap -sV (connect scan on loopback) ------------------------------------------------------
nmap -sV -Pn -n -p 21,22,23,80,554 "$C" "$R" >"$WORK/nmap" 2>&1
for svc in "23/tcp +open +telnet" "80/tcp +open +http" "554/tcp +open +rtsp" "22/tcp +open +ssh +Dropbear" "21/tcp +open +ftp"; do
  check "nmap -sV: $svc" grep -Eq "$svc" "$WORK/nmap"
done
printf '/nothing\n/Streaming/Channels/101\n' >"$WORK/urls"
nmap -Pn -n -p 554 --script rtsp-url-brute --script-args "rtsp-url-brute.urlfile=$WORK/urls" "$C" "$H" >"$WORK/nmap-rtsp" 2>&1
check "nmap rtsp-url-brute: DESCRIBE finds the open stream (200)" grep -q "rtsp://$C/Streaming/Channels/101" "$WORK/nmap-rtsp"

# --- RTSP ------------------------------------------------------------------------------------
check "rtsp: curl OPTIONS" bash -c "curl -s -i rtsp://$C/ | grep -q '^Public: OPTIONS, DESCRIBE'"
cat >"$WORK/rtsp.py" <<'EOF'
import socket, sys
host, path, auth, want = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.create_connection((host, 554), timeout=5)
req = f"DESCRIBE rtsp://{host}{path} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n"
if auth != "-":
    import base64; req += "Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"
s.sendall((req + "\r\n").encode())
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(4096)
head, _, body = data.partition(b"\r\n\r\n")
status = head.split(b" ")[1].decode()
assert status == want, head
if want == "200":
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(body) < n: body += s.recv(4096)
    assert b"m=video" in body and b"a=rtpmap:96 H264/90000" in body, body
EOF
check "rtsp: DESCRIBE open stream gives SDP with media lines" python3 "$WORK/rtsp.py" "$C" /h264/ch1/main/av_stream - 200
check "rtsp: unknown path is 404" python3 "$WORK/rtsp.py" "$C" /nope - 404
check "rtsp: digest camera without auth is 401 (any path)" python3 "$WORK/rtsp.py" "$H" /nope - 401
check "rtsp: digest camera, known path without auth is 401" python3 "$WORK/rtsp.py" "$H" /cam/realmonitor - 401

# --- FTP -------------------------------------------------------------------------------------
check "ftp: curl anonymous passive LIST" bash -c "curl -s ftp://$R/ | grep -q ' pub$'"
check "ftp: curl with user/password" bash -c "curl -s -u admin:admin ftp://$N/ | grep -q ' config$'"
check "ftp: anonymous refused (530)" bash -c "curl -s ftp://$N/; [ \$? = 67 ]"
check "ftp: greeting banner" bash -c "curl -sv ftp://$R/ 2>&1 | grep -q '< 220 (vsFTPd 3.0.3)'"

# --- MQTT ------------------------------------------------------------------------------------
check "mqtt: anonymous subscribe gets the retained topic" \
  bash -c "[ \"\$(timeout 5 mosquitto_sub -h $R -t 'home/#' -C 1 -v)\" = 'home/router/status online' ]"
check "mqtt 3.1.1: anonymous refused -> not authorised (rc 5)" \
  bash -c "timeout 5 mosquitto_sub -h $N -t '#' -C 1 2>&1 | grep -q 'not authorised'"
check "mqtt 3.1.1: bad password -> bad user name or password (rc 4)" \
  bash -c "timeout 5 mosquitto_sub -h $N -u sensor -P nope -t '#' -C 1 2>&1 | grep -qi 'bad user name or password'"
check "mqtt 5: bad password -> reason 0x86" \
  bash -c "timeout 5 mosquitto_sub -V mqttv5 -h $N -u sensor -P nope -t '#' -C 1 2>&1 | grep -qi 'bad user name or password'"
check "mqtt 5: good credentials, retained publish" \
  bash -c "[ \"\$(timeout 5 mosquitto_sub -V mqttv5 -h $N -u sensor -P S3nsor-Pass -t 'nas/+' -C 1 -v)\" = 'nas/temp 41' ]"
echo | openssl s_client -connect "$N:8883" 2>/dev/null | openssl x509 >"$WORK/mqtt-cert.pem"
check "mqtts: TLS broker with credentials" \
  bash -c "timeout 5 mosquitto_sub -h $N -p 8883 --cafile $WORK/mqtt-cert.pem --insecure -u sensor -P S3nsor-Pass -t x -W 1 2>&1; [ \$? = 27 ]"

# --- SSH banner ------------------------------------------------------------------------------
check "ssh: identification string" bash -c "exec 3<>/dev/tcp/$C/22; head -c 26 <&3 | grep -q 'SSH-2.0-dropbear_2019.78'"

# --- UDP -------------------------------------------------------------------------------------
check "snmpget -v2c -c public: sysDescr/sysObjectID/sysName" \
  bash -c "snmpget -v2c -c public -t 2 -r 0 $G 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.2.0 1.3.6.1.2.1.1.5.0 | grep -c -E 'STRING|OID' | grep -q 3"
check "snmpget -v1: wrong community gets no answer" bash -c "! snmpget -v1 -c nope -t 1 -r 0 $G 1.3.6.1.2.1.1.1.0"
check "coap-client: /.well-known/core lists resources" \
  bash -c "coap-client-notls -B 3 -m get coap://$M/.well-known/core | grep -q '</meter/power>'"
cat >"$WORK/udp.py" <<'EOF'
import socket, sys, re, urllib.request
kind, host = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
if kind == "echonet":
    # Get 0x8A (manufacturer) and 0xD6 (instance list) from the node profile 0x0EF001
    s.sendto(bytes.fromhex("1081 0001 05ff01 0ef001 62 02 8a00 d600"), (host, 3610))
    d, a = s.recvfrom(1500)
    assert a[0] == host and d[:4] == bytes.fromhex("10810001"), d.hex()
    assert d[10] == 0x72 and bytes.fromhex("8a0300000b") in d and bytes.fromhex("d60401028801") in d, d.hex()
elif kind == "ssdp":
    s.sendto(f'M-SEARCH * HTTP/1.1\r\nHOST: {host}:1900\r\nMAN: "ssdp:discover"\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nMX: 1\r\n\r\n'.encode(), (host, 1900))
    d, a = s.recvfrom(4096)
    loc = re.search(rb"(?i)^location: *(\S+)", d, re.M).group(1).decode()
    xml = urllib.request.urlopen(loc, timeout=3).read()
    assert b"InternetGatewayDevice:1" in xml and b"WANIPConnection:1" in xml, xml
    def soap(action, args=""):
        body = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
                's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
                f'<u:{action} xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">{args}</u:{action}></s:Body></s:Envelope>')
        req = urllib.request.Request(loc.replace("/rootDesc.xml", "/ctl/IPConn"), body.encode(), {
            "Content-Type": 'text/xml; charset="utf-8"',
            "SOAPAction": f'"urn:schemas-upnp-org:service:WANIPConnection:1#{action}"'})
        try:
            return urllib.request.urlopen(req, timeout=3).read()
        except urllib.error.HTTPError as e:
            return e.read()
    assert b"<NewExternalIPAddress>203.0.113.9<" in soap("GetExternalIPAddress")
    r = soap("GetGenericPortMappingEntry", "<NewPortMappingIndex>0</NewPortMappingIndex>")
    assert b"<NewExternalPort>8443<" in r and b"<NewInternalClient>127.66.200.1<" in r, r
    assert b"713" in soap("GetGenericPortMappingEntry", "<NewPortMappingIndex>1</NewPortMappingIndex>")
    assert b"401" in soap("AddPortMapping", "<NewExternalPort>1</NewExternalPort>")
elif kind == "wsd":
    probe = ('<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" '
             'xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
             'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><e:Header><w:MessageID>urn:uuid:0a6dc791-2be6-4991-9af1-454778a1917a</w:MessageID>'
             '<w:To e:mustUnderstand="true">urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>'
             '<w:Action e:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action></e:Header>'
             '<e:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></e:Body></e:Envelope>')
    s.sendto(probe.encode(), (host, 3702))
    d, a = s.recvfrom(65535)
    assert b"ProbeMatch" in d and b"0a6dc791-2be6-4991-9af1-454778a1917a" in d and b"/onvif/device_service" in d, d
EOF
check "echonet (python3 datagram): Get_Res with 0x8A and 0xD6" python3 "$WORK/udp.py" echonet "$M"
check "ssdp unicast M-SEARCH -> LOCATION -> IGD description -> SOAP (read-only)" python3 "$WORK/udp.py" ssdp "$G"
check "ws-discovery unicast Probe -> ProbeMatch with XAddrs" python3 "$WORK/udp.py" wsd "$G"

# --- Bounds ----------------------------------------------------------------------------------
cat >"$WORK/bounds.py" <<'EOF'
import socket, sys, time
host = sys.argv[1]
# An endless line without a newline is cut off, not buffered forever.
s = socket.create_connection((host, 21), timeout=5); s.recv(100)
try:
    for _ in range(400): s.sendall(b"A" * 4096)
    s.settimeout(5); closed = s.recv(100) == b""
except OSError:
    closed = True
assert closed, "FTP kept a 1.6 MB line"
# A huge HTTP header block is refused too.
s = socket.create_connection((host, 80), timeout=5)
try:
    s.sendall(b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 200)
    s.settimeout(5); data = s.recv(100)
    assert data == b"", data
except OSError:
    pass
EOF
check "bounds: overlong FTP line and too many HTTP headers close the connection" python3 "$WORK/bounds.py" "$R"
check "bounds: the lab still serves afterwards" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' http://$R/login) = 200 ]"

# --- Shutdown --------------------------------------------------------------------------------
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
check "SIGTERM: exit 0" test "$rc" = 0

echo "$FAILS failure(s)"
[ "$FAILS" = 0 ]
