// SNMP v1 / v2c messages (RFC 1157, RFC 3416) in BER (X.690), both directions:
//   manager (Mamori's probes): encode_request()  -> bytes,   decode_response() <- bytes
//   agent   (mamori-lab):      decode_request()  <- bytes,   encode_get_response() -> bytes
// Pure functions over bytes: no I/O, no globals, thread-safe, never throw. Every decoder treats
// its input as hostile: the whole message is bounded (kMaxMessageBytes), every length is checked
// against the bytes that remain, indefinite lengths (0x80) and lengths longer than 4 bytes are
// refused, nesting depth, varbind count and OID arc count are capped. A decode error is a value
// (Error with a short message naming what was wrong), never a partial result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"

namespace mamori::proto::snmp {

inline constexpr uint16_t kPort = 161;
inline constexpr std::size_t kMaxMessageBytes = 65535;  // largest UDP payload; we refuse more
inline constexpr int kMaxDepth = 8;                     // message > PDU > list > varbind > value
inline constexpr std::size_t kMaxVarbinds = 512;
inline constexpr std::size_t kMaxOidArcs = 128;  // RFC 2578 §3.5

// Well-known OIDs (MIB-II system group, RFC 3418).
inline constexpr std::string_view kSysDescr = "1.3.6.1.2.1.1.1.0";
inline constexpr std::string_view kSysObjectId = "1.3.6.1.2.1.1.2.0";
inline constexpr std::string_view kSysUpTime = "1.3.6.1.2.1.1.3.0";
inline constexpr std::string_view kSysContact = "1.3.6.1.2.1.1.4.0";
inline constexpr std::string_view kSysName = "1.3.6.1.2.1.1.5.0";
inline constexpr std::string_view kSysLocation = "1.3.6.1.2.1.1.6.0";

enum class Version : int32_t { v1 = 0, v2c = 1 };

// PDU tags (context-specific, constructed).
enum class PduType : uint8_t {
  get_request = 0xA0,
  get_next_request = 0xA1,
  get_response = 0xA2,
  set_request = 0xA3,
  trap_v1 = 0xA4,  // recognised by name only: decode_* refuse it (different layout)
  get_bulk_request = 0xA5,
  inform_request = 0xA6,
  trap_v2 = 0xA7,
  report = 0xA8,
};

// error-status values (RFC 3416 §3).
enum class ErrorStatus : int32_t {
  no_error = 0,
  too_big = 1,
  no_such_name = 2,  // v1 only
  bad_value = 3,
  read_only = 4,
  gen_err = 5,
  no_access = 6,
  not_writable = 17,
};

// An OBJECT IDENTIFIER. At least two arcs when encoded; first arc 0..2, second < 40 unless the
// first is 2. Arcs are 32-bit (RFC 2578).
struct Oid {
  std::vector<uint32_t> arcs;

  // Dotted decimal, an optional leading '.' allowed: "1.3.6.1.2.1.1.1.0". Refuses empty arcs,
  // non-digits, arcs > 2^32-1, fewer than 2 or more than kMaxOidArcs arcs, and a first/second
  // arc pair that BER cannot encode.
  static Expected<Oid> parse(std::string_view text);
  std::string str() const;  // "1.3.6.1.2.1.1.1.0"
  // True if `prefix` is a (non-strict) prefix of this OID.
  bool starts_with(const Oid& prefix) const;

  friend bool operator==(const Oid&, const Oid&) = default;
  friend auto operator<=>(const Oid& a, const Oid& b) { return a.arcs <=> b.arcs; }
};

// The contents octets of an OID <-> the OID (X.690 §8.19). Exposed for tests and fuzzing.
Expected<std::string> encode_oid_contents(const Oid& oid);
Expected<Oid> decode_oid_contents(std::string_view contents);

enum class ValueType : uint8_t {
  integer = 0x02,
  octet_string = 0x04,
  null = 0x05,
  object_id = 0x06,
  ip_address = 0x40,
  counter32 = 0x41,
  gauge32 = 0x42,
  time_ticks = 0x43,
  opaque = 0x44,
  counter64 = 0x46,
  no_such_object = 0x80,    // v2c exception (context [0], primitive NULL)
  no_such_instance = 0x81,  // v2c exception
  end_of_mib_view = 0x82,   // v2c exception
};

// A varbind value. Which field is meaningful depends on `type`:
//   integer                              -> integer (int32 range)
//   counter32, gauge32, time_ticks       -> unsigned_value (uint32 range)
//   counter64                            -> unsigned_value
//   octet_string, opaque                 -> bytes (any octets, not necessarily UTF-8)
//   ip_address                           -> bytes (exactly 4 octets)
//   object_id                            -> oid
//   null and the three v2c exceptions    -> nothing
struct Value {
  ValueType type = ValueType::null;
  int64_t integer = 0;
  uint64_t unsigned_value = 0;
  std::string bytes;
  Oid oid;

  static Value null() { return {}; }
  static Value make_integer(int32_t v);
  static Value octets(std::string v);
  static Value object_id(Oid v);
  static Value ip_address(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  static Value counter32(uint32_t v);
  static Value gauge32(uint32_t v);
  static Value time_ticks(uint32_t v);
  static Value counter64(uint64_t v);
  static Value exception(ValueType t);  // no_such_object, no_such_instance or end_of_mib_view

  // Human-readable rendering for reports: strings as text when printable else hex, IpAddress
  // dotted, OIDs dotted, TimeTicks as a number, exceptions by name.
  std::string to_string() const;

  friend bool operator==(const Value&, const Value&) = default;
};

struct VarBind {
  Oid oid;
  Value value;
  friend bool operator==(const VarBind&, const VarBind&) = default;
};

// A v1/v2c message with a non-trap PDU. For GetBulk, error_status carries non-repeaters and
// error_index carries max-repetitions (RFC 3416 §4.2.3), as on the wire.
struct Message {
  Version version = Version::v2c;
  std::string community;
  PduType pdu = PduType::get_request;
  int32_t request_id = 0;
  int32_t error_status = 0;
  int32_t error_index = 0;
  std::vector<VarBind> varbinds;

  std::vector<Oid> oids() const;  // the varbinds' OIDs, in order
};

// Encodes any non-trap message. Fails on an unencodable OID, an ip_address value that is not 4
// octets, a v2c-only type (counter64 or an exception) in a v1 message, or an encoding larger
// than kMaxMessageBytes.
Expected<std::string> encode_message(const Message& message);

// Decodes a v1/v2c message with any non-trap PDU (v3 and traps-v1 are refused with an error that
// says so). Trailing bytes after the message are refused.
Expected<Message> decode_message(std::string_view bytes);

// ---- manager side --------------------------------------------------------------------------

// A GetRequest or GetNextRequest (pdu must be one of those) for `oids`, each with a NULL value.
// REQUIRES: 1 <= oids.size() <= kMaxVarbinds.
Expected<std::string> encode_request(Version version, std::string_view community, PduType pdu,
                                     int32_t request_id, const std::vector<Oid>& oids);

// Decodes a message and requires a GetResponse PDU (a Report is refused too).
Expected<Message> decode_response(std::string_view bytes);

// ---- agent side ----------------------------------------------------------------------------

// Decodes a message and requires a request PDU: get, get-next, get-bulk or set. The caller
// checks the community (compare Message::community) and decides whether to answer at all.
Expected<Message> decode_request(std::string_view bytes);

// Builds the GetResponse to `request` (same version, community and request-id).
// `answers` has one entry per request varbind, in order; an entry is the varbind to return
// (for Get: the requested OID; for GetNext: the next OID) or nullopt when the agent has none:
//   v1:  the whole response gets error-status noSuchName (2) and error-index = 1-based position
//        of the first missing entry, and echoes the request's varbinds unchanged (RFC 1157 §4.1.2)
//   v2c: the missing varbind is returned with the requested OID and value noSuchObject (Get) or
//        endOfMibView (GetNext/GetBulk) (RFC 3416 §4.2.1, §4.2.2)
// REQUIRES: answers.size() == request.varbinds.size(), else an error.
Expected<std::string> encode_get_response(const Message& request,
                                          const std::vector<std::optional<VarBind>>& answers);

// Builds a GetResponse that carries only an error (e.g. gen_err, too_big) and echoes the
// request's varbinds.
Expected<std::string> encode_error_response(const Message& request, ErrorStatus status,
                                            int32_t error_index);

}  // namespace mamori::proto::snmp
