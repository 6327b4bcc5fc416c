#include "probes/multicast.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "probes/mdns/mdns_probe.h"
#include "probes/ssdp/ssdp_probe.h"
#include "probes/wsd/wsd_probe.h"
#include "proto/ssdp.h"
#include "proto/wsd.h"

namespace mamori::probes {
namespace {

constexpr std::string_view kMdnsGroupV4 = "224.0.0.251";  // RFC 6762
constexpr std::string_view kMdnsGroupV6 = "ff02::fb";     // RFC 6762
// UPnP's SSDP and WS-Discovery share the link-local group ff02::c (UDA 2.0 1.1.2; WS-Discovery
// 1.1 3.1.1).
constexpr std::string_view kSsdpWsdGroupV6 = "ff02::c";
constexpr uint16_t kMdnsPort = 5353;
constexpr size_t kMaxReplies = 4096;      // all sources together
constexpr size_t kMaxRepliesPerHost = 8;
constexpr size_t kMaxReplyBytes = 9000;
constexpr size_t kMaxInterfaces = 64;     // IPv6 interfaces a query is sent on

struct Query {
  const char* name;
  const UdpProbe* probe;
  ProbeContext ctx;  // the IPv4 group (the probes' parsers do not depend on the family)
  std::map<Ip, std::vector<std::string>> replies;
};

// One socket sending one query's request, IPv4 or on one IPv6 interface.
struct Sender {
  size_t query;
  int fd = -1;
};

// Whether the set holds an address of the family (IPv4 addresses are the v4-mapped block).
bool has_family(const TargetSet& targets, bool v6) {
  for (const auto& r : targets.ranges()) {
    const bool first4 = Ip::from_value(r.first).is_v4(), last4 = Ip::from_value(r.last).is_v4();
    if (v6 ? !(first4 && last4) : (first4 || last4)) return true;
  }
  return false;
}

// Interfaces that are up, multicast-capable and not loopback, each with one address of global
// scope: link-local groups are sent per interface, from that address, so that devices answer
// to (and from) addresses the target list can name rather than link-local ones.
std::vector<std::pair<unsigned, in6_addr>> v6_interfaces() {
  std::vector<std::pair<unsigned, in6_addr>> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a && out.size() < kMaxInterfaces; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET6 || !a->ifa_name) continue;
    if (!(a->ifa_flags & IFF_UP) || !(a->ifa_flags & IFF_MULTICAST) || (a->ifa_flags & IFF_LOOPBACK)) continue;
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
    if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) || IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) continue;
    unsigned index = ::if_nametoindex(a->ifa_name);
    if (index == 0) continue;
    bool seen = false;
    for (const auto& [i, addr] : out) seen = seen || i == index;
    if (!seen) out.emplace_back(index, sin6->sin6_addr);
  }
  ::freeifaddrs(list);
  return out;
}

int v4_sender(std::string_view group, uint16_t port, const std::string& req) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const unsigned char ttl = 1, loop = 0;
  ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
  ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, std::string(group).c_str(), &to.sin_addr);
  (void)::sendto(fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  return fd;
}

int v6_sender(std::string_view group, uint16_t port, const std::string& req, unsigned ifindex, const in6_addr& src) {
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in6 from{};
  from.sin6_family = AF_INET6;
  from.sin6_addr = src;
  const int hops = 1, loop = 0, v6only = 1;
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex) != 0 ||
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0) {
    ::close(fd);  // never send without the hop limit of 1 on the chosen interface
    return -1;
  }
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof loop);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons(port);
  to.sin6_scope_id = ifindex;
  ::inet_pton(AF_INET6, std::string(group).c_str(), &to.sin6_addr);
  (void)::sendto(fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  return fd;
}

}  // namespace

std::map<std::string, int> multicast_discover(const TargetSet& targets, const MulticastOptions& opt, Discovered& out) {
  struct Spec {
    const char* name;
    const UdpProbe* probe;
    std::string_view group4, group6;
    uint16_t port;
  };
  const Spec specs[] = {{"ssdp", &ssdp_probe(), proto::ssdp::kMulticastV4, kSsdpWsdGroupV6, proto::ssdp::kPort},
                        {"mdns", &mdns_probe(), kMdnsGroupV4, kMdnsGroupV6, kMdnsPort},
                        {"wsd", &wsd_probe(), proto::wsd::kMulticastV4, kSsdpWsdGroupV6, proto::wsd::kPort}};
  std::vector<Query> qs;
  std::vector<Sender> senders;
  // Each family's groups only when the targets hold an address of that family.
  const bool v4 = has_family(targets, false);
  const auto ifaces = has_family(targets, true) ? v6_interfaces() : std::vector<std::pair<unsigned, in6_addr>>{};
  for (size_t i = 0; i < std::size(specs); ++i) {
    const Spec& sp = specs[i];
    Query q{sp.name, sp.probe, {}, {}};
    q.ctx.ip = *Ip::parse(sp.group4);
    q.ctx.port = sp.port;
    if (v4) senders.push_back({i, v4_sender(sp.group4, sp.port, sp.probe->request(q.ctx))});
    if (!ifaces.empty()) {
      ProbeContext c6 = q.ctx;
      c6.ip = *Ip::parse(sp.group6);  // SSDP's HOST names the group it was sent to
      const std::string req6 = sp.probe->request(c6);
      for (const auto& [index, src] : ifaces) senders.push_back({i, v6_sender(sp.group6, sp.port, req6, index, src)});
    }
    qs.push_back(std::move(q));
  }
  size_t total = 0;
  const auto until = std::chrono::steady_clock::now() + opt.wait;
  std::vector<char> buf(kMaxReplyBytes);
  while (std::chrono::steady_clock::now() < until) {
    std::vector<pollfd> fds;
    for (const auto& sd : senders) fds.push_back({sd.fd, POLLIN, 0});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
    for (size_t i = 0; i < senders.size(); ++i) {
      if (senders[i].fd < 0 || !(fds[i].revents & POLLIN)) continue;
      Query& q = qs[senders[i].query];
      for (;;) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t r = ::recvfrom(senders[i].fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (r < 0) break;
        Ip ip;
        if (from.ss_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
          ip = Ip::from_v4(ntohl(reinterpret_cast<const sockaddr_in*>(&from)->sin_addr.s_addr));
        } else if (from.ss_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
          uint8_t b[16];
          std::memcpy(b, &reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr, 16);
          ip = Ip::from_bytes(b);
        } else {
          continue;
        }
        if (!targets.contains(ip) || total >= kMaxReplies) continue;  // never reported, never kept
        auto& list = q.replies[ip];
        if (list.size() >= kMaxRepliesPerHost) continue;
        list.emplace_back(buf.data(), static_cast<size_t>(r));
        ++total;
      }
    }
  }
  for (const auto& sd : senders) {
    if (sd.fd >= 0) ::close(sd.fd);
  }
  std::map<std::string, int> counts;
  for (auto& q : qs) {
    counts[q.name] = 0;
    for (const auto& [ip, replies] : q.replies) {
      if (!q.probe->parse(replies, q.ctx)) continue;  // not an answer of this protocol
      auto [it, fresh] = out.try_emplace(ip);
      if (it->second.alive_by.empty()) it->second.alive_by = q.name;
      ++counts[q.name];
    }
  }
  return counts;
}

}  // namespace mamori::probes
