#include "policy/exposure.h"

#include <charconv>
#include <string_view>

#include "core/ip.h"
#include "core/json_fields.h"

namespace mamori::policy {
namespace {

constexpr size_t kMaxForwardsRead = 256;

std::string ev(const nlohmann::json& service, const char* key) { return evidence_str(service, key); }

bool parse_port(std::string_view s, uint16_t& out) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

// "TCP 8081->198.19.1.11:80[ disabled][ from=HOST]"
bool parse_one(std::string_view item, Forward& f) {
  const size_t sp = item.find(' ');
  if (sp == std::string_view::npos) return false;
  const std::string_view proto = item.substr(0, sp);
  if (proto != "TCP" && proto != "UDP") return false;
  f.protocol = proto == "TCP" ? "tcp" : "udp";
  std::string_view rest = item.substr(sp + 1);
  const size_t arrow = rest.find("->");
  if (arrow == std::string_view::npos || !parse_port(rest.substr(0, arrow), f.external_port)) return false;
  rest = rest.substr(arrow + 2);
  std::string_view target = rest.substr(0, rest.find(' '));
  std::string_view flags = target.size() < rest.size() ? rest.substr(target.size()) : std::string_view();
  if (flags.find(" disabled") != std::string_view::npos) return false;  // not forwarding now
  if (auto from = flags.find(" from="); from != std::string_view::npos) {
    std::string_view h = flags.substr(from + 6);
    auto remote = Ip::parse(std::string(h.substr(0, h.find(' '))));
    if (!remote) return false;  // RemoteHost is an address or empty; anything else is not understood
    f.remote_host = remote->str();
  }
  const size_t colon = target.rfind(':');
  if (colon == std::string_view::npos || !parse_port(target.substr(colon + 1), f.internal_port)) return false;
  auto ip = Ip::parse(std::string(target.substr(0, colon)));
  if (!ip) return false;
  f.internal_client = ip->str();
  return true;
}

}  // namespace

std::vector<Forward> forwards_from_service(const nlohmann::json& service) {
  std::vector<Forward> out;
  if (!service.is_object() || service.value("type", "") != "service") return out;
  const std::string list = ev(service, "upnp.mappings");
  if (list.empty()) return out;
  const std::string router = service.value("ip", "");
  const auto external_ip = Ip::parse(ev(service, "upnp.external_ip"));
  const std::string external = external_ip ? external_ip->str() : std::string();
  std::string_view rest = list;
  size_t read = 0;
  while (!rest.empty() && read++ < kMaxForwardsRead) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    Forward f;
    f.router = router;
    f.external_ip = external;
    if (parse_one(item, f)) out.push_back(std::move(f));
  }
  return out;
}

ClaimedAddress gateway_claimed_address(const nlohmann::json& service) {
  if (!service.is_object() || service.value("type", "") != "service") return {};
  if (auto ip = Ip::parse(ev(service, "upnp.external_ip"))) return {ip->str(), "upnp-igd"};
  if (auto ip = Ip::parse(ev(service, "natpmp.external_ip"))) return {ip->str(), "nat-pmp"};
  return {};
}

std::string gateway_external_address(const nlohmann::json& service) {
  auto ip = Ip::parse(gateway_claimed_address(service).address);
  if (!ip) return {};
  if (ip->is_v4()) {
    const uint32_t a = ip->v4();
    auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    if (a == 0 || in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) ||
        in(0xA9FE0000, 16)) {
      return {};
    }
  } else {
    const auto hi = static_cast<uint16_t>(ip->value() >> 112);
    if ((hi & 0xfe00) == 0xfc00 || (hi & 0xffc0) == 0xfe80) return {};  // ULA, link-local
  }
  return ip->str();
}

nlohmann::json forward_evidence(const Forward& f) {
  nlohmann::json e = {{"via", "upnp-igd"},
                      {"router", f.router},
                      {"external_port", f.external_port},
                      {"protocol", f.protocol},
                      {"internal_port", f.internal_port}};
  if (!f.external_ip.empty()) e["external_ip"] = f.external_ip;
  if (!f.remote_host.empty()) e["remote_host"] = f.remote_host;
  return e;
}

}  // namespace mamori::policy
