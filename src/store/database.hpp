// The one database port. Two real backends implement it: SQLite (embedded, the default) and
// PostgreSQL (libpq, for several nodes). Callers write SQL with $1..$n placeholders in both; the
// SQLite backend rewrites them. Statements are prepared once per connection and cached by text.
//
// A Connection is used by one thread at a time. Failures of the database itself (I/O, lost
// connection, constraint violations, lock conflicts) are thrown as store::Error; callers that can
// retry (serialization failures, busy) look at Error::kind().
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include "core/int128.hpp"

namespace cambista::store {

enum class Backend { kSqlite, kPostgres };

std::string_view BackendName(Backend backend);  // "sqlite" | "postgresql"

class Error : public std::runtime_error {
 public:
  enum class Kind {
    kOther,
    kConnection,  // cannot reach or lost the database
    kConstraint,  // unique / check / foreign key violation
    kRetryable,   // serialization failure, deadlock, SQLITE_BUSY: run the transaction again
  };
  Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Tags for the typed parameters below.
struct Null {};
struct Blob {
  std::string_view bytes;
};
// A 128-bit id: BLOB(16) big-endian in SQLite, uuid in PostgreSQL. Both sort like the number.
struct Id {
  u128 value;
};
// A 128-bit signed integer (money in minor units, ledger balances): TEXT decimal in SQLite,
// NUMERIC(39,0) in PostgreSQL.
struct Int128 {
  i128 value;
};

using Param = std::variant<Null, int64_t, std::string_view, Blob, Id, Int128>;

// One result row; valid only inside the callback that receives it.
class Row {
 public:
  virtual ~Row() = default;
  virtual int ColumnCount() const = 0;
  virtual bool IsNull(int column) const = 0;
  virtual int64_t Int64(int column) const = 0;
  virtual std::string_view Text(int column) const = 0;
  virtual std::string Bytes(int column) const = 0;  // BLOB / bytea
  virtual u128 Id(int column) const = 0;
  virtual i128 Int128(int column) const = 0;
};

using RowCallback = std::function<void(const Row&)>;

// One statement of Connection::RunPipelined: run as Execute when on_row is null, else as Query.
struct Statement {
  std::string_view sql;
  std::span<const Param> params;
  const RowCallback* on_row = nullptr;
};

// Makes what a connection committed durable, apart from the commit itself (see
// Connection::DeferDurability). Thread-safe; may run while the connection commits more.
class DeferredDurability {
 public:
  virtual ~DeferredDurability() = default;
  // Returns once everything committed on the connection before the call is on disk. Throws
  // store::Error if the disk cannot say so (then nothing after the last success is known durable).
  virtual void SyncCommitted() = 0;
};

enum class TransactionMode {
  // PostgreSQL: BEGIN, sent with the transaction's first statement (one round trip fewer)
  kRead,   // SQLite: BEGIN (deferred)
  kWrite,  // SQLite: BEGIN IMMEDIATE (takes the write lock now, no upgrade deadlocks)
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;

  // Runs one statement; returns the number of rows changed.
  virtual int64_t Execute(std::string_view sql, std::span<const Param> params) = 0;
  int64_t Execute(std::string_view sql, std::initializer_list<Param> params = {}) {
    return Execute(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Runs one statement and calls on_row for every row it returns.
  virtual void Query(std::string_view sql, std::span<const Param> params,
                     const RowCallback& on_row) = 0;
  void Query(std::string_view sql, std::initializer_list<Param> params, const RowCallback& on_row) {
    Query(sql, std::span<const Param>(params.begin(), params.size()), on_row);
  }
  // Several statements separated by ';', no parameters (migrations).
  virtual void ExecuteScript(std::string_view sql) = 0;
  // Runs `statements` in order, as Execute/Query one after another would; where the backend can
  // (PostgreSQL's pipeline mode) all are sent before any answer is read, so they cost one round
  // trip instead of one each. The first that fails throws and those after it do not run (outside
  // a transaction, on PostgreSQL, those before it are rolled back with it).
  virtual void RunPipelined(std::span<const Statement> statements);
  // RunPipelined, then Commit() of the open transaction, in the same round trip where the backend
  // can. Use it through Transaction::CommitAfter.
  virtual void RunAndCommit(std::span<const Statement> statements);

  // Group commit support. Where the backend allows it (SQLite), commits on this connection stop
  // waiting for the disk and the returned object makes them durable later, from another thread, so
  // one sync covers many commits and overlaps the next transaction. The caller must not report a
  // commit as done before SyncCommitted() has returned after it. nullptr where unsupported
  // (PostgreSQL commits are durable when Commit() returns).
  virtual std::unique_ptr<DeferredDurability> DeferDurability() { return nullptr; }
  // A number that changes whenever another connection commits to the database (SQLite's
  // data_version), for caches kept by a single writer; nullopt where unsupported.
  virtual std::optional<int64_t> DataVersion() { return std::nullopt; }
  // Copies committed WAL content into the database file without blocking writers (SQLite passive
  // checkpoint). For connections that left checkpoints to someone else; no-op elsewhere.
  virtual void Checkpoint() {}

  virtual void Begin(TransactionMode mode) = 0;
  virtual void Commit() = 0;
  virtual void Rollback() = 0;
};

// Rolls back on scope exit unless Commit() was called.
class Transaction {
 public:
  Transaction(Connection& connection, TransactionMode mode) : connection_(connection) {
    connection_.Begin(mode);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (!done_) {
      try {
        connection_.Rollback();
      } catch (...) {  // the connection may already be gone; nothing else to do here
      }
    }
  }
  void Commit() {
    connection_.Commit();
    done_ = true;
  }
  // Runs the transaction's last statements and commits (Connection::RunAndCommit).
  void CommitAfter(std::span<const Statement> last) {
    connection_.RunAndCommit(last);
    done_ = true;
  }
  Connection& connection() { return connection_; }

 private:
  Connection& connection_;
  bool done_ = false;
};

struct Options {
  int busy_timeout_ms = 10'000;  // SQLite: wait this long for the write lock
  // SQLite: group commit, for a server with many concurrent writers. The process's write
  // transactions on the database's connections run one at a time (waiting in the process, not
  // polling SQLite's lock), each as a savepoint on one shared writer connection, and those that
  // follow each other closely commit as one SQLite transaction; Commit() returns once one shared
  // fdatasync of the WAL has made that transaction durable (and throws if it failed: then none of
  // it committed). Still one transaction's rollback undoes only its own changes. A transaction
  // holds up those batched with it until it ends, so none may wait on the outside. Off: each
  // commit is its own transaction, synced under the lock (synchronous=FULL).
  bool group_commit = false;
  int statement_timeout_ms = 30'000;  // PostgreSQL statement_timeout
  int connect_timeout_s = 10;         // PostgreSQL connect_timeout
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Backend backend() const = 0;
  // A new connection, configured (SQLite: WAL, synchronous=FULL or, with Options::group_commit,
  // NORMAL; busy timeout, foreign keys).
  virtual std::unique_ptr<Connection> Connect() = 0;
  // The URL with any password replaced by "***", safe to log.
  virtual const std::string& redacted_url() const = 0;
};

// "sqlite:PATH" (also "sqlite://PATH") or "postgresql://..." / "postgres://...".
// Throws store::Error with a clear message for any other form.
std::unique_ptr<Database> Open(std::string_view url, const Options& options = {});

}  // namespace cambista::store
