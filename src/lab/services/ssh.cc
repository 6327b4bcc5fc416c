// SSH: the identification string only (RFC 4253 §4.2), e.g. `SSH-2.0-dropbear_2019.78`. Real
// SSH authentication is covered by OpenSSH daemons in the integration scripts, not here.
#include "lab/service.h"

namespace mamori::lab {
namespace {

boost::asio::awaitable<void> serve(Conn& c, ServiceEnv& env) {
  std::string banner = env.service.banner.empty() ? "SSH-2.0-dropbear_2019.78" : env.service.banner;
  if (!co_await c.write(banner + "\r\n")) co_return;
  // Read the client's identification and then hold the line until the idle deadline.
  auto line = co_await c.read_line(255);
  if (!line) co_return;
  while (co_await c.read_some(4096)) {
  }
}

}  // namespace

extern const ServiceKind kSshKind{"ssh", "SSH identification banner only", Transport::tcp, 22, {"banner"}, serve,
                                  nullptr, nullptr, nullptr, "ssh"};

}  // namespace mamori::lab
