#include "api/api_key_store.hpp"

#include "security/hmac.hpp"
#include "security/totp.hpp"

namespace cambista::api {
namespace {
constexpr char kDummyHash[32] = {};
constexpr std::string_view kPepperPurpose = "cambista api key pepper v1";
constexpr std::string_view kSecretBoxPurpose = "cambista secret box v1";
}  // namespace

std::string TotpSecretContext(std::string_view prefix) {
  return "api_keys.totp:" + std::string(prefix);
}

std::string DeriveApiKeyPepper(std::string_view master_key) {
  return HmacSha256(master_key, kPepperPurpose);
}

ApiKeyStore::ApiKeyStore(store::Database& database, const Clock& clock, std::string_view master_key,
                         std::string_view pepper, int64_t cache_ttl_ms)
    : database_(database),
      pool_(database),
      clock_(clock),
      pepper_(pepper),
      pepper_key_(pepper_),
      box_(MakeSecretBox(master_key)),
      cache_ttl_ms_(cache_ttl_ms) {}

std::string ApiKeyStore::Create(const std::string& tenant, ScopeSet scopes,
                                std::optional<int64_t> lifetime_ms) {
  auto connection = database_.Connect();
  const int64_t created_at_ms = clock_.NowMs();
  std::optional<int64_t> expires_at_ms;
  if (lifetime_ms) expires_at_ms = created_at_ms + *lifetime_ms;
  for (;;) {  // a 40-bit prefix collides rarely; then draw again
    const GeneratedApiKey key = GenerateApiKey(pepper_);
    const std::string scope_text = FormatScopes(scopes);
    try {
      connection->Execute(
          "INSERT INTO api_keys (prefix, secret_hash, tenant, scopes, created_at_ms, "
          "expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
          {std::string_view(key.prefix), store::Blob{key.secret_hash}, std::string_view(tenant),
           std::string_view(scope_text), created_at_ms,
           expires_at_ms ? store::Param{*expires_at_ms} : store::Param{store::Null{}}});
      return key.full_key;
    } catch (const store::Error& error) {
      if (error.kind() != store::Error::Kind::kConstraint) throw;
    }
  }
}

std::vector<ApiKeyRecord> ApiKeyStore::List() {
  auto connection = database_.Connect();
  std::vector<ApiKeyRecord> records;
  connection->Query(
      "SELECT prefix, tenant, scopes, created_at_ms, revoked_at_ms, expires_at_ms FROM api_keys "
      "ORDER BY created_at_ms, prefix",
      {}, [&](const store::Row& row) {
        ApiKeyRecord record;
        record.prefix = std::string(row.Text(0));
        record.tenant = std::string(row.Text(1));
        if (auto scopes = ParseScopes(row.Text(2)); scopes.ok()) record.scopes = scopes.value();
        record.created_at_ms = row.Int64(3);
        if (!row.IsNull(4)) record.revoked_at_ms = row.Int64(4);
        if (!row.IsNull(5)) record.expires_at_ms = row.Int64(5);
        records.push_back(std::move(record));
      });
  return records;
}

bool ApiKeyStore::Revoke(const std::string& prefix) {
  {
    std::lock_guard lock(cache_mutex_);
    cache_.erase(prefix);
  }
  auto connection = database_.Connect();
  return connection->Execute(
             "UPDATE api_keys SET revoked_at_ms = $2 WHERE prefix = $1 AND revoked_at_ms IS NULL",
             {std::string_view(prefix), clock_.NowMs()}) == 1;
}

Result<Principal, KeyRefusal> ApiKeyStore::Authenticate(std::string_view bearer_key) {
  auto parts = ParseApiKey(bearer_key);
  if (!parts.ok()) return Failure{KeyRefusal::kInvalid};
  const std::string_view prefix = parts.value().prefix;
  const int64_t now_ms = clock_.NowMs();
  std::shared_ptr<const CachedKey> key;
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(prefix);
        it != cache_.end() && now_ms - it->second->read_at_ms < cache_ttl_ms_) {
      key = it->second;
    }
  }
  if (!key) {
    auto connection = pool_.Acquire();
    try {
      connection->Query(
          "SELECT secret_hash, tenant, scopes, revoked_at_ms, expires_at_ms FROM api_keys WHERE "
          "prefix = $1",
          {prefix}, [&](const store::Row& row) {
            auto scopes = ParseScopes(row.Text(2));
            key = std::make_shared<const CachedKey>(CachedKey{
                row.Bytes(0),
                Principal{std::string(prefix), std::string(row.Text(1)),
                          scopes.ok() ? scopes.value() : ScopeSet()},
                !row.IsNull(3), row.IsNull(4) ? std::nullopt : std::optional<int64_t>(row.Int64(4)),
                now_ms});
          });
    } catch (const store::Error&) {
      connection.Discard();  // it may be broken; the next request opens a new one
      throw;
    }
    if (key) {
      std::lock_guard lock(cache_mutex_);
      if (cache_.size() >= kCacheEntriesMax) cache_.clear();
      cache_.insert_or_assign(std::string(prefix), key);
    }
  }
  // Unknown prefixes are checked against a dummy hash so they take as long as wrong secrets.
  const bool matches = VerifySecret(
      pepper_key_, parts.value().secret,
      key ? std::string_view(key->secret_hash) : std::string_view(kDummyHash, sizeof kDummyHash));
  if (!key || key->revoked || !matches) return Failure{KeyRefusal::kInvalid};
  if (key->expires_at_ms && now_ms >= *key->expires_at_ms) return Failure{KeyRefusal::kExpired};
  return key->principal;
}

SecretBox MakeSecretBox(std::string_view master_key) {
  return SecretBox(HmacSha256(master_key, kSecretBoxPurpose));
}

std::optional<std::string> ApiKeyStore::EnrollTotp(const std::string& prefix) {
  const TotpSecret secret = GenerateTotpSecret();
  const std::string sealed = box_.Seal(secret.bytes(), TotpSecretContext(prefix));
  std::string tenant;
  auto connection = pool_.Acquire();
  connection->Query(
      "SELECT tenant FROM api_keys WHERE prefix = $1 AND revoked_at_ms IS NULL AND "
      "(expires_at_ms IS NULL OR expires_at_ms > $2)",
      {std::string_view(prefix), clock_.NowMs()},
      [&](const store::Row& row) { tenant = std::string(row.Text(0)); });
  if (tenant.empty()) return std::nullopt;
  connection->Execute(
      "UPDATE api_keys SET totp_secret = $2, totp_last_step = NULL WHERE prefix = $1",
      {std::string_view(prefix), store::Blob{sealed}});
  return BuildTotpUri("Cambista", tenant + ":" + prefix, secret);
}

ApiKeyStore::TotpCheck ApiKeyStore::CheckTotp(const std::string& prefix, std::string_view code) {
  auto connection = pool_.Acquire();
  std::optional<std::string> sealed;
  std::optional<int64_t> last_step;
  connection->Query(
      "SELECT totp_secret, totp_last_step FROM api_keys WHERE prefix = $1 AND "
      "revoked_at_ms IS NULL",
      {std::string_view(prefix)}, [&](const store::Row& row) {
        if (!row.IsNull(0)) sealed = row.Bytes(0);
        if (!row.IsNull(1)) last_step = row.Int64(1);
      });
  if (!sealed) return TotpCheck::kNotEnrolled;
  auto bytes = box_.Open(*sealed, TotpSecretContext(prefix));
  if (!bytes.ok()) return TotpCheck::kNotEnrolled;  // sealed under another master key
  auto secret = TotpSecret::FromBytes(bytes.value());
  if (!secret.ok()) return TotpCheck::kNotEnrolled;
  auto step = VerifyTotp(secret.value(), code, clock_, last_step);
  if (!step.ok()) {
    return step.error() == TotpError::kReplayedCode ? TotpCheck::kReplayed : TotpCheck::kWrongCode;
  }
  // Conditional, so two requests racing with the same code cannot both pass.
  const int64_t changed = connection->Execute(
      "UPDATE api_keys SET totp_last_step = $2 WHERE prefix = $1 AND "
      "(totp_last_step IS NULL OR totp_last_step < $2)",
      {std::string_view(prefix), step.value()});
  return changed == 1 ? TotpCheck::kOk : TotpCheck::kReplayed;
}

}  // namespace cambista::api
