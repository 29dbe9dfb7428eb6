// 128-bit integers and their exact text forms.
//
// Money and ledger ids are 128-bit. g++ provides __int128; these helpers give them decimal and
// fixed-width hexadecimal text forms without going through any floating-point type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cambista {

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

inline constexpr u128 kU128Max = ~static_cast<u128>(0);
inline constexpr i128 kI128Max = static_cast<i128>(kU128Max >> 1);
inline constexpr i128 kI128Min = -kI128Max - 1;

// Decimal text, e.g. "340282366920938463463374607431768211455".
std::string ToDecimal(u128 value);
std::string ToDecimal(i128 value);
// The same without allocating: writes into `out` (at least kDecimalCharsMax bytes), returns the
// length.
inline constexpr size_t kDecimalCharsMax = 40;
size_t FormatDecimal(i128 value, char* out);
size_t FormatDecimal(u128 value, char* out);

// Exact parse of an unsigned decimal integer: digits only, no sign, no spaces, no overflow.
std::optional<u128> ParseU128Decimal(std::string_view text);
// Exact parse of a signed decimal integer: optional leading '-', then digits.
std::optional<i128> ParseI128Decimal(std::string_view text);

// 32 lower-case hex digits, zero-padded, most significant first: sorts like the number.
std::string ToHex32(u128 value);
// Parses 1 to 32 hex digits (either case); hyphens are skipped so PostgreSQL uuid text works.
std::optional<u128> ParseHex128(std::string_view text);

// Big-endian 16 bytes, for BLOB storage that sorts like the number.
void ToBigEndian16(u128 value, unsigned char out[16]);
u128 FromBigEndian16(const unsigned char in[16]);

// Hash for unordered containers keyed by 128-bit ids (std::hash has none in strict C++20 mode).
struct U128Hash {
  size_t operator()(u128 value) const {
    const auto low = static_cast<uint64_t>(value);
    const auto high = static_cast<uint64_t>(value >> 64);
    uint64_t mixed = low ^ (high * 0x9E3779B97F4A7C15ull);
    mixed ^= mixed >> 31;
    mixed *= 0xBF58476D1CE4E5B9ull;
    mixed ^= mixed >> 29;
    return static_cast<size_t>(mixed);
  }
};

}  // namespace cambista
