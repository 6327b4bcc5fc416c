// The HTTP checker against scripted servers (edge cases), mamori-lab (weak and hardened
// services) and the real lighttpd of the daemons lab.
#include "checks/creds/http/http_checker.h"

#include <gtest/gtest.h>

#include "checks/creds/http/http_auth.h"
#include "checks/creds/testing/creds_testing.h"
#include "probes/telnet/test_server.h"

namespace mamori::creds {
namespace {
namespace asio = boost::asio;
using probes::testing::ScriptServer;
using probes::testing::send;

struct Target {
  asio::io_context io;
  ServiceObservation svc;
  CheckTarget t;
  Target(std::string_view ip, uint16_t port, bool tls = false) {
    svc.ip = *Ip::parse(ip);
    svc.port = port;
    svc.service = tls ? "https" : "http";
    svc.tls = tls;
    t.ex = io.get_executor();
    t.ip = svc.ip;
    t.port = port;
    t.service = &svc;
    t.limits.connect = Millis(2000);
    t.limits.io = Millis(2000);
  }
  AttemptResult attempt(std::string user, std::string pass) {
    return testing::run_sync(io, http_checker().attempt(t, Credential{user, pass, "test", ""}));
  }
  OpenAccessResult open() { return testing::run_sync(io, http_checker().check_open(t)); }
};

// Reads one request (headers + Content-Length body).
asio::awaitable<std::string> read_request(asio::ip::tcp::socket& s) {
  std::string req = co_await probes::testing::read_until(s, "\r\n\r\n");
  auto low = http::lower(req);
  auto cl = low.find("content-length:");
  if (cl != std::string::npos) {
    size_t n = std::stoul(req.substr(cl + 15));
    size_t have = req.size() - req.find("\r\n\r\n") - 4;
    char tmp[4096];
    while (have < n) {
      auto [ec, got] = co_await s.async_read_some(asio::buffer(tmp), asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      req.append(tmp, got);
      have += got;
    }
  }
  co_return req;
}

std::string response(int status, std::string headers, std::string body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

TEST(HttpScripted, DigestStaleNonceIsRenewedOnce) {
  std::atomic<int> round{0};
  ScriptServer srv([&](asio::ip::tcp::socket s) -> asio::awaitable<void> {
    std::string req = co_await read_request(s);
    int n = round++;
    if (req.find("Authorization:") == std::string::npos) {
      co_await send(s, response(401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"old\", qop=\"auth\"\r\n", ""));
    } else if (req.find("nonce=\"old\"") != std::string::npos) {
      co_await send(s, response(401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"new\", qop=\"auth\", stale=true\r\n", ""));
    } else if (req.find("nonce=\"new\"") != std::string::npos) {
      co_await send(s, response(200, "", "<title>ok</title>"));
    }
    (void)n;
  });
  Target t("127.0.0.1", srv.port());
  auto r = t.attempt("admin", "admin");
  EXPECT_EQ(r.outcome, Outcome::accepted) << r.detail;
  EXPECT_EQ(srv.connections(), 3);
}

TEST(HttpScripted, YesToEverythingIsNeverAccepted) {
  ScriptServer srv([](asio::ip::tcp::socket s) -> asio::awaitable<void> {
    co_await read_request(s);
    co_await send(s, response(200, "", "<html><title>Welcome</title><p>hello</p></html>"));
  });
  Target t("127.0.0.1", srv.port());
  auto r = t.attempt("admin", "admin");
  EXPECT_EQ(r.outcome, Outcome::unsupported) << r.detail;
  auto o = t.open();
  EXPECT_TRUE(o.found.empty());
  EXPECT_EQ(o.attempts, 1u);
}

TEST(HttpScripted, LockoutAndUnansweredSchemes) {
  ScriptServer srv([](asio::ip::tcp::socket s) -> asio::awaitable<void> {
    std::string req = co_await read_request(s);
    if (req.find("Authorization:") == std::string::npos) {
      co_await send(s, response(401, "WWW-Authenticate: Basic realm=\"x\"\r\n", ""));
    } else {
      co_await send(s, response(429, "Retry-After: 60\r\n", "slow down"));
    }
  });
  Target t("127.0.0.1", srv.port());
  EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::lockout);

  ScriptServer bearer([](asio::ip::tcp::socket s) -> asio::awaitable<void> {
    co_await read_request(s);
    co_await send(s, response(401, "WWW-Authenticate: Bearer realm=\"api\"\r\n", ""));
  });
  Target b("127.0.0.1", bearer.port());
  EXPECT_EQ(b.attempt("admin", "admin").outcome, Outcome::unsupported);
}

// A form whose POST sets a cookie but whose pages still ask for a login: no false accept.
TEST(HttpScripted, CookieWithoutSessionIsRejected) {
  ScriptServer srv([](asio::ip::tcp::socket s) -> asio::awaitable<void> {
    std::string req = co_await read_request(s);
    const std::string form =
        "<title>Login</title><form method=post action=/login.cgi><input name=user><input type=password name=pw></form>";
    if (req.starts_with("GET / ")) co_await send(s, response(302, "Location: /login.htm\r\n", ""));
    else if (req.starts_with("GET /login.htm")) co_await send(s, response(200, "", form));
    else if (req.starts_with("POST /login.cgi")) {
      co_await send(s, response(302, "Set-Cookie: sid=123; Path=/\r\nLocation: /\r\n", ""));
    } else co_await send(s, response(404, "", ""));
  });
  Target t("127.0.0.1", srv.port());
  auto r = t.attempt("admin", "secretpw");
  EXPECT_EQ(r.outcome, Outcome::rejected) << r.detail;
  EXPECT_EQ(r.detail.find("secretpw"), std::string::npos);
}

// A device that echoes the password in its redirect: detail and evidence stay clean.
TEST(HttpScripted, PasswordNeverInDetail) {
  ScriptServer srv([](asio::ip::tcp::socket s) -> asio::awaitable<void> {
    std::string req = co_await read_request(s);
    if (req.find("Authorization:") == std::string::npos) {
      co_await send(s, response(401, "WWW-Authenticate: Basic realm=\"x\"\r\n", ""));
    } else {
      co_await send(s, response(302, "Location: /main/Pa55word-here\r\n", ""));
    }
  });
  Target t("127.0.0.1", srv.port());
  auto r = t.attempt("admin", "Pa55word-here");
  EXPECT_EQ(r.outcome, Outcome::accepted) << r.detail;
  EXPECT_EQ(r.detail.find("Pa55word-here"), std::string::npos) << r.detail;
  for (const auto& [k, v] : r.evidence) EXPECT_EQ(v.find("Pa55word-here"), std::string::npos) << k;
}

TEST(HttpScripted, FormPostingElsewhereIsNotFollowed) {
  std::atomic<int> posts{0};
  ScriptServer srv([&](asio::ip::tcp::socket s) -> asio::awaitable<void> {
    std::string req = co_await read_request(s);
    if (req.starts_with("POST")) ++posts;
    co_await send(s, response(200, "",
                              "<form method=post action=\"http://198.51.100.7/steal\"><input name=u>"
                              "<input type=password name=p></form>"));
  });
  Target t("127.0.0.1", srv.port());
  EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::unsupported);
  EXPECT_EQ(posts, 0);
}

class HttpLab : public ::testing::Test {
 protected:
  static std::string scenario() { return std::string(MAMORI_SOURCE_DIR) + "/src/checks/creds/http/testdata/http-lab.yaml"; }
};

// One test for the whole scenario: ctest runs tests in parallel processes, and one lab per
// scenario at a time keeps them from fighting over the addresses.
TEST_F(HttpLab, WeakAcceptedWrongRejectedOpenAndPublicPages) {
  testing::LabProcess lab(scenario());
  if (!lab.ok()) GTEST_SKIP() << lab.why();
  {
    SCOPED_TRACE("basic");
    Target t("127.71.3.10", 80);
    auto ok = t.attempt("admin", "admin");
    EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
    EXPECT_EQ(ok.evidence["method"], "basic");
    EXPECT_EQ(t.attempt("admin", "wrong").outcome, Outcome::rejected);
    EXPECT_EQ(t.attempt("root", "admin").outcome, Outcome::rejected);
    EXPECT_TRUE(t.open().found.empty());
  }
  {
    SCOPED_TRACE("digest");
    Target t("127.71.3.11", 80);
    auto ok = t.attempt("admin", "12345");
    EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
    EXPECT_EQ(ok.evidence["method"], "digest");
    EXPECT_EQ(ok.evidence["algorithm"], "MD5");
    EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::rejected);
  }
  {
    SCOPED_TRACE("form");
    Target t("127.71.3.12", 80);
    auto ok = t.attempt("admin", "password");
    EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
    EXPECT_EQ(ok.evidence["method"], "form");
    EXPECT_EQ(ok.evidence["proof_path"], "/");
    auto bad = t.attempt("admin", "admin");
    EXPECT_EQ(bad.outcome, Outcome::rejected) << bad.detail;
    EXPECT_TRUE(t.open().found.empty());
  }
  {
    SCOPED_TRACE("open admin page");
    Target t("127.71.3.13", 80);
    auto o = t.open();
    ASSERT_EQ(o.found.size(), 1u);
    EXPECT_EQ(o.found[0].check_id, "no-authentication");
    EXPECT_EQ(o.found[0].evidence["path"], "/");
    EXPECT_EQ(o.found[0].evidence["title"], "Router Setup - Acme R-2");
    EXPECT_TRUE(o.no_login_needed);
    EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::unsupported);
  }
  {
    SCOPED_TRACE("public page");
    Target t("127.71.3.14", 80);
    auto o = t.open();
    EXPECT_TRUE(o.found.empty());
    EXPECT_FALSE(o.no_login_needed);
    EXPECT_EQ(o.attempts, 1u);
  }
  {
    SCOPED_TRACE("hardened basic and digest over TLS");
    Target t("127.71.3.15", 80);
    EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::rejected);
    EXPECT_EQ(t.attempt("admin", "Vq7-unique-Lm2c9").outcome, Outcome::accepted);
    Target s("127.71.3.15", 443, true);
    EXPECT_EQ(s.attempt("admin", "admin").outcome, Outcome::rejected);
    auto ok = s.attempt("admin", "Vq7-unique-Lm2c9");
    EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
  }
}

TEST(HttpDaemons, LighttpdBasic) {
  auto m = testing::daemons_manifest();
  if (!m) GTEST_SKIP() << "MAMORI_DAEMONS_MANIFEST not set";
  auto weak = testing::daemon(*m, "web-weak");
  auto hard = testing::daemon(*m, "web-hardened");
  ASSERT_FALSE(weak.empty());
  ASSERT_FALSE(hard.empty());
  Target w(weak["ip"].get<std::string>(), weak["port"].get<uint16_t>());
  auto ok = w.attempt("admin", "admin");
  EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
  EXPECT_EQ(ok.evidence["method"], "basic");
  auto bad = w.attempt("admin", "wrong-password");
  EXPECT_EQ(bad.outcome, Outcome::rejected) << bad.detail;
  EXPECT_TRUE(w.open().found.empty());
  Target h(hard["ip"].get<std::string>(), hard["port"].get<uint16_t>());
  auto no = h.attempt("admin", "admin");
  EXPECT_EQ(no.outcome, Outcome::rejected) << no.detail;
}

}  // namespace
}  // namespace mamori::creds
