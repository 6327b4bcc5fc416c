// UPnP: description and SOAP parsers. A parsed description must build to XML that parses to
// an equal description (the lab serves what the probe parses).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/upnp.h"

namespace upnp = mamori::proto::upnp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)upnp::parse_get_external_ip_response(in);
  (void)upnp::parse_get_generic_port_mapping_entry_response(in);
  (void)upnp::parse_soap_request(in);
  auto d = upnp::parse_description(in);
  if (!d) return 0;
  (void)upnp::find_wan_connection(*d);
  for (const auto& s : upnp::all_services(*d)) (void)upnp::resolve_url(d->url_base, s.service.control_url);
  const std::string xml = upnp::build_description(*d);
  if (xml.size() > upnp::kMaxXmlBytes) return 0;  // escaping can grow a document near the cap
  auto back = upnp::parse_description(xml);
  if (!back || !(*back == *d)) __builtin_trap();
  return 0;
}
