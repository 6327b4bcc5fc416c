// libFuzzer target: the MQTT checker's CONNACK parser and verdict on hostile broker bytes, and
// the CONNECT builder on arbitrary fields. Oracles: only CONNACK 0 is ever accepted; a built
// CONNECT's remaining length matches its size.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "checks/creds/mqtt/mqtt_checker.h"

using namespace mamori::creds;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  MqttConnack ack;
  if (parse_mqtt_connack(in, ack) == MqttParse::ok) {
    AttemptResult r = classify_mqtt_connack(ack);
    if (r.outcome == Outcome::accepted && ack.code != 0) std::abort();
    if (mqtt_connack_text(ack).size() > 80) std::abort();
  }
  // Split the input into client id, user name and password.
  const size_t a = size / 3, b = 2 * size / 3;
  auto pkt = mqtt_connect(in.substr(0, a), in.substr(a, b - a), in.substr(b));
  if (!pkt || pkt->size() < 2 || static_cast<uint8_t>((*pkt)[0]) != 0x10) std::abort();
  size_t pos = 1, len = 0;
  for (int i = 0; i < 4; ++i) {
    auto c = static_cast<uint8_t>((*pkt)[pos++]);
    len |= static_cast<size_t>(c & 0x7f) << (7 * i);
    if (!(c & 0x80)) break;
  }
  if (pos + len != pkt->size()) std::abort();
  return 0;
}
