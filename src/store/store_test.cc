#include "store/store.h"
#include "store/backend.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace mamori::store {
namespace {

using nlohmann::json;

// A database for one test: an SQLite file in a temporary directory, or a new database on the
// PostgreSQL server named by MAMORI_TEST_PG_URI ("postgresql://user:pw@127.0.0.1:port/", the
// database name left off), which tests/store/store_pg_test.py starts and sets.
class TestDb {
 public:
  explicit TestDb(const std::string& backend = "sqlite") {
    char tmpl[] = "/tmp/mamori-store-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/sub/mamori.db";
    if (backend == "postgresql") {
      static int n = 0;
      const std::string base = std::getenv("MAMORI_TEST_PG_URI");
      const std::string name = "mamori_test_" + std::to_string(getpid()) + "_" + std::to_string(++n);
      auto admin = Store::open_raw(base + "postgres");
      if (!admin) {
        ADD_FAILURE() << admin.error().message;
        return;
      }
      auto r = (*admin)->exec("CREATE DATABASE " + name);
      if (!r) ADD_FAILURE() << r.error().message;
      path_ = base + name;
    }
  }
  ~TestDb() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};
using TempDb = TestDb;

// Every StoreOn test runs on SQLite, and also on PostgreSQL when MAMORI_TEST_PG_URI is set.
std::vector<std::string> backends() {
  std::vector<std::string> b{"sqlite"};
  if (const char* u = std::getenv("MAMORI_TEST_PG_URI"); u && *u) b.emplace_back("postgresql");
  return b;
}
class StoreOn : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Backends, StoreOn, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

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

TEST_P(StoreOn, CreatesCurrentSchemaInWalMode) {
  TestDb db(GetParam());
  auto s = Store::open(db.path());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->schema_version(), current_schema_version());
  EXPECT_EQ(std::string((*s)->backend_kind()), GetParam());
  if (GetParam() == "sqlite") {
    EXPECT_TRUE(std::filesystem::exists(db.path() + "-wal") || std::filesystem::exists(db.path()));
  }
  // Re-opening is a no-op migration.
  s->reset();
  auto again = Store::open(db.path());
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->schema_version(), current_schema_version());
}

TEST_P(StoreOn, IngestsAScanAndKeepsRecordsAsGiven) {
  TestDb db(GetParam());
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

TEST_P(StoreOn, RefusesRecordsWithoutTypeOrScanId) {
  TestDb db(GetParam());
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  EXPECT_FALSE((*s)->ingest(json{{"type", "port"}}));
  EXPECT_FALSE((*s)->ingest(json{{"scan_id", "A"}}));
  EXPECT_FALSE((*s)->ingest(json::array()));
  EXPECT_FALSE((*s)->ingest(json{{"type", 3}, {"scan_id", "A"}}));
  EXPECT_TRUE((*s)->scans().empty());
}

TEST_P(StoreOn, ScanWithoutEndRecordIsIncomplete) {
  TestDb db(GetParam());
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  ingest_all(**s, {start("A", "2026-11-01T00:00:00Z"), port("A", "198.18.0.5", 80)});
  auto scans = (*s)->scans();
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_FALSE(scans[0].complete.has_value());
}

TEST_P(StoreOn, DeviceIdentityFollowsStableKeysAcrossAddresses) {
  TestDb db(GetParam());
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

TEST_P(StoreOn, AMatchByUdnOutweighsADifferentSerial) {
  TestDb db(GetParam());
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

TEST_P(StoreOn, SshHostKeyIdentifiesAcrossAddresses) {
  TestDb db(GetParam());
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

TEST_P(StoreOn, SharedKeyOnTwoHostsOfOneScanDoesNotMergeThem) {
  TestDb db(GetParam());
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

// A scan's records in the order `mamori scan` writes them with the judge holding each device:
// port, then the tls record (posture), then the device record (with its MAC) at the end.
std::vector<json> tls_host(const std::string& scan, const std::string& ip, const std::string& spki,
                           const std::string& mac) {
  json tls = {{"type", "tls"}, {"scan_id", scan}, {"ip", ip}, {"port", 443}, {"versions", {"TLSv1.2"}},
              {"cert", {{"spki_sha256", spki}}}};
  json dev = device(scan, ip, "network_camera", "Acme");
  if (!mac.empty()) dev["mac"] = mac;
  return {port(scan, ip, 443), service(scan, ip, 443, "https"), tls, dev};
}
std::vector<json> cat(std::vector<json> a, const std::vector<json>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_P(StoreOn, ADeviceThatMovedKeepsItsIdAndSharesNoKey) {
  TestDb db(GetParam());
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  const std::string k(64, 'c');
  ingest_all(st, cat({start("A", "2026-11-01T00:00:00Z")}, tls_host("A", "198.18.0.10", k, "02:00:00:00:00:0a")));
  // Scan B: the same unit (same MAC, same key) at another address.
  ingest_all(st, cat({start("B", "2026-11-02T00:00:00Z")}, tls_host("B", "198.18.0.20", k, "02:00:00:00:00:0A")));
  EXPECT_EQ(st.device_of("B", "198.18.0.20"), st.device_of("A", "198.18.0.10"));
  EXPECT_TRUE(st.shared_keys_across_scans("B").empty());
  EXPECT_EQ(st.devices({})->size(), 1u);
  EXPECT_TRUE(st.keys(true).empty());
  auto all = st.keys(false);
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].devices.size(), 1u);
  EXPECT_EQ(all[0].devices[0].ip, "198.18.0.20");  // its latest sighting
}

TEST_P(StoreOn, AKeyOnAUnitWithAnotherMacIsSharedNotMoved) {
  TestDb db(GetParam());
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  const std::string k(64, 'd');
  ingest_all(st, cat({start("A", "2026-11-01T00:00:00Z")}, tls_host("A", "198.18.0.10", k, "02:00:00:00:00:0a")));
  const int64_t first = st.device_of("A", "198.18.0.10");
  // Scan B: only a second unit, its own MAC, the same key, at another address. Its tls record
  // arrives before its MAC: the key first joins it to the earlier unit, the MAC then splits it.
  ingest_all(st, cat({start("B", "2026-11-02T00:00:00Z")}, tls_host("B", "198.18.0.11", k, "02:00:00:00:00:0b")));
  const int64_t second = st.device_of("B", "198.18.0.11");
  EXPECT_NE(second, first);
  auto devs = st.devices({});
  ASSERT_TRUE(devs);
  for (const auto& d : *devs) {
    if (d.device_id == first) EXPECT_EQ(d.ip, "198.18.0.10") << "the first unit was never at .11";
  }
  auto hits = st.shared_keys_across_scans("B");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].ip, "198.18.0.11");
  EXPECT_EQ(hits[0].port, 443);
  EXPECT_EQ(hits[0].service, "https");
  EXPECT_EQ(hits[0].kind, "spki");
  EXPECT_EQ(hits[0].value, k);
  ASSERT_EQ(hits[0].others.size(), 1u);
  EXPECT_EQ(hits[0].others[0].ip, "198.18.0.10");
  EXPECT_EQ(hits[0].others[0].scan_id, "A");
  EXPECT_EQ(hits[0].others[0].seen, "2026-11-01T00:00:00Z");
  EXPECT_EQ(hits[0].others[0].device_id, first);
  EXPECT_EQ(hits[0].others[0].identity, std::vector<std::string>{"mac:02:00:00:00:00:0a"});
  EXPECT_EQ(hits[0].others[0].vendor, "Acme");
  // The same the other way round: the MAC before the key (a scan without the judge).
  ingest_all(st, {start("C", "2026-11-03T00:00:00Z"), port("C", "198.18.0.12", 443),
                  device("C", "198.18.0.12", "network_camera", "Acme")});
  json dev = device("C", "198.18.0.12", "network_camera", "Acme");
  dev["mac"] = "02:00:00:00:00:0c";
  json tls = {{"type", "tls"}, {"scan_id", "C"}, {"ip", "198.18.0.12"}, {"port", 443}, {"versions", {"TLSv1.2"}},
              {"cert", {{"spki_sha256", k}}}};
  ingest_all(st, {dev, tls});
  const int64_t third = st.device_of("C", "198.18.0.12");
  EXPECT_NE(third, first);
  EXPECT_NE(third, second);
  hits = st.shared_keys_across_scans("C");
  ASSERT_EQ(hits.size(), 1u);
  ASSERT_EQ(hits[0].others.size(), 2u);
  EXPECT_EQ(hits[0].others[0].scan_id, "A");
  EXPECT_EQ(hits[0].others[1].scan_id, "B");
  auto shared = st.keys(true);
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(shared[0].devices.size(), 3u);
  // Earlier scans only: scan A's answer did not change when B and C arrived.
  EXPECT_TRUE(st.shared_keys_across_scans("A").empty());
  EXPECT_EQ(st.shared_keys_across_scans("B").size(), 1u);
  // The findings name the others.
  CheckCatalog none;
  auto recs = fleet_finding_records("C", hits, none);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0]["check_id"], "shared-private-key");
  EXPECT_EQ(recs[0]["ip"], "198.18.0.12");
  EXPECT_EQ(recs[0]["port"], 443);
  EXPECT_EQ(recs[0]["evidence"]["key_kind"], "tls-spki");
  EXPECT_EQ(recs[0]["evidence"]["also_on"].size(), 2u);
  EXPECT_EQ(recs[0]["evidence"]["also_on"][1]["ip"], "198.18.0.11");
}

TEST_P(StoreOn, AKeyAtANewAddressWhileItsDeviceIsStillAtTheOldOneIsShared) {
  TestDb db(GetParam());
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  // No MACs (a routed vantage): the unit at .1 is still there in scan B, with another key now;
  // the old key shows up at .2: another unit with the key.
  ingest_all(st, cat({start("A", "2026-11-01T00:00:00Z")}, tls_host("A", "198.18.0.1", std::string(64, 'e'), "")));
  ingest_all(st, cat(cat({start("B", "2026-11-02T00:00:00Z")}, tls_host("B", "198.18.0.1", std::string(64, 'f'), "")),
                     tls_host("B", "198.18.0.2", std::string(64, 'e'), "")));
  EXPECT_EQ(st.device_of("B", "198.18.0.1"), st.device_of("A", "198.18.0.1"));
  EXPECT_NE(st.device_of("B", "198.18.0.2"), st.device_of("A", "198.18.0.1"));
  auto hits = st.shared_keys_across_scans("B");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].ip, "198.18.0.2");
  ASSERT_EQ(hits[0].others.size(), 1u);
  EXPECT_EQ(hits[0].others[0].ip, "198.18.0.1");
  EXPECT_EQ(hits[0].others[0].scan_id, "A");
}

TEST_P(StoreOn, KeysSharedWithinTheScanAreLeftToTheScan) {
  TestDb db(GetParam());
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  const std::string k(64, '1');
  ingest_all(st, cat(cat({start("A", "2026-11-01T00:00:00Z")}, tls_host("A", "198.18.0.1", k, "02:00:00:00:00:01")),
                     tls_host("A", "198.18.0.2", k, "02:00:00:00:00:02")));
  EXPECT_TRUE(st.shared_keys_across_scans("A").empty());  // the scan's own fleet view names them
  ingest_all(st, cat(cat({start("B", "2026-11-02T00:00:00Z")}, tls_host("B", "198.18.0.1", k, "02:00:00:00:00:01")),
                     tls_host("B", "198.18.0.2", k, "02:00:00:00:00:02")));
  EXPECT_TRUE(st.shared_keys_across_scans("B").empty());
  EXPECT_EQ(st.devices({})->size(), 2u);
  auto shared = st.keys(true);
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(shared[0].devices.size(), 2u);
}

TEST_P(StoreOn, SshPostureOnTheServiceRecordIdentifiesAndShares) {
  TestDb db(GetParam());
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  Store& st = **s;
  const std::string k(64, '2');
  json ssh = {{"host_keys", {{{"type", "ssh-ed25519"}, {"sha256", k}, {"fingerprint", "SHA256:x"}}}}};
  auto host = [&](const std::string& scan, const std::string& ip, const std::string& mac) {
    json svc = service(scan, ip, 22, "ssh");
    svc["ssh"] = ssh;
    json dev = device(scan, ip, "router", "R");
    dev["mac"] = mac;
    return std::vector<json>{port(scan, ip, 22), svc, dev};
  };
  ingest_all(st, cat({start("A", "2026-11-01T00:00:00Z")}, host("A", "198.18.0.1", "02:00:00:00:00:01")));
  ingest_all(st, cat({start("B", "2026-11-02T00:00:00Z")}, host("B", "198.18.0.9", "02:00:00:00:00:01")));
  EXPECT_EQ(st.device_of("A", "198.18.0.1"), st.device_of("B", "198.18.0.9"));  // moved
  EXPECT_TRUE(st.shared_keys_across_scans("B").empty());
  ingest_all(st, cat({start("C", "2026-11-03T00:00:00Z")}, host("C", "198.18.0.5", "02:00:00:00:00:05")));
  auto hits = st.shared_keys_across_scans("C");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].kind, "ssh");
  EXPECT_EQ(hits[0].service, "ssh");
  ASSERT_EQ(hits[0].others.size(), 1u);
  EXPECT_EQ(hits[0].others[0].ip, "198.18.0.9");  // the other device's latest sighting
  EXPECT_EQ(hits[0].others[0].scan_id, "B");
}

TEST_P(StoreOn, MigratesSchemaVersion2ByFillingKeySightings) {
  TestDb db(GetParam());
  {
    auto raw = Store::open_raw(db.path());
    ASSERT_TRUE(raw);
    ASSERT_TRUE((*raw)->create_schema(2));
    ASSERT_EQ((*raw)->schema_version(), 2);
    json tls = {{"type", "tls"}, {"scan_id", "OLD"}, {"ip", "198.18.0.4"}, {"port", 443}, {"versions", {"TLSv1.2"}},
                {"cert", {{"spki_sha256", std::string(64, '3')}}}};
    ASSERT_TRUE((*raw)->exec("INSERT INTO scans(scan_id, started) VALUES('OLD', '2026-10-01T00:00:00Z');"
                             "INSERT INTO devices(first_seen, last_seen, last_ip) VALUES('', '', '198.18.0.4');"
                             "INSERT INTO hosts(scan_id, ip, device_id) VALUES('OLD', '198.18.0.4', 1);"
                             "INSERT INTO device_keys VALUES('spki', '" + std::string(64, '3') + "', 1);"
                             "INSERT INTO records(scan_id, type, ip, port, data) VALUES('OLD', 'tls', '198.18.0.4', 443, '" +
                             tls.dump() + "');"));
  }
  auto s = Store::open(db.path());
  ASSERT_TRUE(s) << s.error().message;
  Store& st = **s;
  EXPECT_EQ(st.schema_version(), current_schema_version());
  auto before = st.keys(false);  // filled from the stored tls record
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(before[0].devices.size(), 1u);
  EXPECT_EQ(before[0].devices[0].scan_id, "OLD");
  EXPECT_EQ(before[0].devices[0].port, 443);
  // A second unit with the key (its own MAC) in a new scan: the migrated sighting is named.
  ingest_all(st, cat({start("NEW", "2026-11-01T00:00:00Z")}, tls_host("NEW", "198.18.0.5", std::string(64, '3'),
                                                                      "02:00:00:00:00:05")));
  auto hits = st.shared_keys_across_scans("NEW");
  EXPECT_TRUE(hits.empty()) << "no MAC on the old device: the key says it moved";
  auto all = st.keys(false);
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].devices.size(), 1u);
  EXPECT_EQ(all[0].devices[0].scan_id, "NEW");
}

TEST_P(StoreOn, DiffListsDevicesPortsAndFindings) {
  TestDb db(GetParam());
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

TEST_P(StoreOn, FindingFilters) {
  TestDb db(GetParam());
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

TEST_P(StoreOn, MigratesADatabaseCreatedWithSchemaVersion1) {
  TestDb db(GetParam());
  {
    auto raw = Store::open_raw(db.path());
    ASSERT_TRUE(raw);
    ASSERT_TRUE((*raw)->create_schema(1));
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
  EXPECT_EQ(st.schema_version(), current_schema_version());
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

TEST_P(StoreOn, RefusesASchemaNewerThanItself) {
  TestDb db(GetParam());
  {
    auto raw = Store::open_raw(db.path());
    ASSERT_TRUE(raw);
    ASSERT_TRUE((*raw)->exec("CREATE TABLE schema_version(version INTEGER); INSERT INTO schema_version VALUES(99);"));
  }
  auto s = Store::open(db.path());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

TEST_P(StoreOn, StoreWriterTakesConcurrentWritersAndSecondConnections) {
  TestDb db(GetParam());
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

TEST(Store, NetworkParsing) {
  auto v4 = Network::parse("192.0.2.0/25");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->contains("192.0.2.127"));
  EXPECT_FALSE(v4->contains("192.0.2.128"));
  EXPECT_FALSE(v4->contains("2001:db8::1"));
  EXPECT_FALSE(v4->contains("not an address"));
  auto v6 = Network::parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains("2001:db8:ffff::1"));
  EXPECT_FALSE(v6->contains("2001:db9::1"));
  EXPECT_FALSE(v6->contains("192.0.2.1"));
  auto one = Network::parse("10.0.0.1");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->contains("10.0.0.1"));
  EXPECT_FALSE(one->contains("10.0.0.2"));
  EXPECT_EQ(one->span(), 0u);
  EXPECT_TRUE(Network::parse("0.0.0.0/0")->contains("8.8.8.8"));
  EXPECT_TRUE(Network::parse("::/0")->contains("2001:db8::1"));
  EXPECT_TRUE(Network::parse("10.0.0.5/24")->contains("10.0.0.200"));  // host bits ignored
  EXPECT_LT(Network::parse("10.0.0.0/25")->span(), Network::parse("10.0.0.0/24")->span());
  auto range = Network::parse("10.0.0.1-9");
  ASSERT_TRUE(range);
  EXPECT_TRUE(range->contains("10.0.0.9"));
  EXPECT_FALSE(range->contains("10.0.0.10"));
  EXPECT_FALSE(Network::parse("10.0.0.0/33"));
  EXPECT_FALSE(Network::parse("10.0.0.0/"));
  EXPECT_FALSE(Network::parse("x/8"));
  EXPECT_FALSE(Network::parse("camera.example"));
  EXPECT_FALSE(Network::parse("@/etc/passwd"));
  EXPECT_FALSE(Network::parse("10.0.0.0/8,11.0.0.0/8"));
  EXPECT_FALSE(Network::parse(""));
}

TEST_P(StoreOn, TextThatIsNotUtf8OrHoldsNulIsStored) {
  TestDb db(GetParam());
  auto s = Store::open(db.path());
  ASSERT_TRUE(s);
  // Bytes from a device, as a probe may put them in a record before it is written.
  json svc = service("A", "198.18.0.5", 80, std::string("ht\xfftp\0x", 8));
  svc["product"] = std::string("\xe6\x97\xa5\xe6\x9c\xac caf\xc3", 10);
  ingest_all(**s, {start("A", "2026-11-01T00:00:00Z"), svc});
  auto recs = (*s)->records("A");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].value("port", 0), 80);
  EXPECT_EQ((*s)->scans()[0].open_ports, 1);
}

TEST(Store, TextForPostgresIsValidUtf8WithoutNul) {
  EXPECT_EQ(valid_utf8_text("plain ascii"), "plain ascii");
  EXPECT_EQ(valid_utf8_text("\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x92"), "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x92");
  EXPECT_EQ(valid_utf8_text(std::string("a\0b", 3)), "ab");
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(valid_utf8_text("x\xffy"), "x" + r + "y");
  EXPECT_EQ(valid_utf8_text("\xc0\xaf"), r + r);                  // overlong '/'
  EXPECT_EQ(valid_utf8_text("\xed\xa0\x80"), r + r + r);          // a surrogate
  EXPECT_EQ(valid_utf8_text("\xf4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(valid_utf8_text("caf\xc3"), "caf" + r);                 // cut short
}

TEST(Store, PostgresUriIsRecognisedAndItsPasswordNeverShown) {
  EXPECT_TRUE(is_postgres_uri("postgresql://u@h/db"));
  EXPECT_TRUE(is_postgres_uri("postgres://h/db"));
  EXPECT_FALSE(is_postgres_uri("/var/lib/mamori.db"));
  EXPECT_FALSE(is_postgres_uri("postgresql.db"));
  EXPECT_EQ(display_name("postgresql://scan:s3cret@db.example:5432/mamori"), "postgresql://scan:***@db.example:5432/mamori");
  EXPECT_EQ(display_name("postgresql://h/db?user=a&password=s3cret&x=1"), "postgresql://h/db?user=a&password=***&x=1");
  EXPECT_EQ(display_name("/tmp/x.db"), "/tmp/x.db");
  // Nothing listens on loopback port 1: a clear error, without the password.
  auto s = Store::open("postgresql://scan:s3cret@127.0.0.1:1/mamori?connect_timeout=3");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("cannot open database"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("s3cret"), std::string::npos) << s.error().message;
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
