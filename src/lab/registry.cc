// The registry of emulated protocols. Adding a protocol: write services/NAME.cc defining a
// `const ServiceKind kNameKind`, and add one line to each list below.
#include <algorithm>

#include "lab/service.h"

namespace mamori::lab {

extern const ServiceKind kTelnetKind;
extern const ServiceKind kHttpKind;
extern const ServiceKind kRtspKind;
extern const ServiceKind kFtpKind;
extern const ServiceKind kMqttKind;
extern const ServiceKind kSshKind;
extern const ServiceKind kUpnpKind;
extern const ServiceKind kSsdpKind;
extern const ServiceKind kSnmpKind;
extern const ServiceKind kWsdKind;
extern const ServiceKind kCoapKind;
extern const ServiceKind kEchonetKind;

const std::vector<const ServiceKind*>& service_kinds() {
  static const std::vector<const ServiceKind*> kinds{
      &kTelnetKind,
      &kHttpKind,
      &kRtspKind,
      &kFtpKind,
      &kMqttKind,
      &kSshKind,
      &kUpnpKind,
      &kSsdpKind,
      &kSnmpKind,
      &kWsdKind,
      &kCoapKind,
      &kEchonetKind,
  };
  return kinds;
}

const ServiceKind* find_kind(std::string_view id) {
  for (const auto* k : service_kinds())
    if (id == k->id) return k;
  return nullptr;
}

const Service* find_service(const Device& d, std::string_view kind) {
  for (const auto& s : d.services)
    if (s.kind == kind) return &s;
  return nullptr;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool credentials_match(const Service& s, std::string_view user, std::string_view password) {
  return std::any_of(s.credentials.begin(), s.credentials.end(),
                     [&](const Credential& c) { return c.username == user && c.password == password; });
}

const Credential* find_user(const Service& s, std::string_view user) {
  for (const auto& c : s.credentials)
    if (c.username == user) return &c;
  return nullptr;
}

}  // namespace mamori::lab
