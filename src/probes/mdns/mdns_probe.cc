#include "probes/mdns/mdns_probe.h"

#include <algorithm>
#include <cctype>

#include "probes/mdns/dns.h"

namespace mamori::probes {
namespace {

constexpr std::string_view kServicesName = "_services._dns-sd._udp.local";
constexpr size_t kMaxItemBytes = 256;

uint16_t query_id(const ProbeContext& ctx, uint64_t salt) {
  uint64_t h = 1469598103934665603ull ^ salt;
  const u128 v = ctx.ip.value();
  for (int i = 0; i < 16; ++i) h = (h ^ static_cast<uint8_t>(v >> (8 * i))) * 1099511628211ull;
  const auto id = static_cast<uint16_t>((h ^ ctx.port) * 1099511628211ull);
  return id == 0 ? 1 : id;  // 0 is what multicast answers carry; ours is never 0
}

// A name we may put into a follow-up query: plain DNS-SD service type characters only.
bool plain_name(std::string_view n) {
  return !n.empty() && n.size() <= 200 && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// Bounded, comma-separated, case-insensitively distinct list.
class List {
 public:
  bool add(std::string_view raw) {
    std::string item = net::printable(raw, kMaxItemBytes);
    std::replace(item.begin(), item.end(), ',', ';');
    if (item.empty()) return false;
    for (const auto& r : raw_) {
      if (dns::same_name(r, raw)) return false;
    }
    if (text_.size() + item.size() + 1 > kMdnsMaxListBytes) return false;
    if (!text_.empty()) text_ += ',';
    text_ += item;
    raw_.emplace_back(raw);
    return true;
  }
  const std::string& text() const { return text_; }
  const std::vector<std::string>& raw() const { return raw_; }
  bool contains(std::string_view n) const {
    return std::any_of(raw_.begin(), raw_.end(), [&](const std::string& r) { return dns::same_name(r, n); });
  }

 private:
  std::string text_;
  std::vector<std::string> raw_;
};

// The well-formed responses among `replies` (our id, or 0 as some responders send).
std::vector<dns::Message> responses(const std::vector<std::string>& replies, uint16_t id) {
  std::vector<dns::Message> out;
  for (const auto& r : replies) {
    auto m = dns::parse(r);
    if (!m || !m->is_response() || (m->id != id && m->id != 0)) continue;
    out.push_back(std::move(*m));
  }
  return out;
}

template <class F>
void each_record(const dns::Message& m, F f) {
  for (const auto* s : {&m.answers, &m.additional}) {
    for (const auto& r : *s) f(r);
  }
}

std::string txt_text(const dns::Record& r) {
  std::string out;
  for (const auto& s : r.txt) {
    if (s.empty()) continue;
    std::string p = net::printable(s, kMaxItemBytes);
    std::replace(p.begin(), p.end(), ',', ' ');
    std::replace(p.begin(), p.end(), ';', ' ');
    if (!out.empty()) out += ';';
    out += p;
  }
  return out;
}

class MdnsProbe final : public UdpProbe {
 public:
  MdnsProbe() {
    info_.id = "mdns";
    info_.summary = "mDNS one-shot unicast query: DNS-SD service types, then their instances";
    info_.transport = Proto::udp;
    info_.default_ports = {dns::kMdnsPort};
  }
  const ProbeInfo& info() const override { return info_; }

  std::string request(const ProbeContext& ctx) const override {
    auto q = dns::encode_query(query_id(ctx, 1), {{std::string(kServicesName), dns::type::kPtr, dns::kClassIn, true}});
    return q ? *q : std::string();
  }

  std::optional<ServiceObservation> parse(const std::vector<std::string>& replies,
                                          const ProbeContext& ctx) const override {
    auto msgs = responses(replies, query_id(ctx, 1));
    if (msgs.empty()) return std::nullopt;
    ServiceObservation obs = make_service(ctx, "mdns");
    obs.proto = Proto::udp;
    List services;
    for (const auto& m : msgs) {
      each_record(m, [&](const dns::Record& r) {
        if (r.type == dns::type::kPtr && dns::same_name(r.name, kServicesName)) services.add(r.target);
      });
    }
    if (!services.text().empty()) obs.fields["mdns.services"] = services.text();
    return obs;
  }

  Task<void> follow_up(ServiceObservation& obs, const ProbeContext& ctx) const override {
    auto it = obs.fields.find("mdns.services");
    if (it == obs.fields.end()) co_return;
    std::vector<dns::Question> questions;
    size_t start = 0;
    const std::string& list = it->second;
    while (start <= list.size() && questions.size() < kMdnsMaxTypeQueries) {
      size_t comma = list.find(',', start);
      std::string type = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (plain_name(type)) questions.push_back({type, dns::type::kPtr, dns::kClassIn, true});
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (questions.empty()) co_return;
    const uint16_t id = query_id(ctx, 2);
    auto q = dns::encode_query(id, questions);
    if (!q) co_return;
    auto replies = co_await net::udp_exchange(ctx.ex, ctx.ip, ctx.port, *q, ctx.limits.io);
    List instances, txts;
    std::string hostname;
    for (const auto& m : responses(replies, id)) {
      each_record(m, [&](const dns::Record& r) {
        if (r.type != dns::type::kPtr) return;
        for (const auto& question : questions) {
          if (dns::same_name(r.name, question.name)) instances.add(r.target);
        }
      });
      each_record(m, [&](const dns::Record& r) {
        if (r.type == dns::type::kTxt) {
          if (auto t = txt_text(r); !t.empty()) txts.add(t);
        } else if (r.type == dns::type::kSrv && hostname.empty() && instances.contains(r.name)) {
          hostname = net::printable(r.target, kMaxItemBytes);
        }
      });
    }
    if (!instances.text().empty()) obs.fields["mdns.instances"] = instances.text();
    if (!txts.text().empty()) obs.fields["mdns.txt"] = txts.text();
    if (!hostname.empty()) obs.fields["mdns.hostname"] = hostname;
  }

 private:
  ProbeInfo info_;
};

}  // namespace

const UdpProbe& mdns_probe() {
  static const MdnsProbe p;
  return p;
}

}  // namespace mamori::probes
