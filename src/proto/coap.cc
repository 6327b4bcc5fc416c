#include "proto/coap.h"

#include <algorithm>

namespace mamori::proto::coap {
namespace {

// Extended delta/length nibble encoding (RFC 7252 §3.1).
void nibble_ext(uint32_t v, uint8_t& nibble, std::string& ext) {
  if (v < 13) {
    nibble = static_cast<uint8_t>(v);
  } else if (v < 269) {
    nibble = 13;
    ext.push_back(static_cast<char>(v - 13));
  } else {
    nibble = 14;
    const uint32_t x = v - 269;
    ext.push_back(static_cast<char>(x >> 8));
    ext.push_back(static_cast<char>(x & 0xff));
  }
}

Expected<uint32_t> read_ext(uint8_t nibble, std::string_view in, std::size_t& pos, const char* what) {
  if (nibble < 13) return uint32_t{nibble};
  if (nibble == 13) {
    if (pos >= in.size()) return make_error(std::string("truncated extended option ") + what);
    return uint32_t{static_cast<uint8_t>(in[pos++])} + 13;
  }
  if (nibble == 14) {
    if (in.size() - pos < 2) return make_error(std::string("truncated extended option ") + what);
    const uint32_t v = (uint32_t{static_cast<uint8_t>(in[pos])} << 8) | static_cast<uint8_t>(in[pos + 1]);
    pos += 2;
    return v + 269;
  }
  return make_error(std::string("reserved option ") + what + " nibble 15");
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string code_str(uint8_t code) {
  std::string out = std::to_string(code >> 5) + ".";
  const int d = code & 0x1f;
  if (d < 10) out.push_back('0');
  out += std::to_string(d);
  return out;
}

std::string uint_value(uint32_t v) {
  std::string out;
  for (int i = 3; i >= 0; --i) {
    const auto b = static_cast<uint8_t>(v >> (8 * i));
    if (b != 0 || !out.empty()) out.push_back(static_cast<char>(b));
  }
  return out;
}

std::string Message::uri_path() const {
  std::string out;
  for (const auto& o : options) {
    if (o.number != option::kUriPath) continue;
    if (!out.empty()) out.push_back('/');
    out += o.value;
  }
  return out;
}

std::optional<uint32_t> Message::uint_option(uint16_t number) const {
  for (const auto& o : options) {
    if (o.number != number) continue;
    if (o.value.size() > 4) return std::nullopt;
    uint32_t v = 0;
    for (char c : o.value) v = (v << 8) | static_cast<uint8_t>(c);
    return v;
  }
  return std::nullopt;
}

Expected<std::string> encode(const Message& m) {
  if (m.version != 1) return make_error("CoAP version must be 1");
  if (m.token.size() > kMaxTokenBytes) return make_error("CoAP token longer than 8 bytes");
  if (m.options.size() > kMaxOptions) return make_error("too many CoAP options");
  std::string out;
  out.push_back(static_cast<char>((1 << 6) | (static_cast<uint8_t>(m.type) << 4) | m.token.size()));
  out.push_back(static_cast<char>(m.code));
  out.push_back(static_cast<char>(m.message_id >> 8));
  out.push_back(static_cast<char>(m.message_id & 0xff));
  out += m.token;
  std::vector<Option> opts = m.options;
  std::stable_sort(opts.begin(), opts.end(), [](const Option& a, const Option& b) { return a.number < b.number; });
  uint32_t prev = 0;
  for (const auto& o : opts) {
    if (o.value.size() > 65535u + 269u) return make_error("CoAP option value too long");
    uint8_t dn = 0, ln = 0;
    std::string dext, lext;
    nibble_ext(o.number - prev, dn, dext);
    nibble_ext(static_cast<uint32_t>(o.value.size()), ln, lext);
    out.push_back(static_cast<char>((dn << 4) | ln));
    out += dext;
    out += lext;
    out += o.value;
    prev = o.number;
    if (out.size() > kMaxMessageBytes) return make_error("CoAP message exceeds 64 KiB");
  }
  if (!m.payload.empty()) {
    out.push_back('\xff');
    out += m.payload;
  }
  if (out.size() > kMaxMessageBytes) return make_error("CoAP message exceeds 64 KiB");
  return out;
}

Expected<Message> decode(std::string_view in) {
  if (in.size() > kMaxMessageBytes) return make_error("CoAP message exceeds 64 KiB");
  if (in.size() < 4) return make_error("truncated CoAP header");
  Message m;
  const auto b0 = static_cast<uint8_t>(in[0]);
  m.version = b0 >> 6;
  if (m.version != 1) return make_error("CoAP version is not 1");
  m.type = static_cast<Type>((b0 >> 4) & 3);
  const std::size_t tkl = b0 & 0x0f;
  if (tkl > kMaxTokenBytes) return make_error("CoAP token length 9..15 is reserved");
  m.code = static_cast<uint8_t>(in[1]);
  m.message_id = static_cast<uint16_t>((static_cast<uint8_t>(in[2]) << 8) | static_cast<uint8_t>(in[3]));
  std::size_t pos = 4;
  if (in.size() - pos < tkl) return make_error("truncated CoAP token");
  m.token = std::string(in.substr(pos, tkl));
  pos += tkl;
  uint32_t number = 0;
  while (pos < in.size()) {
    const auto b = static_cast<uint8_t>(in[pos++]);
    if (b == 0xff) {
      if (pos == in.size()) return make_error("CoAP payload marker followed by no payload");
      m.payload = std::string(in.substr(pos));
      break;
    }
    auto delta = read_ext(b >> 4, in, pos, "delta");
    if (!delta) return delta.error();
    auto len = read_ext(b & 0x0f, in, pos, "length");
    if (!len) return len.error();
    number += *delta;
    if (number > 65535) return make_error("CoAP option number exceeds 65535");
    if (*len > in.size() - pos) return make_error("CoAP option length exceeds the remaining bytes");
    if (m.options.size() >= kMaxOptions) return make_error("too many CoAP options");
    m.options.push_back({static_cast<uint16_t>(number), std::string(in.substr(pos, *len))});
    pos += *len;
  }
  return m;
}

Expected<std::string> encode_get(Type type, uint16_t message_id, std::string_view token,
                                 std::string_view path) {
  if (type != Type::con && type != Type::non) return make_error("a request is CON or NON");
  Message m;
  m.type = type;
  m.code = kGet;
  m.message_id = message_id;
  m.token = std::string(token);
  std::string_view query;
  if (auto q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  auto split = [&m](std::string_view s, char sep, uint16_t number) {
    while (!s.empty()) {
      const std::size_t i = s.find(sep);
      const std::string_view part = s.substr(0, i);
      if (!part.empty()) m.options.push_back({number, std::string(part)});
      if (i == std::string_view::npos) break;
      s.remove_prefix(i + 1);
    }
  };
  split(path, '/', option::kUriPath);
  split(query, '&', option::kUriQuery);
  return encode(m);
}

Expected<std::string> encode_response(const Message& request, uint8_t code, std::string_view payload,
                                      std::optional<uint16_t> content_format, uint16_t message_id) {
  Message r;
  if (request.type == Type::con) {
    r.type = Type::ack;
    r.message_id = request.message_id;
  } else if (request.type == Type::non) {
    r.type = Type::non;
    r.message_id = message_id;
  } else {
    return make_error("only CON and NON requests get a response");
  }
  r.code = code;
  r.token = request.token;
  if (content_format) r.options.push_back({option::kContentFormat, uint_value(*content_format)});
  r.payload = std::string(payload);
  return encode(r);
}

// ---- link format ---------------------------------------------------------------------------------

std::optional<std::string> Link::attribute(std::string_view name) const {
  for (const auto& [k, v] : attributes)
    if (k == name) return v;
  return std::nullopt;
}

Expected<std::vector<Link>> parse_link_format(std::string_view s) {
  if (s.size() > kMaxLinkFormatBytes) return make_error("link-format document exceeds 64 KiB");
  std::vector<Link> links;
  std::size_t i = 0;
  auto skip_ws = [&] { while (i < s.size() && is_ws(s[i])) ++i; };
  skip_ws();
  if (i == s.size()) return links;  // an empty document lists no links
  while (true) {
    skip_ws();
    if (i >= s.size() || s[i] != '<') return make_error("link-format: expected '<'");
    const std::size_t close = s.find('>', i + 1);
    if (close == std::string_view::npos) return make_error("link-format: unterminated '<'");
    if (links.size() >= kMaxLinks) return make_error("link-format: too many links");
    Link link;
    link.target = std::string(s.substr(i + 1, close - i - 1));
    i = close + 1;
    while (true) {
      skip_ws();
      if (i >= s.size() || s[i] != ';') break;
      ++i;
      skip_ws();
      const std::size_t start = i;
      while (i < s.size() && s[i] != '=' && s[i] != ';' && s[i] != ',' && !is_ws(s[i]) && s[i] != '"' &&
             s[i] != '<')
        ++i;
      if (i == start) return make_error("link-format: empty attribute name");
      std::string name(s.substr(start, i - start));
      std::string value;
      skip_ws();
      if (i < s.size() && s[i] == '=') {
        ++i;
        skip_ws();
        if (i < s.size() && s[i] == '"') {
          ++i;
          bool closed = false;
          while (i < s.size()) {
            const char c = s[i++];
            if (c == '"') { closed = true; break; }
            if (c == '\\' && i < s.size()) { value.push_back(s[i++]); continue; }
            value.push_back(c);
          }
          if (!closed) return make_error("link-format: unterminated quoted value");
        } else {
          const std::size_t vs = i;
          while (i < s.size() && s[i] != ';' && s[i] != ',' && !is_ws(s[i]) && s[i] != '"') ++i;
          value = std::string(s.substr(vs, i - vs));
        }
      }
      if (link.attributes.size() >= kMaxLinkAttributes) return make_error("link-format: too many attributes");
      link.attributes.emplace_back(std::move(name), std::move(value));
    }
    links.push_back(std::move(link));
    skip_ws();
    if (i == s.size()) break;
    if (s[i] != ',') return make_error("link-format: expected ',' between links");
    ++i;
  }
  return links;
}

std::string format_link_format(const std::vector<Link>& links) {
  std::string out;
  for (const auto& l : links) {
    if (!out.empty()) out.push_back(',');
    out += "<" + l.target + ">";
    for (const auto& [k, v] : l.attributes) {
      out += ";" + k;
      if (v.empty()) continue;
      const bool numeric = std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (numeric) {
        out += "=" + v;
        continue;
      }
      out += "=\"";
      for (char c : v) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
      }
      out.push_back('"');
    }
  }
  return out;
}

}  // namespace mamori::proto::coap
