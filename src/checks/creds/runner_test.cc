// The runner's safety policy, with a scripted checker standing in for a device.
#include "checks/creds/runner.h"

#include <gtest/gtest.h>

#include <functional>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "checks/creds/testing/creds_testing.h"

namespace mamori::creds {
namespace {

using Clock = std::chrono::steady_clock;

// A device whose answers the test scripts: `answer(cred, n)` for the n-th attempt.
class ScriptedChecker : public Checker {
 public:
  std::function<AttemptResult(const Credential&, unsigned)> answer;
  OpenAccessResult open;
  mutable std::vector<Credential> tried;
  mutable std::vector<Clock::time_point> started;

  const CheckerInfo& info() const override { return info_; }
  bool applies(const ServiceObservation& s) const override { return true; }
  Task<OpenAccessResult> check_open(const CheckTarget&) const override { co_return open; }
  std::function<Millis(unsigned)> delay;  // how long the n-th answer takes (default none)
  Task<AttemptResult> attempt(const CheckTarget& t, const Credential& c) const override {
    EXPECT_NE(t.service, nullptr);
    started.push_back(Clock::now());
    tried.push_back(c);
    unsigned n = static_cast<unsigned>(tried.size());
    if (delay) {
      boost::asio::steady_timer timer(t.ex, delay(n));
      co_await timer.async_wait(boost::asio::use_awaitable);
    }
    co_return answer(c, n);
  }

 private:
  CheckerInfo info_{"scripted", "test", {"telnet"}, "login"};
};

CredentialCatalog catalog(unsigned n_pairs, bool one_user = false) {
  CredentialList l;
  l.name = "weak-common";
  for (unsigned i = 0; i < n_pairs; ++i) {
    CredentialEntry e;
    e.cred = {one_user ? "admin" : "user" + std::to_string(i), "pass" + std::to_string(i), "weak-common", ""};
    l.entries.push_back(e);
  }
  CredentialCatalog c;
  c.add(l);
  return c;
}

struct Fixture : ::testing::Test {
  boost::asio::io_context io;
  SafetyPolicy policy;
  ServiceObservation svc;
  Fixture() {
    policy.min_spacing = Millis(0);
    svc.ip = *Ip::parse("127.0.0.1");
    svc.port = 23;
    svc.service = "telnet";
  }
  ServiceAudit run(const Checker& c, const CredentialCatalog& cat, DeviceBudget& budget) {
    return testing::run_sync(io, audit_service(io.get_executor(), c, svc, DeviceContext{}, cat,
                                               policy, budget));
  }
  ServiceAudit run(const Checker& c, const CredentialCatalog& cat) {
    DeviceBudget budget(policy);
    return run(c, cat, budget);
  }
};

AttemptResult accept_only(const Credential& c, const std::string& pass) {
  if (c.password == pass) return {Outcome::accepted, "shell prompt", {{"k", "v"}}};
  return {Outcome::rejected, "Login incorrect", {}};
}

TEST_F(Fixture, ProvenSuccessNeedsTheNegativeControlToFail) {
  ScriptedChecker c;
  c.answer = [](const Credential& cr, unsigned) { return accept_only(cr, "pass3"); };
  auto a = run(c, catalog(10));
  EXPECT_EQ(a.outcome, "accepted");
  ASSERT_TRUE(a.accepted);
  EXPECT_EQ(a.accepted->username, "user3");
  EXPECT_TRUE(a.control_passed);
  // open check + 4 tries + the control with the same user and a random password
  EXPECT_EQ(a.attempts, 6u);
  ASSERT_EQ(c.tried.size(), 5u);
  EXPECT_EQ(c.tried.back().username, "user3");
  EXPECT_NE(c.tried.back().password, "pass3");
  EXPECT_EQ(a.evidence.at("k"), "v");
}

TEST_F(Fixture, AcceptingAnyPasswordIsNoAuthNotADefault) {
  ScriptedChecker c;
  c.answer = [](const Credential&, unsigned) { return AttemptResult{Outcome::accepted, "ok", {}}; };
  auto a = run(c, catalog(10));
  EXPECT_EQ(a.outcome, "no_auth_required");
  EXPECT_FALSE(a.accepted);
}

TEST_F(Fixture, InconclusiveControlDiscardsTheHit) {
  ScriptedChecker c;
  c.answer = [](const Credential& cr, unsigned n) {
    if (cr.password == "pass0") return AttemptResult{Outcome::accepted, "ok", {}};
    return AttemptResult{Outcome::error, "timed out", {}};
  };
  auto a = run(c, catalog(3));
  EXPECT_EQ(a.outcome, "skipped");
  EXPECT_FALSE(a.accepted);
}

TEST_F(Fixture, CapsAttemptsPerServiceAndPerDevice) {
  ScriptedChecker c;
  c.answer = [](const Credential&, unsigned) { return AttemptResult{Outcome::rejected, "no", {}}; };
  policy.max_attempts_per_service = 7;
  auto a = run(c, catalog(50));
  EXPECT_EQ(a.outcome, "rejected_all");
  EXPECT_LE(a.attempts, 7u);
  EXPECT_LE(c.tried.size(), 6u);

  ScriptedChecker d;
  d.answer = c.answer;
  policy.max_attempts_per_service = 30;
  policy.max_attempts_per_device = 12;
  DeviceBudget budget(policy);
  auto first = run(d, catalog(50), budget);
  auto second = run(d, catalog(50), budget);
  EXPECT_LE(first.attempts + second.attempts, 12u);
  EXPECT_LE(budget.used(), 12u);
  EXPECT_EQ(second.outcome, "skipped");
}

TEST_F(Fixture, LockoutSignStopsAtOnce) {
  ScriptedChecker c;
  c.answer = [](const Credential&, unsigned n) {
    return n < 3 ? AttemptResult{Outcome::rejected, "no", {}}
                 : AttemptResult{Outcome::lockout, "account locked", {}};
  };
  auto a = run(c, catalog(20));
  EXPECT_EQ(a.outcome, "lockout_suspected");
  EXPECT_EQ(c.tried.size(), 3u);
}

TEST_F(Fixture, RefusedAfterRejectionsIsLockout) {
  ScriptedChecker c;
  c.answer = [](const Credential&, unsigned n) {
    return n < 4 ? AttemptResult{Outcome::rejected, "no", {}}
                 : AttemptResult{Outcome::error, "connection refused", {}};
  };
  auto a = run(c, catalog(20));
  EXPECT_EQ(a.outcome, "lockout_suspected");
  EXPECT_EQ(c.tried.size(), 4u);
}

TEST_F(Fixture, UnsupportedMethodSkipsTheService) {
  ScriptedChecker c;
  c.answer = [](const Credential&, unsigned) {
    return AttemptResult{Outcome::unsupported, "publickey only", {}};
  };
  auto a = run(c, catalog(20));
  EXPECT_EQ(a.outcome, "skipped");
  EXPECT_EQ(a.detail, "publickey only");
  EXPECT_EQ(c.tried.size(), 1u);
  // The policy engine must tell "no password login here" from "could not conclude".
  EXPECT_EQ(a.evidence["skip"], "login-not-offered");
}

TEST_F(Fixture, OpenServiceNeedsNoPasswords) {
  ScriptedChecker c;
  c.open.no_login_needed = true;
  c.open.found.push_back({"no-authentication", "shell without login", {}});
  c.answer = [](const Credential&, unsigned) { return AttemptResult{Outcome::accepted, "", {}}; };
  auto a = run(c, catalog(20));
  EXPECT_EQ(a.outcome, "no_auth_required");
  EXPECT_TRUE(c.tried.empty());
  ASSERT_EQ(a.open.size(), 1u);
  EXPECT_EQ(a.open[0].check_id, "no-authentication");
}

TEST_F(Fixture, ErrorsAreRetriedOnceThenTheServiceIsSkipped) {
  ScriptedChecker c;
  c.answer = [](const Credential&, unsigned) { return AttemptResult{Outcome::error, "timed out", {}}; };
  auto a = run(c, catalog(20));
  EXPECT_EQ(a.outcome, "skipped");
  EXPECT_EQ(a.evidence.count("skip"), 0u);  // inconclusive, not "no login"
  EXPECT_EQ(c.tried.size(), 3u);
}

TEST_F(Fixture, SpacingBetweenAttemptsOnOneDevice) {
  policy.min_spacing = Millis(40);
  ScriptedChecker c;
  c.answer = [](const Credential&, unsigned) { return AttemptResult{Outcome::rejected, "no", {}}; };
  // A lower bound that holds by construction, not a speed measurement: the budget grants the
  // n-th attempt no earlier than (n-1) spacings after the first grant, which itself comes after
  // `before`; a steady timer never fires early. (Gaps between the checker's own timestamps are
  // not bounded: each is taken a variable moment after its grant.)
  auto before = Clock::now();
  auto a = run(c, catalog(4));
  ASSERT_EQ(c.started.size(), 4u);
  EXPECT_GE(c.started.back() - before, 3 * Millis(40));
}

TEST_F(Fixture, ParallelWorkersStillStopAtTheFirstSuccess) {
  policy.parallel_per_service = 4;
  ScriptedChecker c;
  c.answer = [](const Credential& cr, unsigned) { return accept_only(cr, "pass5"); };
  auto a = run(c, catalog(40));
  EXPECT_EQ(a.outcome, "accepted");
  EXPECT_EQ(a.accepted->password, "pass5");
  // the hit (6th), at most 3 others in flight when it landed, and the control
  EXPECT_LE(c.tried.size(), 10u);
}

TEST_F(Fixture, AConstantFailureDelayIsNotALockout) {
  // busybox login: every wrong password costs the same fixed delay; one answer may be slow.
  policy.slow_margin = Millis(30);
  ScriptedChecker c;
  c.delay = [](unsigned n) { return Millis(n == 6 ? 200 : 20); };
  c.answer = [](const Credential&, unsigned) { return AttemptResult{Outcome::rejected, "no", {}}; };
  auto a = run(c, catalog(10));
  EXPECT_EQ(a.outcome, "rejected_all") << a.detail;
  EXPECT_EQ(c.tried.size(), 10u);
}

TEST_F(Fixture, RisingDelaysAreALockoutSign) {
  policy.slow_margin = Millis(30);
  ScriptedChecker c;
  c.delay = [](unsigned n) { return Millis(n <= 4 ? 10 : 150); };
  c.answer = [](const Credential&, unsigned) { return AttemptResult{Outcome::rejected, "no", {}}; };
  auto a = run(c, catalog(20, true));
  EXPECT_EQ(a.outcome, "lockout_suspected");
  EXPECT_EQ(c.tried.size(), 7u);  // three at normal speed... then three slow ones in a row
}

TEST_F(Fixture, DelaysAreComparedPerUser) {
  // root fails at once (not allowed on this tty), admin after a fixed delay: not a lockout.
  policy.slow_margin = Millis(30);
  CredentialList l;
  l.name = "weak-common";
  for (unsigned i = 0; i < 12; ++i) {
    CredentialEntry e;
    e.cred = {i < 6 ? "root" : "admin", "p" + std::to_string(i), "weak-common", ""};
    l.entries.push_back(e);
  }
  CredentialCatalog cat;
  cat.add(l);
  ScriptedChecker c;
  c.delay = [](unsigned n) { return Millis(n <= 6 ? 5 : 120); };
  c.answer = [](const Credential&, unsigned) { return AttemptResult{Outcome::rejected, "no", {}}; };
  auto a = run(c, cat);
  EXPECT_EQ(a.outcome, "rejected_all") << a.detail;
}

// A device that takes several passwords per connection (as SSH does): each session is one
// connection bound to the user name of its first attempt, taking up to `per_connection`.
class SessionChecker : public ScriptedChecker {
 public:
  unsigned per_connection = 3;
  mutable unsigned connections = 0;
  mutable std::vector<unsigned> connection_of;  // per attempt, in order

  class Session : public LoginSession {
   public:
    Session(const SessionChecker& c, const CheckTarget& t) : c_(c), t_(t) {}
    Task<AttemptResult> attempt(const Credential& cr) override {
      if (!reusable(cr)) {
        id_ = ++c_.connections;
        user_ = cr.username;
        used_ = 0;
      }
      ++used_;
      c_.connection_of.push_back(id_);
      AttemptResult r = co_await c_.attempt(t_, cr);
      clean_ = r.outcome == Outcome::rejected;
      co_return r;
    }
    bool reusable(const Credential& next) const override {
      return id_ != 0 && clean_ && next.username == user_ && used_ < c_.per_connection;
    }

   private:
    const SessionChecker& c_;
    const CheckTarget& t_;
    unsigned id_ = 0;
    unsigned used_ = 0;
    bool clean_ = false;
    std::string user_;
  };
  std::unique_ptr<LoginSession> session(const CheckTarget& t) const override {
    return std::make_unique<Session>(*this, t);
  }
};

TEST_F(Fixture, ConnectionsAreReusedForTheSameUserWithinTheirBound) {
  CredentialList l;
  l.name = "weak-common";
  // root x4, admin x2, root x1: the lone root after admin may join a root connection.
  for (auto [u, p] : std::vector<std::pair<std::string, std::string>>{
           {"root", "a"}, {"root", "b"}, {"root", "c"}, {"root", "d"}, {"admin", "e"}, {"admin", "f"}, {"root", "g"}}) {
    CredentialEntry e;
    e.cred = {u, p, "weak-common", ""};
    l.entries.push_back(e);
  }
  CredentialCatalog cat;
  cat.add(l);
  SessionChecker c;
  c.per_connection = 3;
  c.answer = [](const Credential&, unsigned) { return AttemptResult{Outcome::rejected, "no", {}}; };
  auto a = run(c, cat);
  EXPECT_EQ(a.outcome, "rejected_all") << a.detail;
  ASSERT_EQ(c.tried.size(), 7u);
  // One worker: root a,b,c on connection 1 (its bound), root d on 2, which then takes root g
  // from a little further down the list before the admins (3).
  EXPECT_EQ(c.connection_of, (std::vector<unsigned>{1, 1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(c.tried[4].password, "g");
  for (size_t i = 0; i < c.tried.size(); ++i) {
    for (size_t j = 0; j < c.tried.size(); ++j) {
      if (c.connection_of[i] == c.connection_of[j]) EXPECT_EQ(c.tried[i].username, c.tried[j].username);
    }
  }
  EXPECT_EQ(a.attempts, 8u);  // the open check and every password, each counted
}

TEST_F(Fixture, AnErrorEndsTheConnection) {
  SessionChecker c;
  c.per_connection = 10;
  c.answer = [](const Credential&, unsigned n) {
    return n == 2 ? AttemptResult{Outcome::error, "timed out", {}} : AttemptResult{Outcome::rejected, "no", {}};
  };
  auto a = run(c, catalog(4, true));
  ASSERT_GE(c.connection_of.size(), 3u);
  EXPECT_EQ(c.connection_of[0], c.connection_of[1]);
  EXPECT_NE(c.connection_of[1], c.connection_of[2]);  // a new connection after the error
}

TEST_F(Fixture, AttemptsInFlightAreDroppedAtTheFirstSuccess) {
  // Three workers sit in a device that answers wrong passwords only after 30 s (a tarpit); the
  // fourth proves a login. The audit must not wait for the other three.
  policy.parallel_per_service = 4;
  policy.attempt_timeout = Millis(60000);
  ScriptedChecker c;
  c.delay = [](unsigned n) { return Millis(n <= 3 ? 30000 : 10); };
  c.answer = [](const Credential& cr, unsigned) { return accept_only(cr, "pass3"); };
  auto before = Clock::now();
  auto a = run(c, catalog(4));
  auto took = Clock::now() - before;
  EXPECT_EQ(a.outcome, "accepted") << a.detail;
  ASSERT_TRUE(a.accepted);
  EXPECT_EQ(a.accepted->password, "pass3");
  // The control (5th attempt) answers at once; 30 s would mean the runner waited.
  EXPECT_LT(took, Millis(20000));
}

TEST(RandomWrongPassword, IsLongAndVaries) {
  auto a = random_wrong_password(), b = random_wrong_password();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace mamori::creds
