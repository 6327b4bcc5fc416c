// The lab server: binds every service of a scenario and serves them on one io_context thread.
//
// Listeners: either one socket per (device address, port) ("per-address"), or one wildcard
// socket per port that serves every device on that port, the device being chosen by the local
// (destination) address of each connection or datagram ("per-port"). "auto" picks per-address
// while the sockets fit in the descriptor limit, per-port beyond (e.g. 10,000 devices).
// Connections or datagrams whose destination is not a scenario device are dropped unanswered,
// and UDP replies go only to loopback or 198.18.0.0/15 peers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/expected.h"
#include "lab/scenario.h"
#include "lab/service.h"
#include "lab/tls.h"

namespace mamori::lab {

struct RunOptions {
  std::string bind_mode = "auto";  // auto | per-address | per-port
  ConnLimits limits;
  size_t max_connections = 4096;  // beyond this, new connections are closed at once
  size_t eager_tls_limit = 256;   // generate certificates at start up to this many TLS services
};

struct LabStats {
  size_t devices = 0, services = 0, listeners = 0;
  std::string bind_mode;
};

class Lab {
 public:
  // `scenario` must outlive the Lab.
  Lab(const Scenario& scenario, RunOptions options);
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  // Binds every listener. On failure nothing is served and the error names address and port
  // ("127.66.0.3:80/tcp: Address already in use"). Call once, before run().
  Expected<LabStats> start();
  // Serves until stop() (from any thread or a signal handler installed by the caller).
  void run();
  void stop();

  boost::asio::io_context& io() { return io_; }
  const Scenario& scenario() const { return scenario_; }
  TlsFactory& tls() { return tls_; }
  const RunOptions& options() const { return opt_; }
  size_t active_connections() const { return active_.load(); }

 private:
  struct Runtime;
  struct ConnState;
  template <class Stream>
  class ConnImpl;

  boost::asio::awaitable<void> accept_loop(size_t listener);
  boost::asio::awaitable<void> serve_conn(boost::asio::ip::tcp::socket sock);
  boost::asio::awaitable<void> udp_loop(size_t listener);
  Runtime* lookup(uint32_t addr, Transport t, uint16_t port);

  const Scenario& scenario_;
  RunOptions opt_;
  boost::asio::io_context io_{1};
  TlsFactory tls_;
  std::vector<std::unique_ptr<Runtime>> runtimes_;
  std::unordered_map<uint64_t, Runtime*> by_key_;
  struct Listener;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::atomic<size_t> active_{0};
  bool stopping_ = false;
};

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the resulting soft limit.
uint64_t raise_fd_limit();

}  // namespace mamori::lab
