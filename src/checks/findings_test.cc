#include "checks/findings.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace mamori {
namespace {

CheckCatalog shipped() {
  auto c = CheckCatalog::load(std::string(MAMORI_SOURCE_DIR) + "/data/checks");
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : CheckCatalog{};
}

TEST(CheckCatalog, ShippedCatalogHasEveryCredentialCheck) {
  auto c = shipped();
  for (const char* id : {"default-credential", "no-authentication", "ftp-anonymous", "mqtt-anonymous",
                         "snmp-default-community", "telnet-enabled", "cleartext-admin",
                         "rtsp-stream-open", "brute-force-unlimited"}) {
    const CheckInfo* i = c.find(id);
    ASSERT_NE(i, nullptr) << id;
    EXPECT_FALSE(i->requirements.empty()) << id;
    EXPECT_FALSE(i->title_ja.empty()) << id;
  }
}

TEST(CheckCatalog, RejectsBadSeverityAndCia) {
  EXPECT_FALSE(CheckCatalog::parse("checks:\n  x:\n    severity: huge\n    title: t\n    title_ja: t\n", "t"));
  EXPECT_FALSE(CheckCatalog::parse("checks:\n  x:\n    severity: low\n    cia: [Q]\n    title: t\n    title_ja: t\n", "t"));
  EXPECT_FALSE(CheckCatalog::parse("checks: [1, 2", "t"));
}

TEST(CheckCatalog, ADirectoryIsOneCatalogAndAnIdMayNotRepeat) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("mamori-checks-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto put = [&](const char* name, const char* id) {
    std::ofstream(dir / name) << "checks:\n  " << id << ":\n    severity: low\n    cia: [C]\n"
                              << "    title: t\n    title_ja: t\n";
  };
  put("a.yaml", "one");
  put("b.yaml", "two");
  std::ofstream(dir / "notes.txt") << "not a catalog";
  auto c = CheckCatalog::load(dir);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_NE(c->find("one"), nullptr);
  EXPECT_NE(c->find("two"), nullptr);
  put("c.yaml", "one");
  auto dup = CheckCatalog::load(dir);
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("'one' is defined twice"), std::string::npos) << dup.error().message;
  fs::remove_all(dir);
  EXPECT_FALSE(CheckCatalog::load(dir));
}

TEST(Redact, KeepsFirstCharacterOnly) {
  EXPECT_EQ(redact_secret("xc3511", false), "x***");
  EXPECT_EQ(redact_secret("xc3511", true), "xc3511");
  EXPECT_EQ(redact_secret("", false), "");
  EXPECT_EQ(redact_secret("パス", false), "パ***");
}

ServiceObservation svc(uint16_t port, std::string name, bool tls = false) {
  ServiceObservation s;
  s.ip = *Ip::parse("127.0.0.5");
  s.port = port;
  s.service = std::move(name);
  s.tls = tls;
  return s;
}

TEST(AuditFindings, MapsOutcomesToCheckIds) {
  auto cat = shipped();
  DeviceObservation dev;
  dev.ip = *Ip::parse("127.0.0.5");
  std::vector<ServiceObservation> services = {svc(23, "telnet"), svc(80, "http"), svc(21, "ftp"),
                                              svc(161, "snmp"), svc(1883, "mqtt")};
  services[0].proto = Proto::tcp;
  services[1].fields["http.auth"] = "basic";
  services[3].proto = Proto::udp;
  std::vector<creds::ServiceAudit> audits(5);
  audits[0].service = services[0];
  audits[0].checker = "telnet";
  audits[0].outcome = "accepted";
  audits[0].accepted = creds::Credential{"root", "xc3511", "mirai", "scanner.c"};
  audits[1].service = services[1];
  audits[1].checker = "http";
  audits[1].outcome = "rejected_all";
  audits[2].service = services[2];
  audits[2].checker = "ftp";
  audits[2].outcome = "rejected_all";
  audits[2].open = {{"ftp-anonymous", "230 Login successful", {}}};
  audits[3].service = services[3];
  audits[3].checker = "snmp";
  audits[3].outcome = "accepted";
  audits[3].accepted = creds::Credential{"", "public", "snmp-communities", ""};
  audits[4].service = services[4];
  audits[4].checker = "mqtt";
  audits[4].outcome = "no_auth_required";
  audits[4].open = {{"mqtt-anonymous", "CONNACK 0", {}}};

  auto f = audit_findings(dev, services, audits, cat, false);
  std::multiset<std::string> ids;
  for (auto& x : f) ids.insert(x.check_id);
  EXPECT_EQ(ids, (std::multiset<std::string>{"default-credential", "telnet-enabled", "cleartext-admin",
                                             "cleartext-admin", "ftp-anonymous",
                                             "snmp-default-community", "mqtt-anonymous",
                                             "no-authentication"}));
  for (auto& x : f) {
    if (x.check_id == "default-credential") {
      EXPECT_EQ(x.severity, "critical");  // telnet
      EXPECT_EQ(x.evidence["password"], "x***");
      EXPECT_EQ(x.evidence["list"], "mirai");
      EXPECT_EQ(x.port, 23);
    }
    if (x.check_id == "snmp-default-community") {
      EXPECT_EQ(x.evidence["community"], "p***");
    }
    EXPECT_FALSE(x.requirements.empty()) << x.check_id;
  }
}

TEST(AuditFindings, CleartextAdminOnlyWhereThePasswordTravelsInClear) {
  auto cat = shipped();
  DeviceObservation dev;
  std::vector<ServiceObservation> services = {svc(80, "http"), svc(443, "https", true),
                                              svc(8080, "http"), svc(23, "telnet")};
  services[0].fields["http.auth"] = "form";
  services[1].fields["http.auth"] = "form";
  services[2].fields["http.auth"] = "digest";
  std::vector<creds::ServiceAudit> audits(1);
  audits[0].service = services[3];
  audits[0].outcome = "no_auth_required";  // a shell without login: no login to leak
  auto f = audit_findings(dev, services, audits, cat, false);
  std::multiset<std::string> got;
  for (auto& x : f) got.insert(x.check_id + "/" + std::to_string(x.port.value_or(0)));
  EXPECT_EQ(got, (std::multiset<std::string>{"cleartext-admin/80", "telnet-enabled/23",
                                             "no-authentication/23"}));
}

TEST(AuditFindings, AnyPasswordAcceptedIsNoAuthentication) {
  auto cat = shipped();
  DeviceObservation dev;
  std::vector<creds::ServiceAudit> audits(1);
  audits[0].service = svc(8080, "http");
  audits[0].outcome = "no_auth_required";
  audits[0].detail = "accepts any password";
  auto f = audit_findings(dev, {}, audits, cat, false);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].check_id, "no-authentication");
  EXPECT_EQ(f[0].severity, "high");
}

}  // namespace
}  // namespace mamori
