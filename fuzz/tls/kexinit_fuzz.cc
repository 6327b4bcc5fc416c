// libFuzzer: the SSH transport parsers of the posture analysis (src/tls/ssh_wire.cc): the
// identification line, then packets (KEXINIT, KEX reply with the host key blob) as a server
// would send them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tls/ssh_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ssh = mamori::tls::ssh;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t used = 0;
  bool bad = false;
  if (ssh::find_ident(in, &used, &bad)) in.remove_prefix(used);
  for (int i = 0; i < 16 && !in.empty(); ++i) {
    std::string_view payload;
    if (ssh::parse_packet(in, &used, &payload) != ssh::Frame::ok) break;
    in.remove_prefix(used);
    if (auto k = ssh::parse_kexinit(payload)) (void)ssh::weak_algorithms(*k);
    if (auto blob = ssh::parse_kex_reply_host_key(payload)) (void)ssh::parse_host_key_blob(*blob);
  }
  // The payload parsers also on the raw input (no framing).
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  if (auto k = ssh::parse_kexinit(raw)) (void)ssh::weak_algorithms(*k);
  if (auto blob = ssh::parse_kex_reply_host_key(raw)) (void)ssh::parse_host_key_blob(*blob);
  return 0;
}
