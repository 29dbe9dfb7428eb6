// Bech32, bech32m and segwit addresses against the test vectors of BIP-173 and BIP-350 (copied from
// the BIPs' "Test vectors" sections; mainnet and testnet addresses both, decoded with their own
// human-readable part).
#include "security/bech32.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cambista {
namespace {

TEST(Bech32, AcceptsTheValidStringsOfBothBips) {
  const std::vector<std::pair<std::string, Bech32Variant>> valid = {
      {"A12UEL5L", Bech32Variant::kBech32},
      {"a12uel5l", Bech32Variant::kBech32},
      {"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
       Bech32Variant::kBech32},
      {"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", Bech32Variant::kBech32},
      {"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
       Bech32Variant::kBech32},
      {"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", Bech32Variant::kBech32},
      {"?1ezyfcl", Bech32Variant::kBech32},
      {"A1LQFN3A", Bech32Variant::kBech32m},
      {"a1lqfn3a", Bech32Variant::kBech32m},
      {"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
       Bech32Variant::kBech32m},
      {"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", Bech32Variant::kBech32m},
      {"11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
       Bech32Variant::kBech32m},
      {"split1checkupstagehandshakeupstreamerranterredcaperredlc445v", Bech32Variant::kBech32m},
      {"?1v759aa", Bech32Variant::kBech32m},
  };
  for (const auto& [text, variant] : valid) {
    auto decoded = Bech32Decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(decoded->variant, variant) << text;
  }
}

TEST(Bech32, RefusesTheInvalidStringsOfBothBips) {
  const std::vector<std::pair<std::string, EncodingError>> invalid = {
      {"\x20"
       "1nwldj5",
       EncodingError::kInvalidCharacter},
      {"\x7f"
       "1axkwrx",
       EncodingError::kInvalidCharacter},
      {"\x80"
       "1eym55h",
       EncodingError::kInvalidCharacter},
      {"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pv"
       "x",
       EncodingError::kInvalidLength},
      {"pzry9x0s0muk", EncodingError::kInvalidLength},
      {"1pzry9x0s0muk", EncodingError::kInvalidLength},
      {"x1b4n0q5v", EncodingError::kInvalidCharacter},
      {"li1dgmt3", EncodingError::kInvalidLength},
      {"de1lg7wt\xff", EncodingError::kInvalidCharacter},
      {"A1G7SGD8", EncodingError::kChecksumMismatch},
      {"10a06t8", EncodingError::kInvalidLength},
      {"1qzzfhee", EncodingError::kInvalidLength},
      {"\x20"
       "1xj0phk",
       EncodingError::kInvalidCharacter},
      {"qyrz8wqd2c9m", EncodingError::kInvalidLength},
      {"y1b0jsk6g", EncodingError::kInvalidCharacter},
      {"lt1igcx5c0", EncodingError::kInvalidCharacter},
      {"in1muywd", EncodingError::kInvalidLength},
      {"mm1crxm3i", EncodingError::kInvalidCharacter},
      {"au1s5cgom", EncodingError::kInvalidCharacter},
      {"M1VUXWEZ", EncodingError::kChecksumMismatch},
      {"16plkw9", EncodingError::kInvalidLength},
      {"1p2gdwpf", EncodingError::kInvalidLength},
  };
  for (const auto& [text, error] : invalid) {
    auto decoded = Bech32Decode(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error(), error) << text;
  }
}

TEST(Segwit, DecodesTheValidAddressesOfBip350) {
  struct Case {
    std::string hrp;
    std::string address;
    std::string script_hex;  // version opcode, push length, program
  };
  const std::vector<Case> cases = {
      {"bc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
       "0014751e76e8199196d454941c45d1b3a323f1433bd6"},
      {"tb", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
       "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"},
      {"bc", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
       "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"},
      {"bc", "BC1SW50QGDZ25J", "6002751e"},
      {"bc", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"},
      {"tb", "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
       "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
      {"tb", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
       "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
      {"bc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
       "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
  };
  for (const Case& c : cases) {
    auto decoded = SegwitDecode(c.hrp, c.address);
    ASSERT_TRUE(decoded.ok()) << c.address;
    // The scriptPubKey: OP_0 or OP_1..OP_16 (0x51..0x60), then the program's push.
    const int opcode = decoded->version == 0 ? 0 : 0x50 + decoded->version;
    std::string script;
    script += static_cast<char>(opcode);
    script += static_cast<char>(decoded->program.size());
    script += decoded->program;
    EXPECT_EQ(HexEncode(script), c.script_hex) << c.address;
  }
}

TEST(Segwit, RefusesTheInvalidAddressesOfBip350) {
  const std::vector<std::pair<std::string, SegwitError>> invalid = {
      {"tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", SegwitError::kWrongHrp},
      {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
       SegwitError::kWrongVariant},
      {"tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
       SegwitError::kWrongVariant},
      {"BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
       SegwitError::kWrongVariant},
      {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", SegwitError::kWrongVariant},
      {"tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
       SegwitError::kWrongVariant},
      {"bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
       SegwitError::kInvalidCharacter},
      {"BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
       SegwitError::kInvalidVersion},
      {"bc1pw5dgrnzv", SegwitError::kInvalidProgramLength},
      {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
       SegwitError::kInvalidProgramLength},
      {"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", SegwitError::kInvalidProgramLength},
      {"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
       SegwitError::kInvalidCharacter},
      {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
       SegwitError::kInvalidPadding},
      {"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
       SegwitError::kInvalidPadding},
      {"bc1gmk9yu", SegwitError::kInvalidProgramLength},
  };
  for (const auto& [address, error] : invalid) {
    const std::string hrp = address.substr(0, 2) == "tb" ? "tb" : "bc";
    auto decoded = SegwitDecode(hrp, address);
    ASSERT_FALSE(decoded.ok()) << address;
    EXPECT_EQ(decoded.error(), error) << address;
  }
}

}  // namespace
}  // namespace cambista
