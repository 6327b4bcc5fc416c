// The PostgreSQL backend of the store (backend.h), over libpq: the same schema and queries as
// SQLite, for a team's shared database that many scanners write at once.
//
// Parameters travel as text and PostgreSQL infers their types from the statement. Text that
// PostgreSQL's UTF-8 text type cannot hold (NUL bytes, invalid UTF-8 from a device) is made
// valid before it is sent: NUL is dropped and each invalid byte becomes U+FFFD, as the JSON
// text of the record already is (nlohmann's dump with error_handler_t::replace).
#include <libpq-fe.h>

#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "store/backend.h"

namespace mamori::store {
namespace {

// Any constant: the advisory lock every Mamori writer of a database takes in begin_write().
constexpr int64_t kWriteLock = 0x6d616d6f7269;  // "mamori"
// A writer waits for another at most this long (SQLite's busy timeout is 10 s).
constexpr const char* kSessionSettings = "SET lock_timeout = '30s'";

}  // namespace

std::string valid_utf8_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c == 0) {
      ++i;
      continue;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07;
    bool good = len != 0 && i + len <= n;
    for (size_t k = 1; good && k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) good = false;
      else cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    // No overlong forms, surrogates or code points above U+10FFFF.
    if (good && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                 (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)) {
      good = false;
    }
    if (good) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

namespace {

// `?` placeholders to `$1`, `$2`... (outside quoted literals and identifiers).
std::string numbered(const std::string& sql) {
  std::string out;
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out.push_back(c);
    } else if (c == '\'' || c == '"') {
      quote = c;
      out.push_back(c);
    } else if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string trimmed(const char* m) {
  std::string s = m ? m : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class PgQuery : public Query {
 public:
  PgQuery(PGconn* conn, std::string* last_error, const std::string& sql)
      : conn_(conn), last_error_(last_error), sql_(numbered(sql)) {}
  ~PgQuery() override { PQclear(res_); }
  Query& bind(int i, const std::string& v) override { return set(i, valid_utf8_text(v)); }
  Query& bind(int i, int64_t v) override { return set(i, std::to_string(v)); }
  Query& bind(int i, double v) override { return set(i, fmt::format("{}", v)); }
  Query& bind_null(int i) override { return set(i, std::nullopt); }
  bool next() override {
    if (!ran_) {
      ran_ = true;
      std::vector<const char*> values;
      for (const auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
      res_ = PQexecParams(conn_, sql_.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                          nullptr, 0);
      auto st = PQresultStatus(res_);
      if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        ok_ = false;
        *last_error_ = trimmed(res_ ? PQresultErrorMessage(res_) : PQerrorMessage(conn_));
        return false;
      }
      rows_ = PQntuples(res_);
      row_ = -1;
    }
    if (!ok_) return false;
    return ++row_ < rows_;
  }
  bool ok() const override { return ok_; }
  std::string text(int col) override {
    if (!valid(col) || PQgetisnull(res_, row_, col)) return "";
    return std::string(PQgetvalue(res_, row_, col), PQgetlength(res_, row_, col));
  }
  int64_t i64(int col) override {
    if (!valid(col) || PQgetisnull(res_, row_, col)) return 0;
    return std::strtoll(PQgetvalue(res_, row_, col), nullptr, 10);
  }
  bool null(int col) override { return !valid(col) || PQgetisnull(res_, row_, col); }

 private:
  Query& set(int i, std::optional<std::string> v) {
    if (i < 1 || i > 1000) return *this;
    if (params_.size() < static_cast<size_t>(i)) params_.resize(i);
    params_[i - 1] = std::move(v);
    return *this;
  }
  bool valid(int col) const { return res_ && row_ >= 0 && row_ < rows_ && col >= 0 && col < PQnfields(res_); }

  PGconn* conn_;
  std::string* last_error_;
  std::string sql_;
  std::vector<std::optional<std::string>> params_;
  PGresult* res_ = nullptr;
  bool ran_ = false, ok_ = true;
  int rows_ = 0, row_ = -1;
};

class PgBackend : public Backend {
 public:
  explicit PgBackend(PGconn* c) : conn_(c) {}
  ~PgBackend() override { PQfinish(conn_); }
  const char* kind() const override { return "postgresql"; }
  std::unique_ptr<Query> prepare(const std::string& sql) override {
    return std::make_unique<PgQuery>(conn_, &last_error_, sql);
  }
  Expected<bool> exec(const std::string& sql) override {
    PGresult* r = PQexec(conn_, sql.c_str());
    auto st = PQresultStatus(r);
    bool good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
    if (!good) last_error_ = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    PQclear(r);
    if (!good) return make_error(last_error_);
    return true;
  }
  Expected<bool> begin_write() override {
    // A connection the server dropped (a restart) is re-established once per transaction.
    if (PQstatus(conn_) == CONNECTION_BAD) {
      PQreset(conn_);
      if (PQstatus(conn_) != CONNECTION_OK) return make_error("connection lost: " + trimmed(PQerrorMessage(conn_)));
      (void)exec(kSessionSettings);
    }
    auto r = exec("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kWriteLock) + ")");
    if (!r) (void)exec("ROLLBACK");  // the lock was not had (lock_timeout): leave no open transaction
    return r;
  }
  bool has_table(const std::string& name) override {
    // A query of the catalog as a table sees what other sessions committed by the time it runs
    // (read committed); to_regclass() reads this session's catalog cache, which can still say
    // "no such table" after another process created it while we waited for the write lock.
    PgQuery q(conn_, &last_error_,
              "SELECT count(*) > 0 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?");
    q.bind(1, name);
    return q.next() && q.text(0) == "t";
  }
  std::string error() override { return last_error_.empty() ? trimmed(PQerrorMessage(conn_)) : last_error_; }
  // Same tables, columns and keys; PostgreSQL's types, and an explicit `rowid` where the queries
  // order by insertion.
  std::string ddl(const std::string& sql) const override {
    std::string s = sql;
    auto replace_all = [&s](const std::string& from, const std::string& to) {
      for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
    };
    replace_all("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY");
    replace_all("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY");
    replace_all("INTEGER", "BIGINT");
    replace_all(" REAL", " DOUBLE PRECISION");
    replace_all("CREATE TABLE scans(", "CREATE TABLE scans(rowid BIGSERIAL, ");
    replace_all("CREATE TABLE hosts(", "CREATE TABLE hosts(rowid BIGSERIAL, ");
    return s;
  }

 private:
  PGconn* conn_;
  std::string last_error_;
};

void quiet(void*, const char*) {}

// A `password=` query parameter of a URI as `password=***`.
std::string redact_query(std::string s) {
  size_t q = s.find('?');
  for (size_t pos = q; pos != std::string::npos && pos < s.size(); pos = s.find('&', pos + 1)) {
    if (s.compare(pos + 1, 9, "password=") == 0) {
      size_t v = pos + 10, end = s.find('&', v);
      s.replace(v, (end == std::string::npos ? s.size() : end) - v, "***");
    }
  }
  return s;
}

}  // namespace

Expected<std::unique_ptr<Backend>> open_postgres(const std::string& uri) {
  // connect_timeout first: a value in the URI overrides it.
  const char* keys[] = {"connect_timeout", "dbname", "client_encoding", "application_name", nullptr};
  const char* values[] = {"10", uri.c_str(), "UTF8", "mamori", nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c) return make_error("cannot open database '" + display_name(uri) + "': out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string m = trimmed(PQerrorMessage(c));
    PQfinish(c);
    return make_error("cannot open database '" + display_name(uri) + "': " + m);
  }
  PQsetNoticeProcessor(c, quiet, nullptr);
  auto b = std::make_unique<PgBackend>(c);
  if (auto r = b->exec(kSessionSettings); !r) {
    return make_error("cannot open database '" + display_name(uri) + "': " + r.error().message);
  }
  return std::unique_ptr<Backend>(std::move(b));
}

bool is_postgres_uri(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

std::string display_name(const std::string& db) {
  if (!is_postgres_uri(db)) return db;
  // scheme://user:password@host/... -> scheme://user:***@host/...
  size_t start = db.find("://") + 3;
  size_t at = db.find('@', start);
  size_t slash = db.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) {
    // No userinfo; a password may still be a query parameter.
  } else {
    size_t colon = db.find(':', start);
    if (colon != std::string::npos && colon < at) return redact_query(db.substr(0, colon + 1) + "***" + db.substr(at));
  }
  return redact_query(db);
}

}  // namespace mamori::store
