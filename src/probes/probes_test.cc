// Identification against scripted servers on 127.0.0.1 (ephemeral ports), in-process.
#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <unistd.h>
#include <future>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "probes/http/http_probe.h"
#include "probes/identify.h"
#include "probes/ssh/ssh_probe.h"
#include "probes/telnet/test_server.h"

namespace mamori::probes {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;

using testing::ScriptServer;
using testing::send;

asio::awaitable<std::string> read_request(tcp::socket& s) { return testing::read_until(s, "\r\n\r\n"); }

ServiceObservation identify(uint16_t port, net::Millis banner_wait = net::Millis(300)) {
  asio::io_context ioc;
  ProbeContext ctx;
  ctx.ex = ioc.get_executor();
  ctx.ip = *Ip::parse("127.0.0.1");
  ctx.port = port;
  ctx.banner_wait = banner_wait;
  ctx.limits.io = net::Millis(1000);
  auto fut = asio::co_spawn(ioc, identify_tcp(ctx), asio::use_future);
  ioc.run();
  return fut.get();
}

TEST(Ssh, ParsesIdentification) {
  std::string p, v;
  EXPECT_TRUE(parse_ssh_ident("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", p, v));
  EXPECT_EQ(p, "OpenSSH");
  EXPECT_EQ(v, "9.2p1");
  EXPECT_TRUE(parse_ssh_ident("SSH-2.0-dropbear_2019.78", p, v));
  EXPECT_EQ(p, "Dropbear sshd");
  EXPECT_EQ(v, "2019.78");
  EXPECT_FALSE(parse_ssh_ident("HTTP/1.0 200 OK", p, v));
}

TEST(Http, ParsesResponsesAndFields) {
  auto r = parse_http_response(
      "HTTP/1.1 401 Unauthorized\r\nServer: Boa/0.94.14rc21\r\nWWW-Authenticate: Digest "
      "realm=\"DS-2CD2032-I\", nonce=\"abc\"\r\nContent-Length: 5\r\n\r\nhello",
      false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->header("server"), "Boa/0.94.14rc21");
  EXPECT_EQ(r->body, "hello");
  std::string scheme, realm;
  parse_www_authenticate(r->header("www-authenticate"), scheme, realm);
  EXPECT_EQ(scheme, "digest");
  EXPECT_EQ(realm, "DS-2CD2032-I");
  EXPECT_FALSE(parse_http_response("RTSP/1.0 200 OK\r\n\r\n", true));
  EXPECT_FALSE(parse_http_response("\xff\xfb\x01", true));
  EXPECT_EQ(html_title("<html><TITLE>\n  NETSurveillance   WEB </title>"), "NETSurveillance WEB");
  EXPECT_EQ(html_title("<title>unterminated"), "unterminated");
  EXPECT_TRUE(has_password_form("<input name=p TYPE=\"password\">"));
  EXPECT_FALSE(has_password_form("<input type=text>"));
}

TEST(Http, BoundsHugeHeaders) {
  std::string big = "HTTP/1.1 200 OK\r\nX: " + std::string(100000, 'a') + "\r\n\r\n";
  EXPECT_FALSE(parse_http_response(big, true));
}

TEST(Identify, SshGreeting) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
    char b[64];
    co_await s.async_read_some(asio::buffer(b), asio::as_tuple(asio::use_awaitable));
  });
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "ssh");
  EXPECT_EQ(obs.product, "OpenSSH");
  EXPECT_EQ(obs.version, "9.2p1");
  EXPECT_EQ(obs.fields["ssh.version"], "SSH-2.0-OpenSSH_9.2p1 Debian-2");
}

TEST(Identify, HttpBasicRealmAndTitle) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    std::string req = co_await read_request(s);
    if (req.starts_with("GET /favicon.ico")) {
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nico");
    } else {
      co_await send(s, "HTTP/1.1 401 Unauthorized\r\nServer: uc-httpd 1.0.0\r\n"
                       "WWW-Authenticate: Basic realm=\"NVR\"\r\nContent-Length: 44\r\n\r\n"
                       "<html><title>NETSurveillance WEB</title></h>");
    }
  });
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "http");
  EXPECT_EQ(obs.fields["http.status"], "401");
  EXPECT_EQ(obs.fields["http.server"], "uc-httpd 1.0.0");
  EXPECT_EQ(obs.fields["http.realm"], "NVR");
  EXPECT_EQ(obs.fields["http.auth"], "basic");
  EXPECT_EQ(obs.fields["http.title"], "NETSurveillance WEB");
  EXPECT_EQ(obs.fields["http.favicon_md5"], "65f034c0f853471ed478ceb34164523b");  // md5("ico")
}

TEST(Identify, HttpSameHostRedirectToFormLogin) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    std::string req = co_await read_request(s);
    if (req.starts_with("GET / ")) {
      co_await send(s, "HTTP/1.1 302 Found\r\nLocation: /login.htm\r\nContent-Length: 0\r\n\r\n");
    } else if (req.starts_with("GET /login.htm")) {
      co_await send(s, "HTTP/1.0 200 OK\r\n\r\n<title>Router Login</title><form>"
                       "<input type=\"password\" name=\"pw\"></form>");
    } else {
      co_await send(s, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
  });
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "http");
  EXPECT_EQ(obs.fields["http.status"], "200");
  EXPECT_EQ(obs.fields["http.location"], "/login.htm");
  EXPECT_EQ(obs.fields["http.title"], "Router Login");
  EXPECT_EQ(obs.fields["http.auth"], "form");
  EXPECT_FALSE(obs.fields.contains("http.favicon_md5"));
}

TEST(Identify, SilentServiceIsUnknownAndSilent) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    asio::steady_timer t(s.get_executor(), std::chrono::seconds(10));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  });
  auto obs = identify(srv.port(), net::Millis(200));
  EXPECT_EQ(obs.service, "unknown");
  EXPECT_EQ(obs.behaviour, "silent");
}

// A raw print port on 127.88.91.x:`port` that never answers and keeps every byte it is sent,
// as a JetDirect printer prints it.
class PrintSink {
 public:
  explicit PrintSink(uint16_t port) : ip_("127.88.91." + std::to_string(::getpid() % 250 + 1)) {
    boost::system::error_code ec;
    acceptor_.open(tcp::v4(), ec);
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    acceptor_.bind({asio::ip::make_address(ip_), port}, ec);
    if (!ec) acceptor_.listen(16, ec);
    ok_ = !ec;
    if (!ok_) return;
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~PrintSink() {
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }
  bool ok() const { return ok_; }
  const std::string& ip() const { return ip_; }
  std::string printed() {
    std::lock_guard l(mu_);
    return printed_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(ioc_, drain(std::move(sock)), asio::detached);
    }
  }
  asio::awaitable<void> drain(tcp::socket s) {
    char buf[4096];
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      std::lock_guard l(mu_);
      printed_.append(buf, n);
    }
  }
  std::string ip_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  std::thread thread_;
  std::mutex mu_;
  std::string printed_;
  bool ok_ = false;
};

TEST(Identify, RawPrintPortsGetNothingButThePjlQuery) {
  // 9101-9107: nothing at all is sent (no HTTP guess, no ClientHello: each would be a page).
  {
    PrintSink sink(9101);
    ASSERT_TRUE(sink.ok()) << "cannot listen on " << sink.ip() << ":9101";
    auto obs = testing::identify(9101, sink.ip(), net::Millis(200));
    EXPECT_EQ(obs.service, "unknown");
    EXPECT_EQ(obs.behaviour, "raw-print-port");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(sink.printed(), "");
  }
  // 9100: the read-only PJL query, and nothing after it when the printer stays silent.
  {
    PrintSink sink(9100);
    ASSERT_TRUE(sink.ok()) << "cannot listen on " << sink.ip() << ":9100";
    auto obs = testing::identify(9100, sink.ip(), net::Millis(200));
    EXPECT_EQ(obs.behaviour, "raw-print-port");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string printed = sink.printed();
    EXPECT_NE(printed.find("@PJL INFO ID"), std::string::npos) << printed;
    EXPECT_EQ(printed.find("GET "), std::string::npos) << printed;
    EXPECT_EQ(printed.find("\x16\x03"), std::string::npos);  // no TLS ClientHello
    EXPECT_EQ(printed.find("OPTIONS "), std::string::npos);
  }
}

TEST(Identify, BinaryGreetingIsGarbage) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    co_await send(s, std::string("\x00\x01\x02\x03\xfe\xff\x10\x11", 8));
    char b[64];
    co_await s.async_read_some(asio::buffer(b), asio::as_tuple(asio::use_awaitable));
  });
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "unknown");
  EXPECT_EQ(obs.behaviour, "garbage");
  EXPECT_EQ(obs.fields["banner"], "\\x00\\x01\\x02\\x03\\xfe\\xff\\x10\\x11");
}

TEST(Identify, FloodIsCutAtTheBudget) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    std::string chunk(65536, 'A');
    for (int i = 0; i < 200; ++i) {
      auto [ec, n] = co_await asio::async_write(s, asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  });
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "unknown");
  EXPECT_LE(obs.fields["banner"].size(), 256u);
}

// A TLS server (self-signed key made here) that answers HTTP inside TLS.
TEST(Identify, HttpsOnASilentPort) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("cam.lab"), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  X509_sign(cert, key, EVP_sha256());
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX_use_certificate(ctx->native_handle(), cert);
  SSL_CTX_use_PrivateKey(ctx->native_handle(), key);
  X509_free(cert);
  EVP_PKEY_free(key);
  ScriptServer srv([ctx](tcp::socket s) -> asio::awaitable<void> {
    asio::ssl::stream<tcp::socket> tls(std::move(s), *ctx);
    auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    std::string buf;
    char tmp[4096];
    while (buf.find("\r\n\r\n") == std::string::npos) {
      auto [e, n] = co_await tls.async_read_some(asio::buffer(tmp), asio::as_tuple(asio::use_awaitable));
      if (e) co_return;
      buf.append(tmp, n);
    }
    std::string resp = "HTTP/1.1 200 OK\r\nServer: lighttpd/1.4.69\r\nContent-Length: 26\r\n\r\n<title>IP Camera</title>ok";
    co_await asio::async_write(tls, asio::buffer(resp), asio::as_tuple(asio::use_awaitable));
    co_await tls.async_shutdown(asio::as_tuple(asio::use_awaitable));
  });
  auto obs = identify(srv.port(), net::Millis(200));
  EXPECT_EQ(obs.service, "https");
  EXPECT_TRUE(obs.tls);
  EXPECT_EQ(obs.fields["http.server"], "lighttpd/1.4.69");
  EXPECT_EQ(obs.fields["http.title"], "IP Camera");
  EXPECT_FALSE(obs.fields["tls.version"].empty());
}

}  // namespace
}  // namespace mamori::probes
