#include "core/int128.hpp"

namespace cambista {

size_t FormatDecimal(u128 value, char* out) {
  char digits[kDecimalCharsMax];
  size_t count = 0;
  do {
    digits[count++] = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value != 0);
  size_t length = 0;
  while (count > 0) out[length++] = digits[--count];
  return length;
}

size_t FormatDecimal(i128 value, char* out) {
  if (value >= 0) return FormatDecimal(static_cast<u128>(value), out);
  out[0] = '-';
  // Negate in unsigned arithmetic so kI128Min does not overflow.
  return 1 + FormatDecimal(static_cast<u128>(0) - static_cast<u128>(value), out + 1);
}

std::string ToDecimal(u128 value) {
  char text[kDecimalCharsMax];
  return std::string(text, FormatDecimal(value, text));
}

std::string ToDecimal(i128 value) {
  char text[kDecimalCharsMax];
  return std::string(text, FormatDecimal(value, text));
}

std::optional<u128> ParseU128Decimal(std::string_view text) {
  if (text.empty() || text.size() > 39) return std::nullopt;
  u128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<u128>(c - '0');
    if (value > (kU128Max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<i128> ParseI128Decimal(std::string_view text) {
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  const auto magnitude = ParseU128Decimal(text);
  if (!magnitude) return std::nullopt;
  const u128 limit = static_cast<u128>(kI128Max) + (negative ? 1 : 0);
  if (*magnitude > limit) return std::nullopt;
  return negative ? static_cast<i128>(static_cast<u128>(0) - *magnitude)
                  : static_cast<i128>(*magnitude);
}

std::string ToHex32(u128 value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(32, '0');
  for (int i = 31; i >= 0; --i) {
    text[static_cast<size_t>(i)] = kDigits[static_cast<int>(value & 0xF)];
    value >>= 4;
  }
  return text;
}

std::optional<u128> ParseHex128(std::string_view text) {
  u128 value = 0;
  int digits = 0;
  for (char c : text) {
    if (c == '-') continue;
    int nibble;
    if (c >= '0' && c <= '9')
      nibble = c - '0';
    else if (c >= 'a' && c <= 'f')
      nibble = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      nibble = c - 'A' + 10;
    else
      return std::nullopt;
    if (++digits > 32) return std::nullopt;
    value = (value << 4) | static_cast<u128>(nibble);
  }
  if (digits == 0) return std::nullopt;
  return value;
}

void ToBigEndian16(u128 value, unsigned char out[16]) {
  for (int i = 15; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(value & 0xFF);
    value >>= 8;
  }
}

u128 FromBigEndian16(const unsigned char in[16]) {
  u128 value = 0;
  for (int i = 0; i < 16; ++i) value = (value << 8) | in[i];
  return value;
}

}  // namespace cambista
