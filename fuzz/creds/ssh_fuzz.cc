// Fuzz target of the SSH checker. First byte selects:
//   0: the pure parsers (keyboard-interactive prompt, failure text, method names);
//   1, 2: a whole conversation (libssh driven by the checker's Asio loop) against a "server"
//         whose bytes are the rest of the input, followed by EOF, over a socketpair; 1 tries a
//         password, 2 only "none". Checks: no crash, no leak, and never `accepted` (the input
//         cannot authenticate: it would need the session keys of a fresh key exchange).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "checks/creds/ssh/ssh_checker.h"

using namespace mamori::creds;

namespace {

void parsers(std::string_view in, uint8_t flags) {
  ssh::classify_prompt(in, flags & 1);
  ssh::classify_failure(in, flags & 2);
  int mask = 0;
  for (size_t i = 0; i < in.size() && i < sizeof mask; ++i) mask = (mask << 8) | static_cast<uint8_t>(in[i]);
  ssh::auth_methods_name(mask);
  ssh::to_hex(in.substr(0, 64));
}

void conversation(std::string_view server_bytes, bool with_password) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return;
  ::fcntl(sv[1], F_SETFL, O_NONBLOCK);
  if (!server_bytes.empty()) (void)!::write(sv[1], server_bytes.data(), server_bytes.size());
  ::shutdown(sv[1], SHUT_WR);
  static const std::string password = "admin";
  ssh::SessionPlan plan;
  plan.host = "127.0.0.1";
  plan.username = "admin";
  plan.password = with_password ? &password : nullptr;
  plan.io = mamori::net::Millis(200);
  plan.total = mamori::net::Millis(500);
  // No coroutine in this file: clang 14 cannot instrument coroutine frames for libFuzzer.
  AttemptResult r = ssh::run_session_blocking(sv[0], plan);
  ::close(sv[1]);
  if (r.outcome == Outcome::accepted) std::abort();
  if (r.detail.find(password) != std::string::npos && server_bytes.find(password) == std::string_view::npos) {
    std::abort();  // the password must never appear in a detail
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 65536) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: parsers(rest, data[0] >> 4); break;
    case 1: conversation(rest, true); break;
    default: conversation(rest, false); break;
  }
  return 0;
}
