// The database under the store: one small interface that SQLite (a file, the default) and
// PostgreSQL (`postgresql://...`, for teams and many scanners writing at once) both implement,
// so that every query of src/store/store.cc is written once.
//
// Contract:
// - SQL given to prepare() is the common dialect of SQLite >= 3.35 and PostgreSQL >= 10: `?`
//   placeholders (numbered from 1 in bind()), `INSERT ... ON CONFLICT ... DO UPDATE/NOTHING`,
//   `RETURNING`, coalesce/nullif/count, `LIMIT ? OFFSET ?`. Tables that the query code orders by
//   insertion (`scans`, `hosts`) have a `rowid` column on both (SQLite's own, a BIGSERIAL on
//   PostgreSQL: see ddl()).
// - A Backend is one connection and is not thread-safe: its owner (Store) serialises calls.
// - begin_write() starts a transaction that excludes every other writer of the same database
//   (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so the
//   read-then-write identity logic of the store behaves the same on both.
// - Failures are values: a Query whose statement failed answers next() == false and ok() ==
//   false, and Backend::error() says why. Nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/expected.h"

namespace mamori::store {

class Query {
 public:
  virtual ~Query() = default;
  virtual Query& bind(int i, const std::string& v) = 0;
  virtual Query& bind(int i, int64_t v) = 0;
  virtual Query& bind(int i, double v) = 0;
  virtual Query& bind_null(int i) = 0;
  Query& bind_opt(int i, const std::optional<int64_t>& v) { return v ? bind(i, *v) : bind_null(i); }
  // Executes the statement on the first call; true while a result row is available.
  virtual bool next() = 0;
  // False once the statement failed (to prepare or to run).
  virtual bool ok() const = 0;
  // Columns of the current row, from 0. NULL reads as "" / 0.
  virtual std::string text(int col) = 0;
  virtual int64_t i64(int col) = 0;
  virtual bool null(int col) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* kind() const = 0;  // "sqlite" or "postgresql"
  virtual std::unique_ptr<Query> prepare(const std::string& sql) = 0;
  // One or more statements without parameters.
  virtual Expected<bool> exec(const std::string& sql) = 0;
  virtual Expected<bool> begin_write() = 0;
  virtual bool has_table(const std::string& name) = 0;
  // The last error of this connection.
  virtual std::string error() = 0;
  // The schema DDL (written in SQLite's dialect, store.cc) in this backend's dialect.
  virtual std::string ddl(const std::string& sqlite_ddl) const { return sqlite_ddl; }
};

// `s` as PostgreSQL's text type can hold it: NUL bytes dropped, every byte that is not part of
// a valid UTF-8 sequence (overlong forms, surrogates and code points above U+10FFFF included)
// replaced by U+FFFD. Valid UTF-8 without NUL is returned unchanged.
std::string valid_utf8_text(const std::string& s);

// True for "postgresql://..." and "postgres://..." (libpq connection URIs).
bool is_postgres_uri(const std::string& db);
// The database name for messages: a PostgreSQL URI without its password.
std::string display_name(const std::string& db);

// A file (created with its parent directory when missing), WAL mode, 10 s busy timeout; or
// ":memory:".
Expected<std::unique_ptr<Backend>> open_sqlite(const std::string& path);
// A libpq connection URI (10 s connect timeout unless the URI says otherwise).
Expected<std::unique_ptr<Backend>> open_postgres(const std::string& uri);

}  // namespace mamori::store
