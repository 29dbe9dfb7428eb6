#include "store/database.hpp"

#include <string>

#include "store/postgres/postgres_database.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace cambista::store {
namespace {

// Hides the password of "scheme://user:password@host..." so an unrecognised URL can be echoed.
std::string RedactForMessage(std::string_view url) {
  std::string text(url);
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return text;
  const size_t authority = scheme_end + 3;
  const size_t at = text.find('@', authority);
  const size_t slash = text.find('/', authority);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return text;
  const size_t colon = text.find(':', authority);
  if (colon == std::string::npos || colon > at) return text;
  return text.replace(colon + 1, at - colon - 1, "***");
}

}  // namespace

void Connection::RunPipelined(std::span<const Statement> statements) {
  for (const Statement& statement : statements) {
    if (statement.on_row != nullptr) {
      Query(statement.sql, statement.params, *statement.on_row);
    } else {
      Execute(statement.sql, statement.params);
    }
  }
}

void Connection::RunAndCommit(std::span<const Statement> statements) {
  RunPipelined(statements);
  Commit();
}

std::string_view BackendName(Backend backend) {
  switch (backend) {
    case Backend::kSqlite:
      return "sqlite";
    case Backend::kPostgres:
      return "postgresql";
  }
  return "unknown";
}

std::unique_ptr<Database> Open(std::string_view url, const Options& options) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.starts_with(kSqlite)) {
    std::string_view path = url.substr(kSqlite.size());
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) {
      throw Error(Error::Kind::kOther,
                  "database URL '" + std::string(url) + "' has no file path: use sqlite:PATH");
    }
    return sqlite::OpenSqliteDatabase(std::string(path), options);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return postgres::OpenPostgresDatabase(std::string(url), options);
  }
  throw Error(Error::Kind::kOther, "unsupported database URL '" + RedactForMessage(url) +
                                       "': expected sqlite:PATH, sqlite://PATH, "
                                       "postgresql://... or postgres://...");
}

}  // namespace cambista::store
