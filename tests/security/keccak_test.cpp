// Keccak-256 against published digests: the two the Keccak team and Ethereum's tooling quote
// ("" and "abc"), one from Ethereum's documentation, and inputs around the 136-byte rate (the
// padding's edge cases); random inputs are also compared with ethers.keccak256 in
// tests/payouts/destination_cross_check_test.cpp.
#include "security/keccak.hpp"

#include <gtest/gtest.h>

#include <string>

#include "security/hmac.hpp"

namespace cambista {
namespace {

std::string KeccakHex(std::string_view data) {
  return HexEncode(Keccak256(data));
}

TEST(Keccak256, MatchesPublishedVectors) {
  EXPECT_EQ(KeccakHex(""), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(KeccakHex("abc"), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(KeccakHex("The quick brown fox jumps over the lazy dog"),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

TEST(Keccak256, IsNotSha3) {
  // NIST's SHA3-256("") is a7ffc6f8...: the padding byte is the only difference.
  EXPECT_NE(KeccakHex("").substr(0, 8), "a7ffc6f8");
}

TEST(Keccak256, HandlesEveryLengthAroundTheRate) {
  // 135 bytes leaves one byte for both padding bits (0x81 in one byte); 136 needs a whole block of
  // padding. Each digest must differ from its neighbours and be 32 bytes.
  std::string previous;
  for (size_t size = 130; size <= 280; ++size) {
    const std::string digest = Keccak256(std::string(size, 'a'));
    ASSERT_EQ(digest.size(), kKeccak256Bytes);
    EXPECT_NE(digest, previous) << size;
    previous = digest;
  }
}

}  // namespace
}  // namespace cambista
