// SSDP: answers a unicast M-SEARCH sent to the device address (never multicast) with a
// response whose LOCATION is the device's upnp service description.
#include <fmt/format.h>

#include "lab/service.h"
#include "proto/ssdp.h"

namespace mamori::lab {
namespace {
namespace ssdp = proto::ssdp;

std::optional<std::string> serve(std::string_view bytes, ServiceEnv& env) {
  const Device& d = env.device;
  auto req = ssdp::parse_search(bytes);
  if (!req) return std::nullopt;
  const Service* up = find_service(d, "upnp");
  if (!up) return std::nullopt;
  bool igd = d.category == "router" || !up->mappings.empty();
  std::string dev_type = igd ? "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
                         : d.category == "tv_stb" || d.category == "smart_speaker"
                             ? "urn:schemas-upnp-org:device:MediaRenderer:1"
                             : "urn:schemas-upnp-org:device:Basic:1";
  std::string uuid = "uuid:" + d.uuid;
  std::string st;
  if (req->st == "ssdp:all" || req->st == "upnp:rootdevice") st = "upnp:rootdevice";
  else if (req->st == uuid || req->st == dev_type) st = req->st;
  else if (igd && req->st == "urn:schemas-upnp-org:service:WANIPConnection:1") st = req->st;
  else return std::nullopt;
  ssdp::SearchResponse res;
  res.location = fmt::format("http://{}:{}/rootDesc.xml", ipv4_str(d.address), up->port);
  res.st = st;
  res.usn = st == uuid ? uuid : uuid + "::" + st;
  res.server = !env.service.server.empty() ? env.service.server
                                           : fmt::format("Linux/3.4, UPnP/1.0, {}/{}", d.model, d.firmware);
  auto out = ssdp::build_search_response(res);
  return out ? std::optional<std::string>(*out) : std::nullopt;
}

}  // namespace

extern const ServiceKind kSsdpKind{"ssdp", "SSDP unicast M-SEARCH responder (LOCATION -> upnp service)",
                                   Transport::udp, 1900, {"server"}, nullptr, serve, nullptr, nullptr, "ssdp"};

}  // namespace mamori::lab
