// Bech32 (BIP-173) and bech32m (BIP-350), and the segwit addresses written with them
// ("bc1q..." for witness version 0, "bc1p..." for taproot and later versions).
//
// A bech32 string is a human-readable part, the separator '1' (its last '1'), and data characters
// from a 32-letter alphabet ending in a 6-character checksum that detects any error in up to 4
// characters. The two variants differ only in the constant the checksum must equal; BIP-350 moved
// witness versions 1 to 16 to bech32m because bech32 misses some insertions before a final 'p'.
// Decoding follows the BIPs' reference code: at most 90 characters, printable ASCII, all lower or
// all upper case (never mixed), and for segwit addresses the version and program length rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "security/hmac.hpp"

namespace cambista {

enum class Bech32Variant : uint8_t {
  kBech32 = 1,   // BIP-173: checksum constant 1
  kBech32m = 2,  // BIP-350: checksum constant 0x2bc830a3
};

struct Bech32Decoded {
  std::string hrp;            // lower case
  std::vector<uint8_t> data;  // 5-bit values, the checksum removed
  Bech32Variant variant = Bech32Variant::kBech32;
};

// kInvalidCharacter: outside printable ASCII or the data alphabet, or mixed case; kInvalidLength:
// over 90 characters, no separator, an empty human-readable part or fewer than 6 data characters;
// kChecksumMismatch: the checksum fits neither variant.
Result<Bech32Decoded, EncodingError> Bech32Decode(std::string_view text);

// Stable error codes: never change or reuse one.
enum class SegwitError : uint8_t {
  kInvalidCharacter = 1,      // as Bech32Decode
  kInvalidLength = 2,         // as Bech32Decode
  kChecksumMismatch = 3,      // as Bech32Decode
  kWrongHrp = 4,              // another network's prefix (e.g. "tb" for a mainnet "bc")
  kInvalidVersion = 5,        // a witness version above 16
  kInvalidProgramLength = 6,  // program outside 2..40 bytes, or version 0 not 20 or 32 bytes
  kWrongVariant = 7,          // version 0 with bech32m, or version 1+ with bech32
  kInvalidPadding = 8,        // the 5-to-8-bit regrouping leaves 5+ bits or non-zero bits
};

struct SegwitProgram {
  int version = 0;      // 0..16
  std::string program;  // raw bytes: 20 (P2WPKH), 32 (P2WSH, P2TR) or another 2..40
};

// The witness program of a segwit address whose human-readable part is `hrp` ("bc" on mainnet).
Result<SegwitProgram, SegwitError> SegwitDecode(std::string_view hrp, std::string_view text);

}  // namespace cambista
