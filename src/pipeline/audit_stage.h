// The audit stage: takes each identified device (with its services) as soon as identification
// has judged it, and runs the credential audit on it under the safety policy: one device's
// services one after another (its attempts paced by the device budget), many devices at once.
// Then, unless disabled, the TLS/SSH posture of the device's TLS and SSH services (src/tls), and
// the fleet view: a TLS public key or SSH host key seen on two or more devices of this scan.
// Runs on its own Asio event loop thread, like the identify stage.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "checks/creds/runner.h"
#include "checks/findings.h"
#include "engine/observation.h"
#include "tls/posture.h"

namespace mamori {

struct AuditOptions {
  creds::SafetyPolicy policy;
  unsigned device_concurrency = 32;  // devices audited at once
  bool reveal_secrets = false;
  bool posture = true;  // TLS/SSH posture after the credential audit
  tls::PostureLimits posture_limits;
};

// Whether the posture analysis treats a service as a TLS endpoint: identification saw TLS, the
// service name is a TLS one (https, mqtts, rtsps, ftps, ...), or the port is a TLS port (443,
// 8443, 8883, 993, 995, 465, 636, 5061, 322, 5986, 10443).
bool is_tls_service(const ServiceObservation& s);
bool is_ssh_service(const ServiceObservation& s);

// Receives results on the stage's thread (one call at a time).
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void on_credential(const creds::ServiceAudit& audit) = 0;
  virtual void on_finding(const Finding& finding) = 0;
  // One per TLS endpoint where some protocol version was accepted (before its findings).
  virtual void on_tls(const tls::TlsReport& report) {}
  // One per SSH service (is_ssh_service) the posture looked at, whatever it saw (before its
  // findings).
  virtual void on_ssh(const tls::SshReport& report) {}
  // After the device's last credential and finding. `findings` holds all of the device's
  // findings known by then: credentials, TLS/SSH posture and shared keys. A key shared with a
  // device audited later reaches the earlier device only through on_finding (its
  // on_device_audited has passed).
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
