// Base58 and Base58Check, Bitcoin's text encodings of binary strings, also used by TRON addresses
// (Base58Check) and Solana public keys (plain Base58).
//
// The alphabet leaves out 0, O, I and l so that an address copied by hand cannot mix them up.
// Leading zero bytes are written as leading '1's, so every byte string has exactly one spelling
// and every spelling decodes to exactly one byte string (no canonical-form check is needed).
// Base58Check appends the first four bytes of SHA-256(SHA-256(payload)) before encoding; the
// decoder refuses a text whose checksum does not match (EncodingError::kChecksumMismatch).
//
// Decoding is quadratic in the length of the text (a big-number conversion): callers that read
// outside input bound its length first (addresses are under 100 characters).
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "security/hmac.hpp"

namespace cambista {

inline constexpr size_t kBase58CheckChecksumBytes = 4;

std::string Base58Encode(std::string_view bytes);
// kInvalidCharacter for anything outside the alphabet (whitespace included).
Result<std::string, EncodingError> Base58Decode(std::string_view text);

// Base58 of payload || checksum.
std::string Base58CheckEncode(std::string_view payload);
// The payload (version byte included, checksum removed). kInvalidLength when the text decodes to
// fewer than the four checksum bytes; kChecksumMismatch when the checksum is wrong.
Result<std::string, EncodingError> Base58CheckDecode(std::string_view text);

}  // namespace cambista
