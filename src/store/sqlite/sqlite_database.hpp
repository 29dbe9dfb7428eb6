// The SQLite adapter of the store port: one file, WAL journal, synchronous=FULL (or group commit:
// Options::group_commit), one connection per thread (opened without SQLite's own mutex).
// Statements are prepared once per connection with SQLITE_PREPARE_PERSISTENT and cached by their
// SQL text; `$N` placeholders become `?N`.
#pragma once

#include <memory>
#include <string>

#include "store/database.hpp"

namespace cambista::store::sqlite {

// Checks that the file's directory exists (it is never created) and returns the database; the file
// itself is created by the first Connect().
std::unique_ptr<Database> OpenSqliteDatabase(std::string path, const Options& options);

// Rewrites `$N` placeholders to `?N` outside string literals, quoted identifiers and comments.
std::string RewritePlaceholders(std::string_view sql);

}  // namespace cambista::store::sqlite
