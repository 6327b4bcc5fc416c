#include "checks/creds/coap/coap_checker.h"

#include <gtest/gtest.h>

#include "checks/creds/testing/creds_testing.h"
#include "probes/snmp/udp_test_util.h"

namespace mamori::creds {
namespace {

namespace asio = boost::asio;
namespace coap = proto::coap;
using probes::testing::UdpResponder;

// ---- resource picker -----------------------------------------------------------------------

TEST(CoapPick, ConfigFirstThenDataSkippingUnsafe) {
  const std::string doc =
      "</.well-known/core>;ct=40,</actuators/reboot>,</light/on>,<coap://198.51.100.1/x>,<//evil/y>,"
      "</misc>,</sensors/temp>;rt=\"temperature\",</config/network>,</sensors/temp>,</fw/update>";
  EXPECT_EQ(coap_pick_resources(doc), (std::vector<std::string>{"/config/network", "/sensors/temp", "/misc"}));
  EXPECT_EQ(coap_pick_resources(doc, 1), (std::vector<std::string>{"/config/network"}));
}

TEST(CoapPick, HostileDocuments) {
  EXPECT_TRUE(coap_pick_resources("").empty());
  EXPECT_TRUE(coap_pick_resources("garbage").empty());
  EXPECT_TRUE(coap_pick_resources("</.well-known/core>").empty());
  EXPECT_TRUE(coap_pick_resources("<relative/path>,<>").empty());
  EXPECT_TRUE(coap_pick_resources("</bad\x01path>,</sp ace>").empty());
  EXPECT_TRUE(coap_pick_resources("</" + std::string(300, 'a') + ">").empty());
  // Cut off mid-link (first Block2 block): the complete links before it still count.
  EXPECT_EQ(coap_pick_resources("</a>,</b>,</c;rt=\"unterminat"), (std::vector<std::string>{"/a", "/b"}));
  // Many links: bounded output, bounded parse.
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "</r" + std::to_string(i) + ">,";
  many += "</last>";
  auto picked = coap_pick_resources(many);
  EXPECT_EQ(picked.size(), kCoapMaxReads);
}

// ---- response matcher ------------------------------------------------------------------------

std::string response(coap::Type type, uint16_t mid, std::string token, uint8_t code, std::string payload = "") {
  coap::Message m;
  m.type = type;
  m.message_id = mid;
  m.token = std::move(token);
  m.code = code;
  m.payload = std::move(payload);
  return *coap::encode(m);
}

TEST(CoapMatch, PiggybackedAndSeparate) {
  auto a = coap_match_response({response(coap::Type::ack, 7, "tk", coap::kContent, "21.5")}, 7, "tk");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->payload, "21.5");
  EXPECT_TRUE(coap_match_response({response(coap::Type::con, 99, "tk", coap::kContent)}, 7, "tk"));
  EXPECT_FALSE(coap_match_response({response(coap::Type::ack, 8, "tk", coap::kContent)}, 7, "tk"));  // mid
  EXPECT_FALSE(coap_match_response({response(coap::Type::ack, 7, "xx", coap::kContent)}, 7, "tk"));  // token
  EXPECT_FALSE(coap_match_response({response(coap::Type::ack, 7, "tk", coap::kEmpty)}, 7, "tk"));    // empty ACK
  EXPECT_FALSE(coap_match_response({response(coap::Type::rst, 7, "tk", coap::kEmpty)}, 7, "tk"));
  EXPECT_FALSE(coap_match_response({response(coap::Type::con, 7, "tk", coap::kGet)}, 7, "tk"));      // a request
  EXPECT_FALSE(coap_match_response({"", "\x40", std::string(70000, '\x60')}, 7, "tk"));
}

// ---- against in-process servers --------------------------------------------------------------

struct Target {
  ServiceObservation svc;
  CheckTarget t;
  Target(asio::io_context& io, std::string_view ip, uint16_t port, Millis wait) {
    svc.ip = *Ip::parse(ip);
    svc.port = port;
    svc.proto = Proto::udp;
    svc.service = "coap";
    t.ex = io.get_executor();
    t.ip = svc.ip;
    t.port = port;
    t.proto = Proto::udp;
    t.service = &svc;
    t.limits.io = wait;
  }
};

OpenAccessResult open_at(std::string_view ip, uint16_t port, Millis wait = Millis(400)) {
  asio::io_context io;
  Target tg(io, ip, port, wait);
  return testing::run_sync(io, coap_checker().check_open(tg.t));
}

// A server listing `links`; `code_for(path)` answers the other GETs.
UdpResponder::Handler server(std::string links, std::function<uint8_t(const std::string&)> code_for) {
  return [=](const std::string& bytes) -> std::vector<std::string> {
    auto req = coap::decode(bytes);
    if (!req || req->code != coap::kGet) return {};
    const std::string path = "/" + req->uri_path();
    auto out = path == "/.well-known/core"
                   ? coap::encode_response(*req, coap::kContent, links, coap::kFormatLinkFormat)
                   : coap::encode_response(*req, code_for(path), code_for(path) == coap::kContent ? "42" : "",
                                           std::nullopt);
    return {out ? *out : std::string()};
  };
}

std::vector<std::string> paths_requested(const UdpResponder& r) {
  std::vector<std::string> out;
  for (const auto& b : r.requests()) {
    auto m = coap::decode(b);
    EXPECT_TRUE(m);
    if (!m) continue;
    EXPECT_EQ(m->code, coap::kGet);  // only GET, ever
    out.push_back("/" + m->uri_path());
  }
  return out;
}

TEST(CoapServer, ReadableResourcesAreOpenAccess) {
  UdpResponder s(server("</.well-known/core>,</system/reset>,</sensors/temp>,</config>,</a>,</b>",
                        [](const std::string&) { return coap::kContent; }));
  ASSERT_TRUE(s.ok());
  auto r = open_at("127.0.0.1", s.port());
  ASSERT_EQ(r.found.size(), 1u);
  EXPECT_EQ(r.found[0].check_id, "no-authentication");
  EXPECT_EQ(r.found[0].detail, "CoAP resources readable without DTLS/OSCORE");
  EXPECT_EQ(r.found[0].evidence["resources"], "/config,/sensors/temp,/a");
  EXPECT_EQ(r.found[0].evidence["sample"], "42");
  EXPECT_TRUE(r.no_login_needed);
  EXPECT_EQ(r.attempts, 4u);
  EXPECT_EQ(paths_requested(s), (std::vector<std::string>{"/.well-known/core", "/config", "/sensors/temp", "/a"}));
}

TEST(CoapServer, ProtectedResourcesAreNotOpen) {
  UdpResponder s(server("</sensors/temp>,</config>", [](const std::string&) { return coap::kUnauthorized; }));
  ASSERT_TRUE(s.ok());
  auto r = open_at("127.0.0.1", s.port());
  EXPECT_TRUE(r.found.empty());
  EXPECT_FALSE(r.no_login_needed);
}

TEST(CoapServer, DiscoveryAloneIsNotOpenAccess) {
  UdpResponder empty(server("</.well-known/core>", [](const std::string&) { return coap::kContent; }));
  UdpResponder not_found(server("</x>", [](const std::string&) { return coap::kNotFound; }));
  ASSERT_TRUE(empty.ok() && not_found.ok());
  EXPECT_TRUE(open_at("127.0.0.1", empty.port()).found.empty());
  EXPECT_EQ(paths_requested(empty).size(), 1u);
  EXPECT_TRUE(open_at("127.0.0.1", not_found.port()).found.empty());
}

TEST(CoapServer, SilentGarbageAndWrongTokenAreNothing) {
  UdpResponder silent([](const std::string&) { return std::vector<std::string>{}; });
  UdpResponder garbage([](const std::string&) { return std::vector<std::string>{std::string(8000, '\x55')}; });
  // Answers 2.05 to everything but with another token: not an answer to us.
  UdpResponder stranger([](const std::string& bytes) -> std::vector<std::string> {
    auto req = coap::decode(bytes);
    if (!req) return {};
    req->token = "zz";
    return {*coap::encode_response(*req, coap::kContent, "</a>", coap::kFormatLinkFormat)};
  });
  ASSERT_TRUE(silent.ok() && garbage.ok() && stranger.ok());
  for (uint16_t port : {silent.port(), garbage.port(), stranger.port()}) {
    auto r = open_at("127.0.0.1", port, Millis(300));
    EXPECT_TRUE(r.found.empty()) << port;
    EXPECT_FALSE(r.no_login_needed);
  }
}

TEST(CoapChecker, AttemptIsUnsupported) {
  asio::io_context io;
  Target tg(io, "127.0.0.1", 5683, Millis(100));
  auto r = testing::run_sync(io, coap_checker().attempt(tg.t, Credential{"admin", "admin", "t", ""}));
  EXPECT_EQ(r.outcome, Outcome::unsupported);
  ServiceObservation s;
  s.service = "coap";
  EXPECT_TRUE(coap_checker().applies(s));
  s.service = "snmp";
  EXPECT_FALSE(coap_checker().applies(s));
}

// ---- mamori-lab (127.71.4.40) ------------------------------------------------------------------

TEST(CoapLab, MeterResourcesReadable) {
  testing::LabProcess lab(std::string(MAMORI_CREDS_COAP_DIR) + "/testdata/lab.yaml");
  if (!lab.ok()) GTEST_SKIP() << lab.why();
  auto r = open_at("127.71.4.40", 5683, Millis(2000));
  ASSERT_EQ(r.found.size(), 1u);
  EXPECT_EQ(r.found[0].evidence["resources"], "/config/network,/device/info,/sensors/temp");
  EXPECT_TRUE(r.no_login_needed);
  // No CoAP server there: nothing, quickly (ICMP port unreachable ends the wait).
  EXPECT_TRUE(open_at("127.71.4.41", 5683, Millis(1000)).found.empty());
}

}  // namespace
}  // namespace mamori::creds
