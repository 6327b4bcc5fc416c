#include "engine/discovery.h"

#include <gtest/gtest.h>

namespace mamori {
namespace {

TEST(Neighbours, ParsesCompleteEntriesOnly) {
  const std::string text =
      "IP address       HW type     Flags       HW address            Mask     Device\n"
      "198.19.1.10      0x1         0x2         44:19:B6:01:02:03     *        eth0\n"
      "198.19.1.11      0x1         0x0         00:00:00:00:00:00     *        eth0\n"
      "198.19.1.12      0x1         0x6         02:aa:bb:cc:dd:ee     *        eth0\n"
      "198.19.1.13      0x1         0x2         zz:aa:bb:cc:dd:ee     *        eth0\n"
      "not-an-ip        0x1         0x2         02:aa:bb:cc:dd:ee     *        eth0\n"
      "198.19.1.14      0x1\n";
  auto m = parse_proc_net_arp(text);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at(*Ip::parse("198.19.1.10")), "44:19:b6:01:02:03");
  EXPECT_EQ(m.at(*Ip::parse("198.19.1.12")), "02:aa:bb:cc:dd:ee");
  EXPECT_TRUE(parse_proc_net_arp("").empty());
}

// The kernel's own table answers without privileges (possibly empty).
TEST(Neighbours, ReadsTheKernelTable) { (void)read_neighbours(); }

TEST(IcmpSweep, LoopbackAnswers) {
  TargetSet t;
  t.add(*Ip::parse("127.0.0.1"));
  Discovered out;
  std::string err;
  IcmpSweepOptions o;
  o.wait = std::chrono::milliseconds(500);
  auto st = icmp_sweep(t, o, out, &err);
  if (!st) GTEST_SKIP() << "no ICMP socket here: " << err;  // neither root nor ping_group_range
  EXPECT_EQ(st->sent, 1u);
  ASSERT_EQ(out.count(*Ip::parse("127.0.0.1")), 1u);
  EXPECT_EQ(out.at(*Ip::parse("127.0.0.1")).alive_by, "icmp");
}

}  // namespace
}  // namespace mamori
