#include "security/totp.hpp"

#include <gtest/gtest.h>

namespace cambista {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

TotpSecret RfcSecret(std::string_view seed) {
  return TotpSecret::FromBytes(seed).value();
}

const TotpParams kEightDigitsSha1{HashAlgorithm::kSha1, 8, 30, 1};

struct Vector {
  int64_t unix_seconds;
  std::string_view sha1;
  std::string_view sha256;
  std::string_view sha512;
};

// RFC 6238 appendix B.
constexpr Vector kVectors[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
};

TEST(TotpCode, Rfc6238Sha1EightDigits) {
  const TotpSecret secret = RfcSecret("12345678901234567890");
  for (const Vector& v : kVectors) {
    EXPECT_EQ(TotpCode(secret, v.unix_seconds, kEightDigitsSha1), v.sha1) << v.unix_seconds;
  }
}

TEST(TotpCode, Rfc6238Sha1SixDigitsAreTheLastSix) {
  const TotpSecret secret = RfcSecret("12345678901234567890");
  for (const Vector& v : kVectors) {
    EXPECT_EQ(TotpCode(secret, v.unix_seconds), v.sha1.substr(2)) << v.unix_seconds;
  }
}

TEST(TotpCode, Rfc6238Sha256AndSha512) {
  const TotpSecret secret256 = RfcSecret("12345678901234567890123456789012");
  const TotpSecret secret512 =
      RfcSecret("1234567890123456789012345678901234567890123456789012345678901234");
  const TotpParams sha256{HashAlgorithm::kSha256, 8, 30, 1};
  const TotpParams sha512{HashAlgorithm::kSha512, 8, 30, 1};
  for (const Vector& v : kVectors) {
    EXPECT_EQ(TotpCode(secret256, v.unix_seconds, sha256), v.sha256) << v.unix_seconds;
    EXPECT_EQ(TotpCode(secret512, v.unix_seconds, sha512), v.sha512) << v.unix_seconds;
  }
}

TEST(TotpSecret, FromBase32MatchesBytes) {
  // base32("12345678901234567890"), as an authenticator app would show it.
  const TotpSecret secret = TotpSecret::FromBase32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").value();
  EXPECT_EQ(secret.bytes(), "12345678901234567890");
  EXPECT_EQ(secret.ToBase32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(TotpSecret::FromBase32("gezdgnbvgy3tqojqgezdgnbvgy3tqojq").value().bytes(),
            secret.bytes());
}

TEST(TotpSecret, RejectsBadSecrets) {
  EXPECT_EQ(TotpSecret::FromBase32("").error(), TotpError::kSecretTooShort);
  EXPECT_EQ(TotpSecret::FromBase32("GEZDGNBV").error(), TotpError::kSecretTooShort);  // 5 bytes
  EXPECT_EQ(TotpSecret::FromBase32("GEZDGNBVGY3TQOJ1").error(), TotpError::kInvalidSecret);
  EXPECT_EQ(TotpSecret::FromBase32("GEZD GNBV GY3T QOJQ").error(), TotpError::kInvalidSecret);
  EXPECT_EQ(TotpSecret::FromBase32(std::string(200, 'A')).error(), TotpError::kSecretTooLong);
  EXPECT_EQ(TotpSecret::FromBytes(std::string(65, 'x')).error(), TotpError::kSecretTooLong);
  EXPECT_EQ(TotpSecret::FromBytes(std::string(15, 'x')).error(), TotpError::kSecretTooShort);
  EXPECT_TRUE(TotpSecret::FromBytes(std::string(16, 'x')).ok());
}

TEST(TotpSecret, GenerateIsRandomAndRoundTrips) {
  const TotpSecret a = GenerateTotpSecret();
  const TotpSecret b = GenerateTotpSecret();
  EXPECT_EQ(a.bytes().size(), kTotpSecretBytes);
  EXPECT_NE(a.bytes(), b.bytes());
  EXPECT_EQ(a.ToBase32().size(), 32U);
  EXPECT_EQ(TotpSecret::FromBase32(a.ToBase32()).value().bytes(), a.bytes());
}

TEST(TotpStep, FloorsAlsoBeforeEpoch) {
  EXPECT_EQ(TotpStep(0), 0);
  EXPECT_EQ(TotpStep(29), 0);
  EXPECT_EQ(TotpStep(30), 1);
  EXPECT_EQ(TotpStep(-1), -1);
  EXPECT_EQ(TotpStep(-30), -1);
  EXPECT_EQ(TotpStep(-31), -2);
}

class VerifyTotpTest : public ::testing::Test {
 protected:
  // 1111111111 is 1 s into step 37037037 (which starts at 1111111110).
  void SetNow(int64_t unix_seconds) { clock_.SetNs(unix_seconds * kNsPerSecond); }
  std::string CodeAt(int64_t unix_seconds) { return TotpCode(secret_, unix_seconds); }

  TotpSecret secret_ = RfcSecret("12345678901234567890");
  ManualClock clock_{1111111111 * kNsPerSecond};
};

TEST_F(VerifyTotpTest, AcceptsCurrentStepAndReturnsIt) {
  auto step = VerifyTotp(secret_, "050471", clock_, std::nullopt);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(*step, 1111111111 / 30);
}

TEST_F(VerifyTotpTest, WindowEdges) {
  const int64_t step_start = 1111111110;
  SetNow(step_start);
  // One step on each side is accepted, two are not.
  EXPECT_EQ(VerifyTotp(secret_, CodeAt(step_start - 30), clock_, std::nullopt).value(),
            step_start / 30 - 1);
  EXPECT_EQ(VerifyTotp(secret_, CodeAt(step_start + 59), clock_, std::nullopt).value(),
            step_start / 30 + 1);
  EXPECT_EQ(VerifyTotp(secret_, CodeAt(step_start - 31), clock_, std::nullopt).error(),
            TotpError::kWrongCode);
  EXPECT_EQ(VerifyTotp(secret_, CodeAt(step_start + 60), clock_, std::nullopt).error(),
            TotpError::kWrongCode);
  // Last second of the step: the same window.
  SetNow(step_start + 29);
  EXPECT_TRUE(VerifyTotp(secret_, CodeAt(step_start - 30), clock_, std::nullopt).ok());
  SetNow(step_start + 30);
  EXPECT_EQ(VerifyTotp(secret_, CodeAt(step_start - 30), clock_, std::nullopt).error(),
            TotpError::kWrongCode);
}

TEST_F(VerifyTotpTest, ZeroWindowAcceptsOnlyCurrentStep) {
  const TotpParams strict{HashAlgorithm::kSha1, 6, 30, 0};
  SetNow(1111111110);
  EXPECT_TRUE(VerifyTotp(secret_, CodeAt(1111111110), clock_, std::nullopt, strict).ok());
  EXPECT_EQ(VerifyTotp(secret_, CodeAt(1111111080), clock_, std::nullopt, strict).error(),
            TotpError::kWrongCode);
}

TEST_F(VerifyTotpTest, RejectsReplayInSameStep) {
  const std::string code = CodeAt(1111111111);
  const int64_t accepted = VerifyTotp(secret_, code, clock_, std::nullopt).value();
  clock_.AdvanceMs(5'000);
  EXPECT_EQ(VerifyTotp(secret_, code, clock_, accepted).error(), TotpError::kReplayedCode);
}

TEST_F(VerifyTotpTest, RejectsOlderStepAfterNewerAccepted) {
  const int64_t accepted =
      VerifyTotp(secret_, CodeAt(1111111111 + 30), clock_, std::nullopt).value();
  EXPECT_EQ(VerifyTotp(secret_, CodeAt(1111111111), clock_, accepted).error(),
            TotpError::kReplayedCode);
  // The next step is still fine once the clock gets there.
  SetNow(1111111111 + 60);
  EXPECT_EQ(VerifyTotp(secret_, CodeAt(1111111111 + 60), clock_, accepted).value(), accepted + 1);
}

TEST_F(VerifyTotpTest, RejectsMalformedCodes) {
  EXPECT_EQ(VerifyTotp(secret_, "", clock_, std::nullopt).error(), TotpError::kInvalidCodeFormat);
  EXPECT_EQ(VerifyTotp(secret_, "05047", clock_, std::nullopt).error(),
            TotpError::kInvalidCodeFormat);
  EXPECT_EQ(VerifyTotp(secret_, "0504710", clock_, std::nullopt).error(),
            TotpError::kInvalidCodeFormat);
  EXPECT_EQ(VerifyTotp(secret_, "05047a", clock_, std::nullopt).error(),
            TotpError::kInvalidCodeFormat);
  EXPECT_EQ(VerifyTotp(secret_, " 50471", clock_, std::nullopt).error(),
            TotpError::kInvalidCodeFormat);
  EXPECT_EQ(VerifyTotp(secret_, "14050471", clock_, std::nullopt).error(),
            TotpError::kInvalidCodeFormat);  // the 8-digit code under 6-digit params
  EXPECT_EQ(VerifyTotp(secret_, "000000", clock_, std::nullopt).error(), TotpError::kWrongCode);
}

TEST(BuildTotpUri, EncodesLabelAndParameters) {
  const TotpSecret secret = TotpSecret::FromBytes("12345678901234567890").value();
  EXPECT_EQ(BuildTotpUri("Cambista", "ana@example.com", secret),
            "otpauth://totp/Cambista:ana%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=Cambista&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(
      BuildTotpUri("Desk: São Paulo", "a b", secret, TotpParams{HashAlgorithm::kSha256, 8, 60, 1}),
      "otpauth://totp/Desk%3A%20S%C3%A3o%20Paulo:a%20b?secret="
      "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Desk%3A%20S%C3%A3o%20Paulo&algorithm=SHA256"
      "&digits=8&period=60");
  EXPECT_EQ(BuildTotpUri("", "ana", secret),
            "otpauth://totp/ana?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6"
            "&period=30");
}

}  // namespace
}  // namespace cambista
