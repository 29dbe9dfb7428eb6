// The master key: 32 random bytes in a file of its own (mode 0600) or in the environment
// (CAMBISTA_SECURITY_MASTER_KEY), never in the database. The key that seals secrets at rest is
// derived from it (api::MakeSecretBox: HMAC-SHA256 with a purpose label).
//
// A database is sealed to its master key. At first start (`serve`, `migrate`, `keys`) the one row
// of `database_seal` records the key's fingerprint (an HMAC of a fixed label under the key, never
// the key) and the pepper of API key hashes, derived from the key then and sealed under it; the
// pepper is read from there ever after, so API keys survive a rotation of the master key
// (app/master_key_rotate.hpp). From then on a process started with another key stops at once,
// before it writes anything, with a message naming where its key came from; and a missing key file
// is reported as missing, never replaced by a new key.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "app/modules.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace cambista::app {

struct Config;

// Where a process's master key comes from.
struct MasterKeySource {
  std::string file;       // the key file, when no key is given as a value
  std::string value_hex;  // security.master_key (CAMBISTA_SECURITY_MASTER_KEY): 64 hex digits
  // "the master key file PATH" or "the master key in CAMBISTA_SECURITY_MASTER_KEY (...)".
  std::string Describe() const;
};

// The source configured: security.master_key when set, else the key file (MasterKeyPath).
Result<MasterKeySource, std::string> MasterKeySourceOf(const Config& config);

// Creates `path` holding a new random key (64 hex digits, mode 0600) unless it exists, atomically
// (a concurrent reader never sees a partial file); true when this call created it.
Result<bool, std::string> CreateMasterKeyFileIfMissing(const std::string& path);
// Reads a key file: 64 hex digits, readable by its owner only. Errors name the file.
Result<std::string, std::string> ReadMasterKeyFile(const std::string& path);

// Moves key file `from` over `to` (one rename, made durable); an error message otherwise.
std::optional<std::string> ReplaceMasterKeyFile(const std::string& from, const std::string& to);

// Hex HMAC-SHA256 of a fixed label under the key: tells keys apart without revealing them.
std::string MasterKeyFingerprint(std::string_view master_key);

// What the database's secrets need: the master key and the API-key pepper kept in the seal.
struct DatabaseKeys {
  std::string master_key;
  std::string api_key_pepper;
};

struct UnsealedDatabase {
  DatabaseKeys keys;
  store::MigrationReport migrations;
  bool sealed_now = false;  // this call wrote the seal (first start)
};

// Checks the database's seal against the configured master key, then applies pending migrations;
// on a database not sealed yet, migrates, loads the key (creating its file if the database holds no
// secret yet) and seals the database. An error (nothing written) when the key is not the
// database's, when a sealed database's key file is missing, or when a database not yet sealed
// holds secrets its key does not open. Safe to run from several processes at once: one seal wins
// and the others are checked against it.
Result<UnsealedDatabase, std::string> MigrateAndUnseal(
    const Config& config, store::Database& database, const Clock& clock,
    std::span<const store::Migration> migrations = AllMigrations());

}  // namespace cambista::app
