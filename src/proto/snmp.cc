#include "proto/snmp.h"

#include <charconv>
#include <cstdio>

namespace mamori::proto::snmp {
namespace {

constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagOctetString = 0x04;
constexpr uint8_t kTagNull = 0x05;
constexpr uint8_t kTagOid = 0x06;
constexpr uint8_t kTagSequence = 0x30;

// One BER TLV: its identifier octet and its contents.
struct Tlv {
  uint8_t tag = 0;
  std::string_view contents;
};

// Reads consecutive TLVs from a bounded span. Definite lengths only (short form, or long form
// with 1..4 length octets); every length is checked against what remains.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }

  Expected<Tlv> next() {
    if (pos_ >= in_.size()) return make_error("truncated: expected a BER element");
    const auto tag = static_cast<uint8_t>(in_[pos_++]);
    if ((tag & 0x1f) == 0x1f) return make_error("multi-octet BER tags are not used by SNMP");
    if (pos_ >= in_.size()) return make_error("truncated: missing BER length");
    const auto first = static_cast<uint8_t>(in_[pos_++]);
    std::size_t len = 0;
    if (first < 0x80) {
      len = first;
    } else if (first == 0x80) {
      return make_error("indefinite BER length refused");
    } else {
      const std::size_t n = first & 0x7f;
      if (n > 4) return make_error("BER length of more than 4 octets refused");
      if (in_.size() - pos_ < n) return make_error("truncated: BER length octets");
      for (std::size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<uint8_t>(in_[pos_++]);
    }
    if (len > in_.size() - pos_) return make_error("BER length exceeds the remaining bytes");
    Tlv t{tag, in_.substr(pos_, len)};
    pos_ += len;
    return t;
  }

  Expected<Tlv> expect(uint8_t tag, const char* what) {
    auto t = next();
    if (!t) return t.error();
    if (t->tag != tag) return make_error(std::string("unexpected BER tag for ") + what);
    return t;
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

Expected<int64_t> decode_signed(std::string_view c, const char* what) {
  if (c.empty() || c.size() > 8) return make_error(std::string("bad INTEGER length for ") + what);
  int64_t v = (static_cast<uint8_t>(c[0]) & 0x80) ? -1 : 0;
  for (char ch : c) v = static_cast<int64_t>((static_cast<uint64_t>(v) << 8) | static_cast<uint8_t>(ch));
  return v;
}

Expected<int32_t> decode_int32(std::string_view c, const char* what) {
  auto v = decode_signed(c, what);
  if (!v) return v.error();
  if (*v < INT32_MIN || *v > INT32_MAX) return make_error(std::string("INTEGER out of range for ") + what);
  return static_cast<int32_t>(*v);
}

// Unsigned application types. Lenient on a missing leading zero (some agents send ff ff ff ff
// for 4294967295), strict on range.
Expected<uint64_t> decode_unsigned(std::string_view c, std::size_t max_bytes, const char* what) {
  if (c.empty()) return make_error(std::string("empty ") + what);
  if (c.size() > max_bytes + 1 || (c.size() == max_bytes + 1 && c[0] != 0))
    return make_error(std::string(what) + " out of range");
  uint64_t v = 0;
  for (char ch : c) v = (v << 8) | static_cast<uint8_t>(ch);
  return v;
}

void append_length(std::string& out, std::size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<char>(len));
    return;
  }
  int n = 0;
  for (std::size_t l = len; l != 0; l >>= 8) ++n;
  out.push_back(static_cast<char>(0x80 | n));
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
}

std::string tlv(uint8_t tag, std::string_view contents) {
  std::string out;
  out.reserve(contents.size() + 6);
  out.push_back(static_cast<char>(tag));
  append_length(out, contents.size());
  out.append(contents);
  return out;
}

std::string signed_contents(int64_t v) {
  std::string c;
  for (int i = 7; i >= 0; --i) c.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  // Strip redundant leading octets (X.690 §8.3.2).
  std::size_t start = 0;
  while (start + 1 < c.size()) {
    const auto a = static_cast<uint8_t>(c[start]);
    const auto b = static_cast<uint8_t>(c[start + 1]);
    if ((a == 0x00 && !(b & 0x80)) || (a == 0xff && (b & 0x80))) ++start; else break;
  }
  return c.substr(start);
}

std::string unsigned_contents(uint64_t v) {
  std::string c;
  for (int i = 7; i >= 0; --i) c.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  std::size_t start = 0;
  while (start + 1 < c.size() && c[start] == 0) ++start;
  c = c.substr(start);
  if (static_cast<uint8_t>(c[0]) & 0x80) c.insert(c.begin(), '\0');
  return c;
}

std::string integer_tlv(int64_t v) { return tlv(kTagInteger, signed_contents(v)); }

bool is_v2_only(ValueType t) {
  return t == ValueType::counter64 || t == ValueType::no_such_object ||
         t == ValueType::no_such_instance || t == ValueType::end_of_mib_view;
}

Expected<std::string> encode_value(const Value& v, Version version) {
  if (version == Version::v1 && is_v2_only(v.type))
    return make_error("Counter64 and exception values do not exist in SNMPv1");
  const auto tag = static_cast<uint8_t>(v.type);
  switch (v.type) {
    case ValueType::integer:
      if (v.integer < INT32_MIN || v.integer > INT32_MAX) return make_error("INTEGER out of int32 range");
      return integer_tlv(v.integer);
    case ValueType::octet_string:
    case ValueType::opaque:
      return tlv(tag, v.bytes);
    case ValueType::null:
      return tlv(kTagNull, {});
    case ValueType::object_id: {
      auto c = encode_oid_contents(v.oid);
      if (!c) return c.error();
      return tlv(kTagOid, *c);
    }
    case ValueType::ip_address:
      if (v.bytes.size() != 4) return make_error("IpAddress must be 4 octets");
      return tlv(tag, v.bytes);
    case ValueType::counter32:
    case ValueType::gauge32:
    case ValueType::time_ticks:
      if (v.unsigned_value > UINT32_MAX) return make_error("32-bit value out of range");
      return tlv(tag, unsigned_contents(v.unsigned_value));
    case ValueType::counter64:
      return tlv(tag, unsigned_contents(v.unsigned_value));
    case ValueType::no_such_object:
    case ValueType::no_such_instance:
    case ValueType::end_of_mib_view:
      return tlv(tag, {});
  }
  return make_error("unknown value type");
}

Expected<Value> decode_value(const Tlv& t) {
  Value v;
  switch (t.tag) {
    case 0x02: {
      auto i = decode_int32(t.contents, "INTEGER value");
      if (!i) return i.error();
      v.type = ValueType::integer;
      v.integer = *i;
      return v;
    }
    case 0x04:
    case 0x44:
      v.type = static_cast<ValueType>(t.tag);
      v.bytes = std::string(t.contents);
      return v;
    case 0x05:
    case 0x80:
    case 0x81:
    case 0x82:
      if (!t.contents.empty()) return make_error("NULL or exception value with contents");
      v.type = static_cast<ValueType>(t.tag);
      return v;
    case 0x06: {
      auto o = decode_oid_contents(t.contents);
      if (!o) return o.error();
      v.type = ValueType::object_id;
      v.oid = std::move(*o);
      return v;
    }
    case 0x40:
      if (t.contents.size() != 4) return make_error("IpAddress must be 4 octets");
      v.type = ValueType::ip_address;
      v.bytes = std::string(t.contents);
      return v;
    case 0x41:
    case 0x42:
    case 0x43:
    case 0x46: {
      auto u = decode_unsigned(t.contents, t.tag == 0x46 ? 8 : 4, "unsigned value");
      if (!u) return u.error();
      v.type = static_cast<ValueType>(t.tag);
      v.unsigned_value = *u;
      return v;
    }
    default:
      return make_error("unsupported varbind value type");
  }
}

bool known_pdu(uint8_t tag) {
  return tag >= 0xA0 && tag <= 0xA8 && tag != 0xA4;
}

const char* exception_name(ValueType t) {
  switch (t) {
    case ValueType::no_such_object: return "noSuchObject";
    case ValueType::no_such_instance: return "noSuchInstance";
    case ValueType::end_of_mib_view: return "endOfMibView";
    default: return "";
  }
}

}  // namespace

// ---- Oid ---------------------------------------------------------------------------------------

Expected<Oid> Oid::parse(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  Oid oid;
  if (text.empty()) return make_error("empty OID");
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = text.find('.', pos);
    const std::string_view arc = text.substr(pos, dot == std::string_view::npos ? text.npos : dot - pos);
    if (arc.empty()) return make_error("empty arc in OID");
    uint32_t v = 0;
    const auto [p, ec] = std::from_chars(arc.data(), arc.data() + arc.size(), v);
    if (ec != std::errc() || p != arc.data() + arc.size()) return make_error("bad arc in OID: " + std::string(arc));
    if (oid.arcs.size() >= kMaxOidArcs) return make_error("OID has too many arcs");
    oid.arcs.push_back(v);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  if (oid.arcs.size() < 2) return make_error("OID needs at least two arcs");
  if (oid.arcs[0] > 2 || (oid.arcs[0] < 2 && oid.arcs[1] >= 40) ||
      (oid.arcs[0] == 2 && oid.arcs[1] > UINT32_MAX - 80))
    return make_error("OID first arcs cannot be encoded");
  return oid;
}

std::string Oid::str() const {
  std::string out;
  for (std::size_t i = 0; i < arcs.size(); ++i) {
    if (i) out.push_back('.');
    out += std::to_string(arcs[i]);
  }
  return out;
}

bool Oid::starts_with(const Oid& prefix) const {
  if (prefix.arcs.size() > arcs.size()) return false;
  for (std::size_t i = 0; i < prefix.arcs.size(); ++i)
    if (arcs[i] != prefix.arcs[i]) return false;
  return true;
}

Expected<std::string> encode_oid_contents(const Oid& oid) {
  const auto& a = oid.arcs;
  if (a.size() < 2 || a.size() > kMaxOidArcs) return make_error("OID must have 2..128 arcs");
  if (a[0] > 2 || (a[0] < 2 && a[1] >= 40) || (a[0] == 2 && a[1] > UINT32_MAX - 80))
    return make_error("OID first arcs cannot be encoded");
  std::string out;
  auto put = [&out](uint32_t v) {
    char buf[5];
    int n = 0;
    do {
      buf[n++] = static_cast<char>(v & 0x7f);
      v >>= 7;
    } while (v != 0);
    for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>(buf[i] | (i ? 0x80 : 0)));
  };
  put(a[0] * 40 + a[1]);
  for (std::size_t i = 2; i < a.size(); ++i) put(a[i]);
  return out;
}

Expected<Oid> decode_oid_contents(std::string_view c) {
  if (c.empty()) return make_error("empty OID");
  Oid oid;
  uint64_t v = 0;
  bool in_arc = false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const auto b = static_cast<uint8_t>(c[i]);
    if (!in_arc && b == 0x80) return make_error("non-minimal OID sub-identifier");
    v = (v << 7) | (b & 0x7f);
    if (v > UINT32_MAX) return make_error("OID sub-identifier exceeds 32 bits");
    in_arc = true;
    if (b & 0x80) continue;
    if (oid.arcs.empty()) {
      if (v < 40) {
        oid.arcs = {0, static_cast<uint32_t>(v)};
      } else if (v < 80) {
        oid.arcs = {1, static_cast<uint32_t>(v - 40)};
      } else {
        oid.arcs = {2, static_cast<uint32_t>(v - 80)};
      }
    } else {
      if (oid.arcs.size() >= kMaxOidArcs) return make_error("OID has too many arcs");
      oid.arcs.push_back(static_cast<uint32_t>(v));
    }
    v = 0;
    in_arc = false;
  }
  if (in_arc) return make_error("truncated OID sub-identifier");
  return oid;
}

// ---- Value ---------------------------------------------------------------------------------------

Value Value::make_integer(int32_t v) { Value x; x.type = ValueType::integer; x.integer = v; return x; }
Value Value::octets(std::string v) { Value x; x.type = ValueType::octet_string; x.bytes = std::move(v); return x; }
Value Value::object_id(Oid v) { Value x; x.type = ValueType::object_id; x.oid = std::move(v); return x; }
Value Value::ip_address(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  Value x;
  x.type = ValueType::ip_address;
  x.bytes = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)};
  return x;
}
Value Value::counter32(uint32_t v) { Value x; x.type = ValueType::counter32; x.unsigned_value = v; return x; }
Value Value::gauge32(uint32_t v) { Value x; x.type = ValueType::gauge32; x.unsigned_value = v; return x; }
Value Value::time_ticks(uint32_t v) { Value x; x.type = ValueType::time_ticks; x.unsigned_value = v; return x; }
Value Value::counter64(uint64_t v) { Value x; x.type = ValueType::counter64; x.unsigned_value = v; return x; }
Value Value::exception(ValueType t) { Value x; x.type = t; return x; }

std::string Value::to_string() const {
  switch (type) {
    case ValueType::integer: return std::to_string(integer);
    case ValueType::octet_string:
    case ValueType::opaque: {
      bool printable = true;
      for (char c : bytes) {
        const auto u = static_cast<uint8_t>(c);
        if ((u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7f) printable = false;
      }
      if (printable) return bytes;
      std::string hex;
      char buf[4];
      for (char c : bytes) {
        std::snprintf(buf, sizeof buf, "%02x", static_cast<uint8_t>(c));
        hex += buf;
      }
      return hex;
    }
    case ValueType::null: return "NULL";
    case ValueType::object_id: return oid.str();
    case ValueType::ip_address:
      if (bytes.size() != 4) return "";
      return std::to_string(static_cast<uint8_t>(bytes[0])) + "." + std::to_string(static_cast<uint8_t>(bytes[1])) +
             "." + std::to_string(static_cast<uint8_t>(bytes[2])) + "." + std::to_string(static_cast<uint8_t>(bytes[3]));
    case ValueType::counter32:
    case ValueType::gauge32:
    case ValueType::time_ticks:
    case ValueType::counter64: return std::to_string(unsigned_value);
    default: return exception_name(type);
  }
}

std::vector<Oid> Message::oids() const {
  std::vector<Oid> out;
  out.reserve(varbinds.size());
  for (const auto& vb : varbinds) out.push_back(vb.oid);
  return out;
}

// ---- Messages --------------------------------------------------------------------------------------

Expected<std::string> encode_message(const Message& m) {
  if (m.version != Version::v1 && m.version != Version::v2c) return make_error("only SNMP v1 and v2c");
  if (!known_pdu(static_cast<uint8_t>(m.pdu))) return make_error("unsupported PDU type");
  if (m.version == Version::v1 && static_cast<uint8_t>(m.pdu) > 0xA4)
    return make_error("PDU type does not exist in SNMPv1");
  if (m.varbinds.size() > kMaxVarbinds) return make_error("too many varbinds");
  std::string list;
  for (const auto& vb : m.varbinds) {
    auto oid = encode_oid_contents(vb.oid);
    if (!oid) return oid.error();
    auto val = encode_value(vb.value, m.version);
    if (!val) return val.error();
    list += tlv(kTagSequence, tlv(kTagOid, *oid) + *val);
    if (list.size() > kMaxMessageBytes) return make_error("message exceeds 64 KiB");
  }
  std::string pdu = integer_tlv(m.request_id) + integer_tlv(m.error_status) +
                    integer_tlv(m.error_index) + tlv(kTagSequence, list);
  std::string body = integer_tlv(static_cast<int32_t>(m.version)) + tlv(kTagOctetString, m.community) +
                     tlv(static_cast<uint8_t>(m.pdu), pdu);
  std::string out = tlv(kTagSequence, body);
  if (out.size() > kMaxMessageBytes) return make_error("message exceeds 64 KiB");
  return out;
}

// Grammar-driven and non-recursive: nesting depth is fixed by the schema (message > PDU >
// varbind list > varbind > value, i.e. kMaxDepth is never approached); a constructed element
// where a primitive is expected is a tag mismatch.
Expected<Message> decode_message(std::string_view bytes) {
  if (bytes.size() > kMaxMessageBytes) return make_error("message exceeds 64 KiB");
  Reader top(bytes);
  auto seq = top.expect(kTagSequence, "message");
  if (!seq) return seq.error();
  if (!top.done()) return make_error("trailing bytes after the SNMP message");
  Reader r(seq->contents);
  Message m;
  auto ver = r.expect(kTagInteger, "version");
  if (!ver) return ver.error();
  auto vnum = decode_int32(ver->contents, "version");
  if (!vnum) return vnum.error();
  if (*vnum == 3) return make_error("SNMPv3 is not supported");
  if (*vnum != 0 && *vnum != 1) return make_error("unknown SNMP version " + std::to_string(*vnum));
  m.version = static_cast<Version>(*vnum);
  auto comm = r.expect(kTagOctetString, "community");
  if (!comm) return comm.error();
  m.community = std::string(comm->contents);
  auto pdu = r.next();
  if (!pdu) return pdu.error();
  if (pdu->tag == 0xA4) return make_error("SNMPv1 traps are not supported");
  if (!known_pdu(pdu->tag)) return make_error("unknown PDU type");
  if (!r.done()) return make_error("trailing bytes after the PDU");
  m.pdu = static_cast<PduType>(pdu->tag);
  Reader p(pdu->contents);
  const char* names[3] = {"request-id", "error-status", "error-index"};
  int32_t* fields[3] = {&m.request_id, &m.error_status, &m.error_index};
  for (int i = 0; i < 3; ++i) {
    auto t = p.expect(kTagInteger, names[i]);
    if (!t) return t.error();
    auto v = decode_int32(t->contents, names[i]);
    if (!v) return v.error();
    *fields[i] = *v;
  }
  auto list = p.expect(kTagSequence, "varbind list");
  if (!list) return list.error();
  if (!p.done()) return make_error("trailing bytes after the varbind list");
  Reader l(list->contents);
  while (!l.done()) {
    if (m.varbinds.size() >= kMaxVarbinds) return make_error("too many varbinds");
    auto vb = l.expect(kTagSequence, "varbind");
    if (!vb) return vb.error();
    Reader b(vb->contents);
    auto name = b.expect(kTagOid, "varbind name");
    if (!name) return name.error();
    auto oid = decode_oid_contents(name->contents);
    if (!oid) return oid.error();
    auto val = b.next();
    if (!val) return val.error();
    if (!b.done()) return make_error("trailing bytes in a varbind");
    auto value = decode_value(*val);
    if (!value) return value.error();
    if (m.version == Version::v1 && is_v2_only(value->type))
      return make_error("v2c-only value type in an SNMPv1 message");
    m.varbinds.push_back({std::move(*oid), std::move(*value)});
  }
  return m;
}

Expected<std::string> encode_request(Version version, std::string_view community, PduType pdu,
                                     int32_t request_id, const std::vector<Oid>& oids) {
  if (pdu != PduType::get_request && pdu != PduType::get_next_request)
    return make_error("encode_request builds Get or GetNext only");
  if (oids.empty() || oids.size() > kMaxVarbinds) return make_error("need 1..512 OIDs");
  Message m;
  m.version = version;
  m.community = std::string(community);
  m.pdu = pdu;
  m.request_id = request_id;
  for (const auto& o : oids) m.varbinds.push_back({o, Value::null()});
  return encode_message(m);
}

Expected<Message> decode_response(std::string_view bytes) {
  auto m = decode_message(bytes);
  if (!m) return m;
  if (m->pdu != PduType::get_response) return make_error("not a GetResponse PDU");
  return m;
}

Expected<Message> decode_request(std::string_view bytes) {
  auto m = decode_message(bytes);
  if (!m) return m;
  switch (m->pdu) {
    case PduType::get_request:
    case PduType::get_next_request:
    case PduType::get_bulk_request:
    case PduType::set_request:
      return m;
    default:
      return make_error("not a request PDU");
  }
}

Expected<std::string> encode_get_response(const Message& request,
                                          const std::vector<std::optional<VarBind>>& answers) {
  if (answers.size() != request.varbinds.size())
    return make_error("one answer per requested varbind is required");
  Message r;
  r.version = request.version;
  r.community = request.community;
  r.pdu = PduType::get_response;
  r.request_id = request.request_id;
  if (request.version == Version::v1) {
    for (std::size_t i = 0; i < answers.size(); ++i) {
      if (!answers[i]) {
        r.error_status = static_cast<int32_t>(ErrorStatus::no_such_name);
        r.error_index = static_cast<int32_t>(i + 1);
        r.varbinds = request.varbinds;
        return encode_message(r);
      }
    }
  }
  const bool is_get = request.pdu == PduType::get_request;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (answers[i]) {
      r.varbinds.push_back(*answers[i]);
    } else {
      r.varbinds.push_back({request.varbinds[i].oid,
                            Value::exception(is_get ? ValueType::no_such_object : ValueType::end_of_mib_view)});
    }
  }
  return encode_message(r);
}

Expected<std::string> encode_error_response(const Message& request, ErrorStatus status,
                                            int32_t error_index) {
  Message r;
  r.version = request.version;
  r.community = request.community;
  r.pdu = PduType::get_response;
  r.request_id = request.request_id;
  r.error_status = static_cast<int32_t>(status);
  r.error_index = error_index;
  r.varbinds = request.varbinds;
  return encode_message(r);
}

}  // namespace mamori::proto::snmp
