// Test helpers shared by the TCP probe tests (telnet, ftp, rtsp, mqtt, pjl): a scripted server
// on 127.0.0.1 (ephemeral port, own thread) and two ways to run a probe against it. Belongs in a
// common src/probes/testing/ once one exists.
#pragma once

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio.hpp>

#include "probes/identify.h"

namespace mamori::probes::testing {
namespace asio = boost::asio;
using asio::ip::tcp;

// Runs `script` for every accepted connection, on its own thread, until destroyed.
class ScriptServer {
 public:
  using Script = std::function<asio::awaitable<void>(tcp::socket)>;
  explicit ScriptServer(Script script) : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(ioc_, accept_loop(std::move(script)), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~ScriptServer() {
    ioc_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_; }

 private:
  asio::awaitable<void> accept_loop(Script script) {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(ioc_, script(std::move(sock)), asio::detached);
    }
  }
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> connections_{0};
};

inline asio::awaitable<void> send(tcp::socket& s, std::string data) {
  co_await asio::async_write(s, asio::buffer(data), asio::as_tuple(asio::use_awaitable));
}

// Reads until `delim` arrived, EOF, or 64 KiB.
inline asio::awaitable<std::string> read_until(tcp::socket& s, std::string delim) {
  std::string buf;
  char tmp[4096];
  while (buf.find(delim) == std::string::npos && buf.size() < 65536) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(tmp), asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    buf.append(tmp, n);
  }
  co_return buf;
}

// Reads whatever arrives within `ms` (or until EOF).
inline asio::awaitable<std::string> read_for(tcp::socket& s, int ms) {
  std::string buf;
  asio::steady_timer t(s.get_executor(), std::chrono::milliseconds(ms));
  t.async_wait([&s](boost::system::error_code ec) {
    if (!ec) s.cancel();
  });
  char tmp[4096];
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(tmp), asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    buf.append(tmp, n);
  }
  t.cancel();
  co_return buf;
}

inline asio::awaitable<void> sleep_ms(tcp::socket& s, int ms) {
  asio::steady_timer t(s.get_executor(), std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

inline ProbeContext context(asio::io_context& ioc, std::string_view ip, uint16_t port) {
  ProbeContext ctx;
  ctx.ex = ioc.get_executor();
  ctx.ip = *Ip::parse(ip);
  ctx.port = port;
  ctx.banner_wait = net::Millis(300);
  ctx.limits.io = net::Millis(1000);
  return ctx;
}

// The whole identification of 127.0.0.1:port (or `ip`:port for a real daemon).
inline ServiceObservation identify(uint16_t port, std::string_view ip = "127.0.0.1",
                                   net::Millis banner_wait = net::Millis(300)) {
  asio::io_context ioc;
  ProbeContext ctx = context(ioc, ip, port);
  ctx.banner_wait = banner_wait;
  auto fut = asio::co_spawn(ioc, identify_tcp(ctx), asio::use_future);
  ioc.run();
  return fut.get();
}

// One probe's run() on a fresh connection to 127.0.0.1:port, nothing read first; `ctx_port`
// is the port the probe is told it talks to (e.g. 9100 for a server on an ephemeral port).
inline std::optional<ServiceObservation> run_probe(const TcpProbe& probe, uint16_t port, uint16_t ctx_port = 0,
                                                   std::string_view ip = "127.0.0.1") {
  asio::io_context ioc;
  ProbeContext ctx = context(ioc, ip, port);
  auto task = [&]() -> asio::awaitable<std::optional<ServiceObservation>> {
    auto c = co_await net::Conn::connect(ctx.ex, ctx.ip, port, ctx.limits);
    if (!c) co_return std::nullopt;
    ProbeContext told = ctx;
    if (ctx_port) told.port = ctx_port;
    co_return co_await probe.run(**c, "", told);
  };
  auto fut = asio::co_spawn(ioc, task(), asio::use_future);
  ioc.run();
  return fut.get();
}

// "ip:port" from the environment variable `name` (a real daemon to check against), or nullopt.
inline std::optional<std::pair<std::string, uint16_t>> real_daemon(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  std::string s(v);
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(s.substr(0, colon), static_cast<uint16_t>(std::stoi(s.substr(colon + 1))));
}

}  // namespace mamori::probes::testing
