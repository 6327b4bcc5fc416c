#include "pipeline/identify_stage.h"

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

#include "probes/identify.h"

namespace mamori {
namespace asio = boost::asio;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
}

struct IdentifyStage::Impl {
  Impl(IdentifyStage& owner, IdentifyOptions o, Classifier c, IdentifySink& s)
      : self(owner), opt(std::move(o)), classify(std::move(c)), sink(s), wakeup(ioc) {
    wakeup.expires_at(asio::steady_timer::time_point::max());
  }

  IdentifyStage& self;
  IdentifyOptions opt;
  Classifier classify;
  IdentifySink& sink;
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
  asio::steady_timer wakeup;  // signalled when a host arrives or the input closes
  std::deque<HostObservation> queue;  // touched on the loop thread only
  bool closed = false;
  unsigned workers_left = 0;
  std::thread thread;

  asio::awaitable<std::optional<HostObservation>> next_host() {
    while (queue.empty() && !closed) {
      co_await wakeup.async_wait(kTuple);
    }
    if (queue.empty()) co_return std::nullopt;
    HostObservation h = std::move(queue.front());
    queue.pop_front();
    co_return h;
  }

  probes::ProbeContext context(Ip ip, uint16_t port) {
    probes::ProbeContext ctx;
    ctx.ex = ioc.get_executor();
    ctx.ip = ip;
    ctx.port = port;
    ctx.limits = opt.limits;
    ctx.banner_wait = opt.banner_wait;
    return ctx;
  }

  // Identifies the host's ports, `port_concurrency` at a time.
  asio::awaitable<void> identify_host(HostObservation host) {
    struct Item {
      uint16_t port;
      Proto proto;
    };
    std::vector<Item> items;
    for (const auto& p : host.open) items.push_back({p.port, Proto::tcp});
    bool alive = !host.open.empty() || host.closed > 0 || host.assume_alive || !host.alive_by.empty();
    if (alive) {
      for (uint16_t u : opt.udp_ports) items.push_back({u, Proto::udp});
    }
    if (items.empty() && host.alive_by.empty()) co_return;
    std::vector<std::optional<ServiceObservation>> results(items.size());
    size_t next = 0;
    unsigned running = 0;
    asio::steady_timer done(ioc, asio::steady_timer::time_point::max());
    auto worker = [&]() -> asio::awaitable<void> {
      while (next < items.size()) {
        size_t i = next++;
        auto ctx = context(host.ip, items[i].port);
        if (items[i].proto == Proto::tcp) {
          results[i] = co_await probes::identify_tcp(ctx);
        } else {
          results[i] = co_await probes::identify_udp(ctx);
        }
        if (results[i]) {
          self.services_.fetch_add(1, std::memory_order_relaxed);
        }
      }
      if (--running == 0) done.cancel();
    };
    if (!items.empty()) {  // (no items: a discovered host with nothing to probe)
      unsigned n = std::max(1u, std::min<unsigned>(opt.port_concurrency, static_cast<unsigned>(items.size())));
      running = n;
      for (unsigned i = 0; i < n; ++i) asio::co_spawn(ioc, worker(), asio::detached);
      co_await done.async_wait(kTuple);
    }

    std::vector<ServiceObservation> services;
    for (auto& r : results) {
      if (r) services.push_back(std::move(*r));
    }
    DeviceObservation device;
    device.ip = host.ip;
    if (classify) device = classify(host.ip, services);
    device.ip = host.ip;
    device.alive_by = host.alive_by;
    for (const auto& s : services) sink.on_service(s);
    // A discovered host is a device even with nothing to identify (no open port, no answer).
    if (!services.empty() || !host.alive_by.empty()) sink.on_device(device, services);
    self.hosts_done_.fetch_add(1, std::memory_order_relaxed);
  }

  asio::awaitable<void> worker() {
    while (auto host = co_await next_host()) co_await identify_host(std::move(*host));
    if (--workers_left == 0) guard.reset();
  }
};

IdentifyStage::IdentifyStage(IdentifyOptions options, Classifier classifier, IdentifySink& sink)
    : impl_(std::make_unique<Impl>(*this, std::move(options), std::move(classifier), sink)) {
  unsigned n = std::max(1u, impl_->opt.host_concurrency);
  impl_->workers_left = n;
  for (unsigned i = 0; i < n; ++i) asio::co_spawn(impl_->ioc, impl_->worker(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

IdentifyStage::~IdentifyStage() {
  stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void IdentifyStage::submit(HostObservation host) {
  asio::post(impl_->ioc, [impl = impl_.get(), h = std::move(host)]() mutable {
    impl->queue.push_back(std::move(h));
    impl->wakeup.cancel_one();
  });
}

void IdentifyStage::close() {
  asio::post(impl_->ioc, [impl = impl_.get()] {
    impl->closed = true;
    impl->wakeup.cancel();
  });
}

void IdentifyStage::wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void IdentifyStage::stop() { impl_->ioc.stop(); }

}  // namespace mamori
