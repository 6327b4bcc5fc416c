// HTTP and HTTPS: status, Server, title, WWW-Authenticate scheme and realm, form logins,
// redirects followed within the same host (at most 3), and the MD5 of /favicon.ico.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "probes/probe.h"

namespace mamori::probes {

const TcpProbe& http_probe();

// A parsed HTTP response (bounded: headers 32 KiB, body 256 KiB).
struct HttpResponse {
  int status = 0;
  std::string reason;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(std::string_view name) const;  // first value or ""
};

// Parses a complete response held in `bytes` (as read until EOF or until the body was complete).
// nullopt if the bytes are not an HTTP response.
std::optional<HttpResponse> parse_http_response(std::string_view bytes, bool at_eof);

// Sends one request on `conn` and reads the response within the connection's limits.
Task<std::optional<HttpResponse>> http_exchange(net::Conn& conn, std::string request);

// The <title> of an HTML body (entities left as they are, white space collapsed, <= 256 bytes).
std::string html_title(std::string_view body);
// "basic" / "digest" / other scheme name from a WWW-Authenticate value, and its realm.
void parse_www_authenticate(std::string_view value, std::string& scheme, std::string& realm);
// True if the body contains an HTML form with a password field.
bool has_password_form(std::string_view body);

}  // namespace mamori::probes
