// PIX keys ("chaves"): what kind a key is and whether it is well formed, before it goes into a
// static BR Code or a payout request. Keys are taken in the canonical form of the BCB directory
// (DICT), without punctuation: a CPF is 11 digits, not "123.456.789-09"; a phone is "+55" with the
// area code. The checks are the ones a PSP would make anyway (check digits, lengths); catching a
// typo here turns a payout that would fail at the provider, or a QR code nobody can pay, into an
// error the customer sees at once.
//
//   CPF   11 digits, both check digits right, not all the same digit ("111.111.111-11" passes the
//         checksum but is no one's)
//   CNPJ  14 digits, both check digits right, not all the same digit
//   phone "+55", a two-digit area code (no zero digit), then 8 digits starting with 2 to 5
//         (landline) or 9 starting with 9 (mobile)
//   email at most 77 characters, one '@', a dot-atom local part (<= 64), a domain of at least two
//         labels of letters, digits and inner hyphens, with an alphabetic top-level label
//   EVP   a random key: a UUID, 8-4-4-4-12 hex digits with dashes, lower or upper case
#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.hpp"

namespace cambista::pix {

// Stable numbers: stored with payout requests; never change or reuse one.
enum class PixKeyKind : uint8_t {
  kCpf = 1,
  kCnpj = 2,
  kPhone = 3,
  kEmail = 4,
  kEvp = 5,
};

// Stable error codes: the numbers are persisted and shown to clients; never change or reuse one.
enum class PixKeyError : uint16_t {
  kEmpty = 1,
  kTooLong = 2,          // over 77 characters, whatever the kind
  kCpfCheckDigits = 3,   // 11 digits whose check digits are wrong
  kCnpjCheckDigits = 4,  // 14 digits whose check digits are wrong
  kRepeatedDigits = 5,   // 11 or 14 times the same digit
  kInvalidPhone = 6,     // starts with '+' but is not +55, area code, number
  kInvalidEmail = 7,     // has an '@' but is not a sane address
  kInvalidEvp = 8,       // UUID-shaped but not hex
  kUnrecognized = 9,     // none of the above shapes (e.g. 12 digits, a CPF with punctuation)
};

// Stable snake_case name, e.g. "cnpj".
std::string_view PixKeyKindName(PixKeyKind kind);
// Stable snake_case code, e.g. "cpf_check_digits".
std::string_view PixKeyErrorCode(PixKeyError error);
// One-sentence human explanation.
std::string_view PixKeyErrorMessage(PixKeyError error);

// The kind of a well-formed key, or why it is not one. The shape decides which rules apply: a
// leading '+' is a phone, an '@' an e-mail, 11 or 14 digits a CPF or CNPJ, 36 characters with
// dashes in the UUID places an EVP. An '@' wins over a leading '+' ("+promo@example.com").
Result<PixKeyKind, PixKeyError> ClassifyPixKey(std::string_view key);

}  // namespace cambista::pix
