// NAT-PMP external-address answers: parse anything; a parsed success carries a dotted quad.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/natpmp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto a = mamori::proto::natpmp::parse_external_address_response(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (a && a->result == 0 && (a->external_ip.size() < 7 || a->external_ip.size() > 15)) __builtin_trap();
  if (a) (void)mamori::proto::natpmp::result_name(a->result);
  return 0;
}
