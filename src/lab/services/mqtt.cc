// MQTT 3.1, 3.1.1 and 5 broker front: CONNECT -> CONNACK with the codes a real broker gives
// (anonymous allowed / refused, bad user name or password), SUBSCRIBE -> SUBACK and the retained
// PUBLISH of the scenario's topics that match, PINGREQ, PUBLISH acks, UNSUBSCRIBE, DISCONNECT.
// Packets are bounded to 64 KiB; nothing clients publish is stored or forwarded.
#include <fmt/format.h>

#include "lab/service.h"

namespace mamori::lab {
namespace {

constexpr size_t kMaxPacket = 65536;

struct Packet {
  uint8_t type_flags = 0;
  std::string body;
};

std::string varint(size_t n) {
  std::string out;
  do {
    uint8_t b = n % 128;
    n /= 128;
    if (n) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (n);
  return out;
}

std::string packet(uint8_t type_flags, const std::string& body) {
  return std::string(1, static_cast<char>(type_flags)) + varint(body.size()) + body;
}

std::string str16(std::string_view s) {
  std::string out;
  out.push_back(static_cast<char>(s.size() >> 8));
  out.push_back(static_cast<char>(s.size() & 0xff));
  out += s;
  return out;
}

boost::asio::awaitable<std::optional<Packet>> read_packet(Conn& c) {
  auto first = co_await c.read_exact(1);
  if (!first) co_return std::nullopt;
  size_t len = 0;
  for (int i = 0;; ++i) {
    if (i == 4) co_return std::nullopt;
    auto b = co_await c.read_exact(1);
    if (!b) co_return std::nullopt;
    uint8_t v = static_cast<uint8_t>((*b)[0]);
    len |= static_cast<size_t>(v & 0x7f) << (7 * i);
    if (!(v & 0x80)) break;
  }
  if (len > kMaxPacket) co_return std::nullopt;
  Packet p;
  p.type_flags = static_cast<uint8_t>((*first)[0]);
  if (len) {
    auto body = co_await c.read_exact(len);
    if (!body) co_return std::nullopt;
    p.body = std::move(*body);
  }
  co_return p;
}

// A bounds-checked reader over one packet body.
struct Cursor {
  std::string_view s;
  size_t pos = 0;
  bool ok = true;
  uint8_t u8() {
    if (pos + 1 > s.size()) return ok = false, 0;
    return static_cast<uint8_t>(s[pos++]);
  }
  uint16_t u16() {
    uint16_t hi = u8();
    return static_cast<uint16_t>(hi << 8 | u8());
  }
  std::string str() {
    size_t n = u16();
    if (!ok || pos + n > s.size()) return ok = false, "";
    std::string out(s.substr(pos, n));
    pos += n;
    return out;
  }
  size_t var() {
    size_t v = 0;
    for (int i = 0; i < 4; ++i) {
      uint8_t b = u8();
      v |= static_cast<size_t>(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  void skip(size_t n) {
    if (pos + n > s.size()) ok = false;
    else pos += n;
  }
  bool done() const { return pos >= s.size(); }
};

bool topic_matches(std::string_view filter, std::string_view topic) {
  size_t f = 0, t = 0;
  for (;;) {
    size_t fe = filter.find('/', f), te = topic.find('/', t);
    std::string_view fl = filter.substr(f, fe == std::string_view::npos ? std::string_view::npos : fe - f);
    if (fl == "#") return true;
    if (t > topic.size()) return false;
    std::string_view tl = topic.substr(t, te == std::string_view::npos ? std::string_view::npos : te - t);
    if (fl != "+" && fl != tl) return false;
    bool fend = fe == std::string_view::npos, tend = te == std::string_view::npos;
    if (fend && tend) return true;
    if (fend) return false;
    if (tend) return filter.substr(fe + 1) == "#";  // "a/#" matches "a"
    f = fe + 1;
    t = te + 1;
  }
}

boost::asio::awaitable<void> serve(Conn& c, ServiceEnv& env) {
  const Service& s = env.service;
  auto first = co_await read_packet(c);
  if (!first || (first->type_flags >> 4) != 1) co_return;  // must start with CONNECT
  Cursor in{first->body};
  std::string proto = in.str();
  uint8_t level = in.u8();
  uint8_t flags = in.u8();
  in.u16();  // keep alive
  if (!in.ok || (proto != "MQTT" && proto != "MQIsdp")) co_return;
  bool v5 = level == 5;
  auto connack = [&](uint8_t v3_code, uint8_t v5_code) {
    return v5 ? packet(0x20, std::string{'\0', static_cast<char>(v5_code), '\0'})
              : packet(0x20, std::string{'\0', static_cast<char>(v3_code)});
  };
  if (level != 3 && level != 4 && level != 5) {
    co_await c.write(connack(0x01, 0x84));
    co_return;
  }
  if (v5) in.skip(in.var());  // CONNECT properties
  std::string client_id = in.str();
  if (flags & 0x04) {  // will
    if (v5) in.skip(in.var());
    in.str();
    in.str();
  }
  std::optional<std::string> user, password;
  if (flags & 0x80) user = in.str();
  if (flags & 0x40) password = in.str();
  if (!in.ok) co_return;
  if (!user) {
    if (!s.anonymous) {
      co_await c.write(connack(0x05, 0x87));  // not authorized
      co_return;
    }
  } else if (!credentials_match(s, *user, password.value_or(""))) {
    co_await c.write(connack(0x04, 0x86));  // bad user name or password
    co_return;
  }
  if (!co_await c.write(connack(0x00, 0x00))) co_return;

  for (int i = 0; i < 10000; ++i) {
    auto p = co_await read_packet(c);
    if (!p) co_return;
    uint8_t type = p->type_flags >> 4;
    Cursor pc{p->body};
    std::string out;
    if (type == 8) {  // SUBSCRIBE
      uint16_t id = pc.u16();
      if (v5) pc.skip(pc.var());
      std::vector<std::string> filters;
      std::string codes;
      while (pc.ok && !pc.done() && filters.size() < 64) {
        filters.push_back(pc.str());
        pc.u8();
        codes.push_back('\0');  // granted QoS 0
      }
      if (!pc.ok || filters.empty()) co_return;
      std::string body{static_cast<char>(id >> 8), static_cast<char>(id & 0xff)};
      if (v5) body.push_back('\0');
      out = packet(0x90, body + codes);
      for (const auto& t : s.topics) {
        for (const auto& f : filters) {
          if (!topic_matches(f, t.topic)) continue;
          out += packet(0x31, str16(t.topic) + (v5 ? std::string(1, '\0') : "") + t.payload);
          break;
        }
      }
    } else if (type == 10) {  // UNSUBSCRIBE
      uint16_t id = pc.u16();
      std::string body{static_cast<char>(id >> 8), static_cast<char>(id & 0xff)};
      if (v5) {
        pc.skip(pc.var());
        body.push_back('\0');
        while (pc.ok && !pc.done()) {
          pc.str();
          body.push_back('\x11');  // no subscription existed
        }
      }
      out = packet(0xB0, body);
    } else if (type == 12) {  // PINGREQ
      out = packet(0xD0, "");
    } else if (type == 14) {  // DISCONNECT
      co_return;
    } else if (type == 3) {  // PUBLISH: acknowledged, dropped
      int qos = (p->type_flags >> 1) & 3;
      pc.str();
      uint16_t id = qos ? pc.u16() : 0;
      std::string pid{static_cast<char>(id >> 8), static_cast<char>(id & 0xff)};
      if (qos == 1) out = packet(0x40, pid);
      if (qos == 2) out = packet(0x50, pid);
    } else if (type == 6) {  // PUBREL
      out = packet(0x70, p->body.substr(0, 2));
    } else {
      co_return;  // protocol error: close as brokers do
    }
    if (!out.empty() && !co_await c.write(out)) co_return;
  }
}

std::vector<std::string> findings(const Device&, const Service& s) {
  if (s.anonymous) return {"mqtt-anonymous", "no-authentication"};
  return {};
}

}  // namespace

extern const ServiceKind kMqttKind{
    "mqtt", "MQTT 3.1.1/5 broker front: CONNACK codes, SUBACK, retained topics", Transport::tcp, 1883,
    {"anonymous", "credentials", "topics"}, serve, nullptr, findings, nullptr, "mqtt"};

}  // namespace mamori::lab
