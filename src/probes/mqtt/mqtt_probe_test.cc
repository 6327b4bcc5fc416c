#include "probes/mqtt/mqtt_probe.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>

#include "probes/telnet/test_server.h"

namespace mamori::probes {
namespace {
using namespace testing;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(Mqtt, ConnectPacket) {
  EXPECT_EQ(mqtt_connect_packet("mamori-01234567"),
            bytes({0x10, 27, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 30, 0, 15}) + "mamori-01234567");
  // Remaining length past 127 takes two bytes.
  std::string p = mqtt_connect_packet(std::string(200, 'c'));
  EXPECT_EQ(p.substr(0, 3), bytes({0x10, 0xd4, 0x01}));  // 212 = 0x54 | 0x80, 1
  EXPECT_EQ(p.size(), 3u + 212u);
}

TEST(Mqtt, ConnackByteTable) {
  struct Case {
    std::string bytes;
    MqttParse result;
    int code;
    bool v5;
    bool session;
  } cases[] = {
      {bytes({0x20, 2, 0, 0}), MqttParse::ok, 0, false, false},
      {bytes({0x20, 2, 0, 5}), MqttParse::ok, 5, false, false},
      {bytes({0x20, 2, 0, 4}), MqttParse::ok, 4, false, false},
      {bytes({0x20, 2, 1, 0}), MqttParse::ok, 0, false, true},
      {bytes({0x20, 2, 0, 0, 0x90, 3}), MqttParse::ok, 0, false, false},  // trailing bytes: next packet
      {bytes({0x20, 3, 0, 0, 0}), MqttParse::ok, 0, true, false},         // MQTT 5, no properties
      {bytes({0x20, 3, 0, 0x84, 0}), MqttParse::ok, 0x84, true, false},   // unsupported protocol version
      {bytes({0x20, 8, 0, 0x87, 5, 0x1f, 0, 2, 'n', 'o'}), MqttParse::ok, 0x87, true, false},
      {"", MqttParse::need_more, 0, false, false},
      {bytes({0x20}), MqttParse::need_more, 0, false, false},
      {bytes({0x20, 2, 0}), MqttParse::need_more, 0, false, false},
      {bytes({0x20, 0x80}), MqttParse::need_more, 0, false, false},
      {bytes({0x20, 2, 0, 6}), MqttParse::invalid, 0, false, false},       // no such 3.1.1 code
      {bytes({0x20, 2, 2, 0}), MqttParse::invalid, 0, false, false},       // reserved flag
      {bytes({0x20, 1, 0}), MqttParse::invalid, 0, false, false},
      {bytes({0x20, 0x80, 0x80, 0x80, 0x80, 1}), MqttParse::invalid, 0, false, false},
      {bytes({0x20, 0xff, 0x7f}), MqttParse::invalid, 0, false, false},    // longer than the cap
      {bytes({0x20, 4, 0, 0, 5, 0}), MqttParse::invalid, 0, false, false}, // property length lies
      {bytes({0x20, 3, 0, 0x10, 0}), MqttParse::invalid, 0, false, false}, // not a v5 reason code
      {bytes({0x30, 2, 0, 0}), MqttParse::invalid, 0, false, false},
      {"HTTP/1.1 400 Bad Request\r\n", MqttParse::invalid, 0, false, false},
  };
  for (const auto& c : cases) {
    MqttConnack a;
    a.code = -1;
    EXPECT_EQ(parse_mqtt_connack(c.bytes, a), c.result) << net::printable(c.bytes);
    if (c.result == MqttParse::ok) {
      EXPECT_EQ(a.code, c.code) << net::printable(c.bytes);
      EXPECT_EQ(a.v5, c.v5) << net::printable(c.bytes);
      EXPECT_EQ(a.session_present, c.session) << net::printable(c.bytes);
    }
  }
}

std::string testdata(const std::string& name) {
  std::ifstream f(std::string(MAMORI_PROBES_SOURCE_DIR) + "/mqtt/testdata/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// CONNACKs captured from mosquitto 2.0.11 (testdata/README.md).
TEST(Mqtt, MosquittoTranscripts) {
  MqttConnack a;
  ASSERT_EQ(parse_mqtt_connack(testdata("mosquitto-anonymous.bin"), a), MqttParse::ok);
  EXPECT_EQ(a.code, 0);
  EXPECT_FALSE(a.v5);
  ASSERT_EQ(parse_mqtt_connack(testdata("mosquitto-not-authorised.bin"), a), MqttParse::ok);
  EXPECT_EQ(a.code, 5);
}

// A broker that checks the CONNECT carries no credentials, answers `connack`, and records the
// bytes after it.
ScriptServer::Script broker(std::string connack, std::shared_ptr<std::promise<std::string>> after) {
  return [connack, after](tcp::socket s) -> asio::awaitable<void> {
    std::string got = co_await read_for(s, 200);
    if (got.empty() || static_cast<unsigned char>(got[0]) != 0x10) co_return;  // not MQTT: hang up
    // Variable header: protocol name "MQTT", level 4, flags: only clean session (no user/password).
    if (got.size() < 14 || got.substr(2, 6) != std::string("\0\4MQTT", 6) || got[8] != 4 ||
        got[9] != 0x02 || got.substr(14, 7) != "mamori-") {
      after->set_value("bad connect: " + net::printable(got));
      co_return;
    }
    co_await send(s, connack);
    after->set_value(co_await read_for(s, 300));
  };
}

TEST(MqttProbe, AnonymousAccepted) {
  auto after = std::make_shared<std::promise<std::string>>();
  auto fut = after->get_future();
  ScriptServer srv(broker(bytes({0x20, 2, 0, 0}), after));
  auto obs = run_probe(mqtt_probe(), srv.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "mqtt");
  EXPECT_EQ(obs->fields["mqtt.connack"], "0");
  EXPECT_EQ(obs->fields["mqtt.protocol"], "3.1.1");
  EXPECT_EQ(fut.get(), std::string(kMqttDisconnect));
}

TEST(MqttProbe, NotAuthorised) {
  auto after = std::make_shared<std::promise<std::string>>();
  ScriptServer srv(broker(bytes({0x20, 2, 0, 5}), after));
  auto obs = run_probe(mqtt_probe(), srv.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->fields["mqtt.connack"], "5");
}

TEST(MqttProbe, Mqtt5OnlyBroker) {
  auto after = std::make_shared<std::promise<std::string>>();
  ScriptServer srv(broker(bytes({0x20, 3, 0, 0x84, 0}), after));
  auto obs = run_probe(mqtt_probe(), srv.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->fields["mqtt.connack"], "132");
  EXPECT_EQ(obs->fields["mqtt.protocol"], "5");
}

TEST(MqttProbe, GarbageAndSilenceAreNotMqtt) {
  ScriptServer garbage([](tcp::socket s) -> asio::awaitable<void> {
    co_await read_for(s, 100);
    co_await send(s, "HTTP/1.1 400 Bad Request\r\n\r\n");
  });
  EXPECT_FALSE(run_probe(mqtt_probe(), garbage.port()));
  ScriptServer silent([](tcp::socket s) -> asio::awaitable<void> { co_await read_for(s, 3000); });
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(run_probe(mqtt_probe(), silent.port()));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2500));
}

TEST(MqttProbe, IdentifiedOnASilentPort) {
  EXPECT_EQ(mqtt_probe().affinity(1883), 100);
  EXPECT_EQ(mqtt_probe().affinity(8883), 100);
  auto after = std::make_shared<std::promise<std::string>>();
  ScriptServer srv(broker(bytes({0x20, 2, 0, 0}), after));
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "mqtt");
  EXPECT_EQ(obs.fields["mqtt.connack"], "0");
}

// Against real mosquitto listeners on loopback, when given: MAMORI_TEST_MQTT_ANON=127.0.0.1:18830
// (allow_anonymous true), MAMORI_TEST_MQTT_AUTH=127.0.0.1:18831 (allow_anonymous false).
TEST(MqttRealDaemon, MosquittoAnonymousAndNot) {
  auto anon = real_daemon("MAMORI_TEST_MQTT_ANON");
  auto auth = real_daemon("MAMORI_TEST_MQTT_AUTH");
  if (!anon && !auth) GTEST_SKIP() << "no MAMORI_TEST_MQTT_ANON / _AUTH";
  if (anon) {
    auto obs = run_probe(mqtt_probe(), anon->second, 0, anon->first);
    ASSERT_TRUE(obs);
    EXPECT_EQ(obs->fields["mqtt.connack"], "0");
  }
  if (auth) {
    auto obs = run_probe(mqtt_probe(), auth->second, 0, auth->first);
    ASSERT_TRUE(obs);
    EXPECT_EQ(obs->fields["mqtt.connack"], "5");
  }
}

}  // namespace
}  // namespace mamori::probes
