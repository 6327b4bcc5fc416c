// libFuzzer: the server reply parser of hand-built ClientHellos (src/tls/hello.cc).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tls/hello.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = mamori::tls::parse_server_reply(in);
  if (r.kind == mamori::tls::HelloReply::Kind::server_hello) {
    (void)mamori::tls::suite_name(r.cipher);
    (void)mamori::tls::version_name(r.version);
  }
  return 0;
}
