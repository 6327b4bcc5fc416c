#include "probes/rtsp/rtsp_probe.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "probes/telnet/test_server.h"

namespace mamori::probes {
namespace {
using namespace testing;

TEST(RtspParse, ResponsesAndBounds) {
  auto r = parse_rtsp_response(
      "RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: HIK Media Server V4.21.005\r\nPublic: OPTIONS, DESCRIBE,\r\n"
      " SETUP, PLAY\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->reason, "OK");
  EXPECT_TRUE(r->header_complete);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->header("server"), "HIK Media Server V4.21.005");
  EXPECT_EQ(r->header("public"), "OPTIONS, DESCRIBE, SETUP, PLAY");
  EXPECT_EQ(r->body, "hello");

  auto partial = parse_rtsp_response("RTSP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nhel");
  ASSERT_TRUE(partial);
  EXPECT_TRUE(partial->header_complete);
  EXPECT_FALSE(partial->complete);
  EXPECT_EQ(partial->body, "hel");

  auto headers_only = parse_rtsp_response("RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\n");
  ASSERT_TRUE(headers_only);
  EXPECT_EQ(headers_only->status, 401);
  EXPECT_FALSE(headers_only->header_complete);

  auto lf = parse_rtsp_response("RTSP/1.0 404 Stream Not Found\nCSeq: 2\n\n");
  ASSERT_TRUE(lf);
  EXPECT_TRUE(lf->complete);

  for (const char* bad : {"HTTP/1.1 200 OK\r\n\r\n", "RTSP/1.0 2xx OK\r\n\r\n", "RTSP/1.0", "", "\xff\xfd\x01",
                          "SSH-2.0-x\r\n"}) {
    EXPECT_FALSE(parse_rtsp_response(bad)) << bad;
  }

  // Bounds: a header section larger than 16 KiB never completes; a huge Content-Length reads
  // at most 64 KiB; header count and value length are capped.
  auto huge = parse_rtsp_response("RTSP/1.0 200 OK\r\nX: " + std::string(20000, 'a') + "\r\n\r\n");
  ASSERT_TRUE(huge);
  EXPECT_FALSE(huge->header_complete);
  auto big = parse_rtsp_response("RTSP/1.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n" +
                                 std::string(100000, 'b'));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->body.size(), 0u);  // unparsable length: no body
  auto cap = parse_rtsp_response("RTSP/1.0 200 OK\r\nContent-Length: 1000000\r\n\r\n" + std::string(100000, 'b'));
  ASSERT_TRUE(cap);
  EXPECT_EQ(cap->body.size(), RtspResponse::kMaxBody);
  EXPECT_TRUE(cap->complete);
  std::string many = "RTSP/1.0 200 OK\r\n";
  for (int i = 0; i < 500; ++i) many += "X-" + std::to_string(i) + ": " + std::string(2000, 'v') + "\r\n";
  auto folded = parse_rtsp_response("RTSP/1.0 200 OK\r\nX: " + std::string(1000, 'a') + "\r\n " +
                                    std::string(1000, 'b') + "\r\n\r\n");  // found by fuzz_probe_rtsp
  ASSERT_TRUE(folded);
  EXPECT_EQ(folded->header("x").size(), 1024u);
  auto m = parse_rtsp_response(many + "\r\n");
  ASSERT_TRUE(m);
  EXPECT_LE(m->headers.size(), RtspResponse::kMaxHeaders);
  for (const auto& [k, v] : m->headers) EXPECT_LE(v.size(), 1024u);
}

TEST(RtspParse, AuthAndSdp) {
  std::string realm;
  EXPECT_EQ(rtsp_auth_scheme({"Digest realm=\"IP Camera(C2358)\", nonce=\"e1b6\", stale=\"FALSE\""}, realm), "digest");
  EXPECT_EQ(realm, "IP Camera(C2358)");
  EXPECT_EQ(rtsp_auth_scheme({"Digest realm=\"d\", nonce=\"1\"", "Basic realm=\"b\""}, realm), "basic");
  EXPECT_EQ(realm, "b");
  EXPECT_EQ(rtsp_auth_scheme({"basic realm=RTSPD"}, realm), "basic");
  EXPECT_EQ(realm, "RTSPD");
  EXPECT_EQ(rtsp_auth_scheme({"Negotiate"}, realm), "negotiate");
  EXPECT_EQ(realm, "");
  EXPECT_EQ(rtsp_auth_scheme({}, realm), "");
  EXPECT_EQ(sdp_media("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=video 0 RTP/AVP 96\r\na=x\r\nm=audio 0 RTP/AVP 8\r\n"),
            (std::vector<std::string>{"video", "audio"}));
  EXPECT_TRUE(sdp_media("v=0\r\n").empty());
  std::string lots;
  for (int i = 0; i < 100; ++i) lots += "m=video\n";
  EXPECT_EQ(sdp_media(lots).size(), 8u);
  EXPECT_EQ(rtsp_request("OPTIONS", "rtsp://10.0.0.1:554/", 1),
            "OPTIONS rtsp://10.0.0.1:554/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Mamori/0.1\r\n\r\n");
}

// A camera: OPTIONS answered openly, DESCRIBE asks for Digest. Records the requests.
struct Camera {
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> requests = std::make_shared<std::vector<std::string>>();
  bool close_after_each = false;
  std::string describe_reply =
      "RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IP Camera(C2358)\", "
      "nonce=\"abc\"\r\n\r\n";
  ScriptServer::Script script() {
    return [*this](tcp::socket s) -> asio::awaitable<void> {
      for (int i = 0; i < 2; ++i) {
        std::string req = co_await read_until(s, "\r\n\r\n");
        if (req.empty()) co_return;
        {
          std::lock_guard l(*mu);
          requests->push_back(req);
        }
        if (req.starts_with("OPTIONS ")) {
          co_await send(s, "RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Hipcam RealServer/V1.0\r\n"
                           "Public: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY\r\n\r\n");
        } else if (req.starts_with("DESCRIBE ")) {
          co_await send(s, describe_reply);
        } else {
          co_await send(s, "RTSP/1.0 400 Bad Request\r\n\r\n");
        }
        if (close_after_each) co_return;
      }
    };
  }
};

TEST(RtspProbe, DigestCamera) {
  Camera cam;
  ScriptServer srv(cam.script());
  auto obs = run_probe(rtsp_probe(), srv.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->service, "rtsp");
  EXPECT_EQ(obs->fields["rtsp.server"], "Hipcam RealServer/V1.0");
  EXPECT_EQ(obs->fields["rtsp.public"], "OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY");
  EXPECT_EQ(obs->fields["rtsp.options"], "200");
  EXPECT_EQ(obs->fields["rtsp.describe"], "401");
  EXPECT_EQ(obs->fields["rtsp.auth"], "digest");
  EXPECT_EQ(obs->fields["rtsp.realm"], "IP Camera(C2358)");
  EXPECT_FALSE(obs->fields.contains("rtsp.media"));
  std::lock_guard l(*cam.mu);
  ASSERT_EQ(cam.requests->size(), 2u);
  std::string url = "rtsp://127.0.0.1:" + std::to_string(srv.port()) + "/";
  EXPECT_EQ((*cam.requests)[0], rtsp_request("OPTIONS", url, 1));
  EXPECT_EQ((*cam.requests)[1], rtsp_request("DESCRIBE", url, 2, "Accept: application/sdp\r\n"));
  EXPECT_EQ(srv.connections(), 1);
  for (const auto& r : *cam.requests) EXPECT_EQ(r.find("Authorization"), std::string::npos);
}

TEST(RtspProbe, OpenStreamOnAServerThatClosesEachTime) {
  Camera cam;
  cam.close_after_each = true;
  const std::string sdp = "v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 0 RTP/AVP 0\r\n";
  cam.describe_reply = "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: " +
                       std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
  ScriptServer srv(cam.script());
  auto obs = run_probe(rtsp_probe(), srv.port());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->fields["rtsp.describe"], "200");
  EXPECT_EQ(obs->fields["rtsp.auth"], "none");
  EXPECT_EQ(obs->fields["rtsp.media"], "video,audio");
  EXPECT_EQ(srv.connections(), 2);
}

TEST(RtspProbe, HttpIsNotRtsp) {
  ScriptServer srv([](tcp::socket s) -> asio::awaitable<void> {
    co_await read_until(s, "\r\n\r\n");
    co_await send(s, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  });
  EXPECT_FALSE(run_probe(rtsp_probe(), srv.port()));
}

TEST(RtspProbe, FoundOnAnUnusualPortAfterHttp) {
  EXPECT_EQ(rtsp_probe().affinity(554), 100);
  EXPECT_EQ(rtsp_probe().affinity(8554), 100);
  EXPECT_EQ(rtsp_probe().affinity(10554), 100);
  EXPECT_GT(rtsp_probe().affinity(5544), 0);
  // Answers HTTP's GET with an RTSP status line, as many RTSP servers do.
  Camera cam;
  ScriptServer srv(cam.script());
  auto obs = identify(srv.port());
  EXPECT_EQ(obs.service, "rtsp");
  EXPECT_EQ(obs.fields["rtsp.auth"], "digest");
}

}  // namespace
}  // namespace mamori::probes
