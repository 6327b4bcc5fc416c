#include "lab/scenario.h"

#include <map>

#include <gtest/gtest.h>

#include "lab/truth.h"

namespace mamori::lab {
namespace {

Expected<Scenario> parse(const std::string& text) { return parse_scenario(text, "t.yaml", ""); }

TEST(Scenario, ParsesDevicesAndDefaults) {
  auto sc = parse(R"(
devices:
  - category: network_camera
    vendor: Hikvision
    model: DS-2CD2032-I
    services:
      - kind: telnet
        credentials: ["root:xc3511", {username: admin, password: S3cret-long, default: false}]
      - {kind: http, port: 8080, auth: basic, credentials: ["admin:admin"]}
  - address: 127.66.0.1
    category: router
    services: [{kind: http}]
)");
  ASSERT_TRUE(sc) << sc.error().message;
  ASSERT_EQ(sc->devices.size(), 2u);
  // The explicit 127.66.0.1 is skipped by allocation.
  EXPECT_EQ(ipv4_str(sc->devices[0].address), "127.66.0.2");
  EXPECT_EQ(ipv4_str(sc->devices[1].address), "127.66.0.1");
  const auto& tel = sc->devices[0].services[0];
  EXPECT_EQ(tel.port, 23);
  EXPECT_EQ(tel.auth, "login");
  EXPECT_TRUE(tel.credentials[0].is_default);
  EXPECT_FALSE(tel.credentials[1].is_default);
  EXPECT_EQ(sc->devices[0].services[1].port, 8080);
}

TEST(Scenario, ErrorsNameFileLineAndField) {
  auto sc = parse(R"(devices:
  - category: router
    services: [{kind: http}]
  - category: router
    services:
      - kind: http
        port: 70000
)");
  ASSERT_FALSE(sc);
  EXPECT_EQ(sc.error().message, "t.yaml:7: devices[1].services[0].port: 70000 is not a port 1..65535");
}

TEST(Scenario, RejectsBadInput) {
  EXPECT_FALSE(parse("devices: [{category: toaster, services: []}]"));
  EXPECT_FALSE(parse("devices: [{category: other, address: 10.0.0.1, services: []}]"));  // not loopback
  EXPECT_FALSE(parse("devices: [{category: other, services: [{kind: gopher}]}]"));
  EXPECT_FALSE(parse("devices: [{category: other, services: [{kind: http, auth: basic}]}]"));  // no creds
  EXPECT_FALSE(parse("devices: [{category: other, services: [{kind: telnet, title: x}]}]"));  // wrong field
  EXPECT_FALSE(parse("devices: [{category: other, services: [{kind: http}, {kind: http}]}]"));  // port twice
  EXPECT_FALSE(parse("devices: [{category: other, address: 127.66.0.1, services: []}, "
                     "{category: other, address: 127.66.0.1, services: []}]"));
  auto bad = parse("devices: [ {");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("t.yaml:", 0), 0u);
}

TEST(Truth, ListsExpectedFindings) {
  auto sc = parse(R"(
devices:
  - category: network_camera
    services:
      - {kind: telnet, credentials: ["root:xc3511"]}
      - {kind: http, port: 443, auth: basic, credentials: ["admin:admin"], tls: {shared_key: k, expired: true}}
  - category: network_camera
    services:
      - {kind: http, port: 443, auth: digest, credentials: ["admin:Long-Unique-1"], tls: {shared_key: k}}
)");
  ASSERT_TRUE(sc) << sc.error().message;
  auto t0 = device_truth(*sc, sc->devices[0]);
  std::set<std::string> ids;
  for (auto& f : t0["findings"]) ids.insert(f["check_id"].get<std::string>());
  for (const char* id : {"telnet-enabled", "default-credential", "cleartext-admin", "tls-self-signed", "tls-expired",
                         "shared-private-key"})
    EXPECT_TRUE(ids.count(id)) << id;
  EXPECT_EQ(t0["services"][1]["service"], "https");
  auto t1 = device_truth(*sc, sc->devices[1]);
  ids.clear();
  for (auto& f : t1["findings"]) ids.insert(f["check_id"].get<std::string>());
  EXPECT_FALSE(ids.count("default-credential"));
  EXPECT_FALSE(ids.count("cleartext-admin"));
  EXPECT_TRUE(ids.count("shared-private-key"));
}

TEST(Gen, IsDeterministicAndParses) {
  auto a = generate_scenario({50, (127u << 24) | (66u << 16), 7});
  auto b = generate_scenario({50, (127u << 24) | (66u << 16), 7});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  auto sc = parse(*a);
  ASSERT_TRUE(sc) << sc.error().message;
  EXPECT_EQ(sc->devices.size(), 50u);
  EXPECT_GT(sc->service_count(), 25u);
}

TEST(Truth, SnmpWithoutPublicIsNotDiscoverable) {
  auto sc = parse(R"(
devices:
  - category: router
    services: [{kind: snmp, communities: [public]}]
  - category: router
    services: [{kind: snmp, communities: [c0ffee1234]}]
)");
  ASSERT_TRUE(sc) << sc.error().message;
  auto open = device_truth(*sc, sc->devices[0]);
  auto silent = device_truth(*sc, sc->devices[1]);
  EXPECT_FALSE(open["services"][0].contains("discoverable"));
  EXPECT_EQ(silent["services"][0].value("discoverable", true), false);
}

TEST(Gen, XiongMaiRecordersSendWhatTheirFirmwareSends) {
  auto text = generate_scenario({400, (127u << 24) | (66u << 16), 7});
  ASSERT_TRUE(text);
  auto sc = parse(*text);
  ASSERT_TRUE(sc) << sc.error().message;
  int seen = 0;
  for (const auto& d : sc->devices) {
    if (d.vendor != "XiongMai") continue;
    for (const auto& s : d.services) {
      if (s.kind != "http") continue;
      ++seen;
      EXPECT_EQ(s.server, "uc-httpd 1.0.0");
      EXPECT_EQ(s.title, "NETSurveillance WEB");
      EXPECT_EQ(s.auth, "form");
    }
  }
  EXPECT_GT(seen, 0);
}

// Makes with a second look: both looks appear in a large lab, each device has one of them.
TEST(Gen, SomeMakesHaveASecondLook) {
  auto text = generate_scenario({600, (127u << 24) | (66u << 16), 11});
  ASSERT_TRUE(text);
  auto sc = parse(*text);
  ASSERT_TRUE(sc) << sc.error().message;
  std::map<std::string, std::pair<int, int>> looks;  // make -> (first look, second look)
  for (const auto& d : sc->devices) {
    for (const auto& s : d.services) {
      if (s.kind != "http") continue;
      const std::string make = d.vendor + "/" + d.category;
      if (make == "Hikvision/network_camera") {
        bool second = s.server == "DNVRS-Webs";
        if (second) EXPECT_EQ(s.realm, "DS-2CD2032-I");
        else EXPECT_EQ(s.realm, "");
        (second ? looks[make].second : looks[make].first)++;
      } else if (make == "Hikvision/dvr") {
        bool second = s.server == "DVRDVS-Webs";
        if (second) EXPECT_EQ(s.realm, "DS-7208HGHI-F1");
        (second ? looks[make].second : looks[make].first)++;
      } else if (make == "Dahua/network_camera") {
        bool second = s.title == "WEB SERVICE";
        if (second) EXPECT_EQ(s.auth, "form");
        (second ? looks[make].second : looks[make].first)++;
      } else if (make == "NETGEAR/router") {
        bool second = s.realm == "NETGEAR R7000";
        EXPECT_EQ(s.auth, second ? "basic" : "form");
        (second ? looks[make].second : looks[make].first)++;
      } else if (make == "Brother/mfp") {
        bool second = s.server == "debut/1.20";
        if (second) EXPECT_EQ(s.title, "Brother MFC-L2750DW series");
        (second ? looks[make].second : looks[make].first)++;
      }
      break;  // one web interface per device is enough to tell its look
    }
  }
  ASSERT_EQ(looks.size(), 5u);
  for (const auto& [make, n] : looks) {
    EXPECT_GT(n.first, 0) << make;
    EXPECT_GT(n.second, 0) << make;
  }
}

}  // namespace
}  // namespace mamori::lab
