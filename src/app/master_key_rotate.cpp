#include "app/master_key_rotate.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "api/api_key_store.hpp"
#include "app/config.hpp"
#include "app/sealed_columns.hpp"

namespace cambista::app {
namespace {

constexpr size_t kShownFingerprintChars = 16;

// Opens every value of `column` with `old_box` and seals it again with `new_box`; the number of
// values, or the first that does not open.
Result<int64_t, std::string> ResealColumn(store::Connection& connection, const SealedColumn& column,
                                          const SecretBox& old_box, const SecretBox& new_box) {
  const std::vector<SealedValue> values =
      ReadSealedValues(connection, column, /*limit=*/0, /*lock_rows=*/true);
  for (const SealedValue& value : values) {
    const std::string context = column.context(value.key);
    auto opened = old_box.Open(value.sealed, context);
    if (!opened.ok()) {
      return Failure{DescribeSealedValue(column, value.key) +
                     " does not open with the current master key (" +
                     std::string(SecretBoxErrorCode(opened.error())) + "); nothing was changed"};
    }
    if (WriteSealedValue(connection, column, value.key, new_box.Seal(opened.value(), context)) !=
        1) {
      return Failure{DescribeSealedValue(column, value.key) +
                     " changed during the rotation; nothing was changed"};
    }
  }
  return static_cast<int64_t>(values.size());
}

// The key in `path`, created with a new key (and said so) if missing.
Result<std::string, std::string> NewKey(const std::string& path) {
  auto created = CreateMasterKeyFileIfMissing(path);
  if (!created.ok()) return Failure{created.error()};
  if (created.value()) {
    std::fprintf(stderr, "Created %s with a new master key (mode 0600).\n", path.c_str());
  }
  return ReadMasterKeyFile(path);
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat first {
  }, second{};
  if (::stat(a.c_str(), &first) != 0 || ::stat(b.c_str(), &second) != 0) return a == b;
  return first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

// After the commit: the new file moved over the current one, or where the key is from now on.
int AfterRotation(const MasterKeyRotateOptions& options, const MasterKeySource& current) {
  const std::string& fresh = options.new_key_file;
  if (options.replace_current_file) {
    if (auto error = ReplaceMasterKeyFile(fresh, current.file)) {
      std::fprintf(stderr,
                   "cambista master-key rotate: the database is now sealed to the key in %s, but "
                   "it could not be moved over %s (%s): move it there yourself before the next "
                   "start\n",
                   fresh.c_str(), current.file.c_str(), error->c_str());
      return 1;
    }
    std::fprintf(stderr,
                 "Moved %s over %s: start cambista as before. The old key is gone; a backup of "
                 "the database taken before this rotation needs the old key.\n",
                 fresh.c_str(), current.file.c_str());
    return 0;
  }
  if (current.value_hex.empty()) {
    std::fprintf(stderr,
                 "The database is now sealed to the key in %s. From now on set "
                 "security.master_key_file (CAMBISTA_SECURITY_MASTER_KEY_FILE) to it, or move it "
                 "over %s; the key in %s no longer opens this database.\n",
                 fresh.c_str(), current.file.c_str(), current.file.c_str());
  } else {
    std::fprintf(stderr,
                 "The database is now sealed to the key in %s. From now on pass that file's 64 "
                 "hexadecimal digits in CAMBISTA_SECURITY_MASTER_KEY (or set "
                 "security.master_key_file to the file); the old key no longer opens this "
                 "database.\n",
                 fresh.c_str());
  }
  return 0;
}

}  // namespace

std::string RotationReport::ToJson() const {
  std::string json = "{\"resealed\":{";
  for (size_t i = 0; i < resealed.size(); ++i) {
    json +=
        (i == 0 ? "\"" : ",\"") + resealed[i].first + "\":" + std::to_string(resealed[i].second);
  }
  return json + "},\"fingerprint\":\"" + fingerprint.substr(0, kShownFingerprintChars) + "\"}";
}

Result<RotationReport, std::string> RotateMasterKey(store::Connection& connection,
                                                    const DatabaseKeys& current,
                                                    std::string_view new_master_key,
                                                    const Clock& clock) {
  const std::string current_fingerprint = MasterKeyFingerprint(current.master_key);
  const std::string new_fingerprint = MasterKeyFingerprint(new_master_key);
  if (new_fingerprint == current_fingerprint) {
    return Failure{std::string("the new master key is the current one; nothing was changed")};
  }
  const SecretBox old_box = api::MakeSecretBox(current.master_key);
  const SecretBox new_box = api::MakeSecretBox(new_master_key);
  store::Transaction transaction(connection, store::TransactionMode::kWrite);
  // The seal's row first: a concurrent rotation waits for this one (SQLite: the write lock, taken
  // at BEGIN) and then finds the fingerprint changed.
  std::string sealed_fingerprint;
  connection.Query(std::string("SELECT key_fingerprint FROM database_seal WHERE id = 1") +
                       (connection.backend() == store::Backend::kPostgres ? " FOR UPDATE" : ""),
                   {}, [&](const store::Row& row) { sealed_fingerprint = row.Text(0); });
  if (sealed_fingerprint != current_fingerprint) {
    return Failure{std::string(
        "the database's seal changed since it was checked (another rotation?); nothing was "
        "changed")};
  }
  RotationReport report;
  for (const SealedColumn& column : SealedColumns()) {
    auto count = ResealColumn(connection, column, old_box, new_box);
    if (!count.ok()) return Failure{count.error()};  // the transaction rolls back
    auto same_table = std::find_if(report.resealed.begin(), report.resealed.end(),
                                   [&](const auto& entry) { return entry.first == column.table; });
    if (same_table == report.resealed.end()) {
      report.resealed.emplace_back(std::string(column.table), count.value());
    } else {
      same_table->second += count.value();
    }
  }
  connection.Execute(
      "UPDATE database_seal SET key_fingerprint = $1, rotated_at_ms = $2 WHERE id = 1",
      {std::string_view(new_fingerprint), clock.NowMs()});
  transaction.Commit();
  report.fingerprint = new_fingerprint;
  return report;
}

int RunMasterKeyRotate(const Config& config, const MasterKeyRotateOptions& options) {
  auto source = MasterKeySourceOf(config);
  if (!source.ok()) {
    std::fprintf(stderr, "cambista master-key rotate: %s\n", source.error().c_str());
    return 2;
  }
  const MasterKeySource& current = source.value();
  if (options.replace_current_file && current.file.empty()) {
    std::fprintf(stderr,
                 "cambista master-key rotate: --replace-current-file: the current key comes from "
                 "CAMBISTA_SECURITY_MASTER_KEY, not from a file\n");
    return 2;
  }
  if (!current.file.empty() && SameFile(current.file, options.new_key_file)) {
    std::fprintf(stderr,
                 "cambista master-key rotate: --new names the current master key file %s; give "
                 "another file\n",
                 current.file.c_str());
    return 2;
  }
  SystemClock clock;
  auto database = store::Open(config.database_url);
  auto unsealed = MigrateAndUnseal(config, *database, clock);
  if (!unsealed.ok()) {
    std::fprintf(stderr, "cambista master-key rotate: %s\n", unsealed.error().c_str());
    return 2;
  }
  auto new_key = NewKey(options.new_key_file);
  if (!new_key.ok()) {
    std::fprintf(stderr, "cambista master-key rotate: %s\n", new_key.error().c_str());
    return 2;
  }
  auto connection = database->Connect();
  auto report = RotateMasterKey(*connection, unsealed.value().keys, new_key.value(), clock);
  if (!report.ok()) {
    std::fprintf(stderr, "cambista master-key rotate: %s\n", report.error().c_str());
    return 1;
  }
  std::printf("%s\n", report.value().ToJson().c_str());
  std::fflush(stdout);
  return AfterRotation(options, current);
}

}  // namespace cambista::app
