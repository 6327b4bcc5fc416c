// TelnetReader on arbitrary server bytes, whole and in chunks. Oracles: the bounds hold, the
// text of an unbroken stream does not depend on how the bytes were split, and the greeting
// check does not crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "probes/telnet/telnet_probe.h"

using namespace mamori::probes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 16;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  TelnetReader whole;
  whole.feed(in);
  TelnetReader split;
  for (size_t i = 0; i < in.size(); i += chunk) {
    split.feed(in.substr(i, chunk));
    (void)split.take_replies();
  }
  // Split-invariance holds for streams libtelnet did not call broken (see stream_error()).
  if (!whole.stream_error() && !split.stream_error()) {
    if (whole.text() != split.text() || whole.prompt() != split.prompt()) std::abort();
  }
  if (whole.text().size() > TelnetReader::kMaxText) std::abort();
  if (whole.banner().size() > 1024) std::abort();
  if (whole.negotiation().size() > TelnetReader::kMaxNegotiations * 9) std::abort();
  (void)telnet_prompt_name(whole.prompt());
  (void)looks_like_telnet(in);
  return 0;
}
