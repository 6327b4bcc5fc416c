// HTTP/1.x-shaped requests (HTTP, RTSP, UPnP control) and the Basic/Digest (RFC 7616, MD5)
// authentication shared by the HTTP and RTSP emulations.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "lab/service.h"

namespace mamori::lab {

struct Request {
  std::string method, target, version;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  const std::string* header(std::string_view name) const;
  std::string path() const;   // target without query, scheme and host
  std::string query() const;  // after '?'
};

// Reads one request: at most 64 header lines of `max_line` bytes, a body of at most
// `max_body` bytes (Content-Length only). nullopt on disconnect, limit or garbage.
boost::asio::awaitable<std::optional<Request>> read_request(Conn& c, size_t max_body = 65536);

struct Response {
  int status = 200;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string serialize(std::string_view protocol = "HTTP/1.1", bool head = false) const;
};
const char* reason_phrase(int status);

std::string md5_hex(std::string_view data);
std::string random_hex(size_t bytes);
std::map<std::string, std::string> parse_form(std::string_view body);  // x-www-form-urlencoded
std::string url_decode(std::string_view s);

// Authorization header checks against the service's credentials. `method` enters the digest.
bool check_basic(const Service& s, const std::string* authorization);
bool check_digest(const Service& s, const std::string& realm, const std::string& method,
                  const std::string* authorization, const std::string& secret);
// WWW-Authenticate value for a fresh challenge.
std::string basic_challenge(const std::string& realm);
std::string digest_challenge(const std::string& realm, const std::string& secret);

}  // namespace mamori::lab
