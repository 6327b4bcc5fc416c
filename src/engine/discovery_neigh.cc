// The IPv6 neighbour table over rtnetlink: the parser (pure, bounded, fuzzed by
// fuzz/engine/neigh_fuzz.cc) and the dump request.
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "engine/discovery.h"

namespace mamori {
namespace {

// Fixed-size views read with memcpy: the buffer gives no alignment guarantee to a parser.
template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

constexpr uint16_t kProvenStates = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;

std::string mac_text(const uint8_t* p) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  s.reserve(17);
  for (int i = 0; i < 6; ++i) {
    if (i) s += ':';
    s += hex[p[i] >> 4];
    s += hex[p[i] & 0xf];
  }
  return s;
}

// One RTM_NEWNEIGH payload (after the nlmsghdr), `n` bytes.
void parse_neigh(const uint8_t* p, size_t n, NeighbourDump& dump) {
  if (n < sizeof(ndmsg)) {
    dump.error = true;
    return;
  }
  const ndmsg nd = load<ndmsg>(p);
  if (nd.ndm_family != AF_INET && nd.ndm_family != AF_INET6) return;
  const size_t want = nd.ndm_family == AF_INET6 ? 16 : 4;
  const uint8_t* dst = nullptr;
  const uint8_t* ll = nullptr;
  size_t off = align4(sizeof(ndmsg));
  while (off + sizeof(rtattr) <= n) {
    const rtattr a = load<rtattr>(p + off);
    if (a.rta_len < sizeof(rtattr) || a.rta_len > n - off) {
      dump.error = true;  // an attribute longer than its message
      return;
    }
    const uint8_t* data = p + off + sizeof(rtattr);
    const size_t len = a.rta_len - sizeof(rtattr);
    if (a.rta_type == NDA_DST && len == want) dst = data;
    if (a.rta_type == NDA_LLADDR && len == 6) ll = data;
    off += align4(a.rta_len);
  }
  if (!dst || !ll || (nd.ndm_state & kProvenStates) == 0) return;
  static constexpr uint8_t kZero[6] = {};
  if (std::memcmp(ll, kZero, 6) == 0) return;
  Ip ip;
  if (want == 16) {
    if (dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)) return;  // multicast, link-local
    ip = Ip::from_bytes(dst);
  } else {
    ip = Ip::from_v4(static_cast<uint32_t>(dst[0]) << 24 | static_cast<uint32_t>(dst[1]) << 16 |
                     static_cast<uint32_t>(dst[2]) << 8 | dst[3]);
  }
  if (dump.macs.size() >= kMaxNeighbourEntries && !dump.macs.count(ip)) return;
  dump.macs[ip] = mac_text(ll);
}

}  // namespace

void parse_rtm_neigh(std::span<const uint8_t> bytes, NeighbourDump& dump, uint32_t seq) {
  size_t off = 0;
  const size_t n = bytes.size();
  while (off + sizeof(nlmsghdr) <= n) {
    const nlmsghdr h = load<nlmsghdr>(bytes.data() + off);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > n - off) {
      dump.error = true;  // a message longer than what was read, or shorter than its header
      return;
    }
    const uint8_t* payload = bytes.data() + off + sizeof(nlmsghdr);
    const size_t plen = h.nlmsg_len - sizeof(nlmsghdr);
    if (seq == 0 || h.nlmsg_seq == seq) {
      if (h.nlmsg_type == NLMSG_DONE) {
        dump.done = true;
        return;
      }
      if (h.nlmsg_type == NLMSG_ERROR) {
        dump.done = true;
        dump.error = plen < sizeof(int) || load<int>(payload) != 0;
        return;
      }
      if (h.nlmsg_type == RTM_NEWNEIGH) parse_neigh(payload, plen, dump);
    }
    off += align4(h.nlmsg_len);
  }
  if (off < n && n - off < sizeof(nlmsghdr)) dump.error = true;  // a cut header
}

std::map<Ip, std::string> read_neighbours6() {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) return {};
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct {
    nlmsghdr h;
    ndmsg nd;
  } req{};
  const uint32_t seq = static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1u;
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETNEIGH;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = seq;
  req.nd.ndm_family = AF_INET6;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) !=
      static_cast<ssize_t>(sizeof req)) {
    return {};
  }
  NeighbourDump dump;
  std::vector<uint8_t> buf(64 << 10);
  size_t total = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!dump.done && !dump.error && total < (16u << 20)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    sockaddr_nl from{};
    socklen_t flen = sizeof from;
    const ssize_t r = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (r <= 0) break;
    if (from.nl_pid != 0) continue;  // only the kernel speaks for the table
    total += static_cast<size_t>(r);
    parse_rtm_neigh(std::span<const uint8_t>(buf.data(), static_cast<size_t>(r)), dump, seq);
  }
  return std::move(dump.macs);
}

}  // namespace mamori
