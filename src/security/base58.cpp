#include "security/base58.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace cambista {
namespace {

constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

// The digit value of each character, -1 for characters outside the alphabet.
constexpr std::array<int8_t, 256> MakeDigitTable() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}
constexpr std::array<int8_t, 256> kDigits = MakeDigitTable();

std::string Checksum(std::string_view payload) {
  return Sha256(Sha256(payload)).substr(0, kBase58CheckChecksumBytes);
}

}  // namespace

std::string Base58Encode(std::string_view bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == '\0') ++zeros;
  // Base-58 digits of the number, least significant first; log(256)/log(58) < 1.37.
  std::vector<uint8_t> digits;
  digits.reserve(bytes.size() * 137 / 100 + 1);
  for (size_t i = zeros; i < bytes.size(); ++i) {
    uint32_t carry = static_cast<uint8_t>(bytes[i]);
    for (uint8_t& digit : digits) {
      carry += static_cast<uint32_t>(digit) << 8;
      digit = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string text(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) text += kAlphabet[*it];
  return text;
}

Result<std::string, EncodingError> Base58Decode(std::string_view text) {
  size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  std::vector<uint8_t> bytes;  // least significant first
  bytes.reserve(text.size());
  for (size_t i = ones; i < text.size(); ++i) {
    const int value = kDigits[static_cast<uint8_t>(text[i])];
    if (value < 0) return Failure(EncodingError::kInvalidCharacter);
    uint32_t carry = static_cast<uint32_t>(value);
    for (uint8_t& byte : bytes) {
      carry += static_cast<uint32_t>(byte) * 58;
      byte = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  std::string decoded(ones, '\0');
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) decoded += static_cast<char>(*it);
  return decoded;
}

std::string Base58CheckEncode(std::string_view payload) {
  std::string bytes(payload);
  bytes += Checksum(payload);
  return Base58Encode(bytes);
}

Result<std::string, EncodingError> Base58CheckDecode(std::string_view text) {
  auto decoded = Base58Decode(text);
  if (!decoded.ok()) return Failure(decoded.error());
  std::string& bytes = decoded.value();
  if (bytes.size() < kBase58CheckChecksumBytes) return Failure(EncodingError::kInvalidLength);
  const size_t payload_size = bytes.size() - kBase58CheckChecksumBytes;
  const std::string_view payload(bytes.data(), payload_size);
  // Not secret: ConstantTimeEquals is not needed, a plain comparison of public data.
  if (Checksum(payload) != std::string_view(bytes).substr(payload_size)) {
    return Failure(EncodingError::kChecksumMismatch);
  }
  bytes.resize(payload_size);
  return std::move(bytes);
}

}  // namespace cambista
