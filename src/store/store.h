// The inventory: a database of every scan's records (spec/results.md), with the devices
// identified across scans. All SQL of Mamori lives in src/store. The database is an SQLite file
// (the default) or a PostgreSQL database (`postgresql://...`): the same schema and the same
// queries on both, through the Backend interface (backend.h).
//
// Contract:
// - A Store owns one connection (SQLite in WAL mode, or libpq). Every method is thread-safe (one
//   mutex); several processes may write one database at once (short transactions, each
//   excluding the other writers: SQLite's write lock, a PostgreSQL advisory lock).
// - ingest() commits each record in its own transaction before it returns: a process killed at
//   any moment leaves a database that opens cleanly and holds every record ingest() returned for.
// - Records are stored as given (a `credential` record's password is whatever the scanner wrote,
//   i.e. redacted unless the user asked to reveal secrets); nothing is added to them.
// - Failures are values (Expected / Status), never exceptions out of this library.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/expected.h"
#include "core/ip.h"
#include "core/target_set.h"
#include "checks/findings.h"
#include "report/writers.h"


namespace mamori::store {

class Backend;

// The schema version this build writes. Migration N -> N+1 is kMigrations[N-1] (see store.cc);
// version 1 is the first released schema, kept so tests can create an old database.
int current_schema_version();
// The SQL (SQLite's dialect) that creates schema version `version` from nothing (1 <= version
// <= current_schema_version()): version 1's DDL followed by the migrations up to `version`.
std::vector<std::string> schema_sql_up_to(int version);

// Stable identifiers a record carries, as (kind, value): "udn" (UPnP UDN), "serial", "ssh" (SSH
// host key SHA-256: `ssh.hostkey_sha256`, or each `ssh.host_keys[].sha256` of the SSH posture on
// an ssh service record), "spki" (TLS public key SHA-256), "mac". Values are lower-cased
// hex/UUIDs. Each once; one unit's own (udn, serial, mac) before the shareable keys (ssh, spki).
std::vector<std::pair<std::string, std::string>> identity_keys(const nlohmann::json& record);

// Default database path: $MAMORI_DB, else $XDG_DATA_HOME/mamori/mamori.db, else
// ~/.local/share/mamori/mamori.db. Empty when none of these can be formed.
std::string default_db_path();

struct ScanRow {
  std::string scan_id, started, ended, vantage, version;
  std::string targets;  // comma separated, as given
  std::optional<bool> complete;  // unset: no `end` record (still running, or killed)
  int64_t hosts = 0, devices = 0, open_ports = 0, findings = 0;
};

struct DeviceRow {
  int64_t device_id = 0;
  std::string ip;  // where it was last seen
  std::string category, vendor, model, first_seen, last_seen;
  std::vector<std::string> keys;  // "kind:value" stable identifiers
  int64_t scans = 0;
};

struct FindingRow {
  std::string scan_id, ip, check_id, severity, service, title, title_ja, category, time;
  std::optional<int> port;
  int64_t device_id = 0;
  std::string evidence;  // JSON text
};

struct Filter {
  std::string scan_id;   // empty: the latest scan (findings) / every device (devices)
  std::string category;  // device category
  std::string severity;  // exact, e.g. high
  std::string check_id;
  std::string network;   // CIDR, e.g. 192.0.2.0/24 or 2001:db8::/64
};

struct DiffPort {
  int64_t device_id;
  std::string ip, proto, service;
  int port;
};
struct DiffFinding {
  int64_t device_id;
  std::string ip, check_id, severity;
  std::optional<int> port;
};
struct DiffResult {
  std::string scan_a, scan_b;
  std::vector<DeviceRow> new_devices, gone_devices;
  std::vector<DiffPort> opened, closed;
  std::vector<DiffFinding> new_findings, fixed_findings;
};

// The fleet view across scans: a TLS public key or SSH host key on several devices.
struct KeySighting {
  int64_t device_id = 0;
  std::string ip, scan_id, seen;  // the device's latest sighting with the key (`seen`: scan start)
  int port = 0;
  std::vector<std::string> identity;  // the device's "udn:", "serial:", "mac:" identifiers
  std::string vendor, model;
};
struct SharedKeyHit {
  std::string ip, service;  // the host of this scan, and the service name at `port`
  int port = 0;
  int64_t device_id = 0;
  std::string kind;   // "spki" (TLS public key) or "ssh" (SSH host key)
  std::string value;  // SHA-256, hex
  std::vector<KeySighting> others;  // other devices with the key in earlier scans, oldest first
};
struct KeyRow {
  std::string kind, value;
  std::vector<KeySighting> devices;  // every device seen with the key, by first sighting
};

class Store {
 public:
  // Opens (creating the file and its parent directory when missing) and migrates to the current
  // schema. `path` is a file, ":memory:", or a PostgreSQL URI (postgresql://user:pw@host/db;
  // the database must exist, its tables are created). `must_exist`: a missing file, or a
  // PostgreSQL database without Mamori's tables, is an error instead (the query commands); an
  // older schema is still migrated.
  static Expected<std::unique_ptr<Store>> open(const std::string& path, bool must_exist = false);
  // Opens without migrating (tests create old schemas with it).
  static Expected<std::unique_ptr<Store>> open_raw(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int schema_version();
  // Runs the migrations from the database's version to current_schema_version(), each in one
  // transaction.
  Expected<int> migrate();
  // Executes SQL statements (tests and migrations).
  Expected<bool> exec(const std::string& sql);
  // Creates schema version `version` (schema_sql_up_to) in this backend's dialect, on an empty
  // database opened with open_raw (tests of the migrations).
  Expected<bool> create_schema(int version);
  // "sqlite" or "postgresql".
  const char* backend_kind() const;

  // Stores one record of the results contract, committed before return. A record without a
  // string `type` and `scan_id` is refused (an error, nothing stored).
  Expected<bool> ingest(const nlohmann::json& record);

  std::vector<ScanRow> scans();
  std::optional<std::string> latest_scan(int back = 0);  // back=1: the one before the latest
  bool has_scan(const std::string& scan_id);
  // Every record of a scan in arrival order.
  std::vector<nlohmann::json> records(const std::string& scan_id);
  Expected<std::vector<DeviceRow>> devices(const Filter& f);
  Expected<std::vector<FindingRow>> findings(const Filter& f);
  Expected<DiffResult> diff(const std::string& scan_a, const std::string& scan_b);
  // device id of a host in a scan (0: unknown).
  int64_t device_of(const std::string& scan_id, const std::string& ip);
  // Where a device was seen: `device` is an address or a store device id (digits); `scan_id`
  // empty: the latest scan that saw it. Returns (scan id, address); an error names what is
  // missing.
  Expected<std::pair<std::string, std::string>> locate(const std::string& device, const std::string& scan_id);
  // For each TLS public key / SSH host key a host of `scan_id` presented: the other devices that
  // presented it in earlier scans of the store (by start time, then arrival), except those that
  // present it in `scan_id` too (the scan's own fleet view names them). Only keys with such
  // devices; by address, port, key. (Earlier only: the answer for a scan does not change when
  // later scans arrive, and importing old scans together gives what scanning them in turn gave.)
  std::vector<SharedKeyHit> shared_keys_across_scans(const std::string& scan_id);
  // Every TLS public key and SSH host key in the store with the devices that presented it;
  // `shared_only`: only keys on two or more devices.
  std::vector<KeyRow> keys(bool shared_only);

 private:
  explicit Store(std::unique_ptr<Backend> db);
  Expected<bool> exec_locked(const std::string& sql);
  Expected<bool> ingest_locked(const nlohmann::json& record);
  int64_t sighting_locked(const std::string& scan_id, const std::string& ip, const std::string& time);
  void add_key_locked(const std::string& scan_id, const std::string& ip, int64_t port, const std::string& kind,
                      const std::string& value);
  // Whether the host `ip` of `scan_id` presented a UDN/MAC/serial that device `device` has
  // (matched: a positive match), or one of a kind `device` has with another value (conflict).
  bool strong_match_locked(const std::string& scan_id, const std::string& ip, int64_t device);
  bool strong_conflict_locked(const std::string& scan_id, const std::string& ip, int64_t device);
  std::vector<std::string> keys_of_locked(int64_t device_id);
  void describe_locked(KeySighting& k);

  std::mutex mu_;
  std::unique_ptr<Backend> db_;
};

// shared-private-key finding records (spec/results.md) of scan `scan_id` for the hits of
// Store::shared_keys_across_scans: one per host and key, naming the other devices in
// `evidence.also_on` (address, port, device id, identifiers, scan, when) with `across_scans`.
std::vector<nlohmann::json> fleet_finding_records(const std::string& scan_id, const std::vector<SharedKeyHit>& hits,
                                                  const CheckCatalog& catalog);

// A RecordSink that commits every record to a Store as it arrives (thread-safe). A record the
// store cannot take is reported once on stderr (the scan goes on; its JSON Lines output is
// unaffected) and counted.
class StoreWriter : public RecordSink {
 public:
  explicit StoreWriter(std::unique_ptr<Store> store) : store_(std::move(store)) {}
  void write(const nlohmann::json& record) override;
  uint64_t failures() const;
  Store& store() { return *store_; }

 private:
  std::unique_ptr<Store> store_;
  mutable std::mutex mu_;
  uint64_t failures_ = 0;
};

// A network the user names (--network, the owners file of `notify`): one CIDR block
// ("192.0.2.0/24", "2001:db8::/32", host bits ignored), address range or bare address, parsed by
// the scan's own target parser (core/target_spec.h). Nullopt: not one of these.
struct Network {
  IpRange range;
  static std::optional<Network> parse(const std::string& text);
  bool contains(const std::string& ip) const;
  // Addresses in the network minus one (a longer prefix is a smaller size).
  u128 span() const { return range.last - range.first; }
};

}  // namespace mamori::store
