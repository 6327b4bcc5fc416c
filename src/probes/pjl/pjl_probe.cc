#include "probes/pjl/pjl_probe.h"

#include <algorithm>
#include <cctype>

namespace mamori::probes {
namespace {

constexpr size_t kMaxReply = 4 * 1024;
constexpr Millis kWait{2000};
constexpr size_t kMaxId = 128;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

}  // namespace

std::optional<std::string> parse_pjl_info_id(std::string_view reply) {
  reply = reply.substr(0, kMaxReply);
  static constexpr std::string_view kEcho = "@PJL INFO ID";
  auto it = std::search(reply.begin(), reply.end(), kEcho.begin(), kEcho.end(), [](char a, char b) {
    return std::toupper(static_cast<unsigned char>(a)) == b;
  });
  if (it == reply.end()) return std::nullopt;
  std::string_view rest = reply.substr(static_cast<size_t>(it - reply.begin()) + kEcho.size());
  size_t eol = rest.find_first_of("\r\n");
  if (eol == std::string_view::npos) return std::string();
  rest = rest.substr(eol);
  size_t start = 0;
  while (start < rest.size() && is_blank(rest[start])) ++start;
  rest = rest.substr(start);
  std::string_view line = rest.substr(0, rest.find_first_of("\r\n\f\x1b"));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return net::printable(line, kMaxId);
}

namespace {

class PjlProbe : public TcpProbe {
 public:
  const ProbeInfo& info() const override {
    static const ProbeInfo i{"pjl", "JetDirect printer model via the read-only PJL INFO ID query",
                             Proto::tcp, {9100}, Safety::safe};
    return i;
  }
  int affinity(uint16_t port) const override { return port == 9100 ? 100 : -1; }

  Task<std::optional<ServiceObservation>> run(net::Conn& conn, std::string banner,
                                              const ProbeContext& ctx) const override {
    if (!banner.empty()) co_return std::nullopt;  // a print server never speaks first
    if (!co_await conn.write(kPjlInfoId)) co_return std::nullopt;
    std::string buf;
    // The answer ends with a form feed; stop there, at 4 KiB or after 2 s.
    co_await conn.read_until(buf, "\f", kWait, kMaxReply);
    auto id = parse_pjl_info_id(buf);
    if (!id) co_return std::nullopt;
    ServiceObservation obs = make_service(ctx, "jetdirect");
    if (!id->empty()) obs.fields["pjl.id"] = *id;
    co_return obs;
  }
};

}  // namespace

const TcpProbe& pjl_probe() {
  static const PjlProbe p;
  return p;
}

}  // namespace mamori::probes
