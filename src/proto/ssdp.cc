#include "proto/ssdp.h"

#include <charconv>

namespace mamori::proto::ssdp {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has_control(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<uint8_t>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "max-age=1800" anywhere in a comma-separated CACHE-CONTROL value.
int max_age(std::string_view cc) {
  while (!cc.empty()) {
    const std::size_t comma = cc.find(',');
    std::string_view part = trim(cc.substr(0, comma));
    const std::size_t eq = part.find('=');
    if (eq != std::string_view::npos && iequals(trim(part.substr(0, eq)), "max-age")) {
      auto v = to_int(trim(part.substr(eq + 1)));
      return v && *v >= 0 ? *v : -1;
    }
    if (comma == std::string_view::npos) break;
    cc.remove_prefix(comma + 1);
  }
  return -1;
}

bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

std::optional<std::string> Message::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

Expected<Message> parse(std::string_view in) {
  if (in.size() > kMaxMessageBytes) return make_error("SSDP message exceeds 8 KiB");
  Message m;
  bool first = true;
  while (true) {
    if (in.empty()) {
      if (first) return make_error("empty SSDP message");
      break;  // datagram ended without a blank line: accept what we have
    }
    const std::size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (first) return make_error("SSDP message starts with a blank line");
      break;  // end of headers; a body, if any, is ignored
    }
    if (has_control(line)) return make_error("control characters in an SSDP line");
    if (first) {
      first = false;
      const std::size_t s1 = line.find(' ');
      if (s1 == std::string_view::npos) return make_error("bad SSDP start line");
      const std::size_t s2 = line.find(' ', s1 + 1);
      const std::string_view a = line.substr(0, s1);
      const std::string_view b = line.substr(s1 + 1, s2 == std::string_view::npos ? line.npos : s2 - s1 - 1);
      const std::string_view c = s2 == std::string_view::npos ? std::string_view() : line.substr(s2 + 1);
      if (a.starts_with("HTTP/")) {
        auto code = to_int(b);
        if (!code || b.size() != 3) return make_error("bad SSDP status code");
        m.is_response = true;
        m.version = std::string(a);
        m.status = *code;
        m.reason = std::string(c);
      } else {
        if (a.empty() || b.empty() || !c.starts_with("HTTP/") || c.find(' ') != std::string_view::npos)
          return make_error("bad SSDP request line");
        m.method = std::string(a);
        m.target = std::string(b);
        m.version = std::string(c);
      }
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return make_error("SSDP header line without a name");
    const std::string_view name = trim(line.substr(0, colon));
    if (name.empty() || name.find(' ') != std::string_view::npos) return make_error("bad SSDP header name");
    if (m.headers.size() >= kMaxHeaders) return make_error("too many SSDP headers");
    m.headers.push_back({std::string(name), std::string(trim(line.substr(colon + 1)))});
  }
  return m;
}

std::string build_search(const SearchRequest& r) {
  std::string out = "M-SEARCH * HTTP/1.1\r\nHOST: " + r.host + "\r\nMAN: \"ssdp:discover\"\r\n";
  if (r.mx >= 0) out += "MX: " + std::to_string(r.mx) + "\r\n";
  out += "ST: " + r.st + "\r\n";
  if (!r.user_agent.empty()) out += "USER-AGENT: " + r.user_agent + "\r\n";
  out += "\r\n";
  return out;
}

Expected<Announcement> parse_announcement(std::string_view bytes) {
  auto m = parse(bytes);
  if (!m) return m.error();
  Announcement a;
  if (m->is_response) {
    if (m->status != 200) return make_error("SSDP response status is not 200");
    a.st = m->header("ST").value_or("");
  } else if (iequals(m->method, "NOTIFY")) {
    a.is_notify = true;
    a.st = m->header("NT").value_or("");
    a.nts = m->header("NTS").value_or("");
  } else {
    return make_error("neither an SSDP response nor a NOTIFY");
  }
  a.location = m->header("LOCATION").value_or("");
  a.server = m->header("SERVER").value_or("");
  a.usn = m->header("USN").value_or("");
  a.max_age = max_age(m->header("CACHE-CONTROL").value_or(""));
  return a;
}

Expected<SearchRequest> parse_search(std::string_view bytes) {
  auto m = parse(bytes);
  if (!m) return m.error();
  if (m->is_response || !iequals(m->method, "M-SEARCH")) return make_error("not an M-SEARCH request");
  if (m->target != "*") return make_error("M-SEARCH target must be '*'");
  auto man = m->header("MAN");
  if (!man || (*man != "\"ssdp:discover\"" && *man != "ssdp:discover"))
    return make_error("M-SEARCH without MAN: \"ssdp:discover\"");
  auto st = m->header("ST");
  if (!st || st->empty()) return make_error("M-SEARCH without ST");
  SearchRequest r;
  r.st = *st;
  r.host = m->header("HOST").value_or("");
  auto mx = m->header("MX");
  r.mx = mx ? to_int(*mx).value_or(-1) : -1;
  r.user_agent = m->header("USER-AGENT").value_or("");
  return r;
}

Expected<std::string> build_search_response(const SearchResponse& r) {
  for (std::string_view f : {std::string_view(r.location), std::string_view(r.server), std::string_view(r.st),
                             std::string_view(r.usn), std::string_view(r.date)})
    if (has_crlf(f)) return make_error("CR or LF in an SSDP header value");
  std::string out = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=" + std::to_string(r.max_age) + "\r\n";
  if (!r.date.empty()) out += "DATE: " + r.date + "\r\n";
  out += "EXT:\r\nLOCATION: " + r.location + "\r\nSERVER: " + r.server + "\r\nST: " + r.st + "\r\nUSN: " + r.usn +
         "\r\n\r\n";
  if (out.size() > kMaxMessageBytes) return make_error("SSDP response exceeds 8 KiB");
  return out;
}

}  // namespace mamori::proto::ssdp
