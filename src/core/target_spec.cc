#include "core/target_spec.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace mamori {
namespace {

constexpr size_t kMaxFileBytes = 64 << 20;  // an @file larger than this is refused

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<unsigned> parse_small_uint(std::string_view s, unsigned max) {
  if (!all_digits(s) || s.size() > 3) return std::nullopt;
  unsigned v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v > max) return std::nullopt;
  return v;
}

// RFC 1123 host name: labels of [A-Za-z0-9-_], 1..63 chars, not starting or ending with '-'.
bool looks_like_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (s.back() == '.') s.remove_suffix(1);
  bool numeric_only = true;
  size_t label = 0;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
      if (!(c >= '0' && c <= '9')) numeric_only = false;
    }
    prev = c;
  }
  // All-numeric dotted tokens are malformed addresses ("1.2.3.256"), never names.
  return label > 0 && prev != '-' && !numeric_only;
}

Error bad(std::string_view token, std::string_view why) {
  return make_error("invalid target '" + std::string(token) + "': " + std::string(why));
}

u128 block_size(unsigned host_bits) { return host_bits >= 128 ? ~u128{0} : (u128{1} << host_bits); }

Expected<IpRange> parse_cidr(std::string_view token) {
  size_t slash = token.find('/');
  std::string_view addr = token.substr(0, slash), len = token.substr(slash + 1);
  auto ip = Ip::parse(addr);
  if (!ip) return bad(token, "'" + std::string(addr) + "' is not an IP address");
  unsigned bits = ip->is_v4() ? 32 : 128;
  auto prefix = parse_small_uint(len, bits);
  if (!prefix) {
    return bad(token, "prefix length '" + std::string(len) + "' must be 0.." + std::to_string(bits));
  }
  unsigned host_bits = bits - *prefix;
  u128 span = block_size(host_bits);
  u128 first, last;
  if (ip->is_v4()) {
    uint64_t mask = (uint64_t{1} << host_bits) - 1;
    first = kV4MappedBase | (ip->v4() & ~mask & 0xffffffffu);
    last = first + static_cast<u128>(mask);
  } else {
    u128 mask = host_bits >= 128 ? ~u128{0} : span - 1;
    first = ip->value() & ~mask;
    last = first | mask;
  }
  return IpRange{first, last};
}

Expected<IpRange> parse_range(std::string_view token, size_t dash) {
  std::string_view left = token.substr(0, dash), right = token.substr(dash + 1);
  auto a = Ip::parse(left);
  if (!a) return bad(token, "'" + std::string(left) + "' is not an IP address");
  std::optional<Ip> b;
  if (a->is_v4() && all_digits(right)) {  // 198.18.0.1-9: last octet only
    auto octet = parse_small_uint(right, 255);
    if (!octet) return bad(token, "'" + std::string(right) + "' is not an octet 0..255");
    b = Ip::from_v4((a->v4() & 0xffffff00u) | *octet);
  } else {
    b = Ip::parse(right);
    if (!b) return bad(token, "'" + std::string(right) + "' is not an IP address");
  }
  if (a->is_v4() != b->is_v4()) return bad(token, "the range mixes IPv4 and IPv6");
  if (b->value() < a->value()) return bad(token, "the range ends before it starts");
  return IpRange{a->value(), b->value()};
}

Expected<bool> add_token(const std::string& token, const TargetParseOptions& opt, Targets& out,
                         int depth) {
  if (token.empty()) return true;
  if (token[0] == '@') {
    if (depth > 0) return bad(token, "an @file may not name another @file");
    if (!opt.file_reader) return bad(token, "@file lists are not allowed here");
    std::string path = token.substr(1);
    if (path.empty()) return bad(token, "missing file name after '@'");
    auto text = opt.file_reader(path);
    if (!text) return make_error("cannot read target file '" + path + "': " + text.error().message);
    std::istringstream lines(*text);
    std::string line;
    int lineno = 0;
    while (std::getline(lines, line)) {
      ++lineno;
      for (const std::string& t : split_target_tokens(line)) {
        auto r = add_token(t, opt, out, depth + 1);
        if (!r) return make_error(path + ":" + std::to_string(lineno) + ": " + r.error().message);
      }
    }
    return true;
  }
  if (token.find('%') != std::string::npos) {
    return bad(token, "IPv6 zone ids are not supported; give a global or loopback address");
  }
  if (token.find('/') != std::string::npos) {
    auto r = parse_cidr(token);
    if (!r) return r.error();
    out.set.add(*r);
    return true;
  }
  if (auto ip = Ip::parse(token)) {
    out.set.add(*ip);
    return true;
  }
  size_t dash = token.find('-');
  if (dash != std::string::npos && Ip::parse(token.substr(0, dash))) {
    auto r = parse_range(token, dash);
    if (!r) return r.error();
    out.set.add(*r);
    return true;
  }
  if (!looks_like_hostname(token)) {
    bool addressy = std::all_of(token.begin(), token.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '[' ||
             c == ']';
    });
    return bad(token, addressy ? "not a valid IPv4 or IPv6 address"
                               : "not an address, CIDR block, range or host name");
  }
  if (!opt.resolver) return bad(token, "host names are not allowed here");
  auto addrs = opt.resolver(token);
  if (!addrs) return make_error("cannot resolve '" + token + "': " + addrs.error().message);
  if (addrs->empty()) return make_error("cannot resolve '" + token + "': no addresses");
  size_t n = opt.resolve_all ? addrs->size() : 1;
  for (size_t i = 0; i < n; ++i) {
    out.set.add((*addrs)[i]);
    out.names.emplace((*addrs)[i].value(), token);
  }
  return true;
}

}  // namespace

std::vector<std::string> split_target_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  size_t hash = text.find('#');
  if (hash != std::string_view::npos) text = text.substr(0, hash);
  std::string cur;
  for (char c : text) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) tokens.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  return tokens;
}

Expected<bool> parse_targets(const std::vector<std::string>& args, const TargetParseOptions& opt,
                             Targets& out) {
  for (const std::string& arg : args) {
    for (const std::string& token : split_target_tokens(arg)) {
      auto r = add_token(token, opt, out, 0);
      if (!r) return r;
      out.tokens.push_back(token);
    }
  }
  if (out.set.size() > opt.max_addresses) {
    return make_error("the targets cover " + u128_to_string(out.set.size()) +
                      " addresses, more than the " + u128_to_string(opt.max_addresses) +
                      " one scan may walk; narrow the blocks (IPv6 prefixes especially)");
  }
  return true;
}

Resolver system_resolver() {
  return [](const std::string& name) -> Expected<std::vector<Ip>> {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
    if (rc != 0) return make_error(gai_strerror(rc));
    std::vector<Ip> v4, v6;
    for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
      if (p->ai_family == AF_INET) {
        auto* sa = reinterpret_cast<sockaddr_in*>(p->ai_addr);
        Ip ip = Ip::from_v4(ntohl(sa->sin_addr.s_addr));
        if (std::find(v4.begin(), v4.end(), ip) == v4.end()) v4.push_back(ip);
      } else if (p->ai_family == AF_INET6) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(p->ai_addr);
        Ip ip = Ip::from_bytes(sa->sin6_addr.s6_addr);
        if (std::find(v6.begin(), v6.end(), ip) == v6.end()) v6.push_back(ip);
      }
    }
    freeaddrinfo(res);
    v4.insert(v4.end(), v6.begin(), v6.end());  // IPv4 first, as nmap does by default
    return v4;
  };
}

FileReader system_file_reader() {
  return [](const std::string& path) -> Expected<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("no such file or not readable");
    std::string data;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      data.append(buf, static_cast<size_t>(in.gcount()));
      if (data.size() > kMaxFileBytes) return make_error("larger than 64 MiB");
    }
    return data;
  };
}

}  // namespace mamori
