#include "checks/creds/coap/coap_checker.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>

namespace mamori::creds {
namespace {

namespace coap = proto::coap;

constexpr std::string_view kWellKnown = "/.well-known/core";
constexpr size_t kSampleBytes = 64;
constexpr size_t kRetryPrefixBytes = 4096;  // < kMaxLinks (1024) links of >= 5 bytes each

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> words) {
  for (auto w : words) {
    if (text.find(w) != std::string_view::npos) return true;
  }
  return false;
}

// A segment naming an action: a device that acts on GET (against RFC 7252) must not be
// triggered by an audit.
bool action_like(std::string_view path) {
  const std::string p = lower(path);
  if (contains_any(p, {"reboot", "reset", "restart", "factory", "upgrade", "update", "delete", "remove",
                       "shutdown", "poweroff", "erase", "format", "exec", "command", "trigger", "toggle",
                       "unlock", "flash", "install"})) {
    return true;
  }
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find_first_of("/?&=", start);
    std::string_view seg = std::string_view(p).substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (seg == "on" || seg == "off" || seg == "open" || seg == "close" || seg == "cmd" || seg == "set" ||
        seg == "write" || seg == "action") {
      return true;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

int rank(std::string_view path) {
  const std::string p = lower(path);
  if (contains_any(p, {"config", "conf", "setting", "admin", "network", "wifi", "wlan", "password", "passwd",
                       "credential", "secret", "key", "token", "user", "account", "system", "device", "info"})) {
    return 0;
  }
  if (contains_any(p, {"sensor", "temp", "data", "status", "value", "meter", "power", "energy", "light", "state",
                       "humid", "level", "battery", "location", "gps", "measure", "reading"})) {
    return 1;
  }
  return 2;
}

bool usable(std::string_view target) {
  if (target.size() < 2 || target.size() > kCoapMaxPathBytes || target[0] != '/' || target[1] == '/') return false;
  if (target.find("://") != std::string_view::npos || target.starts_with("/.well-known")) return false;
  for (unsigned char c : target) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return !action_like(target);
}

Expected<std::vector<coap::Link>> parse_links(std::string_view doc) {
  doc = doc.substr(0, kCoapMaxDocumentBytes);
  auto links = coap::parse_link_format(doc);
  // Cut off (first Block2 block, our size cap), more links than the codec takes, or one bad
  // link late in the list: the complete links of a shorter prefix are enough to choose from.
  for (size_t prefix : {doc.size(), kRetryPrefixBytes}) {
    if (links) break;
    const size_t comma = doc.substr(0, prefix).rfind(',');
    if (comma == std::string_view::npos) break;
    links = coap::parse_link_format(doc.substr(0, comma));
  }
  return links;
}

uint16_t random_u16(std::random_device& rd) { return static_cast<uint16_t>(rd()); }

std::string random_token(std::random_device& rd) {
  std::string t(4, '\0');
  for (auto& c : t) c = static_cast<char>(rd());
  return t;
}

}  // namespace

std::vector<std::string> coap_pick_resources(std::string_view link_format, size_t max) {
  auto links = parse_links(link_format);
  if (!links) return {};
  std::array<std::vector<std::string>, 3> groups;
  for (const auto& l : *links) {
    if (!usable(l.target)) continue;
    auto& g = groups[rank(l.target)];
    bool seen = false;
    for (const auto& grp : groups) seen = seen || std::find(grp.begin(), grp.end(), l.target) != grp.end();
    if (!seen) g.push_back(l.target);
  }
  std::vector<std::string> out;
  for (const auto& g : groups) {
    for (const auto& p : g) {
      if (out.size() >= max) return out;
      out.push_back(p);
    }
  }
  return out;
}

std::optional<coap::Message> coap_match_response(const std::vector<std::string>& replies, uint16_t message_id,
                                                 std::string_view token) {
  for (const auto& r : replies) {
    auto m = coap::decode(r);
    if (!m || (m->code >> 5) < 2 || m->token != token) continue;  // empty, a request, or not ours
    if (m->type == coap::Type::rst) continue;
    if (m->type == coap::Type::ack && m->message_id != message_id) continue;
    return std::move(*m);
  }
  return std::nullopt;
}

namespace {

// One confirmable GET and its piggybacked (or first separate) response. A CON keeps the
// exchange to one datagram each way with every server we know; an empty ACK announcing a
// separate response gets no second wait (the read then counts as not readable: no proof).
Task<std::optional<coap::Message>> get(const CheckTarget& t, std::string_view path, std::random_device& rd) {
  const uint16_t mid = random_u16(rd);
  const std::string token = random_token(rd);
  auto request = coap::encode_get(coap::Type::con, mid, token, path);
  if (!request) co_return std::nullopt;
  auto replies = co_await net::udp_exchange(t.ex, t.ip, t.port, std::move(*request), t.limits.io, 1,
                                            coap::kMaxMessageBytes);
  co_return coap_match_response(replies, mid, token);
}

class CoapChecker : public Checker {
 public:
  const CheckerInfo& info() const override {
    static const CheckerInfo i{"coap", "CoAP resources readable without DTLS/OSCORE (GET only)", {"coap"}, "login"};
    return i;
  }

  bool applies(const ServiceObservation& s) const override { return s.service == "coap" && !s.tls; }

  Task<OpenAccessResult> check_open(const CheckTarget& t) const override {
    OpenAccessResult out;
    std::random_device rd;
    out.attempts = 1;
    auto core = co_await get(t, kWellKnown, rd);
    if (!core || core->code != coap::kContent) co_return out;
    const auto paths = coap_pick_resources(core->payload);
    std::string readable, sample, refused;
    for (const auto& p : paths) {
      ++out.attempts;
      auto m = co_await get(t, p, rd);
      if (!m) continue;
      if (m->code == coap::kContent) {
        readable += (readable.empty() ? "" : ",") + net::printable(p, kCoapMaxPathBytes);
        if (sample.empty()) sample = net::printable(m->payload, kSampleBytes);
      } else if (m->code == coap::kUnauthorized || m->code == coap::kForbidden) {
        refused += (refused.empty() ? "" : ",") + net::printable(p, kCoapMaxPathBytes) + " " + coap::code_str(m->code);
      }
    }
    if (readable.empty()) co_return out;
    OpenAccess found{"no-authentication", "CoAP resources readable without DTLS/OSCORE", {}};
    found.evidence["resources"] = readable;
    found.evidence["code"] = "2.05";
    if (!sample.empty()) found.evidence["sample"] = sample;
    if (!refused.empty()) found.evidence["refused"] = refused;
    out.found.push_back(std::move(found));
    out.no_login_needed = true;
    co_return out;
  }

  Task<AttemptResult> attempt(const CheckTarget&, const Credential&) const override {
    AttemptResult r;
    r.outcome = Outcome::unsupported;
    r.detail = "CoAP has no passwords (access control is DTLS/OSCORE)";
    co_return r;
  }
};

}  // namespace

const Checker& coap_checker() {
  static const CoapChecker c;
  return c;
}

}  // namespace mamori::creds
