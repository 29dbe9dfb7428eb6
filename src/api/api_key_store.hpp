// API keys in the database: issue (the full key is returned once and never stored; optionally
// with an expiry), list (never a hash), revoke, authenticate a `Bearer` key, and operator 2FA
// (TOTP, RFC 6238) for a key. The key sealing TOTP seeds is derived from the master key
// (app/master_key.hpp), which never enters the database. The pepper of the keyed hash was derived
// from the master key too when the database was first sealed (DeriveApiKeyPepper); it is kept,
// sealed, in the database since, so that API keys survive a rotation of the master key, and the
// caller passes it in.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "security/api_key.hpp"
#include "security/secret_box.hpp"
#include "store/connection_pool.hpp"
#include "store/database.hpp"

namespace cambista::api {

struct ApiKeyRecord {
  std::string prefix;
  std::string tenant;
  ScopeSet scopes;
  int64_t created_at_ms = 0;
  std::optional<int64_t> revoked_at_ms;
  std::optional<int64_t> expires_at_ms;  // nullopt: never expires
};

struct Principal {
  std::string key_prefix;
  std::string tenant;
  ScopeSet scopes;
};

// Why Authenticate refused a key. Stable numbers: never change or reuse one.
enum class KeyRefusal : uint16_t {
  kInvalid = 1,  // malformed, unknown, revoked or wrong secret: all alike, in about the same time
  kExpired = 2,  // the secret is right but the key's expiry has passed
};

// Authenticate() keeps what it read of a key for cache_ttl_ms (1 s by default), so a hot key costs
// one HMAC, not a database read; a revocation made by this process applies at once, one made by
// another process within the TTL. Expiry is checked against the clock on every call, cached or
// not, so a key stops working at its expires_at_ms exactly.
// The SecretBox sealing secrets at rest, keyed from the master key.
SecretBox MakeSecretBox(std::string_view master_key);
// The pepper a master key gives API key hashes: what the database seal keeps at first start.
std::string DeriveApiKeyPepper(std::string_view master_key);
// The associated data of a key's sealed TOTP seed (api_keys.totp_secret).
std::string TotpSecretContext(std::string_view prefix);

class ApiKeyStore {
 public:
  // `pepper`: the one kept in the database seal (app/master_key.hpp); `master_key` seals TOTP
  // seeds.
  ApiKeyStore(store::Database& database, const Clock& clock, std::string_view master_key,
              std::string_view pepper, int64_t cache_ttl_ms = 1'000);

  // Returns the full key; shown once. With a lifetime, the key expires lifetime_ms after its
  // created_at_ms (expires_at_ms in List); without, never.
  std::string Create(const std::string& tenant, ScopeSet scopes,
                     std::optional<int64_t> lifetime_ms = std::nullopt);
  std::vector<ApiKeyRecord> List();
  bool Revoke(const std::string& prefix);  // false when no such active key
  // The key's owner. kExpired only once the secret has verified, so it tells nothing to someone
  // who does not hold the key.
  Result<Principal, KeyRefusal> Authenticate(std::string_view bearer_key);

  // Gives the key a new TOTP seed (sealed at rest) and returns the otpauth:// URI to enroll an
  // authenticator app with; nullopt when no active (unrevoked, unexpired) key has this prefix.
  std::optional<std::string> EnrollTotp(const std::string& prefix);
  enum class TotpCheck { kOk, kNotEnrolled, kWrongCode, kReplayed };
  // Checks a code for the key (the X-TOTP header of sensitive actions); a code is accepted once.
  TotpCheck CheckTotp(const std::string& prefix, std::string_view code);

 private:
  struct CachedKey {
    std::string secret_hash;
    Principal principal;
    bool revoked = false;
    std::optional<int64_t> expires_at_ms;
    int64_t read_at_ms = 0;
  };
  static constexpr size_t kCacheEntriesMax = 10'000;

  store::Database& database_;
  store::ConnectionPool pool_;
  const Clock& clock_;
  std::string pepper_;
  HmacSha256Key pepper_key_;  // the pepper prepared for checking secrets
  SecretBox box_;
  const int64_t cache_ttl_ms_;
  struct PrefixHash {
    using is_transparent = void;
    size_t operator()(std::string_view prefix) const {
      return std::hash<std::string_view>{}(prefix);
    }
  };
  std::mutex cache_mutex_;
  // By prefix; only keys that exist. Shared, so a lookup copies a pointer under the lock.
  std::unordered_map<std::string, std::shared_ptr<const CachedKey>, PrefixHash, std::equal_to<>>
      cache_;
};

}  // namespace cambista::api
