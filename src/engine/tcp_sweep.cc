#include "engine/tcp_sweep.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <exception>
#include <system_error>
#include <thread>

namespace mamori {
namespace {

using Clock = std::chrono::steady_clock;

constexpr unsigned kReservedFds = 64;
constexpr unsigned kMaxLocalRetries = 400;  // x 5 ms: give up on a port after ~2 s of shortage
constexpr auto kShortageDelay = std::chrono::milliseconds(5);
constexpr int kMaxEvents = 512;

// A local shortage (ephemeral ports, buffers, descriptors): try again shortly; it is not the
// target's answer.
bool is_local_shortage(int err) {
  return err == EADDRNOTAVAIL || err == ENOBUFS || err == ENOMEM || err == EMFILE ||
         err == ENFILE || err == EAGAIN;
}

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
};

SockAddr to_sockaddr(Ip ip, uint16_t port) {
  SockAddr a;
  if (ip.is_v4()) {
    auto* s = reinterpret_cast<sockaddr_in*>(&a.ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    s->sin_addr.s_addr = htonl(ip.v4());
    a.len = sizeof(sockaddr_in);
    a.family = AF_INET;
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&a.ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    ip.to_bytes(s->sin6_addr.s6_addr);
    a.len = sizeof(sockaddr_in6);
    a.family = AF_INET6;
  }
  return a;
}

// True if the connected socket's local address equals the peer: a TCP self-connect.
bool is_self_connect(int fd) {
  sockaddr_storage local{}, peer{};
  socklen_t ll = sizeof local, pl = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) return false;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) return false;
  return ll == pl && std::memcmp(&local, &peer, ll) == 0;
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

// One event loop: a fixed pool of slots (one socket each at most), non-blocking connects
// watched with epoll, deadlines in a FIFO (every attempt has the same timeout, so deadlines
// arrive in start order), and a reservation-based rate limiter. Per closed port this costs five
// system calls: socket, connect, epoll_ctl, getsockopt, close.
class TcpSweep::Worker {
 public:
  Worker(TcpSweep& sweep, unsigned slots, double rate) : s_(sweep), rate_(rate) {
    slots_.resize(slots);
    for (unsigned i = 0; i < slots; ++i) free_.push_back(slots - 1 - i);
    interval_ = rate_ > 0 ? std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(1.0 / rate_))
                          : Clock::duration::zero();
    burst_ = std::max<Clock::duration>(interval_, std::chrono::milliseconds(10));
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || wakefd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeToken;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  }
  ~Worker() {
    for (Slot& s : slots_) {
      if (s.fd >= 0) close(s.fd);
    }
    close(epfd_);
    close(wakefd_);
  }

  // Thread-safe: wakes the loop, which then sees the sweep's stop flag.
  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = write(wakefd_, &one, sizeof one);
  }

  void run() {
    epoll_event events[kMaxEvents];
    next_slot_ = Clock::now();
    bool jobs_left = true;
    for (;;) {
      if (s_.stopping_.load(std::memory_order_relaxed)) return;
      auto now = Clock::now();
      retry_delayed(now);
      // Start attempts while slots, tokens and jobs last.
      Clock::time_point token_wait{};
      while (jobs_left && !free_.empty()) {
        if (rate_ > 0 && !take_token(now, token_wait)) break;
        Job job;
        if (!next_job(job)) {
          jobs_left = false;
          break;
        }
        unsigned idx = free_.back();
        free_.pop_back();
        Slot& slot = slots_[idx];
        slot.job = std::move(job);
        slot.attempts_left = s_.opt_.retries + 1;
        slot.shortages = 0;
        start_attempt(idx, now);
      }
      if (!jobs_left && free_.size() == slots_.size()) return;  // all done

      // Sleep until an event, the next deadline, a delayed retry or the next token.
      Clock::time_point wake_at = Clock::time_point::max();
      if (!deadlines_.empty()) wake_at = deadlines_.front().at;
      if (!delayed_.empty()) wake_at = std::min(wake_at, delayed_.front().at);
      if (token_wait != Clock::time_point{}) wake_at = std::min(wake_at, token_wait);
      int timeout_ms = -1;
      if (wake_at != Clock::time_point::max()) {
        auto d = std::chrono::ceil<std::chrono::milliseconds>(wake_at - Clock::now()).count();
        timeout_ms = static_cast<int>(std::clamp<int64_t>(d, 0, 1000));
      }
      int n = epoll_wait(epfd_, events, kMaxEvents, timeout_ms);
      now = Clock::now();
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kWakeToken) {
          uint64_t v;
          [[maybe_unused]] auto r = read(wakefd_, &v, sizeof v);
          continue;
        }
        unsigned idx = static_cast<unsigned>(events[i].data.u64);
        Slot& slot = slots_[idx];
        if (slot.fd < 0) continue;
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(slot.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err == 0 && !(events[i].events & EPOLLOUT)) continue;  // spurious
        attempt_done(idx, err, now);
      }
      expire_deadlines(now);
    }
  }

 private:
  static constexpr uint64_t kWakeToken = ~uint64_t{0};

  struct Job {
    std::shared_ptr<HostState> host;
    uint16_t port = 0;
  };
  struct Slot {
    Job job;
    int fd = -1;
    uint32_t gen = 0;  // bumped per attempt; stale deadline entries are ignored
    unsigned attempts_left = 0;
    unsigned shortages = 0;
    Clock::time_point t0;
  };
  struct Timed {
    Clock::time_point at;
    unsigned slot;
    uint32_t gen;
  };

  bool take_token(Clock::time_point now, Clock::time_point& wait_until) {
    if (next_slot_ < now - burst_) next_slot_ = now - burst_;
    if (next_slot_ > now) {
      wait_until = next_slot_;
      return false;
    }
    next_slot_ += interval_;
    return true;
  }

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

  void start_attempt(unsigned idx, Clock::time_point now) {
    Slot& slot = slots_[idx];
    SockAddr sa = to_sockaddr(slot.job.host->ip, slot.job.port);
    int fd = socket(sa.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      shortage_or_fail(idx, errno, now);
      return;
    }
    s_.counters_.attempts.fetch_add(1, std::memory_order_relaxed);
    slot.t0 = Clock::now();
    slot.fd = fd;
    ++slot.gen;
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa.ss), sa.len) == 0) {
      attempt_done(idx, 0, now);
      return;
    }
    int err = errno;
    if (err != EINPROGRESS) {
      attempt_done(idx, err, now);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLONESHOT;
    ev.data.u64 = idx;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      attempt_done(idx, errno, now);
      return;
    }
    deadlines_.push_back({now + s_.opt_.timeout, idx, slot.gen});
  }

  // A connect attempt ended with `err` (0: connected; ETIMEDOUT also for our own deadline).
  void attempt_done(unsigned idx, int err, Clock::time_point now) {
    Slot& slot = slots_[idx];
    double rtt_ms = std::chrono::duration<double, std::milli>(now - slot.t0).count();
    PortState state = PortState::filtered;
    bool again = false;
    if (err == 0) {
      // On loopback a connect to an ephemeral port can meet itself (simultaneous open):
      // nothing listens there, so it is never an open port.
      if (is_self_connect(slot.fd)) {
        state = PortState::closed;
      } else {
        state = PortState::open;
        linger lg{1, 0};  // close with RST: no TIME_WAIT left behind, nothing sent to the service
        setsockopt(slot.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      }
    } else if (err == ECONNREFUSED || err == ECONNRESET) {
      state = PortState::closed;
    } else if (err == ETIMEDOUT) {
      again = --slot.attempts_left > 0;
    } else if (is_local_shortage(err)) {
      close(slot.fd);
      slot.fd = -1;
      ++slot.gen;
      shortage_or_fail(idx, err, now);
      return;
    }
    // Anything else (host or network unreachable, administratively prohibited): filtered.
    close(slot.fd);
    slot.fd = -1;
    ++slot.gen;
    if (again) {
      start_attempt(idx, now);
      return;
    }
    finish(idx, state, rtt_ms);
  }

  void shortage_or_fail(unsigned idx, int err, Clock::time_point now) {
    Slot& slot = slots_[idx];
    s_.counters_.local_errors.fetch_add(1, std::memory_order_relaxed);
    if (++slot.shortages < kMaxLocalRetries) {
      delayed_.push_back({now + kShortageDelay, idx, slot.gen});
    } else {
      finish(idx, PortState::filtered, 0);
    }
  }

  void retry_delayed(Clock::time_point now) {
    while (!delayed_.empty() && delayed_.front().at <= now) {
      unsigned idx = delayed_.front().slot;
      delayed_.pop_front();
      start_attempt(idx, now);
    }
  }

  void expire_deadlines(Clock::time_point now) {
    while (!deadlines_.empty() && deadlines_.front().at <= now) {
      Timed t = deadlines_.front();
      deadlines_.pop_front();
      Slot& slot = slots_[t.slot];
      if (slot.gen == t.gen && slot.fd >= 0) attempt_done(t.slot, ETIMEDOUT, now);
    }
  }

  void finish(unsigned idx, PortState state, double rtt_ms) {
    Slot& slot = slots_[idx];
    Job job = std::move(slot.job);
    free_.push_back(idx);
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

  TcpSweep& s_;
  double rate_;
  int epfd_ = -1;
  int wakefd_ = -1;
  std::vector<Slot> slots_;
  std::vector<unsigned> free_;
  std::deque<Timed> deadlines_;
  std::deque<Timed> delayed_;
  std::optional<Chunk> chunk_;
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
  auto guarded = [this, &failure, &failure_mu](size_t i) {
    try {
      workers_[i]->run();
    } catch (...) {
      std::lock_guard lock(failure_mu);
      failure = std::current_exception();
      stop();
    }
  };
  for (size_t i = 1; i < workers_.size(); ++i) threads.emplace_back(guarded, i);
  guarded(0);
  for (auto& t : threads) t.join();
  bool complete = !stopping_.load();
  if (!complete) {
    // Hosts cut short: deliver what they had, marked incomplete. Their states are still held by
    // the workers' chunks and slots, which live until the workers are destroyed.
    for (auto& host : dispatcher_.live_hosts()) {
      HostObservation obs;
      {
        std::lock_guard lock(host->mu);
        obs = std::move(host->obs);
      }
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
  for (auto& w : workers_) w->wake();
}

}  // namespace mamori
