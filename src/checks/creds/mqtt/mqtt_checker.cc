#include "checks/creds/mqtt/mqtt_checker.h"

#include <chrono>
#include <cstdio>
#include <random>

namespace mamori::creds {
namespace {

constexpr Millis kDisconnectWait{500};

void put16(std::string& out, size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

bool put_str(std::string& out, std::string_view s) {
  if (s.size() > 0xffff) return false;
  put16(out, s.size());
  out += s;
  return true;
}

// A variable-length integer at bytes[pos] (at most 4 bytes).
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

const char* code_name(const MqttConnack& a) {
  if (a.code < 0x80 && !a.v5) {
    static const char* kV3[] = {"accepted", "unacceptable protocol version", "identifier rejected",
                                "server unavailable", "bad user name or password", "not authorised"};
    return a.code <= 5 ? kV3[a.code] : "unknown";
  }
  switch (a.code) {
    case 0x00: return "success";
    case 0x80: return "unspecified error";
    case 0x81: return "malformed packet";
    case 0x82: return "protocol error";
    case 0x83: return "implementation specific error";
    case 0x84: return "unsupported protocol version";
    case 0x85: return "client identifier not valid";
    case 0x86: return "bad user name or password";
    case 0x87: return "not authorized";
    case 0x88: return "server unavailable";
    case 0x89: return "server busy";
    case 0x8A: return "banned";
    case 0x8C: return "bad authentication method";
    case 0x95: return "packet too large";
    case 0x97: return "quota exceeded";
    case 0x9F: return "connection rate exceeded";
    default: return "unknown";
  }
}

AttemptResult result(Outcome o, std::string detail) {
  AttemptResult r;
  r.outcome = o;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

std::optional<std::string> mqtt_connect(std::string_view client_id, std::optional<std::string_view> username,
                                        std::optional<std::string_view> password, uint16_t keepalive) {
  if (password && !username) username = std::string_view();
  std::string body;
  put_str(body, "MQTT");
  body.push_back(4);  // protocol level 3.1.1
  uint8_t flags = 0x02;  // clean session
  if (username) flags |= 0x80 | 0x40;
  body.push_back(static_cast<char>(flags));
  put16(body, keepalive);
  if (!put_str(body, client_id)) return std::nullopt;
  if (username && (!put_str(body, *username) || !put_str(body, password.value_or("")))) return std::nullopt;
  std::string pkt(1, '\x10');
  size_t len = body.size();  // < 3 * 65538: fits the 4-byte variable-length integer
  do {
    uint8_t b = len & 0x7f;
    len >>= 7;
    if (len) b |= 0x80;
    pkt.push_back(static_cast<char>(b));
  } while (len);
  return pkt + body;
}

std::string mqtt_client_id() {
  static const char* hex = "0123456789abcdef";
  std::random_device rd;
  std::string id = "mamori-";
  for (int i = 0; i < 8; ++i) id.push_back(hex[rd() & 15]);
  return id;
}

MqttParse parse_mqtt_connack(std::string_view bytes, MqttConnack& out) {
  if (bytes.empty()) return MqttParse::need_more;
  if (static_cast<uint8_t>(bytes[0]) != 0x20) return MqttParse::invalid;
  size_t pos = 1;
  uint32_t rl = 0;
  if (auto r = varint(bytes, pos, rl); r != MqttParse::ok) return r;
  if (rl < 2 || rl > kMqttMaxConnack) return MqttParse::invalid;
  if (bytes.size() < pos + rl) return MqttParse::need_more;
  const auto flags = static_cast<uint8_t>(bytes[pos]);
  if (flags & 0xfe) return MqttParse::invalid;
  MqttConnack a;
  a.session_present = flags & 1;
  a.code = static_cast<uint8_t>(bytes[pos + 1]);
  if (rl == 2) {
    // 3.1.1 return codes; some MQTT 5 brokers also send a bare reason code in this layout.
    if (a.code > 5 && a.code < 0x80) return MqttParse::invalid;
  } else {
    const std::string_view packet = bytes.substr(0, pos + rl);
    size_t p = pos + 2;
    uint32_t plen = 0;
    if (varint(packet, p, plen) != MqttParse::ok || p + plen != packet.size()) return MqttParse::invalid;
    if (a.code != 0 && a.code < 0x80) return MqttParse::invalid;
    a.v5 = true;
  }
  out = a;
  return MqttParse::ok;
}

std::string mqtt_connack_text(const MqttConnack& ack) {
  char code[8];
  std::snprintf(code, sizeof code, ack.code >= 0x80 ? "0x%02X" : "%u", static_cast<unsigned>(ack.code));
  return std::string("CONNACK ") + code + " (" + code_name(ack) + ")" + (ack.v5 ? " [MQTT 5]" : "");
}

AttemptResult classify_mqtt_connack(const MqttConnack& ack) {
  const std::string text = mqtt_connack_text(ack);
  switch (ack.code) {
    case 0x00: return result(Outcome::accepted, text);
    case 0x04:
    case 0x05:
      if (!ack.v5) return result(Outcome::rejected, text);
      break;
    case 0x86:
    case 0x87: return result(Outcome::rejected, text);
    case 0x8A:
    case 0x9F: return result(Outcome::lockout, text);
    case 0x8C: return result(Outcome::unsupported, text);
    default: break;
  }
  return result(Outcome::error, text);
}

namespace {

// Reads the CONNACK (bounded by kMqttMaxConnack and the io deadline).
Task<Expected<MqttConnack>> read_connack(net::Conn& conn) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + conn.limits().io;
  std::string buf;
  for (;;) {
    MqttConnack ack;
    switch (parse_mqtt_connack(buf, ack)) {
      case MqttParse::ok: co_return ack;
      case MqttParse::invalid: co_return make_error("not a CONNACK: " + net::printable(buf, 24));
      case MqttParse::need_more: break;
    }
    if (conn.eof()) co_return make_error(buf.empty() ? "connection closed without CONNACK" : "connection closed mid-CONNACK");
    if (conn.budget_exhausted()) co_return make_error("byte budget exhausted");
    auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
    if (left.count() <= 0) co_return make_error("no CONNACK within " + std::to_string(conn.limits().io.count()) + " ms");
    co_await conn.read_some(buf, left, kMqttMaxConnack + 5 - buf.size());
  }
}

// One CONNECT/CONNACK exchange on a connection of its own, DISCONNECT after an accepted one.
Task<Expected<MqttConnack>> exchange(const CheckTarget& t, std::optional<std::string_view> user,
                                     std::optional<std::string_view> pass) {
  auto packet = mqtt_connect(mqtt_client_id(), user, pass);
  if (!packet) co_return make_error("user name or password longer than 65535 bytes");
  auto conn = co_await net::Conn::connect(t.ex, t.ip, t.port, t.limits);
  if (!conn) co_return conn.error();
  if (t.service && t.service->tls) {
    if (auto tls = co_await (*conn)->start_tls(t.hostname, t.limits.io); !tls) co_return tls.error();
  }
  if (auto w = co_await (*conn)->write(*packet); !w) co_return w.error();
  auto ack = co_await read_connack(**conn);
  if (ack && ack->code == 0) {
    auto sent = co_await (*conn)->write(kMqttDisconnectPacket, kDisconnectWait);
    (void)sent;  // the verdict stands whether or not the broker took the DISCONNECT
  }
  (*conn)->close();
  co_return ack;
}

class MqttChecker : public Checker {
 public:
  const CheckerInfo& info() const override {
    static const CheckerInfo i{"mqtt", "MQTT CONNECT with user name and password (CONNACK 0 as proof)",
                               {"mqtt", "mqtts"}, "login"};
    return i;
  }

  bool applies(const ServiceObservation& s) const override { return s.service == "mqtt" || s.service == "mqtts"; }

  Task<OpenAccessResult> check_open(const CheckTarget& t) const override {
    OpenAccessResult out;
    out.attempts = 1;
    auto ack = co_await exchange(t, std::nullopt, std::nullopt);
    if (!ack) co_return out;
    const AttemptResult r = classify_mqtt_connack(*ack);
    out.lockout = r.outcome == Outcome::lockout;
    if (r.outcome == Outcome::accepted) {
      OpenAccess found{"mqtt-anonymous", "MQTT broker accepts a CONNECT without credentials", {}};
      found.evidence["connack"] = mqtt_connack_text(*ack);
      found.evidence["protocol"] = "3.1.1";
      out.found.push_back(std::move(found));
      out.no_login_needed = true;
    }
    co_return out;
  }

  Task<AttemptResult> attempt(const CheckTarget& t, const Credential& c) const override {
    auto ack = co_await exchange(t, std::string_view(c.username), std::string_view(c.password));
    if (!ack) co_return result(Outcome::error, ack.error().message);
    AttemptResult r = classify_mqtt_connack(*ack);
    r.evidence["connack"] = mqtt_connack_text(*ack);
    co_return r;
  }
};

}  // namespace

const Checker& mqtt_checker() {
  static const MqttChecker c;
  return c;
}

}  // namespace mamori::creds
