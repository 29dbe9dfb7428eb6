#include "security/api_key.hpp"

#include <gtest/gtest.h>

#include <set>

#include "security/hmac.hpp"

namespace cambista {
namespace {

const std::string kPepper(32, 'p');

std::string ValidKey() {
  return "cmb_abcdefgh_" + std::string(kApiKeySecretChars, 'a');
}

TEST(GenerateApiKey, ShapeAndHash) {
  const GeneratedApiKey key = GenerateApiKey(kPepper);
  EXPECT_EQ(key.full_key.size(), kApiKeyChars);
  EXPECT_EQ(key.full_key.substr(0, 4), "cmb_");
  EXPECT_EQ(key.prefix.size(), kApiKeyPrefixChars);
  EXPECT_EQ(key.secret_hash.size(), kSha256Bytes);

  const ApiKeyParts parts = ParseApiKey(key.full_key).value();
  EXPECT_EQ(parts.prefix, key.prefix);
  EXPECT_EQ(parts.secret.size(), kApiKeySecretChars);
  EXPECT_EQ(key.secret_hash, HmacSha256(kPepper, parts.secret));
  EXPECT_TRUE(VerifySecret(kPepper, parts.secret, key.secret_hash));
}

TEST(GenerateApiKey, KeysDiffer) {
  std::set<std::string> prefixes;
  std::set<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    const GeneratedApiKey key = GenerateApiKey(kPepper);
    prefixes.insert(key.prefix);
    keys.insert(key.full_key);
  }
  EXPECT_EQ(prefixes.size(), 100U);
  EXPECT_EQ(keys.size(), 100U);
}

TEST(VerifySecret, RejectsWrongSecretPepperOrHash) {
  const GeneratedApiKey key = GenerateApiKey(kPepper);
  const std::string secret(ParseApiKey(key.full_key).value().secret);
  std::string wrong_secret = secret;
  wrong_secret[0] = wrong_secret[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(VerifySecret(kPepper, wrong_secret, key.secret_hash));
  EXPECT_FALSE(VerifySecret(std::string(32, 'q'), secret, key.secret_hash));
  EXPECT_FALSE(VerifySecret(kPepper, secret, key.secret_hash.substr(1)));
  EXPECT_FALSE(VerifySecret(kPepper, secret, ""));
  // A plain SHA-256 of the secret (an unkeyed hash) is not what is stored.
  EXPECT_FALSE(VerifySecret(kPepper, secret, Sha256(secret)));
}

TEST(ParseApiKey, Valid) {
  const std::string key = ValidKey();
  const ApiKeyParts parts = ParseApiKey(key).value();  // views into `key`
  EXPECT_EQ(parts.prefix, "abcdefgh");
  EXPECT_EQ(parts.secret, std::string(kApiKeySecretChars, 'a'));
}

TEST(ParseApiKey, Empty) {
  EXPECT_EQ(ParseApiKey("").error(), ApiKeyError::kEmpty);
}

TEST(ParseApiKey, TooLong) {
  EXPECT_EQ(ParseApiKey(std::string(kApiKeyTextCharsMax + 1, 'a')).error(), ApiKeyError::kTooLong);
  EXPECT_EQ(ParseApiKey(ValidKey() + std::string(1'000'000, 'a')).error(), ApiKeyError::kTooLong);
  EXPECT_EQ(ParseApiKey(std::string(kApiKeyTextCharsMax, 'a')).error(), ApiKeyError::kWrongShape);
}

TEST(ParseApiKey, WrongShape) {
  const std::string secret(kApiKeySecretChars, 'a');
  EXPECT_EQ(ParseApiKey("cmb_").error(), ApiKeyError::kWrongShape);
  EXPECT_EQ(ParseApiKey("xyz_abcdefgh_" + secret).error(), ApiKeyError::kWrongShape);
  EXPECT_EQ(ParseApiKey("CMB_abcdefgh_" + secret).error(), ApiKeyError::kWrongShape);
  EXPECT_EQ(ParseApiKey("cmb-abcdefgh_" + secret).error(), ApiKeyError::kWrongShape);
  EXPECT_EQ(ParseApiKey("cmb_abcdefgh-" + secret).error(), ApiKeyError::kWrongShape);
  EXPECT_EQ(ParseApiKey("cmb_abcdefg_a" + secret).error(), ApiKeyError::kWrongShape);  // 7 + 53
  EXPECT_EQ(ParseApiKey("cmb_abcdefgh_" + secret + "a").error(), ApiKeyError::kWrongShape);
  EXPECT_EQ(ParseApiKey(ValidKey().substr(1)).error(), ApiKeyError::kWrongShape);
  EXPECT_EQ(ParseApiKey("Bearer " + ValidKey()).error(), ApiKeyError::kWrongShape);
  EXPECT_EQ(ParseApiKey(ValidKey() + "\n").error(), ApiKeyError::kWrongShape);
}

TEST(ParseApiKey, InvalidCharacters) {
  const std::string secret(kApiKeySecretChars, 'a');
  EXPECT_EQ(ParseApiKey("cmb_ABCDEFGH_" + secret).error(), ApiKeyError::kInvalidCharacter);
  EXPECT_EQ(ParseApiKey("cmb_abcdefg1_" + secret).error(), ApiKeyError::kInvalidCharacter);
  EXPECT_EQ(ParseApiKey("cmb_abcd_fgh_" + secret).error(), ApiKeyError::kInvalidCharacter);
  std::string bad_secret = secret;
  bad_secret[10] = '-';
  EXPECT_EQ(ParseApiKey("cmb_abcdefgh_" + bad_secret).error(), ApiKeyError::kInvalidCharacter);
  bad_secret[10] = '8';
  EXPECT_EQ(ParseApiKey("cmb_abcdefgh_" + bad_secret).error(), ApiKeyError::kInvalidCharacter);
  bad_secret[10] = '\0';
  EXPECT_EQ(ParseApiKey("cmb_abcdefgh_" + bad_secret).error(), ApiKeyError::kInvalidCharacter);
}

TEST(ParseKeyLifetimeMs, UnitsAndNumbers) {
  EXPECT_EQ(ParseKeyLifetimeMs("90d").value(), 90LL * 24 * 3'600'000);
  EXPECT_EQ(ParseKeyLifetimeMs("12h").value(), 12LL * 3'600'000);
  EXPECT_EQ(ParseKeyLifetimeMs("30m").value(), 30LL * 60'000);  // minutes, not months
  EXPECT_EQ(ParseKeyLifetimeMs("45s").value(), 45'000);
  EXPECT_EQ(ParseKeyLifetimeMs("2w").value(), 14LL * 24 * 3'600'000);
  EXPECT_EQ(ParseKeyLifetimeMs("007d").value(), 7LL * 24 * 3'600'000);
  EXPECT_EQ(ParseKeyLifetimeMs("1s").value(), 1'000);
}

TEST(ParseKeyLifetimeMs, Bounds) {
  EXPECT_EQ(ParseKeyLifetimeMs("3660d").value(), kApiKeyLifetimeMsMax);
  EXPECT_EQ(ParseKeyLifetimeMs("3661d").error(), KeyLifetimeError::kTooLong);
  EXPECT_EQ(ParseKeyLifetimeMs("522w").value(), 522LL * 7 * 24 * 3'600'000);  // 3654 days
  EXPECT_EQ(ParseKeyLifetimeMs("523w").error(), KeyLifetimeError::kTooLong);  // 3661 days
  // Many digits must not overflow on the way to being refused.
  EXPECT_EQ(ParseKeyLifetimeMs("99999999999999999999999s").error(), KeyLifetimeError::kTooLong);
  EXPECT_EQ(ParseKeyLifetimeMs("9223372036854775807s").error(), KeyLifetimeError::kTooLong);
  EXPECT_EQ(ParseKeyLifetimeMs("0d").error(), KeyLifetimeError::kZero);
  EXPECT_EQ(ParseKeyLifetimeMs("000s").error(), KeyLifetimeError::kZero);
}

TEST(ParseKeyLifetimeMs, Malformed) {
  using E = KeyLifetimeError;
  EXPECT_EQ(ParseKeyLifetimeMs("").error(), E::kEmpty);
  for (const char* text : {"d", "-5d", "+5d", " 5d", ".5d", "h12"}) {
    EXPECT_EQ(ParseKeyLifetimeMs(text).error(), E::kNoNumber) << text;
  }
  for (const char* text : {"90", "90y", "90D", "90M", "1.5d", "9d0", "90 d", "90dd", "5d "}) {
    EXPECT_EQ(ParseKeyLifetimeMs(text).error(), E::kUnknownUnit) << text;
  }
  EXPECT_NE(KeyLifetimeErrorMessage(E::kUnknownUnit).find("s, m (minutes), h, d or w"),
            std::string_view::npos);
}

TEST(ApiKeyError, Codes) {
  EXPECT_EQ(ApiKeyErrorCode(ApiKeyError::kWrongShape), "wrong_shape");
  EXPECT_EQ(ApiKeyErrorCode(ApiKeyError::kTooLong), "too_long");
}

}  // namespace
}  // namespace cambista
