#include "pix/pix_key.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace cambista::pix {
namespace {

constexpr size_t kKeyLengthMax = 77;
constexpr size_t kCpfDigits = 11;
constexpr size_t kCnpjDigits = 14;
constexpr size_t kEvpLength = 36;
constexpr std::string_view kPhoneCountryPrefix = "+55";
constexpr size_t kEmailLocalLengthMax = 64;
constexpr size_t kDomainLabelLengthMax = 63;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), IsDigit);
}
int DigitAt(std::string_view text, size_t index) {
  return text[index] - '0';
}

bool AllSameCharacter(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [&](char c) { return c == text.front(); });
}

// Both CPF and CNPJ end in two mod-11 check digits over the digits before them; only the weights
// differ. A remainder below 2 gives 0, otherwise 11 minus the remainder.
int Mod11CheckDigit(std::string_view digits, const int* weights) {
  int sum = 0;
  for (size_t i = 0; i < digits.size(); ++i) sum += DigitAt(digits, i) * weights[i];
  const int remainder = sum % 11;
  return remainder < 2 ? 0 : 11 - remainder;
}

bool CpfCheckDigitsMatch(std::string_view cpf) {
  static constexpr std::array<int, 10> kWeights = {11, 10, 9, 8, 7, 6, 5, 4, 3, 2};
  // The first check digit weighs the 9 base digits 10..2, the second the 10 digits 11..2.
  return Mod11CheckDigit(cpf.substr(0, 9), kWeights.data() + 1) == DigitAt(cpf, 9) &&
         Mod11CheckDigit(cpf.substr(0, 10), kWeights.data()) == DigitAt(cpf, 10);
}

bool CnpjCheckDigitsMatch(std::string_view cnpj) {
  static constexpr std::array<int, 13> kWeights = {6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};
  return Mod11CheckDigit(cnpj.substr(0, 12), kWeights.data() + 1) == DigitAt(cnpj, 12) &&
         Mod11CheckDigit(cnpj.substr(0, 13), kWeights.data()) == DigitAt(cnpj, 13);
}

// "+55", area code [1-9][1-9], then 8 digits starting with 2-5 (landline) or 9 starting with 9
// (mobile).
bool IsValidPhone(std::string_view key) {
  if (!key.starts_with(kPhoneCountryPrefix)) return false;
  const std::string_view national = key.substr(kPhoneCountryPrefix.size());
  if ((national.size() != 10 && national.size() != 11) || !AllDigits(national)) return false;
  if (national[0] == '0' || national[1] == '0') return false;
  // Landlines start with 2 to 5; a 10-digit number starting with 6 to 9 is a mobile written
  // without the 9 every mobile has carried since 2016, and would reach no one.
  if (national.size() == 10) return national[2] >= '2' && national[2] <= '5';
  return national[2] == '9';
}

bool IsEmailLocalCharacter(char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+/=?^_`{|}~-";
  return IsDigit(c) || IsAsciiLetter(c) || kSpecials.find(c) != std::string_view::npos;
}

// RFC 5321's dot-atom: atoms separated by single dots, none empty.
bool IsDotAtom(std::string_view local) {
  if (local.empty() || local.size() > kEmailLocalLengthMax) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  for (size_t i = 0; i < local.size(); ++i) {
    if (local[i] == '.') {
      if (local[i - 1] == '.') return false;
    } else if (!IsEmailLocalCharacter(local[i])) {
      return false;
    }
  }
  return true;
}

bool IsDomainLabel(std::string_view label) {
  if (label.empty() || label.size() > kDomainLabelLengthMax) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return IsDigit(c) || IsAsciiLetter(c) || c == '-'; });
}

bool IsValidEmail(std::string_view key) {
  const size_t at = key.find('@');
  if (at == std::string_view::npos || key.find('@', at + 1) != std::string_view::npos) return false;
  if (!IsDotAtom(key.substr(0, at))) return false;
  std::string_view domain = key.substr(at + 1);
  size_t label_count = 0;
  std::string_view last_label;
  while (true) {
    const size_t dot = domain.find('.');
    last_label = domain.substr(0, dot);
    if (!IsDomainLabel(last_label)) return false;
    ++label_count;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  return label_count >= 2 && last_label.size() >= 2 &&
         std::all_of(last_label.begin(), last_label.end(), IsAsciiLetter);
}

bool HasUuidDashes(std::string_view key) {
  return key.size() == kEvpLength && key[8] == '-' && key[13] == '-' && key[18] == '-' &&
         key[23] == '-';
}

bool IsValidEvp(std::string_view key) {
  for (size_t i = 0; i < key.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    if (!IsHexDigit(key[i])) return false;
  }
  return true;
}

}  // namespace

std::string_view PixKeyKindName(PixKeyKind kind) {
  switch (kind) {
    case PixKeyKind::kCpf:
      return "cpf";
    case PixKeyKind::kCnpj:
      return "cnpj";
    case PixKeyKind::kPhone:
      return "phone";
    case PixKeyKind::kEmail:
      return "email";
    case PixKeyKind::kEvp:
      return "evp";
  }
  return "unknown";
}

std::string_view PixKeyErrorCode(PixKeyError error) {
  switch (error) {
    case PixKeyError::kEmpty:
      return "empty";
    case PixKeyError::kTooLong:
      return "too_long";
    case PixKeyError::kCpfCheckDigits:
      return "cpf_check_digits";
    case PixKeyError::kCnpjCheckDigits:
      return "cnpj_check_digits";
    case PixKeyError::kRepeatedDigits:
      return "repeated_digits";
    case PixKeyError::kInvalidPhone:
      return "invalid_phone";
    case PixKeyError::kInvalidEmail:
      return "invalid_email";
    case PixKeyError::kInvalidEvp:
      return "invalid_evp";
    case PixKeyError::kUnrecognized:
      return "unrecognized";
  }
  return "unknown_error";
}

std::string_view PixKeyErrorMessage(PixKeyError error) {
  switch (error) {
    case PixKeyError::kEmpty:
      return "the PIX key is empty";
    case PixKeyError::kTooLong:
      return "a PIX key has at most 77 characters";
    case PixKeyError::kCpfCheckDigits:
      return "11 digits but the CPF check digits are wrong";
    case PixKeyError::kCnpjCheckDigits:
      return "14 digits but the CNPJ check digits are wrong";
    case PixKeyError::kRepeatedDigits:
      return "a CPF or CNPJ made of one repeated digit is not valid";
    case PixKeyError::kInvalidPhone:
      return "a phone key is +55, a two-digit area code, then 8 digits starting with 2 to 5 or 9 "
             "starting with 9";
    case PixKeyError::kInvalidEmail:
      return "not a valid e-mail address";
    case PixKeyError::kInvalidEvp:
      return "a random key is a UUID: 8-4-4-4-12 hex digits separated by dashes";
    case PixKeyError::kUnrecognized:
      return "not a CPF (11 digits), CNPJ (14 digits), phone (+55...), e-mail or random key "
             "(UUID); write CPF and CNPJ without punctuation";
  }
  return "unknown error";
}

Result<PixKeyKind, PixKeyError> ClassifyPixKey(std::string_view key) {
  if (key.empty()) return Failure{PixKeyError::kEmpty};
  if (key.size() > kKeyLengthMax) return Failure{PixKeyError::kTooLong};
  // '@' before '+': "+promo@example.com" is an e-mail address, and no phone has an '@'.
  if (key.find('@') != std::string_view::npos) {
    if (!IsValidEmail(key)) return Failure{PixKeyError::kInvalidEmail};
    return PixKeyKind::kEmail;
  }
  if (key.front() == '+') {
    if (!IsValidPhone(key)) return Failure{PixKeyError::kInvalidPhone};
    return PixKeyKind::kPhone;
  }
  if (AllDigits(key) && (key.size() == kCpfDigits || key.size() == kCnpjDigits)) {
    if (AllSameCharacter(key)) return Failure{PixKeyError::kRepeatedDigits};
    if (key.size() == kCpfDigits) {
      if (!CpfCheckDigitsMatch(key)) return Failure{PixKeyError::kCpfCheckDigits};
      return PixKeyKind::kCpf;
    }
    if (!CnpjCheckDigitsMatch(key)) return Failure{PixKeyError::kCnpjCheckDigits};
    return PixKeyKind::kCnpj;
  }
  if (HasUuidDashes(key)) {
    if (!IsValidEvp(key)) return Failure{PixKeyError::kInvalidEvp};
    return PixKeyKind::kEvp;
  }
  return Failure{PixKeyError::kUnrecognized};
}

}  // namespace cambista::pix
