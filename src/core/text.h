// Text helpers shared by every layer that writes markup.
#pragma once

#include <string>
#include <string_view>

namespace mamori {

// `s` as XML/HTML character data or attribute value: the five predefined entities, CR as a
// character reference (a literal CR is normalised away on reparse), and the other control
// characters XML 1.0 forbids (everything below 0x20 but tab and newline) as spaces. Bytes from
// devices pass through here, so nothing they send can open a tag or an attribute.
inline std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;
      case '\t':
      case '\n': out.push_back(c); break;
      default: out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    }
  }
  return out;
}

}  // namespace mamori
