// The SSH conversation: libssh in non-blocking mode, woken by the Asio event loop.
//
// libssh reads and writes the socket itself; we only wait for readiness. Each wait registers the
// descriptor with the reactor afresh and releases it afterwards (libssh owns the reads, and a
// fresh registration reports data that arrived before it, which a long-lived edge-triggered
// registration could miss once libssh has left bytes unread).
//
// Socket ownership with libssh 0.10 and SSH_OPTIONS_FD (measured): libssh closes the fd itself
// on a socket error, and in ssh_free() if ssh_disconnect() was not called; ssh_disconnect()
// forgets the fd without closing it; a session that never reached ssh_connect() never closes it.
// finish() below follows those rules so the fd is closed exactly once.
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <mutex>

#include "checks/creds/ssh/ssh_checker.h"
#include "checks/creds/ssh/tcp_bytes.h"

namespace mamori::creds::ssh {
namespace {
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Algorithms offered, newest first, then the legacy ones old devices still need. libssh drops
// the names it does not implement (ssh-dss, for one, in Debian's build), so the lists are safe.
constexpr const char* kOfferedKex =
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "ecdh-sha2-nistp521,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,"
    "diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256,"
    "diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1";
constexpr const char* kHostKeys =
    "ssh-ed25519,ecdsa-sha2-nistp521,ecdsa-sha2-nistp384,ecdsa-sha2-nistp256,rsa-sha2-512,"
    "rsa-sha2-256,ssh-rsa,ssh-dss";
constexpr const char* kCiphers =
    "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,"
    "aes192-ctr,aes128-ctr,aes256-cbc,aes192-cbc,aes128-cbc,3des-cbc";
constexpr const char* kMacs =
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,"
    "hmac-sha2-256,hmac-sha2-512,hmac-sha1";

constexpr int kMaxKbdintRounds = 6;
// Servers delay the answer to a wrong password by seconds (PAM 2-3 s, busybox login 3 s), more
// under load: waits for an authentication answer get this much on top of the io limit.
constexpr net::Millis kFailureDelay{5000};
constexpr size_t kMaxDetail = 160;

void ignore_log(int, const char*, const char*, void*) {}

// libssh keeps its log level and callback per thread: set them on every thread that runs a
// session, so nothing reaches stdout/stderr (LIBSSH_DEBUG in the environment included).
void quiet_libssh() {
  static std::once_flag init;
  std::call_once(init, [] { ssh_init(); });
  thread_local bool quiet = false;
  if (quiet) return;
  ssh_set_log_level(SSH_LOG_NOLOG);
  ssh_set_log_callback(ignore_log);
  quiet = true;
}

struct SessionFree {
  void operator()(ssh_session s) const { ssh_free(s); }
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionFree>;

std::string short_text(std::string_view s) { return net::printable(s, kMaxDetail); }

bool configure(ssh_session s, int fd, const SessionPlan& plan) {
  int no = 0;
  int yes = 1;
  int verbosity = SSH_LOG_NOLOG;
  int rsa_min = 768;  // the smallest libssh accepts; old devices still have 1024-bit keys
  return ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) == SSH_OK &&  // no ~/.ssh/config
         ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_HOST, plan.host.c_str()) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_USER, plan.username.c_str()) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, kOfferedKex) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, kHostKeys) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, kCiphers) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, kCiphers) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_HMAC_C_S, kMacs) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_HMAC_S_C, kMacs) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_RSA_MIN_SIZE, &rsa_min) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_NODELAY, &yes) == SSH_OK &&
         ssh_options_set(s, SSH_OPTIONS_FD, &fd) == SSH_OK;
}

}  // namespace

// One conversation: the session, its socket and its deadlines. open() does the key exchange and
// the "none" request; login() then tries one password, and may be called again on the same
// connection while reusable() holds.
class Conversation {
 public:
  Conversation(net::Executor ex, int fd, SessionPlan plan)
      : ex_(std::move(ex)), fd_(fd), plan_(std::move(plan)),
        deadline_(Clock::now() + plan_.total) {}
  ~Conversation() { finish(); }
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  // Key exchange and "none": accepted when no authentication is needed; rejected (and ready())
  // when the server refused "none" and named its methods; otherwise why it could not get there.
  Task<AttemptResult> open();
  // One password (or keyboard-interactive answer) on the open connection. REQUIRES: ready().
  Task<AttemptResult> login(const std::string& password);
  // open() then, with a password in the plan, login().
  Task<AttemptResult> run();
  bool ready() const { return ready_; }
  // The last password was cleanly refused and the connection is still up.
  bool reusable() const {
    return ready_ && clean_reject_ && fd_ >= 0 && ssh_get_fd(session_.get()) == fd_ &&
           ssh_is_connected(session_.get());
  }
  unsigned passwords_tried() const { return tries_; }

 private:
  // How a step ended when libssh did not give an answer of its own.
  enum class Stall { none, timeout, budget, closed };
  struct Step {
    int rc = SSH_ERROR;
    Stall stall = Stall::none;
  };

  // Calls `call` until it returns something other than `again`, waiting for the socket between
  // calls within the deadlines and the byte budget.
  template <class Call>
  Task<Step> drive(Call call, int again);
  Task<bool> wait_ready();
  AttemptResult failure(Step step, std::string_view during, bool after_password);
  void record_server();
  Task<AttemptResult> password_login(AttemptResult r, const std::string& password);
  Task<AttemptResult> kbdint_login(AttemptResult r, const std::string& password);
  // A failure after a password: the server closing the connection at its per-connection limit
  // (OpenSSH MaxAuthTries) after earlier refusals on it is a refusal, not a lockout.
  AttemptResult password_failure(Step step, std::string_view during);
  void finish();

  net::Executor ex_;
  int fd_;
  SessionPlan plan_;
  Clock::time_point deadline_;
  SessionPtr session_;
  bool connect_called_ = false;
  bool patient_ = false;  // waiting for the answer to a password
  bool ready_ = false;         // "none" refused, methods known: passwords may follow
  bool clean_reject_ = false;  // the last password got a plain refusal
  int methods_ = 0;
  unsigned tries_ = 0;         // passwords tried on this connection
  std::map<std::string, std::string> evidence_;
};

template <class Call>
Task<Conversation::Step> Conversation::drive(Call call, int again) {
  for (;;) {
    int rc = call();
    if (rc != again) co_return Step{rc, Stall::none};
    // libssh closes the socket itself on a socket error; it then stops returning "again", but
    // never wait on a descriptor it no longer holds.
    if (ssh_get_fd(session_.get()) != fd_) co_return Step{SSH_ERROR, Stall::closed};
    if (plan_.max_read && tcp_bytes_received(fd_) > plan_.max_read) co_return Step{SSH_ERROR, Stall::budget};
    if (!co_await wait_ready()) co_return Step{SSH_ERROR, Stall::timeout};
  }
}

Task<bool> Conversation::wait_ready() {
  auto now = Clock::now();
  if (now >= deadline_) co_return false;
  auto until = std::min(deadline_, now + (patient_ ? plan_.io + kFailureDelay : plan_.io));
  auto what = (ssh_get_poll_flags(session_.get()) & SSH_WRITE_PENDING)
                  ? asio::posix::descriptor_base::wait_write
                  : asio::posix::descriptor_base::wait_read;
  asio::posix::stream_descriptor sd(ex_);
  boost::system::error_code ec;
  sd.assign(fd_, ec);
  if (ec) co_return false;
  asio::steady_timer timer(ex_, until);
  auto result = co_await (sd.async_wait(what, kTuple) || timer.async_wait(kTuple));
  sd.release();  // libssh owns the descriptor
  co_return result.index() == 0;
}

AttemptResult Conversation::failure(Step step, std::string_view during, bool after_password) {
  AttemptResult r;
  r.evidence = evidence_;
  switch (step.stall) {
    case Stall::timeout:
      r.outcome = Outcome::error;
      r.detail = "timed out during " + std::string(during);
      return r;
    case Stall::budget:
      r.outcome = Outcome::error;
      r.detail = "byte budget exceeded during " + std::string(during);
      return r;
    case Stall::closed:
    case Stall::none:
      break;
  }
  std::string text = ssh_get_error(session_.get());
  // The server's own words first: libssh may overwrite its error text with the socket error
  // that follows a disconnect, depending on how the bytes arrived.
  if (const char* said = ssh_get_disconnect_message(session_.get()); said && *said) {
    text = "server disconnected: " + std::string(said);
  }
  if (text.empty()) text = "connection closed";
  r.outcome = classify_failure(text, after_password);
  r.detail = std::string(during) + ": " + short_text(text);
  return r;
}

void Conversation::record_server() {
  ssh_session s = session_.get();
  if (const char* banner = ssh_get_serverbanner(s)) evidence_[kBanner] = short_text(banner);
  // libssh 0.10 names the key exchange only for some algorithms (not diffie-hellman-group1-sha1).
  if (const char* kex = ssh_get_kex_algo(s)) evidence_[kKex] = short_text(kex);
  if (const char* cipher = ssh_get_cipher_in(s)) evidence_[kCipher] = short_text(cipher);
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(s, &key) != SSH_OK || key == nullptr) return;
  unsigned char* hash = nullptr;
  size_t len = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == SSH_OK) {
    evidence_[kHostKeySha256] = to_hex({reinterpret_cast<const char*>(hash), len});
    ssh_clean_pubkey_hash(&hash);
  }
  if (const char* type = ssh_key_type_to_char(ssh_key_type(key))) evidence_[kHostKeyType] = type;
  ssh_key_free(key);
}

Task<AttemptResult> Conversation::run() {
  AttemptResult r = co_await open();
  if (!ready_ || !plan_.password) co_return r;
  co_return co_await login(*plan_.password);
}

Task<AttemptResult> Conversation::open() {
  quiet_libssh();
  session_.reset(ssh_new());
  if (!session_) co_return AttemptResult{Outcome::error, "libssh: cannot create a session", {}};
  ssh_session s = session_.get();
  if (!configure(s, fd_, plan_)) {
    co_return AttemptResult{Outcome::error, "libssh options: " + short_text(ssh_get_error(s)), {}};
  }
  ssh_set_blocking(s, 0);

  connect_called_ = true;
  Step step = co_await drive([s] { return ssh_connect(s); }, SSH_AGAIN);
  if (step.rc != SSH_OK) co_return failure(step, "key exchange", false);
  record_server();

  // "none" first: it is how the server tells which methods it takes, and a server may let the
  // user in with no authentication at all.
  step = co_await drive([s] { return ssh_userauth_none(s, nullptr); }, SSH_AUTH_AGAIN);
  if (step.rc == SSH_AUTH_ERROR) co_return failure(step, "auth none", false);
  int methods = ssh_userauth_list(s, nullptr);
  if (methods) evidence_[kAuthMethods] = auth_methods_name(methods);
  AttemptResult r;
  r.evidence = evidence_;
  if (step.rc == SSH_AUTH_SUCCESS) {
    r.outcome = Outcome::accepted;
    r.evidence[kMethod] = "none";
    r.detail = "SSH_AUTH_SUCCESS for \"none\": no authentication needed for this user";
    co_return r;
  }
  if (!(methods & (SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE))) {
    r.outcome = Outcome::unsupported;
    r.detail = "no password method offered; methods: " + auth_methods_name(methods);
    co_return r;
  }
  methods_ = methods;
  ready_ = true;
  r.outcome = Outcome::rejected;
  r.detail = "\"none\" refused; methods: " + auth_methods_name(methods);
  co_return r;
}

Task<AttemptResult> Conversation::login(const std::string& password) {
  AttemptResult r;
  r.evidence = evidence_;
  if (!ready_) {
    r.outcome = Outcome::error;
    r.detail = "connection not ready for a password";
    co_return r;
  }
  clean_reject_ = false;
  ++tries_;
  // Each password gets the whole-conversation allowance again (less the key exchange).
  deadline_ = Clock::now() + plan_.total;
  if (methods_ & SSH_AUTH_METHOD_PASSWORD) co_return co_await password_login(std::move(r), password);
  co_return co_await kbdint_login(std::move(r), password);
}

AttemptResult Conversation::password_failure(Step step, std::string_view during) {
  AttemptResult f = failure(step, during, true);
  if (f.outcome == Outcome::lockout && tries_ > 1 && is_per_connection_limit(f.detail)) {
    f.outcome = Outcome::rejected;
    f.detail = "refused, and the connection closed at the server's per-connection limit after " +
               std::to_string(tries_) + " passwords: " + f.detail;
  }
  return f;
}

Task<AttemptResult> Conversation::password_login(AttemptResult r, const std::string& password) {
  ssh_session s = session_.get();
  const std::string* pw = &password;
  patient_ = true;
  Step step = co_await drive([s, pw] { return ssh_userauth_password(s, nullptr, pw->c_str()); },
                             SSH_AUTH_AGAIN);
  r.evidence[kMethod] = "password";
  switch (step.rc) {
    case SSH_AUTH_SUCCESS:
      r.outcome = Outcome::accepted;
      r.detail = "SSH_AUTH_SUCCESS for password authentication";
      co_return r;
    case SSH_AUTH_DENIED:
      r.outcome = Outcome::rejected;
      r.detail = "password authentication failed";
      clean_reject_ = true;
      co_return r;
    case SSH_AUTH_PARTIAL:
      // The password was right but the server wants a second factor: no login.
      r.outcome = Outcome::rejected;
      r.detail = "partial success: password taken, further authentication required";
      r.evidence["ssh.partial"] = "true";
      co_return r;
    default: {
      AttemptResult f = password_failure(step, "password authentication");
      f.evidence[kMethod] = "password";
      co_return f;
    }
  }
}

Task<AttemptResult> Conversation::kbdint_login(AttemptResult r, const std::string& password) {
  ssh_session s = session_.get();
  r.evidence[kMethod] = "keyboard-interactive";
  bool answered = false;
  for (int round = 0; round < kMaxKbdintRounds; ++round) {
    Step step = co_await drive([s] { return ssh_userauth_kbdint(s, nullptr, nullptr); }, SSH_AUTH_AGAIN);
    switch (step.rc) {
      case SSH_AUTH_SUCCESS:
        r.outcome = Outcome::accepted;
        r.detail = answered ? "SSH_AUTH_SUCCESS for keyboard-interactive authentication"
                            : "SSH_AUTH_SUCCESS for keyboard-interactive without any prompt: "
                              "no password needed for this user";
        co_return r;
      case SSH_AUTH_DENIED:
        r.outcome = Outcome::rejected;
        r.detail = "keyboard-interactive authentication failed";
        clean_reject_ = answered;  // a refusal before any answer is not one of a password
        co_return r;
      case SSH_AUTH_PARTIAL:
        r.outcome = Outcome::rejected;
        r.detail = "partial success: password taken, further authentication required";
        r.evidence["ssh.partial"] = "true";
        co_return r;
      case SSH_AUTH_INFO:
        break;
      default: {
        AttemptResult f = answered ? password_failure(step, "keyboard-interactive authentication")
                                   : failure(step, "keyboard-interactive authentication", false);
        f.evidence[kMethod] = "keyboard-interactive";
        co_return f;
      }
    }
    int prompts = ssh_userauth_kbdint_getnprompts(s);
    if (prompts == 0) continue;  // an empty info request (OpenSSH/PAM ends with one): answer it
    char echo = 1;
    const char* text = prompts == 1 ? ssh_userauth_kbdint_getprompt(s, 0, &echo) : nullptr;
    std::string prompt = text ? text : "";
    if (prompts != 1 || classify_prompt(prompt, echo != 0) != PromptKind::password) {
      r.outcome = Outcome::unsupported;
      r.detail = "keyboard-interactive asks " + std::to_string(prompts) + " question(s), not a password: \"" +
                 short_text(prompt) + "\"";
      co_return r;
    }
    if (answered) {
      // Asked again after the answer: the server's way of saying it was wrong.
      r.outcome = Outcome::rejected;
      r.detail = "password prompt repeated after the answer: \"" + short_text(prompt) + "\"";
      co_return r;
    }
    if (ssh_userauth_kbdint_setanswer(s, 0, password.c_str()) < 0) {
      r.outcome = Outcome::error;
      r.detail = "libssh refused the answer";
      co_return r;
    }
    answered = true;
    patient_ = true;
  }
  r.outcome = Outcome::error;
  r.detail = "keyboard-interactive: too many rounds";
  co_return r;
}

void Conversation::finish() {
  ready_ = false;
  if (fd_ < 0) return;
  if (!connect_called_) {
    ::close(fd_);
  } else if (ssh_get_fd(session_.get()) == fd_) {
    // Still held: say goodbye (SSH_MSG_DISCONNECT, no channel was ever opened). libssh then
    // forgets the descriptor; if it ever kept it instead, ssh_free() closes it.
    ssh_disconnect(session_.get());
    if (ssh_get_fd(session_.get()) != fd_) ::close(fd_);
  }
  // Otherwise libssh closed it after a socket error.
  fd_ = -1;
  session_.reset();
}

Connection::Connection(net::Executor ex, int fd, SessionPlan plan) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  plan.password = nullptr;
  impl_ = std::make_unique<Conversation>(std::move(ex), fd, std::move(plan));
}
Connection::~Connection() = default;
Task<AttemptResult> Connection::open() { co_return co_await impl_->open(); }
Task<AttemptResult> Connection::login(const std::string& password) { co_return co_await impl_->login(password); }
bool Connection::ready() const { return impl_->ready(); }
bool Connection::reusable() const { return impl_->reusable(); }
unsigned Connection::passwords_tried() const { return impl_->passwords_tried(); }

Task<AttemptResult> run_session(net::Executor ex, int fd, SessionPlan plan) {
  if (fd < 0) co_return AttemptResult{Outcome::error, "no socket", {}};
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  Conversation c(std::move(ex), fd, std::move(plan));
  co_return co_await c.run();
}

AttemptResult run_session_blocking(int fd, SessionPlan plan) {
  asio::io_context io;
  auto done = asio::co_spawn(io, run_session(io.get_executor(), fd, std::move(plan)), asio::use_future);
  io.run();
  return done.get();
}

}  // namespace mamori::creds::ssh
