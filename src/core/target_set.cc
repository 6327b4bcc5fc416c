#include "core/target_set.h"

#include <algorithm>

namespace mamori {

void TargetSet::add(IpRange r) {
  if (r.first > r.last) std::swap(r.first, r.last);
  ranges_.push_back(r);
  dirty_ = true;
}

void TargetSet::normalize() const {
  if (!dirty_) return;
  std::sort(ranges_.begin(), ranges_.end(),
            [](const IpRange& a, const IpRange& b) { return a.first < b.first; });
  std::vector<IpRange> merged;
  for (const IpRange& r : ranges_) {
    if (!merged.empty() &&
        (r.first <= merged.back().last || r.first - 1 == merged.back().last)) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
  prefix_.clear();
  u128 total = 0;
  for (const IpRange& r : ranges_) {
    prefix_.push_back(total);
    total += r.last - r.first + 1;  // wraps only for the whole 2^128 space
  }
  dirty_ = false;
}

const std::vector<IpRange>& TargetSet::ranges() const {
  normalize();
  return ranges_;
}

void TargetSet::subtract(const TargetSet& other) {
  normalize();
  const auto& cut = other.ranges();
  std::vector<IpRange> out;
  size_t j = 0;
  for (IpRange r : ranges_) {
    while (j < cut.size() && cut[j].last < r.first) ++j;
    size_t k = j;
    bool alive = true;
    while (alive && k < cut.size() && cut[k].first <= r.last) {
      if (cut[k].first > r.first) out.push_back({r.first, cut[k].first - 1});
      if (cut[k].last >= r.last) {
        alive = false;
      } else {
        r.first = cut[k].last + 1;
        ++k;
      }
    }
    if (alive) out.push_back(r);
  }
  ranges_ = std::move(out);
  dirty_ = true;
  normalize();
}

bool TargetSet::contains(Ip ip) const {
  normalize();
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), ip.value(),
                             [](u128 v, const IpRange& r) { return v < r.first; });
  if (it == ranges_.begin()) return false;
  --it;
  return ip.value() <= it->last;
}

u128 TargetSet::size() const {
  normalize();
  if (ranges_.empty()) return 0;
  const IpRange& last = ranges_.back();
  u128 n = prefix_.back() + (last.last - last.first);
  return n == ~u128{0} ? n : n + 1;
}

Ip TargetSet::at(uint64_t index) const {
  normalize();
  auto it = std::upper_bound(prefix_.begin(), prefix_.end(), u128{index});
  size_t i = static_cast<size_t>(it - prefix_.begin()) - 1;
  return Ip::from_value(ranges_[i].first + (index - prefix_[i]));
}

}  // namespace mamori
