#include "core/permutation.h"

#include <gtest/gtest.h>

#include <vector>

namespace mamori {
namespace {

// Walks the whole permutation of size n (split into `shards`) and checks every element of
// [0, n) is visited exactly once.
void expect_exact_cover(uint64_t n, uint64_t seed, uint64_t shards = 1) {
  CyclicGroup g(n, seed);
  std::vector<uint8_t> seen(n, 0);
  uint64_t visits = 0;
  for (uint64_t s = 0; s < shards; ++s) {
    CyclicWalk w(g, mix64(seed), s, g.order(), shards);
    while (auto e = w.next()) {
      ASSERT_LT(*e, n);
      ASSERT_EQ(seen[*e], 0) << "n=" << n << " element " << *e << " visited twice";
      seen[*e] = 1;
      ++visits;
    }
  }
  ASSERT_EQ(visits, n) << "n=" << n << " shards=" << shards;
}

TEST(Permutation, EverySizeUpTo2000) {
  for (uint64_t n = 1; n <= 2000; ++n) expect_exact_cover(n, n * 7919);
}

TEST(Permutation, PowersOfTwoAndOddSizesUpTo2To20) {
  for (int b = 11; b <= 20; ++b) {
    uint64_t p = uint64_t{1} << b;
    for (uint64_t n : {p - 1, p, p + 1, p + 3 * (p / 7) + 1}) expect_exact_cover(n, b);
  }
  for (uint64_t n : {999983ull, 1000003ull, 65535ull, 65536ull * 3 + 5}) expect_exact_cover(n, n);
}

TEST(Permutation, ShardsPartitionTheSpace) {
  for (uint64_t n : {1ull, 2ull, 7ull, 100ull, 4096ull, 65535ull, 100003ull}) {
    for (uint64_t shards : {1ull, 2ull, 3ull, 7ull, 16ull}) expect_exact_cover(n, 42, shards);
  }
}

TEST(Permutation, SeedChangesOrderAndIsDeterministic) {
  auto first = [](uint64_t seed) {
    CyclicGroup g(65536, seed);
    CyclicWalk w(g, mix64(seed), 0, g.order());
    std::vector<uint64_t> v;
    for (int i = 0; i < 16; ++i) v.push_back(*w.next());
    return v;
  };
  EXPECT_EQ(first(1), first(1));
  EXPECT_NE(first(1), first(2));
  // Not the identity order.
  auto v = first(3);
  bool sorted = std::is_sorted(v.begin(), v.end());
  EXPECT_FALSE(sorted);
}

TEST(Permutation, ChunkedWalkEqualsWholeWalk) {
  CyclicGroup g(1000, 5);
  std::vector<uint64_t> whole, chunked;
  CyclicWalk w(g, 77, 0, g.order());
  while (auto e = w.next()) whole.push_back(*e);
  for (uint64_t b = 0; b < g.order(); b += 37) {
    CyclicWalk c(g, 77, b, b + 37);
    while (auto e = c.next()) chunked.push_back(*e);
  }
  EXPECT_EQ(whole, chunked);
}

TEST(Permutation, HugeSpacesNeedNoMemory) {
  CyclicGroup g(uint64_t{1} << 32, 9);  // a /0 of IPv4
  EXPECT_GT(g.prime(), uint64_t{1} << 32);
  CyclicWalk w(g, 1, 0, g.order());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(w.next().has_value());
}

}  // namespace
}  // namespace mamori
