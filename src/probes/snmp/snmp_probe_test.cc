// The SNMP probes against an in-process agent on 127.0.0.1 built from proto::snmp's agent side.
#include "probes/snmp/snmp_probe.h"

#include <gtest/gtest.h>

#include <map>

#include "probes/snmp/udp_test_util.h"
#include "proto/snmp.h"

namespace mamori::probes {
namespace {

namespace snmp = proto::snmp;
using testing::field;
using testing::run_udp;
using testing::UdpResponder;

struct Agent {
  std::string community = "public";
  bool v1 = true;
  bool v2c = true;
  std::map<std::string, snmp::Value> mib = {
      {std::string(snmp::kSysDescr), snmp::Value::octets("Linux cam01 4.9.37 #1 armv7l")},
      {std::string(snmp::kSysObjectId), snmp::Value::object_id(*snmp::Oid::parse("1.3.6.1.4.1.8072.3.2.10"))},
      {std::string(snmp::kSysName), snmp::Value::octets("cam01")},
  };
  int32_t id_offset = 0;  // a misbehaving agent answering another request-id

  std::vector<std::string> operator()(const std::string& req) const {
    auto m = snmp::decode_request(req);
    if (!m || m->community != community) return {};
    if (m->version == snmp::Version::v1 && !v1) return {};
    if (m->version == snmp::Version::v2c && !v2c) return {};
    std::vector<std::optional<snmp::VarBind>> answers;
    for (const auto& vb : m->varbinds) {
      auto it = mib.find(vb.oid.str());
      if (it == mib.end()) answers.push_back(std::nullopt);
      else answers.push_back(snmp::VarBind{vb.oid, it->second});
    }
    snmp::Message req_copy = *m;
    req_copy.request_id += id_offset;
    auto out = snmp::encode_get_response(req_copy, answers);
    return out ? std::vector<std::string>{*out} : std::vector<std::string>{};
  }
};

TEST(SnmpProbe, RequestIsV2cGetOfTheSystemGroup) {
  auto m = snmp::decode_request(testing::request_for(snmp_probe(), 161));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->version, snmp::Version::v2c);
  EXPECT_EQ(m->community, "public");
  EXPECT_EQ(m->pdu, snmp::PduType::get_request);
  ASSERT_EQ(m->varbinds.size(), 3u);
  EXPECT_EQ(m->varbinds[0].oid.str(), snmp::kSysDescr);
  EXPECT_EQ(m->varbinds[1].oid.str(), snmp::kSysObjectId);
  EXPECT_EQ(m->varbinds[2].oid.str(), snmp::kSysName);
  auto v1 = snmp::decode_request(testing::request_for(snmp_v1_probe(), 161));
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->version, snmp::Version::v1);
  EXPECT_EQ(snmp_probe().info().transport, Proto::udp);
  EXPECT_EQ(snmp_probe().info().default_ports, std::vector<uint16_t>{161});
}

TEST(SnmpProbe, V2cAgentGivesTheSystemGroup) {
  UdpResponder agent(Agent{});
  ASSERT_TRUE(agent.ok());
  auto obs = run_udp(snmp_probe(), agent.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "snmp");
  EXPECT_EQ(obs->proto, Proto::udp);
  EXPECT_EQ(field(*obs, "snmp.sysdescr"), "Linux cam01 4.9.37 #1 armv7l");
  EXPECT_EQ(field(*obs, "snmp.sysobjectid"), "1.3.6.1.4.1.8072.3.2.10");
  EXPECT_EQ(field(*obs, "snmp.sysname"), "cam01");
  EXPECT_EQ(field(*obs, "snmp.version"), "2c");
  EXPECT_EQ(field(*obs, "snmp.community"), "public");
  EXPECT_EQ(field(*obs, "snmp.error"), "<absent>");
}

TEST(SnmpProbe, MissingObjectsAreLeftOutAndDescrIsEscaped) {
  Agent a;
  a.mib.erase(std::string(snmp::kSysName));
  a.mib[std::string(snmp::kSysDescr)] = snmp::Value::octets(std::string("RTOS\r\n\x01v2", 9));
  UdpResponder agent(a);
  auto obs = run_udp(snmp_probe(), agent.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "snmp.sysname"), "<absent>");  // noSuchObject
  EXPECT_EQ(field(*obs, "snmp.sysdescr"), "RTOS\\r\\n\\x01v2");
}

TEST(SnmpProbe, V1AgentWithoutSysNameReportsTheError) {
  Agent a;
  a.v2c = false;
  a.mib.erase(std::string(snmp::kSysName));
  UdpResponder agent(a);
  EXPECT_FALSE(run_udp(snmp_probe(), agent.port()));  // v2c: silence
  auto obs = run_udp(snmp_v1_probe(), agent.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "snmp.version"), "1");
  EXPECT_EQ(field(*obs, "snmp.community"), "public");
  EXPECT_EQ(field(*obs, "snmp.error"), "noSuchName");
}

TEST(SnmpProbe, OtherCommunityIsSilence) {
  Agent a;
  a.community = "s3cret";
  UdpResponder agent(a);
  EXPECT_FALSE(run_udp(snmp_probe(), agent.port()));
  EXPECT_FALSE(run_udp(snmp_v1_probe(), agent.port()));
  EXPECT_EQ(agent.requests().size(), 2u);
}

TEST(SnmpProbe, AnswerToAnotherRequestIsIgnored) {
  Agent a;
  a.id_offset = 1;
  UdpResponder agent(a);
  EXPECT_FALSE(run_udp(snmp_probe(), agent.port()));
}

TEST(SnmpProbe, GarbageTruncatedAndOversizedAnswers) {
  std::string good = Agent{}(testing::request_for(snmp_probe(), 0)).at(0);
  for (size_t cut : {size_t{1}, size_t{10}, good.size() / 2, good.size() - 1}) {
    UdpResponder agent([&](const std::string&) { return std::vector<std::string>{good.substr(0, cut)}; });
    EXPECT_FALSE(run_udp(snmp_probe(), agent.port())) << "cut at " << cut;
  }
  UdpResponder garbage([](const std::string&) {
    return std::vector<std::string>{"HTTP/1.1 400 Bad Request\r\n\r\n", std::string(3, '\x30'),
                                    std::string("\x30\x84\xff\xff\xff\xff", 6)};
  });
  EXPECT_FALSE(run_udp(snmp_probe(), garbage.port()));
  UdpResponder huge([&](const std::string&) {
    return std::vector<std::string>{good + std::string(60000, 'A')};  // trailing bytes
  });
  EXPECT_FALSE(run_udp(snmp_probe(), huge.port()));
  // One garbage datagram, then the real answer: the answer wins.
  UdpResponder mixed([&](const std::string& req) {
    auto real = Agent{}(req);
    return std::vector<std::string>{"\xff\xfe", real.at(0)};
  });
  auto obs = run_udp(snmp_probe(), mixed.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "snmp.sysname"), "cam01");
}

// identify_udp on the real port: the v2c probe draws no answer from a v1-only agent, the v1
// probe then identifies it. Needs to bind 127.77.0.161:161 (root); skipped otherwise.
TEST(SnmpProbe, IdentifyFallsBackToV1) {
  Agent a;
  a.v2c = false;
  UdpResponder agent(a, "127.77.0.161", 161);
  if (!agent.ok()) GTEST_SKIP() << "cannot bind 127.77.0.161:161";
  auto obs = testing::identify_udp_at("127.77.0.161", 161);
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "snmp");
  EXPECT_EQ(obs->proto, Proto::udp);
  EXPECT_EQ(field(*obs, "snmp.version"), "1");
  EXPECT_EQ(field(*obs, "snmp.sysname"), "cam01");
  EXPECT_EQ(agent.requests().size(), 2u);
}

}  // namespace
}  // namespace mamori::probes

namespace mamori::probes {
namespace {

// Real net-snmp (snmpd 5.9) on 127.77.0.40 with a temporary config, started and ended by PID
// here (-I -smux: no SMUX listener on 0.0.0.0:199). Skipped when snmpd is not installed.
TEST(SnmpRealDaemon, NetSnmpAnswersV2cAndV1) {
  if (access("/usr/sbin/snmpd", X_OK) != 0) GTEST_SKIP() << "snmpd not installed";
  const std::string ip = "127.77.0.40";
  const uint16_t port = testing::free_udp_port(ip);
  if (port == 0) GTEST_SKIP() << "cannot use " << ip;
  auto dir = std::filesystem::temp_directory_path() / ("mamori-snmpd-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "persist");
  {
    std::ofstream conf(dir / "snmpd.conf");
    conf << "agentAddress udp:" << ip << ":" << port << "\n"
         << "rocommunity public default\n"
         << "sysName mamori-probe-test\n"
         << "sysDescr Linux mamori-probe-test 4.9.37 armv7l\n";
  }
  std::optional<ServiceObservation> v2c, v1;
  {
    testing::ChildProcess snmpd({"/usr/sbin/snmpd", "-f", "-C", "-c", (dir / "snmpd.conf").string(), "-Lf",
                                 (dir / "snmpd.log").string(), "-I", "-smux"},
                                {{"SNMP_PERSISTENT_DIR", (dir / "persist").string()}});
    ASSERT_TRUE(snmpd.started());
    v2c = testing::retry([&] { return run_udp(snmp_probe(), port, ip, net::Millis(250)); });
    v1 = run_udp(snmp_v1_probe(), port, ip, net::Millis(500));
  }
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(v2c);
  EXPECT_EQ(field(*v2c, "snmp.sysdescr"), "Linux mamori-probe-test 4.9.37 armv7l");
  EXPECT_EQ(field(*v2c, "snmp.sysobjectid"), "1.3.6.1.4.1.8072.3.2.10");  // net-snmp on Linux
  EXPECT_EQ(field(*v2c, "snmp.sysname"), "mamori-probe-test");
  EXPECT_EQ(field(*v2c, "snmp.community"), "public");
  EXPECT_EQ(field(*v2c, "snmp.version"), "2c");
  ASSERT_TRUE(v1);
  EXPECT_EQ(field(*v1, "snmp.version"), "1");
  EXPECT_EQ(field(*v1, "snmp.sysname"), "mamori-probe-test");
  EXPECT_EQ(field(*v1, "snmp.error"), "<absent>");
}

}  // namespace
}  // namespace mamori::probes

namespace mamori::probes {
namespace {

// The UDP probes of issue 4 are registered, each on its home port, in the order identify_udp
// relies on (snmp v2c before v1).
TEST(UdpRegistry, ProbesAndHomePorts) {
  std::vector<std::pair<std::string, uint16_t>> got;
  for (const UdpProbe* p : udp_probes()) {
    EXPECT_EQ(p->info().transport, Proto::udp) << p->info().id;
    for (uint16_t port : p->info().default_ports) got.emplace_back(p->info().id, port);
  }
  const std::vector<std::pair<std::string, uint16_t>> want = {
      {"snmp", 161}, {"snmp-v1", 161}, {"coap", 5683}, {"echonet", 3610}, {"mdns", 5353}, {"ssdp", 1900}, {"wsd", 3702}};
  for (const auto& w : want) EXPECT_NE(std::find(got.begin(), got.end(), w), got.end()) << w.first;
  auto v2c = std::find(got.begin(), got.end(), want[0]);
  auto v1 = std::find(got.begin(), got.end(), want[1]);
  EXPECT_LT(v2c, v1);
}

}  // namespace
}  // namespace mamori::probes
