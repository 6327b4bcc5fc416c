// RTSP response parsing, challenge and SDP media extraction on arbitrary bytes. Oracles: bounds,
// and a complete response stays the same parsed with bytes appended.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "probes/rtsp/rtsp_probe.h"

using namespace mamori::probes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = parse_rtsp_response(in);
  (void)sdp_media(in);
  if (!r) return 0;
  if (r->status < 0 || r->status > 999 || r->headers.size() > RtspResponse::kMaxHeaders) std::abort();
  if (r->body.size() > RtspResponse::kMaxBody) std::abort();
  for (const auto& [k, v] : r->headers) {
    if (k.size() > 64 || v.size() > 1024) std::abort();
  }
  if (sdp_media(r->body).size() > 8) std::abort();
  std::string realm;
  (void)rtsp_auth_scheme(r->all("www-authenticate"), realm);
  if (realm.size() > 256) std::abort();
  if (r->complete) {
    auto again = parse_rtsp_response(std::string(in) + "RTSP/1.0 200 OK\r\n\r\n");
    if (!again || again->status != r->status || again->body != r->body || again->headers != r->headers) std::abort();
  }
  return 0;
}
