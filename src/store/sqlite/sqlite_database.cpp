#include "store/sqlite/sqlite_database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include <charconv>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <unordered_map>

namespace cambista::store::sqlite {
namespace {

// A connection keeps at most this many prepared statements. Callers use constant SQL, so the cache
// only fills up when someone builds SQL text with values in it; then it is emptied and refilled
// rather than growing without bound.
constexpr size_t kStatementCacheMax = 1024;
// Ids (16 bytes) and 128-bit decimals (at most 40 characters) are formatted into fixed slots of a
// buffer that lives on the stack for the duration of the statement, so binding them does not touch
// the heap. The slots must outlive the statement's steps because they are bound SQLITE_STATIC.
constexpr size_t kParamSlotBytes = 48;
constexpr size_t kInlineSlotsMax = 24;
constexpr size_t kSqlInMessageBytesMax = 300;
// WAL size (in frames of one page) past which Checkpoint() restarts the WAL: 16 MiB of 4 KiB pages.
constexpr int kWalFramesRestart = 4096;

Error::Kind KindOf(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::Kind::kRetryable;
    case SQLITE_CONSTRAINT:
      return Error::Kind::kConstraint;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
      return Error::Kind::kConnection;
    default:
      return Error::Kind::kOther;
  }
}

std::string Shorten(std::string_view sql) {
  if (sql.size() <= kSqlInMessageBytesMax) return std::string(sql);
  return std::string(sql.substr(0, kSqlInMessageBytesMax)) + "...";
}

[[noreturn]] void Throw(int code, std::string_view message, std::string_view sql) {
  std::string text = "sqlite: ";
  text += message;
  text += " (code ";
  text += std::to_string(code);
  text += ")";
  if (!sql.empty()) {
    text += " in: ";
    text += Shorten(sql);
  }
  throw Error(KindOf(code), text);
}

[[noreturn]] void ThrowFrom(sqlite3* db, int code, std::string_view sql) {
  Throw(code, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code), sql);
}

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

class SqliteRow final : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* statement)
      : statement_(statement), column_count_(sqlite3_column_count(statement)) {}

  int ColumnCount() const override { return column_count_; }

  bool IsNull(int column) const override { return Type(column) == SQLITE_NULL; }

  int64_t Int64(int column) const override {
    switch (Type(column)) {
      case SQLITE_INTEGER:
        return sqlite3_column_int64(statement_, column);
      case SQLITE_TEXT: {
        const std::string_view text = TextUnchecked(column);
        int64_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
          Fail(column, "is not a 64-bit integer");
        }
        return value;
      }
      default:
        Fail(column, "is not an integer", true);
    }
  }

  std::string_view Text(int column) const override {
    if (Type(column) == SQLITE_NULL) Fail(column, "is NULL, expected text");
    return TextUnchecked(column);
  }

  std::string Bytes(int column) const override {
    const int type = Type(column);
    if (type == SQLITE_NULL) Fail(column, "is NULL, expected bytes");
    if (type != SQLITE_BLOB) return std::string(TextUnchecked(column));
    const void* data = sqlite3_column_blob(statement_, column);
    const int size = sqlite3_column_bytes(statement_, column);
    if (data == nullptr || size == 0) return std::string();
    return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
  }

  u128 Id(int column) const override {
    if (Type(column) != SQLITE_BLOB) Fail(column, "is not a 16-byte id blob", true);
    const void* data = sqlite3_column_blob(statement_, column);
    if (data == nullptr || sqlite3_column_bytes(statement_, column) != 16) {
      Fail(column, "is a blob of " + std::to_string(sqlite3_column_bytes(statement_, column)) +
                       " bytes, expected a 16-byte id");
    }
    return FromBigEndian16(static_cast<const unsigned char*>(data));
  }

  i128 Int128(int column) const override {
    switch (Type(column)) {
      case SQLITE_INTEGER:
        return sqlite3_column_int64(statement_, column);
      case SQLITE_TEXT: {
        const auto value = ParseI128Decimal(TextUnchecked(column));
        if (!value) Fail(column, "is not a 128-bit decimal integer");
        return *value;
      }
      default:
        Fail(column, "is not a 128-bit decimal integer", true);
    }
  }

 private:
  int Type(int column) const {
    if (column < 0 || column >= column_count_) {
      throw Error(Error::Kind::kOther, "sqlite: column " + std::to_string(column) +
                                           " out of range (row has " +
                                           std::to_string(column_count_) + " columns)");
    }
    return sqlite3_column_type(statement_, column);
  }

  std::string_view TextUnchecked(int column) const {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    const int size = sqlite3_column_bytes(statement_, column);
    if (text == nullptr) return std::string_view();
    return std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
  }

  [[noreturn]] void Fail(int column, const std::string& problem, bool say_type = false) const {
    std::string text = "sqlite: column " + std::to_string(column);
    if (const char* name = sqlite3_column_name(statement_, column)) {
      text += " (";
      text += name;
      text += ")";
    }
    text += " ";
    text += problem;
    if (say_type) {
      static constexpr const char* kTypeNames[] = {"?", "INTEGER", "FLOAT", "TEXT", "BLOB", "NULL"};
      const int type = sqlite3_column_type(statement_, column);
      text += ", got ";
      text += (type >= 1 && type <= 5) ? kTypeNames[type] : "?";
    }
    throw Error(Error::Kind::kOther, text);
  }

  sqlite3_stmt* statement_;
  int column_count_;
};

// Transparent hashing so that looking up a statement by string_view does not build a std::string.
struct SqlHash {
  using is_transparent = void;
  size_t operator()(std::string_view sql) const { return std::hash<std::string_view>()(sql); }
};

struct CachedStatement {
  sqlite3_stmt* statement = nullptr;
  bool in_use = false;  // a Query callback may run the same SQL again on this connection
};

// A statement borrowed for one Execute/Query; resets it (or finalizes a one-off) on scope exit,
// even when binding, stepping or the row callback throws.
class StatementLease {
 public:
  StatementLease(sqlite3_stmt* statement, CachedStatement* cached)
      : statement_(statement), cached_(cached) {}
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;
  ~StatementLease() {
    if (cached_ != nullptr) {
      sqlite3_reset(statement_);
      sqlite3_clear_bindings(statement_);
      cached_->in_use = false;
    } else {
      sqlite3_finalize(statement_);
    }
  }
  sqlite3_stmt* get() const { return statement_; }

 private:
  sqlite3_stmt* statement_;
  CachedStatement* cached_;
};

// Stack storage for formatted Id/Int128 parameters, with a heap fallback for huge statements.
class ParamSlots {
 public:
  explicit ParamSlots(std::span<const Param> params) {
    size_t needed = 0;
    for (const Param& param : params) {
      if (std::holds_alternative<Id>(param) || std::holds_alternative<Int128>(param)) ++needed;
    }
    if (needed > kInlineSlotsMax) {
      heap_.reset(new char[needed * kParamSlotBytes]);
      data_ = heap_.get();
    }
  }
  ParamSlots(const ParamSlots&) = delete;
  ParamSlots& operator=(const ParamSlots&) = delete;
  char* Next() {
    char* slot = data_ + used_ * kParamSlotBytes;
    ++used_;
    return slot;
  }

 private:
  char inline_[kInlineSlotsMax * kParamSlotBytes];
  std::unique_ptr<char[]> heap_;
  char* data_ = inline_;
  size_t used_ = 0;
};

// fdatasync of a database's WAL file: makes every frame written so far durable. The WAL is only
// removed when the last connection closes (ours stays open), but if its inode ever changes the file
// is opened again and the directory synced too, so a new WAL's name is durable as well.
class WalSync final : public DeferredDurability {
 public:
  explicit WalSync(std::string wal_path) : wal_path_(std::move(wal_path)) {}
  ~WalSync() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void SyncCommitted() override {
    std::lock_guard lock(mutex_);
    struct stat on_disk {};
    if (::stat(wal_path_.c_str(), &on_disk) != 0) {
      // No WAL file: nothing was written through it since the last checkpoint removed it.
      if (errno == ENOENT) return;
      throw Error(Error::Kind::kOther,
                  "sqlite: cannot stat " + wal_path_ + ": " + std::strerror(errno));
    }
    if (fd_ < 0 || on_disk.st_ino != inode_) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) {
        throw Error(Error::Kind::kOther,
                    "sqlite: cannot open " + wal_path_ + ": " + std::strerror(errno));
      }
      inode_ = on_disk.st_ino;
      SyncDirectory();
    }
    if (::fdatasync(fd_) != 0) {
      throw Error(Error::Kind::kOther,
                  "sqlite: fdatasync " + wal_path_ + ": " + std::strerror(errno));
    }
  }

 private:
  void SyncDirectory() {
    const std::string directory = std::filesystem::path(wal_path_).parent_path().string();
    const int fd =
        ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
  }

  std::mutex mutex_;
  std::string wal_path_;
  int fd_ = -1;
  ino_t inode_ = 0;
};

// Makes the commits of a WriteGroup durable together: a caller whose commit returned asks for a
// sync; if none is running, it runs one fdatasync of the
// WAL, which covers every commit made before it started, and wakes every caller that asked before
// that; otherwise it waits for the next one, which one of them runs. So concurrent commits share
// syncs, and no sync happens while the write lock is held. A failed sync leaves it unknown what is
// on disk (a later fdatasync may succeed after the kernel dropped the pages): from then on every
// sync fails, and the process must be restarted (as PostgreSQL does on a failed fsync).
class GroupSync {
 public:
  explicit GroupSync(std::string wal_path) : wal_(std::move(wal_path)) {}

  // Returns once everything committed by this process before the call is durable.
  void SyncCommitted() {
    std::unique_lock lock(mutex_);
    const uint64_t ticket = ++requested_;
    for (;;) {
      if (!failure_.empty()) throw Error(Error::Kind::kOther, failure_);
      if (completed_ >= ticket) return;
      if (syncing_) {
        synced_.wait(lock);
        continue;
      }
      syncing_ = true;
      const uint64_t covers = requested_;
      lock.unlock();
      std::string failure;
      try {
        wal_.SyncCommitted();
      } catch (const std::exception& error) {
        failure =
            std::string(error.what()) + " (what reached the disk is unknown: restart the process)";
      }
      lock.lock();
      syncing_ = false;
      if (failure.empty()) {
        completed_ = covers;
      } else {
        failure_ = failure;
      }
      synced_.notify_all();
    }
  }

 private:
  WalSync wal_;
  std::mutex mutex_;
  std::condition_variable synced_;
  uint64_t requested_ = 0;  // sync requests so far, each numbered
  uint64_t completed_ = 0;  // every request up to this number is durable
  bool syncing_ = false;
  std::string failure_;  // set once a sync failed; sticky
};

class SqliteConnection;

// Options::group_commit: the write transactions of a database's connections in this process run
// one at a time, each as a savepoint, on one writer connection, and several of them commit
// together (group commit). A transaction takes the writer's turn (waiting for it in this process,
// not polling SQLite's lock), opens the batch's transaction if none is open, runs inside a
// savepoint and releases it (or rolls back to it: its changes alone are undone). The last
// transaction out, when no other waits for the turn (or the batch is full or old), commits the
// batch without waiting for the disk; every transaction of the batch then returns from Commit()
// once one shared fdatasync (GroupSync) has made the batch durable, or throws if the batch failed
// (then none of it was committed). Pages that several transactions of a batch change are written
// once, the writer's page cache stays warm, and SQLite's lock is taken once per batch.
// Connections that make their own commits durable (DeferDurability: the ledger's committer), and
// statements outside a transaction, write on their own connection while holding the turn, after
// the open batch is committed.
class WriteGroup {
 public:
  WriteGroup(std::unique_ptr<SqliteConnection> writer, int wait_ms);
  ~WriteGroup();
  WriteGroup(const WriteGroup&) = delete;
  WriteGroup& operator=(const WriteGroup&) = delete;

  // Takes the turn for a transaction and opens its savepoint (and the batch's transaction if none
  // is open): its statements run on the returned connection until Leave.
  SqliteConnection& Enter();
  // Releases the savepoint (commit) or rolls back to it, gives up the turn, and commits the batch
  // if no one waits for the turn or the batch is full. Returns the batch to await after a commit
  // (AwaitDurable), 0 after a rollback. Throws, with the transaction rolled back, if it could not
  // be released.
  uint64_t Leave(bool commit);
  // Returns once `batch` is committed and on disk; throws if it failed (nothing of it committed).
  void AwaitDurable(uint64_t batch);
  // The turn for writing on a connection of its own (see above), with the open batch committed.
  void EnterAlone();
  void LeaveAlone() { GiveTurn(); }
  // Makes what this process committed durable (statements outside a transaction).
  void SyncCommitted() { sync_.SyncCommitted(); }

 private:
  void TakeTurn();
  // Gives up the turn; commits the open batch first unless another transaction waits to join it.
  void GiveTurn();
  void CloseBatch();  // with the turn held

  std::unique_ptr<SqliteConnection> writer_;
  GroupSync sync_;
  const int wait_ms_;
  std::mutex mutex_;
  std::condition_variable turn_free_;
  std::condition_variable batch_closed_;
  bool turn_taken_ = false;
  int waiting_ = 0;                     // threads waiting for the turn
  bool batch_open_ = false;             // the writer is inside the batch's transaction
  int64_t batch_opened_ns_ = 0;         // steady clock
  int members_ = 0;                     // transactions released into the open batch
  uint64_t batch_ = 1;                  // number of the open (or next) batch
  uint64_t closed_ = 0;                 // every batch up to this number is closed
  std::map<uint64_t, Error> failures_;  // closed batches that failed (recent ones)
};

class SqliteConnection final : public Connection {
 public:
  // `grouped`: commits do not wait for the disk (synchronous=NORMAL): Options::group_commit, whose
  // WriteGroup (JoinGroup) makes them durable; else each commit syncs (synchronous=FULL).
  SqliteConnection(const std::string& path, const Options& options, bool grouped) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int code = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (code != SQLITE_OK) {
      const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw Error(Error::Kind::kConnection, "sqlite: cannot open '" + path + "': " + message);
    }
    try {
      sqlite3_extended_result_codes(db_, 1);
      sqlite3_busy_timeout(db_, options.busy_timeout_ms);
      std::string journal_mode;
      ExecuteWithRows("PRAGMA journal_mode=WAL", &journal_mode);
      if (journal_mode != "wal") {
        throw Error(Error::Kind::kConnection, "sqlite: '" + path +
                                                  "' cannot use the WAL journal (journal_mode is " +
                                                  journal_mode + ")");
      }
      // WAL with synchronous=NORMAL stays consistent after a crash (and syncs around checkpoints).
      ExecuteScript(grouped ? "PRAGMA synchronous=NORMAL;" : "PRAGMA synchronous=FULL;");
      ExecuteScript(
          "PRAGMA foreign_keys=ON;"
          "PRAGMA cache_size=-65536;"  // KiB: 64 MiB of page cache per connection
          "PRAGMA temp_store=MEMORY;");
    } catch (const Error& error) {
      Close();
      if (error.kind() == Error::Kind::kOther) {
        throw Error(Error::Kind::kConnection,
                    "sqlite: cannot set up '" + path + "': " + error.what());
      }
      throw;
    } catch (...) {
      Close();
      throw;
    }
  }

  ~SqliteConnection() override {
    try {
      if (delegate_ != nullptr || alone_) Rollback();
    } catch (...) {  // closing anyway
    }
    Close();
  }

  void JoinGroup(std::shared_ptr<WriteGroup> group) { group_ = std::move(group); }
  std::string WalPath() const { return sqlite3_filename_wal(sqlite3_db_filename(db_, "main")); }
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
  // A transaction-control statement (BEGIN, SAVEPOINT, COMMIT, ...), outside any group logic.
  void Control(std::string_view sql) { Run(sql, {}, nullptr, false); }

  Backend backend() const override { return Backend::kSqlite; }

  using Connection::Execute;
  using Connection::Query;

  int64_t Execute(std::string_view sql, std::span<const Param> params) override {
    if (delegate_ != nullptr) return Delegate().Execute(sql, params);
    return Run(sql, params, nullptr, true);
  }

  void Query(std::string_view sql, std::span<const Param> params,
             const RowCallback& on_row) override {
    if (delegate_ != nullptr) return Delegate().Query(sql, params, on_row);
    Run(sql, params, &on_row, true);
  }

  void ExecuteScript(std::string_view sql) override {
    if (delegate_ != nullptr) return Delegate().ExecuteScript(sql);
    const bool alone = group_ && !InTransaction();
    if (alone) group_->EnterAlone();
    const std::string text(sql);
    char* message = nullptr;
    const int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (alone) group_->LeaveAlone();
    if (code != SQLITE_OK) {
      const std::string reason = message != nullptr ? message : sqlite3_errstr(code);
      sqlite3_free(message);
      Throw(code, reason, sql);
    }
    if (alone && !durability_deferred_ && !InTransaction()) group_->SyncCommitted();
  }

  std::unique_ptr<DeferredDurability> DeferDurability() override {
    // Commits stop syncing (WAL with synchronous=NORMAL is still consistent after a crash, and
    // syncs around checkpoints) and this connection stops running checkpoints inside its commits;
    // WalSync makes each commit durable before the caller reports it.
    durability_deferred_ = true;  // its caller syncs; in a WriteGroup it writes alone
    ExecuteScript("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;");
    const char* database_file = sqlite3_db_filename(db_, "main");
    return std::make_unique<WalSync>(sqlite3_filename_wal(database_file));
  }

  std::optional<int64_t> DataVersion() override {
    int64_t version = 0;
    const RowCallback read = [&](const Row& row) { version = row.Int64(0); };
    Run("PRAGMA data_version", {}, &read, false);  // this connection's, even inside a transaction
    return version;
  }

  void Checkpoint() override {
    // Passive checkpoints never block the writer, but under a steady stream of commits they never
    // catch up with it either, and the WAL only starts over from its beginning once everything in
    // it is in the database. When it has grown past kWalFramesRestart, a RESTART checkpoint waits
    // for the writer's lock, copies what the passive ones left (little), and lets the next commit
    // reuse the file from the start instead of growing it (growing costs far more than rewriting).
    int log_frames = 0;
    int backfilled_frames = 0;
    int code = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                         &backfilled_frames);
    if (code == SQLITE_OK && log_frames > kWalFramesRestart) {
      code = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
    }
    if (code != SQLITE_OK && (code & 0xff) != SQLITE_BUSY) {
      Throw(code, sqlite3_errmsg(db_), "checkpoint");
    }
  }

  void Begin(TransactionMode mode) override {
    if (group_ && mode == TransactionMode::kWrite) {
      if (!durability_deferred_) {
        delegate_ = &group_->Enter();
        return;
      }
      group_->EnterAlone();
      try {
        Control("BEGIN IMMEDIATE");
      } catch (...) {
        group_->LeaveAlone();
        throw;
      }
      alone_ = true;
      return;
    }
    Control(mode == TransactionMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
    changes_at_begin_ = sqlite3_total_changes64(db_);
  }

  void Commit() override {
    if (delegate_ != nullptr) {
      delegate_ = nullptr;
      group_->AwaitDurable(group_->Leave(true));
      return;
    }
    Control("COMMIT");  // on failure the caller's Rollback ends the transaction (and the turn)
    if (alone_) {
      alone_ = false;
      group_->LeaveAlone();
      return;
    }
    // A read transaction that wrote (grouped: no sync of its own) is made durable here.
    if (group_ && !durability_deferred_ && sqlite3_total_changes64(db_) != changes_at_begin_) {
      group_->SyncCommitted();
    }
  }

  void Rollback() override {
    if (delegate_ != nullptr) {
      delegate_ = nullptr;
      group_->Leave(false);
      return;
    }
    // SQLite may already have rolled back by itself (after an I/O error or SQLITE_FULL); then there
    // is nothing to undo and ROLLBACK would only fail.
    if (InTransaction()) Control("ROLLBACK");
    if (alone_) {
      alone_ = false;
      group_->LeaveAlone();
    }
  }

 private:
  // The group's writer, inside this connection's transaction; once SQLite has rolled that back by
  // itself (I/O error, disk full), a statement would run outside the batch: refused.
  SqliteConnection& Delegate() {
    if (!delegate_->InTransaction()) {
      throw Error(Error::Kind::kOther, "sqlite: the transaction was rolled back by SQLite");
    }
    return *delegate_;
  }

  // Runs one statement on this connection. With `grouped`, in a WriteGroup, a statement that
  // writes outside a transaction is its own transaction: it runs alone (see WriteGroup) and
  // returns once durable.
  int64_t Run(std::string_view sql, std::span<const Param> params, const RowCallback* on_row,
              bool grouped) {
    ParamSlots slots(params);
    StatementLease lease = Acquire(sql);
    Bind(lease.get(), params, slots, sql);
    const bool readonly = sqlite3_stmt_readonly(lease.get()) != 0;
    const bool alone = grouped && group_ && !readonly && !InTransaction();
    if (alone) group_->EnterAlone();
    int code;
    if (on_row != nullptr) {
      SqliteRow row(lease.get());
      while ((code = sqlite3_step(lease.get())) == SQLITE_ROW) (*on_row)(row);
    } else {
      while ((code = sqlite3_step(lease.get())) == SQLITE_ROW) {
      }
    }
    if (alone) group_->LeaveAlone();
    if (code != SQLITE_DONE) ThrowFrom(db_, code, sql);
    if (readonly) return 0;
    const int64_t changed = sqlite3_changes64(db_);
    if (alone && !durability_deferred_ && !InTransaction()) group_->SyncCommitted();
    return changed;
  }

  void Close() {
    for (auto& [sql, cached] : statements_) sqlite3_finalize(cached.statement);
    statements_.clear();
    if (db_ != nullptr) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
    }
  }

  // Runs one statement without the cache and keeps the first column of its last row (pragmas).
  void ExecuteWithRows(const char* sql, std::string* first_column) {
    sqlite3_stmt* statement = Prepare(sql, false);
    StatementLease lease(statement, nullptr);
    int code;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(statement, 0);
      *first_column = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    }
    if (code != SQLITE_DONE) ThrowFrom(db_, code, sql);
  }

  sqlite3_stmt* Prepare(std::string_view sql, bool persistent) {
    const std::string rewritten = RewritePlaceholders(sql);
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    // Passing the length including the terminating NUL spares SQLite a copy.
    const int code =
        sqlite3_prepare_v3(db_, rewritten.c_str(), static_cast<int>(rewritten.size() + 1),
                           persistent ? SQLITE_PREPARE_PERSISTENT : 0, &statement, &tail);
    if (code != SQLITE_OK) ThrowFrom(db_, code, sql);
    if (statement == nullptr) {
      throw Error(Error::Kind::kOther, "sqlite: empty statement: " + Shorten(sql));
    }
    for (const char* rest = tail; rest != nullptr && *rest != '\0'; ++rest) {
      if (*rest != ';' && *rest != ' ' && *rest != '\n' && *rest != '\t' && *rest != '\r') {
        sqlite3_finalize(statement);
        throw Error(Error::Kind::kOther,
                    "sqlite: Execute/Query take one statement (use ExecuteScript for several): " +
                        Shorten(sql));
      }
    }
    return statement;
  }

  StatementLease Acquire(std::string_view sql) {
    if (auto found = statements_.find(sql); found != statements_.end()) {
      if (!found->second.in_use) {
        found->second.in_use = true;
        return StatementLease(found->second.statement, &found->second);
      }
      // The same SQL is running further up the stack (inside a Query callback): use a one-off.
      return StatementLease(Prepare(sql, false), nullptr);
    }
    if (statements_.size() >= kStatementCacheMax) EvictIdleStatements();
    sqlite3_stmt* statement = Prepare(sql, true);
    try {
      auto [position, inserted] =
          statements_.emplace(std::string(sql), CachedStatement{statement, true});
      return StatementLease(statement, &position->second);
    } catch (...) {
      sqlite3_finalize(statement);
      throw;
    }
  }

  void EvictIdleStatements() {
    for (auto it = statements_.begin(); it != statements_.end();) {
      if (it->second.in_use) {
        ++it;
      } else {
        sqlite3_finalize(it->second.statement);
        it = statements_.erase(it);
      }
    }
  }

  void Bind(sqlite3_stmt* statement, std::span<const Param> params, ParamSlots& slots,
            std::string_view sql) {
    const int expected = sqlite3_bind_parameter_count(statement);
    if (expected != static_cast<int>(params.size())) {
      throw Error(Error::Kind::kOther, "sqlite: statement takes " + std::to_string(expected) +
                                           " parameters, " + std::to_string(params.size()) +
                                           " given: " + Shorten(sql));
    }
    static constexpr char kEmpty[1] = {0};  // a null pointer would bind NULL, not ''
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      int code = SQLITE_OK;
      const Param& param = params[i];
      if (const auto* integer = std::get_if<int64_t>(&param)) {
        code = sqlite3_bind_int64(statement, index, *integer);
      } else if (const auto* text = std::get_if<std::string_view>(&param)) {
        code = sqlite3_bind_text64(statement, index, text->empty() ? kEmpty : text->data(),
                                   text->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else if (const auto* id = std::get_if<Id>(&param)) {
        char* slot = slots.Next();
        ToBigEndian16(id->value, reinterpret_cast<unsigned char*>(slot));
        code = sqlite3_bind_blob64(statement, index, slot, 16, SQLITE_STATIC);
      } else if (const auto* number = std::get_if<Int128>(&param)) {
        char* slot = slots.Next();
        const size_t length = FormatDecimal(number->value, slot);
        code = sqlite3_bind_text64(statement, index, slot, length, SQLITE_STATIC, SQLITE_UTF8);
      } else if (const auto* blob = std::get_if<Blob>(&param)) {
        code =
            sqlite3_bind_blob64(statement, index, blob->bytes.empty() ? kEmpty : blob->bytes.data(),
                                blob->bytes.size(), SQLITE_STATIC);
      } else {
        code = sqlite3_bind_null(statement, index);
      }
      if (code != SQLITE_OK) ThrowFrom(db_, code, sql);
    }
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, CachedStatement, SqlHash, std::equal_to<>> statements_;
  std::shared_ptr<WriteGroup> group_;     // Options::group_commit; null for the writer itself
  SqliteConnection* delegate_ = nullptr;  // the group's writer, inside a write transaction
  bool alone_ = false;                    // in a write transaction of its own, holding the turn
  bool durability_deferred_ = false;      // DeferDurability() was called
  int64_t changes_at_begin_ = 0;
};

constexpr int kBatchMembersMax = 256;
constexpr int64_t kBatchAgeMaxNs = 5'000'000;  // a batch older than this closes at the next Leave
constexpr size_t kBatchFailuresKept = 1024;
constexpr std::string_view kMemberSavepoint = "SAVEPOINT cambista_member";

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

WriteGroup::WriteGroup(std::unique_ptr<SqliteConnection> writer, int wait_ms)
    : writer_(std::move(writer)), sync_(writer_->WalPath()), wait_ms_(wait_ms) {}

WriteGroup::~WriteGroup() {
  // Every transaction has left (connections hold the group): the last one out closed the batch.
  if (batch_open_) CloseBatch();
}

void WriteGroup::TakeTurn() {
  std::unique_lock lock(mutex_);
  ++waiting_;
  const bool free = turn_free_.wait_for(lock, std::chrono::milliseconds(wait_ms_),
                                        [this] { return !turn_taken_; });
  --waiting_;
  if (!free) {
    throw Error(Error::Kind::kRetryable,
                "sqlite: database is locked (another transaction of this process held the write "
                "turn for " +
                    std::to_string(wait_ms_) + " ms)");
  }
  turn_taken_ = true;
}

void WriteGroup::GiveTurn() {
  bool close = false;
  {
    std::lock_guard lock(mutex_);
    close = batch_open_ && (waiting_ == 0 || members_ >= kBatchMembersMax ||
                            SteadyNs() - batch_opened_ns_ >= kBatchAgeMaxNs);
  }
  if (close) CloseBatch();
  {
    std::lock_guard lock(mutex_);
    turn_taken_ = false;
  }
  turn_free_.notify_one();
}

void WriteGroup::CloseBatch() {
  std::optional<Error> failure;
  if (writer_->InTransaction()) {
    try {
      writer_->Control(members_ > 0 ? "COMMIT" : "ROLLBACK");
    } catch (const Error& error) {
      failure = error;
      try {
        if (writer_->InTransaction()) writer_->Control("ROLLBACK");
      } catch (...) {  // the connection rolls back when SQLite can; the batch failed either way
      }
    }
  } else if (members_ > 0) {  // SQLite rolled the transaction back by itself (I/O error, full)
    failure = Error(Error::Kind::kOther, "sqlite: the transaction was rolled back by SQLite");
  }
  {
    std::lock_guard lock(mutex_);
    if (failure && members_ > 0) {
      failures_.insert_or_assign(batch_, *failure);
      while (failures_.size() > kBatchFailuresKept) failures_.erase(failures_.begin());
    }
    closed_ = batch_++;
    members_ = 0;
    batch_open_ = false;
  }
  batch_closed_.notify_all();
}

SqliteConnection& WriteGroup::Enter() {
  TakeTurn();
  try {
    if (batch_open_ && !writer_->InTransaction()) CloseBatch();  // lost: SQLite rolled it back
    if (!batch_open_) {
      writer_->Control("BEGIN IMMEDIATE");
      std::lock_guard lock(mutex_);
      batch_open_ = true;
      batch_opened_ns_ = SteadyNs();
    }
    writer_->Control(kMemberSavepoint);
  } catch (...) {
    GiveTurn();
    throw;
  }
  return *writer_;
}

uint64_t WriteGroup::Leave(bool commit) {
  std::optional<Error> failure;
  try {
    if (commit) writer_->Control("RELEASE cambista_member");
  } catch (const Error& error) {
    failure = error;
  }
  if (!commit || failure) {
    try {  // undoes this transaction alone; the batch goes on
      if (writer_->InTransaction()) {
        writer_->Control("ROLLBACK TO cambista_member");
        writer_->Control("RELEASE cambista_member");
      }
    } catch (const Error& error) {
      if (!failure) failure = error;
    }
  }
  if (batch_open_ && !writer_->InTransaction()) CloseBatch();  // lost: SQLite rolled it back
  uint64_t batch = 0;
  {
    std::lock_guard lock(mutex_);
    if (commit && !failure) {
      ++members_;
      batch = batch_;
    }
  }
  GiveTurn();
  if (failure && commit) throw *failure;
  return batch;
}

void WriteGroup::AwaitDurable(uint64_t batch) {
  if (batch == 0) return;
  {
    std::unique_lock lock(mutex_);
    batch_closed_.wait(lock, [&] { return closed_ >= batch; });
    if (auto it = failures_.find(batch); it != failures_.end()) throw it->second;
  }
  sync_.SyncCommitted();
}

void WriteGroup::EnterAlone() {
  TakeTurn();
  if (batch_open_) CloseBatch();
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, const Options& options)
      : path_(std::move(path)), options_(options), redacted_url_("sqlite:" + path_) {}

  Backend backend() const override { return Backend::kSqlite; }
  std::unique_ptr<Connection> Connect() override {
    auto connection = std::make_unique<SqliteConnection>(path_, options_, options_.group_commit);
    if (options_.group_commit) {
      std::lock_guard lock(mutex_);
      if (!group_) {
        group_ = std::make_shared<WriteGroup>(
            std::make_unique<SqliteConnection>(path_, options_, true), options_.busy_timeout_ms);
      }
      connection->JoinGroup(group_);
    }
    return connection;
  }
  const std::string& redacted_url() const override { return redacted_url_; }

 private:
  std::string path_;
  Options options_;
  std::string redacted_url_;
  std::mutex mutex_;
  std::shared_ptr<WriteGroup> group_;  // with options_.group_commit, from the first Connect()
};

}  // namespace

std::string RewritePlaceholders(std::string_view sql) {
  std::string out(sql);
  const size_t size = out.size();
  size_t i = 0;
  auto skip_until = [&](std::string_view end) {
    const size_t found = out.find(end, i);
    i = found == std::string::npos ? size : found + end.size();
  };
  while (i < size) {
    const char c = out[i];
    if (c == '\'' || c == '"' || c == '`') {
      // Quoted text; a doubled quote inside stands for the quote itself.
      ++i;
      while (i < size) {
        if (out[i] == c) {
          if (i + 1 < size && out[i + 1] == c) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
    } else if (c == '[') {
      skip_until("]");
    } else if (c == '-' && i + 1 < size && out[i + 1] == '-') {
      skip_until("\n");
    } else if (c == '/' && i + 1 < size && out[i + 1] == '*') {
      i += 2;
      skip_until("*/");
    } else {
      if (c == '$' && i + 1 < size && out[i + 1] >= '0' && out[i + 1] <= '9' &&
          (i == 0 || !IsIdentifierChar(out[i - 1]))) {
        out[i] = '?';
      }
      ++i;
    }
  }
  return out;
}

std::unique_ptr<Database> OpenSqliteDatabase(std::string path, const Options& options) {
  if (path == ":memory:" || path.starts_with("file:")) {
    throw Error(Error::Kind::kOther,
                "sqlite: '" + path +
                    "' is not supported: every connection must see the same database, so give a "
                    "file path (a temporary directory is fine for tests)");
  }
  std::error_code error;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!std::filesystem::is_directory(parent, error)) {
    throw Error(Error::Kind::kConnection, "sqlite: the directory '" + parent.string() +
                                              "' of database file '" + path +
                                              "' does not exist (it is not created for you)");
  }
  return std::make_unique<SqliteDatabase>(std::move(path), options);
}

}  // namespace cambista::store::sqlite
