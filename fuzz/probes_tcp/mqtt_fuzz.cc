// CONNACK parsing on arbitrary bytes (oracles: a parsed CONNACK is well-formed and prefix-
// stable: fewer bytes never parse as a different packet), and CONNECT building round trip.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "probes/mqtt/mqtt_probe.h"

using namespace mamori::probes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  MqttConnack a;
  MqttParse r = parse_mqtt_connack(in, a);
  if (r == MqttParse::ok) {
    if (a.code < 0 || a.code > 255) std::abort();
    if (!a.v5 && a.code > 5) std::abort();
    for (size_t n = 0; n < std::min<size_t>(in.size(), 8); ++n) {
      MqttConnack b;
      if (parse_mqtt_connack(in.substr(0, n), b) == MqttParse::invalid) std::abort();
    }
  }
  // The CONNECT packet's remaining length matches its size.
  std::string_view id = in.substr(0, std::min<size_t>(in.size(), 65535));
  std::string pkt = mqtt_connect_packet(id);
  size_t pos = 1, len = 0;
  for (int shift = 0; pos < pkt.size(); shift += 7) {
    auto b = static_cast<uint8_t>(pkt[pos++]);
    len |= static_cast<size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  if (pkt[0] != '\x10' || pos + len != pkt.size() || len != 12 + id.size()) std::abort();
  return 0;
}
