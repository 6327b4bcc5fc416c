#include "tls/hello.h"

#include <gtest/gtest.h>

namespace mamori::tls {
namespace {

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

// A ServerHello record: version, cipher, optional supported_versions extension.
std::string server_hello(uint16_t version, uint16_t cipher, int supported = -1) {
  std::string body = bytes({version >> 8, version & 0xff});
  body += std::string(32, 'r');
  body += bytes({0});  // no session id
  body += bytes({cipher >> 8, cipher & 0xff, 0});
  if (supported >= 0) body += bytes({0, 6, 0, 0x2b, 0, 2, supported >> 8, supported & 0xff});
  std::string hs = bytes({2, 0, static_cast<int>(body.size() >> 8), static_cast<int>(body.size() & 0xff)}) + body;
  return bytes({0x16, 3, 3, static_cast<int>(hs.size() >> 8), static_cast<int>(hs.size() & 0xff)}) + hs;
}

TEST(TlsHello, BuildsAClientHelloOfTheAskedVersion) {
  const uint16_t suites[] = {0x0005, 0x000A};
  auto h = build_client_hello(kTls10, suites, "cam.example", std::string(32, 'x'));
  ASSERT_GT(h.size(), 50u);
  EXPECT_EQ(h[0], 0x16);
  EXPECT_EQ(h.substr(1, 2), bytes({3, 1}));
  EXPECT_EQ(static_cast<size_t>((uint8_t(h[3]) << 8) | uint8_t(h[4])), h.size() - 5);
  EXPECT_EQ(h[5], 1);                          // client_hello
  EXPECT_EQ(h.substr(9, 2), bytes({3, 1}));    // client_version
  EXPECT_EQ(h.substr(44, 2), bytes({0, 6}));   // 2 suites + SCSV
  EXPECT_NE(h.find("cam.example"), std::string::npos);
  auto s3 = build_client_hello(kSsl3, suites, "cam.example", "");
  EXPECT_EQ(s3.substr(1, 2), bytes({3, 0}));
  EXPECT_EQ(s3.find("cam.example"), std::string::npos);  // no extensions in SSLv3
}

TEST(TlsHello, ParsesServerHelloAlertAndGarbage) {
  auto r = parse_server_reply(server_hello(kTls12, 0xC02F));
  ASSERT_EQ(r.kind, HelloReply::Kind::server_hello);
  EXPECT_EQ(r.version, kTls12);
  EXPECT_EQ(r.cipher, 0xC02F);
  EXPECT_EQ(suite_name(r.cipher), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");

  r = parse_server_reply(server_hello(kTls12, 0x1301, kTls13));
  EXPECT_EQ(r.version, kTls13);

  r = parse_server_reply(bytes({0x15, 3, 1, 0, 2, 2, 70}));
  ASSERT_EQ(r.kind, HelloReply::Kind::alert);
  EXPECT_EQ(r.alert_level, 2);
  EXPECT_EQ(r.alert_description, 70);  // protocol_version

  EXPECT_EQ(parse_server_reply("HTTP/1.1 400 Bad Request\r\n\r\n").kind, HelloReply::Kind::garbage);
  EXPECT_EQ(parse_server_reply("SSH-2.0-OpenSSH_9.2\r\n").kind, HelloReply::Kind::garbage);
  EXPECT_EQ(parse_server_reply(bytes({0x16, 3, 3, 0xff, 0xff})).kind, HelloReply::Kind::garbage);
  EXPECT_EQ(parse_server_reply(bytes({0x17, 3, 3, 0, 1, 0})).kind, HelloReply::Kind::garbage);
}

TEST(TlsHello, IncompleteUntilTheServerHelloIsWhole) {
  auto full = server_hello(kTls10, 0x0005);
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_EQ(parse_server_reply(full.substr(0, n)).kind, HelloReply::Kind::incomplete) << n;
  }
  // The ServerHello split over two records, then followed by more handshake data.
  std::string hs = full.substr(5);
  std::string two = bytes({0x16, 3, 1, 0, 10}) + hs.substr(0, 10) +
                    bytes({0x16, 3, 1, 0, static_cast<int>(hs.size() - 10)}) + hs.substr(10) +
                    bytes({0x16, 3, 1, 0x10, 0});
  auto r = parse_server_reply(two);
  ASSERT_EQ(r.kind, HelloReply::Kind::server_hello);
  EXPECT_EQ(r.cipher, 0x0005);
}

TEST(TlsHello, WeakCategoriesHaveSuites) {
  int n = 0;
  for (const auto& c : weak_suite_categories()) {
    EXPECT_FALSE(c.suites.empty()) << c.name;
    ++n;
  }
  EXPECT_EQ(n, 7);
  EXPECT_EQ(version_name(kSsl3), "SSLv3");
  EXPECT_EQ(version_name(kTls13), "TLSv1.3");
  EXPECT_EQ(suite_name(0xbeef), "0xbeef");
}

}  // namespace
}  // namespace mamori::tls
