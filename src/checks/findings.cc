#include "checks/findings.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace mamori {
namespace {

const std::set<std::string> kSeverities = {"critical", "high", "medium", "low", "info"};

bool is_shell(const std::string& service) { return service == "telnet" || service == "ssh"; }

}  // namespace

Expected<CheckCatalog> CheckCatalog::parse(const std::string& text, const std::string& name) {
  CheckCatalog cat;
  try {
    YAML::Node root = YAML::Load(text);
    YAML::Node checks = root["checks"];
    if (!checks || !checks.IsMap()) return make_error(name + ": no 'checks' mapping");
    for (auto it = checks.begin(); it != checks.end(); ++it) {
      CheckInfo c;
      c.id = it->first.as<std::string>();
      YAML::Node n = it->second;  // a copy: the iterator's pair is a temporary
      auto where = name + ": checks." + c.id + ": ";
      c.severity = n["severity"] ? n["severity"].as<std::string>() : "";
      if (!kSeverities.count(c.severity)) return make_error(where + "severity '" + c.severity + "' is not one of critical, high, medium, low, info");
      for (const auto& x : n["cia"]) {
        auto v = x.as<std::string>();
        if (v != "C" && v != "I" && v != "A") return make_error(where + "cia '" + v + "' is not C, I or A");
        c.cia.push_back(v);
      }
      for (const auto& x : n["requirements"]) c.requirements.push_back(x.as<std::string>());
      c.title = n["title"] ? n["title"].as<std::string>() : "";
      c.title_ja = n["title_ja"] ? n["title_ja"].as<std::string>() : "";
      if (c.title.empty() || c.title_ja.empty()) return make_error(where + "needs title and title_ja");
      cat.checks_[c.id] = std::move(c);
    }
  } catch (const YAML::Exception& e) {
    return make_error(name + ": " + e.what());
  }
  return cat;
}

Expected<CheckCatalog> CheckCatalog::load(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) return make_error("no *.yaml check catalog in " + path.string());
  } else {
    files.push_back(path);
  }
  CheckCatalog merged;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) return make_error("cannot read check catalog " + file.string());
    std::stringstream ss;
    ss << in.rdbuf();
    auto one = parse(ss.str(), file.string());
    if (!one) return one;
    for (auto& [id, info] : one->checks_) {
      if (merged.checks_.count(id) != 0) {
        return make_error("check '" + id + "' is defined twice (again in " + file.string() + ")");
      }
      merged.checks_.emplace(id, std::move(info));
    }
  }
  return merged;
}

const CheckInfo* CheckCatalog::find(const std::string& id) const {
  auto it = checks_.find(id);
  return it == checks_.end() ? nullptr : &it->second;
}

Finding make_finding(const CheckCatalog& catalog, const std::string& id, Ip ip, std::optional<uint16_t> port,
                     const std::string& service, nlohmann::json evidence) {
  Finding f;
  f.ip = ip;
  f.port = port;
  f.service = service;
  f.check_id = id;
  if (const CheckInfo* info = catalog.find(id)) {
    f.severity = info->severity;
    f.cia = info->cia;
    f.requirements = info->requirements;
    f.title = info->title;
    f.title_ja = info->title_ja;
  } else {
    f.severity = "medium";  // an id missing from the catalog: the catalog test catches it
  }
  f.evidence = std::move(evidence);
  return f;
}

std::string redact_secret(const std::string& secret, bool reveal) {
  if (reveal || secret.empty()) return secret;
  // keep the first UTF-8 character whole
  size_t n = 1;
  while (n < secret.size() && (static_cast<unsigned char>(secret[n]) & 0xC0) == 0x80) ++n;
  return secret.substr(0, n) + "***";
}

std::vector<Finding> audit_findings(const DeviceObservation& device,
                                    const std::vector<ServiceObservation>& services,
                                    const std::vector<creds::ServiceAudit>& audits,
                                    const CheckCatalog& catalog, bool reveal) {
  std::vector<Finding> out;
  std::set<std::pair<std::string, int>> seen;
  auto add = [&](const std::string& id, const ServiceObservation* s, nlohmann::json evidence,
                 std::string severity = "") {
    int port = s ? s->port : -1;
    if (!seen.emplace(id, port).second) return;
    Finding f = make_finding(catalog, id, device.ip, s ? std::optional<uint16_t>(s->port) : std::nullopt,
                             s ? s->service : std::string(), std::move(evidence));
    if (!severity.empty()) f.severity = severity;
    out.push_back(std::move(f));
  };

  for (const auto& a : audits) {
    const ServiceObservation* s = &a.service;
    for (const auto& o : a.open) {
      nlohmann::json ev = {{"detail", o.detail}};
      for (const auto& [k, v] : o.evidence) ev[k] = v;
      add(o.check_id, s, ev, o.check_id == "no-authentication" && is_shell(s->service) ? "critical" : "");
      // An open stream or broker is also the general "answers without authentication".
      if (o.check_id == "rtsp-stream-open" || o.check_id == "mqtt-anonymous") {
        add("no-authentication", s, ev);
      }
    }
    if (a.outcome == "accepted" && a.accepted) {
      nlohmann::json ev = {{"username", a.accepted->username},
                           {"password", redact_secret(a.accepted->password, reveal)},
                           {"list", a.accepted->list},
                           {"proof", a.detail},
                           {"negative_control", "a wrong password was refused"}};
      if (!a.accepted->source.empty()) ev["source"] = a.accepted->source;
      if (a.checker == "snmp") {
        ev.erase("username");
        ev["community"] = ev["password"];
        ev.erase("password");
        add("snmp-default-community", s, ev);
      } else {
        add("default-credential", s, ev, is_shell(s->service) ? "critical" : "");
      }
    } else if (a.outcome == "no_auth_required") {
      bool specific = std::any_of(a.open.begin(), a.open.end(), [](const creds::OpenAccess& o) {
        return o.check_id != "no-authentication";
      });
      if (!specific) {
        add("no-authentication", s, {{"detail", a.detail}}, is_shell(s->service) ? "critical" : "");
      }
    }
  }

  // From identification alone (and the audit's view of whether a login exists at all).
  auto open_service = [&](const ServiceObservation& s) {
    return std::any_of(audits.begin(), audits.end(), [&](const creds::ServiceAudit& a) {
      return a.service.port == s.port && a.service.proto == s.proto && a.outcome == "no_auth_required";
    });
  };
  for (const auto& s : services) {
    if (s.proto != Proto::tcp) continue;
    if (s.service == "telnet") {
      nlohmann::json ev = {{"port", s.port}};
      auto b = s.fields.find("telnet.banner");
      if (b != s.fields.end()) ev["banner"] = b->second;
      add("telnet-enabled", &s, ev);
      // A telnet login sends the password in clear; a shell without login is no-authentication.
      if (!open_service(s)) add("cleartext-admin", &s, {{"login", "telnet"}});
    }
    // RTSP Basic sends the password itself, as FTP does for a named account it accepted.
    auto rtsp_auth = s.fields.find("rtsp.auth");
    if (!s.tls && rtsp_auth != s.fields.end() && rtsp_auth->second == "basic") {
      add("cleartext-admin", &s, {{"login", "rtsp basic"}});
    }
    if (s.service == "ftp" && !s.tls) {
      bool named = std::any_of(audits.begin(), audits.end(), [&](const creds::ServiceAudit& a) {
        return a.service.port == s.port && a.outcome == "accepted" && a.accepted &&
               a.accepted->username != "anonymous" && a.accepted->username != "ftp";
      });
      if (named) add("cleartext-admin", &s, {{"login", "ftp USER/PASS"}});
    }
    // Basic and form logins send the password itself over plain HTTP (digest does not); a
    // plain-HTTP port that only redirects to HTTPS has no login of its own (auth "none").
    auto auth = s.fields.find("http.auth");
    if (!s.tls && auth != s.fields.end() && (auth->second == "basic" || auth->second == "form")) {
      nlohmann::json ev = {{"login", "http " + auth->second}};
      auto realm = s.fields.find("http.realm");
      if (realm != s.fields.end()) ev["realm"] = realm->second;
      add("cleartext-admin", &s, ev);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return a.port.value_or(0) < b.port.value_or(0);
  });
  return out;
}

}  // namespace mamori
