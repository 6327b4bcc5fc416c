#include "checks/creds/runner.h"

#include <algorithm>
#include <map>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>

namespace mamori::creds {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Runs `task` with a deadline; nullopt when the deadline passed first (the task is cancelled).
// Exceptions from a checker (a bug) become nullopt too: one service never takes the scan down.
template <class T>
Task<std::optional<T>> with_deadline(Task<T> task, Millis deadline) {
  using namespace asio::experimental::awaitable_operators;
  try {
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    auto r = co_await (std::move(task) || timer.async_wait(kTuple));
    if (r.index() == 0) co_return std::move(std::get<0>(r));
  } catch (const std::exception&) {
  }
  co_return std::nullopt;
}

// with_deadline that also gives up when `abort` is cancelled (a parallel worker proved a login
// or saw a lockout sign: the attempts still in flight are dropped, their connections closed).
template <class T>
Task<std::optional<T>> with_deadline(Task<T> task, Millis deadline, asio::steady_timer& abort) {
  using namespace asio::experimental::awaitable_operators;
  try {
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    auto r = co_await (std::move(task) || timer.async_wait(kTuple) || abort.async_wait(kTuple));
    if (r.index() == 0) co_return std::move(std::get<0>(r));
  } catch (const std::exception&) {
  }
  co_return std::nullopt;
}

bool mentions_refused(const std::string& detail) {
  std::string lower;
  for (char c : detail) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower.find("refused") != std::string::npos || lower.find("reset") != std::string::npos;
}

}  // namespace

std::string random_wrong_password() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string p = "Mx";  // never a real default: two classes, 16 chars
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  while (p.size() < 16) p.push_back(kAlphabet[pick(rng)]);
  return p;
}

Task<bool> DeviceBudget::acquire() {
  if (used_ >= policy_.max_attempts_per_device) co_return false;
  ++used_;
  auto now = Clock::now();
  if (next_ > now) {
    asio::steady_timer t(co_await asio::this_coro::executor, next_ - now);
    co_await t.async_wait(kTuple);
    now = Clock::now();
  }
  next_ = now + policy_.min_spacing;
  co_return true;
}

void DeviceBudget::back_off(Millis d) {
  auto base = std::max(next_, Clock::now());
  next_ = base + d;
}

Task<ServiceAudit> audit_service(net::Executor ex, const Checker& checker,
                                 const ServiceObservation& service, const DeviceContext& device,
                                 const CredentialCatalog& catalog, const SafetyPolicy& policy,
                                 DeviceBudget& budget) {
  ServiceAudit a;
  a.service = service;
  a.checker = checker.info().id;
  CheckTarget t;
  t.ex = ex;
  t.ip = service.ip;
  t.port = service.port;
  t.proto = service.proto;
  t.hostname = device.hostname;
  t.service = &a.service;
  t.limits = policy.limits;

  // 1. Access without any password.
  if (!co_await budget.acquire()) {
    a.detail = "device attempt cap reached before this service";
    co_return a;
  }
  a.attempts = 1;
  auto open = co_await with_deadline(checker.check_open(t), policy.attempt_timeout);
  if (open) {
    if (open->attempts > 1) {
      for (unsigned i = 1; i < open->attempts; ++i) co_await budget.acquire();
      a.attempts = open->attempts;
    }
    a.open = open->found;
    if (open->lockout) {
      a.outcome = "lockout_suspected";
      a.detail = "lockout or rate-limit sign before any password was tried";
      co_return a;
    }
    if (open->no_login_needed) {
      a.outcome = "no_auth_required";
      a.detail = open->found.empty() ? "no login needed" : open->found.front().detail;
      if (!open->found.empty()) a.evidence = open->found.front().evidence;
      co_return a;
    }
  }

  // 2. Credentials, most likely first, within both caps (one attempt kept for the control).
  unsigned service_left = policy.max_attempts_per_service > a.attempts + 1
                              ? policy.max_attempts_per_service - a.attempts - 1
                              : 0;
  unsigned device_left = budget.left() > 0 ? budget.left() - 1 : 0;
  size_t cap = std::min(service_left, device_left);
  CredentialQuery q{service.service, checker.info().credential_kind, device.category, device.vendor};
  std::vector<Credential> candidates = catalog.select(q);
  const size_t available = candidates.size();
  if (candidates.size() > cap) candidates.resize(cap);
  if (candidates.empty()) {
    a.detail = available == 0 ? "no credential list applies to this service"
                              : "attempt cap reached before any credential";
    co_return a;
  }

  // Shared by the workers (one event loop: no locking).
  size_t next = 0;  // the first credential not yet taken
  std::vector<bool> taken(candidates.size(), false);
  bool stop = false;
  asio::steady_timer abort(ex, asio::steady_timer::time_point::max());
  // Stops every worker and drops the attempts in flight.
  auto halt = [&] {
    stop = true;
    abort.cancel();
  };
  const unsigned n = std::max(1u, std::min<unsigned>(policy.parallel_per_service,
                                                     static_cast<unsigned>(candidates.size())));
  // A worker whose connection can take the next password of the same user takes the first
  // such credential among the next few (so the list order holds within the parallelism);
  // otherwise the first one not taken.
  const size_t window = std::max<size_t>(4, 2 * n);
  auto take = [&](const LoginSession* session) -> std::optional<size_t> {
    while (next < candidates.size() && taken[next]) ++next;
    if (next >= candidates.size()) return std::nullopt;
    size_t pick = next;
    if (session) {
      for (size_t i = next; i < candidates.size() && i < next + window; ++i) {
        if (!taken[i] && session->reusable(candidates[i])) {
          pick = i;
          break;
        }
      }
    }
    taken[pick] = true;
    return pick;
  };
  std::optional<std::pair<Credential, AttemptResult>> hit;
  std::string stop_outcome;  // lockout_suspected / skipped
  bool not_offered = false;  // the checker said the service offers no password login
  std::string stop_detail;
  unsigned rejected = 0;
  unsigned consecutive_errors = 0;
  // Rising delays are judged per username: a device may fail one account at once (root not
  // allowed on this tty) and another after a fixed delay (busybox: 3 s for a known user).
  struct Pace {
    std::vector<Clock::duration> first;  // the first three rejections
    Clock::duration baseline{};          // their median
    unsigned slow = 0;                   // consecutive slow rejections since
  };
  std::map<std::string, Pace> pace;
  std::string last_error;

  auto worker = [&]() -> Task<void> {
    std::unique_ptr<LoginSession> session;  // this worker's connection, reused when it can be
    while (!stop && a.attempts + 1 < policy.max_attempts_per_service) {
      auto i = take(session.get());
      if (!i) break;
      Credential cred = candidates[*i];  // a copy: retries append to `candidates`
      if (!co_await budget.acquire()) {
        halt();
        break;
      }
      if (stop) break;
      ++a.attempts;
      if (!session || !session->reusable(cred)) session = checker.session(t);
      auto started = Clock::now();
      auto r = co_await with_deadline(session->attempt(cred), policy.attempt_timeout, abort);
      auto took = Clock::now() - started;
      if (stop) break;
      if (!r) session.reset();  // cut off mid-attempt: the connection's state is unknown
      AttemptResult res = r ? std::move(*r) : AttemptResult{Outcome::error, "attempt timed out", {}};
      switch (res.outcome) {
        case Outcome::accepted:
          hit.emplace(cred, std::move(res));
          if (policy.stop_at_first) halt();
          break;
        case Outcome::rejected: {
          ++rejected;
          consecutive_errors = 0;
          Pace& p = pace[cred.username];
          if (p.first.size() < 3) {
            p.first.push_back(took);
            auto sorted = p.first;
            std::sort(sorted.begin(), sorted.end());
            p.baseline = sorted[sorted.size() / 2];
            break;
          }
          // Rising delays: three answers in a row 3x slower (and slow_margin slower) than the
          // median of the first ones for that user. A constant failure delay (busybox login's
          // 3 s) is not rising, and one slow answer on a busy machine is noise.
          const auto baseline = p.baseline;
          if (took > 3 * baseline && took > baseline + policy.slow_margin) {
            if (++p.slow >= 3) {
              halt();
              stop_outcome = "lockout_suspected";
              auto ms = [](Clock::duration d) {
                return std::to_string(std::chrono::duration_cast<Millis>(d).count());
              };
              stop_detail = "answers slowed down from " + ms(baseline) + " ms to " + ms(took) +
                            " ms after " + std::to_string(rejected) + " rejected attempts";
            }
          } else {
            p.slow = 0;
          }
          break;
        }
        case Outcome::lockout:
          halt();
          stop_outcome = "lockout_suspected";
          stop_detail = res.detail.empty() ? "lockout sign" : res.detail;
          break;
        case Outcome::unsupported:
          halt();
          stop_outcome = "skipped";
          stop_detail = res.detail.empty() ? "login method not offered" : res.detail;
          not_offered = true;
          break;
        case Outcome::error:
          last_error = res.detail;
          ++consecutive_errors;
          if (rejected > 0 && mentions_refused(res.detail)) {
            // It answered before and now refuses: the classic sign of a lockout.
            halt();
            stop_outcome = "lockout_suspected";
            stop_detail = "connections refused after " + std::to_string(rejected) +
                          " rejected attempts (" + res.detail + ")";
          } else if (consecutive_errors >= 3) {
            halt();
            stop_outcome = rejected > 0 ? "lockout_suspected" : "skipped";
            stop_detail = (rejected > 0 ? "stopped answering after " + std::to_string(rejected) +
                                              " rejected attempts: "
                                        : std::string("no usable answer: ")) + res.detail;
          } else {
            // Back off and give this credential one more chance later.
            budget.back_off(Millis(1000) * consecutive_errors);
            candidates.push_back(cred);
            taken.push_back(false);
          }
          break;
      }
    }
  };

  if (n == 1) {
    co_await worker();
  } else {
    unsigned running = n;
    asio::steady_timer done(ex, asio::steady_timer::time_point::max());
    for (unsigned i = 0; i < n; ++i) {
      asio::co_spawn(ex, [&]() -> Task<void> {
        co_await worker();
        if (--running == 0) done.cancel();
      }, asio::detached);
    }
    co_await done.async_wait(kTuple);
  }

  // 3. A success counts only if a wrong password then fails (negative control).
  if (hit) {
    Credential control{hit->first.username, random_wrong_password(), "control", ""};
    AttemptResult cres{Outcome::error, "device attempt cap reached", {}};
    if (co_await budget.acquire()) {  // one attempt was kept for this
      ++a.attempts;
      auto r = co_await with_deadline(checker.attempt(t, control), policy.attempt_timeout);
      cres = r ? std::move(*r) : AttemptResult{Outcome::error, "attempt timed out", {}};
    }
    a.evidence = hit->second.evidence;
    switch (cres.outcome) {
      case Outcome::rejected:
        a.outcome = "accepted";
        a.accepted = hit->first;
        a.control_passed = true;
        a.detail = hit->second.detail;
        break;
      case Outcome::accepted:
        a.outcome = "no_auth_required";
        a.detail = "accepts any password (a random wrong password was accepted too): " +
                   hit->second.detail;
        break;
      default:
        a.outcome = "skipped";
        a.detail = "a login seemed to succeed but the negative control was inconclusive (" +
                   std::string(outcome_name(cres.outcome)) + ": " + cres.detail +
                   "): not reported";
        break;
    }
    co_return a;
  }
  if (!stop_outcome.empty()) {
    a.outcome = stop_outcome;
    a.detail = stop_detail;
    // The policy engine tells "no password login here" from "could not conclude".
    if (not_offered) a.evidence["skip"] = "login-not-offered";
    co_return a;
  }
  if (rejected == 0) {
    a.outcome = "skipped";
    a.detail = "no attempt got an answer" + (last_error.empty() ? "" : ": " + last_error);
    co_return a;
  }
  a.outcome = "rejected_all";
  a.detail = std::to_string(rejected) + " credentials rejected" +
             (candidates.size() < available ? " (attempt cap reached)" : "");
  co_return a;
}

Task<LockoutTest> lockout_test(net::Executor ex, const Checker& checker,
                               const ServiceObservation& service, const std::string& username,
                               unsigned burst, const SafetyPolicy& policy) {
  LockoutTest r;
  CheckTarget t;
  t.ex = ex;
  t.ip = service.ip;
  t.port = service.port;
  t.proto = service.proto;
  t.service = &service;
  t.limits = policy.limits;
  std::vector<double> ms;
  unsigned errors = 0;
  for (unsigned i = 0; i < burst; ++i) {
    Credential wrong{username, random_wrong_password(), "lockout-test", ""};
    auto started = Clock::now();
    auto a = co_await with_deadline(checker.attempt(t, wrong), policy.attempt_timeout);
    double took = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    ++r.attempts;
    AttemptResult res = a ? std::move(*a) : AttemptResult{Outcome::error, "attempt timed out", {}};
    if (res.outcome == Outcome::lockout) {
      r.verdict = "locked";
      r.detail = "lockout sign after " + std::to_string(r.attempts) + " wrong passwords: " + res.detail;
      break;
    }
    if (res.outcome == Outcome::accepted) {
      r.verdict = "inconclusive";
      r.detail = "a random wrong password was accepted: the service checks nothing";
      break;
    }
    if (res.outcome == Outcome::unsupported) {
      r.verdict = "inconclusive";
      r.detail = res.detail;
      break;
    }
    if (res.outcome == Outcome::error) {
      if (!ms.empty() && mentions_refused(res.detail)) {
        r.verdict = "locked";
        r.detail = "connections refused after " + std::to_string(ms.size()) + " wrong passwords";
        break;
      }
      if (++errors >= 3) {
        r.verdict = ms.empty() ? "inconclusive" : "locked";
        r.detail = "the service stopped answering: " + res.detail;
        break;
      }
      continue;
    }
    errors = 0;
    ms.push_back(took);
    if (ms.size() >= 4) {
      std::vector<double> first(ms.begin(), ms.begin() + 3);
      std::sort(first.begin(), first.end());
      if (took > 3 * first[1] && took > first[1] + 2000) {
        r.verdict = "slowed";
        r.detail = "answers slowed from " + std::to_string(static_cast<int>(first[1])) + " ms to " +
                   std::to_string(static_cast<int>(took)) + " ms";
        break;
      }
    }
    if (policy.min_spacing.count() > 0) {
      asio::steady_timer pause(ex, policy.min_spacing);
      co_await pause.async_wait(kTuple);
    }
  }
  if (!ms.empty()) {
    std::vector<double> first(ms.begin(), ms.begin() + std::min<size_t>(3, ms.size()));
    std::sort(first.begin(), first.end());
    r.first_ms = first[first.size() / 2];
    r.last_ms = ms.back();
  }
  if (r.verdict.empty()) {
    r.verdict = ms.size() == burst ? "unlimited" : "inconclusive";
    r.detail = std::to_string(ms.size()) + " wrong passwords rejected without any delay or lockout";
  }
  co_return r;
}

}  // namespace mamori::creds
