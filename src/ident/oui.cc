#include "ident/oui.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace mamori::ident {
namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads CSV records (RFC 4180 quoting; a quoted field may hold line breaks, as a few IEEE
// addresses do). Calls fn(fields, first_line) per record; stops when fn returns an error.
template <class Fn>
std::optional<Error> for_each_record(std::string_view text, Fn&& fn) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  std::size_t line = 1, first_line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          fields.back() += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++line;
        if (ch != '\r' && fields.back().size() < 1024) fields.back() += (ch == '\n' ? ' ' : ch);
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      if (fields.size() >= 16) return make_error("line " + std::to_string(line) + ": more than 16 fields");
      fields.emplace_back();
    } else if (ch == '\n') {
      if (auto e = fn(fields, first_line)) return e;
      fields.assign(1, {});
      first_line = ++line;
    } else if (ch != '\r' && fields.back().size() < 1024) {
      fields.back() += ch;
    }
  }
  if (fields.size() > 1 || !fields[0].empty()) return fn(fields, first_line);
  return std::nullopt;
}

Expected<std::string> read_bounded(const std::filesystem::path& p, std::size_t cap) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error(p.string() + ": cannot read");
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > cap) return make_error(p.string() + ": larger than " + std::to_string(cap) + " bytes");
  }
  return text;
}

}  // namespace

std::optional<uint64_t> parse_mac(std::string_view text) {
  uint64_t v = 0;
  int digits = 0;
  char sep = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int h = hexval(text[i]);
    if (h >= 0) {
      if (++digits > 12) return std::nullopt;
      v = (v << 4) | static_cast<uint64_t>(h);
      continue;
    }
    char c = text[i];
    if (c != ':' && c != '-' && c != '.') return std::nullopt;
    if (sep && c != sep) return std::nullopt;
    sep = c;
    // Separators only between groups: 2 digits for ':'/'-', 4 for '.'.
    int group = (c == '.') ? 4 : 2;
    if (digits == 0 || digits % group != 0 || i + 1 >= text.size()) return std::nullopt;
    if (i > 0 && hexval(text[i - 1]) < 0) return std::nullopt;
  }
  if (digits != 12) return std::nullopt;
  if (sep == ':' || sep == '-') {
    if (text.size() != 17) return std::nullopt;
  } else if (sep == '.') {
    if (text.size() != 14) return std::nullopt;
  }
  return v;
}

Expected<std::size_t> OuiTable::add_csv(std::string_view text, const std::string& name) {
  std::size_t added = 0;
  auto err = for_each_record(text, [&](const std::vector<std::string>& f, std::size_t line) -> std::optional<Error> {
    std::string at = name + ":" + std::to_string(line) + ": ";
    if (line == 1 || (f.size() == 1 && f[0].empty())) return std::nullopt;  // header, blank line
    if (f.size() < 3) return make_error(at + "expected Registry,Assignment,Organization");
    const std::string& hex = f[1];
    if (hex.size() != 6 && hex.size() != 7 && hex.size() != 9) {
      return make_error(at + "assignment " + hex + " is not 6, 7 or 9 hex digits");
    }
    uint64_t prefix = 0;
    for (char c : hex) {
      int h = hexval(c);
      if (h < 0) return make_error(at + "assignment " + hex + " is not hex");
      prefix = (prefix << 4) | static_cast<uint64_t>(h);
    }
    if (entries_.size() >= kMaxEntries) return make_error(name + ": more than " + std::to_string(kMaxEntries) + " entries");
    std::string org = f[2];
    while (!org.empty() && org.back() == ' ') org.pop_back();
    entries_.push_back(Entry{prefix, static_cast<uint8_t>(hex.size() * 4), std::move(org)});
    ++added;
    return std::nullopt;
  });
  sort();
  if (err) {
    if (err->message.rfind("line ", 0) == 0) return make_error(name + ": " + err->message);
    return *err;
  }
  return added;
}

void OuiTable::sort() {
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.bits != b.bits ? a.bits < b.bits : a.prefix < b.prefix;
  });
}

std::string_view OuiTable::vendor(uint64_t mac48) const {
  if (!globally_unique_mac(mac48)) return {};
  for (uint8_t bits : {36, 28, 24}) {
    uint64_t prefix = mac48 >> (48 - bits);
    auto it = std::lower_bound(entries_.begin(), entries_.end(), std::pair<uint8_t, uint64_t>{bits, prefix},
                               [](const Entry& e, const std::pair<uint8_t, uint64_t>& k) {
                                 return e.bits != k.first ? e.bits < k.first : e.prefix < k.second;
                               });
    if (it != entries_.end() && it->bits == bits && it->prefix == prefix) return it->org;
  }
  return {};
}

std::string_view OuiTable::vendor(std::string_view mac) const {
  auto v = parse_mac(mac);
  return v ? vendor(*v) : std::string_view{};
}

Expected<OuiTable> OuiTable::load(const std::string& dir) {
  namespace fs = std::filesystem;
  OuiTable t;
  for (const char* name : {"oui.csv", "mam.csv", "oui36.csv", "iab.csv"}) {
    fs::path p = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      if (std::string_view(name) == "oui.csv") return make_error(p.string() + ": missing (install ieee-data)");
      continue;
    }
    auto text = read_bounded(p, kMaxFileBytes);
    if (!text) return text.error();
    auto n = t.add_csv(*text, name);
    if (!n) return n.error();
  }
  return t;
}

void Oui::ensure() const {
  std::call_once(once_, [this] {
    auto t = OuiTable::load(dir_);
    if (t) {
      table_ = std::move(*t);
    } else {
      error_ = t.error().message;
    }
  });
}

std::string Oui::vendor(std::string_view mac) const {
  ensure();
  if (!table_) return {};
  return std::string(table_->vendor(mac));
}

std::optional<std::string> Oui::error() const {
  ensure();
  if (table_) return std::nullopt;
  return error_;
}

}  // namespace mamori::ident
