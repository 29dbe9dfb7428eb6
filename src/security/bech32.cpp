#include "security/bech32.hpp"

#include <array>

#include "core/ascii.hpp"

namespace cambista {
namespace {

constexpr size_t kTextCharsMax = 90;
constexpr size_t kChecksumChars = 6;
constexpr uint32_t kBech32Constant = 1;
constexpr uint32_t kBech32mConstant = 0x2bc830a3;
constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr size_t kProgramBytesMin = 2;
constexpr size_t kProgramBytesMax = 40;
constexpr int kWitnessVersionMax = 16;

uint32_t Polymod(const std::vector<uint8_t>& values) {
  static constexpr std::array<uint32_t, 5> kGenerator = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
                                                         0x3d4233dd, 0x2a1462b3};
  uint32_t checksum = 1;
  for (const uint8_t value : values) {
    const uint32_t top = checksum >> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) checksum ^= kGenerator[static_cast<size_t>(i)];
    }
  }
  return checksum;
}

// The human-readable part's high bits, a zero, then its low bits: what the checksum covers.
std::vector<uint8_t> ExpandHrp(std::string_view hrp) {
  std::vector<uint8_t> expanded;
  expanded.reserve(hrp.size() * 2 + 1);
  for (const char c : hrp) expanded.push_back(static_cast<uint8_t>(c) >> 5);
  expanded.push_back(0);
  for (const char c : hrp) expanded.push_back(static_cast<uint8_t>(c) & 31);
  return expanded;
}

// Printable ASCII and not mixed case; the lower-case copy of the text.
Result<std::string, EncodingError> LowerCaseText(std::string_view text) {
  bool has_lower = false;
  bool has_upper = false;
  std::string lower;
  lower.reserve(text.size());
  for (const char c : text) {
    if (c < 33 || c > 126) return Failure(EncodingError::kInvalidCharacter);
    has_lower |= IsAsciiLower(c);
    has_upper |= IsAsciiUpper(c);
    lower += AsciiLower(c);
  }
  if (has_lower && has_upper) return Failure(EncodingError::kInvalidCharacter);
  return lower;
}

// BIP-173's convertbits(data, 5, 8, pad=False): at most 4 leftover bits, all zero.
bool RegroupToBytes(const std::vector<uint8_t>& values, size_t begin, std::string& out) {
  uint32_t accumulator = 0;
  int bits = 0;
  for (size_t i = begin; i < values.size(); ++i) {
    accumulator = ((accumulator << 5) | values[i]) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((accumulator >> bits) & 0xff);
    }
  }
  return bits < 5 && ((accumulator << (8 - bits)) & 0xff) == 0;
}

SegwitError FromEncodingError(EncodingError error) {
  switch (error) {
    case EncodingError::kInvalidCharacter:
      return SegwitError::kInvalidCharacter;
    case EncodingError::kChecksumMismatch:
      return SegwitError::kChecksumMismatch;
    default:
      return SegwitError::kInvalidLength;
  }
}

}  // namespace

Result<Bech32Decoded, EncodingError> Bech32Decode(std::string_view text) {
  if (text.size() > kTextCharsMax) return Failure(EncodingError::kInvalidLength);
  auto lower = LowerCaseText(text);
  if (!lower.ok()) return Failure(lower.error());
  const std::string& normalized = lower.value();
  const size_t separator = normalized.rfind('1');
  if (separator == std::string::npos || separator == 0 ||
      separator + 1 + kChecksumChars > normalized.size()) {
    return Failure(EncodingError::kInvalidLength);
  }
  Bech32Decoded decoded;
  decoded.hrp = normalized.substr(0, separator);
  for (size_t i = separator + 1; i < normalized.size(); ++i) {
    const size_t value = kCharset.find(normalized[i]);
    if (value == std::string_view::npos) return Failure(EncodingError::kInvalidCharacter);
    decoded.data.push_back(static_cast<uint8_t>(value));
  }
  std::vector<uint8_t> checked = ExpandHrp(decoded.hrp);
  checked.insert(checked.end(), decoded.data.begin(), decoded.data.end());
  const uint32_t residue = Polymod(checked);
  if (residue == kBech32Constant) {
    decoded.variant = Bech32Variant::kBech32;
  } else if (residue == kBech32mConstant) {
    decoded.variant = Bech32Variant::kBech32m;
  } else {
    return Failure(EncodingError::kChecksumMismatch);
  }
  decoded.data.resize(decoded.data.size() - kChecksumChars);
  return decoded;
}

Result<SegwitProgram, SegwitError> SegwitDecode(std::string_view hrp, std::string_view text) {
  auto decoded = Bech32Decode(text);
  if (!decoded.ok()) return Failure(FromEncodingError(decoded.error()));
  if (decoded->hrp != hrp) return Failure(SegwitError::kWrongHrp);
  if (decoded->data.empty()) return Failure(SegwitError::kInvalidProgramLength);
  SegwitProgram result;
  result.version = decoded->data[0];
  if (result.version > kWitnessVersionMax) return Failure(SegwitError::kInvalidVersion);
  if (!RegroupToBytes(decoded->data, 1, result.program)) {
    return Failure(SegwitError::kInvalidPadding);
  }
  const size_t size = result.program.size();
  if (size < kProgramBytesMin || size > kProgramBytesMax ||
      (result.version == 0 && size != 20 && size != 32)) {
    return Failure(SegwitError::kInvalidProgramLength);
  }
  const Bech32Variant expected =
      result.version == 0 ? Bech32Variant::kBech32 : Bech32Variant::kBech32m;
  if (decoded->variant != expected) return Failure(SegwitError::kWrongVariant);
  return result;
}

}  // namespace cambista
