// libFuzzer target: the SNMP checker's reply judge on hostile datagrams (as the answer to a
// request whose id and community come from the input). Oracle: an accepted verdict only for a
// datagram that decodes as a GetResponse with that id and community and no error.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "checks/creds/snmp/snmp_checker.h"

using namespace mamori::creds;
namespace snmp = mamori::proto::snmp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  int32_t id = 0;
  std::memcpy(&id, data, 4);
  const auto version = (data[4] & 1) ? snmp::Version::v1 : snmp::Version::v2c;
  std::string reply(reinterpret_cast<const char*>(data + 5), size - 5);
  // The community: "public", or the one the datagram carries (so matches are reachable).
  std::string community = "public";
  if (auto m = snmp::decode_message(reply)) community = m->community;
  auto r = judge_snmp_replies({reply}, version, community, id);
  if (r && r->outcome == Outcome::accepted) {
    auto m = snmp::decode_response(reply);
    if (!m || m->request_id != id || m->error_status != 0 || m->community != community) std::abort();
  }
  return 0;
}
