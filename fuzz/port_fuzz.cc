// Port-list parser and port-set files: never crash; accepted lists are sorted, unique, 1..65535,
// and their canonical text parses back to the same list.
#include <cstdint>
#include <string>

#include "core/port_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mamori::PortCatalog cat;
  if (auto set = mamori::PortCatalog::parse_set(text, "fuzz")) cat.add(*set);
  auto p = mamori::parse_ports(text, &cat);
  if (p) {
    for (size_t i = 1; i < p->tcp.size(); ++i) {
      if (p->tcp[i - 1] >= p->tcp[i]) __builtin_trap();
    }
    if (!p->tcp.empty() && p->tcp.front() == 0) __builtin_trap();
    if (p->size() > 0) {
      auto again = mamori::parse_ports(p->str(), nullptr);
      if (!again || again->tcp != p->tcp || again->udp != p->udp) __builtin_trap();
    }
  }
  return 0;
}
