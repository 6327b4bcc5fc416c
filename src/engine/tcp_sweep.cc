#include "engine/tcp_sweep.h"

#include <sys/resource.h>

#include <algorithm>
#include <exception>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mamori {
namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr unsigned kReservedFds = 64;
constexpr unsigned kMaxLocalRetries = 400;  // x 5 ms: give up on a port after ~2 s of EADDRNOTAVAIL

tcp::endpoint to_endpoint(Ip ip, uint16_t port) {
  if (ip.is_v4()) return {asio::ip::address_v4(ip.v4()), port};
  asio::ip::address_v6::bytes_type b;
  ip.to_bytes(b.data());
  return {asio::ip::address_v6(b), port};
}

// A local shortage (ephemeral ports, buffers, descriptors): try again shortly, it is not the
// target's answer.
bool is_local_shortage(const error_code& ec) {
  int v = ec.value();
  return ec.category() == boost::system::system_category() &&
         (v == EADDRNOTAVAIL || v == ENOBUFS || v == ENOMEM || v == EMFILE || v == ENFILE ||
          v == EAGAIN);
}

}  // namespace

const char* port_state_name(PortState s) {
  switch (s) {
    case PortState::open: return "open";
    case PortState::closed: return "closed";
    case PortState::filtered: return "filtered";
  }
  return "unknown";
}

uint64_t raise_nofile_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : rl.rlim_cur;
}

class TcpSweep::Worker {
 public:
  Worker(TcpSweep& sweep, unsigned lanes, double rate) : s_(sweep), rate_(rate) {
    lanes_.reserve(lanes);
    for (unsigned i = 0; i < lanes; ++i) lanes_.push_back(std::make_unique<Lane>(ioc_));
    auto t = s_.opt_.timeout / 8;
    tick_ = std::clamp<Clock::duration>(t, std::chrono::milliseconds(1), std::chrono::milliseconds(50));
    interval_ = rate_ > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate_))
                          : Clock::duration::zero();
    // Allow a burst of about 10 ms worth of attempts (at least one).
    burst_ = std::max<Clock::duration>(interval_, std::chrono::milliseconds(10));
  }

  // Runs this worker's event loop until its lanes finish or stop() is called.
  void run() {
    auto rethrow = [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    };
    active_lanes_ = static_cast<unsigned>(lanes_.size());
    next_slot_ = Clock::now();
    for (auto& lane : lanes_) asio::co_spawn(ioc_, lane_loop(*lane), rethrow);
    asio::co_spawn(ioc_, reaper(), rethrow);
    ioc_.run();
  }
  void stop() { ioc_.stop(); }

 private:
  struct Lane {
    explicit Lane(asio::io_context& ioc) : sock(ioc), timer(ioc) {}
    tcp::socket sock;
    asio::steady_timer timer;  // rate limiting and back-off only
    Clock::time_point deadline;
    bool connecting = false;
    bool timed_out = false;
  };
  struct Job {
    std::shared_ptr<HostState> host;
    uint16_t port = 0;
  };

  bool next_job(Job& job) {
    for (;;) {
      if (!chunk_) {
        chunk_ = s_.dispatcher_.next_chunk();
        if (!chunk_) return false;
      }
      uint64_t element = 0, skips = 0;
      bool skipped = false;
      while (chunk_->walk.advance(element, skipped)) {
        if (skipped) {
          ++skips;
          continue;
        }
        job.host = chunk_->host;
        job.port = s_.dispatcher_.port_at(element);
        if (skips != 0) positions_done(*job.host, skips);
        return true;
      }
      if (skips != 0) positions_done(*chunk_->host, skips);
      chunk_.reset();
    }
  }

  void positions_done(HostState& host, uint64_t n) {
    if (host.remaining.fetch_sub(n, std::memory_order_acq_rel) != n) return;
    HostObservation obs;
    {
      std::lock_guard lock(host.mu);
      obs = std::move(host.obs);
    }
    std::sort(obs.open.begin(), obs.open.end(),
              [](const PortObservation& a, const PortObservation& b) { return a.port < b.port; });
    s_.counters_.hosts_done.fetch_add(1, std::memory_order_relaxed);
    s_.observer_.on_host(std::move(obs));
  }

  void finish(const Job& job, PortState state, double rtt_ms) {
    PortObservation o{job.host->ip, job.port, Proto::tcp, state, rtt_ms};
    {
      std::lock_guard lock(job.host->mu);
      if (state == PortState::open) job.host->obs.open.push_back(o);
      else if (state == PortState::closed) ++job.host->obs.closed;
      else ++job.host->obs.filtered;
    }
    if (state == PortState::open) s_.counters_.open.fetch_add(1, std::memory_order_relaxed);
    if (state == PortState::open || s_.opt_.report_all_states) s_.observer_.on_port(o);
    s_.counters_.probes_done.fetch_add(1, std::memory_order_relaxed);
    positions_done(*job.host, 1);
  }

  // Waits for this lane's slot under the rate limit (reservation-based: no thundering herd).
  asio::awaitable<void> throttle(Lane& lane) {
    auto now = Clock::now();
    if (next_slot_ < now - burst_) next_slot_ = now - burst_;
    auto slot = next_slot_;
    next_slot_ += interval_;
    if (slot > now) {
      lane.timer.expires_at(slot);
      co_await lane.timer.async_wait(kUseTuple);
    }
  }

  asio::awaitable<void> backoff(Lane& lane) {
    s_.counters_.local_errors.fetch_add(1, std::memory_order_relaxed);
    lane.timer.expires_after(std::chrono::milliseconds(5));
    co_await lane.timer.async_wait(kUseTuple);
  }

  // One (host, port): connect attempts with deadline and retries, classified.
  asio::awaitable<PortState> probe(Lane& lane, const tcp::endpoint& ep, double& rtt_ms) {
    unsigned attempts_left = s_.opt_.retries + 1;
    unsigned shortages = 0;
    for (;;) {
      error_code ec;
      lane.sock.open(ep.protocol(), ec);
      if (ec) {
        if (is_local_shortage(ec) && ++shortages < kMaxLocalRetries) {
          co_await backoff(lane);
          continue;
        }
        co_return PortState::filtered;
      }
      // Close with RST: no TIME_WAIT left behind on open ports.
      lane.sock.set_option(asio::socket_base::linger(true, 0), ec);
      if (rate_ > 0) co_await throttle(lane);
      s_.counters_.attempts.fetch_add(1, std::memory_order_relaxed);
      const auto t0 = Clock::now();
      lane.deadline = t0 + s_.opt_.timeout;
      lane.timed_out = false;
      lane.connecting = true;
      auto [cec] = co_await lane.sock.async_connect(ep, kUseTuple);
      lane.connecting = false;
      rtt_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

      PortState state = PortState::filtered;
      bool again = false;
      if (!cec) {
        // On loopback a connect to an ephemeral port can meet itself (simultaneous open):
        // nothing listens there, so it is never an open port.
        tcp::endpoint local = lane.sock.local_endpoint(ec);
        state = (!ec && local == ep) ? PortState::closed : PortState::open;
      } else if (cec == asio::error::connection_refused || cec == asio::error::connection_reset) {
        state = PortState::closed;
      } else if (lane.timed_out || cec == asio::error::timed_out) {
        again = --attempts_left > 0;
      } else if (is_local_shortage(cec) && ++shortages < kMaxLocalRetries) {
        lane.sock.close(ec);
        co_await backoff(lane);
        continue;
      }
      // Anything else (host/network unreachable, administratively prohibited) is filtered.
      lane.sock.close(ec);
      if (!again) co_return state;
    }
  }

  asio::awaitable<void> lane_loop(Lane& lane) {
    Job job;
    while (!s_.stopping_.load(std::memory_order_relaxed) && next_job(job)) {
      double rtt = 0;
      PortState state = co_await probe(lane, to_endpoint(job.host->ip, job.port), rtt);
      finish(job, state, rtt);
      job.host.reset();
    }
    --active_lanes_;
  }

  // Enforces connect deadlines for all lanes of this loop: one timer instead of one per probe.
  asio::awaitable<void> reaper() {
    asio::steady_timer timer(ioc_);
    while (active_lanes_ > 0) {
      timer.expires_after(tick_);
      co_await timer.async_wait(kUseTuple);
      const auto now = Clock::now();
      for (auto& lane : lanes_) {
        if (lane->connecting && !lane->timed_out && now >= lane->deadline) {
          lane->timed_out = true;
          error_code ec;
          lane->sock.cancel(ec);
        }
      }
    }
  }

  TcpSweep& s_;
  asio::io_context ioc_{1};
  std::vector<std::unique_ptr<Lane>> lanes_;  // declared after ioc_: destroyed before it
  std::optional<Chunk> chunk_;
  unsigned active_lanes_ = 0;
  Clock::duration tick_;
  double rate_;
  Clock::duration interval_;
  Clock::duration burst_;
  Clock::time_point next_slot_;
};

TcpSweep::TcpSweep(const TargetSet& targets, SweepOptions options, ScanObserver& observer)
    : targets_(targets),
      opt_(std::move(options)),
      observer_(observer),
      dispatcher_(targets_, opt_.tcp_ports, opt_.seed, opt_.shard) {
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  threads_ = opt_.threads == 0 ? hw : opt_.threads;
  uint64_t fd_budget = raise_nofile_limit();
  uint64_t cap = fd_budget > kReservedFds + 8 * threads_ ? fd_budget - kReservedFds - 8 * threads_ : 1;
  uint64_t lanes = std::max<uint64_t>(1, std::min<uint64_t>(opt_.concurrency, cap));
  lanes = std::min(lanes, std::max<uint64_t>(1, estimated_probes()));
  threads_ = static_cast<unsigned>(std::min<uint64_t>(threads_, lanes));
  lanes_total_ = static_cast<unsigned>(lanes);
  for (unsigned i = 0; i < threads_; ++i) {
    unsigned share = lanes_total_ / threads_ + (i < lanes_total_ % threads_ ? 1 : 0);
    workers_.push_back(std::make_unique<Worker>(*this, share, opt_.rate / threads_));
  }
}

TcpSweep::~TcpSweep() = default;

uint64_t TcpSweep::estimated_probes() const {
  return dispatcher_.estimated_hosts() * dispatcher_.ports_per_host();
}

bool TcpSweep::run() {
  std::vector<std::thread> threads;
  std::exception_ptr failure;
  std::mutex failure_mu;
  for (size_t i = 1; i < workers_.size(); ++i) {
    threads.emplace_back([this, i, &failure, &failure_mu] {
      try {
        workers_[i]->run();
      } catch (...) {
        std::lock_guard lock(failure_mu);
        failure = std::current_exception();
        stop();
      }
    });
  }
  try {
    workers_[0]->run();
  } catch (...) {
    std::lock_guard lock(failure_mu);
    failure = std::current_exception();
    stop();
  }
  for (auto& t : threads) t.join();
  bool complete = !stopping_.load();
  if (!complete) {
    // Hosts cut short: deliver what they had, marked incomplete. Their states are still held by
    // the workers' chunks and suspended probes, which live until the workers are destroyed.
    for (auto& host : dispatcher_.live_hosts()) {
      HostObservation obs = std::move(host->obs);
      obs.complete = false;
      if (obs.open.empty()) continue;
      std::sort(obs.open.begin(), obs.open.end(),
                [](const PortObservation& a, const PortObservation& b) { return a.port < b.port; });
      observer_.on_host(std::move(obs));
    }
  }
  if (failure) std::rethrow_exception(failure);
  return complete;
}

void TcpSweep::stop() {
  stopping_.store(true);
  for (auto& w : workers_) w->stop();
}

}  // namespace mamori
