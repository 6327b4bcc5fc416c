#include "engine/dispatcher.h"

#include <gtest/gtest.h>

#include <set>

#include "core/target_spec.h"

namespace mamori {
namespace {

TargetSet targets_of(std::vector<std::string> args) {
  Targets t;
  EXPECT_TRUE(parse_targets(args, TargetParseOptions{}, t));
  t.set.size();
  return t.set;
}

// Every (host, port) of the space, over all shards, exactly once; each host in one shard only.
TEST(Dispatcher, ShardsCoverEveryProbeExactlyOnce) {
  TargetSet set = targets_of({"198.18.0.0/26", "198.18.1.1-198.18.1.7", "2001:db8::/125"});
  std::vector<uint16_t> ports = {21, 22, 23, 80, 443, 554, 8080};
  for (uint64_t shards : {1u, 2u, 3u, 5u}) {
    std::set<std::pair<u128, uint16_t>> seen;
    std::map<u128, uint64_t> host_shard;
    for (uint64_t s = 0; s < shards; ++s) {
      Dispatcher d(set, ports, 1234, ShardSpec{s, shards}, /*chunk_positions=*/3);
      while (auto c = d.next_chunk()) {
        auto [it, fresh] = host_shard.emplace(c->host->ip.value(), s);
        EXPECT_EQ(it->second, s) << "host in two shards";
        while (auto e = c->walk.next()) {
          EXPECT_TRUE(seen.emplace(c->host->ip.value(), d.port_at(*e)).second) << "probe twice";
        }
      }
    }
    EXPECT_EQ(seen.size(), static_cast<size_t>(set.size()) * ports.size()) << shards << " shards";
  }
}

TEST(Dispatcher, HostOrderIsPermutedAndSeeded) {
  TargetSet set = targets_of({"198.18.0.0/24"});
  std::vector<uint16_t> ports = {80};
  auto order = [&](uint64_t seed) {
    Dispatcher d(set, ports, seed, ShardSpec{});
    std::vector<u128> v;
    while (auto c = d.next_chunk()) v.push_back(c->host->ip.value());
    return v;
  };
  auto a = order(1), b = order(2);
  EXPECT_EQ(a.size(), 256u);
  EXPECT_EQ(a, order(1));
  EXPECT_NE(a, b);
  EXPECT_FALSE(std::is_sorted(a.begin(), a.end()));
}

TEST(Dispatcher, RemainingCountsWalkPositions) {
  TargetSet set = targets_of({"127.0.0.1"});
  std::vector<uint16_t> ports(100);
  for (int i = 0; i < 100; ++i) ports[i] = static_cast<uint16_t>(1000 + i);
  Dispatcher d(set, ports, 7, ShardSpec{}, 16);
  uint64_t positions = 0, elements = 0;
  std::shared_ptr<HostState> host;
  while (auto c = d.next_chunk()) {
    host = c->host;
    uint64_t e;
    bool skipped;
    while (c->walk.advance(e, skipped)) {
      ++positions;
      if (!skipped) ++elements;
    }
  }
  EXPECT_EQ(elements, 100u);
  EXPECT_EQ(host->remaining.load(), positions);
}

}  // namespace
}  // namespace mamori
