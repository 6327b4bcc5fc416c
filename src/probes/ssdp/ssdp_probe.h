// SSDP + UPnP identification (1900/udp): a unicast M-SEARCH (ST ssdp:all, MX 1) sent to the
// device's own address (UDA 1.1 §1.3.2 unicast search; never multicast), then the device
// description fetched from LOCATION over HTTP, but only when LOCATION names the same address
// (never another host). Fields:
//   ssdp.server ssdp.st (distinct STs, comma-separated) ssdp.location   upnp.udn (from USN)
//   upnp.device_type upnp.friendly_name upnp.manufacturer upnp.model (modelName)
//   upnp.model_number upnp.serial upnp.udn (the description's, when it has one)
//   upnp.igd_service    the WANIPConnection / WANPPPConnection service type, when present
//   upnp.igd_control    its control URL's path (same host only) and upnp.igd_port its port;
//   upnp.igd_control_url the control URL as resolved (for the record, even when off-host)
//   upnp.fetch          "ok", "offhost" (LOCATION elsewhere: not fetched), "http <status>",
//                       "failed" (no HTTP answer), "bad_description"
// Service "ssdp" (the UDP endpoint).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "probes/probe.h"

namespace mamori::probes {

const UdpProbe& ssdp_probe();

// port and path of an "http://<ip>[:port]/path" URL whose host is exactly `ip` (IPv6 in
// brackets); nullopt for any other host, scheme, user info or a bad port.
struct SameHostUrl {
  uint16_t port = 80;
  std::string path = "/";
};
std::optional<SameHostUrl> same_host_http_url(std::string_view url, Ip ip);

}  // namespace mamori::probes
