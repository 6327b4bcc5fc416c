// IPv4 and IPv6 addresses as one 128-bit value space. IPv4 addresses live at ::ffff:a.b.c.d
// (the IPv4-mapped block), so one interval set and one permutation cover both families.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mamori {

using u128 = unsigned __int128;

inline constexpr u128 kV4MappedBase = (u128{0xffff} << 32);

class Ip {
 public:
  constexpr Ip() = default;
  static constexpr Ip from_v4(uint32_t host_order) { return Ip(kV4MappedBase | host_order); }
  static constexpr Ip from_value(u128 v) { return Ip(v); }
  // Parses a literal IPv4 ("1.2.3.4") or IPv6 ("2001:db8::1", "[::1]") address. Nothing else:
  // no shorthand IPv4 ("1.2.3"), no zone ids. Returns nullopt for anything that is not one.
  static std::optional<Ip> parse(std::string_view text);

  constexpr u128 value() const { return v_; }
  constexpr bool is_v4() const { return (v_ >> 32) == 0xffff; }
  constexpr uint32_t v4() const { return static_cast<uint32_t>(v_); }
  // 16 bytes in network order (IPv6 form; IPv4 addresses give their mapped form).
  void to_bytes(uint8_t out[16]) const;
  static Ip from_bytes(const uint8_t in[16]);
  // Canonical text: dotted quad for IPv4, RFC 5952 for IPv6.
  std::string str() const;

  friend constexpr bool operator==(Ip a, Ip b) { return a.v_ == b.v_; }
  friend constexpr bool operator<(Ip a, Ip b) { return a.v_ < b.v_; }

 private:
  constexpr explicit Ip(u128 v) : v_(v) {}
  u128 v_ = 0;
};

// Decimal text of a 128-bit count (for messages and JSON).
std::string u128_to_string(u128 v);

}  // namespace mamori
