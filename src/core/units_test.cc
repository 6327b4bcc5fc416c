#include "core/units.h"

#include <gtest/gtest.h>

namespace mamori {
namespace {

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration("250")->count(), 250);
  EXPECT_EQ(parse_duration("250ms")->count(), 250);
  EXPECT_EQ(parse_duration("1.5s")->count(), 1500);
  EXPECT_EQ(parse_duration("2m")->count(), 120000);
  for (const char* bad : {"", "ms", "1h", "-5", "0", "1e3", "1.2.3s"}) {
    auto d = parse_duration(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_NE(d.error().message.find(std::string("'") + bad + "'"), std::string::npos);
  }
}

TEST(Units, Rates) {
  EXPECT_EQ(*parse_rate("500"), 500);
  EXPECT_EQ(*parse_rate("10k"), 10000);
  EXPECT_EQ(*parse_rate("1.5M"), 1.5e6);
  EXPECT_EQ(*parse_rate("0"), 0);
  for (const char* bad : {"", "fast", "10x", "-1", "1000M"}) EXPECT_FALSE(parse_rate(bad)) << bad;
}

}  // namespace
}  // namespace mamori
