// The sweep stage: TCP connect scanning on one epoll event loop per thread.
//
// Each thread owns `lanes` slots; a free slot takes the next (host, port) from its thread's
// chunk, waits for the rate limiter, connects with a deadline, classifies the outcome and
// reports it. Sockets in flight never exceed the slot count, which is capped to fit within
// RLIMIT_NOFILE. Deadlines sit in a FIFO per loop (one timeout for all: no timer per probe).
// This is the one hot path of Mamori, so it is a plain epoll loop rather than coroutines:
// five system calls per closed port. Protocol conversations (later stages) use Asio.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/target_set.h"
#include "engine/dispatcher.h"
#include "engine/observation.h"

namespace mamori {

struct SweepOptions {
  std::vector<uint16_t> tcp_ports;  // REQUIRES: non-empty
  uint64_t seed = 0;
  ShardSpec shard;
  double rate = 0;              // new connection attempts per second over all threads; 0: no limit
  unsigned concurrency = 2048;  // sockets in flight over all threads (capped by RLIMIT_NOFILE)
  std::chrono::milliseconds timeout{1000};  // per connection attempt
  unsigned retries = 1;         // further attempts after a timeout
  unsigned threads = 0;         // 0: one per core
  bool report_all_states = false;
};

struct SweepCounters {
  std::atomic<uint64_t> probes_done{0};  // (host, port) pairs with a final state
  std::atomic<uint64_t> attempts{0};     // connection attempts (SYNs initiated)
  std::atomic<uint64_t> open{0};
  std::atomic<uint64_t> hosts_done{0};
  std::atomic<uint64_t> local_errors{0};  // attempts delayed by a local resource shortage
};

// Raises RLIMIT_NOFILE's soft limit to the hard limit and returns the soft limit now in force.
uint64_t raise_nofile_limit();

class TcpSweep {
 public:
  // `targets` must outlive the sweep and have been normalized (size() called).
  TcpSweep(const TargetSet& targets, SweepOptions options, ScanObserver& observer);
  ~TcpSweep();
  TcpSweep(const TcpSweep&) = delete;
  TcpSweep& operator=(const TcpSweep&) = delete;

  // Runs until every probe of this shard is done or stop() is called. Blocking; call once.
  // Returns true if the sweep completed. After a stop, hosts with open ports that were still
  // being probed are delivered to on_host() with complete == false.
  bool run();
  // Thread-safe; may be called from any thread while run() is executing.
  void stop();

  const SweepCounters& counters() const { return counters_; }
  uint64_t estimated_probes() const;
  unsigned lanes_total() const { return lanes_total_; }
  unsigned threads() const { return threads_; }

 private:
  class Worker;
  const TargetSet& targets_;
  SweepOptions opt_;
  ScanObserver& observer_;
  Dispatcher dispatcher_;
  SweepCounters counters_;
  std::atomic<bool> stopping_{false};
  unsigned threads_ = 1;
  unsigned lanes_total_ = 1;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace mamori
