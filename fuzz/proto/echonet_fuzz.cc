// ECHONET Lite: decode anything; the format is canonical, so a decoded frame re-encodes to the
// very same bytes. Property helpers run on every EDT.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/echonet.h"

namespace el = mamori::proto::echonet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto f = el::decode(in);
  (void)el::decode_get_reply(in);
  if (!f) return 0;
  auto bytes = el::encode(*f);
  if (!bytes || *bytes != in) __builtin_trap();
  for (const auto& p : f->properties) {
    (void)el::parse_manufacturer_code(p.edt);
    if (auto list = el::parse_instance_list(p.edt))
      for (const auto& e : *list) (void)el::class_name(e.class_id());
    (void)el::parse_version_info(p.edt);
    (void)el::parse_appendix_release(p.edt);
    (void)el::parse_identification_number(p.edt);
  }
  if (f->esv == static_cast<uint8_t>(el::Esv::get)) {
    el::PropertyMap props = {{0x8A, "\x00\x00\x05"}};
    auto reply = el::build_get_reply(*f, el::kNodeProfile, props);
    if (!reply || !el::decode_get_reply(*reply)) __builtin_trap();
  }
  return 0;
}
