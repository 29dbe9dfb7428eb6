// Every database column whose values are sealed with the master key's SecretBox
// (security/secret_box.hpp, api::MakeSecretBox), with the columns that identify a row and the
// associated data each row's value is sealed with. This table is the one list of them: the first
// start of a database checks them against its key (app/master_key.hpp) and a rotation of the master
// key re-seals exactly these (app/master_key_rotate.hpp). A test fails when a binary column of the
// schema is neither listed here nor known to hold no secret, and when a listed column does not
// rotate (tests/app/master_key_rotate_test.cpp): a new sealed column goes here in the change that
// adds it. Sealed values are stored as BLOB (SQLite) / bytea (PostgreSQL).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace cambista::app {

// The associated data of the API-key pepper kept in the seal (database_seal.api_key_pepper_sealed).
inline constexpr std::string_view kApiKeyPepperContext = "database_seal.api_key_pepper";

struct SealedColumn {
  std::string_view table;
  std::string_view column;
  // Text columns that identify a row, in order; none for a one-row table.
  std::vector<std::string_view> key_columns;
  // The associated data of a row's value, from its key (as read from key_columns).
  std::string (*context)(std::span<const std::string> key);
};

std::span<const SealedColumn> SealedColumns();

// One sealed value and the key of its row.
struct SealedValue {
  std::vector<std::string> key;
  std::string sealed;
};

// The column's values that are not NULL, in key order; `limit` 0 reads them all. With lock_rows,
// PostgreSQL locks the rows read (FOR UPDATE) until the transaction ends.
std::vector<SealedValue> ReadSealedValues(store::Connection& connection, const SealedColumn& column,
                                          int64_t limit, bool lock_rows);
// Replaces one row's value; returns the rows changed (1).
int64_t WriteSealedValue(store::Connection& connection, const SealedColumn& column,
                         std::span<const std::string> key, std::string_view sealed);
// "table.column of the row tenant=acme, gateway=syncpay", for messages.
std::string DescribeSealedValue(const SealedColumn& column, std::span<const std::string> key);

}  // namespace cambista::app
