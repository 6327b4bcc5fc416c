// SNMP: decode anything; whatever decodes must re-encode and decode to the same message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/snmp.h"

namespace snmp = mamori::proto::snmp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = snmp::decode_message(in);
  (void)snmp::decode_request(in);
  (void)snmp::decode_response(in);
  if (!m) return 0;
  for (const auto& vb : m->varbinds) (void)vb.value.to_string();
  auto again = snmp::encode_message(*m);
  if (!again) return 0;  // e.g. re-encoding grew past 64 KiB
  auto back = snmp::decode_message(*again);
  if (!back || back->varbinds != m->varbinds || back->community != m->community ||
      back->request_id != m->request_id || back->pdu != m->pdu)
    __builtin_trap();
  if (m->pdu == snmp::PduType::get_request || m->pdu == snmp::PduType::get_next_request) {
    std::vector<std::optional<snmp::VarBind>> answers(m->varbinds.size());
    (void)snmp::encode_get_response(*m, answers);
  }
  return 0;
}
