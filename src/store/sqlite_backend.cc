// The SQLite backend of the store (backend.h): a file in WAL mode, or ":memory:".
#include <sqlite3.h>

#include <filesystem>

#include "store/backend.h"

namespace mamori::store {
namespace {

std::string errmsg(sqlite3* db) { return db ? sqlite3_errmsg(db) : "out of memory"; }

class SqliteQuery : public Query {
 public:
  SqliteQuery(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK) {
      s_ = nullptr;
      ok_ = false;
    }
  }
  ~SqliteQuery() override { sqlite3_finalize(s_); }
  Query& bind(int i, const std::string& v) override {
    if (s_) sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind(int i, int64_t v) override {
    if (s_) sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Query& bind(int i, double v) override {
    if (s_) sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Query& bind_null(int i) override {
    if (s_) sqlite3_bind_null(s_, i);
    return *this;
  }
  bool next() override {
    if (!s_ || done_) return false;
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    done_ = true;
    if (rc != SQLITE_DONE) ok_ = false;
    return false;
  }
  bool ok() const override { return ok_; }
  std::string text(int col) override {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s_, col)) : "";
  }
  int64_t i64(int col) override { return sqlite3_column_int64(s_, col); }
  bool null(int col) override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = true, done_ = false;
};

class SqliteBackend : public Backend {
 public:
  explicit SqliteBackend(sqlite3* db) : db_(db) {}
  ~SqliteBackend() override { sqlite3_close(db_); }
  const char* kind() const override { return "sqlite"; }
  std::unique_ptr<Query> prepare(const std::string& sql) override { return std::make_unique<SqliteQuery>(db_, sql); }
  Expected<bool> exec(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : errmsg(db_);
      sqlite3_free(err);
      return make_error(m);
    }
    return true;
  }
  // IMMEDIATE: the write lock is taken at BEGIN, so two writers never interleave a read and a
  // write (the busy timeout makes the second one wait).
  Expected<bool> begin_write() override { return exec("BEGIN IMMEDIATE"); }
  bool has_table(const std::string& name) override {
    SqliteQuery q(db_, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?");
    q.bind(1, name);
    return q.next() && q.i64(0) > 0;
  }
  std::string error() override { return errmsg(db_); }

 private:
  sqlite3* db_;
};

}  // namespace

Expected<std::unique_ptr<Backend>> open_sqlite(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p(path);
  if (path != ":memory:" && p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string m = errmsg(db);
    sqlite3_close(db);
    return make_error("cannot open database '" + path + "': " + m);
  }
  sqlite3_busy_timeout(db, 10000);
  auto b = std::make_unique<SqliteBackend>(db);
  // WAL: readers never block the scan that writes; synchronous=NORMAL keeps every committed
  // transaction across a process crash (fsync only at checkpoints).
  if (auto r = b->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"); !r) {
    return make_error("cannot open database '" + path + "': " + r.error().message);
  }
  return std::unique_ptr<Backend>(std::move(b));
}

}  // namespace mamori::store
