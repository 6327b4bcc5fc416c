// The policy catalog (data/policy/): requirements of the standards a device is judged against,
// the category profiles (what each kind of device needs and must not expose, its C/I/A weights)
// and the risk table. Loaded once, read-only afterwards (safe to share between threads).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checks/findings.h"
#include "core/expected.h"

namespace mamori::policy {

// How a requirement can be verified. Closed set; persistent names.
enum class Verification { network, network_with_owner_credentials, documentation };

// What must have been gathered before a network requirement can pass (see evaluate.h).
// Closed set; persistent names.
enum class Evidence {
  none,              // nothing a scan sees can show a pass; fail_on findings still fail it
  credential_audit,  // every login service audited to a conclusion
  authentication,    // every service with a login was tried without and with credentials
  lockout,           // brute-force resistance observed (lockout, back-off, rate limit)
  tls_analysis,      // the device's TLS services analysed
  port_inventory,    // every open port needed by the category or declared in the manifest
};

struct Requirement {
  std::string id;        // e.g. EN303645-5.1-1 (persistent)
  std::string standard;  // e.g. EN303645
  std::string clause;
  std::string level;  // M, R, M C ... where the standard has levels
  std::string title;
  std::string title_ja;
  Verification verification = Verification::documentation;
  Evidence evidence = Evidence::none;
  std::vector<std::string> fail_on;  // check ids whose finding fails it
  std::vector<std::string> not_for;  // categories it does not apply to
  std::string declaration;           // declarations-file key that fills it, if any
  bool confirmed = true;             // false: id or title not confirmed by the research
  std::string note;
};

struct Standard {
  std::string id;
  std::string title;
  std::string title_ja;
  std::string source;
  std::string file;
};

struct Threat {
  std::string id;
  std::string title;
  std::string title_ja;
  std::vector<std::string> cia;
};

struct Category {
  std::string id;
  std::string title;
  std::string title_ja;
  std::vector<std::string> needs;
  std::vector<std::string> unneeded;
  std::map<std::string, int> weights;  // C, I, A -> 1..3
};

struct RiskOverride {
  std::string check;
  std::string connection_form;  // empty: any
  std::string category;         // empty: any
  std::string service;          // empty: any
  std::string severity;
  std::string reason;
};

struct RiskTable {
  std::map<std::string, int> exposure;  // connection form -> level shift
  std::vector<RiskOverride> overrides;
  // A UDP service whose replies to one request carry at least this many times its bytes is a
  // reflector/amplifier (udp-amplification).
  double amplification_min_ratio = 2.0;
};

class PolicyCatalog {
 public:
  // Loads `dir` (data/policy: requirements/*.yaml, categories.yaml, risk.yaml). Structural
  // errors (bad YAML, unknown enum value, missing title) fail the load with the file and key;
  // cross-references are checked by lint().
  static Expected<PolicyCatalog> load(const std::filesystem::path& dir);

  // Every dangling reference or inconsistency between this catalog and the check catalog:
  // fail_on naming an unknown check, a check naming an unknown requirement, an unknown
  // category, a risk override for an unknown check, a network requirement without evidence or
  // fail_on. Empty when clean.
  std::vector<std::string> lint(const CheckCatalog& checks) const;

  const std::vector<Standard>& standards() const { return standards_; }
  const std::vector<Requirement>& requirements() const { return requirements_; }  // file order
  const Requirement* requirement(const std::string& id) const;
  const std::vector<Threat>& threats() const { return threats_; }
  const std::map<std::string, Category>& categories() const { return categories_; }
  const Category* category(const std::string& id) const;
  const RiskTable& risk() const { return risk_; }

 private:
  std::vector<Standard> standards_;
  std::vector<Requirement> requirements_;
  std::map<std::string, size_t> by_id_;
  std::vector<Threat> threats_;
  std::map<std::string, Category> categories_;
  RiskTable risk_;
};

const char* to_string(Verification v);
const char* to_string(Evidence e);

// The categories of spec/results.md, in order.
const std::vector<std::string>& device_categories();
// The connection forms of spec/results.md.
const std::vector<std::string>& connection_forms();

}  // namespace mamori::policy
