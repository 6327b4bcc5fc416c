#include "probes/http/http_probe.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include <boost/beast/http.hpp>

namespace mamori::probes {
namespace {
namespace http = boost::beast::http;

constexpr size_t kHeaderLimit = 32 * 1024;
constexpr size_t kBodyLimit = 256 * 1024;
constexpr int kMaxRedirects = 3;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string host_header(const ProbeContext& ctx, bool tls) {
  std::string host = ctx.hostname.empty() ? ctx.ip.str() : ctx.hostname;
  if (ctx.hostname.empty() && !ctx.ip.is_v4()) host = "[" + host + "]";
  bool default_port = (!tls && ctx.port == 80) || (tls && ctx.port == 443);
  return default_port ? host : host + ":" + std::to_string(ctx.port);
}

std::string get_request(std::string_view path, const ProbeContext& ctx, bool tls) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + host_header(ctx, tls) +
         "\r\nUser-Agent: Mamori/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

std::string md5_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

// A same-host redirect target path, or "" if the Location leaves this host:port.
std::string same_host_path(std::string_view location, const ProbeContext& ctx, bool tls) {
  if (location.starts_with("/")) return location.starts_with("//") ? "" : std::string(location);
  std::string_view rest;
  if (location.starts_with("http://") && !tls) rest = location.substr(7);
  else if (location.starts_with("https://") && tls) rest = location.substr(8);
  else return "";
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "/" : rest.substr(slash);
  if (lower(authority) != lower(host_header(ctx, tls)) &&
      lower(authority) != lower(ctx.ip.is_v4() ? ctx.ip.str() : "[" + ctx.ip.str() + "]")) {
    return "";
  }
  return std::string(path);
}

class HttpProbe : public TcpProbe {
 public:
  const ProbeInfo& info() const override {
    static const ProbeInfo i{"http", "HTTP(S) status, server, title, auth realm, favicon", Proto::tcp,
                             {80, 81, 443, 8000, 8008, 8080, 8081, 8443, 8888, 9000, 7547},
                             Safety::safe};
    return i;
  }
  int affinity(uint16_t port) const override {
    for (uint16_t p : info().default_ports) {
      if (p == port) return 100;
    }
    return 50;  // the most common protocol on an unknown silent port
  }

  Task<std::optional<ServiceObservation>> run(net::Conn& conn, std::string banner,
                                              const ProbeContext& ctx) const override {
    if (!banner.empty() && !banner.starts_with("HTTP/")) co_return std::nullopt;
    const bool tls = conn.is_tls();
    auto resp = co_await http_exchange(conn, get_request("/", ctx, tls));
    if (!resp) co_return std::nullopt;
    ServiceObservation obs = make_service(ctx, tls ? "https" : "http");
    obs.tls = tls;
    std::string first_location;
    // Follow same-host redirects on fresh connections.
    for (int hop = 0; hop < kMaxRedirects && resp->status >= 300 && resp->status < 400; ++hop) {
      std::string loc = resp->header("location");
      if (first_location.empty()) first_location = loc;
      std::string path = same_host_path(loc, ctx, tls);
      if (path.empty()) break;
      auto next = co_await fetch(path, ctx, tls);
      if (!next) break;
      resp = std::move(next);
    }
    record(*resp, obs);
    if (!first_location.empty()) obs.fields["http.location"] = net::printable(first_location);
    if (auto icon = co_await fetch("/favicon.ico", ctx, tls);
        icon && icon->status == 200 && !icon->body.empty() && icon->body.size() < 200000) {
      obs.fields["http.favicon_md5"] = md5_hex(icon->body);
    }
    co_return obs;
  }

 private:
  static void record(const HttpResponse& r, ServiceObservation& obs) {
    obs.fields["http.status"] = std::to_string(r.status);
    if (auto s = r.header("server"); !s.empty()) obs.fields["http.server"] = net::printable(s);
    if (auto t = html_title(r.body); !t.empty()) obs.fields["http.title"] = t;
    std::string auth = "none";
    if (auto w = r.header("www-authenticate"); !w.empty()) {
      std::string scheme, realm;
      parse_www_authenticate(w, scheme, realm);
      auth = scheme;
      if (!realm.empty()) obs.fields["http.realm"] = net::printable(realm);
    } else if (has_password_form(r.body)) {
      auth = "form";
    }
    obs.fields["http.auth"] = auth;
    obs.fields["banner"] = net::printable(r.header("server").empty() ? "" : "Server: " + r.header("server"));
    if (obs.fields["banner"].empty()) obs.fields.erase("banner");
  }

  static Task<std::optional<HttpResponse>> fetch(std::string path, const ProbeContext& ctx, bool tls) {
    auto c = co_await net::Conn::connect(ctx.ex, ctx.ip, ctx.port, ctx.limits);
    if (!c) co_return std::nullopt;
    if (tls) {
      auto t = co_await (*c)->start_tls(ctx.hostname, ctx.limits.io);
      if (!t) co_return std::nullopt;
    }
    co_return co_await http_exchange(**c, get_request(path, ctx, tls));
  }
};

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? "" : it->second;
}

std::optional<HttpResponse> parse_http_response(std::string_view bytes, bool at_eof) {
  if (!bytes.starts_with("HTTP/")) return std::nullopt;
  http::response_parser<http::string_body> p;
  p.header_limit(kHeaderLimit);
  p.body_limit(kBodyLimit);
  p.eager(true);
  boost::system::error_code ec;
  size_t off = 0;
  while (off < bytes.size() && !p.is_done()) {
    size_t used = p.put(boost::asio::buffer(bytes.data() + off, bytes.size() - off), ec);
    off += used;
    if (ec == http::error::need_more) {
      ec = {};
      if (used == 0) break;
      continue;
    }
    if (ec) break;
  }
  if (!p.is_done() && at_eof && p.is_header_done() && !ec) p.put_eof(ec);
  if (!p.is_header_done()) return std::nullopt;
  const auto& msg = p.get();
  HttpResponse r;
  r.status = static_cast<int>(msg.result_int());
  r.reason = std::string(msg.reason());
  for (const auto& f : msg) r.headers.emplace(lower(f.name_string()), std::string(f.value()));
  r.body = msg.body();  // whatever arrived, even if the body was cut short
  return r;
}

Task<std::optional<HttpResponse>> http_exchange(net::Conn& conn, std::string request) {
  auto w = co_await conn.write(request);
  if (!w) co_return std::nullopt;
  std::string buf;
  // Headers first, then the body until EOF, the length, or the cap.
  co_await conn.read_until(buf, "\r\n\r\n", conn.limits().io, kHeaderLimit);
  if (!buf.starts_with("HTTP/")) co_return std::nullopt;
  for (;;) {
    auto r = parse_http_response(buf, conn.eof());
    size_t hdr_end = buf.find("\r\n\r\n");
    bool complete = false;
    if (r && hdr_end != std::string::npos) {
      std::string cl = r->header("content-length");
      std::string te = lower(r->header("transfer-encoding"));
      if (!cl.empty()) {
        complete = buf.size() - hdr_end - 4 >= static_cast<size_t>(std::strtoull(cl.c_str(), nullptr, 10));
      } else if (te.find("chunked") != std::string::npos) {
        complete = buf.find("\r\n0\r\n", hdr_end) != std::string::npos || buf.ends_with("0\r\n\r\n");
      } else if (r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200)) {
        complete = true;
      }
    }
    if (complete || conn.eof() || buf.size() >= kHeaderLimit + kBodyLimit || conn.budget_exhausted()) {
      co_return parse_http_response(buf, true);
    }
    size_t n = co_await conn.read_some(buf, conn.limits().io, 16384);
    if (n == 0 && !conn.eof()) co_return parse_http_response(buf, true);  // stalled: keep what came
  }
}

std::string html_title(std::string_view body) {
  std::string low = lower(body.substr(0, std::min<size_t>(body.size(), 64 * 1024)));
  size_t open = low.find("<title");
  if (open == std::string::npos) return "";
  size_t start = low.find('>', open);
  if (start == std::string::npos) return "";
  size_t end = low.find("</title", start);
  if (end == std::string::npos) end = std::min(low.size(), start + 1 + 256);
  std::string raw(body.substr(start + 1, end - start - 1));
  std::string out;
  bool space = false;
  for (char c : raw) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
    if (out.size() >= 256) break;
  }
  return net::printable(out);
}

void parse_www_authenticate(std::string_view value, std::string& scheme, std::string& realm) {
  size_t sp = value.find(' ');
  scheme = lower(value.substr(0, sp));
  realm.clear();
  std::string low = lower(value);
  size_t r = low.find("realm=");
  if (r == std::string::npos) return;
  std::string_view rest = value.substr(r + 6);
  if (rest.starts_with("\"")) {
    size_t close = rest.find('"', 1);
    realm = std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  } else {
    realm = std::string(rest.substr(0, rest.find_first_of(", ")));
  }
  if (realm.size() > 256) realm.resize(256);
}

bool has_password_form(std::string_view body) {
  std::string low = lower(body.substr(0, std::min<size_t>(body.size(), 64 * 1024)));
  return low.find("type=\"password\"") != std::string::npos ||
         low.find("type='password'") != std::string::npos ||
         low.find("type=password") != std::string::npos;
}

const TcpProbe& http_probe() {
  static const HttpProbe p;
  return p;
}

}  // namespace mamori::probes
