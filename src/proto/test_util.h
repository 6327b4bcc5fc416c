// Test helpers shared by the proto unit tests and fuzz seeds: hex tables and testdata files.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace mamori::proto::testing {

// "30 37 02 01" (blanks and newlines ignored) -> bytes. Aborts the test binary on bad hex.
inline std::string unhex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ' ' || c == '\n' || c == '\t' || c == ':') continue;
    else __builtin_trap();
    if (hi < 0) { hi = v; } else { out.push_back(static_cast<char>(hi * 16 + v)); hi = -1; }
  }
  if (hi >= 0) __builtin_trap();
  return out;
}

inline std::string hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(d[static_cast<unsigned char>(c) >> 4]);
    out.push_back(d[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

#ifdef MAMORI_PROTO_TESTDATA
inline std::string read_testdata(std::string_view name) {
  std::ifstream in(std::string(MAMORI_PROTO_TESTDATA) + "/" + std::string(name), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
#endif

}  // namespace mamori::proto::testing
