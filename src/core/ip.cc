#include "core/ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace mamori {

std::optional<Ip> Ip::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    if (text.find(':') == std::string_view::npos) return std::nullopt;
  }
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    in_addr a4{};
    if (inet_pton(AF_INET, buf, &a4) != 1) return std::nullopt;
    return Ip::from_v4(ntohl(a4.s_addr));
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, buf, &a6) != 1) return std::nullopt;
  return Ip::from_bytes(a6.s6_addr);
}

void Ip::to_bytes(uint8_t out[16]) const {
  for (int i = 15; i >= 0; --i) out[15 - i] = static_cast<uint8_t>(v_ >> (i * 8));
}

Ip Ip::from_bytes(const uint8_t in[16]) {
  u128 v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | in[i];
  return Ip(v);
}

std::string Ip::str() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    in_addr a4{};
    a4.s_addr = htonl(v4());
    inet_ntop(AF_INET, &a4, buf, sizeof buf);
  } else {
    in6_addr a6{};
    to_bytes(a6.s6_addr);
    inet_ntop(AF_INET6, &a6, buf, sizeof buf);
  }
  return buf;
}

std::string u128_to_string(u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

}  // namespace mamori
