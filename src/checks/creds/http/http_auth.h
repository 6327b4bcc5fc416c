// HTTP-style authentication shared by the HTTP and RTSP credential checkers: the challenges of
// WWW-Authenticate (RFC 7235), Basic (RFC 7617) and Digest (RFC 7616: MD5, MD5-sess, SHA-256,
// SHA-256-sess, SHA-512-256; qop=auth; the RFC 2069 form without qop), HTTP responses read with
// Boost.Beast's bounded parser, cookies, and the signs of a lockout.
//
// Every parser here takes device bytes and is bounded: it looks at a fixed prefix of its input,
// keeps a fixed number of items and cuts values to a fixed length. None throws.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks/creds/checker.h"

namespace mamori::creds::http {

// ---- Challenges ------------------------------------------------------------------------------

struct Challenge {
  static constexpr size_t kMaxParams = 32;
  static constexpr size_t kMaxValue = 1024;

  std::string scheme;                         // lower case: "basic", "digest", "bearer"...
  std::map<std::string, std::string> params;  // lower-case names, values unquoted and unescaped
  std::string token68;                        // "Negotiate abc==" form, rarely used
  std::string param(std::string_view name) const;  // value or ""
};

constexpr size_t kMaxChallenges = 16;
constexpr size_t kMaxChallengeInput = 8 * 1024;  // bytes of one header value looked at

// The challenges of one WWW-Authenticate value, which may hold several ("Basic realm="a",
// Digest realm="b", nonce="c""). Quoted strings may contain commas and backslash escapes.
// Unparsable tails are dropped; what parsed before them is kept.
std::vector<Challenge> parse_challenges(std::string_view value);
// The challenges of several WWW-Authenticate headers, in order (at most kMaxChallenges).
std::vector<Challenge> parse_challenges(const std::vector<std::string>& values);

enum class DigestAlgorithm { md5, md5_sess, sha256, sha256_sess, sha512_256, sha512_256_sess };
// The algorithm a Digest challenge names (absent = MD5); nullopt if unknown to us.
std::optional<DigestAlgorithm> digest_algorithm(const Challenge& c);
const char* digest_algorithm_name(DigestAlgorithm a);
// True if a Digest challenge can be answered: a nonce, a known algorithm, and either no qop
// (RFC 2069) or a qop list that offers "auth" (auth-int needs the body hash: not offered).
bool digest_answerable(const Challenge& c);

// The challenge to answer: an answerable Digest (the strongest algorithm first), else Basic;
// nullptr if none is usable. Digest wins so that the password does not cross the wire in clear.
const Challenge* choose_challenge(const std::vector<Challenge>& challenges);

// ---- Authorization ---------------------------------------------------------------------------

// "Basic base64(user:password)".
std::string basic_authorization(std::string_view user, std::string_view password);

// What goes into one Digest response besides the challenge and the credential.
struct DigestRequest {
  std::string method;  // "GET", "POST", "DESCRIBE"
  std::string uri;     // the request target exactly as sent ("/", "rtsp://h:554/live.sdp")
  std::string cnonce;  // client nonce (make_cnonce())
  unsigned nc = 1;     // nonce count
};
// The Authorization value answering Digest challenge `c`, or nullopt if it cannot be answered
// (see digest_answerable).
std::optional<std::string> digest_authorization(const Challenge& c, const DigestRequest& req,
                                                std::string_view user, std::string_view password);
// The Authorization value for `c` (Basic or Digest), or nullopt.
std::optional<std::string> authorization(const Challenge& c, const DigestRequest& req,
                                         std::string_view user, std::string_view password);
// 16 random bytes, hex.
std::string make_cnonce();
// Lower-case hex digests (for tests and the digest computation).
std::string md5_hex(std::string_view data);
std::string sha256_hex(std::string_view data);

// ---- HTTP responses --------------------------------------------------------------------------

constexpr size_t kHeaderLimit = 32 * 1024;
constexpr size_t kBodyLimit = 256 * 1024;

struct Reply {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, in order
  std::string body;                                          // what arrived, maybe cut short
  std::string header(std::string_view name) const;           // first value or ""
  std::vector<std::string> all(std::string_view name) const;
};

// Parses the response held in `bytes` with Beast's response_parser (header_limit, body_limit).
// nullopt unless a complete HTTP status line and header section are there.
std::optional<Reply> parse_http_reply(std::string_view bytes, bool at_eof);

// Sends `request` on `conn` and reads one response (until the body is complete, EOF, the byte
// cap or the connection's io deadline). nullopt if no HTTP response came.
Task<std::optional<Reply>> http_roundtrip(net::Conn& conn, std::string request);

// A request with Connection: close. `extra` holds complete header lines ("Name: v\r\n").
std::string http_request(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view extra = "", std::string_view body = "");
// The Host header value for a target (name or address, port when not the scheme's default).
std::string host_header(const CheckTarget& t, bool tls);
// Connects (TLS when `tls`), sends `request`, reads the reply. Error: connect/TLS failure or no
// HTTP response.
Task<Expected<Reply>> http_fetch(const CheckTarget& t, bool tls, std::string request);

// The path of a same-host redirect target ("/login", "http://host:port/x"), or "" if the
// Location leaves this host and port (we never send anything elsewhere).
std::string same_host_path(std::string_view location, const CheckTarget& t, bool tls);

// ---- Cookies ---------------------------------------------------------------------------------

// name -> value from Set-Cookie values (attributes dropped; at most 32 cookies of 4 KiB).
class CookieJar {
 public:
  // Returns how many cookies were set or changed to a non-empty value.
  size_t absorb(const std::vector<std::string>& set_cookie_values);
  std::string header() const;  // "a=1; b=2", or "" when empty
  bool empty() const { return jar_.empty(); }
  size_t size() const { return jar_.size(); }

 private:
  std::map<std::string, std::string> jar_;
};

// ---- Lockout ---------------------------------------------------------------------------------

// True when a response says the client is being locked out or throttled: status 429, a
// Retry-After on a refusal (401/403/503), or a refusal whose body says "locked", "too many",
// "try again later" or "temporarily blocked". Only refusals are read for text: an admin page
// that mentions a "screen lock" is not a lockout.
bool lockout_signs(const Reply& r);
// The same text test alone, for bodies of pages that are refusals by content (a login form).
bool lockout_text(std::string_view body);

// ASCII lower case.
std::string lower(std::string_view s);

}  // namespace mamori::creds::http
