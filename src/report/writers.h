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

// Where the records of the results contract (spec/results.md) go, one at a time, as they are
// found. Implementations are thread-safe.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void write(const nlohmann::json& record) = 0;
};

// Hands every record to each of its sinks, in the order they were added (none: records are
// dropped). Add sinks before the first write.
class RecordFanout : public RecordSink {
 public:
  void add(RecordSink* sink) {
    if (sink != nullptr) sinks_.push_back(sink);
  }
  bool empty() const { return sinks_.empty(); }
  void write(const nlohmann::json& record) override {
    for (RecordSink* s : sinks_) s->write(record);
  }

 private:
  std::vector<RecordSink*> sinks_;
};

// One JSON object per line, flushed per record so an interrupted or killed scan keeps every
// result already written. Does not own `out`.
class JsonlWriter : public RecordSink {
 public:
  explicit JsonlWriter(std::FILE* out) : out_(out) {}
  void write(const nlohmann::json& record) override;

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
  // A device's verdicts (judge stage): counts by status, re-scored findings, the JEITA measures.
  void write_verdicts(const std::string& ip, const std::vector<nlohmann::json>& findings,
                      const std::vector<nlohmann::json>& verdicts, const std::string& connection_form = "",
                      const std::string& connection_form_reason = "");
  void write_summary(uint64_t hosts, uint64_t open, double seconds, bool complete);

 private:
  std::mutex mu_;
  std::FILE* out_;
  const PortCatalog* catalog_;
  const std::map<u128, std::string>* names_;
};

}  // namespace mamori
