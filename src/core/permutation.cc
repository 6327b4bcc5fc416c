#include "core/permutation.h"

#include <random>
#include <vector>

namespace mamori {
namespace {

using u128 = unsigned __int128;

uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) {
  return static_cast<uint64_t>(static_cast<u128>(a) * b % m);
}

uint64_t powmod(uint64_t b, uint64_t e, uint64_t m) {
  uint64_t r = 1 % m;
  b %= m;
  while (e != 0) {
    if (e & 1) r = mulmod(r, b, m);
    b = mulmod(b, b, m);
    e >>= 1;
  }
  return r;
}

// Deterministic Miller-Rabin for all 64-bit integers.
bool is_prime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t p : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    if (n % p == 0) return n == p;
  }
  uint64_t d = n - 1;
  int r = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++r;
  }
  for (uint64_t a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    uint64_t x = powmod(a, d, n);
    if (x == 1 || x == n - 1) continue;
    bool composite = true;
    for (int i = 1; i < r; ++i) {
      x = mulmod(x, x, n);
      if (x == n - 1) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

std::vector<uint64_t> prime_factors(uint64_t n) {
  std::vector<uint64_t> f;
  for (uint64_t d = 2; d * d <= n; d += (d == 2 ? 1 : 2)) {
    if (n % d == 0) {
      f.push_back(d);
      while (n % d == 0) n /= d;
    }
  }
  if (n > 1) f.push_back(n);
  return f;
}

}  // namespace

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

CyclicGroup::CyclicGroup(uint64_t n, uint64_t seed) : n_(n) {
  p_ = n + 1;
  while (!is_prime(p_)) ++p_;
  if (p_ == 2) {
    g_ = 1;
    return;
  }
  const uint64_t order = p_ - 1;
  const auto factors = prime_factors(order);
  std::mt19937_64 rng(mix64(seed ^ (n * 0x2545F4914F6CDD1DULL)));
  for (;;) {
    uint64_t cand = 2 + rng() % (p_ - 2);  // 2 .. p-1
    bool primitive = true;
    for (uint64_t q : factors) {
      if (powmod(cand, order / q, p_) == 1) {
        primitive = false;
        break;
      }
    }
    if (primitive) {
      g_ = cand;
      return;
    }
  }
}

uint64_t CyclicGroup::pow(uint64_t e) const { return powmod(g_, e % order(), p_); }
uint64_t CyclicGroup::mul(uint64_t a, uint64_t b) const { return mulmod(a, b, p_); }

CyclicWalk::CyclicWalk(const CyclicGroup& group, uint64_t offset, uint64_t begin, uint64_t end,
                       uint64_t step)
    : group_(&group),
      value_(group.pow((offset % group.order()) + begin % group.order())),
      mult_(group.pow(step)),
      pos_(begin),
      end_(end < group.order() ? end : group.order()),
      step_(step) {}

bool CyclicWalk::advance(uint64_t& element, bool& skipped) {
  if (pos_ >= end_) return false;
  element = value_ - 1;
  skipped = element >= group_->size();
  value_ = group_->mul(value_, mult_);
  pos_ += step_;
  return true;
}

std::optional<uint64_t> CyclicWalk::next() {
  uint64_t e;
  bool skipped;
  while (advance(e, skipped)) {
    if (!skipped) return e;
  }
  return std::nullopt;
}

}  // namespace mamori
