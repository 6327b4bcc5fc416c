// libFuzzer target: the rtnetlink neighbour-dump parser of host discovery
// (src/engine/discovery_neigh.cc). The kernel is trusted more than a device, but the parser is
// bounded all the same: every length is checked before use. Checks that every kept entry is a
// proper MAC and that parsing the same bytes twice gives the same table.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "engine/discovery.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  mamori::NeighbourDump a;
  mamori::parse_rtm_neigh(bytes, a);
  if (a.macs.size() > mamori::kMaxNeighbourEntries) std::abort();
  for (const auto& [ip, mac] : a.macs) {
    if (mac.size() != 17 || mac == "00:00:00:00:00:00") std::abort();
  }
  mamori::NeighbourDump b;
  mamori::parse_rtm_neigh(bytes, b);
  if (a.macs != b.macs || a.done != b.done || a.error != b.error) std::abort();
  // Two reads of one dump: the second adds to the first.
  if (size > 1) {
    mamori::NeighbourDump c;
    mamori::parse_rtm_neigh(bytes.subspan(0, size / 2), c, 7);
    mamori::parse_rtm_neigh(bytes.subspan(size / 2), c, 7);
  }
  return 0;
}
