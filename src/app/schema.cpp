// The seal of the database (app/master_key.hpp).
// Migrations are numbered in one sequence across modules (app/modules.cpp gathers them); once on
// main a migration is never edited: change the schema by appending a new one.
#include <array>

#include "app/schema.hpp"

namespace cambista::app {
namespace {

// ---- 9: the database seal -------------------------------------------------------------------
// One row, written at first start: the fingerprint of the master key (hex HMAC-SHA256 of a fixed
// label under the key, never the key), so that a process started with another key stops at once,
// and the pepper of API key hashes sealed under the master key, so that API keys survive a
// rotation of the master key (app/master_key.hpp).
constexpr std::string_view kDatabaseSealSqlite = R"sql(
CREATE TABLE database_seal (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key_fingerprint TEXT NOT NULL,
  api_key_pepper_sealed BLOB NOT NULL,
  sealed_at_ms INTEGER NOT NULL,
  rotated_at_ms INTEGER
);
)sql";

constexpr std::string_view kDatabaseSealPostgres = R"sql(
CREATE TABLE database_seal (
  id integer PRIMARY KEY CHECK (id = 1),
  key_fingerprint text NOT NULL,
  api_key_pepper_sealed bytea NOT NULL,
  sealed_at_ms bigint NOT NULL,
  rotated_at_ms bigint
);
)sql";

constexpr std::array kMigrations = {
    store::Migration{9, "database_seal", kDatabaseSealSqlite, kDatabaseSealPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::app
