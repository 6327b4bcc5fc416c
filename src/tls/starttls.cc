#include "tls/starttls.h"

#include <algorithm>
#include <cctype>

namespace mamori::tls {

size_t ftp_reply_end(std::string_view b) {
  const bool multi = b.size() > 3 && b[3] == '-';
  for (size_t pos = 0, n = 0; pos < b.size(); ++n) {
    size_t eol = b.find('\n', pos);
    if (eol == std::string_view::npos) break;
    std::string_view line = b.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol + 1;
    if (!multi || (n > 0 && line.size() >= 3 && line.substr(0, 3) == b.substr(0, 3) &&
                   (line.size() == 3 || line[3] == ' '))) {
      return pos;
    }
  }
  return b.size();
}

bool ftp_offers_auth_tls(const std::vector<std::string>& features) {
  for (std::string f : features) {
    std::transform(f.begin(), f.end(), f.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (f.rfind("AUTH ", 0) != 0) continue;
    for (size_t at = 5; at < f.size();) {
      size_t end = f.find_first_of(" ;,", at);
      if (f.compare(at, end == std::string::npos ? std::string::npos : end - at, "TLS") == 0) return true;
      if (end == std::string::npos) break;
      at = end + 1;
    }
  }
  return false;
}

}  // namespace mamori::tls
