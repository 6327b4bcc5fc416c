// PJL INFO ID answers on arbitrary bytes. Oracle: the model line is bounded.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "probes/pjl/pjl_probe.h"

using namespace mamori::probes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto id = parse_pjl_info_id(in); id && id->size() > 4 * 128) std::abort();
  return 0;
}
