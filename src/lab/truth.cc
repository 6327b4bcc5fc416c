#include "lab/truth.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "lab/service.h"

namespace mamori::lab {
namespace {

// Which credentials a service really checks (telnet/http/rtsp only with an auth mode).
bool uses_credentials(const Service& s) {
  if (s.kind == "telnet" || s.kind == "http" || s.kind == "rtsp") return s.auth != "none";
  return !s.credentials.empty();
}

std::string key_identity(const TlsOptions& t) {
  if (!t.key_file.empty()) return "file:" + t.key_file;
  if (!t.shared_key.empty()) return fmt::format("shared:{}:{}", t.shared_key, t.key_bits);
  return "";
}

std::string result_service(const Service& s, const ServiceKind* k) {
  std::string name = k && k->result_service ? k->result_service : s.kind;
  if (s.tls.enabled && name == "http") return "https";
  if (s.tls.enabled && name == "mqtt") return "mqtts";
  return name;
}

}  // namespace

nlohmann::json device_truth(const Scenario& sc, const Device& d) {
  using nlohmann::json;
  // Keys used by two or more distinct devices.
  std::map<std::string, std::set<uint32_t>> key_users;
  for (const auto& other : sc.devices)
    for (const auto& s : other.services)
      if (s.tls.enabled && !key_identity(s.tls).empty()) key_users[key_identity(s.tls)].insert(other.address);

  json dev{{"ip", ipv4_str(d.address)}, {"name", d.name},     {"category", d.category}, {"vendor", d.vendor},
           {"model", d.model},          {"firmware", d.firmware}, {"serial", d.serial},  {"uuid", d.uuid}};
  json services = json::array();
  json findings = json::array();
  std::set<std::pair<std::string, int>> seen;
  auto add = [&](const std::string& id, const Service& s, const std::string& svc) {
    if (!seen.insert({id, s.port}).second) return;
    findings.push_back({{"check_id", id}, {"port", s.port}, {"proto", s.transport == Transport::tcp ? "tcp" : "udp"},
                        {"service", svc}});
  };
  for (const auto& s : d.services) {
    const ServiceKind* k = find_kind(s.kind);
    std::string svc = result_service(s, k);
    json j{{"port", s.port}, {"proto", s.transport == Transport::tcp ? "tcp" : "udp"}, {"kind", s.kind},
           {"service", svc},  {"tls", s.tls.enabled},  {"auth", s.auth}};
    if (s.kind == "ftp" || s.kind == "mqtt") j["anonymous"] = s.anonymous;
    json creds = json::array();
    for (const auto& c : s.credentials)
      creds.push_back({{"username", c.username}, {"password", c.password}, {"default", c.is_default}});
    if (!creds.empty()) j["credentials"] = creds;
    if (!s.banner.empty()) j["banner"] = s.banner;
    if (!s.server.empty()) j["server"] = s.server;
    if (!s.title.empty()) j["title"] = s.title;
    if (!s.paths.empty()) j["paths"] = s.paths;
    if (!s.communities.empty()) {
      json cs = json::array();
      for (const auto& c : s.communities) cs.push_back({{"name", c.name}, {"write", c.write}});
      j["communities"] = cs;
    }
    // An SNMP v1/v2c agent drops a request with a community it does not know, silently (RFC 3584
    // section 4.1): without its community no scanner can tell it from a closed port. The truth
    // says so, and recall counts such services apart from the ones a scan can name.
    if (s.kind == "snmp") {
      bool answers_public = std::any_of(s.communities.begin(), s.communities.end(),
                                        [](const auto& c) { return c.name == "public"; });
      if (!answers_public) j["discoverable"] = false;
    }
    if (!s.mappings.empty()) {
      json ms = json::array();
      for (const auto& m : s.mappings)
        ms.push_back({{"protocol", m.protocol}, {"external_port", m.external_port}, {"internal_client", m.internal_client},
                      {"internal_port", m.internal_port}, {"description", m.description}, {"enabled", m.enabled}});
      j["mappings"] = ms;
    }
    if (s.tls.enabled) {
      j["tls_options"] = {{"self_signed", s.tls.self_signed}, {"expired", s.tls.expired}, {"key_bits", s.tls.key_bits},
                          {"shared_key", s.tls.shared_key}, {"min_version", s.tls.min_version.empty() ? "tls1.2" : s.tls.min_version}};
    }
    services.push_back(std::move(j));

    if (k && k->findings)
      for (const auto& id : k->findings(d, s)) add(id, s, svc);
    if (uses_credentials(s))
      for (const auto& c : s.credentials)
        if (c.is_default) add("default-credential", s, svc);
    if (s.tls.enabled) {
      if (s.tls.self_signed) add("tls-self-signed", s, svc);
      if (s.tls.expired) add("tls-expired", s, svc);
      if (s.tls.key_bits < 2048) add("tls-weak-key", s, svc);
      if (s.tls.min_version == "tls1.0" || s.tls.min_version == "tls1.1") add("tls-legacy-protocol", s, svc);
      auto id = key_identity(s.tls);
      if (!id.empty() && key_users[id].size() >= 2) add("shared-private-key", s, svc);
    }
  }
  dev["services"] = std::move(services);
  dev["findings"] = std::move(findings);
  if (!d.verdicts.empty()) dev["verdicts"] = d.verdicts;
  return dev;
}

// ---------------------------------------------------------------------------------------------
// Generator

namespace {

// What a family's firmware shows on the wire where the lab's defaults (title and realm "vendor
// model", no Server header) would not be what a real device of that family sends. Null: the
// lab's default.
struct Persona {
  const char* http_server = nullptr;
  const char* http_title = nullptr;
  const char* http_auth = nullptr;  // forces the web login mode (default: basic or digest at random)
  const char* http_realm = nullptr;  // the Basic/Digest realm (default: the title)
  const char* telnet_hostname = nullptr;
};

// A make and the looks its devices have on the wire: `persona`, or one of `variants` (other
// firmware generations of the same make, each as likely as `persona`), so recall is measured on
// more than one look per make.
struct Make {
  const char* vendor;
  const char* model;
  Persona persona{};
  std::vector<Persona> variants{};
};

struct Profile {
  const char* category;
  std::vector<Make> makes;
  std::vector<const char*> kinds;  // services to emit when registered
};

const std::vector<Profile>& profiles() {
  static const std::vector<Profile> p{
      // Second looks: Hikvision cameras of the 5.x-and-older firmware send Server "DNVRS-Webs"
      // and the bare model as Basic realm, realm="DS-2CD2032-I" (Shodan banners; the Hikvision
      // entry of nmap's http-default-accounts); Dahua's web UI is a "WEB SERVICE" page with its
      // own login form, no HTTP challenge (Shodan http.title "WEB SERVICE"; Dahua/Amcrest UI).
      {"network_camera",
       {{"Hikvision", "DS-2CD2032-I", {}, {{.http_server = "DNVRS-Webs", .http_realm = "DS-2CD2032-I"}}},
        {"Dahua", "IPC-HDW4431C-A", {}, {{.http_title = "WEB SERVICE", .http_auth = "form"}}},
        {"Axis", "M3045-V"}},
       {"http", "rtsp", "telnet", "wsd"}},
      // XiongMai (XMEye) recorders: web server "uc-httpd 1.0.0" serving a "NETSurveillance WEB"
      // login page (a page, not an HTTP challenge) and a BusyBox telnetd whose host name is
      // "LocalHost" (Flashpoint's 2016 XiongMai/Mirai advisory; Shodan "uc-httpd 1.0.0"
      // "NETSurveillance"; CVE-2018-10088 write-ups). Their root/xc3511 is Mirai's.
      // Hikvision recorders' second look: Server "DVRDVS-Webs" and the model as realm (Shodan
      // banners of DS-7xxx recorders).
      {"dvr",
       {{"Hikvision", "DS-7208HGHI-F1", {}, {{.http_server = "DVRDVS-Webs", .http_realm = "DS-7208HGHI-F1"}}},
        {"XiongMai", "AHB7008T-MH",
         {.http_server = "uc-httpd 1.0.0", .http_title = "NETSurveillance WEB", .http_auth = "form",
          .telnet_hostname = "LocalHost"}}},
       {"http", "rtsp", "telnet", "ftp"}},
      // NETGEAR's second look: firmware before the genie login page challenges with Basic
      // realm="NETGEAR R7000" (Shodan banners; nmap http-default-accounts Netgear entry).
      {"router",
       {{"NETGEAR", "R7000", {}, {{.http_auth = "basic", .http_realm = "NETGEAR R7000"}}},
        {"TP-Link", "Archer C7"},
        {"Buffalo", "WSR-1166DHP"}},
       {"http", "telnet", "ssh", "upnp", "ssdp", "snmp"}},
      {"smart_speaker", {{"Sonos", "One SL"}}, {"http", "upnp", "ssdp"}},
      {"tv_stb", {{"Sony", "KJ-43X8000H"}, {"Sharp", "4T-C50BN1"}}, {"http", "upnp", "ssdp"}},
      // Brother's second look: the embedded web server "debut/1.20" with the page title
      // "Brother MFC-L2750DW series" and a password form (Brother web-based management).
      {"mfp",
       {{"Brother", "MFC-L2750DW", {},
         {{.http_server = "debut/1.20", .http_title = "Brother MFC-L2750DW series", .http_auth = "form"}}},
        {"Canon", "iR-ADV C3520"}},
       {"http", "ftp", "snmp"}},
      {"smart_meter", {{"Panasonic", "EM-SM01"}}, {"echonet", "coap"}},
      {"other", {{"Espressif", "ESP32-MQTT-Node"}}, {"mqtt", "coap"}},
  };
  return p;
}

}  // namespace

Expected<std::string> generate_scenario(const GenOptions& opt) {
  if (opt.devices == 0 || opt.devices > 60000) return make_error("--devices must be 1..60000");
  std::mt19937_64 rng(opt.seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto chance = [&](int pct) { return static_cast<int>(rng() % 100) < pct; };
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << fmt::format("generated-{}-seed{}", opt.devices, opt.seed);
  out << YAML::Key << "devices" << YAML::Value << YAML::BeginSeq;
  uint32_t addr = opt.base;
  for (size_t i = 0; i < opt.devices; ++i) {
    do {
      ++addr;
    } while ((addr & 0xff) == 0 || (addr & 0xff) == 255);
    if ((addr >> 24) != (opt.base >> 24)) return make_error("the address range ran out; choose a lower --base");
    const Profile& p = profiles()[pick(profiles().size())];
    const Make& make = p.makes[pick(p.makes.size())];
    const size_t look = make.variants.empty() ? 0 : pick(make.variants.size() + 1);
    const Persona& pa = look == 0 ? make.persona : make.variants[look - 1];
    out << YAML::BeginMap;
    out << YAML::Key << "address" << YAML::Value << ipv4_str(addr);
    out << YAML::Key << "category" << YAML::Value << p.category;
    out << YAML::Key << "vendor" << YAML::Value << make.vendor;
    out << YAML::Key << "model" << YAML::Value << make.model;
    out << YAML::Key << "firmware" << YAML::Value << fmt::format("V{}.{}.{}", 1 + pick(5), pick(10), pick(30));
    out << YAML::Key << "services" << YAML::Value << YAML::BeginSeq;
    bool weak = chance(40);
    auto creds = [&](const char* user, const char* weak_pw) {
      out << YAML::Key << "credentials" << YAML::Value << YAML::BeginSeq
          << fmt::format("{}:{}", user, weak ? weak_pw : fmt::format("Lab-{:016x}", rng())) << YAML::EndSeq;
    };
    for (const char* kind : p.kinds) {
      if (!find_kind(kind)) continue;  // not (yet) emulated
      std::string k = kind;
      if (k == "telnet" && !weak) continue;
      if (k == "ssh" && chance(50)) continue;
      out << YAML::BeginMap << YAML::Key << "kind" << YAML::Value << kind;
      if (k == "telnet") {
        out << YAML::Key << "auth" << YAML::Value << "login";
        if (pa.telnet_hostname) out << YAML::Key << "hostname" << YAML::Value << pa.telnet_hostname;
        creds("root", "xc3511");
      } else if (k == "http") {
        const char* auth = pa.http_auth                           ? pa.http_auth
                           : p.category == std::string("router") ? "form"
                           : chance(50)                          ? "basic"
                                                                 : "digest";
        out << YAML::Key << "auth" << YAML::Value << auth;
        if (pa.http_server) out << YAML::Key << "server" << YAML::Value << pa.http_server;
        if (pa.http_title) out << YAML::Key << "title" << YAML::Value << pa.http_title;
        if (pa.http_realm) out << YAML::Key << "realm" << YAML::Value << pa.http_realm;
        creds("admin", "admin");
        if (chance(20)) {
          out << YAML::Key << "port" << YAML::Value << 443;
          out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap << YAML::Key << "shared_key" << YAML::Value
              << make.vendor << YAML::EndMap;
        }
      } else if (k == "rtsp") {
        out << YAML::Key << "auth" << YAML::Value << (weak ? "none" : "digest");
        creds("admin", "12345");
        out << YAML::Key << "paths" << YAML::Value << YAML::BeginSeq << "/live.sdp" << "/h264/ch1/main/av_stream"
            << YAML::EndSeq;
      } else if (k == "ftp" || k == "mqtt") {
        out << YAML::Key << "anonymous" << YAML::Value << weak;
        creds("admin", "admin");
      } else if (k == "snmp") {
        out << YAML::Key << "communities" << YAML::Value << YAML::BeginSeq
            << (weak ? std::string("public") : fmt::format("c{:012x}", rng())) << YAML::EndSeq;
      } else if (k == "echonet") {
        out << YAML::Key << "manufacturer_code" << YAML::Value << "0x00000B";
        out << YAML::Key << "instances" << YAML::Value << YAML::BeginSeq << "0x028801" << YAML::EndSeq;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  if (!out.good()) return make_error(out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

}  // namespace mamori::lab
