// Exposure: the IGD mapping evidence, the gateway's own form, and the inside/outside
// correlation of `mamori exposure` on records built here (the namespace test in
// tests/exposure runs the same on real scans).
#include <gtest/gtest.h>

#include "policy/catalog.h"
#include "policy/correlate.h"
#include "policy/evaluate.h"
#include "policy/exposure.h"

namespace mamori::policy {
namespace {

using nlohmann::json;

const std::string kData = std::string(MAMORI_SOURCE_DIR) + "/data";

const CheckCatalog& checks() {
  static CheckCatalog c = [] {
    auto r = CheckCatalog::load(kData + "/checks");
    EXPECT_TRUE(r);
    return r ? *r : CheckCatalog{};
  }();
  return c;
}
const PolicyCatalog& policy() {
  static PolicyCatalog p = [] {
    auto r = PolicyCatalog::load(kData + "/policy");
    EXPECT_TRUE(r);
    return r ? *r : PolicyCatalog{};
  }();
  return p;
}

json start(const std::string& id, const std::string& vantage, std::vector<std::string> targets, const std::string& ports) {
  return {{"type", "scan"}, {"scan_id", id}, {"phase", "start"}, {"vantage", vantage}, {"targets", targets},
          {"ports", ports}, {"stages", {"ports", "identify"}}};
}
json device(const std::string& id, const std::string& ip, const std::string& category) {
  return {{"type", "device"}, {"scan_id", id}, {"ip", ip}, {"category", category}, {"confidence", 0.9}};
}
json service(const std::string& id, const std::string& ip, int port, const std::string& svc, json evidence,
             const std::string& proto = "tcp") {
  return {{"type", "service"}, {"scan_id", id}, {"ip", ip}, {"port", port}, {"proto", proto}, {"service", svc},
          {"evidence", std::move(evidence)}};
}
json igd(const std::string& id, const std::string& ip, const std::string& external, const std::string& mappings) {
  json ev = {{"upnp.igd_control", "/ctl/IPConn"}, {"upnp.igd_port", "5000"}, {"upnp.external_ip", external}};
  if (!mappings.empty()) ev["upnp.mappings"] = mappings;
  return service(id, ip, 1900, "ssdp", ev, "udp");
}
json web(const std::string& id, const std::string& ip, int port, const std::string& title) {
  return service(id, ip, port, "http", {{"http.status", "200"}, {"http.title", title}});
}

const json* device_of(const ExposureResult& r, const std::string& ip) {
  for (const auto& d : r.devices) {
    if (d.value("ip", "") == ip) return &d;
  }
  return nullptr;
}
std::string form_of(const ExposureResult& r, const std::string& ip) {
  const json* d = device_of(r, ip);
  return d ? d->value("connection_form", "<none>") : "<absent>";
}

TEST(Exposure, MappingEvidenceIsReadStrictly) {
  json s = igd("s", "198.19.1.1", "198.18.0.2",
               "TCP 8081->198.19.1.11:80,UDP 5000->198.19.1.12:5001 disabled,TCP 9->not-an-ip:9,"
               "TCP 0->198.19.1.13:80,TCP 70000->198.19.1.13:80,XYZ 1->198.19.1.13:1,TCP 22->198.19.1.14:2222 from=198.51.100.7,"
               "garbage,TCP 443->[::1]:443");
  auto f = forwards_from_service(s);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0], (Forward{"198.19.1.1", "198.18.0.2", "tcp", 8081, "198.19.1.11", 80, ""}));
  EXPECT_EQ(f[1].internal_client, "198.19.1.14");
  EXPECT_EQ(f[1].remote_host, "198.51.100.7");
  EXPECT_EQ(f[2].internal_client, "::1");  // IPv6 clients, as mappings_field writes them or bracketed
  EXPECT_TRUE(forwards_from_service(web("s", "198.19.1.1", 80, "x")).empty());
  EXPECT_TRUE(forwards_from_service(json::array()).empty());
  json big = igd("s", "198.19.1.1", "198.18.0.2", "");
  std::string many;
  for (int i = 0; i < 1000; ++i) many += (many.empty() ? "" : ",") + std::string("TCP 1->198.19.1.2:1");
  big["evidence"]["upnp.mappings"] = many;
  EXPECT_EQ(forwards_from_service(big).size(), 256u);  // bounded
}

TEST(Exposure, GatewayExternalAddressMustBePublic) {
  EXPECT_EQ(gateway_external_address(igd("s", "r", "198.18.0.2", "")), "198.18.0.2");
  EXPECT_EQ(gateway_external_address(igd("s", "r", "203.0.113.7", "")), "203.0.113.7");
  json natpmp = service("s", "r", 5351, "nat-pmp", {{"natpmp.result", "success"}, {"natpmp.external_ip", "198.18.0.2"}}, "udp");
  EXPECT_EQ(gateway_external_address(natpmp), "198.18.0.2");
  EXPECT_EQ(gateway_claimed_address(natpmp).via, "nat-pmp");
  for (const char* inner : {"192.168.0.2", "10.1.2.3", "172.20.0.1", "100.64.3.4", "169.254.1.1", "0.0.0.0",
                            "fd00::1", "fe80::1", "", "a.b.c.d"}) {
    EXPECT_EQ(gateway_external_address(igd("s", "r", inner, "")), "") << inner;
  }
}

TEST(Exposure, JudgedFormFromMappingsAndGateway) {
  DeviceRecords cam;
  cam.device = device("s", "198.19.1.10", "network_camera");
  cam.services = {web("s", "198.19.1.10", 80, "Camera")};
  cam.forwards = forwards_from_service(igd("s", "198.19.1.1", "198.18.0.2", "TCP 8080->198.19.1.10:80"));
  EvalOptions o;
  o.connection_form = "nat_unreachable";  // stated; the mapping outranks it
  auto j = judge_device(policy(), checks(), cam, o, "s");
  EXPECT_EQ(j.connection_form, "port_forwarded");
  EXPECT_NE(j.connection_form_reason.find("forwards 8080/tcp of 198.18.0.2 to port 80"), std::string::npos)
      << j.connection_form_reason;
  int forwarded = 0;
  for (const auto& f : j.findings) {
    if (f["check_id"] == "port-forwarded-service") {
      ++forwarded;
      EXPECT_EQ(f["port"], 80);
      EXPECT_EQ(f["service"], "http");
      EXPECT_EQ(f["evidence"]["via"], "upnp-igd");
      EXPECT_EQ(f["severity"], "critical");  // high, +1 forwarded, +1 camera weighs C
    }
  }
  EXPECT_EQ(forwarded, 1);
  // Only the forwarded port is exposed: telnet on the same camera is scored behind the NAT.
  cam.services.push_back(service("s", "198.19.1.10", 23, "telnet", json::object()));
  j = judge_device(policy(), checks(), cam, o, "s");
  int telnet = 0;
  for (const auto& f : j.findings) {
    if (f["check_id"] == "unneeded-port-open" && f["port"] == 23) {
      ++telnet;
      EXPECT_NE(f["severity_reason"].get<std::string>().find("nat_unreachable"), std::string::npos) << f.dump();
    }
  }
  EXPECT_EQ(telnet, 1);

  DeviceRecords router;
  router.device = device("s", "198.19.1.1", "router");
  router.services = {igd("s", "198.19.1.1", "198.18.0.2", "TCP 8080->198.19.1.10:80")};
  router.services.push_back(service("s", "198.19.1.1", 23, "telnet", json::object()));
  j = judge_device(policy(), checks(), router, EvalOptions{}, "s");
  EXPECT_EQ(j.connection_form, "direct");
  int lan_side = 0;
  for (const auto& f : j.findings) {  // its LAN-side services: exposure from outside not measured
    if (!f.contains("port")) continue;
    ++lan_side;
    EXPECT_EQ(f["severity_reason"].get<std::string>().find("for connection form"), std::string::npos) << f.dump();
  }
  EXPECT_GE(lan_side, 2);  // telnet unneeded on a router, the IGD reachable
  router.services = {igd("s", "198.19.1.1", "192.168.1.20", "")};  // double NAT
  j = judge_device(policy(), checks(), router, EvalOptions{}, "s");
  EXPECT_EQ(j.connection_form, "unknown");
}

// The lab topology of tests/exposure: direct device 198.18.0.20, gateway 198.19.1.1 with
// WAN 198.18.0.2, camera .10 (static forward 8080 -> 80), DVR .11 (UPnP mapping 8081 -> 80).
struct Lab {
  std::vector<json> inside, outside;
  explicit Lab(bool dvr_mapped, bool outside_covers_gateway = true) {
    const std::string in = "in1", out = "out1";
    inside = {start(in, "inside", {"198.19.1.0/24"}, "iot"),
              device(in, "198.19.1.1", "router"),
              web(in, "198.19.1.1", 80, "Home Router"),
              igd(in, "198.19.1.1", "198.18.0.2", dvr_mapped ? "TCP 8081->198.19.1.11:80" : ""),
              device(in, "198.19.1.10", "network_camera"),
              web(in, "198.19.1.10", 80, "Camera"),
              device(in, "198.19.1.11", "dvr"),
              web(in, "198.19.1.11", 80, "DVR")};
    outside = {start(out, "outside", {outside_covers_gateway ? "198.18.0.0/24" : "198.18.0.20"}, "iot"),
               device(out, "198.18.0.20", "network_camera"),
               web(out, "198.18.0.20", 80, "Direct IP camera")};
    if (outside_covers_gateway) {
      outside.push_back(device(out, "198.18.0.2", "network_camera"));
      outside.push_back(web(out, "198.18.0.2", 8080, "Camera"));
      if (dvr_mapped) outside.push_back(web(out, "198.18.0.2", 8081, "DVR"));
    }
  }
};

TEST(Exposure, EveryFormOfTheLab) {
  Lab lab(false);
  auto r = correlate_exposure({lab.inside, lab.outside}, checks());
  EXPECT_EQ(r.scan_id, "in1");
  EXPECT_EQ(form_of(r, "198.18.0.20"), "direct");
  EXPECT_EQ(form_of(r, "198.19.1.1"), "direct");  // the gateway holds the external address
  EXPECT_EQ(form_of(r, "198.19.1.10"), "port_forwarded");
  EXPECT_EQ(form_of(r, "198.19.1.11"), "nat_unreachable");
  EXPECT_EQ(device_of(r, "198.19.1.10")->at("category"), "network_camera");  // the inside record's identity
  EXPECT_EQ(device_of(r, "198.19.1.10")->at("reachable_from"), json({"inside", "outside"}));
  EXPECT_EQ(device_of(r, "198.19.1.11")->at("reachable_from"), json({"inside"}));
  EXPECT_EQ(device_of(r, "198.18.0.20")->at("reachable_from"), json({"outside"}));
  EXPECT_NE(device_of(r, "198.19.1.11")->value("connection_form_reason", "").find("198.18.0.0/24"), std::string::npos);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0]["ip"], "198.19.1.10");
  EXPECT_EQ(r.findings[0]["port"], 80);
  EXPECT_EQ(r.findings[0]["evidence"]["external_port"], 8080);
  EXPECT_EQ(r.findings[0]["evidence"]["matched_by"], "fingerprint");
  EXPECT_EQ(r.findings[0]["evidence"]["via"], "outside-scan");
  // The WAN address itself is the gateway, not a device of its own.
  EXPECT_EQ(device_of(r, "198.18.0.2"), nullptr);
}

TEST(Exposure, UpnpMappingSeenFromBothSides) {
  Lab lab(true);
  auto r = correlate_exposure({lab.inside, lab.outside}, checks());
  EXPECT_EQ(form_of(r, "198.19.1.11"), "port_forwarded");
  bool both = false;
  for (const auto& f : r.findings) both = both || (f["ip"] == "198.19.1.11" && f["evidence"]["via"] == "upnp-igd+outside-scan");
  EXPECT_TRUE(both);
  // Without an outside scan the mapping alone proves it; the rest stays unknown.
  r = correlate_exposure({lab.inside, {}}, checks());
  EXPECT_EQ(form_of(r, "198.19.1.11"), "port_forwarded");
  EXPECT_EQ(form_of(r, "198.19.1.10"), "unknown");  // a static forward only an outside scan can see
}

TEST(Exposure, NotCoveringTheGatewayProvesNothing) {
  Lab lab(false, false);
  auto r = correlate_exposure({lab.inside, lab.outside}, checks());
  EXPECT_EQ(form_of(r, "198.19.1.11"), "unknown");
  EXPECT_EQ(form_of(r, "198.19.1.10"), "unknown");
  EXPECT_EQ(form_of(r, "198.18.0.20"), "direct");
}

TEST(Exposure, IdenticalDevicesAreNotGuessed) {
  Lab lab(false);
  lab.inside.push_back(device("in1", "198.19.1.12", "network_camera"));
  lab.inside.push_back(web("in1", "198.19.1.12", 80, "Camera"));  // same model as .10
  auto r = correlate_exposure({lab.inside, lab.outside}, checks());
  EXPECT_EQ(form_of(r, "198.19.1.10"), "nat_unreachable");
  EXPECT_EQ(form_of(r, "198.19.1.12"), "nat_unreachable");
  bool ambiguous = false;
  for (const auto& e : device_of(r, "198.19.1.10")->at("exposure")) ambiguous = ambiguous || e["kind"] == "ambiguous-match";
  EXPECT_TRUE(ambiguous);
  EXPECT_TRUE(r.findings.empty());
  // A TLS key tells them apart.
  lab.inside.push_back({{"type", "tls"}, {"scan_id", "in1"}, {"ip", "198.19.1.12"}, {"port", 80},
                        {"versions", {"TLSv1.2"}}, {"cert", {{"spki_sha256", "ab12"}}}});
  lab.outside.push_back({{"type", "tls"}, {"scan_id", "out1"}, {"ip", "198.18.0.2"}, {"port", 8080},
                         {"versions", {"TLSv1.2"}}, {"cert", {{"spki_sha256", "ab12"}}}});
  r = correlate_exposure({lab.inside, lab.outside}, checks());
  EXPECT_EQ(form_of(r, "198.19.1.12"), "port_forwarded");
  EXPECT_EQ(form_of(r, "198.19.1.10"), "nat_unreachable");
}

TEST(Exposure, SshHostKeysOfTheServiceRecordAreStrongIdentity) {
  json a = service("s", "198.19.1.10", 22, "ssh", {{"ssh.version", "SSH-2.0-dropbear_2022.83"}});
  json b = service("s", "198.18.0.2", 2222, "ssh", {{"ssh.version", "SSH-2.0-dropbear_2022.83"}});
  EXPECT_TRUE(service_identity(a, json()).strong.empty());
  a["ssh"] = {{"host_keys", {{{"type", "ssh-ed25519"}, {"sha256", "aa11"}}, {{"type", "ecdsa"}, {"sha256", "bb22"}}}}};
  b["ssh"] = {{"host_keys", {{{"type", "ecdsa"}, {"sha256", "bb22"}}}}};
  auto ia = service_identity(a, json()), ib = service_identity(b, json());
  EXPECT_EQ(ia.strong, (std::vector<std::string>{"ssh:aa11", "ssh:bb22"}));
  EXPECT_EQ(ib.strong, (std::vector<std::string>{"ssh:bb22"}));
  b["ssh"] = {{"host_keys", "not a list"}};  // hostile shapes are ignored
  EXPECT_TRUE(service_identity(b, json()).strong.empty());
}

TEST(Exposure, ServiceIdentityIgnoresWhatDependsOnTheAddress) {
  json a = service("s", "1.1.1.1", 80, "http", {{"http.status", "302"}, {"http.location", "http://198.19.1.10/login"}});
  json b = service("s", "2.2.2.2", 8080, "http", {{"http.status", "302"}, {"http.location", "http://198.18.0.2:8080/login"}});
  EXPECT_EQ(service_identity(a, json()).fingerprint, "");  // says too little to tell devices apart
  a["evidence"]["http.server"] = "GoAhead-Webs";
  b["evidence"]["http.server"] = "GoAhead-Webs";
  EXPECT_EQ(service_identity(a, json()).fingerprint, service_identity(b, json()).fingerprint);
  EXPECT_NE(service_identity(a, json()).fingerprint, "");
}

}  // namespace
}  // namespace mamori::policy
