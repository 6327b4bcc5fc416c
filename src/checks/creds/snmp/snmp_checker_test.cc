#include "checks/creds/snmp/snmp_checker.h"

#include <gtest/gtest.h>

#include "checks/creds/testing/creds_testing.h"
#include "probes/snmp/udp_test_util.h"

namespace mamori::creds {
namespace {

namespace asio = boost::asio;
namespace snmp = proto::snmp;
using probes::testing::UdpResponder;

snmp::Oid sysdescr() { return *snmp::Oid::parse(snmp::kSysDescr); }

snmp::Message request(snmp::Version v, std::string community, int32_t id) {
  auto bytes = snmp_get_request(v, community, id);
  EXPECT_TRUE(bytes);
  auto m = snmp::decode_request(bytes ? *bytes : std::string());
  EXPECT_TRUE(m);
  return m ? *m : snmp::Message{};
}

std::string answer(const snmp::Message& req, snmp::Value value) {
  auto out = snmp::encode_get_response(req, {snmp::VarBind{sysdescr(), std::move(value)}});
  EXPECT_TRUE(out);
  return out ? *out : std::string();
}

// ---- request and judge ---------------------------------------------------------------------

TEST(SnmpRequest, GetOfSysDescrOnly) {
  auto m = request(snmp::Version::v2c, "public", 1234);
  EXPECT_EQ(m.pdu, snmp::PduType::get_request);
  EXPECT_EQ(m.community, "public");
  EXPECT_EQ(m.request_id, 1234);
  ASSERT_EQ(m.varbinds.size(), 1u);
  EXPECT_EQ(m.varbinds[0].oid, sysdescr());
  EXPECT_EQ(request(snmp::Version::v1, "private", 7).version, snmp::Version::v1);
  EXPECT_FALSE(snmp_get_request(snmp::Version::v2c, std::string(70000, 'c'), 1));
}

TEST(SnmpJudge, MatchingValueIsAccepted) {
  auto req = request(snmp::Version::v2c, "public", 42);
  auto r = judge_snmp_replies({answer(req, snmp::Value::octets("Linux R7000"))}, snmp::Version::v2c, "public", 42);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::accepted);
  EXPECT_EQ(r->detail, "GetResponse v2c sysDescr \"Linux R7000\"");
  EXPECT_EQ(r->evidence["version"], "v2c");
  EXPECT_EQ(r->detail.find("public"), std::string::npos);
}

TEST(SnmpJudge, NotOursIsSilence) {
  auto req = request(snmp::Version::v2c, "public", 42);
  const std::string ok = answer(req, snmp::Value::octets("x"));
  EXPECT_FALSE(judge_snmp_replies({ok}, snmp::Version::v2c, "public", 43));    // request-id
  EXPECT_FALSE(judge_snmp_replies({ok}, snmp::Version::v2c, "private", 42));   // community
  EXPECT_FALSE(judge_snmp_replies({ok}, snmp::Version::v1, "public", 42));     // version
  EXPECT_FALSE(judge_snmp_replies({}, snmp::Version::v2c, "public", 42));
  EXPECT_FALSE(judge_snmp_replies({"", "garbage", std::string(100000, '\x30')}, snmp::Version::v2c, "public", 42));
  // Our own request echoed back is not a GetResponse.
  EXPECT_FALSE(judge_snmp_replies({*snmp_get_request(snmp::Version::v2c, "public", 42)}, snmp::Version::v2c,
                                  "public", 42));
  // A truncated answer.
  EXPECT_FALSE(judge_snmp_replies({ok.substr(0, ok.size() - 3)}, snmp::Version::v2c, "public", 42));
  // Ours after a stray one.
  auto r = judge_snmp_replies({"junk", ok}, snmp::Version::v2c, "public", 42);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::accepted);
}

TEST(SnmpJudge, AnswerWithoutValueIsNoProof) {
  auto req = request(snmp::Version::v2c, "public", 5);
  auto missing = snmp::encode_get_response(req, {std::nullopt});  // v2c: noSuchObject
  ASSERT_TRUE(missing);
  auto r = judge_snmp_replies({*missing}, snmp::Version::v2c, "public", 5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::error);
  auto v1 = request(snmp::Version::v1, "public", 6);
  auto err = snmp::encode_get_response(v1, {std::nullopt});  // v1: noSuchName
  ASSERT_TRUE(err);
  r = judge_snmp_replies({*err}, snmp::Version::v1, "public", 6);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::error);
  auto gen = snmp::encode_error_response(req, snmp::ErrorStatus::gen_err, 1);
  ASSERT_TRUE(gen);
  EXPECT_EQ(judge_snmp_replies({*gen}, snmp::Version::v2c, "public", 5)->outcome, Outcome::error);
}

// ---- against in-process agents -------------------------------------------------------------

struct Target {
  ServiceObservation svc;
  CheckTarget t;
  Target(asio::io_context& io, std::string_view ip, uint16_t port, Millis wait) {
    svc.ip = *Ip::parse(ip);
    svc.port = port;
    svc.proto = Proto::udp;
    svc.service = "snmp";
    t.ex = io.get_executor();
    t.ip = svc.ip;
    t.port = port;
    t.proto = Proto::udp;
    t.service = &svc;
    t.limits.io = wait;
  }
};

Credential community(std::string c) { return Credential{"", std::move(c), "test", ""}; }

AttemptResult attempt_at(std::string_view ip, uint16_t port, const Credential& c, Millis wait = Millis(400)) {
  asio::io_context io;
  Target tg(io, ip, port, wait);
  return testing::run_sync(io, snmp_checker().attempt(tg.t, c));
}

// An agent that answers the communities and versions it knows, silent otherwise.
UdpResponder::Handler agent(std::vector<std::string> communities, bool v1_only = false) {
  return [=](const std::string& bytes) -> std::vector<std::string> {
    auto m = snmp::decode_request(bytes);
    if (!m || (v1_only && m->version != snmp::Version::v1)) return {};
    if (std::find(communities.begin(), communities.end(), m->community) == communities.end()) return {};
    return {answer(*m, snmp::Value::octets("Lab agent"))};
  };
}

TEST(SnmpAgent, RightCommunityAcceptedWrongRejected) {
  UdpResponder a(agent({"public"}));
  ASSERT_TRUE(a.ok());
  auto ok = attempt_at("127.0.0.1", a.port(), community("public"));
  EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
  EXPECT_EQ(ok.evidence["version"], "v2c");
  auto start = std::chrono::steady_clock::now();
  auto bad = attempt_at("127.0.0.1", a.port(), community("private"));
  EXPECT_EQ(bad.outcome, Outcome::rejected);
  EXPECT_EQ(bad.detail, "no answer (wrong community or no agent)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // Every request was a GetRequest: never a Set.
  for (const auto& req : a.requests()) {
    auto m = snmp::decode_request(req);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->pdu, snmp::PduType::get_request);
  }
  EXPECT_EQ(a.requests().size(), 3u);  // public v2c; private v2c then v1
}

TEST(SnmpAgent, V1OnlyAgentAcceptedThroughV1) {
  UdpResponder a(agent({"public"}, true));
  ASSERT_TRUE(a.ok());
  auto r = attempt_at("127.0.0.1", a.port(), community("public"));
  EXPECT_EQ(r.outcome, Outcome::accepted) << r.detail;
  EXPECT_EQ(r.evidence["version"], "v1");
}

TEST(SnmpAgent, YesToEverythingWithWrongIdsIsNotAccepted) {
  // Answers every request with a GetResponse, but for another request-id and community.
  UdpResponder liar([](const std::string& bytes) -> std::vector<std::string> {
    auto m = snmp::decode_request(bytes);
    if (!m) return {};
    snmp::Message other = *m;
    other.request_id ^= 0x55;
    other.community = "x";
    return {answer(other, snmp::Value::octets("liar"))};
  });
  ASSERT_TRUE(liar.ok());
  EXPECT_EQ(attempt_at("127.0.0.1", liar.port(), community("public")).outcome, Outcome::rejected);
  UdpResponder garbage([](const std::string&) { return std::vector<std::string>{std::string(9000, '\xff')}; });
  ASSERT_TRUE(garbage.ok());
  EXPECT_NE(attempt_at("127.0.0.1", garbage.port(), community("public")).outcome, Outcome::accepted);
}

TEST(SnmpChecker, Info) {
  EXPECT_EQ(snmp_checker().info().credential_kind, "community");
  ServiceObservation s;
  s.service = "snmp";
  s.proto = Proto::udp;
  EXPECT_TRUE(snmp_checker().applies(s));
  s.service = "coap";
  EXPECT_FALSE(snmp_checker().applies(s));
}

// ---- mamori-lab (127.71.4.30 public/private, .31 a non-default community) -------------------

class SnmpLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { lab_ = new testing::LabProcess(std::string(MAMORI_CREDS_SNMP_DIR) + "/testdata/lab.yaml"); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override {
    if (!lab_->ok()) GTEST_SKIP() << lab_->why();
  }
  static testing::LabProcess* lab_;
};
testing::LabProcess* SnmpLab::lab_ = nullptr;

TEST_F(SnmpLab, WeakAgent) {
  auto pub = attempt_at("127.71.4.30", 161, community("public"), Millis(2000));
  EXPECT_EQ(pub.outcome, Outcome::accepted) << pub.detail;
  EXPECT_NE(pub.detail.find("R7000"), std::string::npos);
  EXPECT_EQ(attempt_at("127.71.4.30", 161, community("private"), Millis(2000)).outcome, Outcome::accepted);
  EXPECT_EQ(attempt_at("127.71.4.30", 161, community("admin"), Millis(500)).outcome, Outcome::rejected);
}

TEST_F(SnmpLab, HardenedAgent) {
  EXPECT_EQ(attempt_at("127.71.4.31", 161, community("public"), Millis(500)).outcome, Outcome::rejected);
  EXPECT_EQ(attempt_at("127.71.4.31", 161, community("private"), Millis(500)).outcome, Outcome::rejected);
  EXPECT_EQ(attempt_at("127.71.4.31", 161, community("x7-lab-Qm2"), Millis(2000)).outcome, Outcome::accepted);
}

// ---- real daemons (net-snmp) -----------------------------------------------------------------

TEST(SnmpDaemons, NetSnmp) {
  auto m = testing::daemons_manifest();
  if (!m) GTEST_SKIP() << "MAMORI_DAEMONS_MANIFEST not set";
  auto pub = testing::daemon(*m, "snmp-public");
  auto v3 = testing::daemon(*m, "snmp-v3");
  ASSERT_TRUE(pub.contains("ip") && v3.contains("ip"));
  const std::string pip = pub["ip"], vip = v3["ip"];
  const uint16_t pport = pub["port"], vport = v3["port"];
  auto ok = attempt_at(pip, pport, community("public"), Millis(2000));
  EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
  EXPECT_FALSE(ok.evidence["sysdescr"].empty());
  EXPECT_EQ(attempt_at(pip, pport, community("private"), Millis(1000)).outcome, Outcome::rejected);
  EXPECT_EQ(attempt_at(vip, vport, community("public"), Millis(1000)).outcome, Outcome::rejected);
}

}  // namespace
}  // namespace mamori::creds
