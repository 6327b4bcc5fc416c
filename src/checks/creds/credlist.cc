#include "checks/creds/credlist.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace mamori::creds {
namespace {

constexpr size_t kMaxListBytes = 4 * 1024 * 1024;
constexpr size_t kMaxFieldBytes = 256;

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// "*" or "" -> {} (any); "a,b" -> {"a","b"}.
std::vector<std::string> parse_set(std::string_view field, bool vendor) {
  std::string f = trim(field);
  if (f.empty() || f == "*") return {};
  std::vector<std::string> out;
  for (auto& part : split(f, ',')) {
    std::string t = trim(part);
    if (t.empty()) continue;
    out.push_back(vendor ? normalize_vendor(t) : t);
  }
  return out;
}

bool matches(const std::vector<std::string>& set, std::string_view value) {
  if (set.empty()) return true;
  return std::find(set.begin(), set.end(), value) != set.end();
}

}  // namespace

std::string normalize_vendor(std::string_view vendor) {
  std::string out;
  for (char c : vendor) {
    if (c == ' ' || c == '_') c = '-';
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

Expected<CredentialList> parse_credential_list(std::string_view text, const std::string& path,
                                               bool user_list) {
  CredentialList list;
  list.path = path;
  list.user = user_list;
  list.name = std::filesystem::path(path).stem().string();
  if (user_list) list.name = "user:" + std::filesystem::path(path).filename().string();
  if (text.size() > kMaxListBytes) return make_error(path + ": larger than 4 MiB");
  bool header_seen = false;
  size_t lineno = 0;
  for (auto& raw : split(text, '\n')) {
    ++lineno;
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto where = [&] { return path + ":" + std::to_string(lineno) + ": "; };
    if (line.empty()) continue;
    if (line.front() == '#') {
      constexpr std::string_view kList = "# list:";
      if (!user_list && line.substr(0, kList.size()) == kList) {
        list.name = trim(line.substr(kList.size()));
      }
      continue;
    }
    if (line.find('\0') != std::string_view::npos) return make_error(where() + "NUL byte");
    auto fields = split(line, '\t');
    if (!header_seen && fields.size() >= 2 && fields[0] == "username" && fields[1] == "password") {
      header_seen = true;
      continue;
    }
    CredentialEntry e;
    if (fields.size() == 1) {
      // user:password (user files); the first ':' separates
      if (!user_list) return make_error(where() + "expected tab-separated fields");
      auto colon = line.find(':');
      if (colon == std::string_view::npos) {
        return make_error(where() + "expected user:password or tab-separated fields, got '" +
                          std::string(line.substr(0, 60)) + "'");
      }
      e.cred.username = std::string(line.substr(0, colon));
      e.cred.password = std::string(line.substr(colon + 1));
    } else {
      if (fields.size() != 2 && fields.size() != 6) {
        return make_error(where() + "expected 2 or 6 tab-separated fields, got " +
                          std::to_string(fields.size()));
      }
      e.cred.username = fields[0];
      e.cred.password = fields[1];
      if (fields.size() == 6) {
        e.services = parse_set(fields[2], false);
        e.categories = parse_set(fields[3], false);
        e.vendors = parse_set(fields[4], true);
        e.cred.source = trim(fields[5]);
      }
    }
    if (e.cred.username.size() > kMaxFieldBytes || e.cred.password.size() > kMaxFieldBytes) {
      return make_error(where() + "username or password longer than 256 bytes");
    }
    e.community = e.services.size() == 1 && e.services[0] == "snmp";
    if (e.community && !e.cred.username.empty()) {
      return make_error(where() + "an SNMP community entry has an empty username");
    }
    list.entries.push_back(std::move(e));
  }
  for (auto& e : list.entries) e.cred.list = list.name;
  return list;
}

Expected<CredentialList> load_credential_list(const std::filesystem::path& path, bool user_list) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read credential list " + path.string());
  std::string text;
  text.resize(kMaxListBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return parse_credential_list(text, path.string(), user_list);
}

Expected<CredentialCatalog> CredentialCatalog::load(const std::filesystem::path& dir,
                                                    const std::vector<std::string>& user_files) {
  CredentialCatalog cat;
  std::error_code ec;
  std::vector<std::filesystem::path> paths;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".tsv") paths.push_back(it->path());
  }
  if (ec) return make_error("cannot read credential lists in " + dir.string() + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    auto list = load_credential_list(p);
    if (!list) return list.error();
    cat.add(std::move(*list));
  }
  for (const auto& f : user_files) {
    auto list = load_credential_list(f, true);
    if (!list) return list.error();
    cat.add(std::move(*list));
  }
  return cat;
}

void CredentialCatalog::add(CredentialList list) { lists_.push_back(std::move(list)); }

size_t CredentialCatalog::size() const {
  size_t n = 0;
  for (const auto& l : lists_) n += l.entries.size();
  return n;
}

std::vector<Credential> CredentialCatalog::select(const CredentialQuery& q, size_t limit) const {
  const bool community = q.kind == "community";
  const std::string vendor = normalize_vendor(q.vendor);
  // Tiers, most likely first.
  enum Tier { kUser, kVendor, kCategory, kMirai, kCommon, kTiers };
  std::vector<Credential> tiers[kTiers];
  for (const auto& list : lists_) {
    for (const auto& e : list.entries) {
      if (e.community != community) continue;
      if (!matches(e.services, q.service)) continue;
      if (!matches(e.categories, q.category)) continue;
      if (!e.vendors.empty()) {
        if (vendor.empty()) continue;
        bool hit = std::any_of(e.vendors.begin(), e.vendors.end(), [&](const std::string& v) {
          return vendor.find(v) != std::string::npos;  // "hikvision digital" contains "hikvision"
        });
        if (!hit) continue;
      }
      Tier t = list.user                 ? kUser
               : !e.vendors.empty()      ? kVendor
               : !e.categories.empty()   ? kCategory
               : list.name == "mirai"    ? kMirai
                                         : kCommon;
      tiers[t].push_back(e.cred);
    }
  }
  std::vector<Credential> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (auto& tier : tiers) {
    for (auto& c : tier) {
      if (!seen.emplace(c.username, c.password).second) continue;
      out.push_back(std::move(c));
      if (limit != 0 && out.size() >= limit) return out;
    }
  }
  return out;
}

}  // namespace mamori::creds
