// SSDP (UPnP Device Architecture 1.1 §1, HTTP over UDP), both directions:
//   control point (Mamori's probes): build_search() -> bytes, parse_announcement() <- bytes
//   device        (mamori-lab):      parse_search() <- bytes, build_search_response() -> bytes
// Pure functions: no I/O, thread-safe, never throw. Parsing is bounded (kMaxMessageBytes,
// kMaxHeaders, header names/values without control characters), header names are matched
// case-insensitively, line ends may be CRLF or bare LF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace mamori::proto::ssdp {

inline constexpr uint16_t kPort = 1900;
inline constexpr std::string_view kMulticastV4 = "239.255.255.250";
inline constexpr std::size_t kMaxMessageBytes = 8192;
inline constexpr std::size_t kMaxHeaders = 64;

struct Header {
  std::string name;   // as sent
  std::string value;  // leading/trailing blanks trimmed
};

// Any SSDP datagram: a request (M-SEARCH, NOTIFY) or a response ("HTTP/1.1 200 OK").
struct Message {
  bool is_response = false;
  std::string method;       // requests: "M-SEARCH", "NOTIFY"
  std::string target;       // requests: "*"
  std::string version;      // "HTTP/1.1"
  int status = 0;           // responses: 200
  std::string reason;       // responses: "OK"
  std::vector<Header> headers;

  // The first header with this name (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

// Parses the start line and headers up to the blank line (or the end of the datagram). Refuses
// more than kMaxMessageBytes, more than kMaxHeaders, a start line that is neither
// "METHOD target HTTP/x.y" nor "HTTP/x.y NNN reason", a header line without ':', control bytes.
Expected<Message> parse(std::string_view bytes);

// ---- control point side ---------------------------------------------------------------------

struct SearchRequest {
  std::string host = "239.255.255.250:1900";
  std::string st = "ssdp:all";  // or "upnp:rootdevice", "urn:schemas-upnp-org:device:...:1"
  int mx = 2;                   // seconds, 1..5 for multicast; < 0 omits the header (unicast)
  std::string user_agent;       // optional, omitted when empty
};
// "M-SEARCH * HTTP/1.1\r\nHOST: ...\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\nST: ...\r\n\r\n".
std::string build_search(const SearchRequest& request);

// A device's answer to M-SEARCH or an unsolicited NOTIFY, reduced to what identification needs.
struct Announcement {
  bool is_notify = false;
  std::string location;  // LOCATION (URL of the device description)
  std::string server;    // SERVER ("OS/version UPnP/1.1 product/version")
  std::string st;        // ST for a response, NT for a NOTIFY
  std::string usn;       // USN ("uuid:...::urn:...")
  std::string nts;       // NOTIFY only: "ssdp:alive", "ssdp:byebye", "ssdp:update"
  int max_age = -1;      // from CACHE-CONTROL max-age, -1 when absent or unparsable
};
// Parses a 200 response or a NOTIFY (anything else is an error). Missing headers are empty.
Expected<Announcement> parse_announcement(std::string_view bytes);

// ---- device side ----------------------------------------------------------------------------

// Parses an M-SEARCH request: method M-SEARCH, target "*", a MAN header equal to
// "ssdp:discover" (quotes required by UDA, tolerated without), an ST header. MX is optional
// (unicast search); an absent or unparsable MX gives -1.
Expected<SearchRequest> parse_search(std::string_view bytes);

struct SearchResponse {
  int max_age = 1800;
  std::string location;
  std::string server = "Linux/5.10 UPnP/1.1 mamori-lab/0.1";
  std::string st;
  std::string usn;
  std::string date;  // optional DATE header (RFC 1123), omitted when empty
};
// "HTTP/1.1 200 OK" with CACHE-CONTROL, DATE (if set), EXT (empty), LOCATION, SERVER, ST, USN.
// Fails when a field contains CR or LF (header injection).
Expected<std::string> build_search_response(const SearchResponse& response);

}  // namespace mamori::proto::ssdp
