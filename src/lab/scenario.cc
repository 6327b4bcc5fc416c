#include "lab/scenario.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/beast/core/detail/base64.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/ip.h"
#include "lab/service.h"

namespace mamori::lab {
namespace {

constexpr uint32_t kDefaultBase = (127u << 24) | (66u << 16);  // 127.66.0.0

// Thrown inside this file only, turned into an Error by parse_scenario.
struct ParseFailure {
  std::string message;
};

class Reader {
 public:
  Reader(std::string file, std::string base_dir) : file_(std::move(file)), dir_(std::move(base_dir)) {}

  [[noreturn]] void fail(const YAML::Node& n, const std::string& path, const std::string& what) const {
    int line = n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
    fail_at(line, path, what);
  }
  [[noreturn]] void fail_at(int line, const std::string& path, const std::string& what) const {
    throw ParseFailure{fmt::format("{}:{}: {}: {}", file_, line, path, what)};
  }

  std::string str(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "expected a string");
    return n.Scalar();
  }
  long long integer(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "expected a number");
    const std::string& s = n.Scalar();
    try {
      size_t used = 0;
      long long v = std::stoll(s, &used, 0);
      if (used != s.size()) throw std::invalid_argument("trailing");
      return v;
    } catch (const std::exception&) {
      fail(n, path, fmt::format("{} is not a number", s));
    }
  }
  bool boolean(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "expected true or false");
    std::string s = lower(n.Scalar());
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
    fail(n, path, fmt::format("{} is not true or false", n.Scalar()));
  }
  uint16_t port(const YAML::Node& n, const std::string& path) const {
    long long v = integer(n, path);
    if (v < 1 || v > 65535) fail(n, path, fmt::format("{} is not a port 1..65535", n.Scalar()));
    return static_cast<uint16_t>(v);
  }
  uint32_t address(const YAML::Node& n, const std::string& path) const {
    auto ip = Ip::parse(str(n, path));
    if (!ip || !ip->is_v4()) fail(n, path, fmt::format("{} is not an IPv4 address", n.Scalar()));
    uint32_t a = ip->v4();
    bool loopback = (a >> 24) == 127;
    bool bench = (a & 0xfffe0000u) == 0xc6120000u;  // 198.18.0.0/15
    if (!loopback || (a & 0xff) == 0 || (a & 0xff) == 255) {
      if (!bench) fail(n, path, fmt::format("{} is outside 127.0.0.0/8 (host part 1..254) and 198.18.0.0/15", n.Scalar()));
    }
    return a;
  }
  std::vector<std::string> strings(const YAML::Node& n, const std::string& path) const {
    std::vector<std::string> out;
    if (n.IsScalar()) return {n.Scalar()};
    if (!n.IsSequence()) fail(n, path, "expected a list of strings");
    for (size_t i = 0; i < n.size(); ++i) out.push_back(str(n[i], fmt::format("{}[{}]", path, i)));
    return out;
  }
  std::string read_file(const YAML::Node& n, const std::string& path, size_t max) const {
    std::string name = str(n, path);
    std::string full = (!name.empty() && name[0] == '/') || dir_.empty() ? name : dir_ + "/" + name;
    std::ifstream in(full, std::ios::binary);
    if (!in) fail(n, path, fmt::format("cannot read {}", full));
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.size() > max) fail(n, path, fmt::format("{} is larger than {} bytes", full, max));
    return data;
  }
  std::string resolve(const std::string& name) const {
    return (!name.empty() && name[0] == '/') || dir_.empty() ? name : dir_ + "/" + name;
  }
  void only_fields(const YAML::Node& map, const std::string& path,
                   std::initializer_list<std::string_view> common,
                   const std::vector<std::string_view>& extra = {}) const {
    if (!map.IsMap()) fail(map, path, "expected a mapping");
    for (const auto& kv : map) {
      const std::string& key = kv.first.Scalar();
      bool ok = std::find(common.begin(), common.end(), key) != common.end() ||
                std::find(extra.begin(), extra.end(), key) != extra.end();
      if (!ok) fail(kv.first, path + "." + key, "unknown field");
    }
  }

 private:
  std::string file_;
  std::string dir_;
};

std::vector<Credential> parse_credentials(const Reader& r, const YAML::Node& n, const std::string& path) {
  std::vector<Credential> out;
  if (!n.IsSequence()) r.fail(n, path, "expected a list of credentials");
  for (size_t i = 0; i < n.size(); ++i) {
    std::string p = fmt::format("{}[{}]", path, i);
    Credential c;
    bool explicit_default = false;
    if (n[i].IsScalar()) {  // "user:password"
      const std::string& s = n[i].Scalar();
      auto colon = s.find(':');
      if (colon == std::string::npos) r.fail(n[i], p, "expected user:password or {username, password}");
      c.username = s.substr(0, colon);
      c.password = s.substr(colon + 1);
    } else {
      r.only_fields(n[i], p, {"username", "password", "default"});
      if (!n[i]["username"]) r.fail(n[i], p + ".username", "missing");
      c.username = r.str(n[i]["username"], p + ".username");
      if (n[i]["password"]) c.password = r.str(n[i]["password"], p + ".password");
      if (n[i]["default"]) {
        c.is_default = r.boolean(n[i]["default"], p + ".default");
        explicit_default = true;
      }
    }
    if (c.username.size() > 128 || c.password.size() > 128) r.fail(n[i], p, "longer than 128 characters");
    if (!explicit_default) c.is_default = is_well_known_default(c.username, c.password);
    out.push_back(std::move(c));
  }
  return out;
}

uint32_t parse_eoj(const Reader& r, const YAML::Node& n, const std::string& path, uint32_t max) {
  long long v = r.integer(n, path);
  if (v < 0 || v > max) r.fail(n, path, fmt::format("{} is out of range 0..{:#x}", n.Scalar(), max));
  return static_cast<uint32_t>(v);
}

TlsOptions parse_tls(const Reader& r, const YAML::Node& n, const std::string& path) {
  TlsOptions t;
  t.enabled = true;
  if (n.IsScalar()) {
    t.enabled = r.boolean(n, path);
    return t;
  }
  r.only_fields(n, path, {"self_signed", "expired", "key_bits", "shared_key", "key_file", "common_name", "min_version"});
  if (n["self_signed"]) t.self_signed = r.boolean(n["self_signed"], path + ".self_signed");
  if (n["expired"]) t.expired = r.boolean(n["expired"], path + ".expired");
  if (n["key_bits"]) {
    long long b = r.integer(n["key_bits"], path + ".key_bits");
    if (b != 1024 && b != 2048 && b != 3072 && b != 4096)
      r.fail(n["key_bits"], path + ".key_bits", fmt::format("{} is not one of 1024, 2048, 3072, 4096", b));
    t.key_bits = static_cast<int>(b);
  }
  if (n["shared_key"]) t.shared_key = r.str(n["shared_key"], path + ".shared_key");
  if (n["key_file"]) {
    t.key_file = r.resolve(r.str(n["key_file"], path + ".key_file"));
    if (!std::ifstream(t.key_file)) r.fail(n["key_file"], path + ".key_file", fmt::format("cannot read {}", t.key_file));
  }
  if (n["common_name"]) t.common_name = r.str(n["common_name"], path + ".common_name");
  if (n["min_version"]) {
    t.min_version = r.str(n["min_version"], path + ".min_version");
    static const std::set<std::string> ok{"tls1.0", "tls1.1", "tls1.2", "tls1.3"};
    if (!ok.count(t.min_version))
      r.fail(n["min_version"], path + ".min_version", fmt::format("{} is not one of tls1.0, tls1.1, tls1.2, tls1.3", t.min_version));
  }
  return t;
}

Service parse_service(const Reader& r, const YAML::Node& n, const std::string& path) {
  if (!n.IsMap()) r.fail(n, path, "expected a mapping");
  if (!n["kind"]) r.fail(n, path + ".kind", "missing");
  Service s;
  s.line = n.Mark().line + 1;
  s.kind = r.str(n["kind"], path + ".kind");
  const ServiceKind* kind = find_kind(s.kind);
  if (!kind) {
    std::string ids;
    for (const auto* k : service_kinds()) ids += (ids.empty() ? "" : ", ") + std::string(k->id);
    r.fail(n["kind"], path + ".kind", fmt::format("{} is not a service kind ({})", s.kind, ids));
  }
  r.only_fields(n, path, {"kind", "port", "tls"}, kind->fields);
  s.transport = kind->transport;
  s.port = n["port"] ? r.port(n["port"], path + ".port") : kind->default_port;
  if (n["tls"]) {
    if (kind->transport != Transport::tcp) r.fail(n["tls"], path + ".tls", "TLS is only for TCP services");
    s.tls = parse_tls(r, n["tls"], path + ".tls");
  }
  auto text = [&](const char* key, std::string& out, size_t max = 1024) {
    if (!n[key]) return;
    out = r.str(n[key], path + "." + key);
    if (out.size() > max) r.fail(n[key], path + "." + key, fmt::format("longer than {} characters", max));
  };
  text("banner", s.banner, 4096);
  text("server", s.server);
  text("title", s.title);
  text("realm", s.realm);
  text("prompt", s.prompt, 64);
  text("hostname", s.hostname, 64);
  text("sys_descr", s.sys_descr);
  text("sys_object_id", s.sys_object_id, 128);
  text("external_ip", s.external_ip, 64);
  if (n["auth"]) {
    s.auth = r.str(n["auth"], path + ".auth");
    std::vector<std::string> allowed = s.kind == "telnet" ? std::vector<std::string>{"none", "login"}
                                       : s.kind == "http" ? std::vector<std::string>{"none", "basic", "digest", "form"}
                                                          : std::vector<std::string>{"none", "basic", "digest"};
    if (std::find(allowed.begin(), allowed.end(), s.auth) == allowed.end()) {
      std::string list;
      for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      r.fail(n["auth"], path + ".auth", fmt::format("{} is not one of {}", s.auth, list));
    }
  } else if (s.kind == "telnet") {
    s.auth = "login";
  }
  if (n["credentials"]) s.credentials = parse_credentials(r, n["credentials"], path + ".credentials");
  if (n["anonymous"]) s.anonymous = r.boolean(n["anonymous"], path + ".anonymous");
  if (n["admin"]) s.admin = r.boolean(n["admin"], path + ".admin");
  if (n["max_tries"]) {
    long long t = r.integer(n["max_tries"], path + ".max_tries");
    if (t < 1 || t > 10) r.fail(n["max_tries"], path + ".max_tries", fmt::format("{} is not in 1..10", t));
    s.max_tries = static_cast<int>(t);
  }
  if (n["paths"]) {
    s.paths = r.strings(n["paths"], path + ".paths");
    for (size_t i = 0; i < s.paths.size(); ++i)
      if (s.paths[i].empty() || s.paths[i][0] != '/')
        r.fail(n["paths"], fmt::format("{}.paths[{}]", path, i), fmt::format("{} does not start with /", s.paths[i]));
  }
  if (n["resources"]) s.resources = r.strings(n["resources"], path + ".resources");
  if (n["favicon"]) s.favicon = r.read_file(n["favicon"], path + ".favicon", 256 * 1024);
  if (n["favicon_base64"]) {
    std::string b64 = r.str(n["favicon_base64"], path + ".favicon_base64");
    std::string out(boost::beast::detail::base64::decoded_size(b64.size()), '\0');
    auto res = boost::beast::detail::base64::decode(out.data(), b64.data(), b64.size());
    out.resize(res.first);
    s.favicon = std::move(out);
  }
  if (n["topics"]) {
    const auto& t = n["topics"];
    if (!t.IsSequence()) r.fail(t, path + ".topics", "expected a list");
    for (size_t i = 0; i < t.size(); ++i) {
      std::string p = fmt::format("{}.topics[{}]", path, i);
      r.only_fields(t[i], p, {"topic", "payload"});
      if (!t[i]["topic"]) r.fail(t[i], p + ".topic", "missing");
      Topic topic{r.str(t[i]["topic"], p + ".topic"), t[i]["payload"] ? r.str(t[i]["payload"], p + ".payload") : ""};
      if (topic.topic.empty() || topic.topic.find_first_of("#+") != std::string::npos)
        r.fail(t[i]["topic"], p + ".topic", "must be a non-empty topic name without wildcards");
      s.topics.push_back(std::move(topic));
    }
  }
  if (n["communities"]) {
    const auto& c = n["communities"];
    if (!c.IsSequence()) r.fail(c, path + ".communities", "expected a list");
    for (size_t i = 0; i < c.size(); ++i) {
      std::string p = fmt::format("{}.communities[{}]", path, i);
      Community com;
      if (c[i].IsScalar()) {
        com.name = c[i].Scalar();
      } else {
        r.only_fields(c[i], p, {"name", "write"});
        if (!c[i]["name"]) r.fail(c[i], p + ".name", "missing");
        com.name = r.str(c[i]["name"], p + ".name");
        if (c[i]["write"]) com.write = r.boolean(c[i]["write"], p + ".write");
      }
      s.communities.push_back(std::move(com));
    }
  }
  if (n["mappings"]) {
    const auto& m = n["mappings"];
    if (!m.IsSequence()) r.fail(m, path + ".mappings", "expected a list");
    for (size_t i = 0; i < m.size(); ++i) {
      std::string p = fmt::format("{}.mappings[{}]", path, i);
      r.only_fields(m[i], p, {"protocol", "external_port", "internal_client", "internal_port", "description", "enabled", "lease"});
      PortMapping pm;
      if (m[i]["protocol"]) {
        pm.protocol = r.str(m[i]["protocol"], p + ".protocol");
        if (pm.protocol != "TCP" && pm.protocol != "UDP") r.fail(m[i]["protocol"], p + ".protocol", fmt::format("{} is not TCP or UDP", pm.protocol));
      }
      if (!m[i]["external_port"]) r.fail(m[i], p + ".external_port", "missing");
      pm.external_port = r.port(m[i]["external_port"], p + ".external_port");
      if (!m[i]["internal_client"]) r.fail(m[i], p + ".internal_client", "missing");
      pm.internal_client = ipv4_str(r.address(m[i]["internal_client"], p + ".internal_client"));
      pm.internal_port = m[i]["internal_port"] ? r.port(m[i]["internal_port"], p + ".internal_port") : pm.external_port;
      if (m[i]["description"]) pm.description = r.str(m[i]["description"], p + ".description");
      if (m[i]["enabled"]) pm.enabled = r.boolean(m[i]["enabled"], p + ".enabled");
      if (m[i]["lease"]) pm.lease = static_cast<uint32_t>(parse_eoj(r, m[i]["lease"], p + ".lease", 0x7fffffff));
      s.mappings.push_back(std::move(pm));
    }
  }
  if (n["manufacturer_code"]) s.manufacturer_code = parse_eoj(r, n["manufacturer_code"], path + ".manufacturer_code", 0xffffff);
  if (n["instances"]) {
    const auto& in = n["instances"];
    if (!in.IsSequence()) r.fail(in, path + ".instances", "expected a list of EOJ numbers like 0x028801");
    for (size_t i = 0; i < in.size(); ++i)
      s.instances.push_back(parse_eoj(r, in[i], fmt::format("{}.instances[{}]", path, i), 0xffffff));
  }
  if ((s.auth == "basic" || s.auth == "digest" || s.auth == "form" || s.auth == "login") && s.credentials.empty())
    r.fail(n, path + ".credentials", fmt::format("auth {} needs at least one credential", s.auth));
  if (s.kind == "rtsp" && s.paths.empty()) r.fail(n, path + ".paths", "an RTSP service needs at least one stream path");
  return s;
}

Device parse_device(const Reader& r, const YAML::Node& n, const std::string& path) {
  r.only_fields(n, path, {"name", "address", "category", "vendor", "model", "firmware", "serial", "uuid", "services",
                          "verdicts"});
  Device d;
  d.line = n.Mark().line + 1;
  if (n["name"]) d.name = r.str(n["name"], path + ".name");
  if (n["address"]) d.address = r.address(n["address"], path + ".address");
  if (!n["category"]) r.fail(n, path + ".category", "missing");
  d.category = r.str(n["category"], path + ".category");
  const auto& cats = device_categories();
  if (std::find(cats.begin(), cats.end(), d.category) == cats.end()) {
    std::string list;
    for (auto& c : cats) list += (list.empty() ? "" : ", ") + c;
    r.fail(n["category"], path + ".category", fmt::format("{} is not one of {}", d.category, list));
  }
  for (auto [key, out] : {std::pair{"vendor", &d.vendor}, {"model", &d.model}, {"firmware", &d.firmware},
                          {"serial", &d.serial}, {"uuid", &d.uuid}}) {
    if (n[key]) *out = r.str(n[key], path + "." + key);
    if (out->size() > 256) r.fail(n[key], path + "." + key, "longer than 256 characters");
  }
  if (const auto& v = n["verdicts"]) {
    if (!v.IsMap()) r.fail(v, path + ".verdicts", "expected a mapping of requirement id to verdict");
    for (const auto& kv : v) {
      const std::string req = kv.first.Scalar();
      const std::string st = r.str(kv.second, path + ".verdicts." + req);
      static const std::set<std::string> kStatus = {"pass", "fail", "not_verifiable", "not_applicable", "declared"};
      if (!kStatus.count(st)) {
        r.fail(kv.second, path + ".verdicts." + req, st + " is not pass, fail, not_verifiable, not_applicable or declared");
      }
      d.verdicts[req] = st;
    }
  }
  if (!n["services"]) r.fail(n, path + ".services", "missing");
  const auto& svcs = n["services"];
  if (!svcs.IsSequence()) r.fail(svcs, path + ".services", "expected a list");
  std::set<std::pair<int, uint16_t>> seen;
  for (size_t i = 0; i < svcs.size(); ++i) {
    std::string p = fmt::format("{}.services[{}]", path, i);
    Service s = parse_service(r, svcs[i], p);
    if (!seen.insert({static_cast<int>(s.transport), s.port}).second)
      r.fail(svcs[i], p + ".port", fmt::format("{}/{} is used twice on this device", s.port,
                                               s.transport == Transport::tcp ? "tcp" : "udp"));
    d.services.push_back(std::move(s));
  }
  if (find_service(d, "ssdp") && !find_service(d, "upnp"))
    r.fail(svcs, path + ".services", "an ssdp service needs a upnp service on the device for its LOCATION");
  return d;
}

}  // namespace

size_t Scenario::service_count() const {
  size_t n = 0;
  for (const auto& d : devices) n += d.services.size();
  return n;
}

std::string ipv4_str(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

const std::vector<std::string>& device_categories() {
  static const std::vector<std::string> v{"network_camera", "dvr", "router", "smart_speaker", "tv_stb", "medical",
                                          "mfp", "car_gateway", "game_console", "smart_meter", "nfc", "other"};
  return v;
}

bool is_well_known_default(const std::string& user, const std::string& password) {
  // A few pairs every default list carries (Mirai's list included); scenarios can mark any
  // other pair with `default: true`.
  static const std::set<std::pair<std::string, std::string>> known{
      {"admin", "admin"}, {"admin", ""}, {"admin", "1234"}, {"admin", "12345"}, {"admin", "password"},
      {"root", "xc3511"}, {"root", "vizxv"}, {"root", "root"}, {"root", ""}, {"root", "admin"},
      {"root", "12345"}, {"root", "888888"}, {"root", "default"}, {"user", "user"}, {"guest", "guest"},
      {"support", "support"}, {"admin", "admin1234"}, {"ubnt", "ubnt"}, {"root", "pass"}, {"admin", "smcadmin"}};
  return known.count({user, password}) != 0;
}

Expected<Scenario> parse_scenario(const std::string& text, const std::string& display_name,
                                  const std::string& base_dir) {
  Reader r(display_name, base_dir);
  try {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      return make_error(fmt::format("{}:{}: {}", display_name, e.mark.line + 1, e.msg));
    }
    if (!root.IsMap()) r.fail_at(1, "scenario", "expected a mapping with `devices:`");
    r.only_fields(root, "scenario", {"name", "base", "devices"});
    Scenario sc;
    sc.file = display_name;
    if (root["name"]) sc.name = r.str(root["name"], "name");
    uint32_t base = root["base"] ? r.address(root["base"], "base") : kDefaultBase;
    if (!root["base"]) base = kDefaultBase;
    const auto& devs = root["devices"];
    if (!devs || !devs.IsSequence()) r.fail(root, "devices", "expected a list of devices");
    std::set<uint32_t> used;
    for (size_t i = 0; i < devs.size(); ++i) {
      std::string p = fmt::format("devices[{}]", i);
      Device d = parse_device(r, devs[i], p);
      if (d.address && !used.insert(d.address).second)
        r.fail(devs[i]["address"], p + ".address", fmt::format("{} is used by another device", ipv4_str(d.address)));
      sc.devices.push_back(std::move(d));
    }
    // Allocate the missing addresses from base+1 upwards, skipping .0, .255 and taken ones.
    uint32_t next = base;
    for (auto& d : sc.devices) {
      if (d.address) continue;
      do {
        ++next;
      } while ((next & 0xff) == 0 || (next & 0xff) == 255 || used.count(next));
      if ((next >> 24) != (base >> 24)) r.fail_at(d.line, "devices", "ran out of addresses after base");
      d.address = next;
      used.insert(next);
    }
    for (size_t i = 0; i < sc.devices.size(); ++i) {
      auto& d = sc.devices[i];
      if (d.name.empty()) d.name = fmt::format("device-{}", i);
      if (d.uuid.empty()) {  // stable per address, RFC 4122 layout
        uint32_t a = d.address;
        d.uuid = fmt::format("6d616d6f-7269-4c61-8{:03x}-{:012x}", (i & 0xfff), (uint64_t{0x1ab} << 32) | a);
      }
      if (d.serial.empty()) d.serial = fmt::format("LAB{:08X}", d.address);
    }
    return sc;
  } catch (const ParseFailure& f) {
    return make_error(f.message);
  } catch (const YAML::Exception& e) {
    return make_error(fmt::format("{}:{}: {}", display_name, e.mark.line + 1, e.msg));
  }
}

Expected<Scenario> load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(fmt::format("{}: cannot open", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (slash == 0) dir = "/";
  return parse_scenario(ss.str(), path, dir);
}

}  // namespace mamori::lab
