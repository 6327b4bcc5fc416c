// CoAP: decode anything; a decoded message re-encodes to a message that decodes equal. Payloads
// and raw input also go through the link-format parser, whose output must format and reparse
// to the same links.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/coap.h"

namespace coap = mamori::proto::coap;

static void check_links(std::string_view text) {
  auto links = coap::parse_link_format(text);
  if (!links) return;
  auto again = coap::parse_link_format(coap::format_link_format(*links));
  if (!again || *again != *links) __builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_links(in);
  auto m = coap::decode(in);
  if (!m) return 0;
  (void)m->uri_path();
  (void)m->content_format();
  auto bytes = coap::encode(*m);
  if (!bytes) __builtin_trap();
  auto back = coap::decode(*bytes);
  if (!back || back->options != m->options || back->token != m->token || back->payload != m->payload ||
      back->code != m->code || back->message_id != m->message_id || back->type != m->type)
    __builtin_trap();
  (void)coap::encode_response(*m, coap::kContent, "</x>", coap::kFormatLinkFormat, 1);
  check_links(m->payload);
  return 0;
}
