// The sweep against real listeners on several loopback addresses (127.x.y.z and ::1).
#include "engine/tcp_sweep.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <set>

#include "core/target_spec.h"

namespace mamori {
namespace {

// A listening socket that never accepts (the kernel completes handshakes into its backlog).
class Listener {
 public:
  Listener(const std::string& ip, uint16_t port) {
    Ip addr = *Ip::parse(ip);
    if (addr.is_v4()) {
      fd_ = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(port);
      sa.sin_addr.s_addr = htonl(addr.v4());
      ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    } else {
      fd_ = socket(AF_INET6, SOCK_STREAM, 0);
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_port = htons(port);
      addr.to_bytes(sa.sin6_addr.s6_addr);
      ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    }
    ok_ = ok_ && listen(fd_, 128) == 0;
  }
  ~Listener() { close(fd_); }
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

// True if nothing holds `port` on any address (a wildcard bind would fail otherwise).
bool port_free(uint16_t port) {
  for (int family : {AF_INET, AF_INET6}) {
    int fd = socket(family, SOCK_STREAM, 0);
    int rc;
    if (family == AF_INET) {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(port);
      rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    } else {
      int only = 1;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_port = htons(port);
      rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    }
    close(fd);
    if (rc != 0) return false;
  }
  return true;
}

// A base port b such that b .. b+n-1 are free everywhere (below the ephemeral range).
uint16_t free_range(unsigned n) {
  std::mt19937 rng(std::random_device{}());
  for (int tries = 0; tries < 200; ++tries) {
    uint16_t base = static_cast<uint16_t>(20000 + rng() % 10000);
    bool ok = true;
    for (unsigned i = 0; i < n && ok; ++i) ok = port_free(static_cast<uint16_t>(base + i));
    if (ok) return base;
  }
  return 0;
}

class Collector : public ScanObserver {
 public:
  void on_port(const PortObservation& p) override {
    std::lock_guard lock(mu);
    ports[{p.ip.str(), p.port}] = p.state;
  }
  void on_host(HostObservation&& h) override {
    std::lock_guard lock(mu);
    hosts.push_back(std::move(h));
  }
  std::mutex mu;
  std::map<std::pair<std::string, uint16_t>, PortState> ports;
  std::vector<HostObservation> hosts;
};

TargetSet targets_of(std::vector<std::string> args) {
  Targets t;
  EXPECT_TRUE(parse_targets(args, TargetParseOptions{}, t));
  t.set.size();
  return t.set;
}

struct SweepCase {
  unsigned threads;
  unsigned concurrency;
  double rate;
};

class SweepTest : public ::testing::TestWithParam<SweepCase> {};

TEST_P(SweepTest, ReportsExactlyTheListeningPorts) {
  const unsigned kPorts = 60;
  uint16_t base = free_range(kPorts);
  ASSERT_NE(base, 0) << "no free port range";
  std::set<std::pair<std::string, uint16_t>> want = {
      {"127.77.0.1", base + 0}, {"127.77.0.1", base + 7}, {"127.77.0.2", base + 59},
      {"127.77.0.4", base + 13}, {"::1", base + 21},       {"::1", base + 22}};
  std::vector<std::unique_ptr<Listener>> listeners;
  for (const auto& [ip, port] : want) {
    listeners.push_back(std::make_unique<Listener>(ip, port));
    ASSERT_TRUE(listeners.back()->ok()) << ip << ":" << port;
  }
  TargetSet set = targets_of({"127.77.0.1-127.77.0.4", "::1"});
  SweepOptions opt;
  for (unsigned i = 0; i < kPorts; ++i) opt.tcp_ports.push_back(static_cast<uint16_t>(base + i));
  opt.seed = 99;
  opt.threads = GetParam().threads;
  opt.concurrency = GetParam().concurrency;
  opt.rate = GetParam().rate;
  opt.report_all_states = true;
  opt.timeout = std::chrono::milliseconds(2000);
  Collector c;
  TcpSweep sweep(set, opt, c);
  ASSERT_TRUE(sweep.run());

  EXPECT_EQ(c.ports.size(), 5u * kPorts);  // every probe reported once (all states)
  std::set<std::pair<std::string, uint16_t>> open;
  for (const auto& [key, state] : c.ports) {
    if (state == PortState::open) open.insert(key);
    else EXPECT_EQ(state, PortState::closed) << key.first << ":" << key.second;
  }
  EXPECT_EQ(open, want);
  EXPECT_EQ(sweep.counters().hosts_done.load(), 5u);
  EXPECT_EQ(sweep.counters().probes_done.load(), 5u * kPorts);
  ASSERT_EQ(c.hosts.size(), 5u);
  for (const auto& h : c.hosts) {
    EXPECT_TRUE(h.complete);
    EXPECT_EQ(h.open.size() + h.closed + h.filtered, kPorts) << h.ip.str();
    EXPECT_TRUE(std::is_sorted(h.open.begin(), h.open.end(),
                               [](const auto& a, const auto& b) { return a.port < b.port; }));
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, SweepTest,
                         ::testing::Values(SweepCase{1, 1, 0}, SweepCase{1, 64, 0},
                                           SweepCase{2, 512, 0}, SweepCase{2, 16, 2000}));

// An address that drops SYNs silently is not available on plain loopback, but a port nobody
// answers on within the deadline is: a listener whose backlog is full.
TEST(Sweep, TimeoutsBecomeFilteredAfterRetries) {
  uint16_t port = free_range(1);
  ASSERT_NE(port, 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(0x7f4d0009);  // 127.77.0.9
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(fd, 0), 0);
  // Fill the accept queue so that further SYNs are dropped.
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    fillers.push_back(c);
  }
  usleep(100000);
  TargetSet set = targets_of({"127.77.0.9"});
  SweepOptions opt;
  opt.tcp_ports = {port};
  opt.timeout = std::chrono::milliseconds(150);
  opt.retries = 2;
  opt.report_all_states = true;
  Collector c;
  TcpSweep sweep(set, opt, c);
  ASSERT_TRUE(sweep.run());
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports.begin()->second, PortState::filtered);
  EXPECT_EQ(sweep.counters().attempts.load(), 3u);  // one attempt and two retries
  for (int f : fillers) close(f);
  close(fd);
}

TEST(Sweep, StopKeepsResultsAndMarksHostsIncomplete) {
  uint16_t base = free_range(1);
  ASSERT_NE(base, 0);
  Listener l("127.77.0.20", base);
  ASSERT_TRUE(l.ok());
  TargetSet set = targets_of({"127.77.0.20"});
  SweepOptions opt;
  for (int p = 1; p <= 600; ++p) opt.tcp_ports.push_back(static_cast<uint16_t>(p));
  opt.tcp_ports.push_back(base);
  // A seed whose walk reaches the open port within its first quarter.
  for (opt.seed = 1;; ++opt.seed) {
    Dispatcher d(set, opt.tcp_ports, opt.seed, ShardSpec{});
    auto chunk = d.next_chunk();
    unsigned pos = 0;
    bool early = false;
    do {
      while (auto e = chunk->walk.next()) {
        if (d.port_at(*e) == base) early = pos < 150;
        ++pos;
      }
    } while ((chunk = d.next_chunk()));
    if (early) break;
  }
  opt.rate = 200;  // 3 s for the whole host: slow enough to stop half-way
  opt.threads = 1;
  Collector c;
  TcpSweep sweep(set, opt, c);
  std::thread stopper([&] {
    for (int i = 0; i < 500 && sweep.counters().open.load() == 0; ++i) usleep(10000);
    sweep.stop();
  });
  bool complete = sweep.run();
  stopper.join();
  EXPECT_FALSE(complete);
  EXPECT_LT(sweep.counters().probes_done.load(), opt.tcp_ports.size());
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports.begin()->first.second, base);
  ASSERT_EQ(c.hosts.size(), 1u);
  EXPECT_FALSE(c.hosts[0].complete);
  ASSERT_EQ(c.hosts[0].open.size(), 1u);
  EXPECT_EQ(c.hosts[0].open[0].port, base);
}

}  // namespace
}  // namespace mamori
