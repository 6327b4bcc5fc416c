// WS-Discovery: answers a unicast Probe (for ONVIF NetworkVideoTransmitter, tds:Device or any
// type) with a ProbeMatch naming the device's ONVIF scopes and an XAddr on its http service.
#include <fmt/format.h>

#include "lab/service.h"
#include "lab/services/http_common.h"
#include "proto/wsd.h"

namespace mamori::lab {
namespace {
namespace wsd = proto::wsd;

std::string scope_escape(std::string s) {
  for (auto& ch : s)
    if (ch == ' ') ch = '_';
  return s;
}

std::optional<std::string> serve(std::string_view bytes, ServiceEnv& env) {
  const Device& d = env.device;
  auto probe = wsd::parse_probe(bytes);
  if (!probe) return std::nullopt;
  wsd::QName nvt{std::string(wsd::kNsOnvifNetwork), "NetworkVideoTransmitter"};
  wsd::QName dev{std::string(wsd::kNsOnvifDevice), "Device"};
  bool wanted = probe->types.empty();
  for (const auto& t : probe->types) wanted = wanted || t == nvt || t == dev;
  if (!wanted) return std::nullopt;
  wsd::ProbeMatch m;
  m.address = "urn:uuid:" + d.uuid;
  m.types = {nvt, dev};
  m.scopes = {"onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/Profile/Streaming",
              "onvif://www.onvif.org/hardware/" + scope_escape(d.model), "onvif://www.onvif.org/name/" + scope_escape(d.vendor),
              "onvif://www.onvif.org/location/country/japan"};
  const Service* http = find_service(d, "http");
  m.xaddrs = {fmt::format("http://{}:{}/onvif/device_service", ipv4_str(d.address), http ? http->port : 80)};
  wsd::ProbeMatches out;
  std::string r = random_hex(16);
  out.message_id = fmt::format("urn:uuid:{}-{}-{}-{}-{}", r.substr(0, 8), r.substr(8, 4), r.substr(12, 4), r.substr(16, 4),
                               random_hex(6));
  out.relates_to = probe->message_id;
  out.matches.push_back(std::move(m));
  return wsd::build_probe_matches(out);
}

}  // namespace

extern const ServiceKind kWsdKind{"wsd", "WS-Discovery unicast ProbeMatch for ONVIF cameras", Transport::udp, 3702,
                                  {}, nullptr, serve, nullptr, nullptr, "onvif"};

}  // namespace mamori::lab
