#include "app/master_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "api/api_key_store.hpp"
#include "app/config.hpp"
#include "app/sealed_columns.hpp"
#include "security/hmac.hpp"

namespace cambista::app {
namespace {

constexpr std::string_view kFingerprintLabel = "cambista master key fingerprint v1";
constexpr size_t kMasterKeyBytes = 32;
constexpr size_t kKeyFileBytesMax = 4096;      // 64 hex digits and a newline; more is not a key
constexpr size_t kShownFingerprintChars = 16;  // enough to tell keys apart in a message

bool WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    text.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

// Makes a new directory entry durable (a new or renamed key file survives a crash).
void SyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string Shown(std::string_view fingerprint) {
  return std::string(fingerprint.substr(0, kShownFingerprintChars));
}

struct Seal {
  std::string fingerprint;
  std::string pepper_sealed;
};

bool SealTableExists(store::Connection& connection) {
  int64_t count = 0;
  const std::string_view sql =
      connection.backend() == store::Backend::kSqlite
          ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'database_seal'"
          : "SELECT CASE WHEN to_regclass('database_seal') IS NULL THEN 0 ELSE 1 END";
  connection.Query(sql, {}, [&](const store::Row& row) { count = row.Int64(0); });
  return count > 0;
}

// The seal, or nullopt when the database is not sealed yet (or not even migrated that far).
std::optional<Seal> ReadSeal(store::Connection& connection) {
  if (!SealTableExists(connection)) return std::nullopt;
  std::optional<Seal> seal;
  connection.Query("SELECT key_fingerprint, api_key_pepper_sealed FROM database_seal WHERE id = 1",
                   {}, [&](const store::Row& row) {
                     seal = Seal{std::string(row.Text(0)), row.Bytes(1)};
                   });
  return seal;
}

Result<std::string, std::string> LoadKey(const MasterKeySource& source, bool create_file) {
  if (!source.value_hex.empty()) {
    auto key = HexDecode(source.value_hex);  // shape checked by the configuration
    if (!key.ok() || key.value().size() != kMasterKeyBytes) {
      return Failure{std::string("security.master_key must be 64 hexadecimal characters")};
    }
    return key.value();
  }
  if (create_file) {
    auto created = CreateMasterKeyFileIfMissing(source.file);
    if (!created.ok()) return Failure{created.error()};
  }
  return ReadMasterKeyFile(source.file);
}

std::string NotThisDatabasesKey(const MasterKeySource& source, std::string_view sealed_fingerprint,
                                std::string_view key_fingerprint) {
  return source.Describe() +
         " is not this database's master key (the database is sealed to the key with "
         "fingerprint " +
         Shown(sealed_fingerprint) + ", this one's is " + Shown(key_fingerprint) +
         "): start with the key the database was sealed with, or change keys with `cambista "
         "master-key rotate`; nothing was written";
}

bool KeyFileMissing(const MasterKeySource& source) {
  struct stat info {};
  return source.value_hex.empty() && ::stat(source.file.c_str(), &info) != 0 && errno == ENOENT;
}

// The key of a sealed database, checked against its seal; a missing key file stays missing.
Result<std::string, std::string> KeyOfSealedDatabase(const MasterKeySource& source,
                                                     const Seal& seal) {
  if (KeyFileMissing(source)) {
    return Failure{"the master key file " + source.file +
                   " does not exist, and this database is sealed to the key with fingerprint " +
                   Shown(seal.fingerprint) +
                   ": restore that file, or point security.master_key_file "
                   "(CAMBISTA_SECURITY_MASTER_KEY_FILE) at it; a new key would not open the "
                   "database's secrets, so none was created"};
  }
  auto key = LoadKey(source, /*create_file=*/false);
  if (!key.ok()) return key;
  const std::string fingerprint = MasterKeyFingerprint(key.value());
  if (!ConstantTimeEquals(fingerprint, seal.fingerprint)) {
    return Failure{NotThisDatabasesKey(source, seal.fingerprint, fingerprint)};
  }
  return key;
}

// Whether a database not sealed yet already holds secrets (sealed values, API key hashes), which
// a new key could not open.
bool HoldsSecrets(store::Connection& connection) {
  for (const SealedColumn& column : SealedColumns()) {
    if (column.table == "database_seal") continue;  // a seal written meanwhile is checked later
    if (!ReadSealedValues(connection, column, 1, false).empty()) return true;
  }
  bool any = false;
  connection.Query("SELECT 1 FROM api_keys LIMIT 1", {}, [&](const store::Row&) { any = true; });
  return any;
}

// The first sealed value of each column that `box` does not open, described; nullopt if none.
std::optional<std::string> ForeignSecret(store::Connection& connection, const SecretBox& box) {
  for (const SealedColumn& column : SealedColumns()) {
    if (column.table == "database_seal") continue;
    for (const SealedValue& value : ReadSealedValues(connection, column, 1, false)) {
      if (!box.Open(value.sealed, column.context(value.key)).ok()) {
        return DescribeSealedValue(column, value.key);
      }
    }
  }
  return std::nullopt;
}

// First start: seals the migrated database to the configured key, or, when another process got
// there first, returns its seal (which the caller checks like any other).
Result<Seal, std::string> SealDatabase(store::Connection& connection, const MasterKeySource& source,
                                       const Clock& clock, bool* sealed_now) {
  const bool holds_secrets = HoldsSecrets(connection);
  if (holds_secrets && KeyFileMissing(source)) {
    return Failure{"the master key file " + source.file +
                   " does not exist, and this database already holds secrets made with a master "
                   "key (API keys, sealed values): restore that file, or point "
                   "security.master_key_file (CAMBISTA_SECURITY_MASTER_KEY_FILE) at it; a new key "
                   "would not open them, so none was created"};
  }
  auto key = LoadKey(source, /*create_file=*/!holds_secrets);
  if (!key.ok()) return Failure{key.error()};
  const SecretBox box = api::MakeSecretBox(key.value());
  if (auto foreign = ForeignSecret(connection, box)) {
    if (auto seal = ReadSeal(connection)) return *seal;  // sealed meanwhile: checked by the caller
    return Failure{"this database is not sealed yet, and it holds secrets that " +
                   source.Describe() + " does not open (" + *foreign +
                   "): start with the master key it was used with; nothing was written"};
  }
  const std::string pepper_sealed =
      box.Seal(api::DeriveApiKeyPepper(key.value()), kApiKeyPepperContext);
  const std::string fingerprint = MasterKeyFingerprint(key.value());
  *sealed_now =
      connection.Execute(
          "INSERT INTO database_seal (id, key_fingerprint, api_key_pepper_sealed, "
          "sealed_at_ms) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
          {std::string_view(fingerprint), store::Blob{pepper_sealed}, clock.NowMs()}) == 1;
  auto seal = ReadSeal(connection);
  CAMBISTA_CHECK(seal.has_value());  // written by this process or by the one that won
  return *seal;
}

}  // namespace

std::string MasterKeySource::Describe() const {
  if (!value_hex.empty()) {
    return "the master key in CAMBISTA_SECURITY_MASTER_KEY (security.master_key)";
  }
  return "the master key file " + file;
}

Result<MasterKeySource, std::string> MasterKeySourceOf(const Config& config) {
  if (!config.master_key_hex.empty()) return MasterKeySource{"", config.master_key_hex};
  auto path = MasterKeyPath(config);
  if (!path.ok()) return Failure{path.error().ToString()};
  return MasterKeySource{path.value(), ""};
}

Result<bool, std::string> CreateMasterKeyFileIfMissing(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) return false;
  // Written aside, then linked into place: link() fails if the name exists, so two processes
  // creating it at once agree on one key, and no reader sees a half-written file.
  const std::string temporary =
      path + ".new-" + std::to_string(::getpid()) + "-" + HexEncode(RandomBytes(4));
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Failure{"cannot create the master key file " + path + ": " + std::strerror(errno)};
  }
  const bool written =
      WriteAll(fd, HexEncode(RandomBytes(kMasterKeyBytes)) + "\n") && ::fsync(fd) == 0;
  ::close(fd);
  const bool linked = written && ::link(temporary.c_str(), path.c_str()) == 0;
  const int link_error = errno;
  ::unlink(temporary.c_str());
  if (!written) return Failure{"cannot write the master key file " + path};
  if (!linked && link_error != EEXIST) {
    return Failure{"cannot create the master key file " + path + ": " + std::strerror(link_error)};
  }
  SyncDirectoryOf(path);
  return linked;
}

Result<std::string, std::string> ReadMasterKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Failure{errno == ENOENT
                       ? "the master key file " + path + " does not exist"
                       : "cannot read the master key file " + path + ": " + std::strerror(errno)};
  }
  struct stat info {};
  const bool private_file = ::fstat(fd, &info) == 0 && (info.st_mode & 077) == 0;
  std::string text(kKeyFileBytesMax, '\0');
  ssize_t size = 0;
  do {
    size = ::read(fd, text.data(), text.size());
  } while (size < 0 && errno == EINTR);
  ::close(fd);
  if (!private_file) {
    return Failure{"the master key file " + path + " is readable by others; chmod 600 it"};
  }
  text.resize(size > 0 ? static_cast<size_t>(size) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = HexDecode(text);
  if (!key.ok() || key.value().size() != kMasterKeyBytes) {
    return Failure{"the master key file " + path + " must hold 64 hexadecimal characters"};
  }
  return key.value();
}

std::optional<std::string> ReplaceMasterKeyFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return std::string(std::strerror(errno));
  SyncDirectoryOf(to);
  SyncDirectoryOf(from);  // its directory too, when it is another one
  return std::nullopt;
}

std::string MasterKeyFingerprint(std::string_view master_key) {
  return HexEncode(HmacSha256(master_key, kFingerprintLabel));
}

Result<UnsealedDatabase, std::string> MigrateAndUnseal(
    const Config& config, store::Database& database, const Clock& clock,
    std::span<const store::Migration> migrations) {
  auto source = MasterKeySourceOf(config);
  if (!source.ok()) return Failure{source.error()};
  auto connection = database.Connect();
  UnsealedDatabase result;
  std::optional<Seal> seal = ReadSeal(*connection);
  std::optional<std::string> key;
  if (seal) {  // checked before anything is written, pending migrations included
    auto checked = KeyOfSealedDatabase(source.value(), *seal);
    if (!checked.ok()) return Failure{checked.error()};
    key = checked.value();
  }
  result.migrations = store::Migrate(*connection, migrations);
  if (!seal) {
    auto sealed = SealDatabase(*connection, source.value(), clock, &result.sealed_now);
    if (!sealed.ok()) return Failure{sealed.error()};
    seal = sealed.value();
    auto checked = KeyOfSealedDatabase(source.value(), *seal);  // the winner's, if not ours
    if (!checked.ok()) return Failure{checked.error()};
    key = checked.value();
  }
  auto pepper = api::MakeSecretBox(*key).Open(seal->pepper_sealed, kApiKeyPepperContext);
  if (!pepper.ok()) {
    return Failure{"database_seal.api_key_pepper_sealed does not open with " +
                   source.value().Describe() + " although the key's fingerprint matches: the " +
                   "seal is damaged (" + std::string(SecretBoxErrorCode(pepper.error())) + ")"};
  }
  result.keys = DatabaseKeys{std::move(*key), std::move(pepper).value()};
  return result;
}

}  // namespace cambista::app
