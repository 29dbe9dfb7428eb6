#include "api/api_key_store.hpp"

#include "security/hmac.hpp"

namespace cambista::api {

ApiKeyStore::ApiKeyStore(store::Database& database, const Clock& clock, std::string pepper)
    : database_(database), pool_(database), clock_(clock), pepper_(std::move(pepper)) {}

std::string ApiKeyStore::Create(const std::string& tenant, ScopeSet scopes) {
  auto connection = database_.Connect();
  for (;;) {  // a 40-bit prefix collides rarely; then draw again
    const GeneratedApiKey key = GenerateApiKey(pepper_);
    const std::string scope_text = FormatScopes(scopes);
    try {
      connection->Execute(
          "INSERT INTO api_keys (prefix, secret_hash, tenant, scopes, created_at_ms) "
          "VALUES ($1, $2, $3, $4, $5)",
          {std::string_view(key.prefix), store::Blob{key.secret_hash}, std::string_view(tenant),
           std::string_view(scope_text), clock_.NowMs()});
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
      "SELECT prefix, tenant, scopes, created_at_ms, revoked_at_ms FROM api_keys ORDER BY "
      "created_at_ms, prefix",
      {}, [&](const store::Row& row) {
        ApiKeyRecord record;
        record.prefix = std::string(row.Text(0));
        record.tenant = std::string(row.Text(1));
        if (auto scopes = ParseScopes(row.Text(2)); scopes.ok()) record.scopes = scopes.value();
        record.created_at_ms = row.Int64(3);
        if (!row.IsNull(4)) record.revoked_at_ms = row.Int64(4);
        records.push_back(std::move(record));
      });
  return records;
}

bool ApiKeyStore::Revoke(const std::string& prefix) {
  auto connection = database_.Connect();
  return connection->Execute(
             "UPDATE api_keys SET revoked_at_ms = $2 WHERE prefix = $1 AND revoked_at_ms IS NULL",
             {std::string_view(prefix), clock_.NowMs()}) == 1;
}

std::optional<Principal> ApiKeyStore::Authenticate(std::string_view bearer_key) {
  auto parts = ParseApiKey(bearer_key);
  if (!parts.ok()) return std::nullopt;
  std::optional<Principal> principal;
  std::string stored_hash;
  bool revoked = true;
  auto connection = pool_.Acquire();
  try {
    connection->Query(
        "SELECT secret_hash, tenant, scopes, revoked_at_ms FROM api_keys WHERE prefix = $1",
        {std::string_view(parts.value().prefix)}, [&](const store::Row& row) {
          stored_hash = row.Bytes(0);
          revoked = !row.IsNull(3);
          auto scopes = ParseScopes(row.Text(2));
          principal = Principal{parts.value().prefix, std::string(row.Text(1)),
                                scopes.ok() ? scopes.value() : ScopeSet()};
        });
  } catch (const store::Error&) {
    connection.Discard();  // it may be broken; the next request opens a new one
    throw;
  }
  // Unknown prefixes are checked against a dummy hash so they take as long as wrong secrets.
  const bool matches =
      VerifySecret(pepper_, parts.value().secret,
                   stored_hash.empty() ? std::string(32, '\0') : std::string_view(stored_hash));
  if (!principal || revoked || !matches) return std::nullopt;
  return principal;
}

}  // namespace cambista::api
