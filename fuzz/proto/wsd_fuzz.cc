// WS-Discovery: Probe and ProbeMatches parsers and the ONVIF scope splitter.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/wsd.h"

namespace wsd = mamori::proto::wsd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto p = wsd::parse_probe(in)) {
    (void)wsd::parse_onvif_scopes(p->scopes);
  }
  auto m = wsd::parse_probe_matches(in);
  if (!m) return 0;
  for (const auto& pm : m->matches) (void)wsd::parse_onvif_scopes(pm.scopes);
  auto back = wsd::parse_probe_matches(wsd::build_probe_matches(*m));
  if (!back || back->matches.size() != m->matches.size()) __builtin_trap();
  return 0;
}
