// Target-list parser: any bytes as command-line tokens and as an @file. Host names resolve to a
// fixed address (no network); the invariant checked is that parsing never crashes, and that an
// accepted set has every index inside it.
#include <cstdint>
#include <string>

#include "core/target_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  mamori::TargetParseOptions opt;
  opt.resolver = [](const std::string&) -> mamori::Expected<std::vector<mamori::Ip>> {
    return std::vector<mamori::Ip>{mamori::Ip::from_v4(0x7f000001)};
  };
  opt.file_reader = [&text](const std::string&) -> mamori::Expected<std::string> { return text; };
  mamori::Targets t;
  auto r = mamori::parse_targets({text, "@f"}, opt, t);
  if (r) {
    mamori::u128 n = t.set.size();
    if (n > 0) {
      uint64_t last = static_cast<uint64_t>(n - 1);
      if (!t.set.contains(t.set.at(last)) || !t.set.contains(t.set.at(0))) __builtin_trap();
    }
    mamori::Targets x;
    if (mamori::parse_targets({text}, opt, x)) t.set.subtract(x.set);
  }
  return 0;
}
