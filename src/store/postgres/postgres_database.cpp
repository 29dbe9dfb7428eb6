#include "store/postgres/postgres_database.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cambista::store::postgres {
namespace {

// Type oids from pg_type.h (the server headers are not needed for two constants).
constexpr Oid kByteaOid = 17;

constexpr size_t kStatementCacheMax = 1024;
constexpr size_t kSqlInMessageBytesMax = 300;
// Text sizes of formatted parameters, including the terminating NUL.
constexpr size_t kInt64TextBytes = 21;
constexpr size_t kIdTextBytes = 33;
constexpr size_t kInt128TextBytes = 41;
constexpr const char* kCommitRolledBack =
    "postgresql: COMMIT rolled back: the transaction had failed on an earlier error";

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string Shorten(std::string_view sql) {
  if (sql.size() <= kSqlInMessageBytesMax) return std::string(sql);
  return std::string(sql.substr(0, kSqlInMessageBytesMax)) + "...";
}

std::string TrimTrailingNewlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

Error::Kind KindOfSqlState(std::string_view state) {
  if (state == "40001" || state == "40P01" || state == "55P03") return Error::Kind::kRetryable;
  if (state.starts_with("23")) return Error::Kind::kConstraint;
  // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now.
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03") {
    return Error::Kind::kConnection;
  }
  return Error::Kind::kOther;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in the server's hex output format ("\x0a1b..."); nullopt when malformed.
std::optional<std::string> DecodeByteaHex(std::string_view text) {
  if (!text.starts_with("\\x") || text.size() % 2 != 0) return std::nullopt;
  std::string bytes;
  bytes.resize((text.size() - 2) / 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int high = HexValue(text[2 + 2 * i]);
    const int low = HexValue(text[3 + 2 * i]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes[i] = static_cast<char>((high << 4) | low);
  }
  return bytes;
}

class PostgresRow final : public Row {
 public:
  PostgresRow(const PGresult* result, int row)
      : result_(result), row_(row), column_count_(PQnfields(result)) {}

  int ColumnCount() const override { return column_count_; }

  bool IsNull(int column) const override {
    CheckColumn(column);
    return PQgetisnull(result_, row_, column) != 0;
  }

  int64_t Int64(int column) const override {
    const std::string_view text = Value(column, "a 64-bit integer");
    int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
      Fail(column, "is not a 64-bit integer: '" + std::string(text) + "'");
    }
    return value;
  }

  std::string_view Text(int column) const override { return Value(column, "text"); }

  std::string Bytes(int column) const override {
    const std::string_view text = Value(column, "bytes");
    if (PQftype(result_, column) != kByteaOid) return std::string(text);
    return DecodeBytea(column, text);
  }

  u128 Id(int column) const override {
    const std::string_view text = Value(column, "an id");
    if (PQftype(result_, column) == kByteaOid) {
      const std::string bytes = DecodeBytea(column, text);
      if (bytes.size() != 16) Fail(column, "is not a 16-byte id");
      return FromBigEndian16(reinterpret_cast<const unsigned char*>(bytes.data()));
    }
    size_t digits = 0;
    for (char c : text) digits += c != '-' ? 1 : 0;
    const auto value = ParseHex128(text);
    if (digits != 32 || !value) Fail(column, "is not a uuid: '" + std::string(text) + "'");
    return *value;
  }

  i128 Int128(int column) const override {
    std::string_view text = Value(column, "a 128-bit integer");
    // numeric(39,0) has no fractional part; an expression may still print ".000".
    if (const size_t point = text.find('.'); point != std::string_view::npos) {
      if (text.find_first_not_of('0', point + 1) != std::string_view::npos) {
        Fail(column, "has a fractional part: '" + std::string(text) + "'");
      }
      text = text.substr(0, point);
    }
    const auto value = ParseI128Decimal(text);
    if (!value) Fail(column, "is not a 128-bit integer: '" + std::string(text) + "'");
    return *value;
  }

 private:
  void CheckColumn(int column) const {
    if (column < 0 || column >= column_count_) {
      throw Error(Error::Kind::kOther, "postgresql: column " + std::to_string(column) +
                                           " out of range (row has " +
                                           std::to_string(column_count_) + " columns)");
    }
  }

  std::string_view Value(int column, const char* expected) const {
    CheckColumn(column);
    if (PQgetisnull(result_, row_, column) != 0) {
      Fail(column, std::string("is NULL, expected ") + expected);
    }
    return std::string_view(PQgetvalue(result_, row_, column),
                            static_cast<size_t>(PQgetlength(result_, row_, column)));
  }

  std::string DecodeBytea(int column, std::string_view text) const {
    if (auto bytes = DecodeByteaHex(text)) return std::move(*bytes);
    // The old "escape" output format (bytea_output = escape).
    size_t length = 0;
    const std::string terminated(text);
    unsigned char* raw =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(terminated.c_str()), &length);
    if (raw == nullptr) Fail(column, "is not valid bytea");
    std::string bytes(reinterpret_cast<const char*>(raw), length);
    PQfreemem(raw);
    return bytes;
  }

  [[noreturn]] void Fail(int column, const std::string& problem) const {
    std::string text = "postgresql: column " + std::to_string(column);
    if (const char* name = PQfname(result_, column)) {
      text += " (";
      text += name;
      text += ")";
    }
    text += " ";
    text += problem;
    throw Error(Error::Kind::kOther, text);
  }

  const PGresult* result_;
  int row_;
  int column_count_;
};

struct SqlHash {
  using is_transparent = void;
  size_t operator()(std::string_view sql) const { return std::hash<std::string_view>()(sql); }
};

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(const std::string& url, const std::string& redacted_url,
                     const Options& options) {
    const std::string connect_timeout = std::to_string(options.connect_timeout_s);
    // Keywords before "dbname" are defaults; the expanded URL overrides them.
    const char* keywords[] = {"application_name", "connect_timeout", "dbname", nullptr};
    const char* values[] = {"cambista", connect_timeout.c_str(), url.c_str(), nullptr};
    connection_ = PQconnectdbParams(keywords, values, 1);
    if (connection_ == nullptr) {
      throw Error(Error::Kind::kConnection,
                  "postgresql: out of memory connecting to " + redacted_url);
    }
    if (PQstatus(connection_) != CONNECTION_OK) {
      const std::string message = TrimTrailingNewlines(PQerrorMessage(connection_));
      PQfinish(connection_);
      connection_ = nullptr;
      throw Error(Error::Kind::kConnection,
                  "postgresql: cannot connect to " + redacted_url + ": " + message);
    }
    // The server's NOTICEs ("relation already exists, skipping", ...) are not errors; drop them.
    PQsetNoticeProcessor(
        connection_, [](void*, const char*) {}, nullptr);
    try {
      ExecuteScript("SET statement_timeout = " + std::to_string(options.statement_timeout_ms));
    } catch (...) {
      PQfinish(connection_);
      connection_ = nullptr;
      throw;
    }
  }

  ~PostgresConnection() override {
    if (connection_ != nullptr) PQfinish(connection_);
  }

  Backend backend() const override { return Backend::kPostgres; }

  using Connection::Execute;
  using Connection::Query;

  int64_t Execute(std::string_view sql, std::span<const Param> params) override {
    const ResultPtr result = Run(sql, params);
    // Rows changed, as in SQLite: a SELECT changes none (libpq would give its row count).
    if (std::strncmp(PQcmdStatus(result.get()), "SELECT", 6) == 0) return 0;
    const char* tuples = PQcmdTuples(result.get());
    int64_t count = 0;
    if (tuples != nullptr && *tuples != '\0') {
      std::from_chars(tuples, tuples + std::strlen(tuples), count);
    }
    return count;
  }

  void Query(std::string_view sql, std::span<const Param> params,
             const RowCallback& on_row) override {
    const ResultPtr result = Run(sql, params);
    const int rows = PQntuples(result.get());
    for (int row = 0; row < rows; ++row) on_row(PostgresRow(result.get(), row));
  }

  void ExecuteScript(std::string_view sql) override {
    std::string text = std::exchange(begin_pending_, false) ? "BEGIN; " : "";
    text.append(sql);
    Check(ResultPtr(PQexec(connection_, text.c_str())), sql);
  }

  void RunPipelined(std::span<const Statement> statements) override {
    Pipeline(statements, false,
             [&](size_t index, ResultPtr result) { DeliverRows(statements[index], result.get()); });
  }

  void RunAndCommit(std::span<const Statement> statements) override {
    Pipeline(statements, true,
             [&](size_t index, ResultPtr result) { DeliverRows(statements[index], result.get()); });
  }

  // BEGIN costs no round trip of its own: it goes with the transaction's first statement.
  void Begin(TransactionMode) override { begin_pending_ = true; }

  void Commit() override {
    if (std::exchange(begin_pending_, false)) return;  // nothing ran: nothing to commit
    const ResultPtr result(PQexec(connection_, "COMMIT"));
    Check(result, "COMMIT");
    CheckCommitted(result.get());
  }

  void Rollback() override {
    if (std::exchange(begin_pending_, false)) return;
    if (PQtransactionStatus(connection_) == PQTRANS_IDLE) return;
    ExecuteScript("ROLLBACK");
  }

 private:
  [[noreturn]] void Throw(const PGresult* result, std::string_view sql) {
    throw ErrorOf(result, sql);
  }

  Error ErrorOf(const PGresult* result, std::string_view sql) {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = TrimTrailingNewlines(result != nullptr ? PQresultErrorMessage(result)
                                                                 : PQerrorMessage(connection_));
    if (message.empty()) message = TrimTrailingNewlines(PQerrorMessage(connection_));
    Error::Kind kind = state != nullptr ? KindOfSqlState(state) : Error::Kind::kOther;
    if (PQstatus(connection_) != CONNECTION_OK) kind = Error::Kind::kConnection;
    std::string text = "postgresql: " + message;
    if (state != nullptr) {
      text += " [SQLSTATE ";
      text += state;
      text += "]";
    }
    text += " in: " + Shorten(sql);
    return Error(kind, text);
  }

  // COMMIT of a transaction that an earlier error aborted succeeds as a ROLLBACK: say so, or the
  // caller would believe its writes were kept (kCommitRolledBack).
  static void CheckCommitted(PGresult* result) {
    if (std::strcmp(PQcmdStatus(result), "ROLLBACK") == 0) {
      throw Error(Error::Kind::kOther, kCommitRolledBack);
    }
  }

  static void DeliverRows(const Statement& statement, const PGresult* result) {
    if (statement.on_row == nullptr) return;
    const int rows = PQntuples(result);
    for (int row = 0; row < rows; ++row) (*statement.on_row)(PostgresRow(result, row));
  }

  void Check(const ResultPtr& result, std::string_view sql) {
    const ExecStatusType status =
        result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) Throw(result.get(), sql);
  }

  const std::string& Prepared(std::string_view sql) {
    if (auto found = statements_.find(sql); found != statements_.end()) return found->second;
    if (statements_.size() >= kStatementCacheMax) {
      ExecuteScript("DEALLOCATE ALL");
      statements_.clear();
    }
    std::string name = "cambista_" + std::to_string(++statement_count_);
    const std::string text(sql);
    // Parameter types are left for the server to infer from the statement.
    Check(ResultPtr(PQprepare(connection_, name.c_str(), text.c_str(), 0, nullptr)), sql);
    return statements_.emplace(text, std::move(name)).first->second;
  }

  ResultPtr Run(std::string_view sql, std::span<const Param> params) {
    if (begin_pending_) {  // BEGIN and this statement in one round trip
      ResultPtr kept;
      const Statement statement{sql, params, nullptr};
      Pipeline({&statement, 1}, false, [&](size_t, ResultPtr result) { kept = std::move(result); });
      return kept;
    }
    const std::string& name = Prepared(sql);
    FormatParams(sql, params);
    ResultPtr result(PQexecPrepared(connection_, name.c_str(), static_cast<int>(params.size()),
                                    values_.data(), lengths_.data(), formats_.data(), 0));
    Check(result, sql);
    return result;
  }

  // Formats `params` for libpq into values_, lengths_ and formats_ (text in arena_), valid until
  // the next call; libpq copies them when the statement is sent.
  void FormatParams(std::string_view sql, std::span<const Param> params) {
    // Formatted values go into one reused buffer whose size is known before any pointer is taken.
    size_t arena_bytes = 0;
    for (const Param& param : params) {
      if (const auto* text = std::get_if<std::string_view>(&param)) {
        arena_bytes += text->size() + 1;
      } else if (std::holds_alternative<int64_t>(param)) {
        arena_bytes += kInt64TextBytes;
      } else if (std::holds_alternative<Id>(param)) {
        arena_bytes += kIdTextBytes;
      } else if (std::holds_alternative<Int128>(param)) {
        arena_bytes += kInt128TextBytes;
      }
    }
    arena_.resize(arena_bytes);
    values_.resize(params.size());
    lengths_.resize(params.size());
    formats_.resize(params.size());
    char* cursor = arena_.data();
    static constexpr char kEmpty[1] = {0};
    for (size_t i = 0; i < params.size(); ++i) {
      const Param& param = params[i];
      values_[i] = cursor;
      lengths_[i] = 0;
      formats_[i] = 0;
      if (const auto* integer = std::get_if<int64_t>(&param)) {
        cursor = std::to_chars(cursor, cursor + kInt64TextBytes - 1, *integer).ptr;
        *cursor++ = '\0';
      } else if (const auto* text = std::get_if<std::string_view>(&param)) {
        // An empty view may have no data at all (std::string_view()): memchr must not see it.
        if (!text->empty() && std::memchr(text->data(), '\0', text->size()) != nullptr) {
          throw Error(Error::Kind::kOther, "postgresql: text parameter $" + std::to_string(i + 1) +
                                               " contains a NUL byte (use Blob): " + Shorten(sql));
        }
        if (!text->empty()) std::memcpy(cursor, text->data(), text->size());
        cursor += text->size();
        *cursor++ = '\0';
      } else if (const auto* id = std::get_if<Id>(&param)) {
        // 32 hex digits without hyphens: valid uuid input, and no std::string is built.
        static constexpr char kDigits[] = "0123456789abcdef";
        u128 value = id->value;
        for (int digit = 31; digit >= 0; --digit) {
          cursor[digit] = kDigits[static_cast<int>(value & 0xF)];
          value >>= 4;
        }
        cursor[32] = '\0';
        cursor += kIdTextBytes;
      } else if (const auto* number = std::get_if<Int128>(&param)) {
        cursor += FormatDecimal(number->value, cursor);
        *cursor++ = '\0';
      } else if (const auto* blob = std::get_if<Blob>(&param)) {
        // Binary format: the bytes as they are, zero bytes included.
        values_[i] = blob->bytes.empty() ? kEmpty : blob->bytes.data();
        lengths_[i] = static_cast<int>(blob->bytes.size());
        formats_[i] = 1;
      } else {
        values_[i] = nullptr;  // SQL NULL
      }
    }
  }

  using ResultHandler = std::function<void(size_t index, ResultPtr result)>;

  // Sends a pending BEGIN, `statements` and, with `commit`, COMMIT in pipeline mode, then reads
  // every answer (one round trip): `on_result` gets each statement's successful result in order.
  // After a failure the rest are drained (the server skips them) and the first failure is thrown.
  void Pipeline(std::span<const Statement> statements, bool commit,
                const ResultHandler& on_result) {
    if (statements_.size() + statements.size() > kStatementCacheMax) {
      ExecuteScript("DEALLOCATE ALL");  // so that preparing below never evicts an earlier name
      statements_.clear();
    }
    std::vector<const std::string*>& names = pipeline_names_;
    names.clear();
    for (const Statement& statement : statements) names.push_back(&Prepared(statement.sql));
    if (PQenterPipelineMode(connection_) != 1) Throw(nullptr, "pipeline mode");
    const bool begin = std::exchange(begin_pending_, false);
    bool sent = !begin || PQsendQueryParams(connection_, "BEGIN", 0, nullptr, nullptr, nullptr,
                                            nullptr, 0) == 1;
    for (size_t i = 0; sent && i < statements.size(); ++i) {
      FormatParams(statements[i].sql, statements[i].params);
      sent = PQsendQueryPrepared(connection_, names[i]->c_str(),
                                 static_cast<int>(statements[i].params.size()), values_.data(),
                                 lengths_.data(), formats_.data(), 0) == 1;
    }
    if (sent && commit) {
      sent =
          PQsendQueryParams(connection_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    }
    if (!sent || PQpipelineSync(connection_) != 1) {
      const Error error = ErrorOf(nullptr, statements.empty() ? "pipeline" : statements[0].sql);
      PQexitPipelineMode(connection_);
      throw error;
    }
    ReadPipeline(statements, begin, commit, on_result);
  }

  // Reads the answers of Pipeline's queries (BEGIN, statements, COMMIT: those sent) and leaves
  // pipeline mode; only then hands the statements' results on, so a row callback may use the
  // connection again.
  void ReadPipeline(std::span<const Statement> statements, bool begin, bool commit,
                    const ResultHandler& on_result) {
    std::optional<Error> failure;
    std::vector<ResultPtr>& results = pipeline_results_;
    results.clear();
    results.resize(statements.size());
    const size_t first = begin ? 1 : 0;
    const size_t count = first + statements.size() + (commit ? 1 : 0);
    for (size_t at = 0; at < count; ++at) {
      const bool is_statement = at >= first && at - first < statements.size();
      const std::string_view sql =
          is_statement ? statements[at - first].sql : (at < first ? "BEGIN" : "COMMIT");
      while (PGresult* raw = PQgetResult(connection_)) {
        ResultPtr result(raw);
        const ExecStatusType status = PQresultStatus(raw);
        if (status == PGRES_PIPELINE_ABORTED || failure) continue;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
          failure = ErrorOf(raw, sql);
        } else if (is_statement) {
          results[at - first] = std::move(result);
        } else if (at >= first && std::strcmp(PQcmdStatus(raw), "ROLLBACK") == 0) {
          failure = Error(Error::Kind::kOther, kCommitRolledBack);
        }
      }
    }
    const ResultPtr sync(PQgetResult(connection_));
    if (PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC && !failure) {
      failure = ErrorOf(sync.get(), "pipeline sync");
    }
    if (PQexitPipelineMode(connection_) != 1 && !failure) failure = ErrorOf(nullptr, "pipeline");
    if (failure) throw *failure;
    std::vector<ResultPtr> delivering;  // a row callback may run another pipeline here
    delivering.swap(results);
    for (size_t i = 0; i < statements.size(); ++i) on_result(i, std::move(delivering[i]));
    delivering.clear();
    if (delivering.capacity() > pipeline_results_.capacity()) pipeline_results_.swap(delivering);
  }

  PGconn* connection_ = nullptr;
  std::unordered_map<std::string, std::string, SqlHash, std::equal_to<>> statements_;
  uint64_t statement_count_ = 0;
  std::vector<char> arena_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  bool begin_pending_ = false;  // Begin() was called; BEGIN goes with the next statement
  // Pipeline's statement names and results, kept so that a pipeline allocates nothing.
  std::vector<const std::string*> pipeline_names_;
  std::vector<ResultPtr> pipeline_results_;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, const Options& options)
      : url_(std::move(url)), options_(options), redacted_url_(RedactUrl(url_)) {}

  Backend backend() const override { return Backend::kPostgres; }
  std::unique_ptr<Connection> Connect() override {
    return std::make_unique<PostgresConnection>(url_, redacted_url_, options_);
  }
  const std::string& redacted_url() const override { return redacted_url_; }

 private:
  std::string url_;
  Options options_;
  std::string redacted_url_;
};

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::string text(url);
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return text;
  const size_t authority = scheme_end + 3;
  size_t authority_end = text.find_first_of("/?#", authority);
  if (authority_end == std::string::npos) authority_end = text.size();
  const size_t at = text.rfind('@', authority_end - 1);
  if (at != std::string::npos && at >= authority) {
    const size_t colon = text.find(':', authority);
    if (colon != std::string::npos && colon < at) {
      text.replace(colon + 1, at - colon - 1, "***");
    }
  }
  size_t query = text.find('?');
  if (query == std::string::npos) return text;
  size_t start = query + 1;
  while (start < text.size()) {
    size_t end = text.find('&', start);
    if (end == std::string::npos) end = text.size();
    constexpr std::string_view kPassword = "password=";
    if (std::string_view(text).substr(start, end - start).starts_with(kPassword)) {
      const size_t value = start + kPassword.size();
      text.replace(value, end - value, "***");
      end = value + 3;
    }
    start = end + 1;
  }
  return text;
}

std::unique_ptr<Database> OpenPostgresDatabase(std::string url, const Options& options) {
  char* message = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &message);
  if (parsed == nullptr) {
    const std::string reason =
        message != nullptr ? TrimTrailingNewlines(message) : std::string("out of memory");
    PQfreemem(message);
    throw Error(Error::Kind::kOther,
                "postgresql: invalid database URL '" + RedactUrl(url) + "': " + reason);
  }
  PQconninfoFree(parsed);
  return std::make_unique<PostgresDatabase>(std::move(url), options);
}

}  // namespace cambista::store::postgres
