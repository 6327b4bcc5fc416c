#include "lab/services/http_common.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <chrono>

#include <boost/beast/core/detail/base64.hpp>
#include <fmt/format.h>

namespace mamori::lab {
namespace {
constexpr size_t kMaxHeaders = 64;

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Parameters of a Digest Authorization header: k=v or k="v" separated by commas.
std::map<std::string, std::string> digest_params(std::string_view s) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < s.size() && out.size() < 32) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',')) ++i;
    size_t eq = s.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key = lower(trim(s.substr(i, eq - i)));
    i = eq + 1;
    std::string val;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        val.push_back(s[i++]);
      }
      ++i;
    } else {
      size_t end = s.find(',', i);
      if (end == std::string_view::npos) end = s.size();
      val = trim(s.substr(i, end - i));
      i = end;
    }
    out[key] = val;
  }
  return out;
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string make_nonce(const std::string& secret, int64_t ts) {
  std::string t = fmt::format("{:x}", ts);
  return t + md5_hex(secret + ":" + t).substr(0, 24);
}

bool nonce_valid(const std::string& secret, const std::string& nonce) {
  if (nonce.size() < 25 || nonce.size() > 40) return false;
  std::string t = nonce.substr(0, nonce.size() - 24);
  int64_t ts = 0;
  try {
    ts = std::stoll(t, nullptr, 16);
  } catch (const std::exception&) {
    return false;
  }
  return make_nonce(secret, ts) == nonce && now_s() - ts < 3600;
}
}  // namespace

const std::string* Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

std::string Request::path() const {
  std::string t = target;
  auto scheme = t.find("://");
  if (scheme != std::string::npos) {
    auto slash = t.find('/', scheme + 3);
    t = slash == std::string::npos ? "/" : t.substr(slash);
  }
  auto q = t.find('?');
  return q == std::string::npos ? t : t.substr(0, q);
}

std::string Request::query() const {
  auto q = target.find('?');
  return q == std::string::npos ? "" : target.substr(q + 1);
}

boost::asio::awaitable<std::optional<Request>> read_request(Conn& c, size_t max_body) {
  Request r;
  std::optional<std::string> line;
  do {  // tolerate empty lines between pipelined requests
    line = co_await c.read_line();
    if (!line) co_return std::nullopt;
  } while (line->empty());
  auto sp1 = line->find(' ');
  auto sp2 = line->rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) co_return std::nullopt;
  r.method = line->substr(0, sp1);
  r.target = line->substr(sp1 + 1, sp2 - sp1 - 1);
  r.version = line->substr(sp2 + 1);
  if (r.version.rfind("HTTP/", 0) != 0 && r.version.rfind("RTSP/", 0) != 0) co_return std::nullopt;
  for (;;) {
    auto h = co_await c.read_line();
    if (!h) co_return std::nullopt;
    if (h->empty()) break;
    if (r.headers.size() >= kMaxHeaders) co_return std::nullopt;
    auto colon = h->find(':');
    if (colon == std::string::npos) continue;
    r.headers.emplace_back(lower(h->substr(0, colon)), trim(std::string_view(*h).substr(colon + 1)));
  }
  if (const auto* cl = r.header("content-length")) {
    size_t n = 0;
    try {
      n = std::stoul(*cl);
    } catch (const std::exception&) {
      co_return std::nullopt;
    }
    if (n > max_body) co_return std::nullopt;
    if (n > 0) {
      auto body = co_await c.read_exact(n);
      if (!body) co_return std::nullopt;
      r.body = std::move(*body);
    }
  }
  co_return r;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 454: return "Session Not Found";
    case 461: return "Unsupported Transport";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "Version Not Supported";
  }
  return "Unknown";
}

std::string Response::serialize(std::string_view protocol, bool head) const {
  std::string out = fmt::format("{} {} {}\r\n", protocol, status, reason.empty() ? reason_phrase(status) : reason);
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    out += k + ": " + v + "\r\n";
    if (lower(k) == "content-length") has_length = true;
  }
  if (!has_length && (!body.empty() || protocol.rfind("HTTP", 0) == 0))
    out += fmt::format("Content-Length: {}\r\n", body.size());
  out += "\r\n";
  if (!head) out += body;
  return out;
}

std::string md5_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  std::string out;
  for (unsigned char ch : raw) out += fmt::format("{:02x}", ch);
  return out;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i <= body.size() && out.size() < 64) {
    size_t amp = body.find('&', i);
    if (amp == std::string_view::npos) amp = body.size();
    auto pair = body.substr(i, amp - i);
    auto eq = pair.find('=');
    if (!pair.empty()) {
      if (eq == std::string_view::npos) out[url_decode(pair)] = "";
      else out[url_decode(pair.substr(0, eq))] = url_decode(pair.substr(eq + 1));
    }
    i = amp + 1;
  }
  return out;
}

bool check_basic(const Service& s, const std::string* auth) {
  if (!auth || auth->size() < 6 || lower(auth->substr(0, 6)) != "basic ") return false;
  std::string b64 = trim(auth->substr(6));
  if (b64.size() > 1024) return false;
  std::string dec(boost::beast::detail::base64::decoded_size(b64.size()), '\0');
  auto res = boost::beast::detail::base64::decode(dec.data(), b64.data(), b64.size());
  dec.resize(res.first);
  auto colon = dec.find(':');
  if (colon == std::string::npos) return false;
  return credentials_match(s, dec.substr(0, colon), dec.substr(colon + 1));
}

bool check_digest(const Service& s, const std::string& realm, const std::string& method, const std::string* auth,
                  const std::string& secret) {
  if (!auth || auth->size() < 7 || lower(auth->substr(0, 7)) != "digest ") return false;
  auto p = digest_params(std::string_view(*auth).substr(7));
  if (p["realm"] != realm || !nonce_valid(secret, p["nonce"])) return false;
  if (!p["algorithm"].empty() && lower(p["algorithm"]) != "md5") return false;
  const Credential* cred = find_user(s, p["username"]);
  if (!cred) return false;
  // Any credential with this user name may match (a list may hold several passwords).
  for (const auto& c : s.credentials) {
    if (c.username != p["username"]) continue;
    std::string ha1 = md5_hex(c.username + ":" + realm + ":" + c.password);
    std::string ha2 = md5_hex(method + ":" + p["uri"]);
    std::string expect = p["qop"].empty()
                             ? md5_hex(ha1 + ":" + p["nonce"] + ":" + ha2)
                             : md5_hex(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":" + p["qop"] + ":" + ha2);
    if (expect == lower(p["response"])) return true;
  }
  return false;
}

std::string basic_challenge(const std::string& realm) { return fmt::format("Basic realm=\"{}\"", realm); }

std::string digest_challenge(const std::string& realm, const std::string& secret) {
  return fmt::format("Digest realm=\"{}\", qop=\"auth\", nonce=\"{}\", opaque=\"{}\", algorithm=MD5, stale=FALSE", realm,
                     make_nonce(secret, now_s()), md5_hex(realm).substr(0, 16));
}

}  // namespace mamori::lab
