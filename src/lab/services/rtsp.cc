// RTSP: OPTIONS, DESCRIBE (SDP with media lines for the device's stream paths), with no auth,
// Basic or Digest. Like real cameras: without valid credentials every DESCRIBE gets 401 (the
// path is not revealed), with them an unknown path gets 404. SETUP is refused (461): the lab
// describes streams, it does not stream.
#include <fmt/format.h>

#include "lab/services/http_common.h"

namespace mamori::lab {
namespace {

struct RtspState : ServiceState {
  std::string secret = random_hex(16);
};

std::unique_ptr<ServiceState> make_state(const Device&, const Service&) { return std::make_unique<RtspState>(); }

std::string sdp(const Device& d, const std::string& path) {
  std::string ip = ipv4_str(d.address);
  return fmt::format(
      "v=0\r\no=- 1109162014219182 1109162014219192 IN IP4 {0}\r\ns=Media Presentation\r\n"
      "e=NONE\r\nb=AS:5050\r\nt=0 0\r\na=control:rtsp://{0}{1}/\r\n"
      "m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:5000\r\na=recvonly\r\n"
      "a=x-dimensions:1920,1080\r\na=control:rtsp://{0}{1}/trackID=1\r\na=rtpmap:96 H264/90000\r\n"
      "a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z01AKI2NQDwBE/LCAAAOEAACvyAI,aO44gA==\r\n"
      "m=audio 0 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\nb=AS:50\r\na=recvonly\r\n"
      "a=control:rtsp://{0}{1}/trackID=2\r\na=rtpmap:0 PCMU/8000\r\n",
      ip, path);
}

Response handle(const Request& r, ServiceEnv& env, const std::string& base_url) {
  const Service& s = env.service;
  auto& st = *static_cast<RtspState*>(env.state);
  std::string realm = s.realm.empty() ? "Login to " + env.device.serial : s.realm;
  Response res;
  if (r.version != "RTSP/1.0") {
    res.status = 505;
    return res;
  }
  if (r.method == "OPTIONS") {
    res.headers.emplace_back("Public", "OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER");
    return res;
  }
  if (r.method != "DESCRIBE" && r.method != "SETUP" && r.method != "PLAY" && r.method != "TEARDOWN" &&
      r.method != "GET_PARAMETER" && r.method != "PAUSE") {
    res.status = 501;
    return res;
  }
  if (s.auth == "basic" || s.auth == "digest") {
    bool ok = s.auth == "basic" ? check_basic(s, r.header("authorization"))
                                : check_digest(s, realm, r.method, r.header("authorization"), st.secret);
    if (!ok) {
      res.status = 401;
      res.headers.emplace_back("WWW-Authenticate",
                               s.auth == "basic" ? basic_challenge(realm) : digest_challenge(realm, st.secret));
      return res;
    }
  }
  std::string path = r.path();
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const std::string* match = nullptr;
  for (const auto& p : s.paths) {
    // Track URLs (path/trackID=1) belong to their stream.
    if (path == p || (path.rfind(p + "/", 0) == 0 && r.method != "DESCRIBE")) match = &p;
  }
  if (!match) {
    res.status = 404;
    return res;
  }
  if (r.method == "DESCRIBE") {
    res.headers.emplace_back("Content-Type", "application/sdp");
    res.headers.emplace_back("Content-Base", base_url + *match + "/");
    res.body = sdp(env.device, *match);
    res.headers.emplace_back("Content-Length", std::to_string(res.body.size()));
    return res;
  }
  if (r.method == "SETUP") {
    res.status = 461;
    return res;
  }
  res.status = 454;  // PLAY/PAUSE/TEARDOWN/GET_PARAMETER without a session
  return res;
}

boost::asio::awaitable<void> serve(Conn& c, ServiceEnv& env) {
  std::string base_url = fmt::format("rtsp://{}", ipv4_str(env.device.address));
  if (env.service.port != 554) base_url += fmt::format(":{}", env.service.port);
  for (int i = 0; i < 100; ++i) {
    auto req = co_await read_request(c, 4096);
    if (!req) co_return;
    Response res = handle(*req, env, base_url);
    const std::string* cseq = req->header("cseq");
    res.headers.emplace(res.headers.begin(), "CSeq", cseq ? cseq->substr(0, 16) : "0");
    if (!env.service.server.empty()) res.headers.emplace_back("Server", env.service.server);
    res.headers.emplace_back("Date", "Thu, 01 Jan 2015 00:00:00 GMT");
    if (!co_await c.write(res.serialize("RTSP/1.0"))) co_return;
  }
}

std::vector<std::string> findings(const Device&, const Service& s) {
  if (s.auth == "none") return {"rtsp-stream-open", "no-authentication"};
  if (s.auth == "basic") return {"cleartext-admin"};
  return {};
}

}  // namespace

extern const ServiceKind kRtspKind{
    "rtsp", "camera RTSP server: OPTIONS/DESCRIBE with SDP, optional Basic/Digest", Transport::tcp, 554,
    {"server", "realm", "auth", "credentials", "paths"}, serve, nullptr, findings, make_state, "rtsp"};

}  // namespace mamori::lab
