#include "report/records.h"

#include <chrono>
#include <ctime>
#include <random>

#include <fmt/format.h>

namespace mamori {

std::string rfc3339_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_scan_id() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  return fmt::format("{}-{:08x}", buf, rd());
}

nlohmann::json scan_start_record(const ScanStartInfo& info) {
  nlohmann::json j = {{"type", "scan"},       {"scan_id", info.scan_id},
                      {"phase", "start"},     {"time", rfc3339_now()},
                      {"version", kMamoriVersion}, {"targets", info.targets},
                      {"ports", info.ports},  {"seed", info.seed},
                      {"shard", info.shard},  {"stages", info.stages},
                      {"addresses", info.address_count}};
  if (!info.vantage.empty()) j["vantage"] = info.vantage;
  return j;
}

nlohmann::json scan_end_record(const ScanEndInfo& info) {
  nlohmann::json j = {{"type", "scan"},
          {"scan_id", info.scan_id},
          {"phase", "end"},
          {"time", rfc3339_now()},
          {"version", kMamoriVersion},
          {"targets", info.targets},
          {"ports", info.ports},
          {"complete", info.complete},
          {"stats",
           {{"hosts_scanned", info.hosts_scanned},
            {"ports_open", info.ports_open},
            {"duration_s", info.duration_s},
            {"packets_sent", info.packets_sent}}}};
  if (info.services) j["stats"]["services"] = *info.services;
  if (info.devices) j["stats"]["devices"] = *info.devices;
  if (info.login_attempts) j["stats"]["login_attempts"] = *info.login_attempts;
  if (info.findings) j["stats"]["findings"] = *info.findings;
  return j;
}

nlohmann::json port_record(const std::string& scan_id, const PortObservation& p,
                           const std::string& hostname) {
  nlohmann::json j = {{"type", "port"},
                      {"scan_id", scan_id},
                      {"ip", p.ip.str()},
                      {"port", p.port},
                      {"proto", proto_name(p.proto)},
                      {"state", port_state_name(p.state)},
                      {"rtt_ms", static_cast<double>(static_cast<int64_t>(p.rtt_ms * 1000)) / 1000}};
  if (!hostname.empty()) j["hostname"] = hostname;
  return j;
}

nlohmann::json service_record(const std::string& scan_id, const ServiceObservation& s) {
  nlohmann::json j = {{"type", "service"}, {"scan_id", scan_id}, {"ip", s.ip.str()},
                      {"port", s.port},    {"proto", proto_name(s.proto)}, {"service", s.service},
                      {"tls", s.tls},      {"behaviour", s.behaviour}};
  if (!s.product.empty()) j["product"] = s.product;
  if (!s.version.empty()) j["version"] = s.version;
  if (!s.vendor.empty()) j["vendor"] = s.vendor;
  if (auto it = s.fields.find("banner"); it != s.fields.end()) j["banner"] = it->second;
  nlohmann::json ev = nlohmann::json::object();
  for (const auto& [k, v] : s.fields) {
    if (k != "banner") ev[k] = v;
  }
  if (!ev.empty()) j["evidence"] = ev;
  return j;
}

nlohmann::json device_record(const std::string& scan_id, const DeviceObservation& d,
                             const std::string& hostname) {
  nlohmann::json j = {{"type", "device"},
                      {"scan_id", scan_id},
                      {"ip", d.ip.str()},
                      {"category", d.category},
                      {"confidence", static_cast<double>(static_cast<int64_t>(d.confidence * 1000)) / 1000}};
  if (!d.vendor.empty()) j["vendor"] = d.vendor;
  if (!d.model.empty()) j["model"] = d.model;
  if (!d.firmware.empty()) j["firmware"] = d.firmware;
  if (!d.evidence.empty()) j["evidence"] = d.evidence;
  if (!d.alive_by.empty()) j["alive_by"] = d.alive_by;
  if (!d.mac.empty()) j["mac"] = d.mac;
  if (!d.mac_vendor.empty()) j["mac_vendor"] = d.mac_vendor;
  if (!hostname.empty()) j["hostname"] = hostname;
  return j;
}

nlohmann::json credential_record(const std::string& scan_id, const creds::ServiceAudit& a,
                                 bool reveal) {
  const auto& s = a.service;
  nlohmann::json j = {{"type", "credential"}, {"scan_id", scan_id}, {"ip", s.ip.str()},
                      {"port", s.port},       {"proto", proto_name(s.proto)},
                      {"service", s.service}, {"checker", a.checker},
                      {"outcome", a.outcome}, {"attempts", a.attempts}};
  if (a.outcome == "accepted" && a.accepted) {
    j["username"] = a.accepted->username;
    j["password"] = redact_secret(a.accepted->password, reveal);
    j["list"] = a.accepted->list;
    if (!a.accepted->source.empty()) j["source"] = a.accepted->source;
    j["negative_control"] = a.control_passed ? "refused" : "not run";
  }
  if (!a.detail.empty()) j["detail"] = a.detail;
  if (!a.open.empty()) {
    nlohmann::json open = nlohmann::json::array();
    for (const auto& o : a.open) open.push_back({{"check_id", o.check_id}, {"detail", o.detail}});
    j["open_access"] = open;
  }
  if (!a.evidence.empty()) j["evidence"] = a.evidence;
  return j;
}

nlohmann::json finding_record(const std::string& scan_id, const Finding& f) {
  nlohmann::json j = {{"type", "finding"},         {"scan_id", scan_id},
                      {"ip", f.ip.str()},          {"check_id", f.check_id},
                      {"severity", f.severity},    {"cia", f.cia},
                      {"requirements", f.requirements}, {"evidence", f.evidence}};
  if (f.port) j["port"] = *f.port;
  if (!f.service.empty()) j["service"] = f.service;
  if (!f.title.empty()) j["title"] = f.title;
  if (!f.title_ja.empty()) j["title_ja"] = f.title_ja;
  return j;
}

nlohmann::json tls_record(const std::string& scan_id, const tls::TlsReport& r) {
  std::vector<std::string> accepted;
  nlohmann::json probes = nlohmann::json::array();
  for (const auto& v : r.versions) {
    if (v.status == "accepted") accepted.push_back(v.version);
    nlohmann::json p = {{"version", v.version}, {"status", v.status}};
    if (!v.cipher.empty()) p["cipher"] = v.cipher;
    if (!v.detail.empty()) p["detail"] = v.detail;
    probes.push_back(p);
  }
  nlohmann::json cert = nlohmann::json::object();
  if (r.cert) {
    const auto& c = *r.cert;
    cert = {{"subject", c.subject},       {"issuer", c.issuer},         {"self_signed", c.self_signed},
            {"not_before", c.not_before}, {"not_after", c.not_after},   {"expired", c.expired},
            {"key_type", c.key_type},     {"key_bits", c.key_bits},     {"sig_alg", c.sig_alg},
            {"sha256", c.sha256},         {"spki_sha256", c.spki_sha256}, {"sans", c.sans},
            {"chain_length", c.chain_length}};
  }
  nlohmann::json weak = nlohmann::json::array();
  for (const auto& w : r.weak_suites) {
    weak.push_back({{"category", w.category}, {"suite", w.suite}, {"version", w.version}});
  }
  nlohmann::json j = {{"type", "tls"},   {"scan_id", scan_id}, {"ip", r.ip.str()},
                      {"port", r.port},  {"versions", accepted}, {"cert", cert},
                      {"probes", probes}, {"weak_suites", weak}, {"behaviour", r.behaviour}};
  if (!r.service.empty()) j["service"] = r.service;
  if (!r.starttls.empty()) j["starttls"] = r.starttls;  // "ftp": reached through AUTH TLS; absent: implicit TLS
  if (!r.sni.empty()) j["sni"] = r.sni;
  if (!r.weak_not_tested.empty()) j["weak_not_tested"] = r.weak_not_tested;
  return j;
}

}  // namespace mamori
