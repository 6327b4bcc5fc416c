#include "policy/evaluate.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/json_fields.h"

namespace mamori::policy {
namespace {

using nlohmann::json;

const char* const kLevels[] = {"info", "low", "medium", "high", "critical"};

int level_of(const std::string& s) {
  for (int i = 0; i < 5; ++i) {
    if (s == kLevels[i]) return i;
  }
  return 2;  // an unknown severity is judged as medium
}

// The port of a record, -1 when it has none (core/json_fields.h reads it).
int port_of(const json& j) { return static_cast<int>(field_port(j).value_or(-1)); }

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// A service's "name/port" for reasons.
std::string label(const json& s) {
  return fmt::format("{} on {}/{}", field_str(s, "service"), port_of(s), field_str(s, "proto").empty() ? "tcp" : field_str(s, "proto"));
}

const std::set<std::string> kConcluded = {"accepted", "no_auth_required", "rejected_all"};

// The audited services that offer a password login (a checker that found no login to try marks
// its record evidence.skip = login-not-offered: an HTTP page without login, SSH with keys only).
std::vector<const json*> login_services(const DeviceRecords& d) {
  std::vector<const json*> out;
  for (const auto& c : d.credentials) {
    auto ev = c.find("evidence");
    if (ev != c.end() && ev->is_object() && ev->value("skip", "") == "login-not-offered") continue;
    out.push_back(&c);
  }
  return out;
}

struct Status {
  std::string status;
  std::string reason;
};

// The evidence predicate of a network requirement that no finding failed.
Status evidence_status(Evidence e, const DeviceRecords& d, const Category* cat, const EvalOptions& o,
                       const std::string& category_id) {
  switch (e) {
    case Evidence::none:
      return {"not_verifiable", "no network observation can show this is met; nothing failing it was seen"};
    case Evidence::credential_audit:
    case Evidence::authentication: {
      if (!o.audit_ran) return {"not_verifiable", "the credential audit did not run"};
      std::vector<const json*> logins = login_services(d);
      if (e == Evidence::credential_audit) {
        // A service that needs no login uses no password: the authentication requirements
        // judge it (no-authentication), not the password ones.
        std::erase_if(logins, [](const json* c) { return field_str(*c, "outcome") == "no_auth_required"; });
      }
      if (logins.empty()) {
        return {"not_applicable", "no password login service was found on the scanned ports"};
      }
      std::vector<std::string> open;
      for (const json* cp : logins) {
        const json& c = *cp;
        if (!kConcluded.count(field_str(c, "outcome"))) {
          open.push_back(fmt::format("{} on port {} ({})", field_str(c, "service"), port_of(c), field_str(c, "outcome")));
        }
      }
      if (!open.empty()) return {"not_verifiable", "the audit did not conclude on: " + join(open)};
      return {"pass", e == Evidence::credential_audit
                          ? fmt::format("every password login service ({}) was audited; none accepted a known "
                                        "default or weak password",
                                        logins.size())
                          : fmt::format("every login service ({}) was audited; each asked for credentials and "
                                        "refused the known ones",
                                        logins.size())};
    }
    case Evidence::lockout: {
      if (!o.audit_ran) return {"not_verifiable", "the credential audit did not run"};
      if (login_services(d).empty()) {
        return {"not_applicable", "no password login service was found on the scanned ports"};
      }
      for (const auto& c : d.credentials) {
        if (field_str(c, "outcome") == "lockout_suspected") {
          return {"pass", fmt::format("{} on port {} locked out or slowed repeated wrong passwords",
                                      field_str(c, "service"), port_of(c))};
        }
      }
      return {"not_verifiable",
              "no lockout or back-off was observed within the audit's bounded attempts; the brute-force test "
              "(`mamori creds --test-lockout`) decides"};
    }
    case Evidence::tls_analysis: {
      if (!o.posture_ran) return {"not_verifiable", "TLS analysis did not run"};
      if (d.tls.empty()) return {"not_verifiable", "no TLS service was found to analyse"};
      return {"pass", fmt::format("{} TLS service(s) analysed with no weak protocol, cipher, key or certificate",
                                  d.tls.size())};
    }
    case Evidence::port_inventory: {
      if (d.services.empty()) return {"not_verifiable", "no open port was recorded"};
      std::vector<std::string> unexpected;
      for (const auto& s : d.services) {
        uint16_t port = static_cast<uint16_t>(std::max(0, port_of(s)));
        std::string proto = field_str(s, "proto").empty() ? "tcp" : field_str(s, "proto");
        if (o.manifest) {
          if (!o.manifest->ports.count({port, proto})) unexpected.push_back(label(s));
        } else if (!cat || !contains(cat->needs, field_str(s, "service"))) {
          unexpected.push_back(label(s));
        }
      }
      if (!unexpected.empty()) {
        return {"not_verifiable",
                fmt::format("open, and not known to be needed by a {}: {}; a maker's manifest (--manifest) decides",
                            category_id, join(unexpected))};
      }
      return {"pass", o.manifest ? "every open port found is in the maker's manifest"
                                 : fmt::format("every open port found is one a {} needs", category_id)};
    }
  }
  return {"not_verifiable", ""};
}

// A maker's YAML file (bounded: a manifest or declarations file is small).
Expected<YAML::Node> load_yaml(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return make_error(std::string("cannot read ") + what + " '" + path + "'");
  std::string text(64 * 1024 + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > 64 * 1024) return make_error(path + ": larger than 64 KiB");
  return YAML::Load(text);
}

}  // namespace

Expected<Manifest> Manifest::load(const std::string& path) {
  Manifest m;
  try {
    auto loaded = load_yaml(path, "manifest");
    if (!loaded) return loaded.error();
    YAML::Node root = *loaded;
    if (!root.IsMap()) return make_error(path + ": expected a mapping with `ports:`");
    for (const auto& kv : root) {
      const std::string& k = kv.first.Scalar();
      if (k != "model" && k != "vendor" && k != "ports") return make_error(path + ": unknown field '" + k + "'");
    }
    if (root["model"]) m.model = root["model"].as<std::string>();
    YAML::Node ports = root["ports"];
    if (!ports || !ports.IsSequence()) return make_error(path + ": `ports` must be a list like [80/tcp, 1900/udp]");
    for (const auto& p : ports) {
      std::string t = p.as<std::string>();
      std::string proto = "tcp";
      std::string num = t;
      if (auto slash = t.find('/'); slash != std::string::npos) {
        num = t.substr(0, slash);
        proto = t.substr(slash + 1);
      }
      char* end = nullptr;
      long v = num.empty() ? -1 : std::strtol(num.c_str(), &end, 10);
      if (num.empty() || *end != '\0' || v < 1 || v > 65535 || (proto != "tcp" && proto != "udp")) {
        return make_error(path + ": bad port '" + t + "' (expected PORT or PORT/tcp or PORT/udp)");
      }
      m.ports.insert({static_cast<uint16_t>(v), proto});
    }
  } catch (const YAML::Exception& e) {
    return make_error(path + ": " + e.what());
  }
  return m;
}

Expected<Declarations> Declarations::load(const std::string& path) {
  Declarations d;
  try {
    auto loaded = load_yaml(path, "declarations");
    if (!loaded) return loaded.error();
    YAML::Node root = *loaded;
    if (!root.IsMap()) return make_error(path + ": expected a mapping");
    for (const auto& kv : root) {
      const std::string& k = kv.first.Scalar();
      if (k != "vulnerability_contact" && k != "support_period" && k != "update_mechanism") {
        return make_error(path + ": unknown declaration '" + k +
                          "' (expected vulnerability_contact, support_period, update_mechanism)");
      }
      if (!kv.second.IsScalar() || kv.second.Scalar().empty()) return make_error(path + ": '" + k + "' needs a text");
      d.items[k] = kv.second.Scalar();
    }
  } catch (const YAML::Exception& e) {
    return make_error(path + ": " + e.what());
  }
  return d;
}

Scored score(const RiskTable& risk, const Category* category, const std::string& check_id, const std::string& base,
             const std::vector<std::string>& cia, const std::string& connection_form, const std::string& service) {
  for (const auto& o : risk.overrides) {
    if (o.check != check_id) continue;
    if (!o.connection_form.empty() && o.connection_form != connection_form) continue;
    if (!o.category.empty() && (!category || o.category != category->id)) continue;
    if (!o.service.empty() && o.service != service) continue;
    return {o.severity, o.reason};
  }
  int level = level_of(base);
  int shift = 0;
  std::vector<std::string> why;
  auto ex = risk.exposure.find(connection_form);
  if (ex != risk.exposure.end() && ex->second != 0) {
    shift += ex->second;
    why.push_back(fmt::format("{:+d} for connection form {}", ex->second, connection_form));
  }
  if (category && !cia.empty()) {
    bool all_low = true;
    std::vector<std::string> heavy;  // the check's dimensions the category weighs 3
    for (const auto& d : cia) {
      auto w = category->weights.find(d);
      int v = w == category->weights.end() ? 2 : w->second;
      if (v == 3) heavy.push_back(d);
      all_low = all_low && v == 1;
    }
    if (!heavy.empty()) {
      shift += 1;
      why.push_back(fmt::format("+1: a {} weighs {} highest", category->id, join(heavy, "/")));
    } else if (all_low) {
      shift -= 1;
      why.push_back(fmt::format("-1: a {} weighs {} lowest", category->id, join(cia, "/")));
    }
  }
  int v = std::clamp(level + shift, 0, 4);
  std::string reason = fmt::format("base {}", base.empty() ? "medium" : base);
  for (const auto& w : why) reason += ", " + w;
  if (level + shift != v) reason += " (clamped)";
  return {kLevels[v], reason};
}

Judgement judge_device(const PolicyCatalog& policy, const CheckCatalog& checks, const DeviceRecords& d,
                       const EvalOptions& o, const std::string& scan_id) {
  Judgement out;
  std::string ip = field_str(d.device, "ip");
  if (ip.empty() && !d.services.empty()) ip = field_str(d.services.front(), "ip");
  if (ip.empty() && !d.findings.empty()) ip = field_str(d.findings.front(), "ip");
  std::string category_id = field_str(d.device, "category");
  if (category_id.empty()) category_id = "unknown";
  const Category* cat = policy.category(category_id);
  std::string form = field_str(d.device, "connection_form");
  if (form.empty()) form = o.connection_form;
  out.connection_form_reason = field_str(d.device, "connection_form_reason");  // measured by `mamori exposure`
  // Which of its ports are known reachable from outside (forwarded, or a gateway's own service
  // answering on its external address), from `mamori exposure`'s evidence and the gateway's
  // mappings. With a measured form, a finding is scored in the form of its own port: on a
  // port-forwarded camera only the forwarded port is exposed, the rest is behind the NAT.
  std::set<int> forwarded_ports, outside_ports;
  bool gateway = false;
  if (auto ex = d.device.find("exposure"); ex != d.device.end() && ex->is_array()) {
    for (const auto& e : *ex) {
      const std::string kind = field_str(e, "kind");
      const int port = e.contains("internal_port") && e["internal_port"].is_number_integer() ? e["internal_port"].get<int>() : -1;
      if ((kind == "forwarded-service" || kind == "mapping") && port > 0) forwarded_ports.insert(port);
      if (kind == "gateway-service" && port > 0) outside_ports.insert(port);
      gateway = gateway || kind == "gateway";
    }
  }
  for (const auto& f : d.forwards) forwarded_ports.insert(f.internal_port);
  // A gateway holding a public external address is itself on the internet.
  for (const auto& s : d.services) {
    if (std::string ext = gateway_external_address(s); !ext.empty()) {
      gateway = true;
      if (form != "direct") {
        form = "direct";
        out.connection_form_reason = "it is the gateway: it holds the external address " + ext + " (" +
                                     gateway_claimed_address(s).via + ")";
      }
    }
  }
  // A mapping the gateway lists is measured evidence: it outranks a stated form, except
  // `direct` (the device's own address answers from outside, which is more exposed still).
  if (!d.forwards.empty() && form != "direct") {
    const Forward& f = d.forwards.front();
    out.connection_form_reason = fmt::format("the gateway {} forwards {}/{}{} to port {} (UPnP IGD){}", f.router,
                                             f.external_port, f.protocol,
                                             f.external_ip.empty() ? "" : " of " + f.external_ip, f.internal_port,
                                             d.forwards.size() > 1 ? fmt::format(" and {} more", d.forwards.size() - 1) : "");
    form = "port_forwarded";
  }
  out.connection_form = form;
  // The form a finding is scored in.
  auto form_of = [&](const json& f) -> std::string {
    const int port = port_of(f);
    if (port < 0) return form;
    if (form == "port_forwarded" && !forwarded_ports.empty()) {
      return forwarded_ports.count(port) ? "port_forwarded" : "nat_unreachable";
    }
    // A gateway's services seen from the LAN: whether they answer on its external address too
    // was not measured (an outside scan says so).
    if (form == "direct" && gateway) return outside_ports.count(port) ? "direct" : "unknown";
    return form;
  };

  // The policy's own findings: open ports the category or the manifest does not need.
  std::vector<json> findings;
  for (const auto& f : d.findings) {
    const std::string id = field_str(f, "check_id");
    // The policy's own findings are regenerated below from the evidence.
    if (id != "unneeded-port-open" && id != "udp-amplification" && id != "upnp-igd-exposed") findings.push_back(f);
  }
  if (const CheckInfo* info = checks.find("unneeded-port-open")) {
    for (const auto& s : d.services) {
      const std::string svc = field_str(s, "service");
      const int port = port_of(s);
      const std::string proto = field_str(s, "proto").empty() ? "tcp" : field_str(s, "proto");
      std::string reason;
      if (o.manifest) {
        if (!o.manifest->ports.count({static_cast<uint16_t>(std::max(0, port)), proto})) {
          reason = fmt::format("{}/{} is not in the maker's manifest{}", port, proto,
                               o.manifest->model.empty() ? "" : " for " + o.manifest->model);
        }
      } else if (cat && contains(cat->unneeded, svc)) {
        reason = fmt::format("a {} does not need {} (categories.yaml)", category_id, svc);
      }
      if (reason.empty()) continue;
      json f = {{"type", "finding"}, {"scan_id", scan_id}, {"ip", ip}, {"port", port}, {"service", svc},
                {"check_id", info->id}, {"severity", info->severity}, {"cia", info->cia},
                {"requirements", info->requirements}, {"title", info->title}, {"title_ja", info->title_ja},
                {"evidence", {{"proto", proto}, {"reason", reason}}}};
      findings.push_back(std::move(f));
    }
  }

  // Exposure and harm-to-others findings read from the services' own evidence.
  auto ev_num = [](const json& s, const char* key) -> double {
    auto ev = s.find("evidence");
    if (ev == s.end() || !ev->is_object()) return -1;
    auto it = ev->find(key);
    if (it == ev->end() || !it->is_string()) return -1;
    try {
      return std::stod(it->get<std::string>());
    } catch (...) {
      return -1;
    }
  };
  auto add_finding = [&](const char* check, const json& s, json evidence) {
    const CheckInfo* info = checks.find(check);
    if (!info) return;
    for (const auto& f : findings) {
      if (field_str(f, "check_id") == check && port_of(f) == port_of(s)) return;  // already reported
    }
    findings.push_back({{"type", "finding"}, {"scan_id", scan_id}, {"ip", ip}, {"port", port_of(s)},
                        {"service", field_str(s, "service")}, {"check_id", info->id}, {"severity", info->severity},
                        {"cia", info->cia}, {"requirements", info->requirements}, {"title", info->title},
                        {"title_ja", info->title_ja}, {"evidence", std::move(evidence)}});
  };
  for (const auto& s : d.services) {
    double req = ev_num(s, "udp.request_bytes"), reply = ev_num(s, "udp.reply_bytes");
    double sent = std::max(1.0, ev_num(s, "udp.requests"));
    if (req > 0 && reply > 0 && reply / (req * sent) >= policy.risk().amplification_min_ratio) {
      double ratio = reply / (req * sent);
      add_finding("udp-amplification", s,
                  {{"request_bytes", static_cast<int64_t>(req * sent)}, {"reply_bytes", static_cast<int64_t>(reply)},
                   {"ratio", std::round(ratio * 10) / 10}});
    }
    auto ev = s.find("evidence");
    if (ev != s.end() && ev->is_object() && ev->contains("upnp.igd_control")) {
      add_finding("upnp-igd-exposed", s,
                  {{"control_url", ev->value("upnp.igd_control", "")}, {"control_port", ev->value("upnp.igd_port", "")}});
    }
  }

  for (const auto& fw : d.forwards) {
    json s = {{"port", fw.internal_port}, {"service", ""}};
    for (const auto& svc : d.services) {
      if (port_of(svc) == fw.internal_port && (field_str(svc, "proto").empty() ? "tcp" : field_str(svc, "proto")) == fw.protocol) {
        s["service"] = field_str(svc, "service");
      }
    }
    add_finding("port-forwarded-service", s, forward_evidence(fw));
  }

  // Re-score every finding by the risk table.
  std::map<std::string, std::vector<json*>> by_check;
  for (auto& f : findings) {
    const std::string id = field_str(f, "check_id");
    const CheckInfo* info = checks.find(id);
    std::string base = info ? info->severity : field_str(f, "severity");
    std::vector<std::string> cia = info ? info->cia : std::vector<std::string>{};
    if (!info && f.contains("cia") && f["cia"].is_array()) {
      for (const auto& c : f["cia"]) {
        if (c.is_string()) cia.push_back(c.get<std::string>());
      }
    }
    Scored s = score(policy.risk(), cat, id, base, cia, form_of(f), field_str(f, "service"));
    f["severity"] = s.severity;
    f["base_severity"] = base;
    f["severity_reason"] = s.reason;
    f["scan_id"] = scan_id;
    by_check[id].push_back(&f);
  }

  // Verdicts.
  for (const auto& q : policy.requirements()) {
    if (!o.standards.empty() && !o.standards.count(q.standard)) continue;
    Status st;
    std::vector<std::string> failing;
    for (const auto& c : q.fail_on) {
      if (by_check.count(c)) failing.push_back(c);
    }
    if (contains(q.not_for, category_id)) {
      st = {"not_applicable", "does not apply to a " + category_id};
    } else if (!failing.empty()) {
      std::vector<std::string> where;
      for (const auto& c : failing) {
        for (const json* f : by_check[c]) {
          int p = port_of(*f);
          where.push_back(p >= 0 ? fmt::format("{} ({} on {})", c, field_str(*f, "service"), p) : c);
        }
      }
      st = {"fail", join(where)};
    } else if (q.verification == Verification::documentation) {
      if (!q.declaration.empty() && o.declarations && o.declarations->items.count(q.declaration)) {
        st = {"declared", "stated by the maker, not verified: " + o.declarations->items.at(q.declaration)};
      } else {
        st = {"not_verifiable", q.confirmed ? "a documentation requirement: needs the maker's declaration"
                                            : "requirement text not confirmed; not judged"};
      }
    } else if (q.verification == Verification::network_with_owner_credentials) {
      st = {"not_verifiable", q.note.empty() ? "needs a test with the owner's credentials or consent" : q.note};
    } else {
      st = evidence_status(q.evidence, d, cat, o, category_id);
    }
    json v = {{"type", "verdict"}, {"scan_id", scan_id}, {"ip", ip}, {"requirement", q.id},
              {"status", st.status}, {"standard", q.standard}, {"verification", to_string(q.verification)}};
    if (!st.reason.empty()) v["reason"] = st.reason;
    if (!failing.empty()) v["findings"] = failing;
    out.verdicts.push_back(std::move(v));
  }
  out.findings = std::move(findings);
  return out;
}

}  // namespace mamori::policy
