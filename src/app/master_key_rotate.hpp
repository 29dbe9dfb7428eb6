// `cambista master-key rotate`: moves a database from its master key to a new one. In one database
// transaction every value of every sealed column (app/sealed_columns.hpp) is opened with the
// current key and sealed again with the new one, the API-key pepper is sealed again (API keys keep
// working) and the seal takes the new key's fingerprint. A value that does not open aborts it all,
// naming its table and row: nothing changes. Every `serve` of the database must be stopped first;
// one still running would go on sealing with the old key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/master_key.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/database.hpp"

namespace cambista::app {

struct RotationReport {
  // Values sealed again, per table, in the order of SealedColumns().
  std::vector<std::pair<std::string, int64_t>> resealed;
  std::string fingerprint;  // the new key's
  // {"resealed":{"gateway_credentials":2,...},"fingerprint":"<16 hex digits>"}
  std::string ToJson() const;
};

// Re-seals everything sealed under `current` (the database's keys, as MigrateAndUnseal returned
// them) with `new_master_key`, in one transaction on `connection`.
Result<RotationReport, std::string> RotateMasterKey(store::Connection& connection,
                                                    const DatabaseKeys& current,
                                                    std::string_view new_master_key,
                                                    const Clock& clock);

struct MasterKeyRotateOptions {
  std::string new_key_file;           // created with a new key if missing
  bool replace_current_file = false;  // after the commit, move new_key_file over the current file
};

// The command, for the database and current key of `config`: prints the report's JSON line on
// stdout and what to do next on stderr. Exit codes: 0 rotated; 1 the rotation failed (nothing
// changed) or the new file could not be moved into place (then the message says where the key
// is); 2 a configuration or master key error.
int RunMasterKeyRotate(const Config& config, const MasterKeyRotateOptions& options);

}  // namespace cambista::app
