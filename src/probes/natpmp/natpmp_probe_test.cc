#include "probes/natpmp/natpmp_probe.h"

#include <gtest/gtest.h>

#include "probes/snmp/udp_test_util.h"
#include "proto/natpmp.h"

namespace mamori::probes {
namespace {

using testing::field;
using testing::run_udp;
using testing::UdpResponder;

TEST(NatPmpProbe, ReadsTheExternalAddress) {
  UdpResponder gw([](const std::string& req) -> std::vector<std::string> {
    if (req != proto::natpmp::build_external_address_request()) return {};  // only the read-only request
    return {std::string("\x00\x80\x00\x00\x00\x01\x51\x80\xc6\x12\x00\x02", 12)};
  });
  ASSERT_TRUE(gw.ok());
  auto obs = run_udp(natpmp_probe(), gw.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "nat-pmp");
  EXPECT_EQ(field(*obs, "natpmp.result"), "success");
  EXPECT_EQ(field(*obs, "natpmp.external_ip"), "198.18.0.2");
  EXPECT_EQ(field(*obs, "natpmp.epoch"), "86400");
}

TEST(NatPmpProbe, RefusalAndGarbage) {
  UdpResponder refusing([](const std::string&) -> std::vector<std::string> {
    return {"garbage", std::string("\x00\x80\x00\x03\x00\x00\x00\x01\x00\x00\x00\x00", 12)};
  });
  auto obs = run_udp(natpmp_probe(), refusing.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "natpmp.result"), "network failure");
  EXPECT_EQ(field(*obs, "natpmp.external_ip"), "<absent>");
  UdpResponder junk([](const std::string&) -> std::vector<std::string> { return {std::string(12, 'x')}; });
  EXPECT_FALSE(run_udp(natpmp_probe(), junk.port()));
}

}  // namespace
}  // namespace mamori::probes
