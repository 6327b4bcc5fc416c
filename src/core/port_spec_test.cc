#include "core/port_spec.h"

#include <gtest/gtest.h>

namespace mamori {
namespace {

PortCatalog test_catalog() {
  PortCatalog c;
  auto set = PortCatalog::parse_set(
      R"({"name":"mini","description":"d","ports":[{"port":23,"service":"telnet","reason":"r"},
          {"port":1900,"proto":"udp","service":"ssdp","reason":"r"}]})",
      "mini.json");
  EXPECT_TRUE(set) << set.error().message;
  c.add(*set);
  return c;
}

TEST(Ports, ListsRangesAndSets) {
  auto c = test_catalog();
  auto p = parse_ports("80,22, 8000-8002,mini,U:161,5683/udp", &c);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->tcp, (std::vector<uint16_t>{22, 23, 80, 8000, 8001, 8002}));
  EXPECT_EQ(p->udp, (std::vector<uint16_t>{161, 1900, 5683}));
  EXPECT_EQ(p->str(), "22-23,80,8000-8002,U:161,U:1900,U:5683");
}

TEST(Ports, AllAndOpenEndedRanges) {
  EXPECT_EQ(parse_ports("-", nullptr)->tcp.size(), 65535u);
  EXPECT_EQ(parse_ports("all", nullptr)->tcp.size(), 65535u);
  EXPECT_EQ(parse_ports("-1024", nullptr)->tcp.size(), 1024u);
  EXPECT_EQ(parse_ports("65000-", nullptr)->tcp.size(), 536u);
  auto c = test_catalog();
  EXPECT_EQ(parse_ports("T:mini", &c)->udp.size(), 0u);
}

TEST(Ports, ErrorsNameTheBadToken) {
  auto c = test_catalog();
  auto err = [&](const char* spec) {
    auto p = parse_ports(spec, &c);
    return p ? std::string("(no error)") : p.error().message;
  };
  EXPECT_NE(err("80,70000").find("'70000'"), std::string::npos);
  EXPECT_NE(err("0").find("'0'"), std::string::npos);
  EXPECT_NE(err("90-80").find("'90-80'"), std::string::npos);
  EXPECT_NE(err("80/sctp").find("'80/sctp'"), std::string::npos);
  EXPECT_NE(err("U:80/tcp").find("conflicting"), std::string::npos);
  EXPECT_NE(err("cameras").find("'cameras'"), std::string::npos);
  EXPECT_NE(err("cameras").find("known: mini"), std::string::npos);
  EXPECT_NE(err("8o").find("'8o'"), std::string::npos);
  EXPECT_NE(err(",,").find("empty"), std::string::npos);
  EXPECT_NE(err("1-2-3").find("'1-2-3'"), std::string::npos);
}

TEST(Ports, CatalogRejectsBadFiles) {
  EXPECT_FALSE(PortCatalog::parse_set("[]", "x"));
  EXPECT_FALSE(PortCatalog::parse_set(R"({"name":"x","ports":[{"port":70000,"reason":"r"}]})", "x"));
  EXPECT_FALSE(PortCatalog::parse_set(R"({"name":"x","ports":[{"port":80}]})", "x"));
  EXPECT_FALSE(PortCatalog::parse_set(R"({"name":"x","ports":[{"port":80,"proto":"sctp","reason":"r"}]})", "x"));
  EXPECT_FALSE(PortCatalog::parse_set(R"({"name":"X Y","ports":[{"port":80,"reason":"r"}]})", "x"));
}

// The shipped data files load, each port has a reason, and `iot` has what the issue lists.
TEST(Ports, ShippedIotSet) {
  auto cat = PortCatalog::load(std::string(MAMORI_SOURCE_DATA_DIR) + "/ports");
  ASSERT_TRUE(cat) << cat.error().message;
  auto p = parse_ports("iot", &*cat);
  ASSERT_TRUE(p);
  for (uint16_t want : {23, 2323, 22, 21, 80, 81, 8000, 8080, 8081, 443, 8443, 554, 8554, 1883,
                        8883, 7547, 37777, 34567, 9100, 515, 631, 5000, 49152}) {
    EXPECT_TRUE(std::binary_search(p->tcp.begin(), p->tcp.end(), want)) << want;
  }
  for (uint16_t want : {5683, 1900}) {
    EXPECT_TRUE(std::binary_search(p->udp.begin(), p->udp.end(), want)) << want;
  }
  EXPECT_EQ(cat->service_name(23, Proto::tcp), "telnet");
}

}  // namespace
}  // namespace mamori
