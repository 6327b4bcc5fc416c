// The judge stage's handling of a gateway's port mappings: held (a LAN scan) every device they
// point to is judged port_forwarded, whichever order the devices completed in; streaming (a
// survey) a device judged before the mapping was known gets a late finding.
#include "pipeline/judge_stage.h"

#include <gtest/gtest.h>

#include <vector>

namespace mamori {
namespace {

using nlohmann::json;

const std::string kData = std::string(MAMORI_SOURCE_DIR) + "/data";

struct Catalogs {
  policy::PolicyCatalog policy;
  CheckCatalog checks;
  Catalogs() {
    auto p = policy::PolicyCatalog::load(kData + "/policy");
    EXPECT_TRUE(p);
    if (p) policy = *p;
    auto c = CheckCatalog::load(kData + "/checks");
    EXPECT_TRUE(c);
    if (c) checks = *c;
  }
};
const Catalogs& catalogs() {
  static Catalogs c;
  return c;
}

struct Collect : RecordSink {
  std::vector<json> records;
  void write(const json& r) override { records.push_back(r); }
  std::vector<json> of(const std::string& type, const std::string& ip) const {
    std::vector<json> out;
    for (const auto& r : records) {
      if (r.value("type", "") == type && r.value("ip", "") == ip) out.push_back(r);
    }
    return out;
  }
};

void camera(JudgeStage& j) {
  j.write({{"type", "service"}, {"scan_id", "s"}, {"ip", "198.19.1.10"}, {"port", 80}, {"proto", "tcp"},
           {"service", "http"}, {"evidence", {{"http.title", "Camera"}}}});
  j.write({{"type", "device"}, {"scan_id", "s"}, {"ip", "198.19.1.10"}, {"category", "network_camera"}, {"confidence", 0.9}});
}
void router(JudgeStage& j) {
  j.write({{"type", "service"}, {"scan_id", "s"}, {"ip", "198.19.1.1"}, {"port", 1900}, {"proto", "udp"},
           {"service", "ssdp"},
           {"evidence", {{"upnp.igd_control", "/ctl/IPConn"}, {"upnp.igd_port", "5000"},
                         {"upnp.external_ip", "198.18.0.2"}, {"upnp.mappings", "TCP 8080->198.19.1.10:80,TCP 22->198.19.1.99:22"}}}});
  j.write({{"type", "device"}, {"scan_id", "s"}, {"ip", "198.19.1.1"}, {"category", "router"}, {"confidence", 0.9}});
}

TEST(JudgeStage, HeldScanAppliesMappingsFoundLater) {
  Collect out;
  policy::EvalOptions o;
  o.audit_ran = o.posture_ran = false;
  JudgeStage j(out, catalogs().policy, catalogs().checks, o, {true, "inside"});
  camera(j);
  j.device_done("198.19.1.10");  // the camera completes before the gateway is identified
  EXPECT_TRUE(out.of("device", "198.19.1.10").empty());  // held
  router(j);
  j.device_done("198.19.1.1");
  j.finish();
  auto dev = out.of("device", "198.19.1.10");
  ASSERT_EQ(dev.size(), 1u);
  EXPECT_EQ(dev[0]["connection_form"], "port_forwarded");
  EXPECT_EQ(dev[0]["reachable_from"], json({"inside"}));
  EXPECT_EQ(out.of("device", "198.19.1.1")[0]["connection_form"], "direct");
  int fwd = 0;
  for (const auto& f : out.of("finding", "198.19.1.10")) fwd += f["check_id"] == "port-forwarded-service";
  EXPECT_EQ(fwd, 1);
  EXPECT_FALSE(out.of("verdict", "198.19.1.10").empty());
  // A mapping to an address the scan never saw is still reported, on that address.
  auto orphan = out.of("finding", "198.19.1.99");
  ASSERT_EQ(orphan.size(), 1u);
  EXPECT_EQ(orphan[0]["check_id"], "port-forwarded-service");
  EXPECT_EQ(orphan[0]["port"], 22);
  EXPECT_TRUE(out.of("verdict", "198.19.1.99").empty());
}

TEST(JudgeStage, StreamingScanReportsLateMappings) {
  Collect out;
  policy::EvalOptions o;
  o.audit_ran = o.posture_ran = false;
  JudgeStage j(out, catalogs().policy, catalogs().checks, o, {false, ""});
  camera(j);
  j.device_done("198.19.1.10");
  auto dev = out.of("device", "198.19.1.10");
  ASSERT_EQ(dev.size(), 1u);
  EXPECT_EQ(dev[0]["connection_form"], "unknown");
  EXPECT_FALSE(dev[0].contains("reachable_from"));
  router(j);  // the mapping arrives after the camera was judged
  auto late = out.of("finding", "198.19.1.10");
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0]["check_id"], "port-forwarded-service");
  EXPECT_EQ(late[0]["severity_reason"].get<std::string>().find("port_forwarded") != std::string::npos, true);
  j.device_done("198.19.1.1");
  j.finish();
  EXPECT_EQ(out.of("finding", "198.19.1.10").size(), 1u);  // not twice
}

TEST(JudgeStage, InterruptedDevicesKeepFindingsWithoutVerdicts) {
  Collect out;
  JudgeStage j(out, catalogs().policy, catalogs().checks, {}, {true, ""});
  camera(j);
  j.write({{"type", "finding"}, {"scan_id", "s"}, {"ip", "198.19.1.10"}, {"port", 80}, {"check_id", "default-credential"},
           {"severity", "high"}, {"cia", {"C", "I", "A"}}, {"requirements", json::array()}, {"evidence", json::object()}});
  j.finish();  // never completed
  EXPECT_EQ(j.flush_incomplete(), 1u);
  EXPECT_EQ(out.of("device", "198.19.1.10").size(), 1u);
  EXPECT_EQ(out.of("finding", "198.19.1.10").size(), 1u);
  EXPECT_TRUE(out.of("verdict", "198.19.1.10").empty());
}

}  // namespace
}  // namespace mamori
