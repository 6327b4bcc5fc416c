#include "probes/ftp/ftp_probe.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>

#include "probes/telnet/test_server.h"

namespace mamori::probes {
namespace {
using namespace testing;

std::string testdata(const std::string& name) {
  std::ifstream f(std::string(MAMORI_PROBES_SOURCE_DIR) + "/ftp/testdata/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(FtpReply, ByteTable) {
  struct Case {
    const char* bytes;
    int code;
    size_t lines;
    bool complete;
  } cases[] = {
      {"220 (vsFTPd 3.0.3)\r\n", 220, 1, true},
      {"220 (vsFTPd 3.0.3)", 220, 1, false},  // line end still to come
      {"220 ready\n", 220, 1, true},          // bare LF
      {"220\r\n", 220, 1, true},
      {"220-FileZilla Server 0.9.60 beta\r\n220-written by Tim Kosse\r\n220 Please visit\r\n", 220, 3, true},
      {"220-FileZilla Server 0.9.60 beta\r\n220-written by Tim Kosse\r\n", 220, 2, false},
      {"211-Features:\r\n EPRT\r\n 211 not the end\r\n211 End\r\n", 211, 4, true},
      {"211-Features:\r\n EPSV\r\n211\r\nextra", 211, 3, true},
      {"220-a\r\n220-b\r\n", 220, 2, false},
  };
  for (const auto& c : cases) {
    auto r = parse_ftp_reply(c.bytes);
    ASSERT_TRUE(r) << c.bytes;
    EXPECT_EQ(r->code, c.code) << c.bytes;
    EXPECT_EQ(r->lines.size(), c.lines) << c.bytes;
    EXPECT_EQ(r->complete, c.complete) << c.bytes;
  }
  for (const char* bad : {"", "22", "SSH-2.0-x\r\n", "2200 x\r\n", "abc def\r\n", "\xff\xfd\x01"}) {
    EXPECT_FALSE(parse_ftp_reply(bad)) << bad;
  }
}

TEST(FtpReply, Bounds) {
  std::string many = "220-x\r\n";
  for (int i = 0; i < 1000; ++i) many += " line\r\n";
  auto r = parse_ftp_reply(many);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->lines.size(), FtpReply::kMaxLines);
  EXPECT_FALSE(r->complete);
  auto longline = parse_ftp_reply("220 " + std::string(100000, 'a') + "\r\n");
  ASSERT_TRUE(longline);
  EXPECT_EQ(longline->lines[0].size(), FtpReply::kMaxLine);
}

TEST(FtpReply, ProductAndFeatures) {
  struct Case {
    const char* greeting;
    const char* product;
    const char* version;
  } cases[] = {
      {"220 (vsFTPd 3.0.3)", "vsftpd", "3.0.3"},
      {"220 ProFTPD 1.3.5e Server (Debian) [::ffff:10.0.0.1]", "ProFTPD", "1.3.5e"},
      {"220 ProFTPD Server (ProFTPD Default Installation) [1.2.3.4]", "ProFTPD", ""},
      {"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------", "Pure-FTPd", ""},
      {"220-FileZilla Server 0.9.60 beta", "FileZilla Server", "0.9.60"},
      {"220-FileZilla Server version 0.9.41 beta", "FileZilla Server", "0.9.41"},
      {"220 Operation successful", "", ""},  // BusyBox: left to the fingerprint catalog
      {"220 (vsFTPd ", "vsftpd", ""},
  };
  for (const auto& c : cases) {
    std::string p, v;
    ftp_product(c.greeting, p, v);
    EXPECT_EQ(p, c.product) << c.greeting;
    EXPECT_EQ(v, c.version) << c.greeting;
  }
  auto feat = parse_ftp_reply("211-Features:\r\n EPRT\r\n AUTH TLS\r\n UTF8\r\n\r\n211 End\r\n");
  ASSERT_TRUE(feat);
  EXPECT_EQ(ftp_features(*feat), (std::vector<std::string>{"EPRT", "AUTH TLS", "UTF8"}));
  EXPECT_TRUE(ftp_features(*parse_ftp_reply("500 Unknown command.\r\n")).empty());
  EXPECT_TRUE(looks_like_ftp("220 (vsFTPd 3.0.3)\r\n"));
  EXPECT_TRUE(looks_like_ftp("220-FileZilla\r\n"));
  EXPECT_FALSE(looks_like_ftp("220 mail.example.com ESMTP Postfix\r\n"));
  EXPECT_FALSE(looks_like_ftp("2200\r\n"));
  EXPECT_FALSE(looks_like_ftp("SSH-2.0-x\r\n"));
}

// Greetings and FEAT answers captured from vsftpd 3.0.3 on loopback (testdata/README).
TEST(FtpReply, VsftpdTranscripts) {
  std::string g = testdata("vsftpd-greeting.bin");
  ASSERT_FALSE(g.empty());
  auto greeting = parse_ftp_reply(g);
  ASSERT_TRUE(greeting && greeting->complete);
  std::string p, v;
  ftp_product(greeting->lines[0], p, v);
  EXPECT_EQ(p, "vsftpd");
  EXPECT_EQ(v, "3.0.3");
  std::string f = testdata("vsftpd-feat.bin");
  auto feat = parse_ftp_reply(f);
  ASSERT_TRUE(feat && feat->complete);
  EXPECT_EQ(feat->code, 211);
  auto names = ftp_features(*feat);
  EXPECT_EQ(names, (std::vector<std::string>{"EPRT", "MDTM", "REST STREAM", "SIZE", "TVFS"}));
  std::string oops = testdata("vsftpd-oops.bin");
  ASSERT_FALSE(oops.empty());
  EXPECT_FALSE(looks_like_ftp(oops));
  EXPECT_EQ(parse_ftp_reply(oops)->code, 500);
}

// A server that records the commands it received.
struct FtpScript {
  std::string greeting_a, greeting_b, feat;
  std::shared_ptr<std::promise<std::string>> commands = std::make_shared<std::promise<std::string>>();
  ScriptServer::Script script() {
    return [*this](tcp::socket s) -> asio::awaitable<void> {
      co_await send(s, greeting_a);
      co_await sleep_ms(s, 50);
      if (!greeting_b.empty()) co_await send(s, greeting_b);
      std::string got = co_await read_until(s, "\r\n");
      if (got.starts_with("FEAT")) {
        co_await send(s, feat);
        got += co_await read_until(s, "\r\n");
      }
      if (got.find("QUIT") != std::string::npos) co_await send(s, "221 Goodbye.\r\n");
      got += co_await read_for(s, 300);
      commands->set_value(got);
    };
  }
};

TEST(FtpProbe, GreetingFeatQuitAndNoLogin) {
  FtpScript f{"220-FileZilla Server 0.9.60 beta\r\n", "220-written by Tim Kosse\r\n220 Please visit\r\n",
              "211-Features:\r\n MDTM\r\n REST STREAM\r\n AUTH TLS\r\n211 End\r\n"};
  auto cmds = f.commands->get_future();
  ScriptServer srv(f.script());
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "ftp");
  EXPECT_EQ(obs.fields["ftp.greeting"],
            "220-FileZilla Server 0.9.60 beta\n220-written by Tim Kosse\n220 Please visit");
  EXPECT_EQ(obs.product, "FileZilla Server");
  EXPECT_EQ(obs.version, "0.9.60");
  EXPECT_EQ(obs.fields["ftp.feat"], "MDTM,REST STREAM,AUTH TLS");
  EXPECT_EQ(obs.fields["ftp.feat_status"], "211");
  EXPECT_EQ(cmds.get(), "FEAT\r\nQUIT\r\n");  // no USER, no PASS
}

TEST(FtpProbe, FeatUnsupported) {
  FtpScript f{"220 (vsFTPd 2.3.4)\r\n", "", "500 Unknown command.\r\n"};
  auto cmds = f.commands->get_future();
  ScriptServer srv(f.script());
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "ftp");
  EXPECT_EQ(obs.fields["ftp.greeting"], "220 (vsFTPd 2.3.4)");
  EXPECT_EQ(obs.product, "vsftpd");
  EXPECT_EQ(obs.version, "2.3.4");
  EXPECT_EQ(obs.fields["ftp.feat_status"], "500");
  EXPECT_FALSE(obs.fields.contains("ftp.feat"));
  EXPECT_EQ(cmds.get(), "FEAT\r\nQUIT\r\n");
}

TEST(FtpProbe, SmtpIsNotFtp) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, "220 mx.example ESMTP Postfix\r\n");
    co_await read_for(s, 1000);
  });
  auto obs = identify(srv.port());
  EXPECT_NE(obs.service, "ftp");
}

TEST(FtpProbe, EndlessGreetingIsBounded) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, "220-welcome\r\n");
    for (int i = 0; i < 5000; ++i) {
      auto [ec, n] = co_await asio::async_write(s, asio::buffer(std::string("220-more\r\n")),
                                                asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  });
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "ftp");
  EXPECT_EQ(obs.behaviour, "stalled");
  EXPECT_LE(obs.fields["ftp.greeting"].size(), 1024u);
}

// Against a real vsftpd on loopback, when given: MAMORI_TEST_FTP=127.0.0.1:2121.
TEST(FtpRealDaemon, Vsftpd) {
  auto d = real_daemon("MAMORI_TEST_FTP");
  if (!d) GTEST_SKIP() << "no MAMORI_TEST_FTP";
  auto obs = identify(d->second, d->first, net::Millis(1500));
  EXPECT_EQ(obs.service, "ftp");
  EXPECT_EQ(obs.fields["ftp.feat_status"], "211");
  EXPECT_FALSE(obs.fields["ftp.greeting"].empty());
}

}  // namespace
}  // namespace mamori::probes
