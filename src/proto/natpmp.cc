#include "proto/natpmp.h"

namespace mamori::proto::natpmp {

std::string build_external_address_request() { return std::string("\x00\x00", 2); }

std::optional<ExternalAddress> parse_external_address_response(std::string_view b) {
  if (b.size() != 12) return std::nullopt;
  auto u8 = [&](size_t i) { return static_cast<uint8_t>(b[i]); };
  if (u8(0) != 0 || u8(1) != 128) return std::nullopt;
  ExternalAddress a;
  a.result = static_cast<uint16_t>(u8(2) << 8 | u8(3));
  a.epoch = static_cast<uint32_t>(u8(4)) << 24 | static_cast<uint32_t>(u8(5)) << 16 |
            static_cast<uint32_t>(u8(6)) << 8 | u8(7);
  if (a.result == 0) {
    a.external_ip = std::to_string(u8(8)) + "." + std::to_string(u8(9)) + "." + std::to_string(u8(10)) + "." +
                    std::to_string(u8(11));
  }
  return a;
}

std::string result_name(uint16_t code) {
  switch (code) {
    case 0: return "success";
    case 1: return "unsupported version";
    case 2: return "not authorized/refused";
    case 3: return "network failure";
    case 4: return "out of resources";
    case 5: return "unsupported opcode";
    default: return "code " + std::to_string(code);
  }
}

}  // namespace mamori::proto::natpmp
