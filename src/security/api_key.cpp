#include "security/api_key.hpp"

#include "core/assert.hpp"
#include "security/hmac.hpp"

namespace cambista {
namespace {

bool IsLowerBase32(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

bool AllLowerBase32(std::string_view text) {
  for (char c : text) {
    if (!IsLowerBase32(c)) return false;
  }
  return true;
}

}  // namespace

std::string_view ApiKeyErrorCode(ApiKeyError error) {
  switch (error) {
    case ApiKeyError::kEmpty:
      return "empty";
    case ApiKeyError::kTooLong:
      return "too_long";
    case ApiKeyError::kWrongShape:
      return "wrong_shape";
    case ApiKeyError::kInvalidCharacter:
      return "invalid_character";
  }
  return "unknown";
}

std::string_view KeyLifetimeErrorMessage(KeyLifetimeError error) {
  switch (error) {
    case KeyLifetimeError::kEmpty:
      return "the lifetime is empty";
    case KeyLifetimeError::kNoNumber:
      return "the lifetime must start with a whole number, such as 90d";
    case KeyLifetimeError::kUnknownUnit:
      return "the lifetime must end with one unit: s, m (minutes), h, d or w";
    case KeyLifetimeError::kZero:
      return "the lifetime must be at least one second";
    case KeyLifetimeError::kTooLong:
      return "the lifetime must be at most ten years (3660d)";
  }
  return "the lifetime is invalid";
}

Result<int64_t, KeyLifetimeError> ParseKeyLifetimeMs(std::string_view text) {
  if (text.empty()) return Failure{KeyLifetimeError::kEmpty};
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return Failure{KeyLifetimeError::kNoNumber};
  if (digits != text.size() - 1) return Failure{KeyLifetimeError::kUnknownUnit};
  int64_t unit_ms = 0;
  switch (text.back()) {
    case 's':
      unit_ms = 1'000;
      break;
    case 'm':
      unit_ms = 60'000;
      break;
    case 'h':
      unit_ms = 3'600'000;
      break;
    case 'd':
      unit_ms = 24 * 3'600'000LL;
      break;
    case 'w':
      unit_ms = 7 * 24 * 3'600'000LL;
      break;
    default:
      return Failure{KeyLifetimeError::kUnknownUnit};
  }
  // Leading zeros aside, more digits than this cannot fit under the maximum (and could overflow).
  const size_t first = text.find_first_not_of('0');
  if (first == digits) return Failure{KeyLifetimeError::kZero};
  if (digits - first > kApiKeyLifetimeDigitsMax) return Failure{KeyLifetimeError::kTooLong};
  int64_t count = 0;
  for (size_t i = first; i < digits; ++i) count = count * 10 + (text[i] - '0');
  if (count > kApiKeyLifetimeMsMax / unit_ms) return Failure{KeyLifetimeError::kTooLong};
  return count * unit_ms;
}

GeneratedApiKey GenerateApiKey(std::string_view pepper) {
  CAMBISTA_CHECK(pepper.size() >= kApiKeyPepperBytesMin);
  GeneratedApiKey key;
  key.prefix = Base32EncodeLower(RandomBytes(kApiKeyPrefixBytes));
  const std::string secret = Base32EncodeLower(RandomBytes(kApiKeySecretBytes));
  CAMBISTA_CHECK(key.prefix.size() == kApiKeyPrefixChars);
  CAMBISTA_CHECK(secret.size() == kApiKeySecretChars);
  key.full_key.reserve(kApiKeyChars);
  key.full_key.append(kApiKeyTag).append(key.prefix).append("_").append(secret);
  key.secret_hash = HashApiKeySecret(pepper, secret);
  return key;
}

Result<ApiKeyParts, ApiKeyError> ParseApiKey(std::string_view text) {
  if (text.empty()) return Failure{ApiKeyError::kEmpty};
  if (text.size() > kApiKeyTextCharsMax) return Failure{ApiKeyError::kTooLong};
  constexpr size_t kSeparatorAt = kApiKeyTag.size() + kApiKeyPrefixChars;
  if (text.size() != kApiKeyChars || !text.starts_with(kApiKeyTag) || text[kSeparatorAt] != '_') {
    return Failure{ApiKeyError::kWrongShape};
  }
  const std::string_view prefix = text.substr(kApiKeyTag.size(), kApiKeyPrefixChars);
  const std::string_view secret = text.substr(kSeparatorAt + 1);
  if (!AllLowerBase32(prefix) || !AllLowerBase32(secret)) {
    return Failure{ApiKeyError::kInvalidCharacter};
  }
  return ApiKeyParts{prefix, secret};
}

std::string HashApiKeySecret(std::string_view pepper, std::string_view secret) {
  CAMBISTA_CHECK(pepper.size() >= kApiKeyPepperBytesMin);
  return HmacSha256(pepper, secret);
}

bool VerifySecret(std::string_view pepper, std::string_view secret, std::string_view stored_hash) {
  return ConstantTimeEquals(HashApiKeySecret(pepper, secret), stored_hash);
}

bool VerifySecret(const HmacSha256Key& pepper, std::string_view secret,
                  std::string_view stored_hash) {
  return pepper.Verify(secret, stored_hash);
}

}  // namespace cambista
