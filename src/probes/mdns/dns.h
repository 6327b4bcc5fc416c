// A small, bounded DNS message codec (RFC 1035 §4, with the mDNS bits of RFC 6762 §18) for the
// mDNS / DNS-SD probe: just what a one-shot unicast query and its answer need.
//   probe side: encode_query() -> bytes,  parse() <- bytes
//   test / lab side: encode() -> bytes (no name compression)
// Pure functions: no I/O, no globals, thread-safe, never throw. parse() treats its input as
// hostile: the message is at most kMaxMessageBytes, the record count at most kMaxRecords, every
// length is checked against the bytes that remain, a name is at most kMaxNameBytes on the wire,
// extended label types (0x40, 0x80) are refused, and a compression pointer must point strictly
// below the previous jump target (so pointer chains always end; loops and forward jumps are
// refused), with at most kMaxPointerHops jumps per name. An error is a value, never a partial
// message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace mamori::probes::dns {

inline constexpr uint16_t kMdnsPort = 5353;
inline constexpr std::size_t kMaxMessageBytes = 9000;  // RFC 6762 §17: mDNS messages <= 9000
inline constexpr std::size_t kMaxRecords = 256;        // questions + all record sections
inline constexpr std::size_t kMaxNameBytes = 255;      // RFC 1035 §3.1, wire form
inline constexpr int kMaxPointerHops = 64;
inline constexpr std::size_t kMaxTxtStrings = 64;

// Record types this codec decodes; others keep their raw RDATA.
namespace type {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kNs = 2;
inline constexpr uint16_t kCname = 5;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kSrv = 33;
inline constexpr uint16_t kNsec = 47;
inline constexpr uint16_t kAny = 255;
}  // namespace type
inline constexpr uint16_t kClassIn = 1;

// Flags word bits.
inline constexpr uint16_t kFlagResponse = 0x8000;    // QR
inline constexpr uint16_t kFlagAuthoritative = 0x0400;  // AA

// Names are text: labels joined with '.', no trailing dot, the root is "". Inside a label '.'
// and '\' are written "\." and "\\", bytes below 0x20 and 0x7F as "\DDD" (three decimal
// digits); every other byte (spaces, UTF-8) as is. encode accepts the same escapes.

struct Question {
  std::string name;
  uint16_t type = type::kPtr;
  uint16_t cls = kClassIn;          // without the top bit
  bool unicast_response = false;    // QU bit (RFC 6762 §5.4)
  friend bool operator==(const Question&, const Question&) = default;
};

struct Record {
  std::string name;
  uint16_t type = 0;
  uint16_t cls = kClassIn;  // without the top bit
  bool cache_flush = false;  // top bit of the class (RFC 6762 §10.2)
  uint32_t ttl = 0;
  // PTR, CNAME, NS: the target name. SRV: the target host.
  std::string target;
  uint16_t priority = 0, weight = 0, port = 0;  // SRV
  std::vector<std::string> txt;                 // TXT: the character-strings, in order
  std::string rdata;  // every other type: the raw RDATA (A: 4 bytes, AAAA: 16)
  friend bool operator==(const Record&, const Record&) = default;
};

struct Message {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::vector<Question> questions;
  std::vector<Record> answers;
  std::vector<Record> authority;
  std::vector<Record> additional;

  bool is_response() const { return (flags & kFlagResponse) != 0; }
  int rcode() const { return flags & 0x000f; }
  friend bool operator==(const Message&, const Message&) = default;
};

// Parses one datagram. Trailing bytes after the counted records are refused.
Expected<Message> parse(std::string_view bytes);

// Encodes `message` without name compression. Fails on a name that is not encodable (label
// empty or over 63 bytes, name over kMaxNameBytes, a bad escape), a TXT string over 255 bytes,
// more than kMaxRecords entries, RDATA over 65535 bytes, or a result over kMaxMessageBytes.
Expected<std::string> encode(const Message& message);

// A standard query (flags 0) with `questions`.
Expected<std::string> encode_query(uint16_t id, const std::vector<Question>& questions);

// The wire form of a name (labels, terminating zero), from its text form.
Expected<std::string> encode_name(std::string_view name);

// ASCII case-insensitive name comparison (RFC 1035 §2.3.3); escapes compared as written.
bool same_name(std::string_view a, std::string_view b);

}  // namespace mamori::probes::dns
