// The platform's tables: API keys, their second factor, idempotency keys and tenants' webhook
// endpoints.
// Migrations are numbered in one sequence across modules (app/modules.cpp gathers them); once on
// main a migration is never edited: change the schema by appending a new one.
#include <array>

#include "api/schema.hpp"

namespace cambista::api {
namespace {

// ---- 3: api keys ----------------------------------------------------------------------------
// Only the keyed hash of each secret is stored (security/api_key.hpp); the prefix finds the row.
constexpr std::string_view kApiKeysSqlite = R"sql(
CREATE TABLE api_keys (
  prefix TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL,
  tenant TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER
);
)sql";

constexpr std::string_view kApiKeysPostgres = R"sql(
CREATE TABLE api_keys (
  prefix text PRIMARY KEY,
  secret_hash bytea NOT NULL,
  tenant text NOT NULL,
  scopes text NOT NULL,
  created_at_ms bigint NOT NULL,
  revoked_at_ms bigint
);
)sql";

// ---- 4: operator 2FA --------------------------------------------------------------------------
// The TOTP seed of a key, sealed (security/secret_box.hpp), and the last step accepted (replays).
constexpr std::string_view kTotpSqlite = R"sql(
ALTER TABLE api_keys ADD COLUMN totp_secret BLOB;
ALTER TABLE api_keys ADD COLUMN totp_last_step INTEGER;
)sql";

constexpr std::string_view kTotpPostgres = R"sql(
ALTER TABLE api_keys ADD COLUMN totp_secret bytea;
ALTER TABLE api_keys ADD COLUMN totp_last_step bigint;
)sql";

// ---- 5: idempotency and webhook endpoints -----------------------------------------------------
// An Idempotency-Key row is written in flight before the effect and completed, with the response
// to replay byte for byte, in the effect's own transaction. Webhook secrets are sealed.
constexpr std::string_view kIdempotencySqlite = R"sql(
CREATE TABLE idempotency_keys (
  tenant TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash BLOB NOT NULL,
  state INTEGER NOT NULL,
  response_status INTEGER,
  response_content_type TEXT,
  response_body BLOB,
  created_at_ms INTEGER NOT NULL,
  locked_until_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_ms);
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  secret_sealed BLOB NOT NULL,
  created_at_ms INTEGER NOT NULL,
  disabled_at_ms INTEGER,
  deleted_at_ms INTEGER
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, created_at_ms);
)sql";

constexpr std::string_view kIdempotencyPostgres = R"sql(
CREATE TABLE idempotency_keys (
  tenant text NOT NULL,
  idempotency_key text NOT NULL,
  request_hash bytea NOT NULL,
  state integer NOT NULL,
  response_status integer,
  response_content_type text,
  response_body bytea,
  created_at_ms bigint NOT NULL,
  locked_until_ms bigint NOT NULL,
  PRIMARY KEY (tenant, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_ms);
CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  url text NOT NULL,
  event_types text NOT NULL,
  secret_sealed bytea NOT NULL,
  created_at_ms bigint NOT NULL,
  disabled_at_ms bigint,
  deleted_at_ms bigint
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, created_at_ms);
)sql";

// ---- 11: API key expiry -----------------------------------------------------------------------
// When a key stops working (Unix ms); NULL for a key that never expires, as every older key.
constexpr std::string_view kApiKeyExpirySqlite = R"sql(
ALTER TABLE api_keys ADD COLUMN expires_at_ms INTEGER;
)sql";

constexpr std::string_view kApiKeyExpiryPostgres = R"sql(
ALTER TABLE api_keys ADD COLUMN expires_at_ms bigint;
)sql";

constexpr std::array kMigrations = {
    store::Migration{3, "api_keys", kApiKeysSqlite, kApiKeysPostgres},
    store::Migration{4, "totp", kTotpSqlite, kTotpPostgres},
    store::Migration{5, "idempotency_and_webhook_endpoints", kIdempotencySqlite,
                     kIdempotencyPostgres},
    store::Migration{11, "api_key_expiry", kApiKeyExpirySqlite, kApiKeyExpiryPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::api
