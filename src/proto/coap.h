// CoAP messages over UDP (RFC 7252) and CoRE link format (RFC 6690), both directions:
//   client (Mamori's probes): encode_get()      -> bytes,  decode() <- bytes, parse_link_format()
//   server (mamori-lab):      decode()          <- bytes,  encode_response() -> bytes,
//                             format_link_format()
// Pure functions: no I/O, thread-safe, never throw. Decoders are bounded (kMaxMessageBytes,
// kMaxOptions, option lengths checked against the remaining bytes, the reserved nibble 15 refused)
// and return an Error value for anything malformed; never a partial result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.h"

namespace mamori::proto::coap {

inline constexpr uint16_t kPort = 5683;
inline constexpr std::size_t kMaxMessageBytes = 65535;
inline constexpr std::size_t kMaxOptions = 64;
inline constexpr std::size_t kMaxTokenBytes = 8;

enum class Type : uint8_t { con = 0, non = 1, ack = 2, rst = 3 };

// Codes as the single octet c.dd = (class << 5) | detail.
inline constexpr uint8_t make_code(uint8_t cls, uint8_t detail) {
  return static_cast<uint8_t>((cls << 5) | (detail & 0x1f));
}
inline constexpr uint8_t kEmpty = make_code(0, 0);
inline constexpr uint8_t kGet = make_code(0, 1);
inline constexpr uint8_t kPost = make_code(0, 2);
inline constexpr uint8_t kPut = make_code(0, 3);
inline constexpr uint8_t kDelete = make_code(0, 4);
inline constexpr uint8_t kContent = make_code(2, 5);       // 2.05
inline constexpr uint8_t kBadRequest = make_code(4, 0);    // 4.00
inline constexpr uint8_t kUnauthorized = make_code(4, 1);  // 4.01
inline constexpr uint8_t kForbidden = make_code(4, 3);     // 4.03
inline constexpr uint8_t kNotFound = make_code(4, 4);      // 4.04
inline constexpr uint8_t kMethodNotAllowed = make_code(4, 5);
// "2.05" style text of a code.
std::string code_str(uint8_t code);

// Option numbers (RFC 7252 §5.10, RFC 7641, RFC 7959).
namespace option {
inline constexpr uint16_t kIfMatch = 1;
inline constexpr uint16_t kUriHost = 3;
inline constexpr uint16_t kETag = 4;
inline constexpr uint16_t kIfNoneMatch = 5;
inline constexpr uint16_t kObserve = 6;
inline constexpr uint16_t kUriPort = 7;
inline constexpr uint16_t kLocationPath = 8;
inline constexpr uint16_t kUriPath = 11;
inline constexpr uint16_t kContentFormat = 12;
inline constexpr uint16_t kMaxAge = 14;
inline constexpr uint16_t kUriQuery = 15;
inline constexpr uint16_t kAccept = 17;
inline constexpr uint16_t kBlock2 = 23;
inline constexpr uint16_t kBlock1 = 27;
inline constexpr uint16_t kSize2 = 28;
inline constexpr uint16_t kProxyUri = 35;
inline constexpr uint16_t kSize1 = 60;
}  // namespace option

// Content-Format ids (RFC 7252 §12.3).
inline constexpr uint16_t kFormatTextPlain = 0;
inline constexpr uint16_t kFormatLinkFormat = 40;
inline constexpr uint16_t kFormatJson = 50;
inline constexpr uint16_t kFormatCbor = 60;

struct Option {
  uint16_t number = 0;
  std::string value;  // raw option value; uint options are big-endian, minimal length
  friend bool operator==(const Option&, const Option&) = default;
};

struct Message {
  uint8_t version = 1;
  Type type = Type::con;
  uint8_t code = kEmpty;
  uint16_t message_id = 0;
  std::string token;             // 0..8 bytes
  std::vector<Option> options;   // decode() yields them in wire order (non-decreasing numbers)
  std::string payload;           // bytes after the 0xFF marker (never empty if a marker was sent)

  // Uri-Path options joined with '/', without a leading '/': ".well-known/core".
  std::string uri_path() const;
  // The first option with this number, as an unsigned integer (for uint options).
  std::optional<uint32_t> uint_option(uint16_t number) const;
  std::optional<uint32_t> content_format() const { return uint_option(option::kContentFormat); }
};

// Encodes a message. Options are emitted sorted by number (stable: equal numbers keep their
// order). Fails when the token is longer than 8 bytes, the version is not 1, an option value
// exceeds 65535+269 bytes, or the result exceeds kMaxMessageBytes.
Expected<std::string> encode(const Message& message);

// Decodes one datagram: header, token (TKL 9..15 refused), options with extended deltas and
// lengths (nibble 15 outside the payload marker refused), payload after 0xFF (a marker followed
// by nothing is refused, RFC 7252 §3). Version must be 1.
Expected<Message> decode(std::string_view bytes);

// An option value holding the big-endian minimal encoding of `v` (0 -> empty).
std::string uint_value(uint32_t v);

// ---- client side ----------------------------------------------------------------------------

// A GET for `path` ("/.well-known/core" or ".well-known/core"; split on '/', empty segments
// dropped, and an optional "?a=b&c" part emitted as Uri-Query options). type is con or non.
Expected<std::string> encode_get(Type type, uint16_t message_id, std::string_view token,
                                 std::string_view path);

// ---- server side ----------------------------------------------------------------------------

// A response to `request`: for a CON request a piggybacked ACK with the request's message id;
// for a NON request a NON with `message_id`. Always the request's token. `content_format` adds
// a Content-Format option (e.g. kFormatLinkFormat for /.well-known/core).
Expected<std::string> encode_response(const Message& request, uint8_t code,
                                      std::string_view payload,
                                      std::optional<uint16_t> content_format,
                                      uint16_t message_id = 0);

// ---- CoRE link format (RFC 6690) -------------------------------------------------------------

inline constexpr std::size_t kMaxLinks = 1024;
inline constexpr std::size_t kMaxLinkAttributes = 32;
inline constexpr std::size_t kMaxLinkFormatBytes = 65535;

struct Link {
  std::string target;  // the URI-Reference between < and >, e.g. "/sensors/temp"
  // In document order; a quoted value is unquoted (\" and \\ unescaped); an attribute without a
  // value ("obs") has an empty value.
  std::vector<std::pair<std::string, std::string>> attributes;

  // The first attribute with this name, if any.
  std::optional<std::string> attribute(std::string_view name) const;
  friend bool operator==(const Link&, const Link&) = default;
};

// Parses `</sensors/temp>;rt="temperature";if="sensor",</light>` into links. Whitespace around
// separators is tolerated; a comma inside a quoted value does not split. Refuses unterminated
// targets or quotes, empty input segments, and more than kMaxLinks / kMaxLinkAttributes.
Expected<std::vector<Link>> parse_link_format(std::string_view text);

// The inverse: values that are not a plain token (or contain '"', ',' or ';') are quoted.
std::string format_link_format(const std::vector<Link>& links);

}  // namespace mamori::proto::coap
