#include "engine/discovery.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace mamori {
namespace {

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

namespace {

// One family's sweep: ICMP echo (v4) or ICMPv6 echo (v6) to every target of that family.
std::optional<IcmpSweepStats> sweep(const TargetSet& targets, const IcmpSweepOptions& opt, Discovered& out,
                                    std::string* error, bool v6) {
  IcmpSweepStats st;
  const u128 n = targets.size();
  if (n > opt.max_targets) {
    if (error) *error = "too many targets for an ICMP sweep";
    return std::nullopt;
  }
  bool any = false;
  for (u128 i = 0; i < n && !any; ++i) any = targets.at(static_cast<uint64_t>(i)).is_v4() != v6;
  if (!any) return st;  // nothing of this family: no socket, nothing sent

  const int family = v6 ? AF_INET6 : AF_INET;
  const int proto = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  const uint8_t echo = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  const uint8_t reply = v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
  Fd s;
  s.fd = ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  st.socket_kind = "raw";
  if (s.fd < 0) {
    s.fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    st.socket_kind = "ping";
  }
  if (s.fd < 0) {
    if (error) {
      *error = std::string("no ") + (v6 ? "ICMPv6" : "ICMP") +
               " socket (raw needs CAP_NET_RAW; ping sockets need net.ipv4.ping_group_range): " + std::strerror(errno);
    }
    return std::nullopt;
  }
  const bool raw = st.socket_kind == "raw";
  if (raw && v6) {  // a raw ICMPv6 socket sees every ICMPv6 packet (NDP too): take echo replies only
    icmp6_filter f;
    ICMP6_FILTER_SETBLOCKALL(&f);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
    (void)::setsockopt(s.fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
  }
  const uint16_t ident = static_cast<uint16_t>(::getpid() ^ 0x6d61);  // "ma"
  auto drain = [&] {
    uint8_t buf[1500];
    for (;;) {
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      ssize_t r = ::recvfrom(s.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (r <= 0) return;
      size_t off = 0;
      if (raw && !v6) {  // a raw IPv4 socket delivers the IP header (IPv6 raw sockets do not)
        if (r < 20) continue;
        off = static_cast<size_t>(buf[0] & 0x0f) * 4;
      }
      if (static_cast<size_t>(r) < off + 8) continue;
      const uint8_t* icmp = buf + off;
      if (icmp[0] != reply) continue;
      if (raw && (icmp[4] << 8 | icmp[5]) != ident) continue;  // another program's ping
      Ip ip;
      if (v6) {
        if (from.ss_family != AF_INET6 || len < static_cast<socklen_t>(sizeof(sockaddr_in6))) continue;
        ip = Ip::from_bytes(reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr.s6_addr);
      } else {
        if (from.ss_family != AF_INET || len < static_cast<socklen_t>(sizeof(sockaddr_in))) continue;
        ip = Ip::from_v4(ntohl(reinterpret_cast<const sockaddr_in*>(&from)->sin_addr.s_addr));
      }
      if (!targets.contains(ip)) continue;  // only what we were asked about
      auto [it, fresh] = out.try_emplace(ip);
      if (fresh || it->second.alive_by.empty()) it->second.alive_by = "icmp";
      ++st.answered;
    }
  };
  const auto gap = opt.rate > 0 ? std::chrono::nanoseconds(static_cast<int64_t>(1e9 / opt.rate)) : std::chrono::nanoseconds(0);
  auto next = std::chrono::steady_clock::now();
  uint16_t seq = 0;
  for (u128 i = 0; i < n; ++i) {
    Ip ip = targets.at(static_cast<uint64_t>(i));
    if (ip.is_v4() == v6) continue;
    // The kernel fills the ICMPv6 checksum (RFC 3542 3.1) and, on ping sockets, the identifier.
    uint8_t pkt[16] = {echo, 0, 0, 0, static_cast<uint8_t>(ident >> 8), static_cast<uint8_t>(ident),
                       static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 'm', 'a', 'm', 'o', 'r', 'i', 0, 0};
    ++seq;
    ssize_t w;
    if (v6) {
      sockaddr_in6 to{};
      to.sin6_family = AF_INET6;
      ip.to_bytes(to.sin6_addr.s6_addr);
      w = ::sendto(s.fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    } else {
      const uint16_t c = checksum(pkt, sizeof pkt);
      pkt[2] = static_cast<uint8_t>(c >> 8);
      pkt[3] = static_cast<uint8_t>(c);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = htonl(ip.v4());
      w = ::sendto(s.fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    if (w == static_cast<ssize_t>(sizeof pkt)) ++st.sent;
    drain();
    if (gap.count() > 0) {
      next += gap;
      std::this_thread::sleep_until(next);
    }
  }
  const auto until = std::chrono::steady_clock::now() + opt.wait;
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{s.fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) > 0) drain();
  }
  return st;
}

}  // namespace

std::optional<IcmpSweepStats> icmp_sweep(const TargetSet& targets, const IcmpSweepOptions& opt, Discovered& out,
                                         std::string* error) {
  return sweep(targets, opt, out, error, false);
}

std::optional<IcmpSweepStats> icmp6_sweep(const TargetSet& targets, const IcmpSweepOptions& opt, Discovered& out,
                                          std::string* error) {
  return sweep(targets, opt, out, error, true);
}

std::map<Ip, std::string> parse_proc_net_arp(std::string_view text) {
  std::map<Ip, std::string> out;
  size_t lines = 0;
  while (!text.empty() && lines++ < 65536) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (lines == 1 || line.size() > 512) continue;  // the header
    std::istringstream in{std::string(line)};
    std::string ip, hw, flags, mac;
    if (!(in >> ip >> hw >> flags >> mac)) continue;
    if (flags != "0x2" && flags != "0x6") continue;  // complete (0x2), or complete + permanent
    if (mac.size() != 17 || mac == "00:00:00:00:00:00") continue;
    bool ok = true;
    for (size_t i = 0; i < mac.size(); ++i) {
      const char ch = mac[i];
      ok = ok && (i % 3 == 2 ? ch == ':' : std::isxdigit(static_cast<unsigned char>(ch)) != 0);
    }
    auto a = Ip::parse(ip);
    if (!ok || !a || !a->is_v4()) continue;
    for (auto& ch : mac) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out[*a] = mac;
  }
  return out;
}

std::map<Ip, std::string> read_neighbours() {
  std::map<Ip, std::string> out = read_neighbours6();
  std::ifstream f("/proc/net/arp");
  if (!f) return out;
  std::string text;
  text.resize(1 << 20);
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(f.gcount()));
  for (auto& [ip, mac] : parse_proc_net_arp(text)) out[ip] = std::move(mac);
  return out;
}

}  // namespace mamori
