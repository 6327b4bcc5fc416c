#include "proto/wsd.h"

#include <gtest/gtest.h>

#include "proto/test_util.h"

namespace mamori::proto::wsd {
namespace {

using mamori::proto::testing::read_testdata;

TEST(WsdClient, ProbeRoundTripsThroughTheDeviceParser) {
  const std::string probe = build_probe("urn:uuid:5f0c2c7a-8d65-4c2b-9a8e-0a1b2c3d4e5f");
  EXPECT_NE(probe.find("<d:Types>dn:NetworkVideoTransmitter</d:Types>"), std::string::npos);
  EXPECT_NE(probe.find("urn:schemas-xmlsoap-org:ws:2005:04:discovery"), std::string::npos);
  auto p = parse_probe(probe);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->message_id, "urn:uuid:5f0c2c7a-8d65-4c2b-9a8e-0a1b2c3d4e5f");
  ASSERT_EQ(p->types.size(), 1u);
  EXPECT_EQ(p->types[0], network_video_transmitter());
  // Other namespaces get declared prefixes; no types means "any".
  auto q = parse_probe(build_probe("urn:uuid:1", {onvif_device(), {"urn:x", "Printer"}, {"urn:y", "Scanner"}})).value();
  EXPECT_EQ(q.types, (std::vector<QName>{onvif_device(), {"urn:x", "Printer"}, {"urn:y", "Scanner"}}));
  EXPECT_TRUE(parse_probe(build_probe("urn:uuid:2", {})).value().types.empty());
}

// A Probe as ONVIF Device Manager sends it (no prefix on Types' namespace: declared inline).
TEST(WsdDevice, ParsesForeignProbe) {
  const char* xml =
      R"(<?xml version="1.0" encoding="utf-8"?><Envelope xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><wsa:MessageID xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">uuid:84ede3de-7dec-11d0-c360-f01234567890</wsa:MessageID><wsa:To xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To><wsa:Action xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action></Header><Body><Probe xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"><Types>tds:Device</Types><Scopes /></Probe></Body></Envelope>)";
  auto p = parse_probe(xml);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->message_id, "uuid:84ede3de-7dec-11d0-c360-f01234567890");
  ASSERT_EQ(p->types.size(), 1u);
  EXPECT_EQ(p->types[0], onvif_device());
  EXPECT_TRUE(p->scopes.empty());
}

// Layout as answered by a Hikvision camera (env:/wsadis:/wsdd: prefixes), values made up.
TEST(WsdClient, ParsesCameraProbeMatches) {
  auto m = parse_probe_matches(read_testdata("onvif_probe_matches.xml"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->relates_to, "urn:uuid:5f0c2c7a-8d65-4c2b-9a8e-0a1b2c3d4e5f");
  ASSERT_EQ(m->matches.size(), 1u);
  const ProbeMatch& pm = m->matches[0];
  EXPECT_EQ(pm.address, "urn:uuid:4d454930-0000-1000-8000-bcbac2123456");
  EXPECT_EQ(pm.types, (std::vector<QName>{network_video_transmitter(), onvif_device()}));
  EXPECT_EQ(pm.xaddrs.size(), 2u);
  EXPECT_EQ(pm.xaddrs[0], "http://192.0.2.64/onvif/device_service");
  EXPECT_EQ(pm.metadata_version, 10u);
  const OnvifScopes s = parse_onvif_scopes(pm.scopes);
  EXPECT_EQ(s.hardware, std::vector<std::string>{"DS-2CD2143G2-I"});
  EXPECT_EQ(s.name, std::vector<std::string>{"HIKVISION DS-2CD2143G2-I"});
  EXPECT_EQ(s.location, std::vector<std::string>{"city/tokyo"});
  EXPECT_EQ(s.type, std::vector<std::string>{"video_encoder"});
  EXPECT_EQ(s.profile, (std::vector<std::string>{"Streaming", "T"}));
  EXPECT_EQ(s.other, std::vector<std::string>{"http://www.onvif.org/custom"});
}

TEST(WsdDevice, ProbeMatchesRoundTrip) {
  ProbeMatches m;
  m.message_id = "urn:uuid:aaaa";
  m.relates_to = "urn:uuid:bbbb";
  m.matches.push_back({"urn:uuid:cccc", {network_video_transmitter(), onvif_device()},
                       {"onvif://www.onvif.org/name/Lab%20Cam", "onvif://www.onvif.org/hardware/LC-1"},
                       {"http://127.0.0.1:8080/onvif/device_service"}, 3});
  auto back = parse_probe_matches(build_probe_matches(m));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->message_id, m.message_id);
  EXPECT_EQ(back->relates_to, m.relates_to);
  ASSERT_EQ(back->matches.size(), 1u);
  EXPECT_EQ(back->matches[0].address, "urn:uuid:cccc");
  EXPECT_EQ(back->matches[0].types, m.matches[0].types);
  EXPECT_EQ(back->matches[0].scopes, m.matches[0].scopes);
  EXPECT_EQ(back->matches[0].xaddrs, m.matches[0].xaddrs);
  EXPECT_EQ(back->matches[0].metadata_version, 3u);
  EXPECT_EQ(parse_onvif_scopes(back->matches[0].scopes).name, std::vector<std::string>{"Lab Cam"});
}

TEST(WsdHostile, RefusesUnsafeAndOversized) {
  EXPECT_FALSE(parse_probe("<!DOCTYPE x [<!ENTITY a SYSTEM \"file:///etc/shadow\">]><Envelope><Body><Probe/></Body></Envelope>").ok());
  EXPECT_FALSE(parse_probe_matches("<Envelope><Body><ProbeMatches><!ENTITY x></ProbeMatches></Body></Envelope>").ok());
  EXPECT_FALSE(parse_probe("<Envelope><Body/></Envelope>").ok());
  EXPECT_FALSE(parse_probe("<Envelope><Body><Probe>").ok());
  EXPECT_FALSE(parse_probe_matches(build_probe("urn:uuid:1")).ok());  // a Probe is not ProbeMatches
  EXPECT_FALSE(parse_probe(std::string(kMaxXmlBytes + 1, ' ')).ok());
  std::string many = "<Envelope><Body><ProbeMatches>";
  for (std::size_t i = 0; i <= kMaxMatches; ++i) many += "<ProbeMatch/>";
  EXPECT_FALSE(parse_probe_matches(many + "</ProbeMatches></Body></Envelope>").ok());
  std::string scopes;
  for (std::size_t i = 0; i <= kMaxItems; ++i) scopes += "s ";
  EXPECT_FALSE(parse_probe("<Envelope><Body><Probe><Scopes>" + scopes + "</Scopes></Probe></Body></Envelope>").ok());
  EXPECT_FALSE(parse_probe_matches(
      "<Envelope><Body><ProbeMatches><ProbeMatch><MetadataVersion>x</MetadataVersion></ProbeMatch></ProbeMatches></Body></Envelope>").ok());
  std::string deep = "<Envelope><Body><Probe>";
  for (int i = 0; i < 5000; ++i) deep += "<a>";
  for (int i = 0; i < 5000; ++i) deep += "</a>";
  EXPECT_FALSE(parse_probe(deep + "</Probe></Body></Envelope>").ok());
}

TEST(WsdScopes, EdgeCases) {
  auto s = parse_onvif_scopes({"ONVIF://www.onvif.org/Name/a%2", "onvif://www.onvif.org/name/%41%zz", "onvif://www.onvif.org/",
                               "onvif://www.onvif.org/name"});
  EXPECT_EQ(s.name, (std::vector<std::string>{"a%2", "A%zz", ""}));
  EXPECT_EQ(s.other, std::vector<std::string>{"onvif://www.onvif.org/"});
}

}  // namespace
}  // namespace mamori::proto::wsd
