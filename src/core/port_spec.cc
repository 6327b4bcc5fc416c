#include "core/port_spec.h"

#include <algorithm>
#include <bitset>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

namespace mamori {
namespace {

constexpr size_t kMaxPortFileBytes = 1 << 20;

Error bad(std::string_view token, std::string_view why) {
  return make_error("invalid port '" + std::string(token) + "': " + std::string(why));
}

std::optional<unsigned> parse_port_number(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  unsigned v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool is_set_name(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::islower(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
           c == '-' || c == '_';
  });
}

void append_runs(std::string& out, const std::vector<uint16_t>& ports, const char* prefix) {
  for (size_t i = 0; i < ports.size();) {
    size_t j = i;
    while (j + 1 < ports.size() && ports[j + 1] == ports[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += prefix;
    out += std::to_string(ports[i]);
    if (j > i) out += "-" + std::to_string(ports[j]);
    i = j + 1;
  }
}

}  // namespace

const char* proto_name(Proto p) { return p == Proto::tcp ? "tcp" : "udp"; }

std::string PortList::str() const {
  std::string out;
  append_runs(out, tcp, "");
  append_runs(out, udp, "U:");
  return out;
}

Expected<PortList> parse_ports(std::string_view spec, const PortCatalog* catalog) {
  auto tcp = std::make_unique<std::bitset<65536>>();
  auto udp = std::make_unique<std::bitset<65536>>();
  std::string s(spec);
  std::replace_if(s.begin(), s.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }, ',');
  std::stringstream in(s);
  std::string token;
  bool any = false;
  while (std::getline(in, token, ',')) {
    if (token.empty()) continue;
    any = true;
    std::string_view t = token;
    std::optional<Proto> proto;
    if (t.size() >= 2 && t[1] == ':' && (t[0] == 'T' || t[0] == 'U' || t[0] == 't' || t[0] == 'u')) {
      proto = (t[0] == 'U' || t[0] == 'u') ? Proto::udp : Proto::tcp;
      t.remove_prefix(2);
    }
    if (size_t sl = t.rfind('/'); sl != std::string_view::npos) {
      std::string_view p = t.substr(sl + 1);
      Proto suffix;
      if (p == "tcp") suffix = Proto::tcp;
      else if (p == "udp") suffix = Proto::udp;
      else return bad(token, "protocol must be /tcp or /udp");
      if (proto && *proto != suffix) return bad(token, "conflicting protocols");
      proto = suffix;
      t = t.substr(0, sl);
    }
    if (t.empty()) return bad(token, "no port number");
    if (is_set_name(t) && t != "all") {
      const PortSetInfo* set = catalog ? catalog->find(t) : nullptr;
      if (set == nullptr) {
        std::string known;
        if (catalog) {
          for (const auto& [name, _] : catalog->sets()) known += (known.empty() ? "" : ", ") + name;
        }
        return bad(token, "no port set of that name" +
                              (known.empty() ? std::string() : " (known: " + known + ")"));
      }
      for (const PortInfo& p : set->ports) {
        if (proto && *proto != p.proto) continue;
        (p.proto == Proto::tcp ? *tcp : *udp).set(p.port);
      }
      continue;
    }
    unsigned lo, hi;
    if (t == "all" || t == "-") {
      lo = 1;
      hi = 65535;
    } else if (size_t dash = t.find('-'); dash != std::string_view::npos) {
      std::string_view a = t.substr(0, dash), b = t.substr(dash + 1);
      auto pa = a.empty() ? std::optional<unsigned>(1) : parse_port_number(a);
      auto pb = b.empty() ? std::optional<unsigned>(65535) : parse_port_number(b);
      if (!pa || !pb) return bad(token, "not a number, range or port set name");
      lo = *pa;
      hi = *pb;
      if (lo > hi) return bad(token, "the range ends before it starts");
    } else {
      auto p = parse_port_number(t);
      if (!p) return bad(token, "not a number, range or port set name");
      lo = hi = *p;
    }
    if (lo < 1 || hi > 65535) return bad(token, "ports are 1..65535");
    auto& bits = (proto.value_or(Proto::tcp) == Proto::tcp) ? *tcp : *udp;
    for (unsigned p = lo; p <= hi; ++p) bits.set(p);
  }
  if (!any) return make_error("invalid port list '" + std::string(spec) + "': it is empty");
  PortList out;
  for (unsigned p = 1; p <= 65535; ++p) {
    if (tcp->test(p)) out.tcp.push_back(static_cast<uint16_t>(p));
    if (udp->test(p)) out.udp.push_back(static_cast<uint16_t>(p));
  }
  return out;
}

Expected<PortSetInfo> PortCatalog::parse_set(std::string_view json_text, const std::string& origin) {
  if (json_text.size() > kMaxPortFileBytes) return make_error(origin + ": larger than 1 MiB");
  auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return make_error(origin + ": not a JSON object");
  PortSetInfo set;
  if (!j.contains("name") || !j["name"].is_string() || !is_set_name(j["name"].get<std::string>())) {
    return make_error(origin + ": 'name' must be a lower-case set name");
  }
  set.name = j["name"].get<std::string>();
  if (j.contains("description") && j["description"].is_string()) {
    set.description = j["description"].get<std::string>();
  }
  if (!j.contains("ports") || !j["ports"].is_array() || j["ports"].empty()) {
    return make_error(origin + ": 'ports' must be a non-empty list");
  }
  for (const auto& e : j["ports"]) {
    if (!e.is_object() || !e.contains("port") || !e["port"].is_number_unsigned() ||
        e["port"].get<uint64_t>() < 1 || e["port"].get<uint64_t>() > 65535) {
      return make_error(origin + ": every entry needs 'port' 1..65535");
    }
    PortInfo p;
    p.port = static_cast<uint16_t>(e["port"].get<uint64_t>());
    std::string proto = e.value("proto", "tcp");
    if (proto != "tcp" && proto != "udp") {
      return make_error(origin + ": port " + std::to_string(p.port) + ": proto must be tcp or udp");
    }
    p.proto = proto == "tcp" ? Proto::tcp : Proto::udp;
    p.service = e.value("service", "");
    p.reason = e.value("reason", "");
    if (p.reason.empty()) {
      return make_error(origin + ": port " + std::to_string(p.port) + " has no 'reason'");
    }
    set.ports.push_back(std::move(p));
  }
  return set;
}

void PortCatalog::add(PortSetInfo set) { sets_[set.name] = std::move(set); }

Expected<PortCatalog> PortCatalog::load(const std::string& dir) {
  PortCatalog cat;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return make_error("cannot read port sets in '" + dir + "': " + ec.message());
  for (const auto& entry : it) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto set = parse_set(text, entry.path().string());
    if (!set) return set.error();
    if (set->name != entry.path().stem().string()) {
      return make_error(entry.path().string() + ": 'name' must equal the file name");
    }
    cat.add(std::move(*set));
  }
  return cat;
}

const PortSetInfo* PortCatalog::find(std::string_view name) const {
  auto it = sets_.find(name);
  return it == sets_.end() ? nullptr : &it->second;
}

std::string PortCatalog::service_name(uint16_t port, Proto proto) const {
  for (const auto& [_, set] : sets_) {
    for (const PortInfo& p : set.ports) {
      if (p.port == port && p.proto == proto && !p.service.empty()) return p.service;
    }
  }
  return "";
}

}  // namespace mamori
