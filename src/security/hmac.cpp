// SHA256_Init/Update/Final are deprecated by OpenSSL 3 in favour of EVP, but HmacSha256Key needs
// them: copying a prepared EVP context (OpenSSL 3.0) frees and allocates the provider's state
// each time, most of an API key check's cost, while a SHA256_CTX is a plain struct.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "security/hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>

#include "core/assert.hpp"

namespace cambista {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase32Lower = "abcdefghijklmnopqrstuvwxyz234567";
constexpr int kNotInAlphabet = -1;

const EVP_MD* Digest(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha1:
      return EVP_sha1();
    case HashAlgorithm::kSha256:
      return EVP_sha256();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
  }
  CAMBISTA_CHECK(false && "unknown HashAlgorithm");
}

// Never hand OpenSSL a null pointer for an empty view.
const unsigned char* BytePointer(std::string_view bytes) {
  static constexpr unsigned char kEmpty = 0;
  return bytes.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(bytes.data());
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return kNotInAlphabet;
}

int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return kNotInAlphabet;
}

// Splits off the trailing run of '=' and checks the body's characters.
struct Padded {
  std::string_view body;
  size_t padding_count = 0;
};
Result<Padded, EncodingError> SplitPadding(std::string_view text, int (*value_of)(char)) {
  size_t body_size = text.size();
  while (body_size > 0 && text[body_size - 1] == '=') --body_size;
  Padded padded{text.substr(0, body_size), text.size() - body_size};
  for (char c : padded.body) {
    if (c == '=') return Failure{EncodingError::kInvalidPadding};
    if (value_of(c) == kNotInAlphabet) return Failure{EncodingError::kInvalidCharacter};
  }
  return padded;
}

// Packs `bits_per_char` bits per character, most significant first. Leftover bits that do not
// make a whole byte must be zero, otherwise two texts would decode to the same bytes.
Result<std::string, EncodingError> UnpackBits(std::string_view body, int bits_per_char,
                                              int (*value_of)(char)) {
  std::string out;
  out.reserve(body.size() * static_cast<size_t>(bits_per_char) / 8);
  uint32_t buffer = 0;
  int buffered_bits = 0;
  for (char c : body) {
    buffer = (buffer << bits_per_char) | static_cast<uint32_t>(value_of(c));
    buffered_bits += bits_per_char;
    if (buffered_bits >= 8) {
      buffered_bits -= 8;
      out.push_back(static_cast<char>((buffer >> buffered_bits) & 0xFF));
    }
  }
  if ((buffer & ((1U << buffered_bits) - 1)) != 0) return Failure{EncodingError::kNonCanonical};
  return out;
}

std::string PackBits(std::string_view bytes, int bits_per_char, std::string_view alphabet) {
  std::string out;
  out.reserve((bytes.size() * 8 + static_cast<size_t>(bits_per_char) - 1) /
              static_cast<size_t>(bits_per_char));
  const uint32_t mask = (1U << bits_per_char) - 1;
  uint32_t buffer = 0;
  int buffered_bits = 0;
  for (char byte : bytes) {
    buffer = (buffer << 8) | static_cast<uint8_t>(byte);
    buffered_bits += 8;
    while (buffered_bits >= bits_per_char) {
      buffered_bits -= bits_per_char;
      out.push_back(alphabet[(buffer >> buffered_bits) & mask]);
    }
    buffer &= (1U << buffered_bits) - 1;
  }
  if (buffered_bits > 0)
    out.push_back(alphabet[(buffer << (bits_per_char - buffered_bits)) & mask]);
  return out;
}

}  // namespace

std::string_view EncodingErrorCode(EncodingError error) {
  switch (error) {
    case EncodingError::kInvalidCharacter:
      return "invalid_character";
    case EncodingError::kInvalidLength:
      return "invalid_length";
    case EncodingError::kInvalidPadding:
      return "invalid_padding";
    case EncodingError::kNonCanonical:
      return "non_canonical";
    case EncodingError::kChecksumMismatch:
      return "checksum_mismatch";
  }
  return "unknown";
}

std::string Sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(BytePointer(data), data.size(), digest.data(), &digest_size, EVP_sha256(),
                 nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(SHA-256) failed");
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), digest_size);
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  return Hmac(HashAlgorithm::kSha256, key, message);
}

std::string Hmac(HashAlgorithm algorithm, std::string_view key, std::string_view message) {
  CAMBISTA_CHECK(key.size() <= static_cast<size_t>(INT_MAX));
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  if (HMAC(Digest(algorithm), BytePointer(key), static_cast<int>(key.size()), BytePointer(message),
           message.size(), mac.data(), &mac_size) == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), mac_size);
}

struct HmacSha256Key::State {
  SHA256_CTX inner;  // (key ^ ipad) absorbed
  SHA256_CTX outer;  // (key ^ opad) absorbed
};

HmacSha256Key::HmacSha256Key(std::string_view key) : state_(new State) {
  constexpr size_t kBlockBytes = 64;
  std::array<unsigned char, kBlockBytes> block{};
  if (key.size() > kBlockBytes) {
    const std::string digest = Sha256(key);
    std::copy(digest.begin(), digest.end(), block.begin());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  std::array<unsigned char, kBlockBytes> inner_pad{}, outer_pad{};
  for (size_t i = 0; i < kBlockBytes; ++i) {
    inner_pad[i] = block[i] ^ 0x36;
    outer_pad[i] = block[i] ^ 0x5c;
  }
  const bool ok = SHA256_Init(&state_->inner) == 1 &&
                  SHA256_Update(&state_->inner, inner_pad.data(), kBlockBytes) == 1 &&
                  SHA256_Init(&state_->outer) == 1 &&
                  SHA256_Update(&state_->outer, outer_pad.data(), kBlockBytes) == 1;
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(inner_pad.data(), inner_pad.size());
  OPENSSL_cleanse(outer_pad.data(), outer_pad.size());
  if (!ok) {
    OPENSSL_cleanse(state_, sizeof *state_);
    delete state_;
    throw std::runtime_error("HMAC-SHA256 key setup failed");
  }
}

HmacSha256Key::~HmacSha256Key() {
  OPENSSL_cleanse(state_, sizeof *state_);
  delete state_;
}

void HmacSha256Key::MacInto(std::string_view message, unsigned char (&mac)[kSha256Bytes]) const {
  SHA256_CTX context = state_->inner;
  unsigned char inner[kSha256Bytes];
  bool ok = SHA256_Update(&context, BytePointer(message), message.size()) == 1 &&
            SHA256_Final(inner, &context) == 1;
  if (ok) {
    context = state_->outer;
    ok = SHA256_Update(&context, inner, sizeof inner) == 1 && SHA256_Final(mac, &context) == 1;
  }
  OPENSSL_cleanse(&context, sizeof context);
  OPENSSL_cleanse(inner, sizeof inner);
  if (!ok) throw std::runtime_error("HMAC-SHA256 failed");
}

std::string HmacSha256Key::Mac(std::string_view message) const {
  unsigned char mac[kSha256Bytes];
  MacInto(message, mac);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

bool HmacSha256Key::Verify(std::string_view message, std::string_view expected) const {
  unsigned char mac[kSha256Bytes];
  MacInto(message, mac);
  return ConstantTimeEquals(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac),
                            expected);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(BytePointer(a), BytePointer(b), a.size()) == 0;
}

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char byte : bytes) {
    const auto value = static_cast<uint8_t>(byte);
    out.push_back(kHexDigits[value >> 4]);
    out.push_back(kHexDigits[value & 0xF]);
  }
  return out;
}

Result<std::string, EncodingError> HexDecode(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return kNotInAlphabet;
  };
  for (char c : text) {
    if (nibble(c) == kNotInAlphabet) return Failure{EncodingError::kInvalidCharacter};
  }
  if (text.size() % 2 != 0) return Failure{EncodingError::kInvalidLength};
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1])));
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out = PackBits(bytes, 6, kBase64Alphabet);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

Result<std::string, EncodingError> Base64Decode(std::string_view text) {
  auto padded = SplitPadding(text, Base64Value);
  if (!padded) return Failure{padded.error()};
  if (padded->padding_count > 2) return Failure{EncodingError::kInvalidPadding};
  if (text.size() % 4 != 0) return Failure{EncodingError::kInvalidLength};
  // A 4-character group with padding always carries 2 or 3 characters of data, so a multiple of 4
  // with at most 2 '=' is consistent; only the leftover bits remain to check.
  return UnpackBits(padded->body, 6, Base64Value);
}

std::string Base32Encode(std::string_view bytes) {
  return PackBits(bytes, 5, kBase32Upper);
}

std::string Base32EncodeLower(std::string_view bytes) {
  return PackBits(bytes, 5, kBase32Lower);
}

Result<std::string, EncodingError> Base32Decode(std::string_view text) {
  auto padded = SplitPadding(text, Base32Value);
  if (!padded) return Failure{padded.error()};
  const size_t remainder = padded->body.size() % 8;
  if (remainder == 1 || remainder == 3 || remainder == 6) {
    return Failure{EncodingError::kInvalidLength};
  }
  if (padded->padding_count != 0) {
    // Padding, when present, must fill the last group to 8 characters exactly.
    const size_t expected_padding = remainder == 0 ? 0 : 8 - remainder;
    if (padded->padding_count != expected_padding) return Failure{EncodingError::kInvalidPadding};
  }
  return UnpackBits(padded->body, 5, Base32Value);
}

std::string RandomBytes(size_t count) {
  CAMBISTA_CHECK(count <= static_cast<size_t>(INT_MAX));
  std::string out(count, '\0');
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("RAND_bytes failed: the CSPRNG is not seeded");
  }
  return out;
}

}  // namespace cambista
