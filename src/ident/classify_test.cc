#include "ident/classify.h"

#include <gtest/gtest.h>

namespace mamori::ident {
namespace {

FingerprintCatalog make(const std::string& rules) {
  auto c = FingerprintCatalog::parse({{"t.yaml", "rules:\n" + rules}});
  EXPECT_TRUE(c) << c.error().message;
  return c ? std::move(*c) : FingerprintCatalog();
}

ServiceObservation svc(uint16_t port, std::string name, std::map<std::string, std::string> fields) {
  ServiceObservation s;
  s.port = port;
  s.service = std::move(name);
  s.fields = std::move(fields);
  return s;
}

const char* kRules = R"(
  - id: openssh
    match: {ssh.version: '^SSH-[\d.]+-OpenSSH_([\w.]+)'}
    product: OpenSSH
    version: $1
    source: t
  - id: dropbear
    match: {ssh.version: '^SSH-[\d.]+-dropbear_([\w.]+)'}
    product: Dropbear sshd
    version: $1
    source: t
  - id: hik-server
    match: {http.server: '^(?:App-webs/|DNVRS-Webs)'}
    vendor: Hikvision
    category: network_camera
    weight: 0.6
    source: t
  - id: hik-realm
    match: {http.realm: '^(DS-[0-9A-Z-]+)$'}
    vendor: Hikvision
    model: $1
    category: network_camera
    weight: 0.5
    source: t
  - id: xm-title
    match: {http.title: 'NETSurveillance WEB'}
    vendor: XiongMai
    category: dvr
    weight: 0.75
    source: t
  - id: tr069
    match: {port: '7547|4567', http.server: '(?i)cwmp'}
    service: tr069
    category: router
    weight: 0.5
    source: t
  - id: rtsp-port
    match: {port: '554|8554'}
    category: network_camera
    weight: 0.2
    source: t
  - id: oui-hik
    match: {mac.vendor: '(?i)hikvision'}
    vendor: Hikvision
    category: network_camera
    weight: 0.3
    source: t
  - id: sonos
    match: {http.server: 'Sonos/([\d.-]+) \((\w+)\)'}
    vendor: Sonos
    model: $2
    firmware: $1
    category: smart_speaker
    weight: 0.9
    source: t
)";

TEST(Classify, NothingMatchesIsUnknown) {
  auto cat = make(kRules);
  std::vector<ServiceObservation> s = {svc(80, "http", {{"http.server", "Apache"}})};
  DeviceObservation d = classify(cat, *Ip::parse("192.0.2.1"), s);
  EXPECT_EQ(d.ip, *Ip::parse("192.0.2.1"));
  EXPECT_EQ(d.category, "unknown");
  EXPECT_EQ(d.confidence, 0);
  EXPECT_TRUE(d.evidence.empty());
  EXPECT_EQ(s[0].service, "http");
  EXPECT_EQ(s[0].product, "");
}

TEST(Classify, EnrichesServicesWithCaptures) {
  auto cat = make(kRules);
  std::vector<ServiceObservation> s = {svc(22, "ssh", {{"ssh.version", "SSH-2.0-OpenSSH_9.2p1 Debian-2"}}),
                                       svc(2222, "ssh", {{"ssh.version", "SSH-2.0-dropbear_2019.78"}})};
  DeviceObservation d = classify(cat, Ip{}, s);
  EXPECT_EQ(s[0].product, "OpenSSH");
  EXPECT_EQ(s[0].version, "9.2p1");
  EXPECT_EQ(s[0].vendor, "");
  EXPECT_EQ(s[1].product, "Dropbear sshd");
  EXPECT_EQ(s[1].version, "2019.78");
  EXPECT_EQ(s[1].vendor, "");
  // Service rules without a category do not make a device.
  EXPECT_EQ(d.category, "unknown");
  EXPECT_EQ(d.evidence, (std::vector<std::string>{"openssh", "dropbear"}));
}

TEST(Classify, CombinesDistinctRulesPerCategory) {
  auto cat = make(kRules);
  std::vector<ServiceObservation> s = {svc(80, "http", {{"http.server", "App-webs/"}, {"http.realm", "DS-2CD2032-I"}}),
                                       svc(8080, "http", {{"http.server", "DNVRS-Webs"}}),  // same rule again
                                       svc(554, "rtsp", {})};
  DeviceObservation d = classify(cat, Ip{}, s);
  EXPECT_EQ(d.category, "network_camera");
  EXPECT_NEAR(d.confidence, 1 - (1 - 0.6) * (1 - 0.5) * (1 - 0.2), 1e-12);
  EXPECT_EQ(d.vendor, "Hikvision");
  EXPECT_EQ(d.model, "DS-2CD2032-I");
  EXPECT_EQ(d.evidence, (std::vector<std::string>{"hik-server", "hik-realm", "rtsp-port"}));
}

TEST(Classify, ArgmaxAndTieBreakByStrongestRule) {
  auto cat = make(kRules);
  // network_camera: 1-(0.4*0.5) = 0.8 ; dvr: 0.75 -> camera.
  std::vector<ServiceObservation> a = {svc(80, "http", {{"http.server", "App-webs/"}, {"http.realm", "DS-1"}}),
                                       svc(81, "http", {{"http.title", "NETSurveillance WEB"}})};
  EXPECT_EQ(classify(cat, Ip{}, a).category, "network_camera");
  // network_camera: 1-(0.5*0.5) = 0.75 (realm 0.5 + oui... no: realm 0.5 + rtsp 0.2 + oui 0.3 = 1-.5*.8*.7=0.72)
  // Tie: camera 0.75 from two 0.5 rules cannot be built from kRules, so build one.
  auto tie = make(R"(
  - id: a1
    match: {http.title: 'A'}
    category: network_camera
    weight: 0.5
    source: t
  - id: a2
    match: {http.server: 'A'}
    category: network_camera
    weight: 0.5
    source: t
  - id: b1
    match: {rtsp.server: 'B'}
    vendor: Bee
    category: dvr
    weight: 0.75
    source: t
)");
  std::vector<ServiceObservation> t = {svc(80, "http", {{"http.title", "A"}, {"http.server", "A"}}),
                                       svc(554, "rtsp", {{"rtsp.server", "B"}})};
  DeviceObservation d = classify(tie, Ip{}, t);
  EXPECT_EQ(d.category, "dvr");
  EXPECT_DOUBLE_EQ(d.confidence, 0.75);
  EXPECT_EQ(d.vendor, "Bee");
}

TEST(Classify, VendorComesFromTheWinningCategory) {
  auto cat = make(kRules);
  std::vector<ServiceObservation> s = {svc(80, "http", {{"http.title", "NETSurveillance WEB"}}),
                                       svc(554, "rtsp", {})};
  DeviceObservation d = classify(cat, Ip{}, s, HostFacts{"Hangzhou Hikvision Digital Technology Co.,Ltd."});
  // dvr 0.75 beats camera 1-(0.8*0.7) = 0.44; vendor from the dvr rule, not the OUI rule.
  EXPECT_EQ(d.category, "dvr");
  EXPECT_EQ(d.vendor, "XiongMai");
  EXPECT_NE(std::find(d.evidence.begin(), d.evidence.end(), "oui-hik"), d.evidence.end());
  // The MAC rule does not enrich services.
  EXPECT_EQ(s[1].vendor, "");
}

TEST(Classify, DeviceFactsFromNeutralRulesButNotFromOtherCategories) {
  auto cat = make(std::string(kRules) + R"(
  - id: echonet-maker
    match: {echonet.manufacturer: '0x00000B'}
    vendor: Panasonic
    source: t
)");
  std::vector<ServiceObservation> s = {svc(3610, "echonet", {{"echonet.manufacturer", "0x00000B"}})};
  DeviceObservation d = classify(cat, Ip{}, s);
  EXPECT_EQ(d.category, "unknown");
  EXPECT_EQ(d.vendor, "Panasonic");
  // A camera rule's vendor does not name a device judged a DVR; the neutral rule does.
  s = {svc(3610, "echonet", {{"echonet.manufacturer", "0x00000B"}}),
       svc(80, "http", {{"http.title", "NETSurveillance WEB"}, {"http.server", "App-webs/"}})};
  d = classify(cat, Ip{}, s);
  EXPECT_EQ(d.category, "dvr");
  EXPECT_EQ(d.vendor, "XiongMai");
  s = {svc(3610, "echonet", {{"echonet.manufacturer", "0x00000B"}}), svc(554, "rtsp", {}),
       svc(80, "http", {{"http.realm", "DS-2CD2032-I"}})};
  d = classify(cat, Ip{}, s);
  EXPECT_EQ(d.category, "network_camera");
  EXPECT_EQ(d.vendor, "Hikvision");
}

TEST(Classify, PortIsMatchedWhole) {
  auto cat = make(kRules);
  std::vector<ServiceObservation> s = {svc(5540, "unknown", {}), svc(1554, "unknown", {})};
  EXPECT_EQ(classify(cat, Ip{}, s).category, "unknown");
  s = {svc(8554, "unknown", {})};
  DeviceObservation d = classify(cat, Ip{}, s);
  EXPECT_EQ(d.category, "network_camera");
  EXPECT_DOUBLE_EQ(d.confidence, 0.2);
}

TEST(Classify, AllClausesMustMatchAndServiceIsRenamed) {
  auto cat = make(kRules);
  std::vector<ServiceObservation> s = {svc(8080, "http", {{"http.server", "gSOAP CWMP"}})};
  EXPECT_EQ(classify(cat, Ip{}, s).category, "unknown");
  EXPECT_EQ(s[0].service, "http");
  s = {svc(7547, "http", {{"http.server", "gSOAP cwmp"}})};
  DeviceObservation d = classify(cat, Ip{}, s);
  EXPECT_EQ(d.category, "router");
  EXPECT_EQ(s[0].service, "tr069");
}

TEST(Classify, ModelAndFirmwareFromGroups) {
  auto cat = make(kRules);
  std::vector<ServiceObservation> s = {
      svc(1400, "http", {{"http.server", "Linux UPnP/1.0 Sonos/57.3-77280 (ZPS1)"}})};
  DeviceObservation d = classify(cat, Ip{}, s);
  EXPECT_EQ(d.category, "smart_speaker");
  EXPECT_EQ(d.vendor, "Sonos");
  EXPECT_EQ(d.model, "ZPS1");
  EXPECT_EQ(d.firmware, "57.3-77280");
}

TEST(Classify, MacOnlyHostWithoutServices) {
  auto cat = make(kRules);
  std::vector<ServiceObservation> none;
  DeviceObservation d = classify(cat, Ip{}, none, HostFacts{"Hangzhou Hikvision Digital Technology Co.,Ltd."});
  EXPECT_EQ(d.category, "network_camera");
  EXPECT_DOUBLE_EQ(d.confidence, 0.3);
  EXPECT_EQ(d.vendor, "Hikvision");
}

// A device with only a MAC (discovered, no open port): the MAC rule names the vendor and gives
// a low-confidence category; an unregistered vendor gives nothing.
TEST(Classify, MacOnlyHostGetsVendorAndLowConfidence) {
  auto cat = make(kRules);
  std::vector<ServiceObservation> none;
  DeviceObservation d = classify(cat, Ip{}, none, HostFacts{"Hangzhou Hikvision Digital Technology Co.,Ltd."});
  EXPECT_EQ(d.category, "network_camera");
  EXPECT_LT(d.confidence, 0.5);
  EXPECT_EQ(d.vendor, "Hikvision");
  EXPECT_EQ(d.evidence, (std::vector<std::string>{"oui-hik"}));
  d = classify(cat, Ip{}, none, HostFacts{"Intel Corporate"});
  EXPECT_EQ(d.category, "unknown");
  EXPECT_EQ(d.vendor, "");
  d = classify(cat, Ip{}, none, HostFacts{});
  EXPECT_EQ(d.category, "unknown");
}

// MAC evidence never overrides what the services said, even where adding it up would.
TEST(Classify, MacNeverOverridesServiceEvidence) {
  auto cat = make(std::string(kRules) + R"(
  - id: weak-dvr
    match: {http.title: '^Weak DVR$'}
    category: dvr
    weight: 0.4
    source: t
  - id: weak-camera
    match: {http.title: '^Weak Camera$'}
    category: network_camera
    weight: 0.4
    source: t
)");
  // Services: dvr 0.4 against camera 0.2 (RTSP port); the Hikvision MAC would lift camera to
  // 1-(0.8*0.7) = 0.44 > 0.4, but the services decide.
  std::vector<ServiceObservation> s = {svc(80, "http", {{"http.title", "Weak DVR"}}), svc(554, "rtsp", {})};
  const HostFacts hik{"Hangzhou Hikvision Digital Technology Co.,Ltd."};
  DeviceObservation d = classify(cat, Ip{}, s, hik);
  EXPECT_EQ(d.category, "dvr");
  EXPECT_DOUBLE_EQ(d.confidence, 0.4);
  EXPECT_NE(std::find(d.evidence.begin(), d.evidence.end(), "oui-hik"), d.evidence.end());  // recorded all the same
  // Equal service scores: the MAC breaks the tie and adds to the confidence.
  s = {svc(80, "http", {{"http.title", "Weak DVR"}}), svc(81, "http", {{"http.title", "Weak Camera"}})};
  d = classify(cat, Ip{}, s, hik);
  EXPECT_EQ(d.category, "network_camera");
  EXPECT_NEAR(d.confidence, 1 - 0.6 * 0.7, 1e-12);
  // Agreeing evidence adds up.
  s = {svc(80, "http", {{"http.server", "App-webs/"}})};
  d = classify(cat, Ip{}, s, hik);
  EXPECT_EQ(d.category, "network_camera");
  EXPECT_NEAR(d.confidence, 1 - 0.4 * 0.7, 1e-12);
}

TEST(Classify, HostileValuesAreBoundedAndUnknownKeysIgnored) {
  auto cat = make(kRules);
  std::string huge(1 << 20, 'A');
  std::vector<ServiceObservation> s = {
      svc(80, "http", {{"http.title", huge + "NETSurveillance WEB"}, {"x.evil", "App-webs/"}, {"http.server", huge}}),
      svc(1400, "http", {{"http.server", "Sonos/" + std::string(5000, '1') + " (Z)"}})};
  DeviceObservation d = classify(cat, Ip{}, s);
  // The match past the 4 KiB bound is not seen; the long capture is cut.
  EXPECT_TRUE(d.evidence.empty());
  EXPECT_EQ(d.category, "unknown");  // "Sonos/111... (Z)" exceeds the bound before " (Z)"
  s = {svc(1400, "http", {{"http.server", "Sonos/" + std::string(1000, '1') + " (Z)"}})};
  d = classify(cat, Ip{}, s);
  EXPECT_EQ(d.category, "smart_speaker");
  EXPECT_EQ(d.firmware.size(), kMaxRenderedValue);
}

TEST(Classify, MatchServiceRanksByWeight) {
  auto cat = make(kRules);
  ServiceObservation s = svc(554, "http", {{"http.server", "App-webs/"}});
  ServiceMatch m = match_service(cat, s, HostFacts{"Hikvision"});
  ASSERT_EQ(m.rules.size(), 3u);
  EXPECT_EQ(cat.rules()[m.rules[0]].id, "hik-server");
  EXPECT_EQ(cat.rules()[m.rules[1]].id, "oui-hik");
  EXPECT_EQ(cat.rules()[m.rules[2]].id, "rtsp-port");
}

TEST(Classify, EmptyCatalog) {
  FingerprintCatalog empty;
  std::vector<ServiceObservation> s = {svc(80, "http", {{"http.server", "App-webs/"}})};
  EXPECT_EQ(classify(empty, Ip{}, s).category, "unknown");
}

// UPnP description servers: named `upnp` where identification fetched the description the
// host's SSDP answer pointed to (spec/results.md), nowhere else.
ServiceObservation ssdp_answer(const Ip& ip, std::string location, std::string fetch) {
  ServiceObservation s = svc(1900, "ssdp", {{"ssdp.location", std::move(location)}, {"upnp.fetch", std::move(fetch)}});
  s.ip = ip;
  s.proto = Proto::udp;
  return s;
}

ServiceObservation at(const Ip& ip, ServiceObservation s) {
  s.ip = ip;
  return s;
}

TEST(NameUpnp, HttpOnTheDescribedPortBecomesUpnp) {
  const Ip ip = *Ip::parse("127.72.0.5");
  std::vector<ServiceObservation> v{at(ip, svc(80, "http", {})), at(ip, svc(49152, "http", {})),
                                    ssdp_answer(ip, "http://127.72.0.5:49152/rootDesc.xml", "ok")};
  classify(FingerprintCatalog(), ip, v);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].service, "http");
  EXPECT_EQ(v[1].service, "upnp");
  EXPECT_EQ(v[2].service, "ssdp");
}

TEST(NameUpnp, DefaultPortAndIpv6) {
  const Ip ip = *Ip::parse("::1");
  std::vector<ServiceObservation> v{at(ip, svc(80, "http", {})), ssdp_answer(ip, "HTTP://[::1]/desc.xml", "ok")};
  name_upnp_services(v);
  EXPECT_EQ(v[0].service, "upnp");
}

TEST(NameUpnp, OnlyWithAFetchedSameHostDescription) {
  const Ip ip = *Ip::parse("127.72.0.5");
  for (const auto& [location, fetch] : std::vector<std::pair<std::string, std::string>>{
           {"http://127.72.0.5:49152/rootDesc.xml", "http 404"},
           {"http://127.72.0.5:49152/rootDesc.xml", "bad_description"},
           {"http://127.72.0.6:49152/rootDesc.xml", "ok"},
           {"http://127.72.0.5.example:49152/", "ok"},
           {"http://user@127.72.0.5:49152/", "ok"},
           {"https://127.72.0.5:49152/rootDesc.xml", "ok"},
           {"http://127.72.0.5:99999/", "ok"},
           {"http://127.72.0.5:0/", "ok"}}) {
    std::vector<ServiceObservation> v{at(ip, svc(49152, "http", {})), ssdp_answer(ip, location, fetch)};
    name_upnp_services(v);
    EXPECT_EQ(v.size(), 2u) << location << " " << fetch;
    EXPECT_EQ(v[0].service, "http") << location << " " << fetch;
  }
}

TEST(NameUpnp, OtherServicesOnThePortKeepTheirName) {
  const Ip ip = *Ip::parse("127.72.0.5");
  std::vector<ServiceObservation> v{at(ip, svc(5000, "https", {})), ssdp_answer(ip, "http://127.72.0.5:5000/", "ok")};
  name_upnp_services(v);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].service, "https");
}

TEST(NameUpnp, UnsweptDescribedPortIsReported) {
  const Ip ip = *Ip::parse("127.72.0.5");
  std::vector<ServiceObservation> v{at(ip, svc(80, "http", {})), ssdp_answer(ip, "http://127.72.0.5:1401/xml", "ok")};
  name_upnp_services(v);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[2].service, "upnp");
  EXPECT_EQ(v[2].port, 1401);
  EXPECT_EQ(v[2].proto, Proto::tcp);
  EXPECT_EQ(v[2].ip, ip);
  EXPECT_EQ(v[2].fields["upnp.location"], "http://127.72.0.5:1401/xml");
  EXPECT_EQ(v[0].service, "http");
}

}  // namespace
}  // namespace mamori::ident
