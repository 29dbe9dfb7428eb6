#include "security/hmac.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <string>

namespace cambista {
namespace {

std::string HmacHex(std::string_view key, std::string_view message) {
  return HexEncode(HmacSha256(key, message));
}

// RFC 4231 section 4.
TEST(HmacSha256, Rfc4231Case1) {
  EXPECT_EQ(HmacHex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, Rfc4231Case2ShortKey) {
  EXPECT_EQ(HmacHex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, Rfc4231Case3) {
  EXPECT_EQ(HmacHex(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(HmacSha256, Rfc4231Case6KeyLargerThanBlock) {
  EXPECT_EQ(
      HmacHex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, Rfc4231Case7KeyAndDataLargerThanBlock) {
  EXPECT_EQ(HmacHex(std::string(131, '\xaa'),
                    "This is a test using a larger than block-size key and a larger than "
                    "block-size data. The key needs to be hashed before being used by the HMAC "
                    "algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256, EmptyKeyAndMessageAreAllowed) {
  // Well-known value of HMAC-SHA256("", "").
  EXPECT_EQ(HmacHex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(HmacSha256("", "").size(), kSha256Bytes);
}

TEST(Sha256, FipsAbc) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Empty) {
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Hex, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  const std::string hex = HexEncode(bytes);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(hex.size() - 4), "feff");
  EXPECT_EQ(HexDecode(hex).value(), bytes);
}

TEST(Hex, DecodeAcceptsUpperCase) {
  EXPECT_EQ(HexDecode("DEADbeef").value(), "\xde\xad\xbe\xef");
}

TEST(Hex, DecodeRejectsBadInput) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexDecode("").value(), "");
  EXPECT_EQ(HexDecode("abc").error(), EncodingError::kInvalidLength);
  EXPECT_EQ(HexDecode("zz").error(), EncodingError::kInvalidCharacter);
  EXPECT_EQ(HexDecode("0g").error(), EncodingError::kInvalidCharacter);
  EXPECT_EQ(HexDecode("00 ").error(), EncodingError::kInvalidCharacter);
  EXPECT_EQ(HexDecode("0x00").error(), EncodingError::kInvalidCharacter);
  EXPECT_EQ(HexDecode(std::string("0\0", 2)).error(), EncodingError::kInvalidCharacter);
}

// RFC 4648 section 10.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded).value(), plain) << encoded;
  }
}

TEST(Base64, UsesStandardAlphabet) {
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(Base64Decode("+/+/").value(), "\xfb\xff\xbf");
  EXPECT_EQ(Base64Decode("-_-_").error(), EncodingError::kInvalidCharacter);
}

TEST(Base64, DecodeRejectsBadInput) {
  EXPECT_EQ(Base64Decode("Zg").error(), EncodingError::kInvalidLength);  // padding required
  EXPECT_EQ(Base64Decode("Zg=").error(), EncodingError::kInvalidLength);
  EXPECT_EQ(Base64Decode("Z===").error(), EncodingError::kInvalidPadding);
  EXPECT_EQ(Base64Decode("====").error(), EncodingError::kInvalidPadding);
  EXPECT_EQ(Base64Decode("Zg==Zg==").error(), EncodingError::kInvalidPadding);
  EXPECT_EQ(Base64Decode("Z=g=").error(), EncodingError::kInvalidPadding);
  EXPECT_EQ(Base64Decode("Zm9 v").error(), EncodingError::kInvalidCharacter);
  EXPECT_EQ(Base64Decode("Zm9v\n").error(), EncodingError::kInvalidCharacter);
  EXPECT_EQ(Base64Decode("Zm9\xc3").error(), EncodingError::kInvalidCharacter);
  // "Zh==" decodes to 'f' with non-zero leftover bits: only "Zg==" is accepted.
  EXPECT_EQ(Base64Decode("Zh==").error(), EncodingError::kNonCanonical);
  EXPECT_EQ(Base64Decode("Zm9=").error(), EncodingError::kNonCanonical);
}

// RFC 4648 section 10; our encoder leaves out the padding.
TEST(Base32, Rfc4648Vectors) {
  struct Vector {
    std::string_view plain, padded, unpadded;
  };
  const Vector all[] = {
      {"", "", ""},
      {"f", "MY======", "MY"},
      {"fo", "MZXQ====", "MZXQ"},
      {"foo", "MZXW6===", "MZXW6"},
      {"foob", "MZXW6YQ=", "MZXW6YQ"},
      {"fooba", "MZXW6YTB", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======", "MZXW6YTBOI"},
  };
  for (const auto& v : all) {
    EXPECT_EQ(Base32Encode(v.plain), v.unpadded);
    EXPECT_EQ(Base32Decode(v.padded).value(), v.plain) << v.padded;
    EXPECT_EQ(Base32Decode(v.unpadded).value(), v.plain) << v.unpadded;
  }
  EXPECT_EQ(Base32EncodeLower("foobar"), "mzxw6ytboi");
  EXPECT_EQ(Base32Decode("mzxw6ytboi").value(), "foobar");
}

TEST(Base32, DecodeRejectsBadInput) {
  EXPECT_EQ(Base32Decode("M").error(), EncodingError::kInvalidLength);
  EXPECT_EQ(Base32Decode("MZX").error(), EncodingError::kInvalidLength);
  EXPECT_EQ(Base32Decode("MZXW6Y").error(), EncodingError::kInvalidLength);
  EXPECT_EQ(Base32Decode("MY=").error(), EncodingError::kInvalidPadding);
  EXPECT_EQ(Base32Decode("MY=======").error(), EncodingError::kInvalidPadding);
  EXPECT_EQ(Base32Decode("========").error(), EncodingError::kInvalidPadding);
  EXPECT_EQ(Base32Decode("MY======MY").error(), EncodingError::kInvalidPadding);
  EXPECT_EQ(Base32Decode("MZXW1").error(), EncodingError::kInvalidCharacter);  // 1 not in alphabet
  EXPECT_EQ(Base32Decode("MZXW8").error(), EncodingError::kInvalidCharacter);
  EXPECT_EQ(Base32Decode("MZXW 6").error(), EncodingError::kInvalidCharacter);
  EXPECT_EQ(Base32Decode("MZ").error(), EncodingError::kNonCanonical);  // 'f' is "MY"
}

TEST(RandomBytes, LengthAndVariety) {
  EXPECT_EQ(RandomBytes(0), "");
  const std::string a = RandomBytes(32);
  const std::string b = RandomBytes(32);
  EXPECT_EQ(a.size(), 32U);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace cambista

namespace cambista {
namespace {

// The prepared-key HMAC equals the one-shot one for keys shorter than, equal to and longer than
// the SHA-256 block (RFC 4231 case 6 uses a 131-byte key), from several threads.
TEST(HmacSha256KeyTest, EqualsTheOneShotHmac) {
  for (const std::string& key :
       {std::string(), std::string("key"), std::string(64, 'k'), std::string(131, '\xaa')}) {
    const HmacSha256Key prepared(key);
    for (const std::string& message :
         {std::string(), std::string("The quick brown fox jumps over the lazy dog"),
          std::string("Test Using Larger Than Block-Size Key - Hash Key First"),
          std::string(1000, 'm')}) {
      EXPECT_EQ(prepared.Mac(message), HmacSha256(key, message));
    }
  }
  const HmacSha256Key rfc(std::string(131, '\xaa'));
  EXPECT_EQ(HexEncode(rfc.Mac("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&rfc, &mismatches, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string message = std::to_string(t * 1000 + i);
        if (rfc.Mac(message) != HmacSha256(std::string(131, '\xaa'), message)) ++mismatches;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace cambista
