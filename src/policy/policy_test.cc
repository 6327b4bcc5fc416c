#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policy/catalog.h"
#include "policy/evaluate.h"

namespace mamori::policy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kData = std::string(MAMORI_SOURCE_DIR) + "/data";

struct Shipped {
  PolicyCatalog policy;
  CheckCatalog checks;
  Shipped() {
    auto p = PolicyCatalog::load(kData + "/policy");
    EXPECT_TRUE(p) << (p ? "" : p.error().message);
    if (p) policy = *p;
    auto c = CheckCatalog::load(kData + "/checks");
    EXPECT_TRUE(c) << (c ? "" : c.error().message);
    if (c) checks = *c;
  }
};

const Shipped& shipped() {
  static Shipped s;
  return s;
}

TEST(PolicyCatalog, ShippedCatalogIsCleanAndComplete) {
  const auto& s = shipped();
  auto problems = s.policy.lint(s.checks);
  for (const auto& p : problems) ADD_FAILURE() << p;
  // The standards issue 8 names, and the network-verifiable core of the crosswalk.
  for (const char* id : {"JEITA-PORTS", "JEITA-AUTH", "JEITA-PASSWORD-CHANGE", "JEITA-INITIAL-PASSWORD", "JEITA-TLS",
                         "JEITA-FIRMWARE-UPDATE", "JEITA-ASSESSMENT", "JEITA-VISIBILITY", "EN303645-5.1-1",
                         "EN303645-5.1-3", "EN303645-5.1-5", "EN303645-5.5-1", "EN303645-5.5-4", "EN303645-5.5-5",
                         "EN303645-5.5-7", "EN303645-5.6-1", "EN303645-5.6-2", "EN303645-5.6-5", "EN303645-5.13-1",
                         "JCSTAR-S1.1-01", "JCSTAR-S1.1-02", "JCSTAR-S1.1-04", "JCSTAR-S1.1-12", "JCSTAR-S1.1-16",
                         "JPGL2016-P09", "JPGL2016-P21", "PSTI-1", "PSTI-3", "NISTIR8259A-LA", "CRA-I-2j"}) {
    const Requirement* q = s.policy.requirement(id);
    ASSERT_NE(q, nullptr) << id;
    EXPECT_FALSE(q->title_ja.empty()) << id;
  }
  EXPECT_EQ(s.policy.requirement("JCSTAR-S1.1-03")->verification, Verification::network_with_owner_credentials);
  // Unconfirmed JC-STAR ids stay marked so, and are never judged from the network.
  const Requirement* unconfirmed = s.policy.requirement("JCSTAR-S1.1-08");
  ASSERT_NE(unconfirmed, nullptr);
  EXPECT_FALSE(unconfirmed->confirmed);
  EXPECT_EQ(unconfirmed->verification, Verification::documentation);
  EXPECT_EQ(s.policy.categories().size(), device_categories().size());
  EXPECT_EQ(s.policy.threats().size(), 4u);
}

// A catalog directory copied from the shipped one, with one file replaced.
struct TempCatalog {
  fs::path dir = fs::temp_directory_path() / ("mamori-policy-" + std::to_string(::getpid()));
  TempCatalog() {
    fs::remove_all(dir);
    fs::copy(kData + "/policy", dir, fs::copy_options::recursive);
  }
  ~TempCatalog() { fs::remove_all(dir); }
  void put(const std::string& rel, const std::string& text) { std::ofstream(dir / rel) << text; }
};

TEST(PolicyCatalog, LintRejectsDanglingReferences) {
  TempCatalog t;
  t.put("requirements/zz-test.yaml",
        "standard: {id: ZZ, title: t, title_ja: t, source: s}\n"
        "requirements:\n"
        "  - {id: ZZ-1, clause: '1', verification: network, evidence: none, fail_on: [no-such-check], title: t, title_ja: t}\n"
        "  - {id: ZZ-2, clause: '2', verification: documentation, not_for: [toaster], title: t, title_ja: t}\n");
  auto p = PolicyCatalog::load(t.dir);
  ASSERT_TRUE(p) << p.error().message;
  auto problems = p->lint(shipped().checks);
  std::string all;
  for (const auto& x : problems) all += x + "\n";
  EXPECT_NE(all.find("ZZ-1: fail_on names unknown check 'no-such-check'"), std::string::npos) << all;
  EXPECT_NE(all.find("ZZ-2: not_for names unknown category 'toaster'"), std::string::npos) << all;

  // A check naming a requirement no catalog defines.
  auto checks = CheckCatalog::parse(
      "checks:\n  x:\n    severity: low\n    cia: [C]\n    requirements: [EN303645-9.9-9]\n    title: t\n    title_ja: t\n",
      "t");
  ASSERT_TRUE(checks);
  auto p2 = PolicyCatalog::load(kData + "/policy");
  ASSERT_TRUE(p2);
  bool named = false;
  for (const auto& x : p2->lint(*checks)) named = named || x.find("unknown requirement 'EN303645-9.9-9'") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(PolicyCatalog, LoadNamesTheBadKey) {
  TempCatalog t;
  t.put("requirements/jeita.yaml",
        "standard: {id: JEITA, title: t, title_ja: t, source: s}\n"
        "requirements:\n  - {id: JEITA-X, clause: '1', verification: by-magic, title: t, title_ja: t}\n");
  auto p = PolicyCatalog::load(t.dir);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("JEITA-X.verification"), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("by-magic"), std::string::npos) << p.error().message;
}

TEST(Risk, TheSeedExamplesHold) {
  const auto& s = shipped();
  auto sev = [&](const std::string& check, const std::string& category, const std::string& form,
                 const std::string& service = "http") {
    const CheckInfo* c = s.checks.find(check);
    EXPECT_NE(c, nullptr) << check;
    return score(s.policy.risk(), s.policy.category(category), check, c ? c->severity : "", c ? c->cia : std::vector<std::string>{},
                 form, service)
        .severity;
  };
  // A default password on a port-forwarded camera is critical; on a LAN-only printer, high.
  EXPECT_EQ(sev("default-credential", "network_camera", "port_forwarded"), "critical");
  EXPECT_EQ(sev("default-credential", "mfp", "nat_unreachable"), "high");
  // On telnet it is a botnet's shell wherever the device is.
  EXPECT_EQ(sev("default-credential", "mfp", "nat_unreachable", "telnet"), "critical");
  // The same weakness weighs differently by connection form.
  EXPECT_EQ(sev("ftp-anonymous", "network_camera", "nat_unreachable"), "medium");
  EXPECT_EQ(sev("ftp-anonymous", "network_camera", "direct"), "critical");
  EXPECT_EQ(sev("telnet-enabled", "router", "direct"), "critical");
}

TEST(Risk, SelfSignedOnTheLanIsInfo) {
  RiskTable t;
  t.exposure = {{"direct", 1}, {"port_forwarded", 1}, {"unknown", 0}, {"nat_unreachable", -1}};
  t.overrides.push_back({"tls-self-signed", "nat_unreachable", "", "", "info", "normal on a LAN"});
  Category cam;
  cam.id = "network_camera";
  cam.weights = {{"C", 3}, {"I", 2}, {"A", 2}};
  auto lan = score(t, &cam, "tls-self-signed", "low", {"I"}, "nat_unreachable", "https");
  EXPECT_EQ(lan.severity, "info");
  EXPECT_EQ(lan.reason, "normal on a LAN");
  auto exposed = score(t, &cam, "tls-self-signed", "low", {"I"}, "direct", "https");
  EXPECT_EQ(exposed.severity, "medium");
  EXPECT_NE(exposed.reason.find("+1 for connection form direct"), std::string::npos) << exposed.reason;
}

// Records as a scan writes them.
json device(const std::string& category, const std::string& form = "") {
  json d = {{"type", "device"}, {"scan_id", "s"}, {"ip", "198.18.0.5"}, {"category", category}, {"confidence", 0.9}};
  if (!form.empty()) d["connection_form"] = form;
  return d;
}
json service(const std::string& name, int port) {
  return {{"type", "service"}, {"scan_id", "s"}, {"ip", "198.18.0.5"}, {"port", port}, {"proto", "tcp"}, {"service", name}};
}
json credential(const std::string& name, int port, const std::string& outcome) {
  return {{"type", "credential"}, {"scan_id", "s"}, {"ip", "198.18.0.5"}, {"port", port},
          {"service", name},     {"outcome", outcome}, {"attempts", 10}};
}
json finding(const std::string& check, const std::string& name, int port) {
  const CheckInfo* c = shipped().checks.find(check);
  return {{"type", "finding"}, {"scan_id", "s"}, {"ip", "198.18.0.5"}, {"port", port}, {"service", name},
          {"check_id", check}, {"severity", c ? c->severity : "medium"}, {"cia", c ? c->cia : std::vector<std::string>{}},
          {"requirements", c ? c->requirements : std::vector<std::string>{}}, {"evidence", json::object()}};
}

std::map<std::string, json> verdicts(const Judgement& j) {
  std::map<std::string, json> out;
  for (const auto& v : j.verdicts) out[v["requirement"]] = v;
  return out;
}

Judgement judge(const DeviceRecords& d, EvalOptions o = {}) {
  return judge_device(shipped().policy, shipped().checks, d, o, "scan-1");
}

TEST(Verdicts, NoLoginServiceNeverPassesTheDefaultPasswordRequirement) {
  DeviceRecords d;
  d.device = device("smart_speaker");
  d.services = {service("googlecast", 8009)};
  auto v = verdicts(judge(d));
  for (const char* id : {"EN303645-5.1-1", "JCSTAR-S1.1-02", "JEITA-INITIAL-PASSWORD", "PSTI-1"}) {
    EXPECT_EQ(v[id]["status"], "not_applicable") << id << " " << v[id].dump();
  }
  // Not audited at all: never a pass either.
  EvalOptions no_audit;
  no_audit.audit_ran = false;
  d.credentials = {};
  EXPECT_EQ(verdicts(judge(d, no_audit))["EN303645-5.1-1"]["status"], "not_verifiable");
}

TEST(Verdicts, PassOnlyWithTheEvidenceFailOnTheFinding) {
  DeviceRecords d;
  d.device = device("network_camera", "nat_unreachable");
  d.services = {service("http", 80), service("rtsp", 554)};
  d.credentials = {credential("http", 80, "rejected_all"), credential("rtsp", 554, "rejected_all")};
  auto v = verdicts(judge(d));
  EXPECT_EQ(v["EN303645-5.1-1"]["status"], "pass") << v["EN303645-5.1-1"].dump();
  EXPECT_EQ(v["JEITA-PORTS"]["status"], "pass") << v["JEITA-PORTS"].dump();
  EXPECT_EQ(v["EN303645-5.5-1"]["status"], "not_verifiable");  // no TLS service seen
  EXPECT_EQ(v["JCSTAR-S1.1-04"]["status"], "not_verifiable");  // no lockout observed
  EXPECT_EQ(v["JEITA-FIRMWARE-UPDATE"]["status"], "not_verifiable");
  EXPECT_EQ(v["JCSTAR-S1.1-03"]["status"], "not_verifiable");

  // One service the audit could not conclude on: no pass.
  d.credentials[1]["outcome"] = "skipped";
  EXPECT_EQ(verdicts(judge(d))["EN303645-5.1-1"]["status"], "not_verifiable");

  // A default credential fails it, naming the finding.
  d.credentials[1]["outcome"] = "accepted";
  d.findings = {finding("default-credential", "rtsp", 554)};
  auto j = judge(d);
  auto v2 = verdicts(j);
  EXPECT_EQ(v2["EN303645-5.1-1"]["status"], "fail");
  EXPECT_EQ(v2["EN303645-5.1-1"]["findings"], json::array({"default-credential"}));
  EXPECT_EQ(v2["JEITA-INITIAL-PASSWORD"]["status"], "fail");
  // ... and the finding is re-scored with its reason (a camera weighs C highest; behind NAT -1).
  ASSERT_EQ(j.findings.size(), 1u);
  EXPECT_EQ(j.findings[0]["severity"], "high");
  EXPECT_EQ(j.findings[0]["base_severity"], "high");
  EXPECT_NE(j.findings[0]["severity_reason"].get<std::string>().find("-1 for connection form nat_unreachable"),
            std::string::npos);
}

TEST(Verdicts, CategoryProfileAndManifestDecideUnneededPorts) {
  DeviceRecords d;
  d.device = device("network_camera");
  d.services = {service("http", 80), service("telnet", 23), service("unknown", 9527)};
  auto j = judge(d);
  ASSERT_EQ(j.findings.size(), 1u);  // telnet is unneeded on a camera; 9527 is merely undeclared
  EXPECT_EQ(j.findings[0]["check_id"], "unneeded-port-open");
  EXPECT_EQ(j.findings[0]["port"], 23);
  auto v = verdicts(j);
  EXPECT_EQ(v["EN303645-5.6-1"]["status"], "fail");

  d.services = {service("http", 80), service("unknown", 9527)};
  auto v2 = verdicts(judge(d));
  EXPECT_EQ(v2["EN303645-5.6-1"]["status"], "not_verifiable");
  EXPECT_NE(v2["EN303645-5.6-1"]["reason"].get<std::string>().find("unknown on 9527/tcp"), std::string::npos);

  // With the maker's manifest the check is exact both ways.
  Manifest m;
  m.ports = {{80, "tcp"}, {9527, "tcp"}};
  EvalOptions o;
  o.manifest = &m;
  auto v3 = verdicts(judge(d, o));
  EXPECT_EQ(v3["EN303645-5.6-1"]["status"], "pass") << v3["EN303645-5.6-1"].dump();
  m.ports = {{80, "tcp"}};
  auto j4 = judge(d, o);
  ASSERT_EQ(j4.findings.size(), 1u);
  EXPECT_EQ(j4.findings[0]["port"], 9527);
  EXPECT_EQ(verdicts(j4)["EN303645-5.6-1"]["status"], "fail");
}

TEST(Verdicts, DeclarationsAreDeclaredNotPassedAndScopesApply) {
  DeviceRecords d;
  d.device = device("medical");
  d.services = {service("https", 443)};
  Declarations decl;
  decl.items["support_period"] = "security updates until 2031-03";
  EvalOptions o;
  o.declarations = &decl;
  auto v = verdicts(judge(d, o));
  EXPECT_EQ(v["EN303645-5.3-13"]["status"], "declared");
  EXPECT_NE(v["EN303645-5.3-13"]["reason"].get<std::string>().find("until 2031-03"), std::string::npos);
  EXPECT_EQ(v["EN303645-5.2-1"]["status"], "not_verifiable");
  EXPECT_EQ(v["PSTI-3"]["status"], "not_applicable");  // PSTI excludes medical devices
  // Only the open-port inventory was gathered, so only requirements judged by it can pass.
  for (const auto& [id, x] : v) {
    if (x["status"] == "pass") {
      EXPECT_EQ(shipped().policy.requirement(id)->evidence, Evidence::port_inventory) << id;
    }
  }

  o.standards = {"PSTI"};
  EXPECT_EQ(judge(d, o).verdicts.size(), 3u);
}

TEST(Verdicts, ReflectorsAndGatewayControlFromTheServicesEvidence) {
  DeviceRecords d;
  d.device = device("router");
  json ssdp = service("ssdp", 1900);
  ssdp["proto"] = "udp";
  ssdp["evidence"] = {{"udp.request_bytes", "94"}, {"udp.requests", "1"}, {"udp.reply_bytes", "1020"},
                      {"upnp.igd_control", "/ctl/IPConn"}, {"upnp.igd_port", "5000"}};
  json snmp = service("snmp", 161);
  snmp["proto"] = "udp";
  snmp["evidence"] = {{"udp.request_bytes", "40"}, {"udp.requests", "2"}, {"udp.reply_bytes", "120"}};  // 1.5x
  d.services = {ssdp, snmp};
  auto j = judge(d);
  std::map<std::string, json> by;
  for (const auto& f : j.findings) by[f["check_id"]] = f;
  ASSERT_TRUE(by.count("udp-amplification"));
  EXPECT_EQ(by["udp-amplification"]["port"], 1900);
  EXPECT_DOUBLE_EQ(by["udp-amplification"]["evidence"]["ratio"].get<double>(), 10.9);
  ASSERT_TRUE(by.count("upnp-igd-exposed"));
  EXPECT_EQ(by["upnp-igd-exposed"]["evidence"]["control_url"], "/ctl/IPConn");
  EXPECT_EQ(j.findings.size(), 2u);  // SNMP answered 120 bytes to 2 x 40: not an amplifier
  auto v = verdicts(j);
  EXPECT_EQ(v["JPGL2016-P09"]["status"], "fail");
  EXPECT_EQ(v["CRA-I-2i"]["status"], "fail");
  // Re-judging keeps one finding each (the policy's findings are regenerated, not duplicated).
  d.findings = j.findings;
  EXPECT_EQ(judge(d).findings.size(), 2u);
}

TEST(Manifest, ParsesPortsAndNamesTheBadOne) {
  fs::path f = fs::temp_directory_path() / ("mamori-manifest-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(f) << "model: CAM-1\nports: [80/tcp, 554, 1900/udp]\n";
  auto m = Manifest::load(f.string());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->ports.size(), 3u);
  EXPECT_TRUE(m->ports.count({554, "tcp"}));
  EXPECT_TRUE(m->ports.count({1900, "udp"}));
  std::ofstream(f) << "ports: [80/tcp, 70000]\n";
  auto bad = Manifest::load(f.string());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'70000'"), std::string::npos);
  fs::remove(f);
}

}  // namespace
}  // namespace mamori::policy
