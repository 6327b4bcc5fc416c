#include "pipeline/audit_stage.h"

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

namespace mamori {
namespace asio = boost::asio;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Job {
  DeviceObservation device;
  std::vector<ServiceObservation> services;
  std::string hostname;
};
}  // namespace

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
    for (const auto& f : findings) {
      self.findings_.fetch_add(1, std::memory_order_relaxed);
      sink.on_finding(f);
    }
    sink.on_device_audited(job.device, audits, findings);
    self.devices_done_.fetch_add(1, std::memory_order_relaxed);
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
