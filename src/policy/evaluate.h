// The policy engine: judges one device from the records a scan wrote about it (spec/results.md:
// its device, service, credential, tls and finding records), against the policy catalog.
// Working on records, not on in-memory observations, makes `mamori scan` (live, per device as
// it completes) and `mamori evaluate` (stored JSON Lines, re-judged by a newer catalog) one code
// path. Pure functions: no I/O, safe to call from any thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checks/findings.h"
#include "policy/catalog.h"
#include "policy/exposure.h"

namespace mamori::policy {

// A maker's per-model manifest (`--manifest model.yaml`): the ports it ships open. With one,
// "unneeded ports closed" becomes exact: any other open port is `unneeded-port-open`.
struct Manifest {
  std::string model;
  std::set<std::pair<uint16_t, std::string>> ports;  // (port, "tcp"/"udp")
  static Expected<Manifest> load(const std::string& path);
};

// A maker's declarations (`--declarations file.yaml`): documentation requirements they fill
// are `declared` (stated, not verified), shown apart from what was verified.
struct Declarations {
  std::map<std::string, std::string> items;  // vulnerability_contact, support_period, update_mechanism
  static Expected<Declarations> load(const std::string& path);
};

struct EvalOptions {
  std::string connection_form = "unknown";  // for devices whose record has none
  const Manifest* manifest = nullptr;
  const Declarations* declarations = nullptr;
  bool audit_ran = true;    // the credential audit stage ran on this device
  bool posture_ran = true;  // TLS/SSH analysis ran on this device
  std::set<std::string> standards;  // judge only these standards' requirements (empty: all)
};

// Everything a scan recorded about one device (one IP).
struct DeviceRecords {
  nlohmann::json device;  // the `device` record (null: none was written)
  std::vector<nlohmann::json> services, credentials, tls, findings;
  // Port mappings a gateway listed that point to this device (policy/exposure.h): proof that
  // it is port_forwarded, each one a `port-forwarded-service` finding.
  std::vector<Forward> forwards;
};

struct Judgement {
  std::vector<nlohmann::json> findings;  // re-scored, plus the policy's own (unneeded-port-open)
  std::vector<nlohmann::json> verdicts;  // one per requirement of the selected standards
  std::string connection_form;           // the form the findings were scored in
  std::string connection_form_reason;    // why, when measured rather than stated ("" otherwise)
};

// `scan_id` goes into the new records. Deterministic.
Judgement judge_device(const PolicyCatalog& policy, const CheckCatalog& checks, const DeviceRecords& device,
                       const EvalOptions& options, const std::string& scan_id);

// The severity of a finding of `check_id` (base `base`, C/I/A `cia`) on a device of `category`
// in `connection_form` through `service`, and the sentence that explains it.
struct Scored {
  std::string severity;
  std::string reason;
};
Scored score(const RiskTable& risk, const Category* category, const std::string& check_id,
             const std::string& base, const std::vector<std::string>& cia, const std::string& connection_form,
             const std::string& service);

}  // namespace mamori::policy
