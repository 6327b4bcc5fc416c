#include "lab/lab.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace mamori::lab {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxDatagram = 9000;

uint64_t key_of(uint32_t addr, Transport t, uint16_t port) {
  return (uint64_t{addr} << 24) | (uint64_t{t == Transport::udp} << 16) | port;
}

bool reply_allowed(uint32_t peer) {
  return (peer >> 24) == 127 || (peer & 0xfffe0000u) == 0xc6120000u;
}
}  // namespace

uint64_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : rl.rlim_cur;
}

struct Lab::Runtime {
  const Device* device;
  const Service* service;
  const ServiceKind* kind;
  std::unique_ptr<ServiceState> state;
  std::shared_ptr<asio::ssl::context> tls;
};

struct Lab::Listener {
  Transport transport;
  uint32_t addr;  // 0 = wildcard
  uint16_t port;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<udp::socket> dgram;
};

// Shared between a connection's coroutine and its watchdog.
struct Lab::ConnState {
  ConnState(asio::any_io_executor ex, int fd) : fd(fd), timer(ex) {}
  int fd;  // shut down (not closed) by the watchdog: pending reads and writes then fail
  uint32_t local = 0, peer = 0;
  uint16_t peer_port = 0;
  asio::steady_timer timer;
  Clock::time_point deadline;
  Clock::time_point hard_deadline;
  bool done = false;
};

template <class Stream>
class Lab::ConnImpl final : public Conn {
 public:
  ConnImpl(Stream& stream, ConnState& st, const ConnLimits& lim, bool tls)
      : s_(stream), st_(st), lim_(lim), tls_(tls), local_(st.local), peer_(st.peer), peer_port_(st.peer_port) {}

  asio::awaitable<std::optional<std::string>> read_line(size_t max) override {
    if (max == 0) max = lim_.max_line;
    size_t scanned = 0;
    for (;;) {
      auto nl = buf_.find('\n', scanned);
      if (nl != std::string::npos) {
        if (nl > max) co_return std::nullopt;
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        co_return line;
      }
      scanned = buf_.size();
      if (buf_.size() > max) co_return std::nullopt;
      if (!co_await fill()) co_return std::nullopt;
    }
  }

  asio::awaitable<std::optional<std::string>> read_exact(size_t n) override {
    while (buf_.size() < n) {
      if (n > lim_.max_bytes || !co_await fill()) co_return std::nullopt;
    }
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    co_return out;
  }

  asio::awaitable<std::optional<std::string>> read_some(size_t max) override {
    if (buf_.empty() && !co_await fill()) co_return std::nullopt;
    size_t n = std::min(max, buf_.size());
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    co_return out;
  }

  asio::awaitable<bool> write(std::string_view bytes) override {
    auto [ec, n] = co_await asio::async_write(s_, asio::buffer(bytes.data(), bytes.size()), kTuple);
    if (ec) co_return false;
    touch();
    co_return true;
  }

  uint32_t local_address() const override { return local_; }
  uint32_t peer_address() const override { return peer_; }
  uint16_t peer_port() const override { return peer_port_; }
  bool tls() const override { return tls_; }
  const ConnLimits& limits() const override { return lim_; }
  asio::any_io_executor executor() override { return st_.timer.get_executor(); }
  void touch() override { st_.deadline = std::min(Clock::now() + lim_.idle, st_.hard_deadline); }

 private:
  // Reads more bytes into buf_, counting them against the connection's byte budget.
  asio::awaitable<bool> fill() {
    if (total_ >= lim_.max_bytes) co_return false;
    char tmp[4096];
    size_t want = std::min(sizeof tmp, lim_.max_bytes - total_);
    auto [ec, n] = co_await s_.async_read_some(asio::buffer(tmp, want), kTuple);
    if (ec || n == 0) co_return false;
    total_ += n;
    buf_.append(tmp, n);
    touch();
    co_return true;
  }

  Stream& s_;
  ConnState& st_;
  const ConnLimits& lim_;
  bool tls_;
  std::string buf_;
  size_t total_ = 0;
  uint32_t local_ = 0, peer_ = 0;
  uint16_t peer_port_ = 0;
};

Lab::Lab(const Scenario& scenario, RunOptions options) : scenario_(scenario), opt_(std::move(options)) {}
Lab::~Lab() = default;

Lab::Runtime* Lab::lookup(uint32_t addr, Transport t, uint16_t port) {
  auto it = by_key_.find(key_of(addr, t, port));
  return it == by_key_.end() ? nullptr : it->second;
}

Expected<LabStats> Lab::start() {
  uint64_t fds = raise_fd_limit();
  size_t tls_count = 0;
  for (const auto& d : scenario_.devices) {
    for (const auto& s : d.services) {
      auto rt = std::make_unique<Runtime>();
      rt->device = &d;
      rt->service = &s;
      rt->kind = find_kind(s.kind);
      if (rt->kind->make_state) rt->state = rt->kind->make_state(d, s);
      if (s.tls.enabled) ++tls_count;
      by_key_[key_of(d.address, s.transport, s.port)] = rt.get();
      runtimes_.push_back(std::move(rt));
    }
  }
  if (tls_count <= opt_.eager_tls_limit) {
    for (auto& rt : runtimes_) {
      if (!rt->service->tls.enabled) continue;
      auto ctx = tls_.make_context(*rt->device, *rt->service);
      if (!ctx) return make_error(fmt::format("{}:{}: TLS setup: {}", ipv4_str(rt->device->address), rt->service->port, ctx.error().message));
      rt->tls = *ctx;
    }
  }

  std::string mode = opt_.bind_mode;
  size_t reserve = opt_.max_connections + 256;
  if (mode == "auto") mode = runtimes_.size() + reserve <= fds ? "per-address" : "per-port";
  if (mode != "per-address" && mode != "per-port") return make_error(fmt::format("unknown bind mode {}", mode));

  std::set<std::tuple<int, uint32_t, uint16_t>> wanted;
  for (auto& rt : runtimes_) {
    uint32_t a = mode == "per-port" ? 0 : rt->device->address;
    wanted.insert({static_cast<int>(rt->service->transport), a, rt->service->port});
  }
  if (wanted.size() + reserve > fds && mode == "per-address")
    return make_error(fmt::format("{} listening sockets exceed the descriptor limit {}; use --bind per-port", wanted.size(), fds));

  for (auto& [t, addr, port] : wanted) {
    auto l = std::make_unique<Listener>();
    l->transport = static_cast<Transport>(t);
    l->addr = addr;
    l->port = port;
    auto ip = asio::ip::address_v4(addr);
    std::string where = fmt::format("{}:{}/{}", ip.to_string(), port, l->transport == Transport::tcp ? "tcp" : "udp");
    error_code ec;
    if (l->transport == Transport::tcp) {
      l->acceptor = std::make_unique<tcp::acceptor>(io_);
      tcp::endpoint ep(ip, port);
      l->acceptor->open(ep.protocol(), ec);
      if (!ec) l->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) l->acceptor->bind(ep, ec);
      if (!ec) l->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    } else {
      l->dgram = std::make_unique<udp::socket>(io_);
      udp::endpoint ep(ip, port);
      l->dgram->open(ep.protocol(), ec);
      if (!ec) {
        int on = 1;
        if (setsockopt(l->dgram->native_handle(), IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0)
          ec = error_code(errno, boost::system::system_category());
      }
      if (!ec) l->dgram->bind(ep, ec);
      if (!ec) l->dgram->non_blocking(true, ec);
    }
    if (ec) {
      listeners_.clear();
      return make_error(fmt::format("cannot bind {}: {}", where, ec.message()));
    }
    listeners_.push_back(std::move(l));
  }
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i]->transport == Transport::tcp)
      asio::co_spawn(io_, accept_loop(i), asio::detached);
    else
      asio::co_spawn(io_, udp_loop(i), asio::detached);
  }
  return LabStats{scenario_.devices.size(), runtimes_.size(), listeners_.size(), mode};
}

void Lab::run() { io_.run(); }

void Lab::stop() {
  asio::post(io_, [this] {
    stopping_ = true;
    for (auto& l : listeners_) {
      error_code ec;
      if (l->acceptor) l->acceptor->close(ec);
      if (l->dgram) l->dgram->close(ec);
    }
    io_.stop();
  });
}

asio::awaitable<void> Lab::accept_loop(size_t index) {
  Listener& l = *listeners_[index];
  while (!stopping_) {
    auto [ec, sock] = co_await l.acceptor->async_accept(kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) co_return;
      // EMFILE and friends: back off briefly instead of spinning.
      asio::steady_timer t(io_, std::chrono::milliseconds(50));
      co_await t.async_wait(kTuple);
      continue;
    }
    if (active_.load() >= opt_.max_connections) continue;  // sock closes here
    asio::co_spawn(io_, serve_conn(std::move(sock)), asio::detached);
  }
}

asio::awaitable<void> Lab::serve_conn(tcp::socket sock) {
  error_code ec;
  auto local = sock.local_endpoint(ec);
  if (ec || !local.address().is_v4()) co_return;
  Runtime* rt = lookup(local.address().to_v4().to_uint(), Transport::tcp, local.port());
  if (!rt || !rt->kind->serve_tcp) co_return;  // not a device address: close unanswered
  sock.set_option(tcp::no_delay(true), ec);

  ++active_;
  auto st = std::make_shared<ConnState>(sock.get_executor(), sock.native_handle());
  st->local = local.address().to_v4().to_uint();
  auto remote = sock.remote_endpoint(ec);
  if (!ec && remote.address().is_v4()) {
    st->peer = remote.address().to_v4().to_uint();
    st->peer_port = remote.port();
  }
  auto now = Clock::now();
  st->hard_deadline = now + opt_.limits.lifetime;
  st->deadline = std::min(now + opt_.limits.idle, st->hard_deadline);
  // Watchdog: closes the socket once the deadline passes without activity.
  asio::co_spawn(io_, [st]() -> asio::awaitable<void> {
    while (!st->done) {
      st->timer.expires_at(st->deadline);
      co_await st->timer.async_wait(kTuple);
      if (!st->done && Clock::now() >= st->deadline) {
        ::shutdown(st->fd, SHUT_RDWR);
        co_return;
      }
    }
  }, asio::detached);

  ServiceEnv env{*rt->device, *rt->service, rt->state.get(), *this};
  try {
    if (rt->service->tls.enabled) {
      if (!rt->tls) {
        auto ctx = tls_.make_context(*rt->device, *rt->service);
        if (ctx) rt->tls = *ctx;
      }
      if (rt->tls) {
        asio::ssl::stream<tcp::socket> tls(std::move(sock), *rt->tls);
        auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::server, kTuple);
        if (!hec) {
          ConnImpl<asio::ssl::stream<tcp::socket>> conn(tls, *st, opt_.limits, true);
          co_await rt->kind->serve_tcp(conn, env);
          auto [sec] = co_await tls.async_shutdown(kTuple);
          (void)sec;
        }
        st->done = true;
        tls.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
      }
    } else {
      ConnImpl<tcp::socket> conn(sock, *st, opt_.limits, false);
      co_await rt->kind->serve_tcp(conn, env);
    }
  } catch (const std::exception&) {
    // A service bug must not take the lab down; the connection just ends.
  }
  st->done = true;
  st->timer.cancel();
  if (sock.is_open()) sock.shutdown(tcp::socket::shutdown_both, ec);
  --active_;
}

asio::awaitable<void> Lab::udp_loop(size_t index) {
  Listener& l = *listeners_[index];
  int fd = l.dgram->native_handle();
  std::vector<char> buf(kMaxDatagram);
  while (!stopping_) {
    auto [ec] = co_await l.dgram->async_wait(udp::socket::wait_read, kTuple);
    if (ec) co_return;
    for (int burst = 0; burst < 64; ++burst) {
      sockaddr_in peer{};
      iovec iov{buf.data(), buf.size()};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))];
      msghdr msg{};
      msg.msg_name = &peer;
      msg.msg_namelen = sizeof peer;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
      if (n < 0) break;
      if (msg.msg_flags & MSG_TRUNC) continue;  // oversized request: ignored
      uint32_t local = l.addr;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          local = ntohl(pi.ipi_addr.s_addr);
        }
      }
      uint32_t peer_addr = ntohl(peer.sin_addr.s_addr);
      if (!reply_allowed(peer_addr)) continue;
      Runtime* rt = lookup(local, Transport::udp, l.port);
      if (!rt || !rt->kind->serve_udp) continue;
      ServiceEnv env{*rt->device, *rt->service, rt->state.get(), *this};
      std::optional<std::string> reply;
      try {
        reply = rt->kind->serve_udp(std::string_view(buf.data(), static_cast<size_t>(n)), env);
      } catch (const std::exception&) {
        continue;
      }
      if (!reply || reply->empty() || reply->size() > 65000) continue;
      // Reply from the device address the request was sent to.
      iovec out{reply->data(), reply->size()};
      alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(in_pktinfo))] = {};
      msghdr m{};
      m.msg_name = &peer;
      m.msg_namelen = sizeof peer;
      m.msg_iov = &out;
      m.msg_iovlen = 1;
      m.msg_control = ctl;
      m.msg_controllen = sizeof ctl;
      cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo pi{};
      pi.ipi_spec_dst.s_addr = htonl(local);
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
      sendmsg(fd, &m, MSG_DONTWAIT);
    }
  }
}

}  // namespace mamori::lab
