// Base58 and Base58Check against Bitcoin Core's vectors (src/test/data/base58_encode_decode.json)
// and addresses whose payload is known (the genesis block's P2PKH, TRON's USDT contract and the
// key-derived TRON address of PROVIDERS.md).
#include "security/base58.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cambista {
namespace {

std::string Unhex(std::string_view hex) {
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? bytes.value() : std::string();
}

TEST(Base58, MatchesBitcoinCoreVectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"61", "2g"},
      {"626262", "a3gV"},
      {"636363", "aPEr"},
      {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
      {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
      {"516b6fcd0f", "ABnLTmg"},
      {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
      {"572e4794", "3EFU7m"},
      {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
      {"10c8511e", "Rt5zm"},
      {"00000000000000000000", "1111111111"},
  };
  for (const auto& [hex, text] : vectors) {
    EXPECT_EQ(Base58Encode(Unhex(hex)), text) << hex;
    auto decoded = Base58Decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(HexEncode(decoded.value()), hex);
  }
}

TEST(Base58, RefusesCharactersOutsideTheAlphabet) {
  for (const std::string text : {"0", "O", "I", "l", "abc ", " abc", "ab+c", "\xff"}) {
    auto decoded = Base58Decode(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error(), EncodingError::kInvalidCharacter);
  }
}

TEST(Base58Check, DecodesKnownAddresses) {
  // The genesis block's coinbase address: version 0x00 and the key's HASH160.
  auto p2pkh = Base58CheckDecode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
  ASSERT_TRUE(p2pkh.ok());
  EXPECT_EQ(HexEncode(p2pkh.value()), "0062e907b15cbf27d5425399ebf6f0fb50ebb88f18");
  auto usdt = Base58CheckDecode("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
  ASSERT_TRUE(usdt.ok());
  EXPECT_EQ(HexEncode(usdt.value()), "41a614f803b6fd780986a42c78ec9c7f77e6ded13c");
  EXPECT_EQ(Base58CheckEncode(Unhex("41f39fd6e51aad88f6f4ce6ab8827279cfffb92266")),
            "TYBNgWfhGuNzdLtjKtxXTfskAhTbMcqbaG");
}

TEST(Base58Check, RefusesAWrongChecksumOrTooFewBytes) {
  auto corrupted = Base58CheckDecode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb");
  ASSERT_FALSE(corrupted.ok());
  EXPECT_EQ(corrupted.error(), EncodingError::kChecksumMismatch);
  auto short_text = Base58CheckDecode("3EF");
  ASSERT_FALSE(short_text.ok());
  EXPECT_EQ(short_text.error(), EncodingError::kInvalidLength);
  EXPECT_EQ(EncodingErrorCode(EncodingError::kChecksumMismatch), "checksum_mismatch");
}

}  // namespace
}  // namespace cambista
