#include "checks/creds/mqtt/mqtt_checker.h"

#include <gtest/gtest.h>

#include <mutex>

#include "checks/creds/testing/creds_testing.h"
#include "probes/telnet/test_server.h"

namespace mamori::creds {
namespace {

namespace asio = boost::asio;
using probes::testing::ScriptServer;
using probes::testing::read_for;
using probes::testing::send;
using tcp = asio::ip::tcp;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

// ---- packet builder ------------------------------------------------------------------------

TEST(MqttConnect, AnonymousLayout) {
  auto p = mqtt_connect("mamori-0123abcd", std::nullopt, std::nullopt);
  ASSERT_TRUE(p);
  const std::string expect = bytes({0x10, 10 + 2 + 15, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 10, 0, 15}) +
                             "mamori-0123abcd";
  EXPECT_EQ(*p, expect);
}

TEST(MqttConnect, WithUserAndPassword) {
  auto p = mqtt_connect("c", std::string_view("admin"), std::string_view("pw"));
  ASSERT_TRUE(p);
  EXPECT_EQ(static_cast<uint8_t>((*p)[9]), 0xC2);  // user, password, clean session
  EXPECT_EQ(p->substr(p->size() - 11), bytes({0, 5}) + "admin" + bytes({0, 2}) + "pw");
  // Password without a user name: sent with an empty user name.
  auto q = mqtt_connect("c", std::nullopt, std::string_view("pw"));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->substr(q->size() - 6), bytes({0, 0, 0, 2}) + "pw");
}

TEST(MqttConnect, LongFieldsUseMultiByteLengthOrFail) {
  std::string user(300, 'u');
  auto p = mqtt_connect("c", std::string_view(user), std::string_view(""));
  ASSERT_TRUE(p);
  EXPECT_EQ(static_cast<uint8_t>((*p)[1]) & 0x80, 0x80);
  std::string huge(70000, 'x');
  EXPECT_FALSE(mqtt_connect("c", std::string_view(huge), std::string_view("")));
  EXPECT_FALSE(mqtt_connect(huge, std::nullopt, std::nullopt));
}

TEST(MqttConnect, ClientIdIsRandomHex) {
  auto a = mqtt_client_id(), b = mqtt_client_id();
  EXPECT_EQ(a.size(), 15u);
  EXPECT_TRUE(a.starts_with("mamori-"));
  EXPECT_NE(a, b);
}

// ---- CONNACK parser and verdict --------------------------------------------------------------

MqttConnack parse_ok(const std::string& b) {
  MqttConnack a;
  EXPECT_EQ(parse_mqtt_connack(b, a), MqttParse::ok);
  return a;
}

TEST(MqttConnack, V311Codes) {
  EXPECT_EQ(classify_mqtt_connack(parse_ok(bytes({0x20, 2, 0, 0}))).outcome, Outcome::accepted);
  EXPECT_EQ(classify_mqtt_connack(parse_ok(bytes({0x20, 2, 0, 4}))).outcome, Outcome::rejected);
  EXPECT_EQ(classify_mqtt_connack(parse_ok(bytes({0x20, 2, 0, 5}))).outcome, Outcome::rejected);
  for (int c : {1, 2, 3}) EXPECT_EQ(classify_mqtt_connack(parse_ok(bytes({0x20, 2, 0, c}))).outcome, Outcome::error);
  EXPECT_EQ(classify_mqtt_connack(parse_ok(bytes({0x20, 2, 0, 4}))).detail, "CONNACK 4 (bad user name or password)");
}

TEST(MqttConnack, V5ReasonCodes) {
  auto v5 = [](int code) { return bytes({0x20, 3, 0, code, 0}); };
  EXPECT_EQ(classify_mqtt_connack(parse_ok(v5(0))).outcome, Outcome::accepted);
  EXPECT_EQ(classify_mqtt_connack(parse_ok(v5(0x86))).outcome, Outcome::rejected);
  EXPECT_EQ(classify_mqtt_connack(parse_ok(v5(0x87))).outcome, Outcome::rejected);
  EXPECT_EQ(classify_mqtt_connack(parse_ok(v5(0x8A))).outcome, Outcome::lockout);
  EXPECT_EQ(classify_mqtt_connack(parse_ok(v5(0x9F))).outcome, Outcome::lockout);
  EXPECT_EQ(classify_mqtt_connack(parse_ok(v5(0x8C))).outcome, Outcome::unsupported);
  EXPECT_EQ(classify_mqtt_connack(parse_ok(v5(0x84))).outcome, Outcome::error);
  EXPECT_TRUE(parse_ok(v5(0x87)).v5);
  // A bare reason code in the 3.1.1 layout.
  EXPECT_EQ(classify_mqtt_connack(parse_ok(bytes({0x20, 2, 0, 0x87}))).outcome, Outcome::rejected);
  // Properties: session expiry (0x11, 4 bytes).
  EXPECT_EQ(classify_mqtt_connack(parse_ok(bytes({0x20, 8, 0, 0, 5, 0x11, 0, 0, 0, 0}))).outcome, Outcome::accepted);
}

TEST(MqttConnack, HostileInput) {
  MqttConnack a;
  EXPECT_EQ(parse_mqtt_connack("", a), MqttParse::need_more);
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20}), a), MqttParse::need_more);
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20, 2, 0}), a), MqttParse::need_more);
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20, 0x80}), a), MqttParse::need_more);
  EXPECT_EQ(parse_mqtt_connack(bytes({0x30, 2, 0, 0}), a), MqttParse::invalid);          // PUBLISH
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20, 1, 0}), a), MqttParse::invalid);             // too short
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20, 2, 2, 0}), a), MqttParse::invalid);          // reserved flag
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20, 2, 0, 9}), a), MqttParse::invalid);          // no such code
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20, 3, 0, 0, 5}), a), MqttParse::invalid);       // bad property length
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20, 3, 0, 0x10, 0}), a), MqttParse::invalid);    // v5 code < 0x80
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20, 0xff, 0xff, 0xff, 0xff, 0x7f}), a), MqttParse::invalid);
  EXPECT_EQ(parse_mqtt_connack(bytes({0x20, 0x80, 0x08}), a), MqttParse::invalid);       // 1024 > cap
  EXPECT_EQ(parse_mqtt_connack("HTTP/1.1 400 Bad Request\r\n", a), MqttParse::invalid);
}

// ---- against scripted brokers ----------------------------------------------------------------

struct Target {
  ServiceObservation svc;
  CheckTarget t;
  Target(asio::io_context& io, std::string_view ip, uint16_t port, bool tls = false, Millis wait = Millis(800)) {
    svc.ip = *Ip::parse(ip);
    svc.port = port;
    svc.service = tls ? "mqtts" : "mqtt";
    svc.tls = tls;
    t.ex = io.get_executor();
    t.ip = svc.ip;
    t.port = port;
    t.service = &svc;
    t.limits.connect = Millis(2000);
    t.limits.io = wait;
    t.limits.max_read = 64 * 1024;
  }
};

Credential cred(std::string user, std::string pass) { return Credential{std::move(user), std::move(pass), "test", ""}; }

AttemptResult attempt_at(uint16_t port, const Credential& c, std::string_view ip = "127.0.0.1", bool tls = false,
                         Millis wait = Millis(800)) {
  asio::io_context io;
  Target tg(io, ip, port, tls, wait);
  return testing::run_sync(io, mqtt_checker().attempt(tg.t, c));
}

OpenAccessResult open_at(uint16_t port, std::string_view ip = "127.0.0.1", bool tls = false, Millis wait = Millis(800)) {
  asio::io_context io;
  Target tg(io, ip, port, tls, wait);
  return testing::run_sync(io, mqtt_checker().check_open(tg.t));
}

// A broker answering every CONNECT with `answer`; records what it received.
class FakeBroker {
 public:
  explicit FakeBroker(std::string answer)
      : server_([this, answer](tcp::socket s) -> asio::awaitable<void> {
          std::string in = co_await read_for(s, 150);
          if (!answer.empty()) co_await send(s, answer);
          in += co_await read_for(s, 300);
          std::lock_guard lock(mu_);
          received_.push_back(in);
        }) {}
  uint16_t port() const { return server_.port(); }
  // What the connections sent, once `n` of them have ended (or after 3 s).
  std::vector<std::string> received(size_t n = 1) const {
    for (int i = 0; i < 300; ++i) {
      {
        std::lock_guard lock(mu_);
        if (received_.size() >= n) return received_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> received_;
  ScriptServer server_;
};

TEST(MqttScripted, AcceptedThenDisconnect) {
  FakeBroker b(bytes({0x20, 2, 0, 0}));
  auto r = attempt_at(b.port(), cred("admin", "admin"));
  EXPECT_EQ(r.outcome, Outcome::accepted) << r.detail;
  auto got = b.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(got[0][0]), 0x10);
  EXPECT_NE(got[0].find("admin"), std::string::npos);
  EXPECT_TRUE(got[0].ends_with(std::string(kMqttDisconnectPacket)));
  // Only CONNECT and DISCONNECT: no SUBSCRIBE (0x82) or PUBLISH (0x3x) ever follows.
  EXPECT_EQ(got[0].size(), static_cast<size_t>(2 + static_cast<uint8_t>(got[0][1])) + 2);
}

TEST(MqttScripted, RejectedNotAuthorised) {
  FakeBroker b(bytes({0x20, 2, 0, 5}));
  auto r = attempt_at(b.port(), cred("admin", "s3cr3tpw"));
  EXPECT_EQ(r.outcome, Outcome::rejected);
  EXPECT_EQ(r.detail.find("s3cr3tpw"), std::string::npos);
  EXPECT_TRUE(open_at(b.port()).found.empty());
  // No DISCONNECT after a refusal: the broker closes.
  for (const auto& in : b.received(2)) EXPECT_FALSE(in.ends_with(std::string(kMqttDisconnectPacket)));
}

TEST(MqttScripted, AnonymousOpen) {
  FakeBroker b(bytes({0x20, 2, 0, 0}));
  auto r = open_at(b.port());
  ASSERT_EQ(r.found.size(), 1u);
  EXPECT_EQ(r.found[0].check_id, "mqtt-anonymous");
  EXPECT_TRUE(r.no_login_needed);
  EXPECT_EQ(r.attempts, 1u);
  auto got = b.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(got[0][9]), 0x02);  // no user name or password flags
}

TEST(MqttScripted, SilentGarbageFloodAndCloseAreErrors) {
  FakeBroker silent("");
  ScriptServer garbage([](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, "HTTP/1.1 400 Bad Request\r\n\r\n");
    co_await read_for(s, 500);
  });
  ScriptServer flood([](tcp::socket s) -> asio::awaitable<void> {
    std::string chunk(65536, '\x20');
    for (int i = 0; i < 64; ++i) {
      auto [ec, n] = co_await asio::async_write(s, asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  });
  ScriptServer closer([](tcp::socket s) -> asio::awaitable<void> { co_await read_for(s, 50); });
  const std::string publish_then_connack = bytes({0x30, 5, 0, 1, 'a', 'h', 'i', 0x20, 2, 0, 0});
  ScriptServer publish_first([publish_then_connack](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, publish_then_connack);
    co_await read_for(s, 500);
  });
  for (uint16_t port : {silent.port(), garbage.port(), flood.port(), closer.port(), publish_first.port()}) {
    auto start = std::chrono::steady_clock::now();
    auto r = attempt_at(port, cred("admin", "admin"), "127.0.0.1", false, Millis(400));
    EXPECT_EQ(r.outcome, Outcome::error) << port << ": " << r.detail;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    EXPECT_TRUE(open_at(port, "127.0.0.1", false, Millis(400)).found.empty());
  }
}

TEST(MqttScripted, V5Banned) {
  FakeBroker b(bytes({0x20, 3, 0, 0x8A, 0}));
  EXPECT_EQ(attempt_at(b.port(), cred("admin", "admin")).outcome, Outcome::lockout);
  EXPECT_TRUE(open_at(b.port()).lockout);
}

TEST(MqttChecker, Info) {
  ServiceObservation s;
  for (auto name : {"mqtt", "mqtts"}) {
    s.service = name;
    EXPECT_TRUE(mqtt_checker().applies(s));
  }
  s.service = "http";
  EXPECT_FALSE(mqtt_checker().applies(s));
  EXPECT_EQ(mqtt_checker().info().id, "mqtt");
}

// ---- mamori-lab (127.71.4.20 anonymous, .21 password, .22:8883 TLS + password) -------------

class MqttLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { lab_ = new testing::LabProcess(std::string(MAMORI_CREDS_MQTT_DIR) + "/testdata/lab.yaml"); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override {
    if (!lab_->ok()) GTEST_SKIP() << lab_->why();
  }
  static testing::LabProcess* lab_;
};
testing::LabProcess* MqttLab::lab_ = nullptr;

TEST_F(MqttLab, AnonymousBroker) {
  auto o = open_at(1883, "127.71.4.20", false, Millis(3000));
  ASSERT_EQ(o.found.size(), 1u);
  EXPECT_EQ(o.found[0].check_id, "mqtt-anonymous");
  EXPECT_TRUE(o.no_login_needed);
}

TEST_F(MqttLab, PasswordBroker) {
  EXPECT_TRUE(open_at(1883, "127.71.4.21", false, Millis(3000)).found.empty());
  auto ok = attempt_at(1883, cred("lab", "Tn4-wQ8sJd2"), "127.71.4.21", false, Millis(3000));
  EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
  for (const auto& c : {cred("admin", "admin"), cred("lab", "lab"), cred("lab", ""), cred("", "")}) {
    auto r = attempt_at(1883, c, "127.71.4.21", false, Millis(3000));
    EXPECT_EQ(r.outcome, Outcome::rejected) << c.username << "/" << c.password << ": " << r.detail;
  }
}

TEST_F(MqttLab, TlsBroker) {
  EXPECT_TRUE(open_at(8883, "127.71.4.22", true, Millis(3000)).found.empty());
  EXPECT_EQ(attempt_at(8883, cred("admin", "admin"), "127.71.4.22", true, Millis(3000)).outcome, Outcome::accepted);
  EXPECT_EQ(attempt_at(8883, cred("admin", "1234"), "127.71.4.22", true, Millis(3000)).outcome, Outcome::rejected);
  // Without TLS the broker's TLS port yields no CONNACK: an error, never an accept.
  EXPECT_EQ(attempt_at(8883, cred("admin", "admin"), "127.71.4.22", false, Millis(1000)).outcome, Outcome::error);
}

// ---- real daemons (mosquitto) ----------------------------------------------------------------

TEST(MqttDaemons, Mosquitto) {
  auto m = testing::daemons_manifest();
  if (!m) GTEST_SKIP() << "MAMORI_DAEMONS_MANIFEST not set";
  auto anon = testing::daemon(*m, "mqtt-anon");
  auto auth = testing::daemon(*m, "mqtt-auth");
  ASSERT_TRUE(anon.contains("ip") && auth.contains("ip"));
  const std::string aip = anon["ip"], hip = auth["ip"];
  const uint16_t aport = anon["port"], hport = auth["port"];
  auto o = open_at(aport, aip, false, Millis(3000));
  ASSERT_EQ(o.found.size(), 1u);
  EXPECT_EQ(o.found[0].check_id, "mqtt-anonymous");

  EXPECT_TRUE(open_at(hport, hip, false, Millis(3000)).found.empty());
  const std::string user = auth["credentials"][0]["user"], pass = auth["credentials"][0]["password"];
  auto ok = attempt_at(hport, cred(user, pass), hip, false, Millis(3000));
  EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
  auto bad = attempt_at(hport, cred(user, pass + "x"), hip, false, Millis(3000));
  EXPECT_EQ(bad.outcome, Outcome::rejected) << bad.detail;
  EXPECT_EQ(attempt_at(hport, cred("admin", "admin"), hip, false, Millis(3000)).outcome, Outcome::rejected);
}

}  // namespace
}  // namespace mamori::creds
