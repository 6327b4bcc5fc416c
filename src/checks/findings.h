// Findings: weaknesses with their check id (spec/results.md), severity, C/I/A threats and the
// requirements they touch, from the check catalog data/checks/*.yaml.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checks/creds/runner.h"
#include "core/expected.h"
#include "engine/observation.h"

namespace mamori {

struct CheckInfo {
  std::string id;
  std::string severity;  // critical high medium low info
  std::vector<std::string> cia;
  std::vector<std::string> requirements;
  std::string title;
  std::string title_ja;
};

class CheckCatalog {
 public:
  // A catalog file, or a directory whose *.yaml files together form the catalog (a check id
  // defined in two files is an error).
  static Expected<CheckCatalog> load(const std::filesystem::path& file_or_dir);
  static Expected<CheckCatalog> parse(const std::string& yaml_text, const std::string& name);
  const CheckInfo* find(const std::string& id) const;
  const std::map<std::string, CheckInfo>& all() const { return checks_; }

 private:
  std::map<std::string, CheckInfo> checks_;
};

struct Finding {
  Ip ip;
  std::optional<uint16_t> port;
  std::string service;
  std::string check_id;
  std::string severity;
  std::vector<std::string> cia;
  std::vector<std::string> requirements;
  std::string title;
  std::string title_ja;
  nlohmann::json evidence = nlohmann::json::object();
};

// A finding of check `id` with its severity, C/I/A, requirements and titles from the catalog
// (an id missing from the catalog gets "medium"; the catalog tests catch that).
Finding make_finding(const CheckCatalog& catalog, const std::string& id, Ip ip, std::optional<uint16_t> port,
                     const std::string& service, nlohmann::json evidence);

// "a***" (first character kept) unless `reveal`; "" stays "" (an empty password is evidence).
std::string redact_secret(const std::string& secret, bool reveal);

// The findings of one device's credential audit and of what identification saw (telnet-enabled,
// cleartext-admin). Deterministic order; one finding per (check, port).
std::vector<Finding> audit_findings(const DeviceObservation& device,
                                    const std::vector<ServiceObservation>& services,
                                    const std::vector<creds::ServiceAudit>& audits,
                                    const CheckCatalog& catalog, bool reveal_secrets);

}  // namespace mamori
