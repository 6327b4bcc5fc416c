// The credential runner: the one safety policy every checker runs under. It decides which
// credentials to try on a service, how many and how fast, proves every success with a negative
// control, and stops on lockout signs. Checkers only speak their protocol (checker.h).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checks/creds/checker.h"
#include "checks/creds/credlist.h"

namespace mamori::creds {

// On by default, shown in `--help`. Caps count every login attempt, negative controls included.
struct SafetyPolicy {
  unsigned max_attempts_per_service = 30;
  unsigned max_attempts_per_device = 100;
  Millis min_spacing{500};        // between the starts of two attempts on one device
  unsigned parallel_per_service = 1;  // attempts in flight on one service
  bool stop_at_first = true;      // stop a service at its first proven success
  Millis attempt_timeout{15000};  // whole attempt, all its reads and writes
  Millis slow_margin{3000};       // "answers slowed down": 3x and this much slower than at first
  net::Limits limits;             // per connection (connect, each read, byte budget)
};

// What the audit of one service concluded (one `credential` record).
struct ServiceAudit {
  ServiceObservation service;
  std::string checker;  // checker id
  // spec/results.md: accepted, no_auth_required, rejected_all, lockout_suspected, skipped
  std::string outcome = "skipped";
  unsigned attempts = 0;
  std::optional<Credential> accepted;  // with outcome accepted
  std::string detail;                  // what proved it, or why skipped / why stopped
  std::map<std::string, std::string> evidence;
  std::vector<OpenAccess> open;        // found by check_open (ftp-anonymous, rtsp-stream-open...)
  bool control_passed = false;         // a wrong password was refused after the success
};

// Per-device pacing and cap, shared by the services of one device.
class DeviceBudget {
 public:
  explicit DeviceBudget(const SafetyPolicy& p) : policy_(p) {}
  // Waits for the device's spacing slot; false when the device cap is spent.
  Task<bool> acquire();
  unsigned used() const { return used_; }
  unsigned left() const { return used_ >= policy_.max_attempts_per_device ? 0 : policy_.max_attempts_per_device - used_; }
  // Makes the next acquire wait at least `d` longer (back-off).
  void back_off(Millis d);

 private:
  const SafetyPolicy& policy_;
  unsigned used_ = 0;
  std::chrono::steady_clock::time_point next_{};
};

struct DeviceContext {
  std::string category = "unknown";
  std::string vendor;
  std::string hostname;
};

// Audits one service with `checker`: check_open, then the selected credentials until a proven
// success, the caps, or a lockout sign. Never throws.
Task<ServiceAudit> audit_service(net::Executor ex, const Checker& checker,
                                 const ServiceObservation& service, const DeviceContext& device,
                                 const CredentialCatalog& catalog, const SafetyPolicy& policy,
                                 DeviceBudget& budget);

// The opt-in brute-force resistance test (JC-STAR S1.1-04, EN 303 645 5.1-5): a bounded burst
// of wrong passwords against one account, recording whether the service slows down, locks or
// keeps answering at full speed. Stops at the first sign of lockout, so the device is left as
// found (a lockout the device imposes on wrong passwords ends by itself; nothing is changed).
struct LockoutTest {
  std::string verdict;  // "locked" | "slowed" | "unlimited" | "inconclusive"
  unsigned attempts = 0;
  double first_ms = 0;  // median of the first three answers
  double last_ms = 0;   // the last answer
  std::string detail;
};
Task<LockoutTest> lockout_test(net::Executor ex, const Checker& checker,
                               const ServiceObservation& service, const std::string& username,
                               unsigned burst, const SafetyPolicy& policy);

// A password that no device has as its real one (negative controls).
std::string random_wrong_password();

}  // namespace mamori::creds
