#include "store/store.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace mamori::store {
namespace {

using nlohmann::json;

class TempDb {
 public:
  TempDb() {
    char tmpl[] = "/tmp/mamori-store-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/sub/mamori.db";
  }
  ~TempDb() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

json start(const std::string& scan, const std::string& time) {
  return {{"type", "scan"}, {"phase", "start"}, {"scan_id", scan}, {"time", time}, {"version", "0.1.0"},
          {"targets", {"198.18.0.0/24"}}, {"ports", "iot"}, {"vantage", "inside"}};
}
json end(const std::string& scan, const std::string& time, bool complete = true) {
  return {{"type", "scan"}, {"phase", "end"}, {"scan_id", scan}, {"time", time}, {"version", "0.1.0"},
          {"targets", {"198.18.0.0/24"}}, {"ports", "iot"}, {"complete", complete},
          {"stats", {{"hosts_scanned", 256}, {"ports_open", 3}, {"duration_s", 1.5}, {"packets_sent", 10}}}};
}
json port(const std::string& scan, const std::string& ip, int p) {
  return {{"type", "port"}, {"scan_id", scan}, {"ip", ip}, {"port", p}, {"proto", "tcp"}, {"state", "open"}};
}
json service(const std::string& scan, const std::string& ip, int p, const std::string& name, json evidence = json::object()) {
  return {{"type", "service"}, {"scan_id", scan}, {"ip", ip}, {"port", p}, {"proto", "tcp"}, {"service", name},
          {"evidence", evidence}};
}
json device(const std::string& scan, const std::string& ip, const std::string& category, const std::string& vendor) {
  return {{"type", "device"}, {"scan_id", scan}, {"ip", ip}, {"category", category}, {"confidence", 0.9},
          {"vendor", vendor}};
}
json finding(const std::string& scan, const std::string& ip, int p, const std::string& check, const std::string& sev) {
  return {{"type", "finding"}, {"scan_id", scan}, {"ip", ip}, {"port", p}, {"check_id", check}, {"severity", sev},
          {"cia", {"C"}}, {"requirements", {"JEITA-AUTH"}}, {"evidence", {{"detail", "x"}}}, {"title", "T " + check},
          {"title_ja", "題 " + check}};
}

void ingest_all(Store& s, const std::vector<json>& recs) {
  for (const auto& r : recs) ASSERT_TRUE(s.ingest(r)) << r.dump();
}

TEST(Store, CreatesCurrentSchemaInWalMode) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->schema_version(), current_schema_version());
  EXPECT_TRUE(std::filesystem::exists(db.path() + "-wal") || std::filesystem::exists(db.path()));
  // Re-opening is a no-op migration.
  s->reset();
  auto again = Store::open(db.path());
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->schema_version(), current_schema_version());
}

TEST(Store, IngestsAScanAndKeepsRecordsAsGiven) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  json cred = {{"type", "credential"}, {"scan_id", "A"}, {"ip", "198.18.0.5"}, {"port", 23}, {"service", "telnet"},
               {"outcome", "accepted"}, {"attempts", 2}, {"username", "root"}, {"password", "x***"}, {"list", "mirai"}};
  ingest_all(**s, {start("A", "2026-11-01T00:00:00Z"), port("A", "198.18.0.5", 23), service("A", "198.18.0.5", 23, "telnet"),
                   device("A", "198.18.0.5", "network_camera", "Acme"), cred,
                   finding("A", "198.18.0.5", 23, "default-credential", "critical"), end("A", "2026-11-01T00:01:00Z")});
  auto scans = (*s)->scans();
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(scans[0].scan_id, "A");
  EXPECT_EQ(scans[0].vantage, "inside");
  ASSERT_TRUE(scans[0].complete.has_value());
  EXPECT_TRUE(*scans[0].complete);
  EXPECT_EQ(scans[0].hosts, 1);
  EXPECT_EQ(scans[0].open_ports, 1);
  EXPECT_EQ(scans[0].findings, 1);
  auto recs = (*s)->records("A");
  ASSERT_EQ(recs.size(), 7u);
  EXPECT_EQ(recs[4], cred);  // byte for byte what the scanner wrote: the password stays redacted
  auto devs = (*s)->devices({});
  ASSERT_TRUE(devs);
  ASSERT_EQ(devs->size(), 1u);
  EXPECT_EQ((*devs)[0].category, "network_camera");
  EXPECT_EQ((*devs)[0].vendor, "Acme");
}

TEST(Store, RefusesRecordsWithoutTypeOrScanId) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  EXPECT_FALSE((*s)->ingest(json{{"type", "port"}}));
  EXPECT_FALSE((*s)->ingest(json{{"scan_id", "A"}}));
  EXPECT_FALSE((*s)->ingest(json::array()));
  EXPECT_FALSE((*s)->ingest(json{{"type", 3}, {"scan_id", "A"}}));
  EXPECT_TRUE((*s)->scans().empty());
}

TEST(Store, ScanWithoutEndRecordIsIncomplete) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  ingest_all(**s, {start("A", "2026-11-01T00:00:00Z"), port("A", "198.18.0.5", 80)});
  auto scans = (*s)->scans();
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_FALSE(scans[0].complete.has_value());
}

TEST(Store, DeviceIdentityFollowsStableKeysAcrossAddresses) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  json udn1 = {{"upnp.udn", "uuid:AAAA"}};
  json udn2 = {{"upnp.udn", "uuid:BBBB"}};
  ingest_all(st, {start("A", "2026-11-01T00:00:00Z"), port("A", "198.18.0.10", 1900),
                  service("A", "198.18.0.10", 1900, "upnp", udn1), port("A", "198.18.0.11", 80),
                  end("A", "2026-11-01T00:01:00Z")});
  const int64_t cam = st.device_of("A", "198.18.0.10");
  const int64_t plain = st.device_of("A", "198.18.0.11");
  ASSERT_NE(cam, 0);
  ASSERT_NE(plain, 0);
  EXPECT_NE(cam, plain);
  // Scan B: the camera moved to .20 (same UDN, upper case); a different UPnP device now sits at
  // .10; the device without stable evidence is still at .11.
  ingest_all(st, {start("B", "2026-11-02T00:00:00Z"), port("B", "198.18.0.10", 1900),
                  service("B", "198.18.0.10", 1900, "upnp", udn2), port("B", "198.18.0.20", 1900),
                  service("B", "198.18.0.20", 1900, "upnp", {{"upnp.udn", "UUID:AAAA"}}), port("B", "198.18.0.11", 80),
                  end("B", "2026-11-02T00:01:00Z")});
  EXPECT_EQ(st.device_of("B", "198.18.0.20"), cam);
  EXPECT_EQ(st.device_of("B", "198.18.0.11"), plain);
  const int64_t other = st.device_of("B", "198.18.0.10");
  EXPECT_NE(other, cam);
  EXPECT_NE(other, plain);
  EXPECT_NE(other, 0);
  auto all = st.devices({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 3u);
}

TEST(Store, AMatchByUdnOutweighsADifferentSerial) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  ingest_all(st, {start("A", "2026-11-01T00:00:00Z"),
                  service("A", "198.18.0.21", 1900, "upnp", {{"upnp.udn", "uuid:tv"}, {"upnp.serial", "S21"}})});
  // The TV moved; the lab (like some firmware) derives the serial it reports from the address.
  ingest_all(st, {start("B", "2026-11-02T00:00:00Z"), service("B", "198.18.0.22", 1900, "upnp", {{"upnp.udn", "uuid:tv"}}),
                  service("B", "198.18.0.22", 1400, "upnp", {{"upnp.serial", "S22"}})});
  EXPECT_EQ(st.device_of("B", "198.18.0.22"), st.device_of("A", "198.18.0.21"));
  EXPECT_EQ(st.devices({})->size(), 1u);
}

TEST(Store, SshHostKeyIdentifiesAcrossAddresses) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  json key = {{"ssh.hostkey_sha256", std::string(64, 'a')}};
  json cred = {{"type", "credential"}, {"scan_id", "A"}, {"ip", "198.18.0.7"}, {"port", 22}, {"service", "ssh"},
               {"outcome", "rejected_all"}, {"attempts", 3}, {"evidence", key}};
  ingest_all(st, {start("A", "2026-11-01T00:00:00Z"), port("A", "198.18.0.7", 22), cred});
  cred["scan_id"] = "B";
  cred["ip"] = "198.18.0.8";
  ingest_all(st, {start("B", "2026-11-02T00:00:00Z"), port("B", "198.18.0.8", 22), cred});
  EXPECT_EQ(st.device_of("A", "198.18.0.7"), st.device_of("B", "198.18.0.8"));
  EXPECT_EQ(st.devices({})->size(), 1u);
}

TEST(Store, SharedKeyOnTwoHostsOfOneScanDoesNotMergeThem) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  json tls1 = {{"type", "tls"}, {"scan_id", "A"}, {"ip", "198.18.0.1"}, {"port", 443}, {"versions", {"TLSv1.2"}},
               {"cert", {{"spki_sha256", std::string(64, 'b')}}}};
  json tls2 = tls1;
  tls2["ip"] = "198.18.0.2";
  ingest_all(st, {start("A", "2026-11-01T00:00:00Z"), tls1, tls2});
  EXPECT_NE(st.device_of("A", "198.18.0.1"), st.device_of("A", "198.18.0.2"));
}

TEST(Store, DiffListsDevicesPortsAndFindings) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  ingest_all(st, {start("A", "2026-11-01T00:00:00Z"), port("A", "198.18.0.1", 80), port("A", "198.18.0.1", 23),
                  finding("A", "198.18.0.1", 23, "telnet-enabled", "high"), port("A", "198.18.0.2", 80),
                  end("A", "2026-11-01T00:01:00Z")});
  ingest_all(st, {start("B", "2026-11-02T00:00:00Z"), port("B", "198.18.0.1", 80), port("B", "198.18.0.1", 443),
                  finding("B", "198.18.0.1", 443, "tls-self-signed", "low"), port("B", "198.18.0.3", 22),
                  end("B", "2026-11-02T00:01:00Z")});
  auto d = st.diff("A", "B");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->new_devices.size(), 1u);
  EXPECT_EQ(d->new_devices[0].ip, "198.18.0.3");
  ASSERT_EQ(d->gone_devices.size(), 1u);
  EXPECT_EQ(d->gone_devices[0].ip, "198.18.0.2");
  ASSERT_EQ(d->opened.size(), 1u);
  EXPECT_EQ(d->opened[0].port, 443);
  ASSERT_EQ(d->closed.size(), 1u);
  EXPECT_EQ(d->closed[0].port, 23);
  ASSERT_EQ(d->new_findings.size(), 1u);
  EXPECT_EQ(d->new_findings[0].check_id, "tls-self-signed");
  ASSERT_EQ(d->fixed_findings.size(), 1u);
  EXPECT_EQ(d->fixed_findings[0].check_id, "telnet-enabled");
  EXPECT_EQ(st.latest_scan(), "B");
  EXPECT_EQ(st.latest_scan(1), "A");
  EXPECT_FALSE(st.diff("A", "nope"));
}

TEST(Store, FindingFilters) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  ingest_all(st, {start("A", "2026-11-01T00:00:00Z"), port("A", "198.18.0.1", 23),
                  device("A", "198.18.0.1", "router", "R"), finding("A", "198.18.0.1", 23, "telnet-enabled", "high"),
                  port("A", "198.18.1.9", 80), device("A", "198.18.1.9", "network_camera", "C"),
                  finding("A", "198.18.1.9", 80, "cleartext-admin", "medium"), end("A", "2026-11-01T00:01:00Z")});
  auto count = [&](Filter f) {
    auto r = st.findings(f);
    EXPECT_TRUE(r);
    return r ? r->size() : size_t{99};
  };
  EXPECT_EQ(count({}), 2u);
  EXPECT_EQ(count({.severity = "high"}), 1u);
  EXPECT_EQ(count({.check_id = "cleartext-admin"}), 1u);
  EXPECT_EQ(count({.category = "router"}), 1u);
  EXPECT_EQ(count({.network = "198.18.1.0/24"}), 1u);
  EXPECT_EQ(count({.network = "198.18.0.0/16"}), 2u);
  EXPECT_EQ(count({.scan_id = "A", .severity = "low"}), 0u);
  EXPECT_FALSE(st.findings({.network = "not-a-net"}));
  auto devs = st.devices({.category = "network_camera"});
  ASSERT_TRUE(devs);
  ASSERT_EQ(devs->size(), 1u);
  EXPECT_EQ((*devs)[0].ip, "198.18.1.9");
}

TEST(Store, MigratesADatabaseCreatedWithSchemaVersion1) {
  TempDb db;
  {
    auto raw = Store::open_raw(db.path());
    ASSERT_TRUE(raw);
    for (const auto& sql : schema_sql_up_to(1)) ASSERT_TRUE((*raw)->exec(sql));
    ASSERT_EQ((*raw)->schema_version(), 1);
    // What a version-1 Mamori wrote: the raw records and the v1 tables.
    const std::vector<json> recs = {start("OLD", "2026-10-01T00:00:00Z"), port("OLD", "198.18.0.4", 80),
                                    service("OLD", "198.18.0.4", 1900, "upnp", {{"upnp.udn", "uuid:cccc"}}),
                                    device("OLD", "198.18.0.4", "tv_stb", "Tv")};
    for (const auto& r : recs) {
      std::string sql = "INSERT INTO records(scan_id, type, ip, data) VALUES('OLD', '" + r["type"].get<std::string>() +
                        "', '" + r.value("ip", "") + "', '" + r.dump() + "')";
      ASSERT_TRUE((*raw)->exec(sql));
    }
    ASSERT_TRUE((*raw)->exec("INSERT INTO scans(scan_id, started) VALUES('OLD', '2026-10-01T00:00:00Z');"
                             "INSERT INTO ports VALUES('OLD', '198.18.0.4', 80, 'tcp', 'open');"));
  }
  auto s = Store::open(db.path());
  ASSERT_TRUE(s) << s.error().message;
  Store& st = **s;
  EXPECT_EQ(st.schema_version(), 2);
  const int64_t tv = st.device_of("OLD", "198.18.0.4");
  ASSERT_NE(tv, 0);
  auto devs = st.devices({});
  ASSERT_TRUE(devs);
  ASSERT_EQ(devs->size(), 1u);
  EXPECT_EQ((*devs)[0].category, "tv_stb");
  ASSERT_EQ((*devs)[0].keys.size(), 1u);
  EXPECT_EQ((*devs)[0].keys[0], "udn:uuid:cccc");
  // A new scan after the migration finds the same device by its UDN at a new address.
  ingest_all(st, {start("NEW", "2026-11-01T00:00:00Z"),
                  service("NEW", "198.18.0.99", 1900, "upnp", {{"upnp.udn", "uuid:cccc"}})});
  EXPECT_EQ(st.device_of("NEW", "198.18.0.99"), tv);
}

TEST(Store, RefusesASchemaNewerThanItself) {
  TempDb db;
  {
    auto raw = Store::open_raw(db.path());
    ASSERT_TRUE(raw);
    ASSERT_TRUE((*raw)->exec("CREATE TABLE schema_version(version INTEGER); INSERT INTO schema_version VALUES(99);"));
  }
  auto s = Store::open(db.path());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

TEST(Store, StoreWriterTakesConcurrentWritersAndSecondConnections) {
  TempDb db;
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  StoreWriter w(std::move(*s));
  w.write(start("A", "2026-11-01T00:00:00Z"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&w, t] {
      for (int i = 0; i < 50; ++i) w.write(port("A", "198.18." + std::to_string(t) + "." + std::to_string(i + 1), 80));
    });
  }
  // A second connection (another process in real life) writes at the same time.
  auto other = Store::open(db.path());
  ASSERT_TRUE(other);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE((*other)->ingest(port("Z", "198.18.9." + std::to_string(i + 1), 22)));
  for (auto& th : threads) th.join();
  EXPECT_EQ(w.failures(), 0u);
  auto scans = (*other)->scans();
  ASSERT_EQ(scans.size(), 2u);
  EXPECT_EQ(scans[0].hosts + scans[1].hosts, 220);
}

TEST(Store, CidrParsing) {
  auto v4 = Cidr::parse("192.0.2.0/25");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->contains("192.0.2.127"));
  EXPECT_FALSE(v4->contains("192.0.2.128"));
  EXPECT_FALSE(v4->contains("2001:db8::1"));
  auto v6 = Cidr::parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains("2001:db8:ffff::1"));
  EXPECT_FALSE(v6->contains("2001:db9::1"));
  auto one = Cidr::parse("10.0.0.1");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->contains("10.0.0.1"));
  EXPECT_FALSE(one->contains("10.0.0.2"));
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains("8.8.8.8"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/"));
  EXPECT_FALSE(Cidr::parse("x/8"));
}

TEST(Store, DefaultPathFollowsTheEnvironment) {
  const char* keep_db = std::getenv("MAMORI_DB");
  const char* keep_xdg = std::getenv("XDG_DATA_HOME");
  std::string kd = keep_db ? keep_db : "", kx = keep_xdg ? keep_xdg : "";
  setenv("MAMORI_DB", "/x/y.db", 1);
  EXPECT_EQ(default_db_path(), "/x/y.db");
  unsetenv("MAMORI_DB");
  setenv("XDG_DATA_HOME", "/data", 1);
  EXPECT_EQ(default_db_path(), "/data/mamori/mamori.db");
  unsetenv("XDG_DATA_HOME");
  EXPECT_NE(default_db_path().find("/.local/share/mamori/mamori.db"), std::string::npos);
  if (keep_db) setenv("MAMORI_DB", kd.c_str(), 1);
  if (keep_xdg) setenv("XDG_DATA_HOME", kx.c_str(), 1);
}

}  // namespace
}  // namespace mamori::store
