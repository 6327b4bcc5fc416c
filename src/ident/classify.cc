#include "ident/classify.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include "ident/catalog_internal.h"
#include "ident/evidence_keys.h"

namespace mamori::ident {
namespace {

using Compiled = FingerprintCatalog::Compiled;

// The values one service offers to the rules, by evidence key index.
struct Record {
  std::string port_text;
  std::string service_text;  // a copy: enrichment renames the observation's service
  std::vector<std::pair<uint16_t, std::string_view>> values;

  std::string_view get(uint16_t key, bool* present) const {
    for (const auto& [k, v] : values) {
      if (k == key) {
        *present = true;
        return v;
      }
    }
    *present = false;
    return {};
  }
};

uint16_t key_of(std::string_view name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, uint16_t>();
    auto keys = evidence_keys();
    for (uint16_t i = 0; i < keys.size(); ++i) m->emplace(keys[i].name, i);
    return m;
  }();
  auto it = index->find(name);
  return it == index->end() ? UINT16_MAX : it->second;
}

std::string_view bounded(std::string_view v) { return v.substr(0, std::min(v.size(), kMaxEvidenceValue)); }

void build_record(const ServiceObservation* s, const HostFacts& host, Record& rec) {
  static const uint16_t kPort = key_of("port"), kService = key_of("service"), kProto = key_of("proto"),
                        kTls = key_of("tls"), kMac = key_of("mac.vendor");
  rec.values.clear();
  if (s) {
    rec.port_text = std::to_string(s->port);
    rec.values.emplace_back(kPort, rec.port_text);
    rec.service_text = bounded(s->service);
    rec.values.emplace_back(kService, rec.service_text);
    rec.values.emplace_back(kProto, s->proto == Proto::udp ? std::string_view("udp") : std::string_view("tcp"));
    rec.values.emplace_back(kTls, s->tls ? std::string_view("true") : std::string_view("false"));
    for (const auto& [k, v] : s->fields) {
      uint16_t idx = key_of(k);
      if (idx == UINT16_MAX || evidence_keys()[idx].scope != KeyScope::field) continue;
      rec.values.emplace_back(idx, bounded(v));
    }
  }
  if (!host.mac_vendor.empty()) rec.values.emplace_back(kMac, bounded(host.mac_vendor));
}

// Rule indices whose every clause matched `rec`, in catalog order.
std::vector<uint32_t> match_record(const Compiled& c, const Record& rec) {
  std::vector<uint16_t> hits(c.rules.size(), 0);
  std::vector<uint32_t> matched;
  std::vector<int> set_hits;
  auto hit = [&](const ClauseRef& ref) {
    if (++hits[ref.rule] == c.compiled[ref.rule].clause_count) matched.push_back(ref.rule);
  };
  for (const auto& [key, value] : rec.values) {
    const KeyMatcher& km = c.keys[key];
    if (km.refs.empty()) continue;
    bool fallback = !km.set;
    if (!fallback) {
      set_hits.clear();
      RE2::Set::ErrorInfo err{RE2::Set::kNoError};
      if (km.set->Match(value, &set_hits, &err)) {
        for (int i : set_hits) hit(km.refs[static_cast<size_t>(i)]);
      } else if (err.kind != RE2::Set::kNoError) {
        fallback = true;  // the DFA ran out of memory: match one pattern at a time
      }
    }
    if (fallback) {
      for (const auto& ref : km.refs) {
        if (RE2::PartialMatch(value, *c.compiled[ref.rule].clause_re[ref.clause])) hit(ref);
      }
    }
  }
  std::sort(matched.begin(), matched.end());
  return matched;
}

// Enrichment order: evidence from the device's own words first, then weight, then catalog order.
bool service_stronger(const Rule& a, const Rule& b) {
  if (a.specificity() != b.specificity()) return a.specificity() > b.specificity();
  if (a.weight != b.weight) return a.weight > b.weight;
  return a.order < b.order;
}

// Device order: weight first.
bool device_stronger(const Rule& a, const Rule& b) {
  if (a.weight != b.weight) return a.weight > b.weight;
  if (a.specificity() != b.specificity()) return a.specificity() > b.specificity();
  return a.order < b.order;
}

std::string render(const Compiled& c, uint32_t ri, TemplateField f, const Record& rec) {
  const auto& pieces = c.compiled[ri].templates[f];
  const Rule& rule = c.rules[ri];
  std::string out;
  for (const auto& p : pieces) {
    if (p.group == 0) {
      out += p.literal;
      continue;
    }
    for (size_t ci = 0; ci < rule.match.size(); ++ci) {
      if (rule.match[ci].key != p.key) continue;
      bool present = false;
      std::string_view text = rec.get(rule.match[ci].key_index, &present);
      if (!present) break;
      const RE2& re = *c.compiled[ri].clause_re[ci];
      std::vector<re2::StringPiece> sub(static_cast<size_t>(p.group) + 1);
      if (re.Match(text, 0, text.size(), RE2::UNANCHORED, sub.data(), static_cast<int>(sub.size())) &&
          sub[static_cast<size_t>(p.group)].data() != nullptr) {
        out.append(sub[static_cast<size_t>(p.group)].data(), sub[static_cast<size_t>(p.group)].size());
      }
      break;
    }
    if (out.size() > kMaxRenderedValue) break;
  }
  if (out.size() > kMaxRenderedValue) out.resize(kMaxRenderedValue);
  // Trim the blanks a template may leave around an empty group.
  size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  size_t e = out.find_last_not_of(' ');
  return out.substr(b, e - b + 1);
}

bool speaks_of_service(const Rule& r) {
  for (const auto& cl : r.match) {
    if (evidence_keys()[cl.key_index].scope != KeyScope::host) return true;
  }
  return false;
}

void enrich(const Compiled& c, const std::vector<uint32_t>& matched, const Record& rec, ServiceObservation& s) {
  std::vector<uint32_t> order;
  for (uint32_t ri : matched) {
    if (speaks_of_service(c.rules[ri])) order.push_back(ri);
  }
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return service_stronger(c.rules[a], c.rules[b]); });
  auto first = [&](TemplateField f, std::string* out, uint32_t* from) {
    for (uint32_t ri : order) {
      if (!c.compiled[ri].has[f]) continue;
      std::string v = render(c, ri, f, rec);
      if (v.empty()) continue;
      *out = std::move(v);
      if (from) *from = ri;
      return true;
    }
    return false;
  };
  std::string v;
  if (first(kService, &v, nullptr)) s.service = v;
  if (first(kVendor, &v, nullptr)) s.vendor = v;
  uint32_t from = 0;
  if (first(kProduct, &v, &from)) {
    if (v != s.product) s.version.clear();
    s.product = v;
    if (c.compiled[from].has[kVersion]) {
      std::string ver = render(c, from, kVersion, rec);
      if (!ver.empty()) s.version = ver;
    }
  }
}

// Where identification fetched the host's UPnP description: the port of a same-host LOCATION in
// an SSDP answer whose description was read and parsed (upnp.fetch "ok").
struct Described {
  uint16_t port = 0;  // 0: none
  std::string location;
  const ServiceObservation* ssdp = nullptr;
};

Described described_upnp(const std::vector<ServiceObservation>& services) {
  static const RE2 kSameHostPort(R"(^(?i:http)://([^/:@\[\]]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(?:[/?#]|$))");
  for (const auto& s : services) {
    if (s.proto != Proto::udp || s.service != "ssdp") continue;
    auto fetch = s.fields.find("upnp.fetch");
    auto loc = s.fields.find("ssdp.location");
    if (fetch == s.fields.end() || fetch->second != "ok" || loc == s.fields.end()) continue;
    std::string host, port;
    if (!RE2::PartialMatch(loc->second, kSameHostPort, &host, &port)) continue;
    if (host.starts_with("[")) host = host.substr(1, host.size() - 2);
    auto ip = Ip::parse(host);
    if (!ip || !(*ip == s.ip)) continue;
    unsigned long p = port.empty() ? 80 : std::stoul(port);
    if (p >= 1 && p <= 65535) return {static_cast<uint16_t>(p), loc->second, &s};
  }
  return {};
}

}  // namespace

void name_upnp_services(std::vector<ServiceObservation>& services) {
  const Described d = described_upnp(services);
  if (d.port == 0) return;
  bool seen = false;
  for (auto& s : services) {
    if (s.proto != Proto::tcp || s.port != d.port) continue;
    seen = true;
    if (s.service == "http") s.service = "upnp";
  }
  if (seen) return;
  // A port outside the swept set: the description fetched from it proves an open UPnP server.
  ServiceObservation upnp;
  upnp.ip = d.ssdp->ip;
  upnp.port = d.port;
  upnp.proto = Proto::tcp;
  upnp.service = "upnp";
  upnp.fields["upnp.location"] = d.location;
  services.push_back(std::move(upnp));
}

ServiceMatch match_service(const FingerprintCatalog& catalog, const ServiceObservation& service, const HostFacts& host) {
  const Compiled& c = catalog.compiled();
  Record rec;
  build_record(&service, host, rec);
  ServiceMatch m;
  m.rules = match_record(c, rec);
  std::sort(m.rules.begin(), m.rules.end(),
            [&](uint32_t a, uint32_t b) { return device_stronger(c.rules[a], c.rules[b]); });
  return m;
}

DeviceObservation classify(const FingerprintCatalog& catalog, const Ip& ip, std::vector<ServiceObservation>& services,
                           const HostFacts& host) {
  const Compiled& c = catalog.compiled();
  DeviceObservation dev;
  dev.ip = ip;

  // Each distinct matched rule and the record it matched first (for its capture groups).
  std::vector<Record> records(services.empty() ? 1 : services.size());
  std::vector<int> first_record(c.rules.size(), -1);
  std::vector<uint32_t> distinct;
  auto note = [&](const std::vector<uint32_t>& matched, int rec) {
    for (uint32_t ri : matched) {
      if (first_record[ri] < 0) {
        first_record[ri] = rec;
        distinct.push_back(ri);
      }
    }
  };
  if (services.empty()) {
    build_record(nullptr, host, records[0]);
    note(match_record(c, records[0]), 0);
  }
  for (size_t i = 0; i < services.size(); ++i) {
    build_record(&services[i], host, records[i]);
    std::vector<uint32_t> matched = match_record(c, records[i]);
    note(matched, static_cast<int>(i));
    // The record views services[i].fields (left unchanged) and its own copies of the rest.
    enrich(c, matched, records[i], services[i]);
  }

  // Category scores: over every voting rule (all), and over the rules that speak of a service
  // (svc: not the MAC vendor alone). When any service evidence voted, the category is decided by
  // it, MAC rules only breaking ties and adding to the confidence: a MAC prefix never overrides
  // what the device's services said.
  const auto& cats = device_categories();
  std::vector<double> keep(cats.size(), 1.0), keep_svc(cats.size(), 1.0);  // prod(1 - weight)
  std::vector<double> strongest(cats.size(), 0.0);
  std::vector<bool> voted(cats.size(), false);
  bool any_svc = false;
  for (uint32_t ri : distinct) {
    const Rule& r = c.rules[ri];
    if (r.category.empty()) continue;
    size_t ci = static_cast<size_t>(std::find(cats.begin(), cats.end(), r.category) - cats.begin());
    keep[ci] *= 1.0 - r.weight;
    if (speaks_of_service(r)) {
      keep_svc[ci] *= 1.0 - r.weight;
      any_svc = true;
    }
    strongest[ci] = std::max(strongest[ci], r.weight);
    voted[ci] = true;
  }
  int best = -1;
  double best_score = 0, best_svc = 0;
  for (size_t ci = 0; ci < cats.size(); ++ci) {
    if (!voted[ci]) continue;
    const double score = 1.0 - keep[ci], svc = 1.0 - keep_svc[ci];
    bool better;
    if (best < 0) {
      better = true;
    } else if (any_svc && std::fabs(svc - best_svc) > 1e-9) {
      better = svc > best_svc;
    } else if (std::fabs(score - best_score) > 1e-9) {
      better = score > best_score;
    } else {
      better = strongest[ci] > strongest[static_cast<size_t>(best)] + 1e-9;
    }
    if (better) {
      best = static_cast<int>(ci);
      best_score = score;
      best_svc = svc;
    }
  }

  std::sort(distinct.begin(), distinct.end(),
            [&](uint32_t a, uint32_t b) { return device_stronger(c.rules[a], c.rules[b]); });
  for (uint32_t ri : distinct) dev.evidence.push_back(c.rules[ri].id);
  if (best >= 0) {
    dev.category = cats[static_cast<size_t>(best)];
    dev.confidence = std::clamp(best_score, 0.0, 1.0);
  }

  // Device facts: from the rules voting for the chosen category, then from rules that vote for
  // none (device-neutral facts such as an ECHONET manufacturer code); never from rules voting
  // for another category.
  auto pick = [&](TemplateField f, std::string& out) {
    for (int pass = 0; pass < 2; ++pass) {
      for (uint32_t ri : distinct) {
        const Rule& r = c.rules[ri];
        if (!c.compiled[ri].has[f]) continue;
        if (pass == 0 ? (best < 0 || r.category != dev.category) : !r.category.empty()) continue;
        std::string v = render(c, ri, f, records[static_cast<size_t>(first_record[ri])]);
        if (v.empty()) continue;
        out = std::move(v);
        return;
      }
    }
  };
  pick(kVendor, dev.vendor);
  pick(kModel, dev.model);
  pick(kFirmware, dev.firmware);
  name_upnp_services(services);
  return dev;
}

}  // namespace mamori::ident
