// The WS-Discovery probe against an in-process ONVIF-like device on 127.0.0.1 built from
// proto::wsd's device side.
#include "probes/wsd/wsd_probe.h"

#include <gtest/gtest.h>

#include "probes/snmp/udp_test_util.h"
#include "proto/wsd.h"

namespace mamori::probes {
namespace {

namespace wsd = proto::wsd;
using testing::field;
using testing::run_udp;
using testing::UdpResponder;

wsd::ProbeMatch camera() {
  wsd::ProbeMatch m;
  m.address = "urn:uuid:4f3a1c22-1d2e-11b2-8000-c056e3a1b2c3";
  m.types = {wsd::network_video_transmitter(), wsd::onvif_device()};
  m.scopes = {"onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/Profile/Streaming",
              "onvif://www.onvif.org/hardware/DS-2CD2032-I", "onvif://www.onvif.org/name/HIKVISION%20DS-2CD2032-I",
              "onvif://www.onvif.org/location/city/hangzhou"};
  m.xaddrs = {"http://127.0.0.1/onvif/device_service"};
  return m;
}

UdpResponder::Handler device(std::vector<wsd::ProbeMatch> matches, bool echo_relates_to = true) {
  return [=](const std::string& req) -> std::vector<std::string> {
    auto p = wsd::parse_probe(req);
    if (!p) return {};
    wsd::ProbeMatches pm;
    pm.message_id = "urn:uuid:00000000-0000-4000-8000-000000000001";
    pm.relates_to = echo_relates_to ? p->message_id : "urn:uuid:11111111-1111-4111-8111-111111111111";
    pm.matches = matches;
    return {wsd::build_probe_matches(pm)};
  };
}

TEST(WsdProbe, RequestIsProbeForNetworkVideoTransmitter) {
  auto p = wsd::parse_probe(testing::request_for(wsd_probe(), 3702));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->types.size(), 1u);
  EXPECT_EQ(p->types[0], wsd::network_video_transmitter());
  EXPECT_TRUE(p->message_id.starts_with("urn:uuid:"));
  // Another endpoint gets another MessageID.
  EXPECT_NE(wsd::parse_probe(testing::request_for(wsd_probe(), 3702, "127.0.0.2"))->message_id, p->message_id);
}

TEST(WsdProbe, OnvifCamera) {
  UdpResponder dev(device({camera()}));
  ASSERT_TRUE(dev.ok());
  auto obs = run_udp(wsd_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "onvif");
  EXPECT_EQ(obs->proto, Proto::udp);
  EXPECT_EQ(field(*obs, "wsd.types"), "dn:NetworkVideoTransmitter,tds:Device");
  EXPECT_EQ(field(*obs, "wsd.hardware"), "DS-2CD2032-I");
  EXPECT_EQ(field(*obs, "wsd.name"), "HIKVISION DS-2CD2032-I");
  EXPECT_EQ(field(*obs, "wsd.xaddrs"), "http://127.0.0.1/onvif/device_service");
  EXPECT_EQ(field(*obs, "wsd.address"), "urn:uuid:4f3a1c22-1d2e-11b2-8000-c056e3a1b2c3");
  EXPECT_NE(field(*obs, "wsd.scopes").find("onvif://www.onvif.org/Profile/Streaming"), std::string::npos);
}

TEST(WsdProbe, OtherDeviceIsWsDiscovery) {
  wsd::ProbeMatch printer;
  printer.address = "urn:uuid:6f1e0000-0000-1000-8000-001122334455";
  printer.types = {{"http://schemas.xmlsoap.org/ws/2006/02/devprof", "Device"},
                   {"http://schemas.microsoft.com/windows/2006/08/wdp/print", "PrintDeviceType"}};
  printer.xaddrs = {"http://127.0.0.1:3911/"};
  UdpResponder dev(device({printer}));
  auto obs = run_udp(wsd_probe(), dev.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "ws-discovery");
  EXPECT_EQ(field(*obs, "wsd.types"),
            "{http://schemas.xmlsoap.org/ws/2006/02/devprof}Device,"
            "{http://schemas.microsoft.com/windows/2006/08/wdp/print}PrintDeviceType");
  EXPECT_EQ(field(*obs, "wsd.hardware"), "<absent>");
}

TEST(WsdProbe, AnswerToAnotherProbeIsIgnored) {
  UdpResponder dev(device({camera()}, false));
  EXPECT_FALSE(run_udp(wsd_probe(), dev.port()));
}

TEST(WsdProbe, GarbageTruncatedOversizedAndHostileAnswers) {
  UdpResponder truncated([&](const std::string& req) {
    std::string r = device({camera()})(req).at(0);
    return std::vector<std::string>{r.substr(0, r.size() / 2)};
  });
  EXPECT_FALSE(run_udp(wsd_probe(), truncated.port()));
  UdpResponder garbage([](const std::string&) {
    return std::vector<std::string>{"<?xml version=\"1.0\"?><a><b>", std::string(100, '\0'), "HTTP/1.1 200 OK\r\n\r\n"};
  });
  EXPECT_FALSE(run_udp(wsd_probe(), garbage.port()));
  UdpResponder xxe([](const std::string& req) {
    auto r = device({camera()})(req).at(0);
    return std::vector<std::string>{"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + r};
  });
  EXPECT_FALSE(run_udp(wsd_probe(), xxe.port()));
  // Many scopes: identified, lists bounded.
  auto big = camera();
  for (int i = 0; i < 200; ++i) big.scopes.push_back("onvif://www.onvif.org/name/n" + std::to_string(i) + std::string(100, 'x'));
  UdpResponder many(device({big}));
  auto obs = run_udp(wsd_probe(), many.port());
  ASSERT_TRUE(obs);
  EXPECT_LE(field(*obs, "wsd.scopes").size(), 1024u);
  EXPECT_LE(field(*obs, "wsd.name").size(), 1024u);
}

}  // namespace
}  // namespace mamori::probes
