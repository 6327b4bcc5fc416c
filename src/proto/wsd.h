// WS-Discovery (2005/04, as profiled by the ONVIF Core Specification §7.3) Probe and
// ProbeMatches over SOAP 1.2 / UDP 3702, both directions:
//   client (Mamori's probes): build_probe() -> bytes,  parse_probe_matches() <- bytes
//   device (mamori-lab):      parse_probe() <- bytes,  build_probe_matches() -> bytes
// XML safety as in upnp.h: at most kMaxXmlBytes, "<!DOCTYPE"/"<!ENTITY" refused outright,
// nesting capped, elements matched by local name; list sizes capped (kMaxMatches, kMaxItems).
// Pure functions: no I/O, thread-safe, never throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace mamori::proto::wsd {

inline constexpr uint16_t kPort = 3702;
inline constexpr std::string_view kMulticastV4 = "239.255.255.250";
inline constexpr std::size_t kMaxXmlBytes = 256 * 1024;
inline constexpr std::size_t kMaxMatches = 64;
inline constexpr std::size_t kMaxItems = 256;  // Types / Scopes / XAddrs entries per match

inline constexpr std::string_view kNsDiscovery = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
inline constexpr std::string_view kNsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
inline constexpr std::string_view kNsOnvifNetwork = "http://www.onvif.org/ver10/network/wsdl";  // dn
inline constexpr std::string_view kNsOnvifDevice = "http://www.onvif.org/ver10/device/wsdl";    // tds

// A qualified name from a Types list, with its prefix resolved against the xmlns declarations
// in scope (ns is empty when the prefix is undeclared).
struct QName {
  std::string ns;
  std::string local;
  friend bool operator==(const QName&, const QName&) = default;
};
inline QName network_video_transmitter() { return {std::string(kNsOnvifNetwork), "NetworkVideoTransmitter"}; }
inline QName onvif_device() { return {std::string(kNsOnvifDevice), "Device"}; }

struct Probe {
  std::string message_id;      // wsa:MessageID, "urn:uuid:..."
  std::vector<QName> types;    // empty = any type
  std::vector<std::string> scopes;
};

// A Probe envelope for `types` (default: dn:NetworkVideoTransmitter) with wsa:MessageID
// `message_id` (the caller supplies a fresh "urn:uuid:..."). Types in the ONVIF device (tds)
// or network (dn) namespaces get those prefixes; others get declared prefixes t0, t1, ...
std::string build_probe(std::string_view message_id,
                        const std::vector<QName>& types = {network_video_transmitter()});
// Requires an Envelope whose Body holds a Probe; MessageID may be missing (then empty).
Expected<Probe> parse_probe(std::string_view xml);

struct ProbeMatch {
  std::string address;              // EndpointReference/Address, "urn:uuid:..."
  std::vector<QName> types;
  std::vector<std::string> scopes;  // space-separated in XML
  std::vector<std::string> xaddrs;  // "http://192.0.2.10/onvif/device_service"
  uint32_t metadata_version = 1;
};
struct ProbeMatches {
  std::string message_id;
  std::string relates_to;  // the Probe's MessageID
  std::vector<ProbeMatch> matches;
};

// REQUIRES matches.size() <= kMaxMatches.
std::string build_probe_matches(const ProbeMatches& matches);
Expected<ProbeMatches> parse_probe_matches(std::string_view xml);

// ONVIF scopes (Core Specification §7.3.2.2): "onvif://www.onvif.org/<category>/<value>" with
// percent-encoded values. Repeated categories keep every value in order.
struct OnvifScopes {
  std::vector<std::string> hardware;  // /hardware/XYZ
  std::vector<std::string> name;      // /name/ABC
  std::vector<std::string> location;  // /location/country/japan -> "country/japan"
  std::vector<std::string> type;      // /type/video_encoder, /type/Network_Video_Transmitter
  std::vector<std::string> profile;   // /Profile/Streaming, /Profile/T
  std::vector<std::string> other;     // any other scope URI, verbatim
};
OnvifScopes parse_onvif_scopes(const std::vector<std::string>& scopes);

}  // namespace mamori::proto::wsd
