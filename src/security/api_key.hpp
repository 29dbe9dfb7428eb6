// API keys: `cmb_<prefix>_<secret>`, issued once, stored only as a keyed hash.
//
// Shape: "cmb_" + 8-character prefix + "_" + 52-character secret, 65 characters in all. Both parts
// use lower-case RFC 4648 base32 (a-z, 2-7): URL-safe, no '_' or '-' inside a part (so the
// separators are unambiguous and a double-click selects the whole key), and no case to get wrong.
// The prefix is 5 random bytes (40 bits); it is not secret, is stored in clear, and finds the
// record (the table needs a unique index on it; on the rare collision, generate again). The secret
// is 32 random bytes (256 bits) and is shown exactly once; the server keeps only
// HMAC-SHA256(server_pepper, secret text). A keyed hash rather than a plain one means a leaked
// database alone does not let anyone test guesses offline: the pepper lives in configuration, not
// in the database. A fast hash is enough because the secret has 256 bits of entropy (no password
// stretching needed). ParseApiKey is strict and reads at most kApiKeyTextCharsMax characters, so an
// attacker cannot make it scan a large header. Verification compares in constant time; when the
// prefix is unknown, the caller should still call VerifySecret against a dummy hash so a missing
// key and a wrong secret take the same time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "security/hmac.hpp"
#include "security/scope.hpp"  // IWYU pragma: export (keys carry scopes)

namespace cambista {

inline constexpr std::string_view kApiKeyTag = "cmb_";
inline constexpr size_t kApiKeyPrefixChars = 8;
inline constexpr size_t kApiKeyPrefixBytes = 5;  // 40 bits: 8 base32 characters exactly
inline constexpr size_t kApiKeySecretBytes = 32;
inline constexpr size_t kApiKeySecretChars = 52;  // ceil(256 / 5)
inline constexpr size_t kApiKeyChars = 4 + kApiKeyPrefixChars + 1 + kApiKeySecretChars;
// Longer input is rejected before it is looked at.
inline constexpr size_t kApiKeyTextCharsMax = 128;
// The pepper comes from configuration; a shorter one is a configuration bug.
inline constexpr size_t kApiKeyPepperBytesMin = 32;

// Stable error codes: the numbers are persisted and shown to clients; never change or reuse one.
enum class ApiKeyError : uint16_t {
  kEmpty = 1,             // ""
  kTooLong = 2,           // more than kApiKeyTextCharsMax characters
  kWrongShape = 3,        // not "cmb_" + 8 + "_" + 52 characters
  kInvalidCharacter = 4,  // right shape, but a character outside a-z 2-7 in the prefix or secret
};

// Stable snake_case code, e.g. "wrong_shape".
std::string_view ApiKeyErrorCode(ApiKeyError error);

// A key may be issued with a lifetime (`cambista keys create --expires-in 90d`): a whole number and
// one unit, s (seconds), m (minutes), h (hours), d (days) or w (weeks), such as "90d", "12h" or
// "30m" ("m" is minutes: months have no fixed length). At least one second, at most ten years.
inline constexpr int64_t kApiKeyLifetimeMsMax = 3'660LL * 24 * 3'600'000;
inline constexpr size_t kApiKeyLifetimeDigitsMax = 12;

// Stable error codes: the numbers are persisted and shown to clients; never change or reuse one.
enum class KeyLifetimeError : uint16_t {
  kEmpty = 1,
  kNoNumber = 2,     // "d", "-5d", "1.5d", " 5d": not a whole number of digits first
  kUnknownUnit = 3,  // "90", "90y", "90D", "9d0": no unit, or not one of s m h d w
  kZero = 4,         // "0d"
  kTooLong = 5,      // over kApiKeyLifetimeMsMax
};

// What is wrong, for a person: "the unit must be one of s, m, h, d, w".
std::string_view KeyLifetimeErrorMessage(KeyLifetimeError error);

// "90d" -> 7'776'000'000 (milliseconds).
Result<int64_t, KeyLifetimeError> ParseKeyLifetimeMs(std::string_view text);

struct GeneratedApiKey {
  std::string full_key;     // show to the client once; never store or log
  std::string prefix;       // store in clear, unique index
  std::string secret_hash;  // raw 32 bytes: HMAC-SHA256(pepper, secret); store
};

// Views into the text given to ParseApiKey.
struct ApiKeyParts {
  std::string_view prefix;
  std::string_view secret;
};

// A fresh key from the CSPRNG. `pepper` must be at least kApiKeyPepperBytesMin bytes (checked).
GeneratedApiKey GenerateApiKey(std::string_view pepper);

// Splits a key presented by a client; checks shape and alphabet only, not whether it exists.
Result<ApiKeyParts, ApiKeyError> ParseApiKey(std::string_view text);

// HMAC-SHA256(pepper, secret): the value stored for a key.
std::string HashApiKeySecret(std::string_view pepper, std::string_view secret);

// True when `secret` hashes to `stored_hash`; constant time in the secret and the hash.
bool VerifySecret(std::string_view pepper, std::string_view secret, std::string_view stored_hash);
// The same with the pepper prepared once (HmacSha256Key over the pepper), for every request.
bool VerifySecret(const HmacSha256Key& pepper, std::string_view secret,
                  std::string_view stored_hash);

}  // namespace cambista
