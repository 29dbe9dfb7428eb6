// Hashing, keyed hashing, constant-time comparison, text encodings and secure randomness.
//
// These are the few primitives the HTTP API needs to authenticate callers (API keys, TOTP, signed
// webhooks). They wrap OpenSSL's libcrypto so that no other module includes OpenSSL headers or
// hand-rolls cryptography. Byte strings are `std::string`/`std::string_view` holding raw bytes (not
// text); digests come back raw, and callers choose hex or base64 for display. Comparing secrets
// (hashes, MACs, codes) must use ConstantTimeEquals, never `==`, so the time taken does not reveal
// how many leading bytes matched. Decoders read outside input and are strict: any malformed input
// (bad character, wrong length, misplaced or missing padding, non-zero leftover bits that another
// encoder would never produce) is an error value, never a crash or a silent best guess, so every
// value has exactly one accepted spelling. RandomBytes draws from OpenSSL's CSPRNG and throws if it
// cannot (an environment failure, not an expected outcome).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cambista {

// Stable error codes: the numbers are persisted and shown to clients; never change or reuse one.
enum class EncodingError : uint16_t {
  kInvalidCharacter = 1,  // a character outside the alphabet (including whitespace)
  kInvalidLength = 2,     // odd hex length; base64 length not a multiple of 4; base32 length 1/3/6
  kInvalidPadding = 3,    // '=' in the wrong place or in the wrong amount
  kNonCanonical = 4,      // leftover bits are not zero: no encoder would produce this text
  kChecksumMismatch = 5,  // a checksummed encoding (Base58Check, bech32) whose checksum is wrong
};

// Stable snake_case code, e.g. "invalid_padding".
std::string_view EncodingErrorCode(EncodingError error);

enum class HashAlgorithm : uint8_t {
  kSha1 = 1,  // only for HMAC in TOTP (RFC 6238's default); never for anything new
  kSha256 = 2,
  kSha512 = 3,
};

inline constexpr size_t kSha256Bytes = 32;

// Raw 32-byte SHA-256 digest.
std::string Sha256(std::string_view data);
// Raw 32-byte HMAC-SHA256 of `message` under `key` (any key length, including empty).
std::string HmacSha256(std::string_view key, std::string_view message);

// HMAC-SHA256 under one fixed key, for hot paths (an API key checked on every request): the key's
// inner and outer pads are absorbed once into plain SHA-256 states, so a MAC costs copying them and
// two digest finishes, with no allocation or algorithm lookup. Mac() equals HmacSha256(key,
// message); thread-safe.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;
  std::string Mac(std::string_view message) const;
  // Mac(message) == expected, in constant time (ConstantTimeEquals), without allocating.
  bool Verify(std::string_view message, std::string_view expected) const;

 private:
  void MacInto(std::string_view message, unsigned char (&mac)[kSha256Bytes]) const;

  struct State;
  State* state_;
};
// Raw HMAC with the given hash (20, 32 or 64 bytes).
std::string Hmac(HashAlgorithm algorithm, std::string_view key, std::string_view message);

// True when both byte strings are equal; the time depends only on the lengths (which are not
// secret: digests and codes have fixed, public lengths).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Lower-case hex; decoding accepts either case.
std::string HexEncode(std::string_view bytes);
Result<std::string, EncodingError> HexDecode(std::string_view text);

// Standard base64 (RFC 4648 section 4, '+' '/'), always padded with '='; decoding requires the
// padding.
std::string Base64Encode(std::string_view bytes);
Result<std::string, EncodingError> Base64Decode(std::string_view text);

// Base32 (RFC 4648 section 6, A-Z 2-7), the alphabet of authenticator secrets. Encoding writes
// upper case without padding (what authenticator apps expect); Base32EncodeLower writes lower case
// for identifiers. Decoding accepts either case, with or without correct padding.
std::string Base32Encode(std::string_view bytes);
std::string Base32EncodeLower(std::string_view bytes);
Result<std::string, EncodingError> Base32Decode(std::string_view text);

// `count` bytes from OpenSSL's CSPRNG; throws std::runtime_error if it is not seeded.
std::string RandomBytes(size_t count);

}  // namespace cambista
