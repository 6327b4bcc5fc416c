// FTP reply parsing, product extraction and FEAT lists on arbitrary bytes. Oracles: bounds.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "probes/ftp/ftp_probe.h"

using namespace mamori::probes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)looks_like_ftp(in);
  std::string product, version;
  ftp_product(in, product, version);
  if (version.size() > 32) std::abort();
  if (auto r = parse_ftp_reply(in)) {
    if (r->code < 0 || r->code > 999) std::abort();
    if (r->lines.empty() || r->lines.size() > FtpReply::kMaxLines) std::abort();
    for (const auto& l : r->lines) {
      if (l.size() > FtpReply::kMaxLine) std::abort();
    }
    auto f = ftp_features(*r);
    if (f.size() > 32) std::abort();
  }
  return 0;
}
