#include "probes/multicast.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "probes/mdns/mdns_probe.h"
#include "probes/ssdp/ssdp_probe.h"
#include "probes/wsd/wsd_probe.h"
#include "proto/ssdp.h"
#include "proto/wsd.h"

namespace mamori::probes {
namespace {

constexpr std::string_view kMdnsGroupV4 = "224.0.0.251";  // RFC 6762
constexpr uint16_t kMdnsPort = 5353;
constexpr size_t kMaxReplies = 4096;      // all sources together
constexpr size_t kMaxRepliesPerHost = 8;
constexpr size_t kMaxReplyBytes = 9000;

struct Query {
  const char* name;
  const UdpProbe* probe;
  std::string_view group;
  uint16_t port;
  int fd = -1;
  ProbeContext ctx;
  std::map<Ip, std::vector<std::string>> replies;
};

}  // namespace

std::map<std::string, int> multicast_discover(const TargetSet& targets, const MulticastOptions& opt, Discovered& out) {
  std::vector<Query> qs = {{"ssdp", &ssdp_probe(), proto::ssdp::kMulticastV4, proto::ssdp::kPort},
                           {"mdns", &mdns_probe(), kMdnsGroupV4, kMdnsPort},
                           {"wsd", &wsd_probe(), proto::wsd::kMulticastV4, proto::wsd::kPort}};
  size_t total = 0;
  for (auto& q : qs) {
    q.ctx.ip = *Ip::parse(q.group);
    q.ctx.port = q.port;
    q.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (q.fd < 0) continue;
    const unsigned char ttl = 1, loop = 0;
    ::setsockopt(q.fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
    ::setsockopt(q.fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
    const std::string req = q.probe->request(q.ctx);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(q.port);
    ::inet_pton(AF_INET, std::string(q.group).c_str(), &to.sin_addr);
    (void)::sendto(q.fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  const auto until = std::chrono::steady_clock::now() + opt.wait;
  std::vector<char> buf(kMaxReplyBytes);
  while (std::chrono::steady_clock::now() < until) {
    std::vector<pollfd> fds;
    for (auto& q : qs) fds.push_back({q.fd, POLLIN, 0});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
    for (size_t i = 0; i < qs.size(); ++i) {
      if (qs[i].fd < 0 || !(fds[i].revents & POLLIN)) continue;
      for (;;) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t r = ::recvfrom(qs[i].fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (r < 0) break;
        Ip ip = Ip::from_v4(ntohl(from.sin_addr.s_addr));
        if (!targets.contains(ip) || total >= kMaxReplies) continue;  // never reported, never kept
        auto& list = qs[i].replies[ip];
        if (list.size() >= kMaxRepliesPerHost) continue;
        list.emplace_back(buf.data(), static_cast<size_t>(r));
        ++total;
      }
    }
  }
  std::map<std::string, int> counts;
  for (auto& q : qs) {
    if (q.fd >= 0) ::close(q.fd);
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
