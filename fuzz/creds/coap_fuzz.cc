// libFuzzer target: the CoAP checker's resource picker (link format from a device) and response
// matcher. Oracles: picked paths are local, printable, bounded and never under /.well-known.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "checks/creds/coap/coap_checker.h"

using namespace mamori::creds;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto picked = coap_pick_resources(in);
  if (picked.size() > kCoapMaxReads) std::abort();
  for (const auto& p : picked) {
    if (p.size() < 2 || p.size() > kCoapMaxPathBytes || p[0] != '/' || p[1] == '/') std::abort();
    if (p.starts_with("/.well-known") || p.find("://") != std::string::npos) std::abort();
    for (unsigned char c : p) {
      if (c < 0x21 || c > 0x7e) std::abort();
    }
  }
  if (size >= 2) {
    const uint16_t mid = static_cast<uint16_t>(data[0] << 8 | data[1]);
    auto m = coap_match_response({std::string(in.substr(2))}, mid, "tok1");
    if (m && (m->token != "tok1" || (m->code >> 5) < 2)) std::abort();
  }
  return 0;
}
