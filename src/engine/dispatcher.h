// The order of a sweep: which (host, port) comes next. Hosts are visited in a pseudo-random
// permutation of the target space (CyclicGroup), and each host's ports in a permutation of the
// port list with a per-host starting point. Work is handed out in chunks of one host's ports,
// so several threads can share one big host while many small hosts each go to one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/permutation.h"
#include "core/target_set.h"
#include "engine/observation.h"

namespace mamori {

struct ShardSpec {
  uint64_t index = 0;  // 0-based
  uint64_t count = 1;
};

// A host being swept. Shared by the chunks (and threads) that probe it.
struct HostState {
  Ip ip;
  std::atomic<uint64_t> remaining;  // walk positions not yet finished (incl. skipped ones)
  std::mutex mu;                    // guards obs
  HostObservation obs;
};

struct Chunk {
  std::shared_ptr<HostState> host;
  CyclicWalk walk;
};

class Dispatcher {
 public:
  // REQUIRES: targets non-empty and normalized (size() called); ports non-empty;
  // shard.index < shard.count. `targets` and `ports` must outlive the dispatcher.
  Dispatcher(const TargetSet& targets, const std::vector<uint16_t>& ports, uint64_t seed,
             ShardSpec shard, uint64_t chunk_positions = 256);

  // Thread-safe. nullopt when every host of this shard has been handed out.
  std::optional<Chunk> next_chunk();
  // The port at a walk element index.
  uint16_t port_at(uint64_t element) const { return ports_[element]; }
  // Hosts in this shard (exact: counted by walking the cycle once, O(hosts) without memory)
  // is too slow for huge spaces, so this is the estimate ceil(n / shards).
  uint64_t estimated_hosts() const;
  uint64_t ports_per_host() const { return ports_.size(); }
  // Hosts handed out so far whose ports are still being probed, for stop().
  std::vector<std::shared_ptr<HostState>> live_hosts();

 private:
  const TargetSet& targets_;
  const std::vector<uint16_t>& ports_;
  uint64_t seed_;
  ShardSpec shard_;
  uint64_t chunk_positions_;
  CyclicGroup host_group_;
  CyclicGroup port_group_;
  std::mutex mu_;
  CyclicWalk host_walk_;
  std::shared_ptr<HostState> current_;
  uint64_t current_offset_ = 0;
  uint64_t current_pos_ = 0;
  std::vector<std::weak_ptr<HostState>> handed_out_;  // pruned as hosts finish
};

}  // namespace mamori
