#include "probes/mdns/dns.h"

#include <cctype>

namespace mamori::probes::dns {
namespace {

constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kMaxLabelBytes = 63;

uint16_t get16(std::string_view b, std::size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) | static_cast<uint8_t>(b[at + 1]));
}
uint32_t get32(std::string_view b, std::size_t at) {
  return (uint32_t{get16(b, at)} << 16) | get16(b, at + 2);
}
void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}

void append_label_text(std::string& out, std::string_view label) {
  for (unsigned char c : label) {
    if (c == '.' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + c / 100));
      out.push_back(static_cast<char>('0' + (c / 10) % 10));
      out.push_back(static_cast<char>('0' + c % 10));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

// Reads the name at `off` of `msg`. `end` is where the name must end at the latest (the end of
// the RDATA for names inside a record); `next` receives the offset after the name's bytes at
// `off` (after the first pointer, if any).
Expected<std::string> read_name(std::string_view msg, std::size_t off, std::size_t end, std::size_t& next) {
  std::string text;
  std::size_t pos = off;
  std::size_t limit = end;  // bytes at or after `limit` are out of reach
  std::size_t jump_floor = off;  // a pointer must point strictly below this
  std::size_t wire = 0;
  int hops = 0;
  bool jumped = false;
  for (;;) {
    if (pos >= limit) return make_error("dns: name runs past its end");
    const uint8_t len = static_cast<uint8_t>(msg[pos]);
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= limit) return make_error("dns: truncated compression pointer");
      const std::size_t target = ((len & 0x3fu) << 8) | static_cast<uint8_t>(msg[pos + 1]);
      if (!jumped) next = pos + 2;
      jumped = true;
      if (target >= jump_floor) return make_error("dns: compression pointer loops or points forward");
      if (++hops > kMaxPointerHops) return make_error("dns: too many compression pointers");
      jump_floor = target;
      pos = target;
      limit = msg.size();  // a pointer may reach anywhere before it in the message
      continue;
    }
    if ((len & 0xc0) != 0) return make_error("dns: extended label type refused");
    if (len == 0) {
      wire += 1;
      if (wire > kMaxNameBytes) return make_error("dns: name longer than 255 bytes");
      if (!jumped) next = pos + 1;
      return text;
    }
    if (pos + 1 + len > limit) return make_error("dns: label runs past its end");
    wire += 1u + len;
    if (wire > kMaxNameBytes) return make_error("dns: name longer than 255 bytes");
    if (!text.empty()) text.push_back('.');
    append_label_text(text, msg.substr(pos + 1, len));
    pos += 1u + len;
  }
}

Expected<Question> read_question(std::string_view msg, std::size_t& pos) {
  Question q;
  std::size_t next = 0;
  auto name = read_name(msg, pos, msg.size(), next);
  if (!name) return name.error();
  if (next + 4 > msg.size()) return make_error("dns: truncated question");
  q.name = std::move(*name);
  q.type = get16(msg, next);
  const uint16_t cls = get16(msg, next + 2);
  q.cls = cls & 0x7fff;
  q.unicast_response = (cls & 0x8000) != 0;
  pos = next + 4;
  return q;
}

Expected<Record> read_record(std::string_view msg, std::size_t& pos) {
  Record r;
  std::size_t next = 0;
  auto name = read_name(msg, pos, msg.size(), next);
  if (!name) return name.error();
  if (next + 10 > msg.size()) return make_error("dns: truncated record header");
  r.name = std::move(*name);
  r.type = get16(msg, next);
  const uint16_t cls = get16(msg, next + 2);
  r.cls = cls & 0x7fff;
  r.cache_flush = (cls & 0x8000) != 0;
  r.ttl = get32(msg, next + 4);
  const std::size_t rdlen = get16(msg, next + 8);
  const std::size_t rd = next + 10;
  if (rd + rdlen > msg.size()) return make_error("dns: RDATA runs past the message");
  const std::size_t rd_end = rd + rdlen;
  switch (r.type) {
    case type::kPtr:
    case type::kCname:
    case type::kNs: {
      std::size_t after = 0;
      auto t = read_name(msg, rd, rd_end, after);
      if (!t) return t.error();
      if (after != rd_end) return make_error("dns: bytes after the name in RDATA");
      r.target = std::move(*t);
      break;
    }
    case type::kSrv: {
      if (rdlen < 7) return make_error("dns: short SRV RDATA");
      r.priority = get16(msg, rd);
      r.weight = get16(msg, rd + 2);
      r.port = get16(msg, rd + 4);
      std::size_t after = 0;
      auto t = read_name(msg, rd + 6, rd_end, after);
      if (!t) return t.error();
      if (after != rd_end) return make_error("dns: bytes after the SRV target");
      r.target = std::move(*t);
      break;
    }
    case type::kTxt: {
      std::size_t p = rd;
      while (p < rd_end) {
        const std::size_t n = static_cast<uint8_t>(msg[p]);
        if (p + 1 + n > rd_end) return make_error("dns: TXT string runs past its RDATA");
        if (r.txt.size() >= kMaxTxtStrings) return make_error("dns: too many TXT strings");
        r.txt.emplace_back(msg.substr(p + 1, n));
        p += 1 + n;
      }
      break;
    }
    default:
      r.rdata.assign(msg.substr(rd, rdlen));
  }
  pos = rd_end;
  return r;
}

Expected<std::string> rdata_of(const Record& r) {
  switch (r.type) {
    case type::kPtr:
    case type::kCname:
    case type::kNs:
      return encode_name(r.target);
    case type::kSrv: {
      auto t = encode_name(r.target);
      if (!t) return t.error();
      std::string out;
      put16(out, r.priority);
      put16(out, r.weight);
      put16(out, r.port);
      return out + *t;
    }
    case type::kTxt: {
      if (r.txt.size() > kMaxTxtStrings) return make_error("dns: too many TXT strings");
      std::string out;
      for (const auto& s : r.txt) {
        if (s.size() > 255) return make_error("dns: TXT string over 255 bytes");
        out.push_back(static_cast<char>(s.size()));
        out += s;
      }
      return out;
    }
    default:
      return r.rdata;
  }
}

}  // namespace

Expected<std::string> encode_name(std::string_view name) {
  std::string out;
  std::string label;
  auto flush = [&]() -> bool {
    if (label.empty() || label.size() > kMaxLabelBytes) return false;
    out.push_back(static_cast<char>(label.size()));
    out += label;
    label.clear();
    return true;
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      if (!flush()) return make_error("dns: empty or over-long label");
    } else if (c == '\\') {
      if (i + 1 >= name.size()) return make_error("dns: escape at the end of a name");
      const char e = name[i + 1];
      if (std::isdigit(static_cast<unsigned char>(e))) {
        if (i + 3 >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i + 2])) ||
            !std::isdigit(static_cast<unsigned char>(name[i + 3]))) {
          return make_error("dns: bad \\DDD escape");
        }
        const int v = (e - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0');
        if (v > 255) return make_error("dns: bad \\DDD escape");
        label.push_back(static_cast<char>(v));
        i += 3;
      } else {
        label.push_back(e);
        i += 1;
      }
    } else {
      label.push_back(c);
    }
  }
  if (!name.empty() && !flush()) return make_error("dns: empty or over-long label");
  out.push_back('\0');
  if (out.size() > kMaxNameBytes) return make_error("dns: name longer than 255 bytes");
  return out;
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

Expected<Message> parse(std::string_view bytes) {
  if (bytes.size() > kMaxMessageBytes) return make_error("dns: message larger than 9000 bytes");
  if (bytes.size() < kHeaderBytes) return make_error("dns: shorter than a header");
  Message m;
  m.id = get16(bytes, 0);
  m.flags = get16(bytes, 2);
  const std::size_t counts[4] = {get16(bytes, 4), get16(bytes, 6), get16(bytes, 8), get16(bytes, 10)};
  if (counts[0] + counts[1] + counts[2] + counts[3] > kMaxRecords) {
    return make_error("dns: more than 256 entries");
  }
  std::size_t pos = kHeaderBytes;
  for (std::size_t i = 0; i < counts[0]; ++i) {
    auto q = read_question(bytes, pos);
    if (!q) return q.error();
    m.questions.push_back(std::move(*q));
  }
  std::vector<Record>* sections[3] = {&m.answers, &m.authority, &m.additional};
  for (int s = 0; s < 3; ++s) {
    for (std::size_t i = 0; i < counts[s + 1]; ++i) {
      auto r = read_record(bytes, pos);
      if (!r) return r.error();
      sections[s]->push_back(std::move(*r));
    }
  }
  if (pos != bytes.size()) return make_error("dns: trailing bytes after the records");
  return m;
}

Expected<std::string> encode(const Message& m) {
  const std::size_t total = m.questions.size() + m.answers.size() + m.authority.size() + m.additional.size();
  if (total > kMaxRecords) return make_error("dns: more than 256 entries");
  std::string out;
  put16(out, m.id);
  put16(out, m.flags);
  put16(out, static_cast<uint16_t>(m.questions.size()));
  put16(out, static_cast<uint16_t>(m.answers.size()));
  put16(out, static_cast<uint16_t>(m.authority.size()));
  put16(out, static_cast<uint16_t>(m.additional.size()));
  for (const auto& q : m.questions) {
    auto n = encode_name(q.name);
    if (!n) return n.error();
    out += *n;
    put16(out, q.type);
    put16(out, static_cast<uint16_t>((q.cls & 0x7fff) | (q.unicast_response ? 0x8000 : 0)));
  }
  for (const auto* section : {&m.answers, &m.authority, &m.additional}) {
    for (const auto& r : *section) {
      auto n = encode_name(r.name);
      if (!n) return n.error();
      auto rd = rdata_of(r);
      if (!rd) return rd.error();
      if (rd->size() > 65535) return make_error("dns: RDATA over 65535 bytes");
      out += *n;
      put16(out, r.type);
      put16(out, static_cast<uint16_t>((r.cls & 0x7fff) | (r.cache_flush ? 0x8000 : 0)));
      put32(out, r.ttl);
      put16(out, static_cast<uint16_t>(rd->size()));
      out += *rd;
      if (out.size() > kMaxMessageBytes) return make_error("dns: message larger than 9000 bytes");
    }
  }
  if (out.size() > kMaxMessageBytes) return make_error("dns: message larger than 9000 bytes");
  return out;
}

Expected<std::string> encode_query(uint16_t id, const std::vector<Question>& questions) {
  Message m;
  m.id = id;
  m.questions = questions;
  return encode(m);
}

}  // namespace mamori::probes::dns
