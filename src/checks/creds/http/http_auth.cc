#include "checks/creds/http/http_auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>

namespace mamori::creds::http {
namespace {
namespace bhttp = boost::beast::http;

constexpr size_t kMaxCookies = 32;
constexpr size_t kMaxCookieValue = 4096;
constexpr size_t kMaxLockoutScan = 64 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 7230 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token68_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._~+/").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A scanner over one header value. Every step advances or stops, so it ends in O(n).
struct Scanner {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  void skip_space() {
    while (!done() && is_space(s[i])) ++i;
  }
  void skip_space_commas() {
    while (!done() && (is_space(s[i]) || s[i] == ',')) ++i;
  }
  std::string_view token() {
    size_t b = i;
    while (!done() && is_tchar(s[i])) ++i;
    return s.substr(b, i - b);
  }
  // A quoted-string starting at s[i] == '"': unescaped, cut to kMaxValue (the rest skipped).
  std::string quoted() {
    std::string out;
    ++i;
    while (!done() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      if (out.size() < Challenge::kMaxValue) out.push_back(s[i]);
      ++i;
    }
    if (!done()) ++i;  // closing quote (an unterminated string ends the value)
    return out;
  }
  // A bare value up to the next comma.
  std::string bare() {
    size_t b = i;
    while (!done() && s[i] != ',') ++i;
    std::string out(trim(s.substr(b, i - b)));
    if (out.size() > Challenge::kMaxValue) out.resize(Challenge::kMaxValue);
    return out;
  }
};

// After a scheme: is what starts at i a token68 ("abc==", then end or comma)?
bool at_token68(const Scanner& sc) {
  size_t j = sc.i;
  while (j < sc.s.size() && is_token68_char(sc.s[j])) ++j;
  if (j == sc.i) return false;
  size_t k = j;
  while (k < sc.s.size() && sc.s[k] == '=') ++k;
  size_t m = k;
  while (m < sc.s.size() && is_space(sc.s[m])) ++m;
  bool ends = m >= sc.s.size() || sc.s[m] == ',';
  // "name=value" is an auth-param, not a token68: a token68 ends after its '=' padding.
  if (k > j && !ends) return false;
  return ends;
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!md || EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return "";
  return hex(out, len);
}

const EVP_MD* evp_of(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::md5:
    case DigestAlgorithm::md5_sess: return EVP_md5();
    case DigestAlgorithm::sha256:
    case DigestAlgorithm::sha256_sess: return EVP_sha256();
    case DigestAlgorithm::sha512_256:
    case DigestAlgorithm::sha512_256_sess: return EVP_sha512_256();
  }
  return nullptr;
}

bool is_sess(DigestAlgorithm a) {
  return a == DigestAlgorithm::md5_sess || a == DigestAlgorithm::sha256_sess ||
         a == DigestAlgorithm::sha512_256_sess;
}

int strength(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::sha512_256:
    case DigestAlgorithm::sha512_256_sess: return 3;
    case DigestAlgorithm::sha256:
    case DigestAlgorithm::sha256_sess: return 2;
    default: return 1;
  }
}

// qop list ("auth,auth-int") offers "auth".
bool offers_qop_auth(std::string_view qop) {
  size_t i = 0;
  while (i <= qop.size()) {
    size_t comma = qop.find(',', i);
    if (comma == std::string_view::npos) comma = qop.size();
    if (lower(trim(qop.substr(i, comma - i))) == "auth") return true;
    i = comma + 1;
  }
  return false;
}

// A quoted-string for a header we send: backslash-escapes '"' and '\'; drops control bytes.
std::string quote(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool contains_any(std::string_view hay, std::initializer_list<std::string_view> needles) {
  for (auto n : needles) {
    if (hay.find(n) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// ---- Challenges ------------------------------------------------------------------------------

std::string Challenge::param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? "" : it->second;
}

std::vector<Challenge> parse_challenges(std::string_view value) {
  std::vector<Challenge> out;
  Scanner sc{value.substr(0, kMaxChallengeInput)};
  Challenge* cur = nullptr;
  while (out.size() <= kMaxChallenges) {
    sc.skip_space_commas();
    if (sc.done()) break;
    size_t start = sc.i;
    std::string_view name = sc.token();
    if (name.empty()) {
      // Garbage where a scheme or parameter should be: skip to the next comma.
      while (!sc.done() && sc.s[sc.i] != ',') ++sc.i;
      continue;
    }
    sc.skip_space();
    if (!sc.done() && sc.s[sc.i] == '=' && cur) {  // an auth-param of the current challenge
      ++sc.i;
      sc.skip_space();
      std::string v = !sc.done() && sc.s[sc.i] == '"' ? sc.quoted() : sc.bare();
      if (cur->params.size() < Challenge::kMaxParams) cur->params.emplace(lower(name), std::move(v));
      continue;
    }
    if (!sc.done() && sc.s[sc.i] == '=') {  // a parameter before any scheme: not a challenge
      sc.i = start;
      while (!sc.done() && sc.s[sc.i] != ',') ++sc.i;
      continue;
    }
    if (out.size() == kMaxChallenges) break;
    out.push_back(Challenge{lower(name), {}, {}});
    cur = &out.back();
    if (at_token68(sc)) {
      size_t b = sc.i;
      while (!sc.done() && sc.s[sc.i] != ',') ++sc.i;
      cur->token68 = std::string(trim(sc.s.substr(b, sc.i - b)).substr(0, Challenge::kMaxValue));
    }
  }
  return out;
}

std::vector<Challenge> parse_challenges(const std::vector<std::string>& values) {
  std::vector<Challenge> out;
  for (const auto& v : values) {
    for (auto& c : parse_challenges(v)) {
      if (out.size() >= kMaxChallenges) return out;
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::optional<DigestAlgorithm> digest_algorithm(const Challenge& c) {
  std::string a = lower(trim(c.param("algorithm")));
  if (a.empty() || a == "md5") return DigestAlgorithm::md5;
  if (a == "md5-sess") return DigestAlgorithm::md5_sess;
  if (a == "sha-256") return DigestAlgorithm::sha256;
  if (a == "sha-256-sess") return DigestAlgorithm::sha256_sess;
  if (a == "sha-512-256") return DigestAlgorithm::sha512_256;
  if (a == "sha-512-256-sess") return DigestAlgorithm::sha512_256_sess;
  return std::nullopt;
}

const char* digest_algorithm_name(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::md5: return "MD5";
    case DigestAlgorithm::md5_sess: return "MD5-sess";
    case DigestAlgorithm::sha256: return "SHA-256";
    case DigestAlgorithm::sha256_sess: return "SHA-256-sess";
    case DigestAlgorithm::sha512_256: return "SHA-512-256";
    case DigestAlgorithm::sha512_256_sess: return "SHA-512-256-sess";
  }
  return "MD5";
}

bool digest_answerable(const Challenge& c) {
  if (c.scheme != "digest" || c.param("nonce").empty() || !digest_algorithm(c)) return false;
  if (c.params.contains("qop")) return offers_qop_auth(c.param("qop"));
  return !is_sess(*digest_algorithm(c));  // -sess needs a cnonce, which RFC 2069 form lacks
}

const Challenge* choose_challenge(const std::vector<Challenge>& challenges) {
  const Challenge* best = nullptr;
  for (const auto& c : challenges) {
    if (!digest_answerable(c)) continue;
    if (!best || strength(*digest_algorithm(c)) > strength(*digest_algorithm(*best))) best = &c;
  }
  if (best) return best;
  for (const auto& c : challenges) {
    if (c.scheme == "basic") return &c;
  }
  return nullptr;
}

// ---- Authorization ---------------------------------------------------------------------------

std::string basic_authorization(std::string_view user, std::string_view password) {
  namespace b64 = boost::beast::detail::base64;
  std::string plain = std::string(user) + ":" + std::string(password);
  std::string out(b64::encoded_size(plain.size()), '\0');
  out.resize(b64::encode(out.data(), plain.data(), plain.size()));
  return "Basic " + out;
}

std::optional<std::string> digest_authorization(const Challenge& c, const DigestRequest& req,
                                                std::string_view user, std::string_view password) {
  if (!digest_answerable(c)) return std::nullopt;
  const DigestAlgorithm alg = *digest_algorithm(c);
  const EVP_MD* md = evp_of(alg);
  const std::string realm = c.param("realm");
  const std::string nonce = c.param("nonce");
  const bool qop = c.params.contains("qop");
  auto H = [md](std::string_view s) { return digest_hex(md, s); };

  std::string ha1 = H(std::string(user) + ":" + realm + ":" + std::string(password));
  if (is_sess(alg)) ha1 = H(ha1 + ":" + nonce + ":" + req.cnonce);
  const std::string ha2 = H(req.method + ":" + req.uri);
  char nc[16];
  std::snprintf(nc, sizeof nc, "%08x", req.nc);
  const std::string response = qop ? H(ha1 + ":" + nonce + ":" + nc + ":" + req.cnonce + ":auth:" + ha2)
                                   : H(ha1 + ":" + nonce + ":" + ha2);
  // RFC 7616 3.4.4: with userhash=true the username is H(user:realm).
  const bool userhash = lower(c.param("userhash")) == "true";
  std::string out = "Digest username=" + quote(userhash ? H(std::string(user) + ":" + realm) : std::string(user)) +
                    ", realm=" + quote(realm) + ", nonce=" + quote(nonce) + ", uri=" + quote(req.uri) +
                    ", algorithm=" + digest_algorithm_name(alg) + ", response=" + quote(response);
  if (qop) out += std::string(", qop=auth, nc=") + nc + ", cnonce=" + quote(req.cnonce);
  if (c.params.contains("opaque")) out += ", opaque=" + quote(c.param("opaque"));
  if (userhash) out += ", userhash=true";
  return out;
}

std::optional<std::string> authorization(const Challenge& c, const DigestRequest& req,
                                         std::string_view user, std::string_view password) {
  if (c.scheme == "basic") return basic_authorization(user, password);
  if (c.scheme == "digest") return digest_authorization(c, req, user, password);
  return std::nullopt;
}

std::string make_cnonce() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    // No entropy source: a cnonce need only be unique per nonce, not secret.
    static unsigned counter = 0;
    for (size_t i = 0; i < sizeof raw; ++i) raw[i] = static_cast<unsigned char>(++counter * 131 + i);
  }
  return hex(raw, sizeof raw);
}

std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }
std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }

// ---- HTTP responses --------------------------------------------------------------------------

std::string Reply::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::vector<std::string> Reply::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::optional<Reply> parse_http_reply(std::string_view bytes, bool at_eof) {
  if (!bytes.starts_with("HTTP/")) return std::nullopt;
  bhttp::response_parser<bhttp::string_body> p;
  p.header_limit(kHeaderLimit);
  p.body_limit(kBodyLimit);
  p.eager(true);
  boost::system::error_code ec;
  size_t off = 0;
  while (off < bytes.size() && !p.is_done()) {
    size_t used = p.put(boost::asio::buffer(bytes.data() + off, bytes.size() - off), ec);
    off += used;
    if (ec == bhttp::error::need_more) {
      ec = {};
      if (used == 0) break;
      continue;
    }
    if (ec) break;
  }
  if (!p.is_done() && at_eof && p.is_header_done() && !ec) p.put_eof(ec);
  if (!p.is_header_done()) return std::nullopt;
  const auto& msg = p.get();
  Reply r;
  r.status = static_cast<int>(msg.result_int());
  r.reason = std::string(msg.reason());
  for (const auto& f : msg) r.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
  r.body = msg.body();
  return r;
}

Task<std::optional<Reply>> http_roundtrip(net::Conn& conn, std::string request) {
  if (!co_await conn.write(request)) co_return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + conn.limits().io;
  std::string buf;
  co_await conn.read_until(buf, "\r\n\r\n", conn.limits().io, kHeaderLimit);
  if (!buf.starts_with("HTTP/")) co_return std::nullopt;
  for (;;) {
    size_t hdr_end = buf.find("\r\n\r\n");
    auto r = parse_http_reply(buf, conn.eof());
    bool complete = false;
    if (r && hdr_end != std::string::npos) {
      std::string cl = r->header("content-length");
      uint64_t want = 0;
      if (!cl.empty() && std::from_chars(cl.data(), cl.data() + cl.size(), want).ec == std::errc()) {
        complete = buf.size() - hdr_end - 4 >= std::min<uint64_t>(want, kBodyLimit);
      } else if (lower(r->header("transfer-encoding")).find("chunked") != std::string::npos) {
        complete = buf.find("\r\n0\r\n", hdr_end) != std::string::npos || buf.ends_with("0\r\n\r\n");
      } else if (r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200)) {
        complete = true;
      }
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (complete || conn.eof() || buf.size() >= kHeaderLimit + kBodyLimit || conn.budget_exhausted() ||
        left.count() <= 0) {
      co_return parse_http_reply(buf, true);
    }
    size_t n = co_await conn.read_some(buf, left, 16384);
    if (n == 0 && !conn.eof()) co_return parse_http_reply(buf, true);  // stalled: keep what came
  }
}

std::string http_request(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view extra, std::string_view body) {
  std::string r;
  r.reserve(256 + extra.size() + body.size());
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  r += "\r\nUser-Agent: Mamori/0.1\r\nAccept: text/html,*/*\r\nConnection: close\r\n";
  r.append(extra);
  if (!body.empty() || method == "POST") r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += "\r\n";
  r.append(body);
  return r;
}

std::string host_header(const CheckTarget& t, bool tls) {
  std::string host = t.hostname.empty() ? t.ip.str() : t.hostname;
  if (t.hostname.empty() && !t.ip.is_v4()) host = "[" + host + "]";
  bool default_port = (!tls && t.port == 80) || (tls && t.port == 443);
  return default_port ? host : host + ":" + std::to_string(t.port);
}

Task<Expected<Reply>> http_fetch(const CheckTarget& t, bool tls, std::string request) {
  auto c = co_await net::Conn::connect(t.ex, t.ip, t.port, t.limits);
  if (!c) co_return c.error();
  if (tls) {
    auto s = co_await (*c)->start_tls(t.hostname, t.limits.io);
    if (!s) co_return s.error();
  }
  auto r = co_await http_roundtrip(**c, std::move(request));
  if (!r) co_return make_error("no HTTP response");
  co_return std::move(*r);
}

std::string same_host_path(std::string_view location, const CheckTarget& t, bool tls) {
  location = trim(location);
  if (location.starts_with("/")) return location.starts_with("//") ? "" : std::string(location);
  std::string_view rest;
  std::string low = lower(location.substr(0, 8));
  if (low.starts_with("http://") && !tls) rest = location.substr(7);
  else if (low.starts_with("https://") && tls) rest = location.substr(8);
  else return "";
  size_t slash = rest.find_first_of("/?#");
  std::string authority = lower(rest.substr(0, slash));
  std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (path.starts_with("?")) path = "/" + path;
  if (path.starts_with("#")) path = "/";
  std::string ip = t.ip.is_v4() ? t.ip.str() : "[" + t.ip.str() + "]";
  std::string host = lower(t.hostname.empty() ? ip : t.hostname);
  bool default_port = (!tls && t.port == 80) || (tls && t.port == 443);
  for (const std::string& h : {host, lower(ip)}) {
    if (authority == h + ":" + std::to_string(t.port) || (default_port && authority == h)) return path;
  }
  return "";
}

// ---- Cookies ---------------------------------------------------------------------------------

size_t CookieJar::absorb(const std::vector<std::string>& values) {
  size_t changed = 0;
  for (const auto& v : values) {
    std::string_view pair = std::string_view(v).substr(0, v.find(';'));
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(trim(pair.substr(0, eq)));
    std::string value(trim(pair.substr(eq + 1)));
    if (name.empty() || name.size() > 256 || value.size() > kMaxCookieValue) continue;
    bool known = jar_.contains(name);
    if (!known && jar_.size() >= kMaxCookies) continue;
    // Servers clear a cookie with an empty value ("deleted", Max-Age=0): not a session.
    if (value.empty() || value == "deleted") {
      jar_.erase(name);
      continue;
    }
    if (!known || jar_[name] != value) ++changed;
    jar_[name] = value;
  }
  return changed;
}

std::string CookieJar::header() const {
  std::string out;
  for (const auto& [k, v] : jar_) out += (out.empty() ? "" : "; ") + k + "=" + v;
  return out;
}

// ---- Lockout ---------------------------------------------------------------------------------

bool lockout_text(std::string_view body) {
  std::string low = lower(body.substr(0, kMaxLockoutScan));
  return contains_any(low, {"locked", "too many", "try again later", "temporarily blocked",
                            "retry after", "exceeded the maximum"});
}

bool lockout_signs(const Reply& r) {
  if (r.status == 429) return true;
  const bool refusal = r.status == 401 || r.status == 403 || r.status == 503;
  if (!refusal) return false;
  return !r.header("retry-after").empty() || lockout_text(r.body);
}

}  // namespace mamori::creds::http
