// SSDP: parse anything as a generic message, an M-SEARCH and an announcement; an accepted
// M-SEARCH must survive build_search/parse_search.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/ssdp.h"

namespace ssdp = mamori::proto::ssdp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto m = ssdp::parse(in)) (void)m->header("LOCATION");
  (void)ssdp::parse_announcement(in);
  auto s = ssdp::parse_search(in);
  if (!s) return 0;
  s->host = "239.255.255.250:1900";
  s->user_agent.clear();
  auto back = ssdp::parse_search(ssdp::build_search(*s));
  if (!back || back->st != s->st || (s->mx >= 0 && back->mx != s->mx)) __builtin_trap();
  return 0;
}
