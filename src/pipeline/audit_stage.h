// The audit stage: takes each identified device (with its services) as soon as identification
// has judged it, and runs the credential audit on it under the safety policy: one device's
// services one after another (its attempts paced by the device budget), many devices at once.
// Runs on its own Asio event loop thread, like the identify stage.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "checks/creds/runner.h"
#include "checks/findings.h"
#include "engine/observation.h"

namespace mamori {

struct AuditOptions {
  creds::SafetyPolicy policy;
  unsigned device_concurrency = 32;  // devices audited at once
  bool reveal_secrets = false;
};

// Receives results on the stage's thread (one call at a time).
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void on_credential(const creds::ServiceAudit& audit) = 0;
  virtual void on_finding(const Finding& finding) = 0;
  // After the device's last credential and finding.
  virtual void on_device_audited(const DeviceObservation& device,
                                 const std::vector<creds::ServiceAudit>& audits,
                                 const std::vector<Finding>& findings) {}
};

class AuditStage {
 public:
  // `checker_for` picks the checker of a service (null: the service is not audited).
  using CheckerFor = const creds::Checker* (*)(const ServiceObservation&);
  AuditStage(AuditOptions options, const creds::CredentialCatalog& credentials,
             const CheckCatalog& checks, CheckerFor checker_for, AuditSink& sink);
  ~AuditStage();  // stops and joins
  AuditStage(const AuditStage&) = delete;
  AuditStage& operator=(const AuditStage&) = delete;

  // Thread-safe.
  void submit(DeviceObservation device, std::vector<ServiceObservation> services,
              std::string hostname = {});
  void close();  // no more devices
  void wait();   // until every device is done, or stop()
  void stop();   // abandons unfinished devices (delivered results are kept)

  uint64_t devices_done() const { return devices_done_.load(); }
  uint64_t attempts() const { return attempts_.load(); }
  uint64_t findings() const { return findings_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> devices_done_{0};
  std::atomic<uint64_t> attempts_{0};
  std::atomic<uint64_t> findings_{0};
};

}  // namespace mamori
