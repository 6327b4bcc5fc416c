#include "probes/ssh/ssh_probe.h"

namespace mamori::probes {
namespace {

class SshProbe : public TcpProbe {
 public:
  const ProbeInfo& info() const override {
    static const ProbeInfo i{"ssh", "SSH identification string", Proto::tcp, {22, 2222}, Safety::safe};
    return i;
  }
  bool claims_banner(std::string_view banner) const override { return banner.starts_with("SSH-"); }
  int affinity(uint16_t) const override { return -1; }  // speak-first only

  Task<std::optional<ServiceObservation>> run(net::Conn& conn, std::string banner,
                                              const ProbeContext& ctx) const override {
    // The identification line may arrive in pieces; RFC 4253 caps it at 255 bytes.
    if (banner.find('\n') == std::string::npos) co_await conn.read_until(banner, "\n", Millis(1000), 255);
    size_t eol = banner.find_first_of("\r\n");
    std::string line = banner.substr(0, std::min<size_t>(eol, 255));
    ServiceObservation obs = make_service(ctx, "ssh");
    obs.fields["ssh.version"] = net::printable(line);
    if (!parse_ssh_ident(line, obs.product, obs.version)) obs.behaviour = "garbage";
    co_return obs;
  }
};

}  // namespace

bool parse_ssh_ident(std::string_view line, std::string& product, std::string& version) {
  if (!line.starts_with("SSH-")) return false;
  size_t dash = line.find('-', 4);  // after the protocol version
  if (dash == std::string_view::npos) return false;
  std::string_view soft = line.substr(dash + 1);
  if (size_t sp = soft.find(' '); sp != std::string_view::npos) soft = soft.substr(0, sp);
  size_t us = soft.find('_');
  std::string_view name = us == std::string_view::npos ? soft : soft.substr(0, us);
  std::string_view ver = us == std::string_view::npos ? std::string_view() : soft.substr(us + 1);
  if (name == "OpenSSH") product = "OpenSSH";
  else if (name == "dropbear") product = "Dropbear sshd";
  else product = net::printable(name, 64);
  version = net::printable(ver, 64);
  return !product.empty();
}

const TcpProbe& ssh_probe() {
  static const SshProbe p;
  return p;
}

}  // namespace mamori::probes
