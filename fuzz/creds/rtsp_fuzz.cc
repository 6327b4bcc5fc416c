// libFuzzer target for the RTSP checker's parsers of device bytes: the RTSP response head (and
// its challenges) and SDP media lines.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checks/creds/http/http_auth.h"
#include "checks/creds/rtsp/rtsp_checker.h"

using namespace mamori::creds;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto r = rtsp::parse_rtsp_reply(in)) {
    if (r->headers.size() > rtsp::RtspReply::kMaxHeaders || r->body.size() > rtsp::RtspReply::kMaxBody) {
      __builtin_trap();
    }
    http::choose_challenge(http::parse_challenges(r->all("www-authenticate")));
    rtsp::parse_sdp_media(r->body);
  }
  auto media = rtsp::parse_sdp_media(in);
  if (media.size() > 8) __builtin_trap();
  return 0;
}
