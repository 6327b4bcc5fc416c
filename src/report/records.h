// JSON Lines records of the results contract (spec/results.md). Every record builder here
// returns one object; writers put one per line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checks/creds/runner.h"
#include "checks/findings.h"
#include "engine/observation.h"
#include "tls/posture.h"

namespace mamori {

inline constexpr const char* kMamoriVersion = "0.1.0";

// "2026-11-25T18:20:16Z" for now (or for a given time_t).
std::string rfc3339_now();
// A scan id: UTC start time plus 32 random bits, e.g. "20261125T182016Z-5f3a9c01".
std::string new_scan_id();

struct ScanStartInfo {
  std::string scan_id;
  std::vector<std::string> targets;  // as given
  std::string ports;                 // canonical port list
  uint64_t seed = 0;
  std::string shard;                 // "i/N" (1-based as given)
  std::vector<std::string> stages;
  std::string vantage;
  std::string address_count;         // decimal (may exceed 2^53)
};

struct ScanEndInfo {
  std::string scan_id;
  std::vector<std::string> targets;
  std::string ports;
  bool complete = true;
  uint64_t hosts_scanned = 0;
  uint64_t ports_open = 0;
  double duration_s = 0;
  uint64_t packets_sent = 0;
  std::optional<uint64_t> services;  // when the identify stage ran
  std::optional<uint64_t> devices;
  std::optional<uint64_t> login_attempts;  // when the audit stage ran
  std::optional<uint64_t> findings;
};

nlohmann::json scan_start_record(const ScanStartInfo& info);
nlohmann::json scan_end_record(const ScanEndInfo& info);
// hostname: the name the address came from, or empty.
nlohmann::json port_record(const std::string& scan_id, const PortObservation& p,
                           const std::string& hostname);

nlohmann::json service_record(const std::string& scan_id, const ServiceObservation& s);
nlohmann::json device_record(const std::string& scan_id, const DeviceObservation& d,
                             const std::string& hostname);

// One `credential` record per audited service; the password is redacted unless `reveal`.
nlohmann::json credential_record(const std::string& scan_id, const creds::ServiceAudit& a,
                                 bool reveal);
nlohmann::json finding_record(const std::string& scan_id, const Finding& f);

// One `tls` record per TLS endpoint: `versions` lists the accepted versions (oldest first);
// `probes` says for each of SSLv3..TLSv1.3 whether it was accepted, rejected, not tested or
// failed, and why. `cert` is {} when no handshake completed with a certificate.
nlohmann::json tls_record(const std::string& scan_id, const tls::TlsReport& r);

}  // namespace mamori
