// The CoAP probe against an in-process server on 127.0.0.1 built from proto::coap's server side.
#include "probes/coap/coap_probe.h"

#include <gtest/gtest.h>

#include "probes/snmp/udp_test_util.h"
#include "proto/coap.h"

namespace mamori::probes {
namespace {

namespace coap = proto::coap;
using testing::field;
using testing::run_udp;
using testing::UdpResponder;

const std::string kLinks =
    "</.well-known/core>;ct=40,</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",</light>;obs,"
    "</firmware/update>;rt=\"fw\"";

std::string respond(const std::string& req, uint8_t code, std::string_view payload) {
  auto m = coap::decode(req);
  if (!m) return "";
  auto out = coap::encode_response(*m, code, payload, coap::kFormatLinkFormat);
  return out ? *out : "";
}

// A server that answers /.well-known/core with kLinks, piggybacked.
std::vector<std::string> well_known(const std::string& req) {
  auto m = coap::decode(req);
  if (!m || m->code != coap::kGet) return {};
  if (m->uri_path() != ".well-known/core") return {respond(req, coap::kNotFound, "")};
  return {respond(req, coap::kContent, kLinks)};
}

TEST(CoapProbe, RequestIsConGetWellKnownCore) {
  auto m = coap::decode(testing::request_for(coap_probe(), 5683));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->type, coap::Type::con);
  EXPECT_EQ(m->code, coap::kGet);
  EXPECT_EQ(m->uri_path(), ".well-known/core");
  EXPECT_FALSE(m->token.empty());
}

TEST(CoapProbe, ListsResources) {
  UdpResponder server(well_known);
  ASSERT_TRUE(server.ok());
  auto obs = run_udp(coap_probe(), server.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "coap");
  EXPECT_EQ(obs->proto, Proto::udp);
  EXPECT_EQ(field(*obs, "coap.code"), "2.05");
  EXPECT_EQ(field(*obs, "coap.content_format"), "40");
  EXPECT_EQ(field(*obs, "coap.resources"), "/.well-known/core,/sensors/temp,/light,/firmware/update");
}

TEST(CoapProbe, NotFoundAndResetStillIdentifyCoap) {
  UdpResponder nf([](const std::string& req) { return std::vector<std::string>{respond(req, coap::kNotFound, "")}; });
  auto obs = run_udp(coap_probe(), nf.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "coap.code"), "4.04");
  EXPECT_EQ(field(*obs, "coap.resources"), "<absent>");

  UdpResponder rst([](const std::string& req) {
    auto m = coap::decode(req);
    coap::Message r;
    r.type = coap::Type::rst;
    r.message_id = m->message_id;
    return std::vector<std::string>{*coap::encode(r)};
  });
  obs = run_udp(coap_probe(), rst.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "coap.code"), "RST");
}

TEST(CoapProbe, SeparateResponse) {
  UdpResponder server([](const std::string& req) {
    auto m = coap::decode(req);
    coap::Message ack;
    ack.type = coap::Type::ack;
    ack.message_id = m->message_id;
    coap::Message later = *m;  // a NON request -> NON response with the same token
    later.type = coap::Type::non;
    return std::vector<std::string>{*coap::encode(ack),
                                    *coap::encode_response(later, coap::kContent, "</a>,</b>",
                                                           coap::kFormatLinkFormat, 0x4242)};
  });
  auto obs = run_udp(coap_probe(), server.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "coap.code"), "2.05");
  EXPECT_EQ(field(*obs, "coap.resources"), "/a,/b");
}

TEST(CoapProbe, Block2DocumentIsFetchedWhole) {
  // 32-byte blocks: the document is cut in the middle of links.
  UdpResponder server([](const std::string& req) {
    auto m = coap::decode(req);
    if (!m) return std::vector<std::string>{};
    uint32_t num = 0, szx = 1;
    if (auto b = m->uint_option(coap::option::kBlock2)) num = *b >> 4, szx = *b & 7;
    const size_t size = 16u << szx, off = num * size;
    if (off >= kLinks.size()) return std::vector<std::string>{respond(req, coap::kBadRequest, "")};
    auto r = *coap::decode(respond(req, coap::kContent, kLinks.substr(off, size)));
    const bool more = off + size < kLinks.size();
    r.options.push_back({coap::option::kBlock2, coap::uint_value((num << 4) | (more ? 8 : 0) | szx)});
    return std::vector<std::string>{*coap::encode(r)};
  });
  auto obs = run_udp(coap_probe(), server.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "coap.resources"), "/.well-known/core,/sensors/temp,/light,/firmware/update");
  EXPECT_EQ(field(*obs, "coap.truncated"), "<absent>");
  EXPECT_EQ(field(*obs, "coap.block_size"), "<absent>");
  EXPECT_GE(server.requests().size(), 4u);
}

TEST(CoapProbe, GarbageTruncatedOversizedAndForeignAnswers) {
  std::string good = well_known(testing::request_for(coap_probe(), 0)).at(0);
  UdpResponder garbage([](const std::string&) {
    return std::vector<std::string>{"\xff\xff\xff\xff", "HTTP/1.1 200 OK\r\n\r\n", std::string(1, '\x40')};
  });
  EXPECT_FALSE(run_udp(coap_probe(), garbage.port()));
  UdpResponder truncated([&](const std::string& req) {
    std::string r = well_known(req).at(0);
    return std::vector<std::string>{r.substr(0, 3)};
  });
  EXPECT_FALSE(run_udp(coap_probe(), truncated.port()));
  // A huge payload: identified, but the resource list stays bounded.
  UdpResponder huge([](const std::string& req) {
    std::string links;
    for (int i = 0; i < 3000; ++i) links += (i ? ",</r" : "</r") + std::to_string(i) + ">";
    return std::vector<std::string>{respond(req, coap::kContent, links)};
  });
  auto obs = run_udp(coap_probe(), huge.port());
  ASSERT_TRUE(obs);
  EXPECT_LE(field(*obs, "coap.resources").size(), kCoapMaxResourcesBytes);
  EXPECT_EQ(std::count(obs->fields["coap.resources"].begin(), obs->fields["coap.resources"].end(), ','),
            static_cast<long>(kCoapMaxResources - 1));
  // Someone else's token (a response to another request): not ours.
  UdpResponder foreign([](const std::string& req) {
    auto m = *coap::decode(req);
    m.token = "zzzz";
    m.type = coap::Type::non;
    return std::vector<std::string>{*coap::encode_response(m, coap::kContent, "</x>", coap::kFormatLinkFormat, 7)};
  });
  EXPECT_FALSE(run_udp(coap_probe(), foreign.port()));
  // Malformed link format: identified, no resources.
  UdpResponder bad_links([](const std::string& req) {
    return std::vector<std::string>{respond(req, coap::kContent, "</unterminated;rt=\"x")};
  });
  obs = run_udp(coap_probe(), bad_links.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(field(*obs, "coap.resources"), "<absent>");
}

}  // namespace
}  // namespace mamori::probes

namespace mamori::probes {
namespace {

// Real libcoap (coap-server-notls 4.3.1, package libcoap3-bin) on 127.0.0.1, started and ended
// by PID here; no -g, so it joins no multicast group. Skipped when not installed.
TEST(CoapRealServer, Libcoap) {
  const char* exe = "/usr/bin/coap-server-notls";
  if (access(exe, X_OK) != 0) GTEST_SKIP() << "coap-server-notls not installed";
  const uint16_t port = testing::free_udp_port("127.0.0.1");
  std::optional<ServiceObservation> obs;
  {
    testing::ChildProcess server({exe, "-A", "127.0.0.1", "-p", std::to_string(port)});
    ASSERT_TRUE(server.started());
    obs = testing::retry([&] { return run_udp(coap_probe(), port, "127.0.0.1", net::Millis(250)); });
  }
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "coap");
  EXPECT_EQ(field(*obs, "coap.code"), "2.05");
  EXPECT_EQ(field(*obs, "coap.content_format"), "40");
  // libcoap's example server lists its root and clock resources.
  EXPECT_NE(field(*obs, "coap.resources").find("/time"), std::string::npos) << field(*obs, "coap.resources");
}

}  // namespace
}  // namespace mamori::probes
