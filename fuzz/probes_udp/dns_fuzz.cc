// DNS (mDNS responses): parse anything within the bounds; a parsed message re-encodes (without
// compression) to bytes that parse to an equal message, and every name in it re-encodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "probes/mdns/dns.h"

namespace dns = mamori::probes::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = dns::parse(in);
  if (!m) {
    // Text names from the fuzzer too: encode_name must refuse or produce a parseable name.
    if (size <= 300) {
      auto n = dns::encode_name(in);
      if (n && n->size() > dns::kMaxNameBytes) __builtin_trap();
    }
    return 0;
  }
  for (const auto* s : {&m->answers, &m->authority, &m->additional}) {
    for (const auto& r : *s) {
      if (!dns::encode_name(r.name)) __builtin_trap();
    }
  }
  auto bytes = dns::encode(*m);
  // Uncompressed, a message may outgrow the 9000-byte cap; otherwise it must round-trip.
  if (!bytes) return 0;
  auto back = dns::parse(*bytes);
  if (!back || !(*back == *m)) __builtin_trap();
  return 0;
}
