// A pseudo-random permutation of [0, n) that needs O(1) memory, as ZMap walks the IPv4 space:
// the multiplicative group of integers modulo a prime p > n is cyclic; repeated multiplication
// by a generator g visits every residue 1..p-1 exactly once. Residues above n are skipped, and
// since p is the smallest prime above n they are few.
//
// Sharding: the walk positions k = 0 .. p-2 are dealt round-robin to N shards (shard i takes
// k = i, i+N, i+2N, ...), so N walkers built with the same n and seed cover [0, n) exactly once.
#pragma once

#include <cstdint>
#include <optional>

namespace mamori {

class CyclicGroup {
 public:
  // REQUIRES: 1 <= n < 2^62. Deterministic for a given (n, seed).
  CyclicGroup(uint64_t n, uint64_t seed);

  uint64_t size() const { return n_; }
  uint64_t prime() const { return p_; }
  uint64_t generator() const { return g_; }
  uint64_t order() const { return p_ - 1; }  // walk length, including skipped residues
  // g^e mod p.
  uint64_t pow(uint64_t e) const;
  uint64_t mul(uint64_t a, uint64_t b) const;

 private:
  uint64_t n_, p_, g_;
};

// Walks positions [begin, end) of the cycle that starts at g^offset, taking every `step`-th.
// next() returns the element (0-based, < n) or nullopt at the end; skipped residues are
// consumed internally.
class CyclicWalk {
 public:
  CyclicWalk(const CyclicGroup& group, uint64_t offset, uint64_t begin, uint64_t end,
             uint64_t step = 1);
  std::optional<uint64_t> next();
  // Like next(), but also reports skipped residues (as nullopt with `skipped` set), so a caller
  // can count walk positions.
  bool advance(uint64_t& element, bool& skipped);

 private:
  const CyclicGroup* group_;
  uint64_t value_, mult_, pos_, end_, step_;
};

// A 64-bit mixing function (splitmix64 finaliser), for deriving per-item seeds.
uint64_t mix64(uint64_t x);

}  // namespace mamori
