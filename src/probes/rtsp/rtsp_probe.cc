#include "probes/rtsp/rtsp_probe.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

namespace mamori::probes {
namespace {

constexpr size_t kMaxValue = 1024;
constexpr size_t kMaxMedia = 8;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The realm="..." (or realm=token) parameter of one challenge, <= 256 bytes.
std::string realm_of(std::string_view challenge) {
  std::string low = lower(challenge);
  size_t r = low.find("realm=");
  if (r == std::string::npos) return "";
  std::string_view rest = challenge.substr(r + 6);
  std::string realm;
  if (rest.starts_with("\"")) {
    size_t close = rest.find('"', 1);
    realm = std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  } else {
    realm = std::string(rest.substr(0, rest.find_first_of(", ")));
  }
  if (realm.size() > 256) realm.resize(256);
  return realm;
}

}  // namespace

std::string RtspResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::vector<std::string> RtspResponse::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::optional<RtspResponse> parse_rtsp_response(std::string_view bytes) {
  // "RTSP/1.0 200 OK"
  if (bytes.size() < 12 || !bytes.starts_with("RTSP/") || !is_digit(bytes[5]) || bytes[6] != '.' ||
      !is_digit(bytes[7]) || bytes[8] != ' ' || !is_digit(bytes[9]) || !is_digit(bytes[10]) ||
      !is_digit(bytes[11])) {
    return std::nullopt;
  }
  RtspResponse r;
  r.status = (bytes[9] - '0') * 100 + (bytes[10] - '0') * 10 + (bytes[11] - '0');
  std::string_view head = bytes.substr(0, RtspResponse::kMaxHeader);
  size_t eol = head.find('\n');
  r.reason = std::string(trim(head.substr(12, eol == std::string_view::npos ? std::string_view::npos : eol - 12)).substr(0, 256));
  if (eol == std::string_view::npos) return r;
  size_t pos = eol + 1;
  for (;;) {
    size_t e = head.find('\n', pos);
    if (e == std::string_view::npos) return r;  // headers cut short (or longer than the cap)
    std::string_view line = head.substr(pos, e - pos);
    pos = e + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !r.headers.empty()) {  // folded value
      auto& v = r.headers.back().second;
      if (v.size() + 1 < kMaxValue) v += " " + std::string(trim(line).substr(0, kMaxValue - v.size() - 1));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;  // not a header: ignored
    if (r.headers.size() >= RtspResponse::kMaxHeaders) continue;
    r.headers.emplace_back(lower(trim(line.substr(0, colon))).substr(0, 64),
                           std::string(trim(line.substr(colon + 1)).substr(0, kMaxValue)));
  }
  r.header_complete = true;
  std::string cl = r.header("content-length");
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
  if (ec == std::errc() && p != cl.data()) r.content_length = static_cast<size_t>(std::min<uint64_t>(n, SIZE_MAX));
  size_t want = std::min(r.content_length, RtspResponse::kMaxBody);
  std::string_view rest = bytes.substr(pos);
  r.body = std::string(rest.substr(0, want));
  r.complete = r.body.size() >= want;
  return r;
}

std::string rtsp_auth_scheme(const std::vector<std::string>& challenges, std::string& realm) {
  realm.clear();
  const std::string* chosen = nullptr;
  std::string scheme;
  for (const char* want : {"basic", "digest"}) {
    for (const auto& c : challenges) {
      std::string_view t = trim(c);
      if (lower(t.substr(0, t.find(' '))) == want) {
        chosen = &c;
        scheme = want;
        break;
      }
    }
    if (chosen) break;
  }
  if (!chosen && !challenges.empty()) {
    chosen = &challenges.front();
    std::string_view t = trim(*chosen);
    scheme = net::printable(lower(t.substr(0, t.find(' '))), 32);
  }
  if (chosen) realm = realm_of(*chosen);
  return scheme;
}

std::vector<std::string> sdp_media(std::string_view sdp) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < sdp.size() && out.size() < kMaxMedia) {
    size_t e = sdp.find('\n', pos);
    std::string_view line = sdp.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos);
    pos = e == std::string_view::npos ? sdp.size() : e + 1;
    if (!line.starts_with("m=")) continue;
    std::string_view type = line.substr(2, line.find(' ') == std::string_view::npos ? std::string_view::npos : line.find(' ') - 2);
    type = trim(type);
    if (!type.empty()) out.push_back(net::printable(type, 32));
  }
  return out;
}

std::string rtsp_request(std::string_view method, std::string_view url, int cseq,
                         std::string_view extra_headers) {
  std::string r;
  r += method;
  r += ' ';
  r += url;
  r += " RTSP/1.0\r\nCSeq: " + std::to_string(cseq) + "\r\nUser-Agent: Mamori/0.1\r\n";
  r += extra_headers;
  r += "\r\n";
  return r;
}

namespace {

// Sends `request` and reads one response within the connection's limits.
Task<std::optional<RtspResponse>> rtsp_exchange(net::Conn& conn, std::string request) {
  if (!co_await conn.write(request)) co_return std::nullopt;
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + conn.limits().io;
  std::string buf;
  for (;;) {
    if (buf.size() >= 5 && !buf.starts_with("RTSP/")) co_return std::nullopt;  // e.g. "HTTP/"
    auto r = parse_rtsp_response(buf);
    if (r && r->complete) co_return r;
    if (buf.size() >= RtspResponse::kMaxHeader + RtspResponse::kMaxBody || conn.eof() ||
        conn.budget_exhausted()) {
      co_return r;
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
    if (left.count() <= 0) co_return r;
    size_t cap = RtspResponse::kMaxHeader + RtspResponse::kMaxBody - buf.size();
    co_await conn.read_some(buf, left, std::min<size_t>(cap, 16384));
  }
}

std::string rtsp_url(const ProbeContext& ctx, bool tls) {
  std::string host = ctx.hostname.empty() ? ctx.ip.str() : ctx.hostname;
  if (ctx.hostname.empty() && !ctx.ip.is_v4()) host = "[" + host + "]";
  return std::string(tls ? "rtsps://" : "rtsp://") + host + ":" + std::to_string(ctx.port) + "/";
}

class RtspProbe : public TcpProbe {
 public:
  const ProbeInfo& info() const override {
    static const ProbeInfo i{"rtsp", "RTSP server, methods, authentication and unauthenticated DESCRIBE",
                             Proto::tcp, {554, 8554, 10554}, Safety::safe};
    return i;
  }
  int affinity(uint16_t port) const override {
    for (uint16_t p : info().default_ports) {
      if (p == port) return 100;
    }
    return 10;
  }

  Task<std::optional<ServiceObservation>> run(net::Conn& conn, std::string banner,
                                              const ProbeContext& ctx) const override {
    if (!banner.empty() && !banner.starts_with("RTSP/")) co_return std::nullopt;
    const bool tls = conn.is_tls();
    const std::string url = rtsp_url(ctx, tls);
    auto options = co_await rtsp_exchange(conn, rtsp_request("OPTIONS", url, 1));
    if (!options) co_return std::nullopt;
    ServiceObservation obs = make_service(ctx, "rtsp");
    obs.tls = tls;
    obs.fields["rtsp.options"] = std::to_string(options->status);
    if (auto s = options->header("server"); !s.empty()) obs.fields["rtsp.server"] = net::printable(s);
    if (auto p = options->header("public"); !p.empty()) obs.fields["rtsp.public"] = net::printable(p, 512);
    std::vector<std::string> challenges = options->status == 401 ? options->all("www-authenticate")
                                                                 : std::vector<std::string>{};

    // DESCRIBE on the same connection, or on a fresh one if the server closed it (or closes it
    // now: a write to a closed socket succeeds, the read finds the end).
    const std::string describe_req = rtsp_request("DESCRIBE", url, 2, "Accept: application/sdp\r\n");
    std::optional<RtspResponse> describe;
    if (!conn.eof() && options->complete) describe = co_await rtsp_exchange(conn, describe_req);
    if (!describe) {
      auto f = co_await net::Conn::connect(ctx.ex, ctx.ip, ctx.port, ctx.limits);
      bool ready = f.ok();
      if (ready && tls) ready = (co_await (*f)->start_tls(ctx.hostname, ctx.limits.io)).ok();
      if (ready) describe = co_await rtsp_exchange(**f, describe_req);
    }
    if (describe) {
      obs.fields["rtsp.describe"] = std::to_string(describe->status);
      if (!obs.fields.contains("rtsp.server")) {
        if (auto s = describe->header("server"); !s.empty()) obs.fields["rtsp.server"] = net::printable(s);
      }
      if (describe->status == 401) {
        for (auto& ch : describe->all("www-authenticate")) challenges.push_back(std::move(ch));
      }
      if (describe->status == 200) {
        std::string media;
        for (const auto& m : sdp_media(describe->body)) media += (media.empty() ? "" : ",") + m;
        if (!media.empty()) obs.fields["rtsp.media"] = media;
      }
    }
    std::string realm;
    std::string scheme = rtsp_auth_scheme(challenges, realm);
    obs.fields["rtsp.auth"] = scheme.empty() ? "none" : scheme;
    if (!realm.empty()) obs.fields["rtsp.realm"] = net::printable(realm);
    if (auto s = obs.fields.find("rtsp.server"); s != obs.fields.end()) obs.fields["banner"] = "Server: " + s->second;
    co_return obs;
  }
};

}  // namespace

const TcpProbe& rtsp_probe() {
  static const RtspProbe p;
  return p;
}

}  // namespace mamori::probes
