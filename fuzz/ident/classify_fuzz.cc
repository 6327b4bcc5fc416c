// libFuzzer target for device classification (src/ident/classify.cc): every evidence value is
// what a device said, so the bytes become field values of two services of one host (an HTTP
// service and an SSDP answer whose LOCATION names a port to call `upnp`), matched against the
// real catalog in data/fingerprints. Oracle: the device's category is in the closed set (or
// unknown), its confidence in 0..1, rendered values within kMaxRenderedValue, the services keep
// their endpoints, and the only service ever added is a TCP `upnp` on a port not yet seen.
//
// Input: fields separated by '\n'; the first line picks which evidence keys get the values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ident/catalog.h"
#include "ident/classify.h"
#include "ident/evidence_keys.h"

using namespace mamori;

namespace {

const ident::FingerprintCatalog& catalog() {
  static const ident::FingerprintCatalog c = [] {
    auto loaded = ident::FingerprintCatalog::load(MAMORI_FINGERPRINTS_DIR);
    if (!loaded) abort();
    return *loaded;
  }();
  return c;
}

std::vector<std::string_view> split(std::string_view data) {
  std::vector<std::string_view> out;
  while (!data.empty() && out.size() < 16) {
    size_t nl = data.find('\n');
    out.push_back(data.substr(0, nl));
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size > 16384) return 0;
  auto parts = split(std::string_view(reinterpret_cast<const char*>(bytes), size));
  if (parts.empty()) return 0;
  const Ip ip = *Ip::parse("127.72.0.9");
  std::vector<ServiceObservation> services(2);
  services[0].ip = ip;
  services[0].port = 80;
  services[0].service = "http";
  services[1].ip = ip;
  services[1].port = 1900;
  services[1].proto = Proto::udp;
  services[1].service = "ssdp";
  services[1].fields["upnp.fetch"] = "ok";
  const auto keys = ident::evidence_keys();
  std::string_view selector = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    const unsigned char pick = i - 1 < selector.size() ? static_cast<unsigned char>(selector[i - 1]) : 0;
    const auto& key = keys[pick % keys.size()];
    auto& s = services[(pick >> 7) & 1];
    std::string value(parts[i]);
    if (key.scope == ident::KeyScope::field) {
      s.fields[std::string(key.name)] = value;
    } else if (key.name == "port" && !value.empty()) {
      s.port = static_cast<uint16_t>(value.size() * 131 + static_cast<unsigned char>(value[0]));
    }
    if (i == 1) services[1].fields["ssdp.location"] = value;  // LOCATION is device bytes too
  }
  if (parts.size() > 1 && services[0].port == 80) services[0].port = 49152;
  const auto before = services;
  ident::HostFacts host;
  if (parts.size() > 2) host.mac_vendor = std::string(parts[2]);
  DeviceObservation d = ident::classify(catalog(), ip, services, host);
  if (d.confidence < 0 || d.confidence > 1) abort();
  if (d.category != "unknown" && !ident::is_device_category(d.category)) abort();
  for (const std::string* v : {&d.vendor, &d.model, &d.firmware}) {
    if (v->size() > ident::kMaxRenderedValue) abort();
  }
  if (services.size() < before.size() || services.size() > before.size() + 1) abort();
  for (size_t i = 0; i < before.size(); ++i) {
    if (services[i].port != before[i].port || services[i].proto != before[i].proto) abort();
  }
  // At most one service added: the UPnP server on the LOCATION's port, which was not swept.
  if (services.size() > before.size()) {
    const auto& added = services.back();
    if (added.service != "upnp" || added.proto != Proto::tcp || added.port == 0) abort();
    for (const auto& s : before) {
      if (s.proto == Proto::tcp && s.port == added.port) abort();
    }
  }
  return 0;
}
