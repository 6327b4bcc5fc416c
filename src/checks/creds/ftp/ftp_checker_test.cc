#include "checks/creds/ftp/ftp_checker.h"

#include <gtest/gtest.h>

#include <mutex>

#include "checks/creds/testing/creds_testing.h"
#include "probes/telnet/test_server.h"

namespace mamori::creds {
namespace {

namespace asio = boost::asio;
using probes::testing::ScriptServer;
using probes::testing::read_for;
using probes::testing::read_until;
using probes::testing::send;
using probes::testing::sleep_ms;
using tcp = asio::ip::tcp;

FtpReply parse_ok(std::string_view bytes, size_t* consumed = nullptr) {
  FtpReply r;
  size_t used = 0;
  EXPECT_EQ(parse_ftp_reply(bytes, r, used), FtpParse::ok) << bytes;
  if (consumed) *consumed = used;
  return r;
}

FtpReply reply(int code, std::string text) {
  FtpReply r;
  r.code = code;
  r.lines = {std::to_string(code) + " " + text};
  return r;
}

// ---- parser ------------------------------------------------------------------------------

TEST(FtpReplyParse, SingleLine) {
  size_t used = 0;
  auto r = parse_ok("230 Login successful.\r\n", &used);
  EXPECT_EQ(r.code, 230);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "230 Login successful.");
  EXPECT_EQ(used, 23u);
}

TEST(FtpReplyParse, MultiLineEndsAtSameCodeAndSpace) {
  const std::string g = "220-Welcome\r\n220-Authorised users only\r\n 220 indented is text\r\n220 ready\r\n331 next\r\n";
  size_t used = 0;
  auto r = parse_ok(g, &used);
  EXPECT_EQ(r.code, 220);
  EXPECT_EQ(r.lines.size(), 4u);
  EXPECT_EQ(r.lines.back(), "220 ready");
  EXPECT_EQ(g.substr(used), "331 next\r\n");  // the pipelined next reply is left
}

TEST(FtpReplyParse, BareLineFeedsAndBareCode) {
  auto r = parse_ok("211-Features:\n EPSV\n211\n");
  EXPECT_EQ(r.code, 211);
  EXPECT_EQ(r.lines.size(), 3u);
}

TEST(FtpReplyParse, IncompleteNeedsMore) {
  FtpReply r;
  size_t used = 0;
  for (std::string_view s : {"", "2", "22", "220", "220 rea", "220-a\r\n220-b\r\n", "220-a\r\n220 b"}) {
    EXPECT_EQ(parse_ftp_reply(s, r, used), FtpParse::need_more) << s;
  }
}

TEST(FtpReplyParse, GarbageIsInvalid) {
  FtpReply r;
  size_t used = 0;
  for (std::string_view s : {"HTTP/1.1 200 OK\r\n", "SSH-2.0-x\r\n", "2x0 hi\r\n", "2200 x\r\n", "620 x\r\n",
                             "\xff\xfd\x18", "220x\r\n"}) {
    EXPECT_EQ(parse_ftp_reply(s, r, used), FtpParse::invalid) << s;
  }
}

TEST(FtpReplyParse, FloodIsInvalidNotEndless) {
  FtpReply r;
  size_t used = 0;
  std::string endless = "220-";
  while (endless.size() < kFtpMaxReplyBytes + 10) endless += "220-more text to keep you reading\r\n";
  EXPECT_EQ(parse_ftp_reply(endless, r, used), FtpParse::invalid);
  std::string one_line = "220 " + std::string(kFtpMaxReplyBytes, 'A');
  EXPECT_EQ(parse_ftp_reply(one_line, r, used), FtpParse::invalid);
  std::string under = "220-" + std::string(1000, 'B');
  EXPECT_EQ(parse_ftp_reply(under, r, used), FtpParse::need_more);
}

TEST(FtpReplyParse, LinesAndLineLengthCapped) {
  std::string many = "220-start\r\n";
  for (int i = 0; i < 100; ++i) many += " line " + std::to_string(i) + "\r\n";
  many += "220 " + std::string(2000, 'x') + "\r\n";
  auto r = parse_ok(many);
  EXPECT_EQ(r.lines.size(), FtpReply::kMaxLines);
  for (const auto& l : r.lines) EXPECT_LE(l.size(), FtpReply::kMaxLine);
}

TEST(FtpReplyText, PrintableAndBounded) {
  auto r = parse_ok("530 bad\x01\x7f user\r\n");
  EXPECT_EQ(ftp_reply_text(r), "530 bad\\x01\\x7f user");
  auto long_reply = reply(530, std::string(1000, 'z'));
  EXPECT_LE(ftp_reply_text(long_reply, 50).size(), 50u);
}

// ---- classification ----------------------------------------------------------------------

TEST(FtpClassify, UserReplies) {
  EXPECT_TRUE(classify_ftp_user_reply(reply(331, "Please specify the password.")).send_pass);
  auto direct = classify_ftp_user_reply(reply(230, "Logged in"));
  EXPECT_FALSE(direct.send_pass);
  EXPECT_EQ(direct.result.outcome, Outcome::accepted);
  EXPECT_EQ(classify_ftp_user_reply(reply(530, "This FTP server is anonymous only.")).result.outcome,
            Outcome::rejected);
  EXPECT_EQ(classify_ftp_user_reply(reply(421, "There are too many connections from your internet address.")).result.outcome,
            Outcome::lockout);
  EXPECT_EQ(classify_ftp_user_reply(reply(332, "Need account")).result.outcome, Outcome::error);
  EXPECT_EQ(classify_ftp_user_reply(reply(502, "Not implemented")).result.outcome, Outcome::unsupported);
  EXPECT_EQ(classify_ftp_user_reply(reply(220, "hello again")).result.outcome, Outcome::error);
  EXPECT_EQ(classify_ftp_user_reply(reply(421, "Timeout.")).result.outcome, Outcome::error);
}

TEST(FtpClassify, PassReplies) {
  EXPECT_EQ(classify_ftp_pass_reply(reply(230, "Login successful.")).outcome, Outcome::accepted);
  EXPECT_EQ(classify_ftp_pass_reply(reply(530, "Login incorrect.")).outcome, Outcome::rejected);
  EXPECT_EQ(classify_ftp_pass_reply(reply(553, "Denied")).outcome, Outcome::rejected);
  EXPECT_EQ(classify_ftp_pass_reply(reply(530, "Too many login failures; account locked")).outcome, Outcome::lockout);
  EXPECT_EQ(classify_ftp_pass_reply(reply(421, "Too many connections (8) from this IP")).outcome, Outcome::lockout);
  EXPECT_EQ(classify_ftp_pass_reply(reply(421, "Service not available, closing control connection.")).outcome,
            Outcome::error);
  EXPECT_EQ(classify_ftp_pass_reply(reply(202, "Already logged in")).outcome, Outcome::error);
  EXPECT_EQ(classify_ftp_pass_reply(reply(332, "Need account for login.")).outcome, Outcome::error);
  EXPECT_EQ(classify_ftp_pass_reply(reply(503, "Login with USER first.")).outcome, Outcome::error);
  EXPECT_EQ(classify_ftp_pass_reply(reply(200, "OK")).outcome, Outcome::error);
  EXPECT_EQ(classify_ftp_pass_reply(reply(331, "Password please")).outcome, Outcome::error);
}

TEST(FtpClassify, Greeting) {
  AttemptResult why;
  EXPECT_TRUE(ftp_greeting_ok(reply(220, "ready"), why));
  EXPECT_FALSE(ftp_greeting_ok(reply(421, "Too many users, try later"), why));
  EXPECT_EQ(why.outcome, Outcome::lockout);
  EXPECT_FALSE(ftp_greeting_ok(reply(530, "go away"), why));
  EXPECT_EQ(why.outcome, Outcome::error);
}

// ---- against scripted servers --------------------------------------------------------------

struct Target {
  ServiceObservation svc;
  CheckTarget t;
  Target(asio::io_context& io, std::string_view ip, uint16_t port, Millis wait = Millis(800)) {
    svc.ip = *Ip::parse(ip);
    svc.port = port;
    svc.service = "ftp";
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

AttemptResult attempt_at(uint16_t port, const Credential& c, Millis wait = Millis(800)) {
  asio::io_context io;
  Target tg(io, "127.0.0.1", port, wait);
  return testing::run_sync(io, ftp_checker().attempt(tg.t, c));
}

OpenAccessResult open_at(uint16_t port, Millis wait = Millis(800)) {
  asio::io_context io;
  Target tg(io, "127.0.0.1", port, wait);
  return testing::run_sync(io, ftp_checker().check_open(tg.t));
}

// A small FTP server: multi-line greeting, USER/PASS against one pair, PWD, QUIT; records the
// commands it received.
class FakeFtp {
 public:
  FakeFtp(std::string user, std::string pass, std::string greeting = "220-Hello\r\n220 ready\r\n",
          std::string fail = "530 Login incorrect.")
      : server_([this, user, pass, greeting, fail](tcp::socket s) -> asio::awaitable<void> {
          co_await send(s, greeting);
          std::string u;
          bool in = false;
          // (Replies are built before co_await: GCC 12 destroys temporaries of a conditional
          // expression inside co_await twice.)
          for (int i = 0; i < 20; ++i) {
            std::string line = co_await read_until(s, "\r\n");
            if (line.empty()) co_return;
            line.resize(line.find("\r\n"));
            record(line);
            const size_t sp = line.find(' ');
            const std::string cmd = line.substr(0, sp);
            const std::string arg = sp == std::string::npos ? "" : line.substr(sp + 1);
            std::string out;
            if (cmd == "USER") {
              u = arg;
              out = "331 Password required for " + arg + ".\r\n";
            } else if (cmd == "PASS") {
              in = u == user && (arg == pass || user == "anonymous");
              out = in ? std::string("230-Welcome\r\n230 Logged in.\r\n") : fail + "\r\n";
            } else if (cmd == "PWD") {
              out = in ? "257 \"/\" is current directory.\r\n" : "530 Not logged in.\r\n";
            } else if (cmd == "QUIT") {
              co_await send(s, "221 Bye.\r\n");
              co_return;
            } else {
              out = "500 Unknown.\r\n";
            }
            co_await send(s, out);
          }
        }) {}
  uint16_t port() const { return server_.port(); }
  std::vector<std::string> commands() const {
    std::lock_guard lock(mu_);
    return commands_;
  }

 private:
  void record(std::string line) {
    std::lock_guard lock(mu_);
    commands_.push_back(std::move(line));
  }
  mutable std::mutex mu_;
  std::vector<std::string> commands_;
  ScriptServer server_;
};

TEST(FtpScripted, AcceptsOnlyTheRightPair) {
  FakeFtp ftp("admin", "admin");
  auto ok = attempt_at(ftp.port(), cred("admin", "admin"));
  EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
  EXPECT_NE(ok.detail.find("230"), std::string::npos);
  EXPECT_EQ(ok.evidence["pwd"], "257 \"/\" is current directory.");
  auto bad = attempt_at(ftp.port(), cred("admin", "wrong"));
  EXPECT_EQ(bad.outcome, Outcome::rejected) << bad.detail;
  auto cmds = ftp.commands();
  ASSERT_GE(cmds.size(), 4u);
  EXPECT_EQ(cmds[0], "USER admin");
  EXPECT_EQ(cmds[1], "PASS admin");
  for (const auto& c : cmds) {
    EXPECT_TRUE(c.starts_with("USER ") || c.starts_with("PASS ") || c == "PWD" || c == "QUIT") << c;
  }
}

TEST(FtpScripted, AnonymousFoundWithPwdOnly) {
  FakeFtp ftp("anonymous", "");
  auto r = open_at(ftp.port());
  ASSERT_EQ(r.found.size(), 1u);
  EXPECT_EQ(r.found[0].check_id, "ftp-anonymous");
  EXPECT_FALSE(r.no_login_needed);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_EQ(r.found[0].evidence["pwd"], "257 \"/\" is current directory.");
  EXPECT_EQ(r.found[0].evidence["reply"], "230-Welcome / 230 Logged in.");
  auto cmds = ftp.commands();
  EXPECT_EQ(cmds, (std::vector<std::string>{"USER anonymous", "PASS mamori@example.invalid", "PWD", "QUIT"}));
}

TEST(FtpScripted, NoAnonymousNoFinding) {
  FakeFtp ftp("admin", "admin");
  auto r = open_at(ftp.port());
  EXPECT_TRUE(r.found.empty());
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_FALSE(r.lockout);
}

TEST(FtpScripted, PasswordNeverInDetail) {
  FakeFtp ftp("admin", "admin", "220 ready\r\n", "530 Login incorrect for password s3cr3tpw");
  auto r = attempt_at(ftp.port(), cred("admin", "s3cr3tpw"));
  EXPECT_EQ(r.outcome, Outcome::rejected);
  EXPECT_EQ(r.detail.find("s3cr3tpw"), std::string::npos) << r.detail;
}

TEST(FtpScripted, LockoutReply) {
  FakeFtp ftp("admin", "admin", "220 ready\r\n", "421 Too many failed logins, try again later");
  EXPECT_EQ(attempt_at(ftp.port(), cred("admin", "x")).outcome, Outcome::lockout);
  ScriptServer full([](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, "421 There are too many connections from your internet address.\r\n");
  });
  EXPECT_EQ(attempt_at(full.port(), cred("admin", "admin")).outcome, Outcome::lockout);
  EXPECT_TRUE(open_at(full.port()).lockout);
}

TEST(FtpScripted, SilentServerIsErrorWithinDeadline) {
  ScriptServer silent([](tcp::socket s) -> asio::awaitable<void> { co_await read_for(s, 3000); });
  auto start = std::chrono::steady_clock::now();
  auto r = attempt_at(silent.port(), cred("admin", "admin"), Millis(300));
  EXPECT_EQ(r.outcome, Outcome::error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(open_at(silent.port(), Millis(300)).found.empty());
}

TEST(FtpScripted, GarbageIsError) {
  ScriptServer garbage([](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, "HTTP/1.0 400 Bad Request\r\n\r\n230 Login successful.\r\n");
    co_await read_for(s, 1000);
  });
  auto r = attempt_at(garbage.port(), cred("admin", "admin"));
  EXPECT_EQ(r.outcome, Outcome::error);
  EXPECT_TRUE(open_at(garbage.port()).found.empty());
}

TEST(FtpScripted, FloodIsBounded) {
  ScriptServer flood([](tcp::socket s) -> asio::awaitable<void> {
    std::string chunk = "220-";
    for (int i = 0; i < 200; ++i) chunk += "220-flood flood flood flood flood flood\r\n";
    for (int i = 0; i < 2000; ++i) {
      auto [ec, n] = co_await asio::async_write(s, asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  });
  auto r = attempt_at(flood.port(), cred("admin", "admin"));
  EXPECT_EQ(r.outcome, Outcome::error);
  EXPECT_NE(r.detail.find("16 KiB"), std::string::npos) << r.detail;
}

// A server that says 230 before anyone asked must not pass for a login.
TEST(FtpScripted, UnsolicitedReplyIsNotProof) {
  ScriptServer liar([](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, "220 ready\r\n230 Login successful.\r\n");
    std::string line = co_await read_until(s, "\r\n");  // USER
    co_await sleep_ms(s, 50);
    co_await send(s, "331 Password?\r\n");
    line = co_await read_until(s, "\r\n");  // PASS
    co_await send(s, "530 Login incorrect.\r\n");
    co_await read_for(s, 500);
  });
  auto r = attempt_at(liar.port(), cred("admin", "admin"));
  EXPECT_EQ(r.outcome, Outcome::rejected) << r.detail;
}

TEST(FtpScripted, ClosedAfterPassIsError) {
  ScriptServer closer([](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, "220 ready\r\n");
    co_await read_until(s, "\r\n");
    co_await send(s, "331 Password?\r\n");
    co_await read_until(s, "\r\n");
  });
  auto r = attempt_at(closer.port(), cred("admin", "admin"));
  EXPECT_EQ(r.outcome, Outcome::error) << r.detail;
}

TEST(FtpScripted, LineBreakInCredentialIsNeverSent) {
  FakeFtp ftp("admin", "admin");
  auto r = attempt_at(ftp.port(), cred("admin\r\nPWD", "admin"));
  EXPECT_EQ(r.outcome, Outcome::error);
  for (const auto& c : ftp.commands()) EXPECT_NE(c, "PWD");
}

TEST(FtpChecker, Info) {
  EXPECT_EQ(ftp_checker().info().id, "ftp");
  ServiceObservation s;
  s.service = "ftp";
  EXPECT_TRUE(ftp_checker().applies(s));
  s.service = "http";
  EXPECT_FALSE(ftp_checker().applies(s));
}

// ---- mamori-lab (127.71.4.10 weak, .11 hardened) --------------------------------------------

class FtpLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { lab_ = new testing::LabProcess(std::string(MAMORI_CREDS_FTP_DIR) + "/testdata/lab.yaml"); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override {
    if (!lab_->ok()) GTEST_SKIP() << lab_->why();
  }
  static AttemptResult attempt(std::string_view ip, const Credential& c) {
    asio::io_context io;
    Target tg(io, ip, 21, Millis(3000));
    return testing::run_sync(io, ftp_checker().attempt(tg.t, c));
  }
  static OpenAccessResult open(std::string_view ip) {
    asio::io_context io;
    Target tg(io, ip, 21, Millis(3000));
    return testing::run_sync(io, ftp_checker().check_open(tg.t));
  }
  static testing::LabProcess* lab_;
};
testing::LabProcess* FtpLab::lab_ = nullptr;

TEST_F(FtpLab, WeakAnonymousAndDefaultPair) {
  auto o = open("127.71.4.10");
  ASSERT_EQ(o.found.size(), 1u);
  EXPECT_EQ(o.found[0].check_id, "ftp-anonymous");
  EXPECT_EQ(o.found[0].evidence["pwd"].substr(0, 3), "257");
  EXPECT_EQ(attempt("127.71.4.10", cred("admin", "admin")).outcome, Outcome::accepted);
  EXPECT_EQ(attempt("127.71.4.10", cred("admin", "wrong-pass")).outcome, Outcome::rejected);
  EXPECT_EQ(attempt("127.71.4.10", cred("root", "admin")).outcome, Outcome::rejected);
}

TEST_F(FtpLab, HardenedRefusesEverythingWeTry) {
  EXPECT_TRUE(open("127.71.4.11").found.empty());
  for (const auto& c : {cred("admin", "admin"), cred("admin", ""), cred("anonymous", "x@y.z")}) {
    EXPECT_EQ(attempt("127.71.4.11", c).outcome, Outcome::rejected) << c.username << "/" << c.password;
  }
  EXPECT_EQ(attempt("127.71.4.11", cred("admin", "Kq7-vR2pLx9mZ")).outcome, Outcome::accepted);
}

// ---- real daemons (vsftpd) -------------------------------------------------------------------

TEST(FtpDaemons, VsftpdAnonymousAndHardened) {
  auto m = testing::daemons_manifest();
  if (!m) GTEST_SKIP() << "MAMORI_DAEMONS_MANIFEST not set";
  auto anon = testing::daemon(*m, "ftp-anon");
  auto hard = testing::daemon(*m, "ftp-hardened");
  ASSERT_TRUE(anon.contains("ip") && hard.contains("ip"));
  asio::io_context io;
  Target a(io, anon["ip"].get<std::string>(), anon["port"].get<uint16_t>(), Millis(3000));
  auto o = testing::run_sync(io, ftp_checker().check_open(a.t));
  ASSERT_EQ(o.found.size(), 1u);
  EXPECT_EQ(o.found[0].check_id, "ftp-anonymous");
  EXPECT_EQ(o.found[0].evidence["pwd"].substr(0, 3), "257") << o.found[0].evidence["pwd"];
  EXPECT_NE(o.found[0].evidence["reply"].find("230"), std::string::npos);
  auto named = testing::run_sync(io, ftp_checker().attempt(a.t, cred("admin", "admin")));
  EXPECT_EQ(named.outcome, Outcome::rejected) << named.detail;

  Target h(io, hard["ip"].get<std::string>(), hard["port"].get<uint16_t>(), Millis(3000));
  auto ho = testing::run_sync(io, ftp_checker().check_open(h.t));
  EXPECT_TRUE(ho.found.empty());
  EXPECT_EQ(ho.attempts, 1u);
  auto hr = testing::run_sync(io, ftp_checker().attempt(h.t, cred("admin", "admin")));
  EXPECT_EQ(hr.outcome, Outcome::rejected) << hr.detail;
}

}  // namespace
}  // namespace mamori::creds
