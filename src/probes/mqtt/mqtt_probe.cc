#include "probes/mqtt/mqtt_probe.h"

#include <chrono>
#include <random>

namespace mamori::probes {
namespace {

// Decodes a variable-length integer at `bytes[pos]` (at most 4 bytes).
MqttParse varint(std::string_view bytes, size_t& pos, uint32_t& value) {
  value = 0;
  for (int i = 0; i < 4; ++i) {
    if (pos >= bytes.size()) return MqttParse::need_more;
    auto b = static_cast<uint8_t>(bytes[pos++]);
    value |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return MqttParse::ok;
  }
  return MqttParse::invalid;
}

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

}  // namespace

std::string mqtt_connect_packet(std::string_view client_id, uint16_t keepalive) {
  std::string body;
  put16(body, 4);
  body += "MQTT";
  body.push_back(4);       // protocol level: 3.1.1
  body.push_back(0x02);    // flags: clean session only
  put16(body, keepalive);
  put16(body, static_cast<uint16_t>(client_id.size()));
  body += client_id;
  std::string pkt(1, '\x10');
  size_t len = body.size();
  do {
    uint8_t b = len & 0x7f;
    len >>= 7;
    if (len) b |= 0x80;
    pkt.push_back(static_cast<char>(b));
  } while (len);
  return pkt + body;
}

MqttParse parse_mqtt_connack(std::string_view bytes, MqttConnack& out) {
  if (bytes.empty()) return MqttParse::need_more;
  if (static_cast<uint8_t>(bytes[0]) != 0x20) return MqttParse::invalid;
  size_t pos = 1;
  uint32_t rl = 0;
  if (auto r = varint(bytes, pos, rl); r != MqttParse::ok) return r;
  if (rl < 2 || rl > kMaxConnack) return MqttParse::invalid;
  if (bytes.size() < pos + rl) return MqttParse::need_more;
  auto flags = static_cast<uint8_t>(bytes[pos]);
  auto code = static_cast<uint8_t>(bytes[pos + 1]);
  if (flags & 0xfe) return MqttParse::invalid;  // reserved bits
  MqttConnack c;
  c.session_present = flags & 1;
  c.code = code;
  if (rl == 2) {
    if (code > 5) return MqttParse::invalid;  // 3.1.1 knows return codes 0..5 only
  } else {
    // MQTT 5: the property length must account exactly for the rest of the packet.
    size_t p = pos + 2;
    uint32_t plen = 0;
    std::string_view packet = bytes.substr(0, pos + rl);
    if (varint(packet, p, plen) != MqttParse::ok || p + plen != packet.size()) return MqttParse::invalid;
    if (code != 0 && code < 0x80) return MqttParse::invalid;  // MQTT 5 CONNACK reason codes
    c.v5 = true;
  }
  out = c;
  return MqttParse::ok;
}

namespace {

std::string client_id() {
  static const char* hex = "0123456789abcdef";
  std::random_device rd;
  std::string id = "mamori-";
  for (int i = 0; i < 8; ++i) id.push_back(hex[rd() & 15]);
  return id;
}

class MqttProbe : public TcpProbe {
 public:
  const ProbeInfo& info() const override {
    static const ProbeInfo i{"mqtt", "MQTT broker: does it accept an anonymous CONNECT", Proto::tcp,
                             {1883, 8883}, Safety::safe};
    return i;
  }
  int affinity(uint16_t port) const override {
    for (uint16_t p : info().default_ports) {
      if (p == port) return 100;
    }
    return 5;
  }

  Task<std::optional<ServiceObservation>> run(net::Conn& conn, std::string banner,
                                              const ProbeContext& ctx) const override {
    if (!banner.empty()) co_return std::nullopt;  // a broker never speaks first
    if (!co_await conn.write(mqtt_connect_packet(client_id()))) co_return std::nullopt;
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + conn.limits().io;
    std::string buf;
    MqttConnack ack;
    MqttParse r = MqttParse::need_more;
    while ((r = parse_mqtt_connack(buf, ack)) == MqttParse::need_more) {
      if (conn.eof() || conn.budget_exhausted() || buf.size() >= kMaxConnack) break;
      auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
      if (left.count() <= 0) break;
      co_await conn.read_some(buf, left, kMaxConnack - buf.size());
    }
    if (r != MqttParse::ok) co_return std::nullopt;
    (void)co_await conn.write(kMqttDisconnect, Millis(500));
    ServiceObservation obs = make_service(ctx, "mqtt");  // identify_tcp renames it "mqtts" inside TLS
    obs.tls = conn.is_tls();
    obs.fields["mqtt.connack"] = std::to_string(ack.code);
    obs.fields["mqtt.protocol"] = ack.v5 ? "5" : "3.1.1";
    co_return obs;
  }
};

}  // namespace

const TcpProbe& mqtt_probe() {
  static const MqttProbe p;
  return p;
}

}  // namespace mamori::probes
