// Pure helpers of the SSH checker: prompt and failure classification, names.
#include <libssh/libssh.h>

#include <array>

#include "checks/creds/ssh/ssh_checker.h"

namespace mamori::creds::ssh {
namespace {

constexpr size_t kMaxLook = 1024;

// ASCII lower case of at most kMaxLook bytes (other bytes kept, so UTF-8 survives).
std::string lower_prefix(std::string_view s) {
  std::string out(s.substr(0, kMaxLook));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

template <size_t N>
bool contains_any(std::string_view text, const std::array<std::string_view, N>& words) {
  for (auto w : words) {
    if (text.find(w) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

PromptKind classify_prompt(std::string_view prompt, bool echo) {
  // An echoed prompt asks for something the user may see (a user name, a menu choice).
  if (echo) return PromptKind::other;
  std::string text = lower_prefix(prompt);
  // Second factors: answering them with the password would be wrong and would burn a try.
  static constexpr std::array<std::string_view, 12> kSecondFactor = {
      "code", "otp", "token", "one-time", "one time", "verification", "authenticator",
      "yubikey", "2fa", "pin:", " pin", "challenge"};
  if (contains_any(text, kSecondFactor)) return PromptKind::other;
  static constexpr std::array<std::string_view, 4> kPassword = {
      "password", "passwd", "pass:", "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89"};
  return contains_any(text, kPassword) ? PromptKind::password : PromptKind::other;
}

Outcome classify_failure(std::string_view error_text, bool after_password) {
  std::string text = lower_prefix(error_text);
  static constexpr std::array<std::string_view, 9> kLockout = {
      "too many", "locked", "lockout", "rate limit", "try again later", "temporarily",
      "blocked", "banned", "maxstartups"};
  if (contains_any(text, kLockout)) return Outcome::lockout;
  // The server hanging up in answer to a password is its "no" (dropbear and many embedded
  // servers close after failures). Before any password it only means we could not tell.
  static constexpr std::array<std::string_view, 5> kClosed = {
      "disconnect", "connection closed", "socket error", "eof", "reset by peer"};
  if (after_password && contains_any(text, kClosed)) return Outcome::rejected;
  return Outcome::error;
}

bool is_per_connection_limit(std::string_view error_text) {
  return lower_prefix(error_text).find("too many authentication failures") != std::string::npos;
}

std::string auth_methods_name(int methods) {
  static constexpr std::array<std::pair<int, const char*>, 6> kNames = {{
      {SSH_AUTH_METHOD_NONE, "none"},
      {SSH_AUTH_METHOD_PASSWORD, "password"},
      {SSH_AUTH_METHOD_PUBLICKEY, "publickey"},
      {SSH_AUTH_METHOD_HOSTBASED, "hostbased"},
      {SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"},
      {SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic"},
  }};
  std::string out;
  for (auto [bit, name] : kNames) {
    if (!(methods & bit)) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

}  // namespace mamori::creds::ssh
