// NAT-PMP (RFC 6886) external-address request and answer: the one read-only exchange of the
// protocol (opcode 0). Mapping requests (opcodes 1 and 2) create mappings and have no builder
// here. A gateway answers on UDP 5351 of its LAN address; one that answers from the internet
// side is a known weakness (anyone can then ask it to map ports). Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mamori::proto::natpmp {

inline constexpr uint16_t kPort = 5351;

// The two-byte request: version 0, opcode 0.
std::string build_external_address_request();

struct ExternalAddress {
  uint16_t result = 0;         // 0 success, 1 unsupported version, 2 refused, 3 network failure...
  uint32_t epoch = 0;          // seconds since the gateway's mapping table was (re)started
  std::string external_ip;     // dotted quad; "" unless result == 0
};

// Parses an answer: exactly 12 bytes, version 0, opcode 128 (nullopt otherwise).
std::optional<ExternalAddress> parse_external_address_response(std::string_view bytes);

// The name of a result code ("success", "unsupported version", ...; "code N" otherwise).
std::string result_name(uint16_t code);

}  // namespace mamori::proto::natpmp
