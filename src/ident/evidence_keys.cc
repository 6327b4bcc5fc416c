#include "ident/evidence_keys.h"

#include <array>

namespace mamori::ident {
namespace {

constexpr KeyScope F = KeyScope::field;
constexpr KeyScope S = KeyScope::service;
constexpr KeyScope H = KeyScope::host;
constexpr KeyMatch A = KeyMatch::search;
constexpr KeyMatch W = KeyMatch::whole;

constexpr std::array<EvidenceKey, 48> kKeys{{
    {"port", S, W, "TCP/UDP port number in decimal, e.g. 554"},
    {"service", S, W, "service name the probes gave (lower case: http, rtsp, ssh, ...)"},
    {"proto", S, W, "tcp or udp"},
    {"tls", S, W, "true when the service spoke TLS, else false"},
    {"mac.vendor", H, A, "organisation owning the MAC prefix (IEEE registry, see Oui)"},
    {"banner", F, A, "first bytes the service sent, printable-escaped (<= 256 bytes)"},
    {"ssh.version", F, A, "SSH identification line, e.g. SSH-2.0-OpenSSH_9.2p1 Debian-2"},
    {"ftp.greeting", F, A, "FTP greeting line(s), e.g. 220 (vsFTPd 3.0.3)"},
    {"telnet.banner", F, A, "text a Telnet service sent before its login prompt"},
    {"http.status", F, W, "HTTP status code of GET /, e.g. 401"},
    {"http.server", F, A, "HTTP Server header"},
    {"http.title", F, A, "HTML <title> of the first page"},
    {"http.realm", F, A, "realm of the WWW-Authenticate challenge"},
    {"http.auth", F, W, "basic, digest, form or none"},
    {"http.location", F, A, "redirect target (Location header)"},
    {"http.favicon_md5", F, W, "lower-case hex MD5 of /favicon.ico"},
    {"rtsp.server", F, A, "RTSP Server header"},
    {"rtsp.public", F, A, "RTSP Public header (methods)"},
    {"rtsp.auth", F, A, "RTSP authentication challenge (scheme and realm)"},
    {"mqtt.connack", F, W, "MQTT 3.1.1 CONNACK return code 0..5"},
    {"snmp.sysdescr", F, A, "SNMP sysDescr.0"},
    {"snmp.sysobjectid", F, A, "SNMP sysObjectID.0 in dotted form, e.g. 1.3.6.1.4.1.8072.3.2.10"},
    {"upnp.manufacturer", F, A, "UPnP device description <manufacturer>"},
    {"upnp.model", F, A, "UPnP <modelName> (and <modelNumber> after a space when present)"},
    {"upnp.device_type", F, A, "UPnP <deviceType> URNs of the root and embedded devices, space-separated"},
    {"upnp.friendly_name", F, A, "UPnP <friendlyName>"},
    {"upnp.udn", F, A, "UPnP <UDN>"},
    {"upnp.serial", F, A, "UPnP <serialNumber>"},
    {"echonet.manufacturer", F, W, "ECHONET Lite manufacturer code (EPC 0x8A), e.g. 0x00000B"},
    {"echonet.classes", F, A, "ECHONET Lite class ids of the node's instances, e.g. 0x0EF0 0x0288"},
    {"coap.resources", F, A, "CoAP /.well-known/core link-format text"},
    {"wsd.types", F, A, "WS-Discovery Types (QNames, space-separated)"},
    {"wsd.scopes", F, A, "WS-Discovery Scopes (URIs, space-separated)"},
    {"mdns.services", F, A, "DNS-SD service types seen, space-separated, e.g. _ipp._tcp _airplay._tcp"},
    {"pjl.id", F, A, "answer to @PJL INFO ID (printer model)"},
    {"rtsp.realm", F, A, "realm of the RTSP authentication challenge"},
    {"tls.subject", F, A, "subject of the TLS leaf certificate, RFC 2253, e.g. CN=DS-2CD2032-I,O=Hikvision"},
    {"telnet.negotiation", F, A, "Telnet options the service asked for, e.g. WILL ECHO, DO NAWS"},
    {"telnet.prompt", F, A, "the prompt a Telnet service ended its greeting with (login:, Password:, #)"},
    {"ftp.feat", F, A, "FTP FEAT answer (features, space-separated)"},
    {"mqtt.protocol", F, A, "MQTT protocol level the broker answered (3.1.1 or 5)"},
    {"snmp.version", F, W, "SNMP version that answered: v2c or v1"},
    {"snmp.community", F, W, "community the SNMP identification probe used (public)"},
    {"upnp.igd_control", F, A, "control URL of an Internet Gateway Device's WANIPConnection service"},
    {"upnp.igd_port", F, W, "TCP port of that control URL"},
    {"udp.request_bytes", F, W, "bytes of the UDP identification request (one datagram)"},
    {"udp.requests", F, W, "how many times the UDP request was sent (1, or 2 after a retransmission)"},
    {"udp.reply_bytes", F, W, "bytes of every UDP reply taken for the accepted answer"},
}};

}  // namespace

std::span<const EvidenceKey> evidence_keys() { return kKeys; }

std::optional<uint16_t> evidence_key_index(std::string_view name) {
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (kKeys[i].name == name) return static_cast<uint16_t>(i);
  }
  return std::nullopt;
}

}  // namespace mamori::ident
