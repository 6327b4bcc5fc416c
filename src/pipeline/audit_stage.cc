#include "pipeline/audit_stage.h"

#include <algorithm>
#include <deque>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tls/posture_findings.h"

namespace mamori {
namespace asio = boost::asio;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

constexpr uint16_t kTlsPorts[] = {443, 8443, 8883, 993, 995, 465, 636, 5061, 322, 5986, 10443};

struct Job {
  DeviceObservation device;
  std::vector<ServiceObservation> services;
  std::string hostname;
};
}  // namespace

bool is_tls_service(const ServiceObservation& s) {
  if (s.proto != Proto::tcp) return false;
  if (s.tls) return true;
  for (const char* n : {"https", "mqtts", "rtsps", "ftps", "imaps", "pop3s", "smtps", "ldaps", "sips", "wss"}) {
    if (s.service == n) return true;
  }
  return std::find(std::begin(kTlsPorts), std::end(kTlsPorts), s.port) != std::end(kTlsPorts);
}

bool is_ssh_service(const ServiceObservation& s) {
  return s.proto == Proto::tcp && (s.service == "ssh" || s.fields.count("ssh.version") != 0);
}

struct AuditStage::Impl {
  Impl(AuditStage& owner, AuditOptions o, const creds::CredentialCatalog& c, const CheckCatalog& k,
       CheckerFor f, AuditSink& s)
      : self(owner), opt(std::move(o)), credentials(c), checks(k), checker_for(f), sink(s), wakeup(ioc) {
    wakeup.expires_at(asio::steady_timer::time_point::max());
  }

  AuditStage& self;
  AuditOptions opt;
  const creds::CredentialCatalog& credentials;
  const CheckCatalog& checks;
  CheckerFor checker_for;
  AuditSink& sink;
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
  asio::steady_timer wakeup;
  std::deque<Job> queue;
  bool closed = false;
  unsigned workers_left = 0;
  std::thread thread;
  tls::KeyRegistry keys;  // fleet view of this scan; used on the stage's thread only

  asio::awaitable<std::optional<Job>> next_job() {
    while (queue.empty() && !closed) co_await wakeup.async_wait(kTuple);
    if (queue.empty()) co_return std::nullopt;
    Job j = std::move(queue.front());
    queue.pop_front();
    co_return j;
  }

  asio::awaitable<void> audit(Job job) {
    creds::DeviceBudget budget(opt.policy);
    creds::DeviceContext ctx{job.device.category, job.device.vendor, job.hostname};
    std::vector<creds::ServiceAudit> audits;
    for (const auto& s : job.services) {
      const creds::Checker* c = checker_for ? checker_for(s) : nullptr;
      if (c == nullptr) continue;
      auto a = co_await creds::audit_service(ioc.get_executor(), *c, s, ctx, credentials,
                                             opt.policy, budget);
      self.attempts_.fetch_add(a.attempts, std::memory_order_relaxed);
      sink.on_credential(a);
      audits.push_back(std::move(a));
    }
    auto findings = audit_findings(job.device, job.services, audits, checks, opt.reveal_secrets);
    std::vector<Finding> elsewhere;  // shared-key findings of devices audited earlier
    if (opt.posture) co_await posture(job, findings, elsewhere);
    for (const auto& f : findings) {
      self.findings_.fetch_add(1, std::memory_order_relaxed);
      sink.on_finding(f);
    }
    for (const auto& f : elsewhere) {
      self.findings_.fetch_add(1, std::memory_order_relaxed);
      sink.on_finding(f);
    }
    sink.on_device_audited(job.device, audits, findings);
    self.devices_done_.fetch_add(1, std::memory_order_relaxed);
  }

  // TLS and SSH posture of the device's services, one after another.
  asio::awaitable<void> posture(const Job& job, std::vector<Finding>& mine, std::vector<Finding>& elsewhere) {
    auto keep = [&](std::vector<Finding> fs) {
      for (auto& f : fs) (f.ip == job.device.ip ? mine : elsewhere).push_back(std::move(f));
    };
    for (const auto& s : job.services) {
      if (is_ssh_service(s)) {
        auto r = co_await tls::analyze_ssh(ioc.get_executor(), s.ip, s.port, opt.posture_limits);
        sink.on_ssh(r);
        keep(tls::ssh_findings(r, checks));
        for (const auto& k : r.host_keys) {
          keep(keys.observe(s.ip, s.port, "ssh", "ssh-host-key", k.sha256, checks));
        }
      } else if (auto st = is_tls_service(s) ? tls::StartTls::none : tls::starttls_for(s.service, s.tls);
                 is_tls_service(s) || st != tls::StartTls::none) {  // FTP: through AUTH TLS when offered
        auto r = co_await tls::analyze_tls(ioc.get_executor(), s.ip, s.port, job.hostname, opt.posture_limits, st);
        if (!r.tls) continue;  // not TLS after all (or stalled): nothing to record
        r.service = s.service;
        sink.on_tls(r);
        keep(tls::tls_findings(r, s.service, checks));
        if (r.cert) keep(keys.observe(s.ip, s.port, s.service, "tls-spki", r.cert->spki_sha256, checks));
      }
    }
  }

  asio::awaitable<void> worker() {
    while (auto job = co_await next_job()) co_await audit(std::move(*job));
    if (--workers_left == 0) guard.reset();
  }
};

AuditStage::AuditStage(AuditOptions options, const creds::CredentialCatalog& credentials,
                       const CheckCatalog& checks, CheckerFor checker_for, AuditSink& sink)
    : impl_(std::make_unique<Impl>(*this, std::move(options), credentials, checks, checker_for, sink)) {
  unsigned n = std::max(1u, impl_->opt.device_concurrency);
  impl_->workers_left = n;
  for (unsigned i = 0; i < n; ++i) asio::co_spawn(impl_->ioc, impl_->worker(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

AuditStage::~AuditStage() {
  stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void AuditStage::submit(DeviceObservation device, std::vector<ServiceObservation> services,
                        std::string hostname) {
  asio::post(impl_->ioc, [impl = impl_.get(), j = Job{std::move(device), std::move(services),
                                                       std::move(hostname)}]() mutable {
    impl->queue.push_back(std::move(j));
    impl->wakeup.cancel_one();
  });
}

void AuditStage::close() {
  asio::post(impl_->ioc, [impl = impl_.get()] {
    impl->closed = true;
    impl->wakeup.cancel();
  });
}

void AuditStage::wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void AuditStage::stop() { impl_->ioc.stop(); }

}  // namespace mamori
