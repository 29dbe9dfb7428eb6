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
