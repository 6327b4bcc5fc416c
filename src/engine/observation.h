// Observations: what the stages of a scan produce and pass on. Plain values; a closed port or
// a timeout is an observation, not an error.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/ip.h"
#include "core/port_spec.h"

namespace mamori {

enum class PortState : uint8_t { open, closed, filtered };
const char* port_state_name(PortState s);

struct PortObservation {
  Ip ip;
  uint16_t port = 0;
  Proto proto = Proto::tcp;
  PortState state = PortState::closed;
  double rtt_ms = 0;  // connect round trip (open and closed ports)
};

// Everything the sweep learned about one host. Delivered once, when the last of its ports is
// known, so the next stage can start on it while other hosts are still being swept.
struct HostObservation {
  Ip ip;
  std::vector<PortObservation> open;  // ascending port order
  uint32_t closed = 0;
  uint32_t filtered = 0;
  bool complete = true;  // false: the scan stopped before every port was probed
  bool assume_alive = false;  // probe UDP even without a TCP answer (UDP-only scans)
  std::string alive_by;       // host discovery saw it ("icmp", "arp", "ssdp"...): a device even
                              // without an open port (engine/discovery.h)
};

// What identification learned about one service. `fields` holds the raw evidence under stable,
// dotted keys that fingerprint rules match on, for example:
//   banner            first bytes the service sent, printable-escaped (<= 256 bytes)
//   ssh.version       "SSH-2.0-OpenSSH_9.2p1 Debian-2"
//   ftp.greeting      "220 (vsFTPd 3.0.3)"       telnet.banner   text before the login prompt
//   http.status       "401"   http.server  "Boa/0.94.14rc21"   http.title   "NETSurveillance WEB"
//   http.realm        "DS-2CD2032-I"   http.auth  "basic"|"digest"|"form"|"none"
//   http.location     redirect target   http.favicon_md5   hex MD5 of /favicon.ico
//   rtsp.server  rtsp.public  rtsp.auth       mqtt.connack   "0".."5" (3.1.1 return code)
//   snmp.sysdescr  snmp.sysobjectid           upnp.manufacturer  upnp.model  upnp.device_type
//   upnp.friendly_name  upnp.udn  upnp.serial echonet.manufacturer  echonet.classes
//   coap.resources    wsd.types  wsd.scopes    mdns.services   pjl.id (printer model)
//   rtsp.realm   tls.subject (leaf certificate subject)   telnet.negotiation  telnet.prompt
//   ftp.feat  mqtt.protocol  snmp.version  snmp.community  upnp.igd_control  upnp.igd_port
//   udp.request_bytes  udp.requests  udp.reply_bytes (sizes of a UDP exchange: amplification)
// Keys are persistent: rules and stores refer to them; add new ones, never change a meaning.
// (The audit stage's credential records carry their own evidence: ssh host key SHA-256 as 64
// hex digits over the key blob, its type, the offered auth methods, the RTSP path that worked.)
struct ServiceObservation {
  Ip ip;
  uint16_t port = 0;
  Proto proto = Proto::tcp;
  std::string service = "unknown";  // lower-case name per spec/results.md
  bool tls = false;
  std::string product;
  std::string version;
  std::string vendor;
  std::map<std::string, std::string> fields;
  // How the service behaved: "ok", "silent" (nothing recognisable), "garbage", "stalled",
  // "flood" (hit the byte cap), "closed" (reset before answering).
  std::string behaviour = "ok";
};

// A device: one host's services judged together.
struct DeviceObservation {
  Ip ip;
  std::string category = "unknown";  // closed set per spec/results.md
  double confidence = 0;             // 0..1
  std::string vendor;
  std::string model;
  std::string firmware;
  std::vector<std::string> evidence;  // ids of the fingerprint rules that matched
  std::string alive_by;    // how host discovery saw it, when it did
  std::string mac;         // from the neighbour table, on the local segment
  std::string mac_vendor;  // the IEEE registry's organisation for `mac`
};

// Receives a sweep's results. REQUIRES: thread-safe; it is called from every worker thread.
// It must not block for long: it runs on the event loops.
class ScanObserver {
 public:
  virtual ~ScanObserver() = default;
  // Every open port as soon as it is found (and closed/filtered ones when the sweep was asked
  // to report all states).
  virtual void on_port(const PortObservation& port) = 0;
  // Once per host when all of its ports are known, or at stop() with complete == false for
  // hosts that had open ports.
  virtual void on_host(HostObservation&& host) = 0;
};

}  // namespace mamori
