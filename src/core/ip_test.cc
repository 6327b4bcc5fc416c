#include "core/ip.h"

#include <gtest/gtest.h>

namespace mamori {
namespace {

TEST(Ip, ParsesAndPrintsCanonicalForms) {
  EXPECT_EQ(Ip::parse("198.18.0.5")->str(), "198.18.0.5");
  EXPECT_TRUE(Ip::parse("198.18.0.5")->is_v4());
  EXPECT_EQ(Ip::parse("2001:DB8:0:0::1")->str(), "2001:db8::1");
  EXPECT_EQ(Ip::parse("[::1]")->str(), "::1");
  EXPECT_FALSE(Ip::parse("::1")->is_v4());
}

TEST(Ip, RejectsNonAddresses) {
  for (const char* s : {"", "1.2.3", "1.2.3.256", "01.2.3.4x", "1.2.3.4.5", "[1.2.3.4]", "::g",
                        "host", "1.2.3.4/24", "[::1"}) {
    EXPECT_FALSE(Ip::parse(s).has_value()) << s;
  }
}

TEST(Ip, BytesRoundTrip) {
  Ip a = *Ip::parse("2001:db8::abcd:1");
  uint8_t b[16];
  a.to_bytes(b);
  EXPECT_EQ(Ip::from_bytes(b), a);
  EXPECT_EQ(b[0], 0x20);
  EXPECT_EQ(b[15], 0x01);
}

TEST(Ip, U128ToString) {
  EXPECT_EQ(u128_to_string(0), "0");
  EXPECT_EQ(u128_to_string(u128{1} << 64), "18446744073709551616");
}

}  // namespace
}  // namespace mamori
