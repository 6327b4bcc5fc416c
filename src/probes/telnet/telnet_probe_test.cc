#include "probes/telnet/telnet_probe.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
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

std::string testdata(const std::string& name) {
  std::ifstream f(std::string(MAMORI_PROBES_SOURCE_DIR) + "/telnet/testdata/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Case {
  const char* name;
  std::string bytes;
  TelnetPrompt prompt;
  std::string banner;
};

TEST(TelnetReader, ByteTable) {
  const std::string iac_busybox = bytes({0xff, 0xfd, 0x01, 0xff, 0xfd, 0x1f, 0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03});
  const Case cases[] = {
      {"iac + login", iac_busybox + "\r\nOpenWrt login: ", TelnetPrompt::login, ""},
      {"issue + login", "\r\nRTX1210 Rev.14.01.38\r\n  Copyright (c) Yamaha\r\n\r\nLogin: ", TelnetPrompt::login,
       "RTX1210 Rev.14.01.38\r\n  Copyright (c) Yamaha"},
      {"cisco username", "\r\nUser Access Verification\r\n\r\nUsername: ", TelnetPrompt::login,
       "User Access Verification"},
      {"password only", "\r\n\r\nPassword:", TelnetPrompt::password, ""},
      {"busybox shell", "\r\n\r\nBusyBox v1.35.0 built-in shell (ash)\r\n\r\n/ # ", TelnetPrompt::shell,
       "BusyBox v1.35.0 built-in shell (ash)"},
      {"coloured root shell", "\x1b[1;32mroot@cam\x1b[0m:~# ", TelnetPrompt::shell, ""},
      {"user shell", "pi@raspberrypi:~ $ ", TelnetPrompt::shell, ""},
      {"router exec", "\r\nRouter>", TelnetPrompt::shell, ""},
      {"text without prompt", "Welcome to the device\r\n", TelnetPrompt::none, "Welcome to the device"},
      {"hash ruler is no prompt", "########\r\n", TelnetPrompt::none, "########"},
      {"xml is no prompt", "<stream:stream>", TelnetPrompt::none, "<stream:stream>"},
      {"prompt not at the end", "login: \r\nbye\r\n", TelnetPrompt::none, "login: \r\nbye"},
      {"CR NUL and high bytes", std::string("hello\r\0\xe3\x81\x82\r\nlogin: ", 19), TelnetPrompt::login,
       "hello\r\\xe3\\x81\\x82"},
      {"escaped IAC in data", bytes({'a', 0xff, 0xff, 'b', '\r', '\n'}) + "login:", TelnetPrompt::login, "a\\xffb"},
      {"subnegotiation is not text", bytes({0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0}) + "Password: ",
       TelnetPrompt::password, ""},
  };
  for (const auto& c : cases) {
    // The same result whole and fed one byte at a time.
    for (bool split : {false, true}) {
      TelnetReader r;
      if (split) {
        for (char b : c.bytes) r.feed(std::string_view(&b, 1));
      } else {
        r.feed(c.bytes);
      }
      EXPECT_EQ(telnet_prompt_name(r.prompt()), std::string(telnet_prompt_name(c.prompt))) << c.name;
      EXPECT_EQ(r.banner(), c.banner) << c.name << (split ? " (split)" : "");
    }
  }
}

TEST(TelnetReader, RefusesEveryOption) {
  TelnetReader r;
  r.feed(bytes({0xff, 0xfd, 0x01, 0xff, 0xfd, 0x1f, 0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfd, 0x18}));
  EXPECT_TRUE(r.saw_iac());
  EXPECT_EQ(r.negotiation(), "DO 1 DO 31 WILL 1 WILL 3 DO 24");
  EXPECT_EQ(r.take_replies(),
            bytes({0xff, 0xfc, 0x01, 0xff, 0xfc, 0x1f, 0xff, 0xfe, 0x01, 0xff, 0xfe, 0x03, 0xff, 0xfc, 0x18}));
  EXPECT_EQ(r.take_replies(), "");
  // Asked again, refused again (RFC 1143: an option in state NO is refused each time).
  r.feed(bytes({0xff, 0xfd, 0x01}));
  EXPECT_EQ(r.take_replies(), bytes({0xff, 0xfc, 0x01}));
  // Commands that are not negotiations are no reply, and IAC + a non-command byte is no Telnet.
  TelnetReader g;
  g.feed(bytes({0xff, 0xf1, 0xff, 0xf9}));  // NOP, GA
  EXPECT_TRUE(g.saw_iac());
  EXPECT_EQ(g.take_replies(), "");
  TelnetReader b;
  b.feed(bytes({0x00, 0xff, 0x10}));
  EXPECT_FALSE(b.saw_iac());
}

TEST(TelnetReader, BoundsTextAndNegotiation) {
  TelnetReader r;
  r.feed(std::string(100000, 'A'));
  EXPECT_EQ(r.text().size(), TelnetReader::kMaxText);
  EXPECT_EQ(r.banner().size(), 1024u);
  TelnetReader n;
  std::string many;
  for (int i = 0; i < 200; ++i) many += bytes({0xff, 0xfb, i});
  n.feed(many);
  EXPECT_LE(n.negotiation().size(), TelnetReader::kMaxNegotiations * 9);
  // A subnegotiation that never ends: libtelnet gives up at its buffer limit and goes on.
  TelnetReader s;
  s.feed(bytes({0xff, 0xfa, 0x18}) + std::string(100000, 'x'));
  EXPECT_LE(s.text().size(), TelnetReader::kMaxText);
}

TEST(TelnetReader, ClaimsTelnetGreetings) {
  EXPECT_TRUE(looks_like_telnet(bytes({0xff, 0xfd, 0x01})));
  EXPECT_TRUE(looks_like_telnet(bytes({0xff, 0xfb, 0x01, 'x'})));
  EXPECT_TRUE(looks_like_telnet("\r\nDVR login: "));
  EXPECT_TRUE(looks_like_telnet("Password: "));
  EXPECT_TRUE(looks_like_telnet("/ # "));
  EXPECT_FALSE(looks_like_telnet("Router>"));  // '>' alone is too weak without Telnet commands
  EXPECT_FALSE(looks_like_telnet("SSH-2.0-OpenSSH_9.2\r\n"));
  EXPECT_FALSE(looks_like_telnet("220 (vsFTPd 3.0.3)\r\n"));
  EXPECT_FALSE(looks_like_telnet(bytes({0xff, 0xff, 0x00})));
  EXPECT_FALSE(looks_like_telnet(std::string("\x00\x01\x02\x03\xfe\xff\x10\x11", 8)));
  EXPECT_FALSE(looks_like_telnet("HTTP/1.0 400 Bad Request\r\n\r\n"));
}

// Transcripts captured from busybox 1.35 telnetd + login on loopback (see testdata/README).
TEST(TelnetReader, BusyboxTranscripts) {
  std::string login = testdata("busybox-login.bin");
  ASSERT_FALSE(login.empty());
  TelnetReader r;
  r.feed(login);
  EXPECT_EQ(r.prompt(), TelnetPrompt::login);
  EXPECT_TRUE(r.saw_iac());
  EXPECT_NE(r.banner().find("mamori-lab telnet-weak"), std::string::npos) << r.banner();
  std::string shell = testdata("busybox-shell.bin");
  ASSERT_FALSE(shell.empty());
  TelnetReader s;
  s.feed(shell);
  EXPECT_EQ(s.prompt(), TelnetPrompt::shell) << s.text();
}

// What the client sent: only IAC WONT/DONT triples.
bool only_refusals(std::string_view got) {
  if (got.size() % 3) return false;
  for (size_t i = 0; i < got.size(); i += 3) {
    auto cmd = static_cast<unsigned char>(got[i + 1]);
    if (static_cast<unsigned char>(got[i]) != 0xff || (cmd != 0xfc && cmd != 0xfe)) return false;
  }
  return true;
}

TEST(TelnetProbe, LoginPromptAfterNegotiation) {
  std::promise<std::string> sent;
  auto fut = sent.get_future();
  const std::string neg = bytes({0xff, 0xfd, 0x01, 0xff, 0xfd, 0x1f, 0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03});
  ScriptServer srv([&sent, neg](tcp::socket s) -> asio::awaitable<void> {  // (GCC 12: no init lists in coroutines)
    co_await send(s, neg);
    co_await sleep_ms(s, 100);
    co_await send(s, "\r\nIPC-HFW1230S login: ");
    sent.set_value(co_await read_for(s, 700));
  });
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "telnet");
  EXPECT_EQ(obs.fields["telnet.prompt"], "login");
  EXPECT_EQ(obs.fields["telnet.negotiation"], "DO 1 DO 31 WILL 1 WILL 3");
  EXPECT_FALSE(obs.fields.contains("telnet.banner"));
  std::string got = fut.get();
  EXPECT_EQ(got, bytes({0xff, 0xfc, 0x01, 0xff, 0xfc, 0x1f, 0xff, 0xfe, 0x01, 0xff, 0xfe, 0x03}));
  EXPECT_TRUE(only_refusals(got));
}

TEST(TelnetProbe, ShellWithoutLoginIsRecorded) {
  const std::string neg = bytes({0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03});
  ScriptServer srv([neg](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, neg);
    co_await send(s, "\r\n\r\nBusyBox v1.24.1 built-in shell (ash)\r\n");
    co_await sleep_ms(s, 50);
    co_await send(s, "Enter 'help' for a list of built-in commands.\r\n\r\n/ # ");
    co_await read_for(s, 1500);
  });
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "telnet");
  EXPECT_EQ(obs.fields["telnet.prompt"], "shell");
  EXPECT_EQ(obs.fields["telnet.banner"],
            "BusyBox v1.24.1 built-in shell (ash)\r\nEnter 'help' for a list of built-in commands.");
}

TEST(TelnetProbe, PlainTextLoginWithoutIac) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    // In one write: identify_tcp decides on the first read (see the report on split greetings).
    co_await send(s, "\r\nRTX830 Rev.15.02.17 (Mon Jan 1 00:00:00 2021)\r\n  Copyright (c) 1994-2021 Yamaha.\r\n"
                     "\r\nPassword: ");
    co_await read_for(s, 1500);
  });
  auto obs = identify(srv.port(), "127.0.0.1", net::Millis(1000));
  EXPECT_EQ(obs.service, "telnet");
  EXPECT_EQ(obs.fields["telnet.prompt"], "password");
  EXPECT_NE(obs.fields["telnet.banner"].find("RTX830 Rev.15.02.17"), std::string::npos);
}

TEST(TelnetProbe, NegotiationThenSilenceIsTelnetWithoutPrompt) {
  const std::string neg = bytes({0xff, 0xfd, 0x18});
  ScriptServer srv([neg](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, neg);
    co_await read_for(s, 5000);
  });
  auto t0 = std::chrono::steady_clock::now();
  auto obs = identify(srv.port());
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(obs.service, "telnet");
  EXPECT_EQ(obs.fields["telnet.prompt"], "none");
  EXPECT_LT(took, std::chrono::milliseconds(4500));  // the 3 s greeting deadline holds
}

TEST(TelnetProbe, FloodIsCutAt8KiB) {
  const std::string neg = bytes({0xff, 0xfb, 0x01});
  ScriptServer srv([neg](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, neg);
    std::string chunk(4096, 'A');
    for (int i = 0; i < 1000; ++i) {
      auto [ec, n] = co_await asio::async_write(s, asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  });
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "telnet");
  EXPECT_EQ(obs.behaviour, "flood");
  EXPECT_EQ(obs.fields["telnet.prompt"], "none");
  EXPECT_LE(obs.fields["telnet.banner"].size(), 1024u);
}

// Against real busybox telnetd instances on loopback, when given (see the report / testdata):
// MAMORI_TEST_TELNET_LOGIN=127.0.0.1:2323 (telnetd -l login), MAMORI_TEST_TELNET_SHELL=... (-l sh).
TEST(TelnetRealDaemon, BusyboxLoginAndShell) {
  auto login = real_daemon("MAMORI_TEST_TELNET_LOGIN");
  auto shell = real_daemon("MAMORI_TEST_TELNET_SHELL");
  if (!login && !shell) GTEST_SKIP() << "no MAMORI_TEST_TELNET_LOGIN / _SHELL";
  if (login) {
    auto obs = identify(login->second, login->first, net::Millis(1500));
    EXPECT_EQ(obs.service, "telnet");
    EXPECT_EQ(obs.fields["telnet.prompt"], "login");
    EXPECT_EQ(obs.fields["telnet.negotiation"], "DO 1 DO 31 WILL 1 WILL 3");
  }
  if (shell) {
    auto obs = identify(shell->second, shell->first, net::Millis(1500));
    EXPECT_EQ(obs.service, "telnet");
    EXPECT_EQ(obs.fields["telnet.prompt"], "shell");
    EXPECT_NE(obs.fields["telnet.banner"].find("BusyBox"), std::string::npos);
  }
}

}  // namespace
}  // namespace mamori::probes
