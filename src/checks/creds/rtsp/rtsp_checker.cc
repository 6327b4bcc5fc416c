#include "checks/creds/rtsp/rtsp_checker.h"

#include <charconv>
#include <chrono>
#include <memory>

#include "checks/creds/http/http_auth.h"

namespace mamori::creds {
namespace rtsp {
namespace {

constexpr size_t kMaxValue = 1024;
constexpr size_t kMaxMedia = 8;
constexpr size_t kMaxSdp = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Names of the static RTP payload types cameras use (RFC 3551, table 4 and 5).
std::string static_payload(std::string_view pt) {
  if (pt == "0") return "PCMU/8000";
  if (pt == "8") return "PCMA/8000";
  if (pt == "14") return "MPA/90000";
  if (pt == "26") return "JPEG/90000";
  if (pt == "32") return "MPV/90000";
  if (pt == "33") return "MP2T/90000";
  if (pt == "34") return "H263/90000";
  return "";
}

}  // namespace

const std::vector<StreamPath>& rtsp_stream_paths() {
  // Sources: the vendors' integration guides where public, and nmap's nselib/data/rtsp-urls.txt
  // (used by rtsp-url-brute), which collects them.
  static const std::vector<StreamPath> paths = {
      {"/", "generic: live555 and many embedded servers describe their only stream at the root"},
      {"/live.sdp", "Vivotek and generic embedded servers (nmap rtsp-urls.txt)"},
      {"/h264/ch1/main/av_stream", "Hikvision (pre-ISAPI firmware), HiWatch"},
      {"/Streaming/Channels/101", "Hikvision ISAPI: channel 1 main stream"},
      {"/Streaming/Channels/1", "Hikvision ISAPI older form, HiLook"},
      {"/cam/realmonitor?channel=1&subtype=0", "Dahua (and OEMs: Amcrest, Lorex): channel 1 main stream"},
      {"/cam/realmonitor", "Dahua short form"},
      {"/live/ch00_0", "HiSilicon-based generic cameras (ch00_0 = channel 0 main)"},
      {"/11", "HiSilicon-based generic cameras (Wanscam, Foscam-clones): main stream"},
      {"/12", "HiSilicon-based generic cameras: sub stream"},
      {"/live", "generic embedded servers (nmap rtsp-urls.txt)"},
      {"/stream1", "TP-Link Tapo / VIGI: main stream"},
      {"/media/video1", "Samsung Techwin (Hanwha) older models (nmap rtsp-urls.txt)"},
      {"/videoMain", "Foscam HD (FI9xxx): main stream"},
      {"/onvif1", "Yoosee / V380 style ONVIF cameras"},
      {"/h264", "generic embedded servers (nmap rtsp-urls.txt)"},
      {"/live/main", "generic embedded servers (nmap rtsp-urls.txt)"},
      {"/ch0_0.h264", "HiSilicon DVR/NVR firmware"},
      {"/user=admin_password=tlJwpbo6_channel=1_stream=0.sdp",
       "XMeye / Xiongmai (NETSurveillance): admin with an empty password, hash tlJwpbo6 in the URL"},
      {"/axis-media/media.amp", "Axis (VAPIX RTSP API)"},
      {"/h264Preview_01_main", "Reolink: channel 1 main stream"},
      {"/video1", "generic embedded servers (nmap rtsp-urls.txt)"},
  };
  return paths;
}


std::vector<SdpMedia> parse_sdp_media(std::string_view sdp) {
  sdp = sdp.substr(0, kMaxSdp);
  std::vector<SdpMedia> out;
  std::string first_pt;  // first payload type of the current m= line
  bool codec_set = false;
  size_t pos = 0;
  while (pos < sdp.size()) {
    size_t e = sdp.find('\n', pos);
    std::string_view line = trim(sdp.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos));
    pos = e == std::string_view::npos ? sdp.size() : e + 1;
    if (line.starts_with("m=")) {
      if (out.size() >= kMaxMedia) break;
      // m=<media> <port> <proto> <fmt> ...
      std::vector<std::string_view> f;
      std::string_view rest = line.substr(2);
      while (!rest.empty() && f.size() < 4) {
        size_t sp = rest.find(' ');
        std::string_view w = rest.substr(0, sp);
        if (!w.empty()) f.push_back(w);
        rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
      }
      if (f.empty()) continue;
      out.push_back(SdpMedia{net::printable(f[0], 32), f.size() >= 4 ? static_payload(f[3]) : ""});
      first_pt = f.size() >= 4 ? std::string(f[3].substr(0, 8)) : "";
      codec_set = false;
    } else if (line.starts_with("a=rtpmap:") && !out.empty() && !codec_set) {
      // a=rtpmap:<pt> <encoding>/<clock>[/<channels>]
      std::string_view v = line.substr(9);
      size_t sp = v.find(' ');
      if (sp == std::string_view::npos) continue;
      if (!first_pt.empty() && v.substr(0, sp) != first_pt) continue;
      out.back().codec = net::printable(trim(v.substr(sp + 1)), 48);
      codec_set = true;
    }
  }
  return out;
}

std::string rtsp_url(const CheckTarget& t, std::string_view path) {
  std::string host = t.hostname.empty() ? t.ip.str() : t.hostname;
  if (t.hostname.empty() && !t.ip.is_v4()) host = "[" + host + "]";
  const bool tls = t.service && t.service->tls;
  std::string p(path.empty() ? "/" : path);
  if (p.front() != '/') p = "/" + p;
  return std::string(tls ? "rtsps://" : "rtsp://") + host + ":" + std::to_string(t.port) + p;
}

std::string describe_request(std::string_view url, int cseq, std::string_view authorization) {
  std::string r = "DESCRIBE ";
  r.append(url).append(" RTSP/1.0\r\nCSeq: ").append(std::to_string(cseq));
  r += "\r\nUser-Agent: Mamori/0.1\r\nAccept: application/sdp\r\n";
  if (!authorization.empty()) r.append("Authorization: ").append(authorization).append("\r\n");
  r += "\r\n";
  return r;
}

}  // namespace rtsp

namespace {
using namespace rtsp;

// Sends one request and reads one response within the connection's limits.
Task<std::optional<RtspReply>> exchange(net::Conn& conn, std::string request) {
  if (!co_await conn.write(request)) co_return std::nullopt;
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + conn.limits().io;
  std::string buf;
  for (;;) {
    if (buf.size() >= 5 && !buf.starts_with("RTSP/")) co_return std::nullopt;
    auto r = parse_rtsp_reply(buf);
    if (r && r->complete) co_return r;
    if (buf.size() >= RtspReply::kMaxHeader + RtspReply::kMaxBody || conn.eof() || conn.budget_exhausted()) {
      co_return r && r->header_complete ? r : std::nullopt;
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
    if (left.count() <= 0) co_return r && r->header_complete ? r : std::nullopt;
    size_t cap = RtspReply::kMaxHeader + RtspReply::kMaxBody - buf.size();
    co_await conn.read_some(buf, left, std::min<size_t>(cap, 16384));
  }
}

// DESCRIBEs on one connection, reopened when the server closed it; counts the requests.
class Session {
 public:
  explicit Session(const CheckTarget& t) : t_(t) {}
  unsigned requests() const { return requests_; }

  Task<Expected<RtspReply>> describe(const std::string& url, const std::string& authorization) {
    for (int tryno = 0; tryno < 2; ++tryno) {
      bool fresh = false;
      if (!conn_ || conn_->eof()) {
        auto c = co_await net::Conn::connect(t_.ex, t_.ip, t_.port, t_.limits);
        if (!c) co_return c.error();
        conn_ = std::move(*c);
        if (t_.service && t_.service->tls) {
          auto s = co_await conn_->start_tls(t_.hostname, t_.limits.io);
          if (!s) {
            conn_.reset();
            co_return s.error();
          }
        }
        fresh = true;
      }
      ++requests_;
      auto r = co_await exchange(*conn_, describe_request(url, ++cseq_, authorization));
      if (r) co_return std::move(*r);
      conn_.reset();
      if (fresh) break;  // a fresh connection that does not answer will not answer again
    }
    co_return make_error("no RTSP response");
  }

 private:
  const CheckTarget& t_;
  std::unique_ptr<net::Conn> conn_;
  int cseq_ = 0;
  unsigned requests_ = 0;
};

bool rtsp_lockout(const RtspReply& r) {
  if (r.status == 401 || r.status == 403 || r.status == 503 || r.status == 453) {
    if (!r.header("retry-after").empty()) return true;
  }
  return r.status != 200 && http::lockout_text(r.reason + "\n" + r.body);
}

std::map<std::string, std::string> media_evidence(const std::string& path, const std::vector<SdpMedia>& media) {
  std::string types, codecs;
  for (const auto& m : media) {
    types += (types.empty() ? "" : ",") + m.type;
    if (!m.codec.empty()) codecs += (codecs.empty() ? "" : ",") + m.codec;
  }
  std::map<std::string, std::string> ev{{"path", net::printable(path)}, {"media", types}};
  if (!codecs.empty()) ev["codec"] = codecs;
  return ev;
}

AttemptResult result(Outcome o, std::string detail, std::map<std::string, std::string> ev = {}) {
  return AttemptResult{o, net::printable(detail), std::move(ev)};
}

std::string status_text(const RtspReply& r) { return "RTSP " + std::to_string(r.status); }

class RtspChecker : public Checker {
 public:
  const CheckerInfo& info() const override {
    static const CheckerInfo i{"rtsp", "RTSP streams described without credentials; Basic/Digest on DESCRIBE",
                               {"rtsp"}, "login"};
    return i;
  }
  bool applies(const ServiceObservation& s) const override { return s.service == "rtsp"; }

  Task<OpenAccessResult> check_open(const CheckTarget& t) const override {
    OpenAccessResult out;
    Session s(t);
    const auto& paths = rtsp_stream_paths();
    for (size_t i = 0; i < paths.size() && s.requests() < kMaxDescribes; ++i) {
      const std::string path(paths[i].path);
      auto r = co_await s.describe(rtsp_url(t, path), "");
      if (!r) break;  // connect failures: the service is gone, stop
      if (rtsp_lockout(*r)) {
        out.lockout = true;
        break;
      }
      if (r->status != 200) continue;
      auto media = parse_sdp_media(r->body);
      if (media.empty()) continue;
      auto ev = media_evidence(path, media);
      out.found.push_back(OpenAccess{"rtsp-stream-open", "stream " + ev["path"] + " described without credentials (" + ev["media"] + ")", ev});
      out.no_login_needed = true;
      break;
    }
    out.attempts = s.requests();
    co_return out;
  }

  Task<AttemptResult> attempt(const CheckTarget& t, const Credential& c) const override {
    Session s(t);
    const auto& paths = rtsp_stream_paths();
    for (size_t i = 0; i < paths.size() && s.requests() < kMaxDescribes; ++i) {
      const std::string path(paths[i].path);
      const std::string url = rtsp_url(t, path);
      auto r0 = co_await s.describe(url, "");
      if (!r0) co_return result(Outcome::error, r0.error().message);
      if (rtsp_lockout(*r0)) co_return result(Outcome::lockout, status_text(*r0) + " with lockout signs");
      if (r0->status != 401) continue;  // open (200), unknown (404) or refused: another path
      co_return co_await login(s, t, c, i, *r0);
    }
    co_return result(Outcome::unsupported, "no stream path asked for credentials");
  }

 private:
  // Answers the 401 `r0` got for paths[i], then looks for a stream with the credentials.
  static Task<AttemptResult> login(Session& s, const CheckTarget& t, const Credential& c, size_t i,
                                   const RtspReply& r0) {
    const auto& paths = rtsp_stream_paths();
    auto challenges = http::parse_challenges(r0.all("www-authenticate"));
    const http::Challenge* ch = http::choose_challenge(challenges);
    if (!ch) co_return result(Outcome::unsupported, "RTSP 401 without a Basic/Digest challenge we can answer");
    http::Challenge chosen = *ch;
    const std::string cnonce = http::make_cnonce();
    unsigned nc = 0;
    bool renewed = false;
    std::optional<std::string> auth_ok_path;  // a 404 with credentials: auth accepted
    for (size_t j = i; j < paths.size() && s.requests() < kMaxDescribes; ++j) {
      const std::string path(paths[j].path);
      const std::string url = rtsp_url(t, path);
      auto auth = http::authorization(chosen, {"DESCRIBE", url, cnonce, ++nc}, c.username, c.password);
      if (!auth) co_return result(Outcome::unsupported, "challenge cannot be answered");
      auto r = co_await s.describe(url, *auth);
      if (!r) {
        if (auth_ok_path) break;
        co_return result(Outcome::error, r.error().message);
      }
      std::map<std::string, std::string> ev{{"method", chosen.scheme}, {"status", std::to_string(r->status)}};
      if (rtsp_lockout(*r)) co_return result(Outcome::lockout, status_text(*r) + " with lockout signs", ev);
      if (r->status == 401 && !renewed) {
        // A stale nonce, or a server that hands out one nonce per request: renew once.
        auto again = http::parse_challenges(r->all("www-authenticate"));
        const http::Challenge* fresh = http::choose_challenge(again);
        if (fresh && fresh->scheme == "digest" &&
            (http::lower(fresh->param("stale")) == "true" || auth_ok_path)) {
          chosen = *fresh;
          renewed = true;
          nc = 0;
          --j;
          continue;
        }
      }
      if (r->status == 200) {
        auto media = parse_sdp_media(r->body);
        if (!media.empty()) {
          auto m = media_evidence(path, media);
          ev.insert(m.begin(), m.end());
          ev["rtsp.path"] = m["path"];
          co_return result(Outcome::accepted, "RTSP 200 with SDP media for " + m["path"] + " with credentials", ev);
        }
        if (!auth_ok_path) co_return result(Outcome::error, "RTSP 200 without SDP media with credentials", ev);
        continue;
      }
      if (r->status == 404) {
        if (!auth_ok_path) auth_ok_path = path;
        continue;  // credentials accepted; look for a path that has a stream
      }
      if (auth_ok_path) break;
      if (r->status == 401 || r->status == 403) {
        co_return result(Outcome::rejected, status_text(*r) + " with " + chosen.scheme + " credentials", ev);
      }
      co_return result(Outcome::error, status_text(*r) + " with credentials, 401 without", ev);
    }
    if (auth_ok_path) {
      co_return result(Outcome::accepted,
                       "RTSP 404 for " + net::printable(*auth_ok_path) + " with credentials, 401 without: credentials accepted, stream path unknown",
                       {{"method", chosen.scheme}, {"status", "404"}, {"path_tried", net::printable(*auth_ok_path)}});
    }
    co_return result(Outcome::error, "no answer to the credentials within the request cap");
  }
};

}  // namespace

const Checker& rtsp_checker() {
  static const RtspChecker c;
  return c;
}

}  // namespace mamori::creds
