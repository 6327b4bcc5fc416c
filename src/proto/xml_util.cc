#include "proto/xml_util.h"

#include "core/text.h"

namespace mamori::proto::xml {
namespace {

bool contains_icase(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (hay[i] != '<') continue;
    bool match = true;
    for (std::size_t j = 0; j < needle.size() && match; ++j) {
      char c = hay[i + j];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      match = c == needle[j];
    }
    if (match) return true;
  }
  return false;
}

}  // namespace

Expected<bool> load(pugi::xml_document& doc, std::string_view xml, std::size_t max_bytes, int max_depth) {
  if (xml.size() > max_bytes) return make_error("XML document exceeds " + std::to_string(max_bytes / 1024) + " KiB");
  if (xml.find('\0') != std::string_view::npos) return make_error("NUL byte in XML");
  if (contains_icase(xml, "<!DOCTYPE")) return make_error("XML with a DOCTYPE is refused");
  if (contains_icase(xml, "<!ENTITY")) return make_error("XML with an ENTITY declaration is refused");
  const pugi::xml_parse_result r =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) return make_error(std::string("malformed XML: ") + r.description());
  // Iterative depth check (no recursion on attacker-controlled nesting).
  int depth = 0;
  pugi::xml_node n = doc.first_child();
  while (n) {
    if (n.type() == pugi::node_element && n.first_child()) {
      if (++depth > max_depth) return make_error("XML nesting too deep");
      n = n.first_child();
      continue;
    }
    while (n && !n.next_sibling()) {
      n = n.parent();
      if (n == doc) return true;
      --depth;
    }
    if (n) n = n.next_sibling();
  }
  return true;
}

std::string_view local_name(const char* qualified) {
  std::string_view s(qualified);
  const std::size_t c = s.find(':');
  return c == std::string_view::npos ? s : s.substr(c + 1);
}

std::string_view prefix_of(const char* qualified) {
  std::string_view s(qualified);
  const std::size_t c = s.find(':');
  return c == std::string_view::npos ? std::string_view() : s.substr(0, c);
}

pugi::xml_node child(pugi::xml_node parent, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && local_name(c.name()) == local) return c;
  return {};
}

std::string text(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  const std::size_t b = out.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const std::size_t e = out.find_last_not_of(" \t\r\n");
  return out.substr(b, e - b + 1);
}

std::string namespace_of(pugi::xml_node node, std::string_view prefix) {
  const std::string attr = prefix.empty() ? std::string("xmlns") : "xmlns:" + std::string(prefix);
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent())
    if (pugi::xml_attribute a = n.attribute(attr.c_str())) return a.value();
  return {};
}

std::string escape(std::string_view s) { return mamori::xml_escape(s); }

}  // namespace mamori::proto::xml
