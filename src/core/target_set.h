// The set of addresses a scan covers: merged, sorted, disjoint intervals over the 128-bit
// address space. Random access by index lets the permutation visit addresses without ever
// materialising the list: a /8 costs no more memory than a /24.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ip.h"

namespace mamori {

struct IpRange {
  u128 first = 0;  // inclusive
  u128 last = 0;   // inclusive
};

// Thread safety: const methods normalize lazily; call size() once before sharing a set across
// threads, after which concurrent const calls are safe.
class TargetSet {
 public:
  void add(IpRange r);
  void add(Ip ip) { add(IpRange{ip.value(), ip.value()}); }
  // Removes every address of `other`. Both sets are normalized afterwards.
  void subtract(const TargetSet& other);
  bool contains(Ip ip) const;

  // Number of addresses (saturates at 2^128-1, which no caller may scan anyway).
  u128 size() const;
  bool empty() const { return size() == 0; }
  // The index-th address in ascending order. REQUIRES: index < size().
  Ip at(uint64_t index) const;
  const std::vector<IpRange>& ranges() const;

 private:
  void normalize() const;
  mutable std::vector<IpRange> ranges_;
  mutable std::vector<u128> prefix_;  // prefix_[i]: addresses before ranges_[i]
  mutable bool dirty_ = false;
};

}  // namespace mamori
