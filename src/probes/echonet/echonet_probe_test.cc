// The ECHONET Lite probe against an in-process node on 127.0.0.1 built from proto::echonet's
// device side (a low-voltage smart meter with a solar inverter behind the same node).
#include "probes/echonet/echonet_probe.h"

#include <gtest/gtest.h>

#include "probes/snmp/udp_test_util.h"
#include "proto/echonet.h"

namespace mamori::probes {
namespace {

namespace el = proto::echonet;
using testing::field;
using testing::run_udp;
using testing::UdpResponder;

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

el::PropertyMap meter_node() {
  return {
      {el::epc::kManufacturerCode, el::encode_manufacturer_code(0x000005)},
      {el::epc::kSelfNodeInstanceListS,
       el::encode_instance_list({{0x02, 0x88, 0x01}, {0x02, 0x79, 0x01}, {0x02, 0x79, 0x02}})},
      {el::epc::kIdentificationNumber, unhex("fe00000500112233445566778899aabbcc")},
      {el::epc::kVersionInfo, unhex("010d0101")},
  };
}

UdpResponder::Handler node(el::PropertyMap props) {
  return [props](const std::string& req) -> std::vector<std::string> {
    auto f = el::decode_get_request(req);
    if (!f || f->deoj.class_id() != 0x0EF0) return {};
    auto out = el::build_get_reply(*f, el::kNodeProfile, props);
    return out ? std::vector<std::string>{*out} : std::vector<std::string>{};
  };
}

TEST(EchonetProbe, RequestIsNodeProfileGet) {
  auto f = el::decode_get_request(testing::request_for(echonet_probe(), 3610));
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->deoj, el::kNodeProfile);
  EXPECT_EQ(f->seoj, el::kController);
  ASSERT_EQ(f->properties.size(), 4u);
  EXPECT_EQ(f->properties[0].epc, el::epc::kManufacturerCode);
}

TEST(EchonetProbe, SmartMeterNode) {
  UdpResponder dev(node(meter_node()));
  ASSERT_TRUE(dev.ok());
  auto obs = run_udp(echonet_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "echonet");
  EXPECT_EQ(obs->proto, Proto::udp);
  EXPECT_EQ(field(*obs, "echonet.manufacturer"), "0x000005");
  EXPECT_EQ(field(*obs, "echonet.classes"),
            "0x0288 (low-voltage smart electric energy meter),0x0279 (household solar power generation)");
  EXPECT_EQ(field(*obs, "echonet.instances"), "0x028801,0x027901,0x027902");
  EXPECT_EQ(field(*obs, "echonet.version"), "1.13");
  EXPECT_EQ(field(*obs, "echonet.id"), "fe00000500112233445566778899aabbcc");
  EXPECT_EQ(field(*obs, "echonet.esv"), "Get_Res");
}

TEST(EchonetProbe, GetSnaKeepsWhatWasSupplied) {
  auto props = meter_node();
  props.erase(el::epc::kIdentificationNumber);
  props.erase(el::epc::kSelfNodeInstanceListS);
  UdpResponder dev(node(props));
  auto obs = run_udp(echonet_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "echonet.esv"), "Get_SNA");
  EXPECT_EQ(field(*obs, "echonet.manufacturer"), "0x000005");
  EXPECT_EQ(field(*obs, "echonet.id"), "<absent>");
  EXPECT_EQ(field(*obs, "echonet.classes"), "<absent>");
}

TEST(EchonetProbe, UnknownClassHasNoName) {
  auto props = meter_node();
  props[el::epc::kSelfNodeInstanceListS] = el::encode_instance_list({{0x7f, 0x01, 0x01}});
  UdpResponder dev(node(props));
  auto obs = run_udp(echonet_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "echonet.classes"), "0x7F01");
}

TEST(EchonetProbe, GarbageTruncatedOversizedAndForeignAnswers) {
  UdpResponder truncated([&](const std::string& req) {
    std::string r = node(meter_node())(req).at(0);
    return std::vector<std::string>{r.substr(0, r.size() - 3), r.substr(0, 11)};
  });
  EXPECT_FALSE(run_udp(echonet_probe(), truncated.port()));
  UdpResponder garbage([](const std::string&) {
    return std::vector<std::string>{std::string("\x10\x82\x00\x01", 4), "ECHONET", std::string(5000, '\x10')};
  });
  EXPECT_FALSE(run_udp(echonet_probe(), garbage.port()));
  UdpResponder trailing([&](const std::string& req) {
    return std::vector<std::string>{node(meter_node())(req).at(0) + std::string(9000, '\0')};
  });
  EXPECT_FALSE(run_udp(echonet_probe(), trailing.port()));
  // Another TID (an answer to someone else's request) is not ours.
  UdpResponder other_tid([&](const std::string& req) {
    std::string r = node(meter_node())(req).at(0);
    r[3] = static_cast<char>(r[3] ^ 0x5a);
    return std::vector<std::string>{r};
  });
  EXPECT_FALSE(run_udp(echonet_probe(), other_tid.port()));
  // A malformed instance list (count says 3, one EOJ follows): identified, no classes.
  auto props = meter_node();
  props[el::epc::kSelfNodeInstanceListS] = unhex("03028801");
  UdpResponder bad_list(node(props));
  auto obs = run_udp(echonet_probe(), bad_list.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "echonet.classes"), "<absent>");
  EXPECT_EQ(field(*obs, "echonet.manufacturer"), "0x000005");
}

}  // namespace
}  // namespace mamori::probes
