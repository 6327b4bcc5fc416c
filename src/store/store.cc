#include "store/store.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "core/json_fields.h"
#include "core/target_spec.h"
#include "report/records.h"
#include "store/backend.h"

namespace mamori::store {
namespace {

using nlohmann::json;

// Schema version 1: scans, raw records, ports, services, findings. Never edit: databases in the
// field were created with it. Change the schema only by appending a migration below.
const char* const kSchemaV1 = R"sql(
CREATE TABLE schema_version(version INTEGER NOT NULL);
CREATE TABLE scans(scan_id TEXT PRIMARY KEY, started TEXT, ended TEXT, vantage TEXT, version TEXT,
                   targets TEXT, ports TEXT, complete INTEGER, stats TEXT);
CREATE TABLE records(id INTEGER PRIMARY KEY, scan_id TEXT NOT NULL, type TEXT NOT NULL, ip TEXT,
                     port INTEGER, data TEXT NOT NULL);
CREATE INDEX records_scan ON records(scan_id, type);
CREATE TABLE ports(scan_id TEXT NOT NULL, ip TEXT NOT NULL, port INTEGER NOT NULL, proto TEXT NOT NULL,
                   state TEXT, PRIMARY KEY(scan_id, ip, port, proto));
CREATE TABLE services(scan_id TEXT NOT NULL, ip TEXT NOT NULL, port INTEGER NOT NULL, proto TEXT NOT NULL,
                      service TEXT, product TEXT, version TEXT, PRIMARY KEY(scan_id, ip, port, proto));
CREATE TABLE findings(id INTEGER PRIMARY KEY, scan_id TEXT NOT NULL, ip TEXT, port INTEGER, service TEXT,
                      check_id TEXT, severity TEXT, title TEXT, title_ja TEXT, evidence TEXT);
CREATE INDEX findings_scan ON findings(scan_id);
INSERT INTO schema_version VALUES(1);
)sql";

// Migration 1 -> 2: devices identified across scans (stable keys, sightings per scan), verdicts,
// credential and TLS records. Its code step replays the stored records to fill the new tables.
const char* const kMigration1to2 = R"sql(
CREATE TABLE devices(device_id INTEGER PRIMARY KEY AUTOINCREMENT, first_seen TEXT, last_seen TEXT,
                     last_ip TEXT, category TEXT, vendor TEXT, model TEXT);
CREATE TABLE device_keys(kind TEXT NOT NULL, value TEXT NOT NULL, device_id INTEGER NOT NULL,
                         PRIMARY KEY(kind, value));
CREATE INDEX device_keys_device ON device_keys(device_id);
CREATE TABLE hosts(scan_id TEXT NOT NULL, ip TEXT NOT NULL, device_id INTEGER NOT NULL, category TEXT,
                   vendor TEXT, model TEXT, firmware TEXT, confidence REAL, connection_form TEXT,
                   matched_by TEXT NOT NULL DEFAULT 'new', PRIMARY KEY(scan_id, ip));
CREATE INDEX hosts_device ON hosts(device_id);
CREATE INDEX hosts_ip ON hosts(ip);
CREATE TABLE verdicts(id INTEGER PRIMARY KEY, scan_id TEXT NOT NULL, ip TEXT, requirement TEXT,
                      status TEXT, reason TEXT);
CREATE TABLE credentials(id INTEGER PRIMARY KEY, scan_id TEXT NOT NULL, ip TEXT, port INTEGER,
                         service TEXT, outcome TEXT, username TEXT, password TEXT, list TEXT);
CREATE TABLE tls(scan_id TEXT NOT NULL, ip TEXT NOT NULL, port INTEGER NOT NULL, spki_sha256 TEXT,
                 cert_sha256 TEXT, versions TEXT, PRIMARY KEY(scan_id, ip, port));
)sql";

// Migration 2 -> 3: every stable identifier a host presented in a scan (the port it came from,
// 0 when the record has none). The fleet view (shared_keys_across_scans, keys) reads it, and the
// identity rules ask it what a host showed in this scan. Its code step fills it from the stored
// records; device identity is not rebuilt.
const char* const kMigration2to3 = R"sql(
CREATE TABLE key_sightings(scan_id TEXT NOT NULL, ip TEXT NOT NULL, port INTEGER NOT NULL, kind TEXT NOT NULL,
                           value TEXT NOT NULL, PRIMARY KEY(scan_id, ip, port, kind, value));
CREATE INDEX key_sightings_key ON key_sightings(kind, value);
)sql";

// Tables a record fills, by the schema version that introduced them (the migration's replay
// fills only the new ones).
enum class Part { v1, v2 };

// One statement of the common dialect (backend.h) on the store's connection.
class Stmt {
 public:
  Stmt(Backend& db, const char* sql) : q_(db.prepare(sql)) {}
  Stmt& bind(int i, const std::string& v) {
    q_->bind(i, v);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    q_->bind(i, v);
    return *this;
  }
  Stmt& bind(int i, double v) {
    q_->bind(i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    q_->bind_null(i);
    return *this;
  }
  Stmt& bind_opt(int i, const std::optional<int64_t>& v) {
    q_->bind_opt(i, v);
    return *this;
  }
  // Runs the statement (first call) and moves to the next result row; false at the end or on
  // an error.
  bool row() { return q_->next(); }
  // Runs the statement to its end; false on an error.
  bool run() {
    while (q_->next()) {
    }
    return q_->ok();
  }
  std::string text(int col) { return q_->text(col); }
  int64_t i64(int col) { return q_->i64(col); }
  bool null(int col) { return q_->null(col); }

 private:
  std::unique_ptr<Query> q_;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> identity_keys(const json& r) {
  std::vector<std::pair<std::string, std::string>> out;
  auto from = [&](const json& obj) {
    if (!obj.is_object()) return;
    if (std::string v = field_str(obj, "upnp.udn"); !v.empty()) out.emplace_back("udn", lower(v));
    if (std::string v = field_str(obj, "upnp.serial"); !v.empty()) out.emplace_back("serial", v);
    if (std::string v = field_str(obj, "ssh.hostkey_sha256"); !v.empty()) out.emplace_back("ssh", lower(v));
    if (std::string v = field_str(obj, "mac"); !v.empty()) out.emplace_back("mac", lower(v));
  };
  from(r);
  if (auto it = r.find("evidence"); it != r.end()) from(*it);
  if (field_str(r, "type") == "device") {
    if (std::string v = field_str(r, "serial"); !v.empty()) out.emplace_back("serial", v);
  }
  if (auto it = r.find("cert"); it != r.end() && it->is_object()) {
    if (std::string v = field_str(*it, "spki_sha256"); !v.empty()) out.emplace_back("spki", lower(v));
  }
  // The SSH posture on an ssh service record: every host key type's SHA-256.
  if (auto it = r.find("ssh"); it != r.end() && it->is_object()) {
    if (auto k = it->find("host_keys"); k != it->end() && k->is_array()) {
      for (const auto& key : *k) {
        if (std::string v = field_str(key, "sha256"); !v.empty()) out.emplace_back("ssh", lower(v));
      }
    }
  }
  // Each once; a unit's own identifiers (UDN, serial, MAC) before the keys units may share.
  std::vector<std::pair<std::string, std::string>> once;
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& kv : out) {
      const bool weak = kv.first == "ssh" || kv.first == "spki";
      if (weak != (pass == 1) || std::find(once.begin(), once.end(), kv) != once.end()) continue;
      once.push_back(kv);
    }
  }
  return once;
}

// Keys one device has exactly one of: a second, different value at the same address means a
// different device. (SSH host keys and TLS keys may be several per device or regenerated.)
namespace {

bool single_valued(const std::string& kind) { return kind == "udn" || kind == "mac" || kind == "serial"; }


}  // namespace

int current_schema_version() { return 3; }

std::vector<std::string> schema_sql_up_to(int version) {
  std::vector<std::string> out{kSchemaV1};
  if (version >= 2) out.emplace_back(std::string(kMigration1to2) + "UPDATE schema_version SET version = 2;");
  if (version >= 3) out.emplace_back(std::string(kMigration2to3) + "UPDATE schema_version SET version = 3;");
  return out;
}

std::string default_db_path() {
  if (const char* e = std::getenv("MAMORI_DB"); e && *e) return e;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/mamori/mamori.db";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/share/mamori/mamori.db";
  return "";
}

Expected<std::unique_ptr<Store>> Store::open_raw(const std::string& path) {
  auto b = is_postgres_uri(path) ? open_postgres(path) : open_sqlite(path);
  if (!b) return b.error();
  return std::unique_ptr<Store>(new Store(std::move(*b)));
}

Expected<std::unique_ptr<Store>> Store::open(const std::string& path, bool must_exist) {
  const bool pg = is_postgres_uri(path);
  if (must_exist && !pg && !std::filesystem::exists(path)) {
    return make_error("no database at '" + path + "' (run a scan first, or give --db PATH)");
  }
  auto s = open_raw(path);
  if (!s) return s.error();
  if (must_exist && pg && (*s)->schema_version() == 0) {
    return make_error("no Mamori store in database '" + display_name(path) + "' (run a scan with --db first)");
  }
  auto m = (*s)->migrate();
  if (!m) return make_error("database '" + display_name(path) + "': " + m.error().message);
  return s;
}

Store::Store(std::unique_ptr<Backend> db) : db_(std::move(db)) {}

Store::~Store() = default;

Expected<bool> Store::exec_locked(const std::string& sql) { return db_->exec(sql); }

Expected<bool> Store::create_schema(int version) {
  std::lock_guard lock(mu_);
  for (const auto& sql : schema_sql_up_to(version))
    if (auto r = exec_locked(db_->ddl(sql)); !r) return r;
  return true;
}

const char* Store::backend_kind() const { return db_->kind(); }

Expected<bool> Store::exec(const std::string& sql) {
  std::lock_guard lock(mu_);
  return exec_locked(sql);
}

int Store::schema_version() {
  std::lock_guard lock(mu_);
  if (!db_->has_table("schema_version")) return 0;
  Stmt v(*db_, "SELECT max(version) FROM schema_version");
  return v.row() ? static_cast<int>(v.i64(0)) : 0;
}

Expected<int> Store::migrate() {
  // begin_write() serialises concurrent first opens of a new database. A migration that fails
  // because another process got there first (its tables exist) is re-read and retried, a few
  // times at most.
  for (int attempt = 0;; ++attempt) {
    int from = schema_version();
    if (from > current_schema_version()) {
      return make_error("schema version " + std::to_string(from) + " is newer than this Mamori (" +
                        std::to_string(current_schema_version()) + ")");
    }
    if (from == current_schema_version()) return from;
    std::lock_guard lock(mu_);
    if (auto r = db_->begin_write(); !r) return r.error();
    // Re-read under the write lock: another process may have migrated meanwhile.
    int now = 0;
    {
      if (db_->has_table("schema_version")) {
        Stmt v(*db_, "SELECT max(version) FROM schema_version");
        if (v.row()) now = static_cast<int>(v.i64(0));
      }
    }
    if (now != from) {
      (void)exec_locked("ROLLBACK");
      continue;
    }
    // The records already stored, parsed (unreadable ones skipped), for the migrations' code steps.
    auto stored_records = [this](const char* sql) {
      std::vector<json> out;
      Stmt all(*db_, sql);
      while (all.row()) {
        json rec = json::parse(all.text(0), nullptr, false);
        if (!rec.is_discarded() && rec.is_object()) out.push_back(std::move(rec));
      }
      return out;
    };
    Expected<bool> r = true;
    if (from == 0) {
      r = exec_locked(db_->ddl(kSchemaV1));
    } else if (from == 1) {
      // 1 -> 3 in one step: the replay below also fills key_sightings (version 3's table).
      r = exec_locked(db_->ddl(kMigration1to2));
      if (r) r = exec_locked(db_->ddl(kMigration2to3));
      if (r) {
        // Code step: derive the new tables from the records already stored.
        for (const json& rec : stored_records("SELECT data FROM records ORDER BY id")) {
          // Only the parts schema 2 added (ports/services/findings are already there).
          const std::string type = field_str(rec, "type"), scan = field_str(rec, "scan_id"), ip = field_str(rec, "ip");
          if (ip.empty() || scan.empty()) continue;
          if (type == "port" && field_str(rec, "state") != "open") continue;
          sighting_locked(scan, ip, "");
          for (const auto& [k, v] : identity_keys(rec)) add_key_locked(scan, ip, field_port(rec).value_or(0), k, v);
          if (type == "device") {
            Stmt u(*db_, "UPDATE hosts SET category=?, vendor=?, model=? WHERE scan_id=? AND ip=?");
            u.bind(1, field_str(rec, "category")).bind(2, field_str(rec, "vendor")).bind(3, field_str(rec, "model"))
                .bind(4, scan).bind(5, ip).run();
            Stmt d(*db_, "UPDATE devices SET category=?, vendor=nullif(?, ''), model=nullif(?, '') WHERE device_id="
                        "(SELECT device_id FROM hosts WHERE scan_id=? AND ip=?)");
            d.bind(1, field_str(rec, "category")).bind(2, field_str(rec, "vendor")).bind(3, field_str(rec, "model")).bind(4, scan)
                .bind(5, ip).run();
          }
        }
        r = exec_locked("UPDATE schema_version SET version = 3");
      }
    } else if (from == 2) {
      r = exec_locked(db_->ddl(kMigration2to3));
      if (r) {
        // Code step: the identifiers of the records already stored (identity stays as it was).
        for (const json& rec : stored_records("SELECT data FROM records WHERE ip IS NOT NULL AND ip<>'' ORDER BY id")) {
          const std::string scan = field_str(rec, "scan_id"), ip = field_str(rec, "ip");
          if (scan.empty() || ip.empty()) continue;
          for (const auto& [k, v] : identity_keys(rec)) {
            Stmt ins(*db_, "INSERT INTO key_sightings(scan_id, ip, port, kind, value) VALUES(?, ?, ?, ?, ?) "
                          "ON CONFLICT DO NOTHING");
            ins.bind(1, scan).bind(2, ip).bind(3, field_port(rec).value_or(0)).bind(4, k).bind(5, v);
            if (!ins.run()) {
              r = make_error("key_sightings: " + db_->error());
              break;
            }
          }
          if (!r) break;
        }
        if (r) r = exec_locked("UPDATE schema_version SET version = 3");
      }
    }
    if (!r) {
      (void)exec_locked("ROLLBACK");
      if (attempt < 3 && r.error().message.find("already exists") != std::string::npos) continue;
      return make_error("migration from schema " + std::to_string(from) + " failed: " + r.error().message);
    }
    if (auto c = exec_locked("COMMIT"); !c) {
      (void)exec_locked("ROLLBACK");
      return c.error();
    }
  }
}

std::vector<std::string> Store::keys_of_locked(int64_t device_id) {
  std::vector<std::string> out;
  Stmt s(*db_, "SELECT kind, value FROM device_keys WHERE device_id=? ORDER BY kind, value");
  s.bind(1, device_id);
  while (s.row()) out.push_back(s.text(0) + ":" + s.text(1));
  std::sort(out.begin(), out.end());  // byte order on every backend (a server's collation may differ)
  return out;
}

int64_t Store::sighting_locked(const std::string& scan_id, const std::string& ip, const std::string& time) {
  {
    Stmt s(*db_, "SELECT device_id FROM hosts WHERE scan_id=? AND ip=?");
    s.bind(1, scan_id).bind(2, ip);
    if (s.row()) return s.i64(0);
  }
  std::string when = time;
  if (when.empty()) {
    Stmt s(*db_, "SELECT started FROM scans WHERE scan_id=?");
    s.bind(1, scan_id);
    if (s.row()) when = s.text(0);
  }
  // No stable evidence yet: the device last seen at this address (in another scan), if any.
  int64_t device = 0;
  {
    Stmt s(*db_,
           "SELECT h.device_id FROM hosts h WHERE h.ip=? AND h.scan_id<>? AND NOT EXISTS "
           "(SELECT 1 FROM hosts o WHERE o.scan_id=? AND o.device_id=h.device_id) "
           "ORDER BY h.rowid DESC LIMIT 1");
    s.bind(1, ip).bind(2, scan_id).bind(3, scan_id);
    if (s.row()) device = s.i64(0);
  }
  const bool fallback = device != 0;
  if (device == 0) {
    Stmt ins(*db_, "INSERT INTO devices(first_seen, last_seen, last_ip) VALUES(?, ?, ?) RETURNING device_id");
    ins.bind(1, when).bind(2, when).bind(3, ip);
    if (ins.row()) device = ins.i64(0);
  } else {
    Stmt u(*db_, "UPDATE devices SET last_seen=?, last_ip=? WHERE device_id=?");
    u.bind(1, when).bind(2, ip).bind(3, device).run();
  }
  // matched_by: 'ip' (the device last seen at this address), 'new', or 'key' (a stable key).
  Stmt h(*db_, "INSERT INTO hosts(scan_id, ip, device_id, matched_by) VALUES(?, ?, ?, ?)");
  h.bind(1, scan_id).bind(2, ip).bind(3, device).bind(4, std::string(fallback ? "ip" : "new")).run();
  return device;
}

bool Store::strong_match_locked(const std::string& scan_id, const std::string& ip, int64_t device) {
  Stmt s(*db_, "SELECT count(*) FROM key_sightings k JOIN device_keys x ON x.kind=k.kind AND x.value=k.value "
              "WHERE k.scan_id=? AND k.ip=? AND k.kind IN ('udn','mac','serial') AND x.device_id=?");
  s.bind(1, scan_id).bind(2, ip).bind(3, device);
  return s.row() && s.i64(0) > 0;
}

bool Store::strong_conflict_locked(const std::string& scan_id, const std::string& ip, int64_t device) {
  Stmt s(*db_, "SELECT count(*) FROM key_sightings k WHERE k.scan_id=? AND k.ip=? AND k.kind IN ('udn','mac','serial') "
              "AND EXISTS (SELECT 1 FROM device_keys x WHERE x.device_id=? AND x.kind=k.kind) "
              "AND NOT EXISTS (SELECT 1 FROM device_keys y WHERE y.device_id=? AND y.kind=k.kind AND y.value=k.value)");
  s.bind(1, scan_id).bind(2, ip).bind(3, device).bind(4, device);
  return s.row() && s.i64(0) > 0;
}

// Identity rules, in order:
// 1. A known key whose device is already seen at another address of this scan is shared between
//    devices (a shared private key, or two units with one serial): it identifies neither.
// 2. A TLS public key or SSH host key (which one firmware image may put on every unit) never
//    joins a host to a device whose UDN/MAC/serial differs from the one the host shows, nor takes
//    a host away from the device its own UDN/MAC/serial matched: those are two units sharing a
//    key, not one unit that moved.
// 3. A UDN/MAC/serial (one per unit) new to the store, on a host that was joined to a device of
//    earlier scans by its address or by a shareable key only, while that device has another value
//    of the same kind: a different unit, given a device of its own.
// 4. Otherwise a known key moves the host to the key's device ("the device moved"), and a new
//    key is added to the host's device.
void Store::add_key_locked(const std::string& scan_id, const std::string& ip, int64_t port, const std::string& kind,
                           const std::string& value) {
  const int64_t d = sighting_locked(scan_id, ip, "");
  {
    Stmt k(*db_, "INSERT INTO key_sightings(scan_id, ip, port, kind, value) VALUES(?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
    k.bind(1, scan_id).bind(2, ip).bind(3, port).bind(4, kind).bind(5, value).run();
  }
  int64_t e = 0;
  {
    Stmt s(*db_, "SELECT device_id FROM device_keys WHERE kind=? AND value=?");
    s.bind(1, kind).bind(2, value);
    if (s.row()) e = s.i64(0);
  }
  if (e == d) return;
  auto only_this_scan = [&](int64_t dev) {
    Stmt s(*db_, "SELECT count(*) FROM hosts WHERE device_id=? AND scan_id<>?");
    s.bind(1, dev).bind(2, scan_id);
    return s.row() && s.i64(0) == 0;
  };
  auto repoint = [&](int64_t from, int64_t to) {
    Stmt u(*db_, "UPDATE hosts SET device_id=?, matched_by='key' WHERE scan_id=? AND ip=?");
    u.bind(1, to).bind(2, scan_id).bind(3, ip).run();
    Stmt l(*db_, "UPDATE devices SET last_ip=?, last_seen=coalesce((SELECT started FROM scans WHERE scan_id=?), last_seen) "
                "WHERE device_id=?");
    l.bind(1, ip).bind(2, scan_id).bind(3, to).run();
    Stmt left(*db_, "SELECT count(*) FROM hosts WHERE device_id=?");
    left.bind(1, from);
    if (left.row() && left.i64(0) == 0) {
      // `from` existed only as this sighting: its keys belong to `to`.
      Stmt mv(*db_, "UPDATE device_keys SET device_id=? WHERE device_id=?");
      mv.bind(1, to).bind(2, from).run();
      Stmt del(*db_, "DELETE FROM devices WHERE device_id=?");
      del.bind(1, from).run();
    }
  };
  if (e != 0) {
    // Rule 1.
    Stmt s(*db_, "SELECT count(*) FROM hosts WHERE scan_id=? AND device_id=? AND ip<>?");
    s.bind(1, scan_id).bind(2, e).bind(3, ip);
    if (s.row() && s.i64(0) > 0) return;
    // Rule 2.
    if (!single_valued(kind) && (strong_conflict_locked(scan_id, ip, e) || strong_match_locked(scan_id, ip, d))) return;
    repoint(d, e);
    return;
  }
  // Rule 3. (A host matched by its own UDN/MAC/serial stays with its device: a positive match
  // outweighs a second serial or MAC.)
  if (single_valued(kind) && !only_this_scan(d) && !strong_match_locked(scan_id, ip, d)) {
    Stmt s(*db_, "SELECT count(*) FROM device_keys WHERE device_id=? AND kind=?");
    s.bind(1, d).bind(2, kind);
    if (s.row() && s.i64(0) > 0) {
      Stmt ins(*db_, "INSERT INTO devices(first_seen, last_seen, last_ip) "
                    "SELECT started, started, ? FROM scans WHERE scan_id=? RETURNING device_id");
      ins.bind(1, ip).bind(2, scan_id);
      if (!ins.row()) return;
      int64_t f = ins.i64(0);
      Stmt u(*db_, "UPDATE hosts SET device_id=?, matched_by='new' WHERE scan_id=? AND ip=?");
      u.bind(1, f).bind(2, scan_id).bind(3, ip).run();
      Stmt k(*db_, "INSERT INTO device_keys(kind, value, device_id) VALUES(?, ?, ?) ON CONFLICT DO NOTHING");
      k.bind(1, kind).bind(2, value).bind(3, f).run();
      // `d` is where and when it was before this host was joined to it.
      std::string last_ip, last_seen;
      {
        Stmt l(*db_, "SELECT h.ip, coalesce(s.started,'') FROM hosts h LEFT JOIN scans s ON s.scan_id=h.scan_id "
                    "WHERE h.device_id=? ORDER BY coalesce(s.started,'') DESC, h.rowid DESC LIMIT 1");
        l.bind(1, d);
        if (l.row()) {
          last_ip = l.text(0);
          last_seen = l.text(1);
        }
      }
      if (!last_ip.empty()) {
        Stmt r(*db_, "UPDATE devices SET last_ip=?, last_seen=? WHERE device_id=?");
        r.bind(1, last_ip).bind(2, last_seen).bind(3, d).run();
      }
      return;
    }
  }
  Stmt k(*db_, "INSERT INTO device_keys(kind, value, device_id) VALUES(?, ?, ?) ON CONFLICT DO NOTHING");
  k.bind(1, kind).bind(2, value).bind(3, d).run();
}

Expected<bool> Store::ingest(const nlohmann::json& record) {
  std::lock_guard lock(mu_);
  if (auto r = db_->begin_write(); !r) return r.error();
  auto r = ingest_locked(record);
  if (!r) {
    (void)exec_locked("ROLLBACK");
    return r;
  }
  if (auto c = exec_locked("COMMIT"); !c) {
    (void)exec_locked("ROLLBACK");
    return c.error();
  }
  return true;
}

Expected<bool> Store::ingest_locked(const nlohmann::json& r) {
  if (!r.is_object()) return make_error("record is not a JSON object");
  auto t = r.find("type");
  auto sid = r.find("scan_id");
  if (t == r.end() || !t->is_string() || sid == r.end() || !sid->is_string() || sid->get<std::string>().empty()) {
    return make_error("record without a string type and scan_id");
  }
  const std::string type = *t, scan = *sid, ip = field_str(r, "ip");
  const auto port = field_port(r);
  auto fail = [&](const char* what) { return make_error(std::string(what) + ": " + db_->error()); };

  {
    Stmt s(*db_, "INSERT INTO records(scan_id, type, ip, port, data) VALUES(?, ?, ?, ?, ?)");
    s.bind(1, scan).bind(2, type).bind(3, ip).bind_opt(4, port).bind(5, r.dump(-1, ' ', false, json::error_handler_t::replace));
    if (!s.run()) return fail("insert record");
  }
  {
    Stmt s(*db_, "INSERT INTO scans(scan_id) VALUES(?) ON CONFLICT DO NOTHING");
    s.bind(1, scan);
    if (!s.run()) return fail("insert scan");
  }
  if (type == "scan") {
    std::string targets;
    if (auto it = r.find("targets"); it != r.end() && it->is_array()) {
      for (const auto& x : *it) {
        if (!x.is_string()) continue;
        if (!targets.empty()) targets += ",";
        targets += x.get<std::string>();
      }
    }
    if (field_str(r, "phase") == "end") {
      auto c = r.find("complete");
      std::optional<int64_t> complete;
      if (c != r.end() && c->is_boolean()) complete = c->get<bool>() ? 1 : 0;
      Stmt s(*db_, "UPDATE scans SET ended=?, complete=?, stats=? WHERE scan_id=?");
      s.bind(1, field_str(r, "time")).bind_opt(2, complete).bind(3, r.value("stats", json::object()).dump(-1, ' ', false, json::error_handler_t::replace)).bind(4, scan);
      if (!s.run()) return fail("update scan");
    } else {
      Stmt s(*db_, "UPDATE scans SET started=?, vantage=?, version=?, targets=?, ports=? WHERE scan_id=?");
      s.bind(1, field_str(r, "time")).bind(2, field_str(r, "vantage")).bind(3, field_str(r, "version")).bind(4, targets)
          .bind(5, field_str(r, "ports")).bind(6, scan);
      if (!s.run()) return fail("update scan");
    }
    return true;
  }
  if (ip.empty()) return true;  // kept in `records` only
  if (type == "port" && field_str(r, "state") != "open") {
    Stmt s(*db_, "INSERT INTO ports(scan_id, ip, port, proto, state) VALUES(?, ?, ?, ?, ?) "
                "ON CONFLICT(scan_id, ip, port, proto) DO UPDATE SET state=excluded.state");
    s.bind(1, scan).bind(2, ip).bind_opt(3, port).bind(4, field_str(r, "proto")).bind(5, field_str(r, "state"));
    if (!s.run()) return fail("insert port");
    return true;
  }
  sighting_locked(scan, ip, "");
  for (const auto& [k, v] : identity_keys(r)) add_key_locked(scan, ip, port.value_or(0), k, v);

  if (type == "port") {
    Stmt s(*db_, "INSERT INTO ports(scan_id, ip, port, proto, state) VALUES(?, ?, ?, ?, ?) "
                "ON CONFLICT(scan_id, ip, port, proto) DO UPDATE SET state=excluded.state");
    s.bind(1, scan).bind(2, ip).bind_opt(3, port).bind(4, field_str(r, "proto")).bind(5, field_str(r, "state"));
    if (!s.run()) return fail("insert port");
  } else if (type == "service") {
    Stmt s(*db_, "INSERT INTO services(scan_id, ip, port, proto, service, product, version) "
                "VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(scan_id, ip, port, proto) DO UPDATE SET "
                "service=excluded.service, product=excluded.product, version=excluded.version");
    s.bind(1, scan).bind(2, ip).bind_opt(3, port).bind(4, field_str(r, "proto")).bind(5, field_str(r, "service"))
        .bind(6, field_str(r, "product")).bind(7, field_str(r, "version"));
    if (!s.run()) return fail("insert service");
    // A UDP-only service still means the port answered.
    Stmt p(*db_, "INSERT INTO ports(scan_id, ip, port, proto, state) VALUES(?, ?, ?, ?, 'open') "
                "ON CONFLICT DO NOTHING");
    p.bind(1, scan).bind(2, ip).bind_opt(3, port).bind(4, field_str(r, "proto"));
    if (!p.run()) return fail("insert port");
  } else if (type == "finding") {
    auto ev = r.find("evidence");
    Stmt s(*db_, "INSERT INTO findings(scan_id, ip, port, service, check_id, severity, title, title_ja, evidence) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, scan).bind(2, ip).bind_opt(3, port).bind(4, field_str(r, "service")).bind(5, field_str(r, "check_id"))
        .bind(6, field_str(r, "severity")).bind(7, field_str(r, "title")).bind(8, field_str(r, "title_ja"))
        .bind(9, ev != r.end() ? ev->dump(-1, ' ', false, json::error_handler_t::replace) : std::string("{}"));
    if (!s.run()) return fail("insert finding");
  } else if (type == "device") {
    auto conf = r.find("confidence");
    Stmt s(*db_, "UPDATE hosts SET category=?, vendor=?, model=?, firmware=?, confidence=?, connection_form=? "
                "WHERE scan_id=? AND ip=?");
    s.bind(1, field_str(r, "category")).bind(2, field_str(r, "vendor")).bind(3, field_str(r, "model")).bind(4, field_str(r, "firmware"));
    if (conf != r.end() && conf->is_number()) s.bind(5, conf->get<double>());
    else s.bind_null(5);
    s.bind(6, field_str(r, "connection_form")).bind(7, scan).bind(8, ip);
    if (!s.run()) return fail("update host");
    Stmt d(*db_, "UPDATE devices SET category=?, vendor=nullif(?, ''), model=nullif(?, '') WHERE device_id="
                "(SELECT device_id FROM hosts WHERE scan_id=? AND ip=?)");
    d.bind(1, field_str(r, "category")).bind(2, field_str(r, "vendor")).bind(3, field_str(r, "model")).bind(4, scan).bind(5, ip);
    if (!d.run()) return fail("update device");
  } else if (type == "verdict") {
    Stmt s(*db_, "INSERT INTO verdicts(scan_id, ip, requirement, status, reason) VALUES(?, ?, ?, ?, ?)");
    s.bind(1, scan).bind(2, ip).bind(3, field_str(r, "requirement")).bind(4, field_str(r, "status")).bind(5, field_str(r, "reason"));
    if (!s.run()) return fail("insert verdict");
  } else if (type == "credential") {
    Stmt s(*db_, "INSERT INTO credentials(scan_id, ip, port, service, outcome, username, password, list) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, scan).bind(2, ip).bind_opt(3, port).bind(4, field_str(r, "service")).bind(5, field_str(r, "outcome"))
        .bind(6, field_str(r, "username")).bind(7, field_str(r, "password")).bind(8, field_str(r, "list"));
    if (!s.run()) return fail("insert credential");
  } else if (type == "tls") {
    std::string spki, sha, versions;
    if (auto c = r.find("cert"); c != r.end() && c->is_object()) {
      spki = field_str(*c, "spki_sha256");
      sha = field_str(*c, "sha256");
    }
    if (auto v = r.find("versions"); v != r.end()) versions = v->dump(-1, ' ', false, json::error_handler_t::replace);
    Stmt s(*db_, "INSERT INTO tls(scan_id, ip, port, spki_sha256, cert_sha256, versions) "
                "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(scan_id, ip, port) DO UPDATE SET "
                "spki_sha256=excluded.spki_sha256, cert_sha256=excluded.cert_sha256, versions=excluded.versions");
    s.bind(1, scan).bind(2, ip).bind_opt(3, port.value_or(0)).bind(4, spki).bind(5, sha).bind(6, versions);
    if (!s.run()) return fail("insert tls");
  }
  return true;
}

std::vector<ScanRow> Store::scans() {
  std::lock_guard lock(mu_);
  std::vector<ScanRow> out;
  Stmt s(*db_,
         "SELECT s.scan_id, coalesce(s.started,''), coalesce(s.ended,''), coalesce(s.vantage,''), "
         "coalesce(s.version,''), coalesce(s.targets,''), s.complete, "
         "(SELECT count(*) FROM hosts h WHERE h.scan_id=s.scan_id), "
         "(SELECT count(*) FROM hosts h WHERE h.scan_id=s.scan_id AND h.category IS NOT NULL), "
         "(SELECT count(*) FROM ports p WHERE p.scan_id=s.scan_id AND p.state='open'), "
         "(SELECT count(*) FROM findings f WHERE f.scan_id=s.scan_id) "
         "FROM scans s ORDER BY coalesce(s.started,''), s.rowid");
  while (s.row()) {
    ScanRow r;
    r.scan_id = s.text(0);
    r.started = s.text(1);
    r.ended = s.text(2);
    r.vantage = s.text(3);
    r.version = s.text(4);
    r.targets = s.text(5);
    if (!s.null(6)) r.complete = s.i64(6) != 0;
    r.hosts = s.i64(7);
    r.devices = s.i64(8);
    r.open_ports = s.i64(9);
    r.findings = s.i64(10);
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<std::string> Store::latest_scan(int back) {
  std::lock_guard lock(mu_);
  Stmt s(*db_, "SELECT scan_id FROM scans ORDER BY coalesce(started,'') DESC, rowid DESC LIMIT 1 OFFSET ?");
  s.bind(1, int64_t{back});
  if (s.row()) return s.text(0);
  return std::nullopt;
}

bool Store::has_scan(const std::string& scan_id) {
  std::lock_guard lock(mu_);
  Stmt s(*db_, "SELECT 1 FROM scans WHERE scan_id=?");
  s.bind(1, scan_id);
  return s.row();
}

std::vector<nlohmann::json> Store::records(const std::string& scan_id) {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  Stmt s(*db_, "SELECT data FROM records WHERE scan_id=? ORDER BY id");
  s.bind(1, scan_id);
  while (s.row()) {
    json j = json::parse(s.text(0), nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

int64_t Store::device_of(const std::string& scan_id, const std::string& ip) {
  std::lock_guard lock(mu_);
  Stmt s(*db_, "SELECT device_id FROM hosts WHERE scan_id=? AND ip=?");
  s.bind(1, scan_id).bind(2, ip);
  return s.row() ? s.i64(0) : 0;
}

Expected<std::pair<std::string, std::string>> Store::locate(const std::string& device, const std::string& scan_id) {
  const bool by_id = !device.empty() && device.size() <= 18 &&
                     std::all_of(device.begin(), device.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!scan_id.empty() && !has_scan(scan_id)) return make_error("no scan '" + scan_id + "' in the store (see: mamori scans)");
  std::lock_guard lock(mu_);
  std::string sql = "SELECT h.scan_id, h.ip FROM hosts h JOIN scans s ON s.scan_id=h.scan_id WHERE ";
  sql += by_id ? "h.device_id=?" : "h.ip=?";
  if (!scan_id.empty()) sql += " AND h.scan_id=?";
  sql += " ORDER BY coalesce(s.started,'') DESC, s.rowid DESC LIMIT 1";
  Stmt s(*db_, sql.c_str());
  if (by_id) s.bind(1, static_cast<int64_t>(std::stoll(device)));
  else s.bind(1, device);
  if (!scan_id.empty()) s.bind(2, scan_id);
  if (s.row()) return std::make_pair(s.text(0), s.text(1));
  const std::string what = by_id ? "device " + device : "no device at " + device;
  return make_error((by_id ? "no " + what : what) + (scan_id.empty() ? " in any scan" : " in scan " + scan_id) +
                    " of the store (see: mamori devices)");
}

Expected<std::vector<DeviceRow>> Store::devices(const Filter& f) {
  std::optional<Network> net;
  if (!f.network.empty()) {
    net = Network::parse(f.network);
    if (!net) return make_error("invalid network '" + f.network + "': expected a CIDR such as 192.0.2.0/24");
  }
  std::lock_guard lock(mu_);
  std::vector<DeviceRow> out;
  // With a scan: the devices seen in it, as seen there; without: every device as last seen.
  const char* sql = f.scan_id.empty()
      ? "SELECT d.device_id, coalesce(d.last_ip,''), coalesce(d.category,''), coalesce(d.vendor,''), "
        "coalesce(d.model,''), coalesce(d.first_seen,''), coalesce(d.last_seen,''), "
        "(SELECT count(DISTINCT scan_id) FROM hosts h WHERE h.device_id=d.device_id) FROM devices d "
        "ORDER BY d.device_id"
      : "SELECT d.device_id, h.ip, coalesce(h.category,''), coalesce(h.vendor,''), coalesce(h.model,''), "
        "coalesce(d.first_seen,''), coalesce(d.last_seen,''), "
        "(SELECT count(DISTINCT scan_id) FROM hosts o WHERE o.device_id=d.device_id) "
        "FROM hosts h JOIN devices d ON d.device_id=h.device_id WHERE h.scan_id=? ORDER BY d.device_id";
  Stmt s(*db_, sql);
  if (!f.scan_id.empty()) s.bind(1, f.scan_id);
  while (s.row()) {
    DeviceRow r;
    r.device_id = s.i64(0);
    r.ip = s.text(1);
    r.category = s.text(2);
    r.vendor = s.text(3);
    r.model = s.text(4);
    r.first_seen = s.text(5);
    r.last_seen = s.text(6);
    r.scans = s.i64(7);
    if (!f.category.empty() && r.category != f.category) continue;
    if (net && !net->contains(r.ip)) continue;
    out.push_back(std::move(r));
  }
  for (auto& r : out) r.keys = keys_of_locked(r.device_id);
  return out;
}

Expected<std::vector<FindingRow>> Store::findings(const Filter& f) {
  std::optional<Network> net;
  if (!f.network.empty()) {
    net = Network::parse(f.network);
    if (!net) return make_error("invalid network '" + f.network + "': expected a CIDR such as 192.0.2.0/24");
  }
  std::string scan = f.scan_id;
  if (scan.empty()) {
    auto l = latest_scan();
    if (!l) return std::vector<FindingRow>{};
    scan = *l;
  }
  std::lock_guard lock(mu_);
  std::vector<FindingRow> out;
  Stmt s(*db_,
         "SELECT f.scan_id, f.ip, f.port, coalesce(f.check_id,''), coalesce(f.severity,''), coalesce(f.service,''), "
         "coalesce(f.title,''), coalesce(f.title_ja,''), coalesce(h.category,''), coalesce(h.device_id,0), "
         "coalesce(f.evidence,'{}'), coalesce(s.started,'') "
         "FROM findings f LEFT JOIN hosts h ON h.scan_id=f.scan_id AND h.ip=f.ip "
         "LEFT JOIN scans s ON s.scan_id=f.scan_id WHERE f.scan_id=? ORDER BY f.id");
  s.bind(1, scan);
  while (s.row()) {
    FindingRow r;
    r.scan_id = s.text(0);
    r.ip = s.text(1);
    if (!s.null(2)) r.port = static_cast<int>(s.i64(2));
    r.check_id = s.text(3);
    r.severity = s.text(4);
    r.service = s.text(5);
    r.title = s.text(6);
    r.title_ja = s.text(7);
    r.category = s.text(8);
    r.device_id = s.i64(9);
    r.evidence = s.text(10);
    r.time = s.text(11);
    if (!f.category.empty() && r.category != f.category) continue;
    if (!f.severity.empty() && r.severity != f.severity) continue;
    if (!f.check_id.empty() && r.check_id != f.check_id) continue;
    if (net && !net->contains(r.ip)) continue;
    out.push_back(std::move(r));
  }
  return out;
}

Expected<DiffResult> Store::diff(const std::string& scan_a, const std::string& scan_b) {
  if (!has_scan(scan_a)) return make_error("no scan '" + scan_a + "' in the store (see: mamori scans)");
  if (!has_scan(scan_b)) return make_error("no scan '" + scan_b + "' in the store (see: mamori scans)");
  Filter fa, fb;
  fa.scan_id = scan_a;
  fb.scan_id = scan_b;
  auto da = devices(fa), db = devices(fb);
  if (!da) return da.error();
  if (!db) return db.error();
  DiffResult out;
  out.scan_a = scan_a;
  out.scan_b = scan_b;
  std::set<int64_t> in_a, in_b;
  for (const auto& d : *da) in_a.insert(d.device_id);
  for (const auto& d : *db) in_b.insert(d.device_id);
  for (const auto& d : *db) if (!in_a.count(d.device_id)) out.new_devices.push_back(d);
  for (const auto& d : *da) if (!in_b.count(d.device_id)) out.gone_devices.push_back(d);

  std::lock_guard lock(mu_);
  // Ports and findings are compared on the devices present in both scans.
  using PortKey = std::tuple<int64_t, int, std::string>;
  auto ports_of = [&](const std::string& scan) {
    std::map<PortKey, DiffPort> m;
    Stmt s(*db_, "SELECT h.device_id, p.ip, p.port, p.proto, coalesce(v.service,'') FROM ports p "
                "JOIN hosts h ON h.scan_id=p.scan_id AND h.ip=p.ip "
                "LEFT JOIN services v ON v.scan_id=p.scan_id AND v.ip=p.ip AND v.port=p.port AND v.proto=p.proto "
                "WHERE p.scan_id=? AND p.state='open'");
    s.bind(1, scan);
    while (s.row()) {
      DiffPort p{s.i64(0), s.text(1), s.text(3), s.text(4), static_cast<int>(s.i64(2))};
      m.emplace(PortKey{p.device_id, p.port, p.proto}, p);
    }
    return m;
  };
  using FindKey = std::tuple<int64_t, std::string, int>;
  auto findings_of = [&](const std::string& scan) {
    std::map<FindKey, DiffFinding> m;
    Stmt s(*db_, "SELECT h.device_id, f.ip, f.check_id, f.severity, f.port FROM findings f "
                "JOIN hosts h ON h.scan_id=f.scan_id AND h.ip=f.ip WHERE f.scan_id=?");
    s.bind(1, scan);
    while (s.row()) {
      DiffFinding d{s.i64(0), s.text(1), s.text(2), s.text(3), std::nullopt};
      if (!s.null(4)) d.port = static_cast<int>(s.i64(4));
      m.emplace(FindKey{d.device_id, d.check_id, d.port.value_or(-1)}, d);
    }
    return m;
  };
  auto pa = ports_of(scan_a), pb = ports_of(scan_b);
  for (const auto& [k, p] : pb)
    if (in_a.count(p.device_id) && !pa.count(k)) out.opened.push_back(p);
  for (const auto& [k, p] : pa)
    if (in_b.count(p.device_id) && !pb.count(k)) out.closed.push_back(p);
  auto fa2 = findings_of(scan_a), fb2 = findings_of(scan_b);
  for (const auto& [k, f] : fb2)
    if (in_a.count(f.device_id) && !fa2.count(k)) out.new_findings.push_back(f);
  for (const auto& [k, f] : fa2)
    if (in_b.count(f.device_id) && !fb2.count(k)) out.fixed_findings.push_back(f);
  return out;
}

void Store::describe_locked(KeySighting& k) {
  for (const auto& key : keys_of_locked(k.device_id)) {
    const std::string kind = key.substr(0, key.find(':'));
    if (single_valued(kind)) k.identity.push_back(key);
  }
  Stmt s(*db_, "SELECT coalesce(vendor,''), coalesce(model,'') FROM devices WHERE device_id=?");
  s.bind(1, k.device_id);
  if (s.row()) {
    k.vendor = s.text(0);
    k.model = s.text(1);
  }
}

namespace {
// Sightings of one key as (device, address, port, scan, scan start), oldest scan first.
const char* const kKeySightingsSql =
    "SELECT h.device_id, k.ip, k.port, k.scan_id, coalesce(s.started,'') FROM key_sightings k "
    "JOIN hosts h ON h.scan_id=k.scan_id AND h.ip=k.ip JOIN scans s ON s.scan_id=k.scan_id "
    "WHERE k.kind=? AND k.value=? ORDER BY coalesce(s.started,''), s.rowid, k.ip, k.port";

// One row of kKeySightingsSql.
KeySighting sighting_of(Stmt& s) {
  KeySighting k;
  k.device_id = s.i64(0);
  k.ip = s.text(1);
  k.port = static_cast<int>(s.i64(2));
  k.scan_id = s.text(3);
  k.seen = s.text(4);
  return k;
}
}  // namespace

std::vector<SharedKeyHit> Store::shared_keys_across_scans(const std::string& scan_id) {
  std::lock_guard lock(mu_);
  std::vector<SharedKeyHit> hits;
  {
    Stmt s(*db_, "SELECT k.ip, min(k.port), k.kind, k.value, h.device_id FROM key_sightings k "
                "JOIN hosts h ON h.scan_id=k.scan_id AND h.ip=k.ip WHERE k.scan_id=? AND k.kind IN ('spki','ssh') "
                "GROUP BY k.ip, k.kind, k.value, h.device_id");
    s.bind(1, scan_id);
    while (s.row()) {
      SharedKeyHit h;
      h.ip = s.text(0);
      h.port = static_cast<int>(s.i64(1));
      h.kind = s.text(2);
      h.value = s.text(3);
      h.device_id = s.i64(4);
      hits.push_back(std::move(h));
    }
  }
  std::vector<SharedKeyHit> out;
  for (auto& h : hits) {
    std::set<int64_t> here;  // devices with the key in this scan: the scan's own fleet view
    std::map<int64_t, KeySighting> latest;
    std::vector<int64_t> order;
    Stmt s(*db_, kKeySightingsSql);
    s.bind(1, h.kind).bind(2, h.value);
    std::vector<KeySighting> rows;
    bool reached = false;  // rows come scan by scan, oldest first: after this scan's, later scans'
    while (s.row()) {
      KeySighting k = sighting_of(s);
      if (k.scan_id == scan_id) {
        reached = true;
        here.insert(k.device_id);
      } else if (!reached) {
        rows.push_back(std::move(k));
      }
    }
    for (auto& k : rows) {
      if (k.device_id == h.device_id || here.count(k.device_id)) continue;
      if (!latest.count(k.device_id)) order.push_back(k.device_id);
      latest[k.device_id] = std::move(k);
    }
    if (order.empty()) continue;
    for (int64_t dev : order) {
      auto& k = latest[dev];
      describe_locked(k);
      h.others.push_back(std::move(k));
    }
    Stmt sv(*db_, "SELECT coalesce(service,'') FROM services WHERE scan_id=? AND ip=? AND port=? ORDER BY proto DESC");
    sv.bind(1, scan_id).bind(2, h.ip).bind(3, int64_t{h.port});
    if (sv.row()) h.service = sv.text(0);
    out.push_back(std::move(h));
  }
  std::sort(out.begin(), out.end(), [](const SharedKeyHit& a, const SharedKeyHit& b) {
    return std::tie(a.ip, a.port, a.kind, a.value) < std::tie(b.ip, b.port, b.kind, b.value);
  });
  return out;
}

std::vector<KeyRow> Store::keys(bool shared_only) {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, std::string>> all;
  {
    Stmt s(*db_, "SELECT DISTINCT kind, value FROM key_sightings WHERE kind IN ('spki','ssh')");
    while (s.row()) all.emplace_back(s.text(0), s.text(1));
  }
  std::sort(all.begin(), all.end());
  std::vector<KeyRow> out;
  for (const auto& [kind, value] : all) {
    KeyRow row{kind, value, {}};
    std::map<int64_t, size_t> at;  // device -> index in row.devices
    Stmt s(*db_, kKeySightingsSql);
    s.bind(1, kind).bind(2, value);
    while (s.row()) {
      KeySighting k = sighting_of(s);
      auto it = at.find(k.device_id);
      if (it == at.end()) {
        at.emplace(k.device_id, row.devices.size());
        row.devices.push_back(std::move(k));
      } else {
        row.devices[it->second] = std::move(k);  // its latest sighting
      }
    }
    if (row.devices.empty() || (shared_only && row.devices.size() < 2)) continue;
    for (auto& k : row.devices) describe_locked(k);
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<nlohmann::json> fleet_finding_records(const std::string& scan_id, const std::vector<SharedKeyHit>& hits,
                                                  const CheckCatalog& catalog) {
  std::vector<json> out;
  for (const auto& h : hits) {
    auto ip = Ip::parse(h.ip);
    if (!ip) continue;
    json others = json::array();
    for (const auto& k : h.others) {
      json o = {{"ip", k.ip}, {"port", k.port}, {"device_id", k.device_id}, {"scan_id", k.scan_id}, {"seen", k.seen},
                {"identity", k.identity}};
      if (!k.vendor.empty()) o["vendor"] = k.vendor;
      if (!k.model.empty()) o["model"] = k.model;
      others.push_back(std::move(o));
    }
    std::optional<uint16_t> port;
    if (h.port > 0 && h.port <= 65535) port = static_cast<uint16_t>(h.port);
    Finding f = make_finding(catalog, "shared-private-key", *ip, port, h.service,
                             {{"key_kind", h.kind == "ssh" ? "ssh-host-key" : "tls-spki"},
                              {"key_sha256", h.value},
                              {"across_scans", true},
                              {"device_id", h.device_id},
                              {"also_on", others}});
    out.push_back(finding_record(scan_id, f));
  }
  return out;
}

void StoreWriter::write(const nlohmann::json& record) {
  auto r = store_->ingest(record);
  if (r) return;
  std::lock_guard lock(mu_);
  if (failures_++ == 0) std::fprintf(stderr, "mamori: store: %s (further store errors are counted)\n", r.error().message.c_str());
}

uint64_t StoreWriter::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

std::optional<Network> Network::parse(const std::string& text) {
  // One token: no lists, no host names (no resolver), no @files (no reader).
  if (text.empty() || text.find_first_of(", \t#@") != std::string::npos) return std::nullopt;
  TargetParseOptions opt;
  opt.max_addresses = ~u128{0};
  Targets t;
  if (!parse_targets({text}, opt, t)) return std::nullopt;
  const auto& ranges = t.set.ranges();
  if (ranges.size() != 1) return std::nullopt;
  return Network{ranges.front()};
}

bool Network::contains(const std::string& ip) const {
  auto a = Ip::parse(ip);
  return a && a->value() >= range.first && a->value() <= range.last;
}

}  // namespace mamori::store
