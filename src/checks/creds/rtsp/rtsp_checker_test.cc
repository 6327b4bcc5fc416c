#include "checks/creds/rtsp/rtsp_checker.h"

#include <gtest/gtest.h>

#include <set>

#include "checks/creds/http/http_auth.h"
#include "checks/creds/testing/creds_testing.h"
#include "probes/telnet/test_server.h"

namespace mamori::creds {
namespace {
namespace asio = boost::asio;
using namespace rtsp;
using probes::testing::ScriptServer;
using probes::testing::send;

// The lab's SDP (src/lab/services/rtsp.cc), as served.
const char* kSdp =
    "v=0\r\no=- 1109162014219182 1109162014219192 IN IP4 127.71.3.20\r\ns=Media Presentation\r\n"
    "e=NONE\r\nb=AS:5050\r\nt=0 0\r\na=control:rtsp://127.71.3.20/x/\r\n"
    "m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:5000\r\na=recvonly\r\n"
    "a=x-dimensions:1920,1080\r\na=control:rtsp://127.71.3.20/x/trackID=1\r\na=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 profile-level-id=420029; packetization-mode=1\r\n"
    "m=audio 0 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\nb=AS:50\r\na=recvonly\r\n"
    "a=control:rtsp://127.71.3.20/x/trackID=2\r\na=rtpmap:0 PCMU/8000\r\n";

TEST(Paths, ListIsOrderedUniqueCappedAndSourced) {
  const auto& p = rtsp_stream_paths();
  ASSERT_GE(p.size(), 19u);
  EXPECT_LE(p.size(), kMaxDescribes);
  EXPECT_EQ(p[0].path, "/");
  std::set<std::string_view> seen;
  for (const auto& s : p) {
    EXPECT_TRUE(seen.insert(s.path).second) << s.path;
    EXPECT_TRUE(s.path.starts_with("/")) << s.path;
    EXPECT_FALSE(s.source.empty()) << s.path;
  }
  for (std::string_view must : {"/live.sdp", "/h264/ch1/main/av_stream", "/Streaming/Channels/101",
                                "/Streaming/Channels/1", "/cam/realmonitor?channel=1&subtype=0", "/cam/realmonitor",
                                "/live/ch00_0", "/11", "/12", "/live", "/stream1", "/media/video1", "/videoMain",
                                "/onvif1", "/h264", "/live/main", "/ch0_0.h264",
                                "/user=admin_password=tlJwpbo6_channel=1_stream=0.sdp"}) {
    EXPECT_TRUE(seen.contains(must)) << must;
  }
}

TEST(Reply, ParsesHeadAndBody) {
  std::string bytes = "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: " +
                      std::to_string(std::string(kSdp).size()) + "\r\n\r\n" + kSdp;
  auto r = parse_rtsp_reply(bytes);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->header("cseq"), "2");
  EXPECT_EQ(r->body, kSdp);
  auto cut = parse_rtsp_reply(bytes.substr(0, bytes.size() - 10));
  ASSERT_TRUE(cut);
  EXPECT_FALSE(cut->complete);
  auto two = parse_rtsp_reply(
      "RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"a\", nonce=\"n\"\r\n"
      "WWW-Authenticate: Basic realm=\"a\"\r\n\r\n");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->all("www-authenticate").size(), 2u);
}

TEST(Reply, HostileInput) {
  EXPECT_FALSE(parse_rtsp_reply(""));
  EXPECT_FALSE(parse_rtsp_reply("HTTP/1.1 200 OK\r\n\r\n"));
  EXPECT_FALSE(parse_rtsp_reply("RTSP/1.0 2x0 OK\r\n\r\n"));
  auto noend = parse_rtsp_reply("RTSP/1.0 200 OK\r\nA: b");
  ASSERT_TRUE(noend);
  EXPECT_FALSE(noend->header_complete);
  std::string many = "RTSP/1.0 200 OK\r\n";
  for (int i = 0; i < 500; ++i) many += "H" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  auto m = parse_rtsp_reply(many);
  ASSERT_TRUE(m);
  EXPECT_LE(m->headers.size(), RtspReply::kMaxHeaders);
  auto big = parse_rtsp_reply("RTSP/1.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n" + std::string(1 << 17, 'x'));
  ASSERT_TRUE(big);
  EXPECT_LE(big->body.size(), RtspReply::kMaxBody);
  auto huge = parse_rtsp_reply("RTSP/1.0 200 OK\r\nX: " + std::string(1 << 20, 'a') + "\r\n\r\n");
  ASSERT_TRUE(huge);
  EXPECT_FALSE(huge->header_complete);  // header section over the cap
}

TEST(Sdp, MediaAndCodecs) {
  auto m = parse_sdp_media(kSdp);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].type, "video");
  EXPECT_EQ(m[0].codec, "H264/90000");
  EXPECT_EQ(m[1].type, "audio");
  EXPECT_EQ(m[1].codec, "PCMU/8000");
  auto st = parse_sdp_media("m=video 0 RTP/AVP 26\nm=audio 0 RTP/AVP 8\n");
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].codec, "JPEG/90000");
  EXPECT_EQ(st[1].codec, "PCMA/8000");
  EXPECT_TRUE(parse_sdp_media("v=0\r\ns=no media\r\n").empty());
  EXPECT_TRUE(parse_sdp_media("").empty());
  std::string many;
  for (int i = 0; i < 100; ++i) many += "m=video 0 RTP/AVP 96\r\n";
  EXPECT_EQ(parse_sdp_media(many).size(), 8u);
  auto odd = parse_sdp_media("m=\r\nm=video\r\na=rtpmap:96\r\na=rtpmap:\r\n");
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0].type, "video");
}

TEST(Request, Describe) {
  std::string r = describe_request("rtsp://127.0.0.1:554/live.sdp", 3, "Basic YTpi");
  EXPECT_TRUE(r.starts_with("DESCRIBE rtsp://127.0.0.1:554/live.sdp RTSP/1.0\r\nCSeq: 3\r\n"));
  EXPECT_NE(r.find("Accept: application/sdp\r\n"), std::string::npos);
  EXPECT_NE(r.find("Authorization: Basic YTpi\r\n"), std::string::npos);
  EXPECT_TRUE(r.ends_with("\r\n\r\n"));
}

struct Target {
  asio::io_context io;
  ServiceObservation svc;
  CheckTarget t;
  Target(std::string_view ip, uint16_t port) {
    svc.ip = *Ip::parse(ip);
    svc.port = port;
    svc.service = "rtsp";
    t.ex = io.get_executor();
    t.ip = svc.ip;
    t.port = port;
    t.service = &svc;
    t.limits.connect = Millis(2000);
    t.limits.io = Millis(2000);
  }
  AttemptResult attempt(std::string user, std::string pass) {
    return testing::run_sync(io, rtsp_checker().attempt(t, Credential{user, pass, "test", ""}));
  }
  OpenAccessResult open() { return testing::run_sync(io, rtsp_checker().check_open(t)); }
};

// A server that answers 200 with an SDP but no media, and 401 never: not open, nothing to try.
TEST(RtspScripted, SdpWithoutMediaIsNotOpenAndEveryRequestIsCapped) {
  std::atomic<int> requests{0};
  ScriptServer srv([&](asio::ip::tcp::socket s) -> asio::awaitable<void> {
    for (;;) {
      std::string req = co_await probes::testing::read_until(s, "\r\n\r\n");
      if (req.empty()) co_return;
      ++requests;
      EXPECT_TRUE(req.starts_with("DESCRIBE ")) << req;
      std::string body = "v=0\r\ns=empty\r\n";
      co_await send(s, "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  });
  Target t("127.0.0.1", srv.port());
  auto o = t.open();
  EXPECT_TRUE(o.found.empty());
  EXPECT_FALSE(o.no_login_needed);
  EXPECT_EQ(o.attempts, rtsp_stream_paths().size());
  EXPECT_LE(requests.load(), static_cast<int>(kMaxDescribes));
  EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::unsupported);
}

TEST(RtspScripted, LockoutText) {
  ScriptServer srv([&](asio::ip::tcp::socket s) -> asio::awaitable<void> {
    std::string req = co_await probes::testing::read_until(s, "\r\n\r\n");
    if (req.find("Authorization") == std::string::npos) {
      co_await send(s, "RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm=\"c\"\r\n\r\n");
    } else {
      co_await send(s, "RTSP/1.0 403 Too Many Failed Logins\r\nCSeq: 2\r\n\r\n");
    }
  });
  Target t("127.0.0.1", srv.port());
  EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::lockout);
}

TEST(RtspLab, OpenStreamDigestAndBasic) {
  testing::LabProcess lab(std::string(MAMORI_SOURCE_DIR) + "/src/checks/creds/rtsp/testdata/rtsp-lab.yaml");
  if (!lab.ok()) GTEST_SKIP() << lab.why();
  {
    SCOPED_TRACE("open stream");
    Target t("127.71.3.20", 554);
    auto o = t.open();
    ASSERT_EQ(o.found.size(), 1u);
    EXPECT_EQ(o.found[0].check_id, "rtsp-stream-open");
    EXPECT_EQ(o.found[0].evidence["path"], "/Streaming/Channels/101");
    EXPECT_EQ(o.found[0].evidence["media"], "video,audio");
    EXPECT_EQ(o.found[0].evidence["codec"], "H264/90000,PCMU/8000");
    EXPECT_TRUE(o.no_login_needed);
    EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::unsupported);  // nothing asks for a password
  }
  {
    SCOPED_TRACE("digest");
    Target t("127.71.3.21", 554);
    auto o = t.open();
    EXPECT_TRUE(o.found.empty());
    EXPECT_FALSE(o.no_login_needed);
    EXPECT_LE(o.attempts, kMaxDescribes);
    auto ok = t.attempt("admin", "admin");
    EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
    // The lab matches the path without its query, as Dahua firmware does.
    EXPECT_EQ(ok.evidence["rtsp.path"], "/cam/realmonitor?channel=1&subtype=0");
    EXPECT_EQ(ok.evidence["method"], "digest");
    auto bad = t.attempt("admin", "12345");
    EXPECT_EQ(bad.outcome, Outcome::rejected) << bad.detail;
  }
  {
    SCOPED_TRACE("basic on 8554");
    Target t("127.71.3.22", 8554);
    auto ok = t.attempt("admin", "12345");
    EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
    EXPECT_EQ(ok.evidence["rtsp.path"], "/live.sdp");
    EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::rejected);
  }
  {
    SCOPED_TRACE("hardened");
    Target t("127.71.3.23", 554);
    EXPECT_EQ(t.attempt("admin", "admin").outcome, Outcome::rejected);
    auto ok = t.attempt("admin", "Vq7-unique-Lm2c9");
    EXPECT_EQ(ok.outcome, Outcome::accepted) << ok.detail;
    EXPECT_EQ(ok.evidence["rtsp.path"], "/stream1");
  }
}

}  // namespace
}  // namespace mamori::creds
