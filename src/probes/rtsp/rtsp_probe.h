// RTSP (RFC 2326): OPTIONS then DESCRIBE on "/" — the server's name, its methods, whether it
// asks for authentication (Basic or Digest, and the realm), and whether an unauthenticated
// DESCRIBE returns a session description with media. Client-first. Sends no credentials.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "probes/probe.h"

namespace mamori::probes {

const TcpProbe& rtsp_probe();

// An RTSP response, parsed with bounds: header section <= kMaxHeader bytes and kMaxHeaders
// lines (each value cut to 1 KiB), body <= kMaxBody bytes.
struct RtspResponse {
  static constexpr size_t kMaxHeader = 16 * 1024;
  static constexpr size_t kMaxHeaders = 64;
  static constexpr size_t kMaxBody = 64 * 1024;

  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, in order
  std::string body;
  bool header_complete = false;  // the empty line after the headers arrived
  bool complete = false;         // ... and the body (Content-Length, capped at kMaxBody)
  size_t content_length = 0;     // as announced (0 if absent or unparsable)

  std::string header(std::string_view name) const;  // first value or ""
  std::vector<std::string> all(std::string_view name) const;
};

// Parses `bytes` (what arrived so far) as an RTSP response. nullopt if they do not start with
// "RTSP/d.d ddd" (an "HTTP/" reply is not RTSP). No I/O.
std::optional<RtspResponse> parse_rtsp_response(std::string_view bytes);

// From the WWW-Authenticate values of a 401: "basic" if any challenge offers Basic (the weaker
// scheme wins: a client may be led to it), else "digest" if one offers Digest, else the first
// scheme in lower case; "" if there is none. `realm`: the realm of the chosen challenge.
std::string rtsp_auth_scheme(const std::vector<std::string>& challenges, std::string& realm);

// Media types of an SDP body's "m=" lines ("video", "audio", ...), at most 8.
std::vector<std::string> sdp_media(std::string_view sdp);

// The request line and headers of an RTSP request for `url` with sequence number `cseq`.
std::string rtsp_request(std::string_view method, std::string_view url, int cseq,
                         std::string_view extra_headers = "");

}  // namespace mamori::probes
