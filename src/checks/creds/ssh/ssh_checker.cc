#include "checks/creds/ssh/ssh_checker.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mamori::creds {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// check_open's user: embedded Linux devices that let anyone in do it as root (an empty root
// password with the "none" method, as OpenSSH with PermitEmptyPasswords and dropbear do).
constexpr const char* kOpenUser = "root";

tcp::endpoint endpoint(Ip ip, uint16_t port) {
  if (ip.is_v4()) return {asio::ip::address_v4(ip.v4()), port};
  asio::ip::address_v6::bytes_type b;
  ip.to_bytes(b.data());
  return {asio::ip::address_v6(b), port};
}

// A connected socket's descriptor (ours to close), or the reason there is none.
Task<Expected<int>> connect_socket(const CheckTarget& t) {
  tcp::socket sock(t.ex);
  asio::steady_timer timer(t.ex, t.limits.connect);
  auto result = co_await (sock.async_connect(endpoint(t.ip, t.port), kTuple) || timer.async_wait(kTuple));
  if (result.index() == 1) co_return make_error("connect timed out");
  if (auto [ec] = std::get<0>(result); ec) co_return make_error("connect: " + ec.message());
  boost::system::error_code ec;
  int fd = sock.release(ec);
  if (ec) co_return make_error("socket: " + ec.message());
  co_return fd;
}

ssh::SessionPlan plan_for(const CheckTarget& t, std::string username) {
  ssh::SessionPlan plan;
  plan.host = t.ip.str();
  plan.username = std::move(username);
  plan.io = t.limits.io;
  // Key exchange, "none", and the password step (servers delay failures by seconds).
  plan.total = t.limits.connect + 4 * t.limits.io + Millis(5000);
  plan.max_read = t.limits.max_read;
  return plan;
}

// Several passwords of one user per connection, up to ssh::kMaxPasswordsPerConnection, as
// hydra and medusa do: the key exchange is paid once, not per attempt.
class SshSession final : public LoginSession {
 public:
  explicit SshSession(const CheckTarget& t) : target_(t) {}

  Task<AttemptResult> attempt(const Credential& c) override {
    if (!conn_ || !reusable(c)) {
      conn_.reset();
      auto fd = co_await connect_socket(target_);
      if (!fd) co_return AttemptResult{Outcome::error, fd.error().message, {}};
      conn_ = std::make_unique<ssh::Connection>(target_.ex, *fd, plan_for(target_, c.username));
      user_ = c.username;
      AttemptResult opened = co_await conn_->open();
      if (!conn_->ready()) {
        conn_.reset();
        co_return opened;  // no authentication needed, no password method, or a failure
      }
    }
    co_return co_await conn_->login(c.password);
  }

  bool reusable(const Credential& next) const override {
    return conn_ && next.username == user_ && conn_->reusable() &&
           conn_->passwords_tried() < ssh::kMaxPasswordsPerConnection;
  }

 private:
  const CheckTarget& target_;
  std::unique_ptr<ssh::Connection> conn_;
  std::string user_;
};

class SshChecker final : public Checker {
 public:
  const CheckerInfo& info() const override {
    static const CheckerInfo kInfo{
        "ssh", "SSH password and keyboard-interactive login (libssh); host key recorded", {"ssh"}, "login"};
    return kInfo;
  }

  bool applies(const ServiceObservation& s) const override { return s.service == "ssh"; }

  Task<OpenAccessResult> check_open(const CheckTarget& t) const override {
    OpenAccessResult out;
    auto fd = co_await connect_socket(t);
    if (!fd) co_return out;
    AttemptResult r = co_await ssh::run_session(t.ex, *fd, plan_for(t, kOpenUser));
    // The "none" request counts as a login attempt once the key exchange got that far.
    if (r.evidence.count(ssh::kAuthMethods) || r.outcome == Outcome::accepted) out.attempts = 1;
    out.lockout = r.outcome == Outcome::lockout;
    if (r.outcome == Outcome::accepted) {
      r.evidence["username"] = kOpenUser;
      out.found.push_back(OpenAccess{"no-authentication", r.detail, std::move(r.evidence)});
      out.no_login_needed = true;
    }
    co_return out;
  }

  std::unique_ptr<LoginSession> session(const CheckTarget& t) const override {
    return std::make_unique<SshSession>(t);
  }

  Task<AttemptResult> attempt(const CheckTarget& t, const Credential& c) const override {
    auto fd = co_await connect_socket(t);
    if (!fd) co_return AttemptResult{Outcome::error, fd.error().message, {}};
    auto plan = plan_for(t, c.username);
    plan.password = &c.password;
    co_return co_await ssh::run_session(t.ex, *fd, std::move(plan));
  }
};

}  // namespace

const Checker& ssh_checker() {
  static const SshChecker kChecker;
  return kChecker;
}

}  // namespace mamori::creds
