#include "engine/discovery.h"

#include <gtest/gtest.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

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

// Builds rtnetlink neighbour messages as the kernel sends them (host byte order, 4-byte aligned).
struct NlBuilder {
  std::vector<uint8_t> b;
  void pad() {
    while (b.size() % 4) b.push_back(0);
  }
  template <class T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof v);
  }
  // One RTM_NEWNEIGH: family, state, destination bytes, link-layer bytes (either may be empty).
  void neigh(uint8_t family, uint16_t state, std::vector<uint8_t> dst, std::vector<uint8_t> ll, uint32_t seq = 7) {
    const size_t start = b.size();
    nlmsghdr h{};
    h.nlmsg_type = RTM_NEWNEIGH;
    h.nlmsg_seq = seq;
    put(h);
    ndmsg nd{};
    nd.ndm_family = family;
    nd.ndm_ifindex = 2;
    nd.ndm_state = state;
    put(nd);
    pad();
    auto attr = [&](uint16_t type, const std::vector<uint8_t>& data) {
      if (data.empty()) return;
      rtattr a{};
      a.rta_len = static_cast<uint16_t>(sizeof a + data.size());
      a.rta_type = type;
      put(a);
      b.insert(b.end(), data.begin(), data.end());
      pad();
    };
    attr(NDA_DST, dst);
    attr(NDA_LLADDR, ll);
    const uint32_t len = static_cast<uint32_t>(b.size() - start);
    std::memcpy(b.data() + start, &len, sizeof len);
  }
  void done(uint32_t seq = 7) {
    nlmsghdr h{};
    h.nlmsg_len = sizeof h + sizeof(int);
    h.nlmsg_type = NLMSG_DONE;
    h.nlmsg_seq = seq;
    put(h);
    put(int{0});
  }
};

std::vector<uint8_t> v6(const char* text) {
  uint8_t out[16];
  Ip::parse(text)->to_bytes(out);
  return {out, out + 16};
}

TEST(Neighbours6, ParsesProvenEntriesWithBounds) {
  NlBuilder nl;
  const std::vector<uint8_t> mac = {0x44, 0x19, 0xB6, 0, 0, 0x20};
  nl.neigh(AF_INET6, NUD_REACHABLE, v6("2001:2:0:5::20"), mac);
  nl.neigh(AF_INET6, NUD_STALE, v6("2001:2:0:5::21"), {0x02, 0, 0, 0, 0, 0x21});
  nl.neigh(AF_INET6, NUD_INCOMPLETE, v6("2001:2:0:5::22"), {});              // never answered
  nl.neigh(AF_INET6, NUD_FAILED, v6("2001:2:0:5::23"), {0x02, 0, 0, 0, 0, 0x23});
  nl.neigh(AF_INET6, NUD_REACHABLE, v6("fe80::1"), {0x02, 0, 0, 0, 0, 0x24});  // link-local
  nl.neigh(AF_INET6, NUD_REACHABLE, v6("2001:2:0:5::25"), {0, 0, 0, 0, 0, 0});  // no address
  nl.neigh(AF_INET6, NUD_REACHABLE, v6("2001:2:0:5::26"), {1, 2, 3, 4});        // not Ethernet
  nl.neigh(AF_INET6, NUD_REACHABLE, {10, 0, 0, 1}, {0x02, 0, 0, 0, 0, 0x27});   // dst of the wrong size
  nl.neigh(AF_INET, NUD_PERMANENT, {198, 18, 5, 10}, {0x02, 0, 0, 0, 0, 0x0a});
  nl.neigh(AF_INET6, NUD_REACHABLE, v6("2001:2:0:5::28"), mac, /*seq=*/99);     // another request's
  nl.done();
  NeighbourDump d;
  parse_rtm_neigh(nl.b, d, 7);
  EXPECT_TRUE(d.done);
  EXPECT_FALSE(d.error);
  ASSERT_EQ(d.macs.size(), 3u);
  EXPECT_EQ(d.macs.at(*Ip::parse("2001:2:0:5::20")), "44:19:b6:00:00:20");
  EXPECT_EQ(d.macs.at(*Ip::parse("2001:2:0:5::21")), "02:00:00:00:00:21");
  EXPECT_EQ(d.macs.at(*Ip::parse("198.18.5.10")), "02:00:00:00:00:0a");
  // Without a sequence filter the other request's entry counts too.
  NeighbourDump any;
  parse_rtm_neigh(nl.b, any);
  EXPECT_EQ(any.macs.size(), 4u);
}

TEST(Neighbours6, MalformedInputStopsWithoutReadingPastTheEnd) {
  NlBuilder nl;
  nl.neigh(AF_INET6, NUD_REACHABLE, v6("2001:2:0:5::20"), {0x44, 0x19, 0xB6, 0, 0, 0x20});
  const size_t first = nl.b.size();
  nl.neigh(AF_INET6, NUD_REACHABLE, v6("2001:2:0:5::21"), {0x44, 0x19, 0xB6, 0, 0, 0x21});
  // Every cut of the second message: the first entry is kept, nothing past the buffer is read
  // (ASan would tell), and a cut is an error.
  for (size_t cut = first + 1; cut < nl.b.size(); ++cut) {
    std::vector<uint8_t> part(nl.b.begin(), nl.b.begin() + static_cast<long>(cut));
    NeighbourDump d;
    parse_rtm_neigh(part, d);
    EXPECT_TRUE(d.error) << cut;
    EXPECT_EQ(d.macs.size(), 1u) << cut;
  }
  // A message claiming more than is there; an attribute longer than its message.
  std::vector<uint8_t> lie = nl.b;
  uint32_t big = 1 << 20;
  std::memcpy(lie.data(), &big, sizeof big);
  NeighbourDump d;
  parse_rtm_neigh(lie, d);
  EXPECT_TRUE(d.error);
  EXPECT_TRUE(d.macs.empty());
  lie = nl.b;
  const uint16_t huge_attr = 0xfff0;
  std::memcpy(lie.data() + sizeof(nlmsghdr) + sizeof(ndmsg), &huge_attr, sizeof huge_attr);
  NeighbourDump d2;
  parse_rtm_neigh(lie, d2);
  EXPECT_TRUE(d2.error);
  EXPECT_EQ(d2.macs.count(*Ip::parse("2001:2:0:5::20")), 0u);
  // An error reply ends the dump.
  NlBuilder err;
  nlmsghdr h{};
  h.nlmsg_len = sizeof h + sizeof(int);
  h.nlmsg_type = NLMSG_ERROR;
  err.put(h);
  err.put(int{-1});
  NeighbourDump d3;
  parse_rtm_neigh(err.b, d3);
  EXPECT_TRUE(d3.done);
  EXPECT_TRUE(d3.error);
  NeighbourDump d4;
  parse_rtm_neigh({}, d4);
  EXPECT_FALSE(d4.done);
  EXPECT_FALSE(d4.error);
}

// The kernel answers the dump without privileges (the table may be empty).
TEST(Neighbours6, ReadsTheKernelTable) { (void)read_neighbours6(); }

TEST(IcmpSweep, NoAddressOfTheFamilyOpensNothing) {
  TargetSet t;
  t.add(*Ip::parse("127.0.0.1"));
  Discovered out;
  auto st = icmp6_sweep(t, {}, out);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->sent, 0u);
  EXPECT_EQ(st->socket_kind, "");
  EXPECT_TRUE(out.empty());
}

TEST(IcmpSweep, Loopback6Answers) {
  TargetSet t;
  t.add(*Ip::parse("::1"));
  Discovered out;
  std::string err;
  IcmpSweepOptions o;
  o.wait = std::chrono::milliseconds(500);
  auto st = icmp6_sweep(t, o, out, &err);
  if (!st) GTEST_SKIP() << "no ICMPv6 socket here: " << err;
  if (st->sent == 0) GTEST_SKIP() << "::1 is not configured here (IPv6 off?)";
  EXPECT_EQ(st->sent, 1u);
  ASSERT_EQ(out.count(*Ip::parse("::1")), 1u);
  EXPECT_EQ(out.at(*Ip::parse("::1")).alive_by, "icmp");
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
