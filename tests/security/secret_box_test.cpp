#include "security/secret_box.hpp"

#include <gtest/gtest.h>

#include "security/hmac.hpp"

namespace cambista {
namespace {

TEST(SecretBoxTest, SealsAndOpensBoundToItsPlace) {
  const SecretBox box(std::string(32, 'k'));
  const std::string secret = std::string("totp seed \0 with a zero byte", 28);
  const std::string sealed = box.Seal(secret, "api_keys.totp:abcdefgh");
  EXPECT_EQ(sealed.substr(0, 2), "v1");
  EXPECT_EQ(sealed.size(), 2 + 12 + secret.size() + 16);
  EXPECT_EQ(sealed.find("totp seed"), std::string::npos);  // no plaintext at rest
  EXPECT_EQ(box.Open(sealed, "api_keys.totp:abcdefgh").value(), secret);
  // Fresh nonce every time: the same secret never seals to the same bytes.
  EXPECT_NE(box.Seal(secret, "x"), box.Seal(secret, "x"));
  EXPECT_EQ(box.Open(box.Seal("", "empty"), "empty").value(), "");
}

TEST(SecretBoxTest, RefusesWhatWasAlteredMovedOrSealedWithAnotherKey) {
  const SecretBox box(std::string(32, 'k'));
  const std::string sealed = box.Seal("whsec_abc", "webhook_endpoints.secret:ep_1");
  EXPECT_EQ(box.Open(sealed, "webhook_endpoints.secret:ep_2").error(),
            SecretBoxError::kNotAuthentic);
  for (size_t i = 2; i < sealed.size(); ++i) {  // every byte after the version is authenticated
    std::string altered = sealed;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_EQ(box.Open(altered, "webhook_endpoints.secret:ep_1").error(),
              SecretBoxError::kNotAuthentic)
        << "byte " << i;
  }
  const SecretBox other(std::string(32, 'j'));
  EXPECT_EQ(other.Open(sealed, "webhook_endpoints.secret:ep_1").error(),
            SecretBoxError::kNotAuthentic);
  EXPECT_EQ(box.Open("v1short", "x").error(), SecretBoxError::kMalformed);
  EXPECT_EQ(box.Open("v2" + sealed.substr(2), "x").error(), SecretBoxError::kMalformed);
  EXPECT_EQ(box.Open("", "x").error(), SecretBoxError::kMalformed);
}

TEST(SecretBoxTest, MatchesTheGcmTestVector) {
  // NIST GCM test case 16 style check through our framing: key 0xfeffe9..., nonce cafebabe...
  const std::string key =
      HexDecode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308").value();
  const std::string nonce = HexDecode("cafebabefacedbaddecaf888").value();
  const std::string plaintext =
      HexDecode(
          "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
          "49a6b525b16aedf5aa0de657ba637b39")
          .value();
  const std::string aad = HexDecode("feedfacedeadbeeffeedfacedeadbeefabaddad2").value();
  const std::string expected_ciphertext =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
      "56828838c5f61e6393ba7a0abcc9f662";
  const std::string expected_tag = "76fc6ece0f4e1768cddf8853bb2d551b";
  const SecretBox box(key);
  const std::string sealed =
      "v1" + nonce + HexDecode(expected_ciphertext).value() + HexDecode(expected_tag).value();
  EXPECT_EQ(box.Open(sealed, aad).value(), plaintext);
}

}  // namespace
}  // namespace cambista
