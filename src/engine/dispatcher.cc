#include "engine/dispatcher.h"

#include <algorithm>

namespace mamori {

Dispatcher::Dispatcher(const TargetSet& targets, const std::vector<uint16_t>& ports,
                       uint64_t seed, ShardSpec shard, uint64_t chunk_positions)
    : targets_(targets),
      ports_(ports),
      seed_(seed),
      shard_(shard),
      chunk_positions_(chunk_positions),
      host_group_(static_cast<uint64_t>(targets.size()), seed),
      port_group_(ports.size(), mix64(seed + 1)),
      host_walk_(host_group_, mix64(seed), shard.index, host_group_.order(), shard.count) {}

uint64_t Dispatcher::estimated_hosts() const {
  uint64_t n = static_cast<uint64_t>(targets_.size());
  return (n + shard_.count - 1 - shard_.index) / shard_.count;
}

std::optional<Chunk> Dispatcher::next_chunk() {
  std::lock_guard lock(mu_);
  if (!current_ || current_pos_ >= port_group_.order()) {
    auto host_index = host_walk_.next();
    if (!host_index) return std::nullopt;
    current_ = std::make_shared<HostState>();
    current_->ip = targets_.at(*host_index);
    current_->obs.ip = current_->ip;
    current_->remaining.store(port_group_.order(), std::memory_order_relaxed);
    current_offset_ = mix64(seed_ ^ mix64(*host_index));
    current_pos_ = 0;
    if (handed_out_.size() > 64) {
      std::erase_if(handed_out_, [](const auto& w) { return w.expired(); });
    }
    handed_out_.push_back(current_);
  }
  uint64_t begin = current_pos_;
  uint64_t end = std::min(begin + chunk_positions_, port_group_.order());
  current_pos_ = end;
  return Chunk{current_, CyclicWalk(port_group_, current_offset_, begin, end)};
}

std::vector<std::shared_ptr<HostState>> Dispatcher::live_hosts() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<HostState>> out;
  for (auto& w : handed_out_) {
    if (auto h = w.lock(); h && h->remaining.load() > 0) out.push_back(std::move(h));
  }
  return out;
}

}  // namespace mamori
