// libFuzzer: the FTP AUTH TLS preamble's handling of server replies (src/tls/starttls.cc, on top
// of the FTP probe's reply parser): where a reply ends, and the AUTH TLS feature match.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "probes/ftp/ftp_probe.h"
#include "tls/starttls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t end = mamori::tls::ftp_reply_end(in);
  if (end > in.size()) __builtin_trap();
  if (auto r = mamori::probes::parse_ftp_reply(in)) {
    (void)mamori::tls::ftp_offers_auth_tls(mamori::probes::ftp_features(*r));
  }
  return 0;
}
