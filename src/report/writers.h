// Output sinks for scan results. Both are thread-safe (workers call them concurrently).
#pragma once

#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/port_spec.h"
#include "checks/creds/runner.h"
#include "checks/findings.h"
#include "engine/observation.h"

namespace mamori {

// One JSON object per line, flushed per record so an interrupted or killed scan keeps every
// result already written. Does not own `out`.
class JsonlWriter {
 public:
  explicit JsonlWriter(std::FILE* out) : out_(out) {}
  void write(const nlohmann::json& record);

 private:
  std::mutex mu_;
  std::FILE* out_;
};

// A readable table for a terminal: one block per host as soon as the host is done.
class TableWriter {
 public:
  TableWriter(std::FILE* out, const PortCatalog* catalog, const std::map<u128, std::string>* names)
      : out_(out), catalog_(catalog), names_(names) {}
  void write_host(const HostObservation& host);
  // A device with its identified services (the identify stage's view of a host).
  void write_device(const DeviceObservation& device, const std::vector<ServiceObservation>& services);
  // A device's credential audit and findings (secrets already redacted unless `reveal`).
  void write_audit(const DeviceObservation& device, const std::vector<creds::ServiceAudit>& audits,
                   const std::vector<Finding>& findings, bool reveal);
  void write_summary(uint64_t hosts, uint64_t open, double seconds, bool complete);

 private:
  std::mutex mu_;
  std::FILE* out_;
  const PortCatalog* catalog_;
  const std::map<u128, std::string>* names_;
};

}  // namespace mamori
