// SSH credential checker: one password (or keyboard-interactive password) login per connection
// with libssh, driven non-blocking from the Asio event loop. Authentication success is the
// proof: no channel is opened and nothing runs on the device. The server's host key is never
// verified (we observe, not trust) but its SHA-256 is recorded so later stages can find keys
// shared across devices.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "checks/creds/checker.h"

namespace mamori::creds {

// id "ssh", services {"ssh"}.
const Checker& ssh_checker();

namespace ssh {

// Evidence keys (persistent).
inline constexpr const char* kHostKeySha256 = "ssh.hostkey_sha256";  // 64 lower-case hex digits
                                                                      // of SHA-256(key blob)
inline constexpr const char* kHostKeyType = "ssh.hostkey_type";  // "ssh-ed25519", "ssh-rsa"...
inline constexpr const char* kAuthMethods = "ssh.auth_methods";  // "password,publickey"
inline constexpr const char* kMethod = "ssh.method";  // what proved the login: "password",
                                                      // "keyboard-interactive", "none"
inline constexpr const char* kBanner = "ssh.banner";  // server identification string
inline constexpr const char* kKex = "ssh.kex";        // negotiated key exchange (when libssh
                                                      // names it)
inline constexpr const char* kCipher = "ssh.cipher";  // negotiated cipher, server to client

// --- Pure parsers (no I/O; fuzzed by fuzz/creds/ssh_fuzz.cc) ---

enum class PromptKind { password, other };
// Whether a keyboard-interactive prompt asks for the account password: echo off and the text
// names a password ("Password:", "admin@host's password:", "パスワード:"), and nothing hints at
// a one-time code or token. Looks at most at the first 1024 bytes.
PromptKind classify_prompt(std::string_view prompt, bool echo);

// What a failed libssh call means, from its error text (which carries the server's
// SSH_MSG_DISCONNECT description when there was one): lockout on "too many", "locked",
// "try again later"...; after the password was sent, the server ending the connection is a
// rejection; anything else is an error (could not tell).
Outcome classify_failure(std::string_view error_text, bool after_password);

// Whether a disconnect text is the server's per-connection cap on failed logins (OpenSSH:
// "Too many authentication failures", sent when MaxAuthTries is reached on that connection).
// It speaks of this connection only, not of an account lockout.
bool is_per_connection_limit(std::string_view error_text);

// libssh's SSH_AUTH_METHOD_* bit mask as "none,password,publickey,hostbased,keyboard-interactive,
// gssapi-with-mic" (only the set bits, in that order; "" for 0).
std::string auth_methods_name(int methods);

// Lower-case hex of `bytes`.
std::string to_hex(std::string_view bytes);

// --- The conversation (exposed for tests and the fuzz target) ---

struct SessionPlan {
  std::string host;      // the address as text; libssh keeps it, nothing is resolved
  std::string username;
  // Null: only try the "none" method (check_open); otherwise the password to try.
  const std::string* password = nullptr;
  net::Millis io{3000};  // longest wait for the server at any one step (5 s more for the
                         // answer to a password: servers delay failures)
  net::Millis total{20000};  // the whole conversation
  size_t max_read = 256 * 1024;  // bytes the server may send (TCP sockets only)
};

// Runs one SSH conversation over `fd`, a connected stream socket. Takes ownership of `fd`
// (closed before this returns, also on failure). Never throws. accepted only on
// SSH_AUTH_SUCCESS; see classify_failure for the rest.
// REQUIRES: called from a coroutine on `ex`, whose io_context is run by one thread.
Task<AttemptResult> run_session(net::Executor ex, int fd, SessionPlan plan);

class Conversation;

// Passwords tried on one connection before a fresh one is opened: below OpenSSH's default
// MaxAuthTries (6, which ends the connection at the 6th failure) and dropbear's (10). A server
// with a lower limit ends the connection sooner; that is read as a refusal (see
// is_per_connection_limit) and the next password gets a new connection.
inline constexpr unsigned kMaxPasswordsPerConnection = 5;

// One connection that may take several passwords of one user in turn (what the runner's
// LoginSession uses). Takes ownership of `fd` as run_session does.
// REQUIRES: used from coroutines on `ex`, whose io_context is run by one thread.
class Connection {
 public:
  Connection(net::Executor ex, int fd, SessionPlan plan);  // plan.password is ignored
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  // Key exchange and "none": accepted if no authentication is needed; rejected with ready()
  // when passwords may follow; otherwise the failure (unsupported: no password method).
  Task<AttemptResult> open();
  bool ready() const;
  // One password. REQUIRES: ready().
  Task<AttemptResult> login(const std::string& password);
  // The last password was cleanly refused and the connection is still up.
  bool reusable() const;
  unsigned passwords_tried() const;

 private:
  std::unique_ptr<Conversation> impl_;
};

// run_session on a private event loop, blocking the calling thread (fuzzing, tools).
AttemptResult run_session_blocking(int fd, SessionPlan plan);

}  // namespace ssh
}  // namespace mamori::creds
