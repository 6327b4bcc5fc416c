// The RTSP credential checker (id "rtsp"): cameras' streams described without credentials, and
// Basic/Digest logins on DESCRIBE (RFC 2326; the Digest of RFC 7616 over method "DESCRIBE" and
// the request URI). It only ever sends OPTIONS-free DESCRIBE requests: never SETUP or PLAY, and
// it never receives a frame.
//
//   check_open(): DESCRIBE each known stream path (rtsp_stream_paths(), at most kMaxDescribes)
//     without credentials; a 200 whose SDP has a media line is OpenAccess "rtsp-stream-open"
//     (path, media types, codec) with no_login_needed. A service that answers 401 everywhere is
//     not open.
//   attempt(): DESCRIBE the paths in order without credentials until one answers 401, then again
//     with an Authorization answering its challenge (a stale Digest nonce is renewed once).
//     Accepted on 200 with media (evidence rtsp.path), or on 404 with credentials where it was
//     401 without (auth accepted, path unknown; the remaining paths are then DESCRIBEd with the
//     credentials to find a stream, within the same cap). Rejected on 401/403. Lockout on
//     "too many"/"locked" or a Retry-After. Unsupported when no path asks for credentials or
//     the challenge is neither Basic nor Digest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks/creds/checker.h"
#include "probes/rtsp/rtsp_probe.h"

namespace mamori::creds {

const Checker& rtsp_checker();

namespace rtsp {

// A common camera stream path and the vendor documentation or tool it comes from.
struct StreamPath {
  std::string_view path;
  std::string_view source;
};
// Ordered by how often the path is met (generic first, then the large vendors).
const std::vector<StreamPath>& rtsp_stream_paths();
// At most this many DESCRIBE requests per check_open() and per attempt().
constexpr size_t kMaxDescribes = 24;

// An RTSP response, parsed with bounds: header section <= kMaxHead bytes and kMaxHeaders lines
// (values cut to 1 KiB), body <= kMaxBody bytes.
// The RTSP response parser is the identification probe's (bounded, fuzzed there too).
using RtspReply = probes::RtspResponse;
// Parses what arrived so far. nullopt unless it starts with "RTSP/d.d ddd".
inline std::optional<RtspReply> parse_rtsp_reply(std::string_view bytes) {
  return probes::parse_rtsp_response(bytes);
}

// One "m=" section of an SDP: media type and the codec of its first payload type
// ("H264/90000" from a=rtpmap, or the static RTP name: PCMU/8000, PCMA/8000, JPEG/90000...).
struct SdpMedia {
  std::string type;   // "video", "audio", "application"...
  std::string codec;  // may be empty
};
// The media sections of an SDP body (at most 8; looks at the first 64 KiB).
std::vector<SdpMedia> parse_sdp_media(std::string_view sdp);

// "rtsp://host:port/path" (the host of the target, bracketed when IPv6).
std::string rtsp_url(const CheckTarget& t, std::string_view path);
// A DESCRIBE request with CSeq, User-Agent, Accept: application/sdp and, when not empty,
// Authorization.
std::string describe_request(std::string_view url, int cseq, std::string_view authorization = "");

}  // namespace rtsp
}  // namespace mamori::creds
