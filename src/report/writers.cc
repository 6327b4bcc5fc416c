#include "report/writers.h"

#include <fmt/format.h>

namespace mamori {

void JsonlWriter::write(const nlohmann::json& record) {
  std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void TableWriter::write_host(const HostObservation& host) {
  std::string out;
  std::string name;
  if (names_ != nullptr) {
    if (auto it = names_->find(host.ip.value()); it != names_->end()) name = " (" + it->second + ")";
  }
  out += fmt::format("{}{}{}\n", host.ip.str(), name, host.complete ? "" : "  [incomplete: scan stopped]");
  out += fmt::format("  {:<11} {:<8} {:<14} {}\n", "PORT", "STATE", "SERVICE?", "RTT");
  for (const PortObservation& p : host.open) {
    std::string svc = catalog_ != nullptr ? catalog_->service_name(p.port, p.proto) : "";
    out += fmt::format("  {:<11} {:<8} {:<14} {:.1f} ms\n",
                       fmt::format("{}/{}", p.port, proto_name(p.proto)), port_state_name(p.state),
                       svc.empty() ? "-" : svc, p.rtt_ms);
  }
  if (host.closed + host.filtered > 0) {
    out += fmt::format("  ({} closed, {} filtered)\n", host.closed, host.filtered);
  }
  out += "\n";
  std::lock_guard lock(mu_);
  std::fputs(out.c_str(), out_);
  std::fflush(out_);
}

void TableWriter::write_device(const DeviceObservation& device,
                               const std::vector<ServiceObservation>& services) {
  std::string out;
  std::string name;
  if (names_ != nullptr) {
    if (auto it = names_->find(device.ip.value()); it != names_->end()) name = " (" + it->second + ")";
  }
  std::string who = device.vendor;
  if (!device.model.empty()) who += (who.empty() ? "" : " ") + device.model;
  out += fmt::format("{}{}  {} ({:.0f}%)  {}\n", device.ip.str(), name, device.category,
                     device.confidence * 100, who);
  out += fmt::format("  {:<11} {:<10} {:<28} {}\n", "PORT", "SERVICE", "PRODUCT", "EVIDENCE");
  for (const ServiceObservation& s : services) {
    std::string product = s.product;
    if (!s.version.empty()) product += " " + s.version;
    if (!s.vendor.empty() && product.find(s.vendor) == std::string::npos) product = s.vendor + " " + product;
    std::string ev;
    for (const char* key : {"http.title", "http.realm", "http.auth", "rtsp.auth", "telnet.prompt",
                            "mqtt.connack", "snmp.sysdescr", "upnp.model", "echonet.classes"}) {
      if (auto it = s.fields.find(key); it != s.fields.end() && !it->second.empty()) {
        std::string_view k = key;
        ev += fmt::format("{}{}={}", ev.empty() ? "" : " ", k.substr(k.find('.') + 1),
                          it->second.substr(0, 40));
      }
    }
    if (ev.empty() && s.behaviour != "ok") ev = s.behaviour;
    out += fmt::format("  {:<11} {:<10} {:<28} {}\n",
                       fmt::format("{}/{}", s.port, proto_name(s.proto)), s.service,
                       product.substr(0, 28), ev);
  }
  out += "\n";
  std::lock_guard lock(mu_);
  std::fputs(out.c_str(), out_);
  std::fflush(out_);
}

void TableWriter::write_audit(const DeviceObservation& device,
                              const std::vector<creds::ServiceAudit>& audits,
                              const std::vector<Finding>& findings, bool reveal) {
  if (audits.empty() && findings.empty()) return;
  unsigned attempts = 0;
  for (const auto& a : audits) attempts += a.attempts;
  std::string out = fmt::format("{}  audit: {} service(s), {} login attempt(s)\n", device.ip.str(),
                                audits.size(), attempts);
  for (const auto& a : audits) {
    std::string what = a.detail;
    if (a.outcome == "accepted" && a.accepted) {
      what = fmt::format("{}/{} ({})  {}", a.accepted->username.empty() ? "-" : a.accepted->username,
                         redact_secret(a.accepted->password, reveal), a.accepted->list, a.detail);
    }
    out += fmt::format("  {:<11} {:<10} {:<18} {}\n",
                       fmt::format("{}/{}", a.service.port, proto_name(a.service.proto)),
                       a.service.service, a.outcome, what.substr(0, 90));
  }
  for (const auto& f : findings) {
    out += fmt::format("  {:<8} {:<24} {:<9} {}\n", f.severity, f.check_id,
                       f.port ? fmt::format("{}/{}", *f.port, f.service) : std::string("-"), f.title);
  }
  out += "\n";
  std::lock_guard lock(mu_);
  std::fputs(out.c_str(), out_);
  std::fflush(out_);
}

void TableWriter::write_verdicts(const std::string& ip, const std::vector<nlohmann::json>& findings,
                                 const std::vector<nlohmann::json>& verdicts, const std::string& connection_form,
                                 const std::string& connection_form_reason) {
  if (verdicts.empty()) return;
  std::map<std::string, int> counts;
  std::string jeita;
  for (const auto& v : verdicts) {
    const std::string st = v.value("status", "");
    ++counts[st];
    const std::string req = v.value("requirement", "");
    if (req.rfind("JEITA-", 0) == 0) {
      jeita += fmt::format("    {:<24} {}\n", req.substr(6), st == "not_verifiable" ? "not verifiable" : st);
    }
  }
  std::string out = fmt::format("{}  verdicts ({} requirements):", ip, verdicts.size());
  for (const char* st : {"fail", "pass", "declared", "not_verifiable", "not_applicable"}) {
    if (counts[st] > 0) out += fmt::format(" {} {},", counts[st], st);
  }
  out.back() = '\n';
  if (!connection_form.empty()) {
    out += fmt::format("  connection form: {}{}\n", connection_form,
                       connection_form_reason.empty() ? " (stated)" : " (" + connection_form_reason + ")");
  }
  for (const auto& f : findings) {
    if (f.value("severity", "") == f.value("base_severity", "")) continue;
    out += fmt::format("  {} {} -> {} ({})\n", f.value("check_id", ""), f.value("base_severity", ""),
                       f.value("severity", ""), f.value("severity_reason", ""));
  }
  if (!jeita.empty()) out += "  the JEITA measures:\n" + jeita;
  out += "\n";
  std::lock_guard lock(mu_);
  std::fputs(out.c_str(), out_);
  std::fflush(out_);
}

void TableWriter::write_summary(uint64_t hosts, uint64_t open, double seconds, bool complete) {
  std::lock_guard lock(mu_);
  std::fprintf(out_, "%s: %llu host(s) with open ports, %llu open port(s) in %.2f s\n",
               complete ? "Done" : "Stopped early", static_cast<unsigned long long>(hosts),
               static_cast<unsigned long long>(open), seconds);
  std::fflush(out_);
}

}  // namespace mamori
