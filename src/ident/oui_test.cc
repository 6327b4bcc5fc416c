#include "ident/oui.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace mamori::ident {
namespace {

TEST(Oui, ParseMac) {
  EXPECT_EQ(parse_mac("bc:ad:28:01:02:03"), 0xbcad28010203ull);
  EXPECT_EQ(parse_mac("BC-AD-28-01-02-03"), 0xbcad28010203ull);
  EXPECT_EQ(parse_mac("bcad.2801.0203"), 0xbcad28010203ull);
  EXPECT_EQ(parse_mac("BCAD28010203"), 0xbcad28010203ull);
  for (const char* bad : {"", "bc:ad:28:01:02", "bc:ad:28:01:02:03:04", "bc:ad-28:01:02:03", "bcad:2801:0203",
                          "bc:ad:28:01:02:0g", "b:cad:28:01:02:03", ":bc:ad:28:01:02:03", "bc:ad:28:01:02:03:",
                          "bc::ad:28:01:02:03", "bcad28 010203"}) {
    EXPECT_FALSE(parse_mac(bad)) << bad;
  }
}

TEST(Oui, LongestPrefixAndQuoting) {
  OuiTable t;
  auto n = t.add_csv("Registry,Assignment,Organization Name,Organization Address\n"
                     "MA-L,741AE0,IEEE Registration Authority,445 Hoes Lane\n"
                     "MA-L,BCAD28,\"Hangzhou Hikvision Digital Technology Co.,Ltd.\",\"No.469,Jianghui Road\"\n"
                     "MA-L,001122,\"Say \"\"hi\"\" Inc\",x\r\n",
                     "oui.csv");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 3u);
  ASSERT_TRUE(t.add_csv("Registry,Assignment,Organization Name,Organization Address\n"
                        "MA-M,741AE05,\"FUJIAN TAILI COMMUNICATION TECHNOLOGY CO.,LTD\",x\n",
                        "mam.csv"));
  ASSERT_TRUE(t.add_csv("Registry,Assignment,Organization Name,Organization Address\n"
                        "MA-S,741AE0512,Tiny Block Co,x\n",
                        "oui36.csv"));
  EXPECT_EQ(t.vendor("bc:ad:28:aa:bb:cc"), "Hangzhou Hikvision Digital Technology Co.,Ltd.");
  EXPECT_EQ(t.vendor("00:11:22:33:44:55"), "Say \"hi\" Inc");
  EXPECT_EQ(t.vendor("74:1a:e0:51:00:00"), "FUJIAN TAILI COMMUNICATION TECHNOLOGY CO.,LTD");
  EXPECT_EQ(t.vendor("74:1a:e0:51:20:00"), "Tiny Block Co");
  EXPECT_EQ(t.vendor("74:1a:e0:91:00:00"), "IEEE Registration Authority");
  EXPECT_EQ(t.vendor("00:00:00:00:00:01"), "");
  EXPECT_EQ(t.vendor("not a mac"), "");
  EXPECT_EQ(t.size(), 5u);
}

TEST(Oui, RefusesMalformedRows) {
  OuiTable t;
  EXPECT_EQ(t.add_csv("h\nMA-L,12345,X,y\n", "oui.csv").error().message,
            "oui.csv:2: assignment 12345 is not 6, 7 or 9 hex digits");
  EXPECT_EQ(t.add_csv("h\nMA-L,12345G,X,y\n", "oui.csv").error().message, "oui.csv:2: assignment 12345G is not hex");
  EXPECT_EQ(t.add_csv("h\nMA-L\n", "oui.csv").error().message, "oui.csv:2: expected Registry,Assignment,Organization");
  // Long names are cut, not refused; a quoted field may span lines.
  ASSERT_TRUE(t.add_csv("h\nMA-L,103456,\"" + std::string(2000, 'x') + "\"\n"
                        "MA-L,A8CDEF,Multi Line,\"160 E Tasman Dr\nSTE 102\"\r\nMA-L,A8CDF0,Next,x\r\n",
                        "oui.csv"));
  EXPECT_EQ(t.vendor("10:34:56:00:00:00").size(), 1024u);
  EXPECT_EQ(t.vendor("a8:cd:ef:00:00:00"), "Multi Line");
  EXPECT_EQ(t.vendor("a8:cd:f0:00:00:00"), "Next");
  EXPECT_EQ(t.add_csv("h\nMA-L,A8CDF1,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n", "oui.csv").error().message,
            "oui.csv: line 2: more than 16 fields");
}

// A locally administered (random) or group address is never looked up, even when its leading
// bytes equal a registered prefix.
TEST(Oui, LocallyAdministeredAndGroupAddressesHaveNoVendor) {
  OuiTable t;
  ASSERT_TRUE(t.add_csv("h\nMA-L,BCAD28,Hikvision,x\nMA-L,BEAD28,Registered By Mistake,x\nMA-L,BDAD28,Group,x\n", "oui.csv"));
  EXPECT_EQ(t.vendor("bc:ad:28:00:00:01"), "Hikvision");
  EXPECT_EQ(t.vendor("be:ad:28:00:00:01"), "");  // 0xbe: locally administered
  EXPECT_EQ(t.vendor("bd:ad:28:00:00:01"), "");  // 0xbd: group
  EXPECT_FALSE(globally_unique_mac(0x02aabbccddeeull));
  EXPECT_FALSE(globally_unique_mac(0xdaa119000001ull));  // a random MAC as phones make them
  EXPECT_TRUE(globally_unique_mac(0xbcad28000001ull));
}

TEST(Oui, LazyLoadReportsAMissingRegistry) {
  Oui oui("/nonexistent/ieee-data");
  EXPECT_EQ(oui.vendor("bc:ad:28:01:02:03"), "");
  ASSERT_TRUE(oui.error());
  EXPECT_EQ(*oui.error(), "/nonexistent/ieee-data/oui.csv: missing (install ieee-data)");
}

// Debian's ieee-data (scripts/packages/ident.txt). A few well-known camera/TV/router prefixes.
TEST(Oui, DebianIeeeData) {
  ASSERT_TRUE(std::filesystem::exists(std::string(kIeeeDataDir) + "/oui.csv"))
      << "ieee-data is not installed: run scripts/install-deps.sh";
  Oui oui;
  EXPECT_EQ(oui.error(), std::nullopt);
  EXPECT_EQ(oui.vendor("BC:AD:28:12:34:56"), "Hangzhou Hikvision Digital Technology Co.,Ltd.");
  EXPECT_EQ(oui.vendor("3c:ef:8c:00:00:01"), "Zhejiang Dahua Technology Co., Ltd.");
  EXPECT_EQ(oui.vendor("ac:cc:8e:00:00:01"), "Axis Communications AB");
  EXPECT_EQ(oui.vendor("f4:f5:d8:00:00:01"), "Google, Inc.");
  // MA-M inside an IEEE RA block; MA-S inside 70:B3:D5.
  EXPECT_EQ(oui.vendor("74:1a:e0:5f:ff:ff"), "FUJIAN TAILI COMMUNICATION TECHNOLOGY CO.,LTD");
  EXPECT_EQ(oui.vendor("70:b3:d5:f2:f0:01"), "TELEPLATFORMS");
  EXPECT_EQ(oui.vendor("70:b3:d5:f3:ff:01").empty(), false);
  // 02:C0:8C is a legacy registration (3COM) in the locally administered space: never named.
  EXPECT_EQ(oui.vendor("02:c0:8c:00:00:01"), "");
}

}  // namespace
}  // namespace mamori::ident
