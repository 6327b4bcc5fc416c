// Credential checkers: one module per protocol, behind one small interface, sharing one safety
// policy (runner.h). A checker knows how to log in to one protocol and how to prove that a login
// worked; the runner decides which credentials to try, how many, how fast, and whether a success
// is real (negative control). A checker holds no state between calls, never throws, never writes,
// reboots or runs anything beyond what proves the login, and stays within the connection's
// deadlines and byte budget (net::Conn).
//
// Adding a protocol: a folder src/checks/creds/<proto>/ with the checker, its test and its own
// CMakeLists.txt (a static library mamori_creds_<proto>), plus one line in registry.cc.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/observation.h"
#include "net/conn.h"

namespace mamori::creds {

using net::Millis;
using net::Task;

// One user/password pair (SNMP: the community in `password`, `username` empty).
struct Credential {
  std::string username;
  std::string password;
  std::string list;    // which list it came from: "mirai", "vendor-defaults", "user:FILE"...
  std::string source;  // where the pair is documented (citation), may be empty
};

// What one attempt showed.
enum class Outcome {
  accepted,     // positive proof of a login (a shell prompt, 230, CONNACK 0, 200 with the
                // credentials where 401 without): never inferred from the absence of an error
  rejected,     // the service said no (Login incorrect, 530, CONNACK 4/5, 401, auth failure)
  error,        // could not tell: connect failed, timed out, protocol not understood
  lockout,      // the service said it is locking us out or rate limiting (lockout banner,
                // "too many", HTTP 429, FTP 421): the runner stops at once
  unsupported,  // this login method is not offered here (SSH without password auth, HTTP
                // without any auth...): the runner stops trying this service
};
const char* outcome_name(Outcome o);

struct AttemptResult {
  Outcome outcome = Outcome::error;
  std::string detail;  // short, human readable, printable: what proved it, e.g.
                       // "shell prompt \"# \" after login", "CONNACK 4", "HTTP 401"
  std::map<std::string, std::string> evidence;  // optional structured evidence
};

// A service that lets anyone in without a password (found before any password is tried).
struct OpenAccess {
  // Check id per spec/results.md: "no-authentication", "ftp-anonymous", "mqtt-anonymous",
  // "rtsp-stream-open", "snmp-default-community".
  std::string check_id;
  std::string detail;
  std::map<std::string, std::string> evidence;  // e.g. {"path": "/live.sdp", "media": "video"}
};

struct OpenAccessResult {
  std::vector<OpenAccess> found;
  unsigned attempts = 0;  // logins/requests it spent (counted against the per-device cap)
  // True when the service needs no login at all, so trying passwords is pointless (a telnet
  // shell without login, an MQTT broker accepting anyone...). FTP anonymous is not "open" in
  // this sense: named accounts may still have default passwords.
  bool no_login_needed = false;
  bool lockout = false;   // a lockout/rate-limit sign was seen
};

// The service a checker works on, with what identification learned about it.
struct CheckTarget {
  net::Executor ex;
  Ip ip;
  uint16_t port = 0;
  Proto proto = Proto::tcp;
  std::string hostname;        // for Host headers / SNI, may be empty
  const ServiceObservation* service = nullptr;  // never null when called by the runner
  net::Limits limits;
};

struct CheckerInfo {
  std::string id;                     // persistent: "telnet", "ssh", "http", "ftp", "rtsp"...
  std::string summary;
  std::vector<std::string> services;  // service names (spec/results.md) it handles
  // Which credential lists suit it: "login" (user + password), "community" (SNMP),
  // "password" (password only: some telnet/RTSP devices).
  std::string credential_kind = "login";
};

// A connection on which a checker may try several credentials in turn. SSH allows it (OpenSSH
// takes up to MaxAuthTries passwords per connection, for one user name), and so do peers such
// as hydra; saving the connection set-up and key exchange per attempt is most of their speed.
// The runner holds one session per worker and asks `reusable` before each credential; every
// attempt is still counted against the caps and paced like any other.
class LoginSession {
 public:
  virtual ~LoginSession() = default;
  // One attempt (connecting first when needed). Judges success by positive proof only.
  virtual Task<AttemptResult> attempt(const Credential& c) = 0;
  // Whether `next` may be tried on this same connection now: the last attempt was cleanly
  // rejected, the connection is still up, the user name is the same and the per-connection
  // bound is not reached. A session that says false is discarded.
  virtual bool reusable(const Credential& next) const = 0;
};

class Checker;

// The default session: every attempt calls Checker::attempt on a connection of its own.
class SingleShotSession final : public LoginSession {
 public:
  SingleShotSession(const Checker& checker, const CheckTarget& target) : checker_(checker), target_(target) {}
  Task<AttemptResult> attempt(const Credential& c) override;
  bool reusable(const Credential&) const override { return false; }

 private:
  const Checker& checker_;
  const CheckTarget& target_;
};

class Checker {
 public:
  virtual ~Checker() = default;
  virtual const CheckerInfo& info() const = 0;
  // Whether this checker can work on the service (by name and evidence, e.g. TLS or not).
  virtual bool applies(const ServiceObservation& s) const = 0;
  // Looks for access without any password (anonymous logins, unauthenticated pages and
  // streams, a shell without login). Called once per service before any attempt.
  virtual Task<OpenAccessResult> check_open(const CheckTarget& t) const {
    co_return OpenAccessResult{};
  }
  // One login attempt with one credential, usually on a connection of its own. Judges success
  // by positive proof only.
  virtual Task<AttemptResult> attempt(const CheckTarget& t, const Credential& c) const = 0;
  // A session for the runner's workers; `t` outlives it. Checkers whose protocol allows more
  // than one try per connection override this; the default is one connection per attempt.
  virtual std::unique_ptr<LoginSession> session(const CheckTarget& t) const {
    return std::make_unique<SingleShotSession>(*this, t);
  }
};

inline Task<AttemptResult> SingleShotSession::attempt(const Credential& c) {
  co_return co_await checker_.attempt(target_, c);
}

}  // namespace mamori::creds
