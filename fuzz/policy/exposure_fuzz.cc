// Input: the first line is a gateway's `upnp.mappings` evidence string (as a hostile IGD could
// make the probe write it); the rest are JSON Lines records, inside scan up to a line "--",
// outside scan after it. Everything must be bounded and never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "policy/correlate.h"
#include "policy/exposure.h"

using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const mamori::CheckCatalog checks = [] {
    auto c = mamori::CheckCatalog::load(std::string(MAMORI_SOURCE_DIR) + "/data/checks");
    return c ? *c : mamori::CheckCatalog{};
  }();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  const std::string first(in.substr(0, nl));
  json gw = {{"type", "service"}, {"ip", "198.19.1.1"}, {"port", 1900}, {"proto", "udp"}, {"service", "ssdp"},
             {"evidence", {{"upnp.mappings", first}, {"upnp.external_ip", first.substr(0, 40)}}}};
  (void)mamori::policy::forwards_from_service(gw);
  (void)mamori::policy::gateway_external_address(gw);
  mamori::policy::ExposureInput x;
  x.inside.push_back(gw);
  bool outside = false;
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  while (!rest.empty()) {
    const size_t e = rest.find('\n');
    std::string_view line = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 1);
    if (line == "--") {
      outside = true;
      continue;
    }
    json r = json::parse(line, nullptr, false);
    if (r.is_discarded()) continue;
    (outside ? x.outside : x.inside).push_back(std::move(r));
  }
  auto result = mamori::policy::correlate_exposure(x, checks);
  for (const auto& d : result.devices) (void)d.dump();
  return 0;
}
