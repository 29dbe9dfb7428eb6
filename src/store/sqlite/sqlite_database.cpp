#include "store/sqlite/sqlite_database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

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

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const std::string& path, const Options& options) {
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
      ExecuteScript(
          "PRAGMA synchronous=FULL;"
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

  ~SqliteConnection() override { Close(); }

  Backend backend() const override { return Backend::kSqlite; }

  using Connection::Execute;
  using Connection::Query;

  int64_t Execute(std::string_view sql, std::span<const Param> params) override {
    ParamSlots slots(params);
    StatementLease lease = Acquire(sql);
    Bind(lease.get(), params, slots, sql);
    int code;
    while ((code = sqlite3_step(lease.get())) == SQLITE_ROW) {
    }
    if (code != SQLITE_DONE) ThrowFrom(db_, code, sql);
    return sqlite3_stmt_readonly(lease.get()) ? 0 : sqlite3_changes64(db_);
  }

  void Query(std::string_view sql, std::span<const Param> params,
             const RowCallback& on_row) override {
    ParamSlots slots(params);
    StatementLease lease = Acquire(sql);
    Bind(lease.get(), params, slots, sql);
    SqliteRow row(lease.get());
    int code;
    while ((code = sqlite3_step(lease.get())) == SQLITE_ROW) on_row(row);
    if (code != SQLITE_DONE) ThrowFrom(db_, code, sql);
  }

  void ExecuteScript(std::string_view sql) override {
    const std::string text(sql);
    char* message = nullptr;
    const int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (code != SQLITE_OK) {
      const std::string reason = message != nullptr ? message : sqlite3_errstr(code);
      sqlite3_free(message);
      Throw(code, reason, sql);
    }
  }

  std::unique_ptr<DeferredDurability> DeferDurability() override {
    // Commits stop syncing (WAL with synchronous=NORMAL is still consistent after a crash, and
    // syncs around checkpoints) and this connection stops running checkpoints inside its commits;
    // WalSync makes each commit durable before the caller reports it.
    ExecuteScript("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;");
    const char* database_file = sqlite3_db_filename(db_, "main");
    return std::make_unique<WalSync>(sqlite3_filename_wal(database_file));
  }

  std::optional<int64_t> DataVersion() override {
    int64_t version = 0;
    Query("PRAGMA data_version", {}, [&](const Row& row) { version = row.Int64(0); });
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
    Execute(mode == TransactionMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  }

  void Commit() override { Execute("COMMIT"); }

  void Rollback() override {
    // SQLite may already have rolled back by itself (after an I/O error or SQLITE_FULL); then there
    // is nothing to undo and ROLLBACK would only fail.
    if (sqlite3_get_autocommit(db_) != 0) return;
    Execute("ROLLBACK");
  }

 private:
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
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, const Options& options)
      : path_(std::move(path)), options_(options), redacted_url_("sqlite:" + path_) {}

  Backend backend() const override { return Backend::kSqlite; }
  std::unique_ptr<Connection> Connect() override {
    return std::make_unique<SqliteConnection>(path_, options_);
  }
  const std::string& redacted_url() const override { return redacted_url_; }

 private:
  std::string path_;
  Options options_;
  std::string redacted_url_;
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
