// Test helpers for the UDP probes (shared by the snmp, ssdp, coap, echonet, wsd and mdns tests):
// an in-process UDP responder and a tiny HTTP server on loopback, each on its own thread, and a
// function that runs one UdpProbe the way identify_udp does (request, exchange, parse,
// follow_up). Unicast on 127.0.0.0/8 only.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include "probes/identify.h"
#include "probes/probe.h"

namespace mamori::probes::testing {
namespace asio = boost::asio;

// Answers every datagram with handler(request): each returned string is sent back as one
// datagram to the sender. Records the requests it saw.
class UdpResponder {
 public:
  using Handler = std::function<std::vector<std::string>(const std::string& request)>;
  explicit UdpResponder(Handler handler, const std::string& address = "127.0.0.1", uint16_t port = 0)
      : socket_(ioc_), handler_(std::move(handler)) {
    boost::system::error_code ec;
    asio::ip::udp::endpoint ep(asio::ip::make_address(address), port);
    socket_.open(ep.protocol(), ec);
    if (!ec) socket_.bind(ep, ec);
    if (ec) return;
    ok_ = true;
    asio::co_spawn(ioc_, loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~UdpResponder() {
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }
  bool ok() const { return ok_; }
  uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  asio::awaitable<void> loop() {
    std::string buf(65536, '\0');
    for (;;) {
      asio::ip::udp::endpoint from;
      auto [ec, n] = co_await socket_.async_receive_from(asio::buffer(buf), from,
                                                         asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      std::string req(buf.data(), n);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(req);
      }
      for (const auto& reply : handler_(req)) {
        co_await socket_.async_send_to(asio::buffer(reply), from, asio::as_tuple(asio::use_awaitable));
      }
    }
  }
  asio::io_context ioc_;
  asio::ip::udp::socket socket_;
  Handler handler_;
  bool ok_ = false;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

// Answers every TCP connection: reads the request head, then writes handler(head) and closes.
class HttpServer {
 public:
  using Handler = std::function<std::string(const std::string& request_head)>;
  explicit HttpServer(Handler handler, const std::string& address = "127.0.0.1")
      : acceptor_(ioc_, {asio::ip::make_address(address), 0}), handler_(std::move(handler)) {
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~HttpServer() {
    ioc_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(ioc_, serve(std::move(sock)), asio::detached);
    }
  }
  asio::awaitable<void> serve(asio::ip::tcp::socket s) {
    std::string buf;
    char tmp[4096];
    while (buf.find("\r\n\r\n") == std::string::npos && buf.size() < 65536) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(tmp), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      buf.append(tmp, n);
    }
    {
      std::lock_guard lock(mu_);
      requests_.push_back(buf);
    }
    std::string out = handler_(buf);
    co_await asio::async_write(s, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
    boost::system::error_code ec;
    s.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }
  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

inline std::string http_ok(const std::string& body, const std::string& type = "text/xml") {
  return "HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

inline ProbeContext context(asio::io_context& ioc, const std::string& ip, uint16_t port,
                            net::Millis wait = net::Millis(400)) {
  ProbeContext ctx;
  ctx.ex = ioc.get_executor();
  ctx.ip = *Ip::parse(ip);
  ctx.port = port;
  ctx.limits.io = wait;
  ctx.limits.connect = net::Millis(1000);
  return ctx;
}

// Runs `probe` against ip:port as identify_udp would.
inline std::optional<ServiceObservation> run_udp(const UdpProbe& probe, uint16_t port,
                                                 const std::string& ip = "127.0.0.1",
                                                 net::Millis wait = net::Millis(400)) {
  asio::io_context ioc;
  ProbeContext ctx = context(ioc, ip, port, wait);
  auto task = [&]() -> asio::awaitable<std::optional<ServiceObservation>> {
    auto replies = co_await net::udp_exchange(ctx.ex, ctx.ip, ctx.port, probe.request(ctx), ctx.limits.io);
    if (replies.empty()) co_return std::nullopt;
    auto obs = probe.parse(replies, ctx);
    if (obs) {
      obs->proto = Proto::udp;
      co_await probe.follow_up(*obs, ctx);
    }
    co_return obs;
  };
  auto fut = asio::co_spawn(ioc, task(), asio::use_future);
  ioc.run();
  return fut.get();
}

// identify_udp itself (the registry decides which probes run) against ip:port.
inline std::optional<ServiceObservation> identify_udp_at(const std::string& ip, uint16_t port,
                                                         net::Millis wait = net::Millis(400)) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, identify_udp(context(ioc, ip, port, wait)), asio::use_future);
  ioc.run();
  return fut.get();
}

// The request a probe would send to ip:port (for building answers in tests).
inline std::string request_for(const UdpProbe& probe, uint16_t port, const std::string& ip = "127.0.0.1") {
  asio::io_context ioc;
  return probe.request(context(ioc, ip, port));
}

// A real daemon for a test: started with fork+exec, ended by its PID (SIGTERM, then SIGKILL)
// when the object goes away. Never touches any other process.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::vector<std::pair<std::string, std::string>> env = {}) {
    pid_ = fork();
    if (pid_ == 0) {
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~ChildProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      usleep(20000);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// A UDP port on `address` that was free a moment ago.
inline uint16_t free_udp_port(const std::string& address) {
  asio::io_context ioc;
  asio::ip::udp::socket s(ioc);
  boost::system::error_code ec;
  asio::ip::udp::endpoint ep(asio::ip::make_address(address), 0);
  s.open(ep.protocol(), ec);
  if (!ec) s.bind(ep, ec);
  return ec ? 0 : s.local_endpoint().port();
}

// Retries `run` until it yields an observation (a daemon that is still starting), at most `tries`
// times, 100 ms apart.
template <class F>
std::optional<ServiceObservation> retry(F run, int tries = 40) {
  for (int i = 0; i < tries; ++i) {
    if (auto obs = run()) return obs;
    usleep(100000);  // a refused port answers at once: give the daemon time to bind
  }
  return std::nullopt;
}

inline std::string field(const ServiceObservation& obs, const std::string& key) {
  auto it = obs.fields.find(key);
  return it == obs.fields.end() ? "<absent>" : it->second;
}

}  // namespace mamori::probes::testing
